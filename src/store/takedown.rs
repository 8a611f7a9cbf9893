//! The takedown register: pictures withdrawn from publication.

use super::*;

impl Store {
    /// Adds a picture to the takedown register; returns its id.
    pub fn add_withdrawn(
        &self,
        what: &str,
        reason: &str,
        phash: u64,
        sha256: Option<&str>,
        now: &str,
    ) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO withdrawn (added_at, what, reason, phash, sha256) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![now, what, reason, crate::model::phash_hex(phash), sha256],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The takedown register, oldest first.
    pub fn withdrawn(&self) -> Result<Vec<Withdrawn>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, added_at, what, reason, phash, sha256 FROM withdrawn ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Withdrawn {
                id: r.get(0)?,
                added_at: r.get(1)?,
                what: r.get(2)?,
                reason: r.get(3)?,
                phash: r.get(4)?,
                sha256: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
