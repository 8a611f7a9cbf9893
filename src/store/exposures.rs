//! Exposures: the grouping's new exposures, the pictures each run assigns
//! them, their assessments, and closing a run with all of these at once.

use super::*;

impl Store {
    /// Every exposure known from earlier runs, with its reference hash.
    pub fn known_exposures(&self) -> Result<ExposureList, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, phash FROM exposures ORDER BY first_run_id, id")?;
        let mut out = ExposureList::default();
        each_row(&mut stmt, [], |r| {
            out.push(text(r, 0)?, parse_phash(text(r, 1)?)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// Stores a run's grouping, assessments, closing status and alerts in
    /// one transaction: a run's alerts exist exactly when its results do.
    pub fn close_run(
        &mut self,
        run_id: i64,
        close: &RunClose<'_>,
        now: &str,
    ) -> Result<(), StoreError> {
        self.write_transaction(|s| {
            s.add_exposures(run_id, close.new_exposures, now)?;
            s.add_run_pictures(run_id, close.assignments.iter().copied())?;
            s.add_run_exposures(run_id, close.assessed)?;
            s.end_run(
                run_id,
                close.status,
                close.counts,
                close.error,
                close.alerts,
                now,
            )
        })
    }

    /// Adds exposures first seen in `run_id`, with their reference hashes.
    pub fn add_exposures(
        &self,
        run_id: i64,
        exposures: &ExposureList,
        now: &str,
    ) -> Result<(), StoreError> {
        let mut ins = self.conn.prepare_cached(
            "INSERT INTO exposures (id, phash, first_run_id, first_seen_at) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (id, phash) in exposures.iter() {
            ins.execute(params![id, crate::model::phash_hex(phash), run_id, now])?;
        }
        Ok(())
    }

    /// Records which exposure each (sha256, exposure) picture of a run belongs to.
    pub fn add_run_pictures<'a, S: AsRef<str>>(
        &self,
        run_id: i64,
        assignments: impl IntoIterator<Item = (S, &'a str)>,
    ) -> Result<(), StoreError> {
        let mut ins = self.conn.prepare_cached(
            "INSERT OR REPLACE INTO run_pictures (run_id, sha256, exposure_id) VALUES (?1, ?2, ?3)",
        )?;
        for (sha, exp) in assignments {
            ins.execute(params![run_id, sha.as_ref(), exp])?;
        }
        Ok(())
    }

    /// Stores assessments of a run's exposures.
    pub fn add_run_exposures(
        &self,
        run_id: i64,
        assessed: &[RunExposure],
    ) -> Result<(), StoreError> {
        let mut ins = self.conn.prepare_cached(
            "INSERT OR REPLACE INTO run_exposures (run_id, exposure_id, risk, score, reasons, details, change, image, change_reasons)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for e in assessed {
            ins.execute(params![
                run_id,
                e.exposure_id,
                e.risk.as_str(),
                e.score,
                serde_json::to_string(&e.reasons).expect("reasons serialise"),
                serde_json::to_string(&e.details).expect("details serialise"),
                e.change,
                e.image
                    .as_ref()
                    .map(|i| serde_json::to_string(i).expect("image serialises")),
                serde_json::to_string(&e.change_reasons).expect("change reasons serialise"),
            ])?;
        }
        Ok(())
    }

    /// First and last run (id, started at) in which an exposure was seen (not resolved).
    pub fn exposure_span(&self, exposure_id: &str) -> Result<Option<(RunRef, RunRef)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.id, r.started_at FROM run_exposures e JOIN runs r ON r.id = e.run_id
             WHERE e.exposure_id = ?1 AND e.change != 'resolved' AND r.status IN ('complete', 'partial')
             ORDER BY r.id",
        )?;
        let runs: Vec<(i64, String)> = stmt
            .query_map(params![exposure_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(match (runs.first(), runs.last()) {
            (Some(a), Some(b)) => Some((a.clone(), b.clone())),
            _ => None,
        })
    }

    /// Every distinct place an exposure was seen, over all runs:
    /// (page, picture address, found via, last run seen there).
    pub fn exposure_places(
        &self,
        exposure_id: &str,
    ) -> Result<Vec<(String, String, String, i64)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.page_url, s.image_url, s.found_via, MAX(s.run_id)
             FROM run_pictures rp
             CROSS JOIN images i ON i.run_id = rp.run_id AND i.sha256 = rp.sha256
             CROSS JOIN sightings s ON s.run_id = i.run_id AND s.image_url = i.url
             WHERE rp.exposure_id = ?1
             GROUP BY s.page_url, s.image_url, s.found_via
             ORDER BY 4 DESC, 1, 2",
        )?;
        let rows = stmt.query_map(params![exposure_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The latest reportable run that assessed `exposure_id`, with that assessment.
    pub fn latest_assessment(
        &self,
        exposure_id: &str,
    ) -> Result<Option<(i64, RunExposure)>, StoreError> {
        let run: Option<i64> = self
            .conn
            .query_row(
                "SELECT MAX(e.run_id) FROM run_exposures e JOIN runs r ON r.id = e.run_id
                 WHERE e.exposure_id = ?1 AND r.status IN ('complete', 'partial')",
                params![exposure_id],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        let Some(run) = run else { return Ok(None) };
        Ok(self
            .run_exposures_of(run, &[exposure_id])?
            .into_iter()
            .next()
            .map(|(e, _)| (run, e)))
    }

    /// The exposures a run assessed, but those it reported resolved.
    pub fn live_exposure_ids(&self, run_id: i64) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT exposure_id FROM run_exposures WHERE run_id = ?1 AND change != 'resolved'
             ORDER BY exposure_id",
        )?;
        let rows = stmt.query_map(params![run_id], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The pictures of a run's exposures (sha256 to exposure id).
    pub fn run_picture_exposures(&self, run_id: i64) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT sha256, exposure_id FROM run_pictures WHERE run_id = ?1 ORDER BY exposure_id, sha256")?;
        let rows = stmt.query_map(params![run_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
