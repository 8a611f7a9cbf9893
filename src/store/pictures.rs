//! Analysed pictures by sha256: hashes, sizes, metadata, thumbnails.

use super::*;

impl Store {
    /// A stored picture analysis, if these bytes were seen before.
    pub fn picture(&self, sha256: &str) -> Result<Option<Picture>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT sha256, phash, width, height, format, bytes, metadata, faces, largest_face
             FROM pictures WHERE sha256 = ?1",
        )?;
        let mut rows = stmt.query(params![sha256])?;
        match rows.next()? {
            Some(r) => Ok(Some(picture_from(r)?)),
            None => Ok(None),
        }
    }

    /// The stored analyses of some pictures (those stored; any order).
    pub fn pictures_of(&self, shas: &[&str]) -> Result<Vec<Picture>, StoreError> {
        self.with_ids(
            "SELECT sha256, phash, width, height, format, bytes, metadata, faces, largest_face
             FROM pictures WHERE sha256 IN ({})",
            None,
            shas,
            |stmt, args| rows_of(stmt, args, picture_from),
        )
    }

    /// The distinct pictures a run fetched successfully, with their hashes,
    /// sorted by sha256.
    pub fn run_pictures(&self, run_id: i64) -> Result<Vec<(Digest, u64)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT DISTINCT p.sha256, p.phash FROM images i JOIN pictures p ON p.sha256 = i.sha256
             WHERE i.run_id = ?1 ORDER BY p.sha256",
        )?;
        // Sized first: the list is the closing's largest, and doubling
        // would hold it twice for a moment.
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(DISTINCT sha256) FROM images WHERE run_id = ?1",
            params![run_id],
            |r| r.get(0),
        )?;
        let mut out = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
        each_row(&mut stmt, params![run_id], |r| {
            out.push(digest_and_hash(r)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// The mirror-image hashes of a run's pictures that have one, sorted by
    /// sha256 (pictures analysed before they were kept have none).
    pub fn run_picture_mirrors(&self, run_id: i64) -> Result<Vec<(Digest, u64)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT DISTINCT p.sha256, p.phash_mirror FROM images i JOIN pictures p ON p.sha256 = i.sha256
             WHERE i.run_id = ?1 AND p.phash_mirror IS NOT NULL ORDER BY p.sha256",
        )?;
        let mut out = Vec::new();
        each_row(&mut stmt, params![run_id], |r| {
            out.push(digest_and_hash(r)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// The detail hash of each of `pictures` (sorted by sha256, as
    /// [`Store::run_pictures`] gives them) where one is stored: `out[i]`
    /// for `pictures[i]`.
    pub fn run_picture_details(
        &self,
        run_id: i64,
        pictures: &[(Digest, u64)],
    ) -> Result<Vec<Option<[u64; 4]>>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT DISTINCT p.sha256, p.phash_detail FROM images i JOIN pictures p ON p.sha256 = i.sha256
             WHERE i.run_id = ?1 AND p.phash_detail IS NOT NULL ORDER BY p.sha256",
        )?;
        let mut out = vec![None; pictures.len()];
        each_row(&mut stmt, params![run_id], |r| {
            let sha: String = r.get(0)?;
            let detail: String = r.get(1)?;
            if let Some(i) = crate::model::parse_digest(&sha)
                .and_then(|d| pictures.binary_search_by(|(s, _)| s.cmp(&d)).ok())
            {
                out[i] = crate::model::parse_detail_hex(&detail);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The last exposure each of `pictures` (sorted by sha256) was assigned
    /// to in an earlier run, if any, as `name` names it (`None`: no longer
    /// known): `out[i]` for `pictures[i]`.
    pub fn known_picture_exposures<T: Clone>(
        &self,
        pictures: &[(Digest, u64)],
        name: impl Fn(&str) -> Option<T>,
    ) -> Result<Vec<Option<T>>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT sha256, exposure_id FROM run_pictures ORDER BY run_id")?;
        let mut out = vec![None; pictures.len()];
        each_row(&mut stmt, [], |r| {
            let sha = crate::model::parse_digest(text(r, 0)?);
            let found = sha.and_then(|sha| pictures.binary_search_by(|(p, _)| p.cmp(&sha)).ok());
            if let Some(i) = found {
                out[i] = name(text(r, 1)?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Every stored picture's hash, for looking a picture up across all runs.
    pub fn all_picture_hashes(&self) -> Result<Vec<(Digest, u64)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT sha256, phash FROM pictures ORDER BY sha256")?;
        rows_of(&mut stmt, [], digest_and_hash)
    }

    /// A picture's stored thumbnail, if it has one.
    pub fn thumbnail(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT thumbnail FROM pictures WHERE sha256 = ?1",
                params![sha256],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }
}
