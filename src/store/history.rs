//! Earlier fetches, read while a crawl runs: the validators and stored
//! extract of a page or picture for a conditional request, on a connection
//! of its own.

use super::*;

/// What earlier runs fetched, looked up one address at a time while a run
/// crawls: a document's validators and stored extraction (reused on 304), a
/// picture's validators and hash. Its own connection, reading only rows of
/// runs before the current one; the crawl asks it instead of holding every
/// earlier fetch (30 MB at 20,000 pages and 40,000 pictures).
pub struct History {
    conn: std::sync::Mutex<Connection>,
    run_id: i64,
}

impl History {
    /// Opens the database of `run_id` again for these lookups. Each is a
    /// read of its own: one read transaction for the whole crawl would keep
    /// the write-ahead log from being checkpointed, and the run's writes and
    /// scoring through a log of the whole run made the unchanged re-audit of
    /// 20,000 pages 7 -> 10 s.
    pub fn open(path: &Path, run_id: i64) -> Result<History, StoreError> {
        let store = Store::open(path)?;
        Ok(History {
            conn: std::sync::Mutex::new(store.conn),
            run_id,
        })
    }

    /// The latest earlier fetch of a document of this kind that kept its
    /// extraction. A failed lookup is logged and fetches unconditionally.
    /// The latest earlier fetch of a page that gave an extract: of the page
    /// at `url`, or else of the page a request for `url` was redirected to
    /// (its validators then go with the request, and the redirect's target
    /// answers 304).
    pub fn page(&self, kind: &str, url: &str) -> Option<Previous> {
        self.lookup(
            "SELECT etag, last_modified, extract FROM pages INDEXED BY pages_url
             WHERE url = ?1 AND kind = ?2 AND extract IS NOT NULL AND run_id < ?3
             ORDER BY id DESC LIMIT 1",
            params![url, kind, self.run_id],
        )
        .or_else(|| {
            self.lookup(
                "SELECT etag, last_modified, extract FROM pages INDEXED BY pages_requested
                 WHERE requested_url = ?1 AND kind = ?2 AND extract IS NOT NULL AND run_id < ?3
                 ORDER BY id DESC LIMIT 1",
                params![url, kind, self.run_id],
            )
        })
    }

    /// The latest earlier fetch of a picture address that gave a picture.
    pub fn image(&self, url: &str) -> Option<Previous> {
        self.lookup(
            "SELECT etag, last_modified, sha256 FROM images INDEXED BY images_url
             WHERE url = ?1 AND sha256 IS NOT NULL AND run_id < ?2
             ORDER BY id DESC LIMIT 1",
            params![url, self.run_id],
        )
    }

    /// Calls `f` with the address of each picture `run_id` saw on a page
    /// (an address once for each page it was on), without holding them.
    pub fn picture_addresses(
        &self,
        run_id: i64,
        mut f: impl FnMut(&str),
    ) -> Result<(), StoreError> {
        let conn = self
            .conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut stmt = conn.prepare(
            "SELECT s.image_url
             FROM sightings s
             JOIN images i INDEXED BY images_run ON i.run_id = s.run_id AND i.url = s.image_url AND i.sha256 IS NOT NULL
             JOIN run_pictures rp ON rp.run_id = s.run_id AND rp.sha256 = i.sha256
             WHERE s.run_id = ?1",
        )?;
        each_row(&mut stmt, params![run_id], |r| {
            f(text(r, 0)?);
            Ok(())
        })
    }

    fn lookup(&self, sql: &str, args: &[&dyn rusqlite::ToSql]) -> Option<Previous> {
        let conn = self
            .conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let found = conn.prepare_cached(sql).and_then(|mut stmt| {
            stmt.query_row(args, |r| {
                Ok(Previous {
                    etag: r.get(0)?,
                    last_modified: r.get(1)?,
                    payload: r.get(2)?,
                })
            })
            .optional()
        });
        found.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot read earlier fetches; fetching unconditionally");
            None
        })
    }
}
