//! What a crawl writes (pages, pictures, sightings, findings, in batches)
//! and what the closing reads back of it: failures, unread pages.

use super::*;

impl Store {
    /// Writes a batch of a run's records in one transaction.
    pub fn write_batch(
        &mut self,
        run_id: i64,
        records: &[Record],
        now: &str,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut page = tx.prepare_cached(
                "INSERT INTO pages (run_id, source, url, kind, status, error, etag, last_modified, content_hash, bytes, robots, extract, fetched_at, requested_url)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?;
            let mut picture = tx.prepare_cached(
                "INSERT INTO pictures (sha256, phash, width, height, format, bytes, metadata, analysed_at, faces, largest_face, thumbnail, phash_mirror, phash_detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
                 ON CONFLICT (sha256) DO UPDATE SET faces = excluded.faces, largest_face = excluded.largest_face,
                     metadata = excluded.metadata, analysed_at = excluded.analysed_at, thumbnail = excluded.thumbnail,
                     phash_mirror = COALESCE(excluded.phash_mirror, pictures.phash_mirror),
                     phash_detail = COALESCE(excluded.phash_detail, pictures.phash_detail)",
            )?;
            let mut image = tx.prepare_cached(
                "INSERT INTO images (run_id, url, status, error, etag, last_modified, sha256, bytes, x_robots_tag, fetched_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            let mut sighting = tx.prepare_cached(
                "INSERT INTO sightings (run_id, source, page_url, image_url, found_via, context, verdicts_id, document_page)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            // A map's id, found or added once per batch (the crawl shares
            // one map among equal verdicts, so the pointer names it).
            let mut verdict_map = tx.prepare_cached(
                "INSERT INTO verdict_maps (verdicts) VALUES (?1)
                 ON CONFLICT (verdicts) DO UPDATE SET verdicts = excluded.verdicts RETURNING id",
            )?;
            let mut map_ids: HashMap<*const RobotsVerdicts, i64> = HashMap::new();
            let mut finding = tx.prepare_cached(
                "INSERT INTO site_findings (run_id, kind, url, detail) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for r in records {
                match r {
                    Record::Page(p) => {
                        page.execute(params![
                            run_id,
                            p.source,
                            p.url,
                            p.kind,
                            p.status,
                            p.error,
                            p.etag,
                            p.last_modified,
                            p.content_hash,
                            p.bytes as i64,
                            p.robots,
                            p.extract,
                            now,
                            p.requested_url
                        ])?;
                    }
                    Record::Picture(p) => {
                        let meta = serde_json::to_string(&p.metadata).expect("metadata serialises");
                        picture.execute(params![
                            p.sha256,
                            crate::model::phash_hex(p.phash),
                            p.width,
                            p.height,
                            p.format,
                            p.bytes as i64,
                            meta,
                            now,
                            p.faces,
                            p.largest_face,
                            p.thumbnail,
                            p.phash_mirror.map(crate::model::phash_hex),
                            p.phash_detail.as_ref().map(crate::model::detail_hex)
                        ])?;
                    }
                    Record::Image(i) => {
                        image.execute(params![
                            run_id,
                            i.url,
                            i.status,
                            i.error,
                            i.etag,
                            i.last_modified,
                            i.sha256,
                            i.bytes as i64,
                            i.x_robots_tag,
                            now
                        ])?;
                    }
                    Record::Sighting(s, robots) => {
                        let map_id = if let Some(id) = map_ids.get(&Arc::as_ptr(robots)) {
                            *id
                        } else {
                            let json =
                                serde_json::to_string(&**robots).expect("verdicts serialise");
                            let id: i64 = verdict_map.query_row(params![json], |r| r.get(0))?;
                            map_ids.insert(Arc::as_ptr(robots), id);
                            id
                        };
                        sighting.execute(params![
                            run_id,
                            s.source,
                            s.page_url,
                            s.image_url,
                            s.found_via.as_str(),
                            serde_json::to_string(&s.context).expect("context serialises"),
                            map_id,
                            s.document_page,
                        ])?;
                    }
                    Record::Finding(f) => {
                        finding.execute(params![run_id, f.kind, f.url, f.detail])?;
                    }
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Every picture ever analysed, as [`crate::analysis::hash::sha256_key`]
    /// keys, so identical bytes are analysed once. A picture analysed before
    /// faces or the detail hash were kept is not among them: its bytes,
    /// fetched again, are analysed again once.
    pub fn known_picture_keys(&self) -> Result<std::collections::HashSet<u128>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT sha256 FROM pictures WHERE faces IS NOT NULL AND phash_detail IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(crate::analysis::hash::sha256_key(&r.get::<_, String>(0)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The bytes last served at a picture address, if any audit fetched it.
    pub fn latest_sha_of_url(&self, url: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT sha256 FROM images WHERE url = ?1 AND sha256 IS NOT NULL ORDER BY id DESC LIMIT 1",
                params![url],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Documents and pictures of a run that failed, for the report's "could not see".
    pub fn fetch_failures(&self, run_id: i64) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT url, error FROM pages WHERE run_id = ?1 AND error IS NOT NULL
             UNION ALL SELECT url, error FROM images WHERE run_id = ?1 AND error IS NOT NULL",
        )?;
        let rows = stmt.query_map(params![run_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Pages a run asked for and got no reading of: no answer, or a status
    /// other than 2xx, 304 and the refusals and absences that are answers
    /// (401, 403, 404, 410, 451). Only those rows are read.
    pub fn unread_pages(
        &self,
        run_id: i64,
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT url FROM pages WHERE run_id = ?1
             AND (status IS NULL OR (status NOT BETWEEN 200 AND 299
                  AND status NOT IN (304, 401, 403, 404, 410, 451)))",
        )?;
        let rows = stmt.query_map(params![run_id], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Picture addresses a run asked for and could not read (an error other
    /// than 404 or 410: a 500, a timeout, a refused or undecodable picture):
    /// what they show is unknown, so nothing seen there may be resolved.
    pub fn unreadable_images(
        &self,
        run_id: i64,
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT url FROM images WHERE run_id = ?1 AND error IS NOT NULL
             AND (status IS NULL OR status NOT IN (404, 410))",
        )?;
        let rows = stmt.query_map(params![run_id], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Direct read access for tests and diagnostics.
    pub fn count(&self, table: &str, run_id: i64) -> Result<u64, StoreError> {
        const TABLES: &[&str] = &[
            "pages",
            "images",
            "sightings",
            "run_pictures",
            "run_exposures",
            "site_findings",
        ];
        assert!(TABLES.contains(&table), "count: unknown table {table}");
        let n: i64 = self.conn.query_row(
            &format!("SELECT COUNT(*) FROM {table} WHERE run_id = ?1"),
            params![run_id],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    /// Outcomes of a run's document fetches, for tests and the summary.
    pub fn pages_of_run(&self, run_id: i64) -> Result<Vec<PageOutcome>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT url, kind, status, error FROM pages WHERE run_id = ?1 ORDER BY id")?;
        let rows = stmt.query_map(params![run_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Calls `f` with each picture address of a run that gave a picture and
    /// its sha256, in fetch order, without holding them all.
    pub fn for_each_run_image(
        &self,
        run_id: i64,
        mut f: impl FnMut(&str, &str),
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT url, sha256 FROM images WHERE run_id = ?1 AND sha256 IS NOT NULL ORDER BY id",
        )?;
        each_row(&mut stmt, params![run_id], |r| {
            f(text(r, 0)?, text(r, 1)?);
            Ok(())
        })
    }
}
