//! The do-not-publish list: salted hashes of names, never the names.

use super::*;

impl Store {
    /// The salt of protected-name hashes, created on first use.
    pub fn name_salt(&self) -> Result<String, StoreError> {
        if let Some(s) = self
            .conn
            .query_row(
                "SELECT value FROM settings WHERE key = 'name_salt'",
                [],
                |r| r.get(0),
            )
            .optional()?
        {
            return Ok(s);
        }
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| StoreError::Salt(e.to_string()))?;
        let salt = hex::encode(bytes);
        self.conn.execute(
            "INSERT OR IGNORE INTO settings (key, value) VALUES ('name_salt', ?1)",
            params![salt],
        )?;
        self.conn
            .query_row(
                "SELECT value FROM settings WHERE key = 'name_salt'",
                [],
                |r| r.get(0),
            )
            .map_err(StoreError::from)
    }

    /// Adds a salted name hash to the do-not-publish list; false if it was there.
    pub fn add_protected_name(&self, hash: &str, now: &str) -> Result<bool, StoreError> {
        Ok(self.conn.execute(
            "INSERT OR IGNORE INTO protected_names (hash, added_at) VALUES (?1, ?2)",
            params![hash, now],
        )? == 1)
    }

    /// Removes a salted name hash from the list; false if it was not there.
    pub fn remove_protected_name(&self, hash: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .execute("DELETE FROM protected_names WHERE hash = ?1", params![hash])?
            == 1)
    }

    /// Every protected-name hash.
    pub fn protected_name_hashes(&self) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT hash FROM protected_names")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
