//! Retention: purging the details of old runs.

use super::*;

impl Store {
    /// Purges the sightings, pages, images, findings, delivered alerts and
    /// details of every run but the newest `keep` (and the latest reportable
    /// run, which the next run compares against). Kept: each run's counts
    /// and its exposures' risk and change (the trend), and every exposure's
    /// hash with the runs it was seen in (lookup). The analysis of pictures
    /// no kept run fetched loses its metadata and faces (they are analysed
    /// again if seen again). Deleted content is overwritten (secure_delete).
    pub fn purge(&mut self, keep: u64, now: &str) -> Result<PurgeCounts, StoreError> {
        self.conn.pragma_update(None, "secure_delete", "ON")?;
        let latest_reportable = self.latest_reportable_run()?.map(|r| r.id);
        // Immediate: a read that later turns into a write cannot wait for
        // another writer (SQLite gives up at once), a write lock taken
        // first can.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut counts = PurgeCounts::default();
        {
            tx.execute(
                "CREATE TEMP TABLE IF NOT EXISTS purge_runs (id INTEGER PRIMARY KEY)",
                [],
            )?;
            tx.execute("DELETE FROM temp.purge_runs", [])?;
            counts.runs = tx.execute(
                "INSERT INTO temp.purge_runs (id)
                 SELECT id FROM runs
                 WHERE purged_at IS NULL AND status != 'running'
                   AND id NOT IN (SELECT id FROM runs ORDER BY id DESC LIMIT ?1)
                   AND id != COALESCE(?2, -1)
                   -- where open pictures of the latest run were last seen
                   AND id NOT IN (
                       SELECT MAX(rp.run_id) FROM run_pictures rp
                       WHERE rp.exposure_id IN (
                           SELECT exposure_id FROM run_exposures
                           WHERE run_id = COALESCE(?2, -1) AND change != 'resolved')
                       GROUP BY rp.exposure_id)",
                params![keep as i64, latest_reportable],
            )?;
            if counts.runs > 0 {
                let scope = "run_id IN (SELECT id FROM temp.purge_runs)";
                counts.sightings =
                    tx.execute(&format!("DELETE FROM sightings WHERE {scope}"), [])?;
                tx.execute(
                    "DELETE FROM verdict_maps WHERE id NOT IN
                       (SELECT verdicts_id FROM sightings WHERE verdicts_id IS NOT NULL)",
                    [],
                )?;
                counts.pages = tx.execute(&format!("DELETE FROM pages WHERE {scope}"), [])?;
                counts.images = tx.execute(&format!("DELETE FROM images WHERE {scope}"), [])?;
                tx.execute(&format!("DELETE FROM site_findings WHERE {scope}"), [])?;
                counts.alerts = tx.execute(
                    &format!("DELETE FROM outbox WHERE {scope} AND delivered_at IS NOT NULL"),
                    [],
                )?;
                tx.execute(
                    &format!("UPDATE run_exposures SET details = '[]', image = NULL WHERE {scope}"),
                    [],
                )?;
                tx.execute(
                    "UPDATE runs SET purged_at = ?1 WHERE id IN (SELECT id FROM temp.purge_runs)",
                    params![now],
                )?;
            }
            let empty = serde_json::to_string(&crate::model::PictureMetadata::default())
                .expect("metadata serialises");
            counts.pictures = tx.execute(
                "UPDATE pictures SET metadata = ?1, faces = NULL, largest_face = NULL, thumbnail = NULL
                 WHERE faces IS NOT NULL
                   AND sha256 NOT IN (SELECT sha256 FROM images WHERE sha256 IS NOT NULL)
                   AND sha256 NOT IN (SELECT sha256 FROM withdrawn WHERE sha256 IS NOT NULL)",
                params![empty],
            )?;
        }
        tx.commit()?;
        // Move the overwritten pages out of the write-ahead log too.
        let _ = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        Ok(counts)
    }
}
