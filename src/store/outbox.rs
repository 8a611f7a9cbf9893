//! The alert outbox: alerts queued with their run, delivered exactly once.

use super::*;

impl Store {
    /// Alerts not yet delivered whose next attempt is due at `now` (RFC 3339, UTC).
    pub fn due_alerts(&self, now: &str) -> Result<Vec<OutboxRow>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, run_id, channel, subject, body, payload, attempts FROM outbox
             WHERE delivered_at IS NULL AND next_attempt_at <= ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![now], |r| {
            Ok(OutboxRow {
                id: r.get(0)?,
                run_id: r.get(1)?,
                channel: r.get(2)?,
                subject: r.get(3)?,
                body: r.get(4)?,
                payload: r.get(5)?,
                attempts: r.get::<_, i64>(6)? as u32,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records that the channel accepted an alert; it is never sent again.
    pub fn alert_delivered(&self, id: i64, now: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE outbox SET delivered_at = ?2, attempts = attempts + 1, last_error = NULL WHERE id = ?1",
            params![id, now],
        )?;
        Ok(())
    }

    /// Records a failed attempt and when to try again.
    pub fn alert_failed(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3 WHERE id = ?1",
            params![id, error, next_attempt_at],
        )?;
        Ok(())
    }

    /// Alerts not yet delivered: (count, earliest next attempt, last error).
    pub fn pending_alerts(&self) -> Result<(u64, Option<String>, Option<String>), StoreError> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*), MIN(next_attempt_at),
                    (SELECT last_error FROM outbox WHERE delivered_at IS NULL AND last_error IS NOT NULL ORDER BY id DESC LIMIT 1)
             FROM outbox WHERE delivered_at IS NULL",
            [],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?)),
        )?)
    }
}
