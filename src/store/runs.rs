//! Runs: their rows, statuses and counts, and the trend over runs.

use super::*;

impl Store {
    /// Marks runs left `running` by a crash as `interrupted`; returns how many.
    pub fn mark_interrupted(&self, now: &str) -> Result<usize, StoreError> {
        Ok(self.conn.execute(
            "UPDATE runs SET status = 'interrupted', finished_at = ?1 WHERE status = 'running'",
            params![now],
        )?)
    }

    pub fn begin_run(&self, now: &str) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO runs (started_at, status) VALUES (?1, 'running')",
            params![now],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Records the policy a run is scored with that its report needs.
    pub fn set_run_policy(&self, run_id: i64, max_published_side: u32) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE runs SET max_published_side = ?2 WHERE id = ?1",
            params![run_id, max_published_side],
        )?;
        Ok(())
    }

    /// `risk.max_published_side` as run `run_id` was scored with it; the
    /// default for runs from before it was recorded.
    pub fn run_max_published_side(&self, run_id: i64) -> Result<u32, StoreError> {
        let side: Option<u32> = self
            .conn
            .query_row(
                "SELECT max_published_side FROM runs WHERE id = ?1",
                params![run_id],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        Ok(side.unwrap_or(crate::risk::MAX_PUBLISHED_SIDE))
    }

    pub fn finish_run(
        &self,
        run_id: i64,
        status: RunStatus,
        counts: RunCounts,
        error: Option<&str>,
        now: &str,
    ) -> Result<(), StoreError> {
        close_run_row(&self.conn, run_id, status, counts, error, now)
    }

    /// Sets a run's status and counts and queues its alerts.
    pub fn end_run(
        &self,
        run_id: i64,
        status: RunStatus,
        counts: RunCounts,
        error: Option<&str>,
        alerts: &[NewAlert],
        now: &str,
    ) -> Result<(), StoreError> {
        close_run_row(&self.conn, run_id, status, counts, error, now)?;
        let mut ins = self.conn.prepare_cached(
            "INSERT INTO outbox (run_id, channel, subject, body, payload, created_at, next_attempt_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        )?;
        for a in alerts {
            ins.execute(params![
                run_id, a.channel, a.subject, a.body, a.payload, now
            ])?;
        }
        Ok(())
    }

    /// Open exposures by risk for the last `n` reportable runs up to `run_id`,
    /// oldest first: (run id, started at, high, medium, low).
    pub fn trend(&self, run_id: i64, n: usize) -> Result<Vec<TrendRow>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT r.id, r.started_at,
                    SUM(e.risk = 'high' AND e.change != 'resolved'),
                    SUM(e.risk = 'medium' AND e.change != 'resolved'),
                    SUM(e.risk = 'low' AND e.change != 'resolved')
             FROM runs r LEFT JOIN run_exposures e ON e.run_id = r.id
             WHERE r.status IN ('complete', 'partial') AND r.id <= ?1
             GROUP BY r.id ORDER BY r.id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![run_id, n as i64], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get::<_, Option<i64>>(2)?.unwrap_or(0) as u64,
                r.get::<_, Option<i64>>(3)?.unwrap_or(0) as u64,
                r.get::<_, Option<i64>>(4)?.unwrap_or(0) as u64,
            ))
        })?;
        let mut out: Vec<_> = rows.collect::<Result<_, _>>()?;
        out.reverse();
        Ok(out)
    }

    /// When a run's details were purged by retention, if they were.
    pub fn purged_at(&self, run_id: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT purged_at FROM runs WHERE id = ?1",
                params![run_id],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }

    /// Every run, newest first.
    pub fn runs(&self) -> Result<Vec<RunRow>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, started_at, finished_at, status, pages_fetched, images_fetched, fetch_errors, bytes_fetched, documents_fetched, other_fetched
             FROM runs ORDER BY id DESC",
        )?;
        let rows = stmt.query_map([], run_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn run(&self, run_id: i64) -> Result<Option<RunRow>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, started_at, finished_at, status, pages_fetched, images_fetched, fetch_errors, bytes_fetched, documents_fetched, other_fetched
                 FROM runs WHERE id = ?1",
                params![run_id],
                run_row,
            )
            .optional()?)
    }

    /// The latest run that finished with a report (complete or partial).
    pub fn latest_reportable_run(&self) -> Result<Option<RunRow>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, started_at, finished_at, status, pages_fetched, images_fetched, fetch_errors, bytes_fetched, documents_fetched, other_fetched
                 FROM runs WHERE status IN ('complete', 'partial') ORDER BY id DESC LIMIT 1",
                [],
                run_row,
            )
            .optional()?)
    }

    /// The reportable run before `run_id`, which changes are computed against.
    pub fn previous_reportable_run(&self, run_id: i64) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM runs WHERE status IN ('complete', 'partial') AND id < ?1 ORDER BY id DESC LIMIT 1",
                params![run_id],
                |r| r.get(0),
            )
            .optional()?)
    }
}
