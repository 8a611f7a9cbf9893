//! The store: the only module that holds SQL. One SQLite file in WAL mode,
//! migrations from `migrations/` applied at open, created private to the user.
//!
//! Every run is a row and everything a run saw hangs off it, so any run can be
//! reported again later. Writes of a run are batched into transactions by the
//! caller (see [`Store::write_batch`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension};
use rusqlite_migration::{Migrations, M};

use crate::model::{
    Context, Detail, Digest, ExposureImage, ExposureList, FoundVia, Picture, Risk, RobotsVerdicts,
    SiteFinding,
};

/// Errors of the store. Each ends the run: the database is the record.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file or its folder could not be created or opened.
    #[error("cannot open database {path}: {message}")]
    Open { path: PathBuf, message: String },
    /// Applying the schema migrations failed; the database is left as it was.
    #[error("cannot migrate database {path}: {message}")]
    Migrate { path: PathBuf, message: String },
    /// A query failed (disk full, database locked by another process, corruption).
    #[error("{}", describe_sql(.0))]
    Sql(#[from] rusqlite::Error),
    /// Stored JSON did not parse: the database was edited by hand or is damaged.
    #[error("database holds invalid JSON in {what}: {source}")]
    Json {
        what: &'static str,
        source: serde_json::Error,
    },
    /// A thread reading the store for another ended without its answer.
    #[error("{0}")]
    Reader(&'static str),
    /// The operating system gave no random bytes for a salt.
    #[error("cannot make a random salt: {0}")]
    Salt(String),
}

/// What a failed query means for the person running the command.
fn describe_sql(e: &rusqlite::Error) -> String {
    use rusqlite::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            "the database is locked by another program (a backup, an sqlite3 shell?): run again when it has finished".into()
        }
        Some(ErrorCode::DiskFull) => format!("the disk holding the database is full ({e})"),
        Some(ErrorCode::SystemIoFailure) => {
            format!("cannot write the database file ({e}): is the disk full?")
        }
        Some(ErrorCode::ReadOnly) => format!("the database file is read-only ({e})"),
        _ => format!("database error: {e}"),
    }
}

impl StoreError {
    /// Another program holds the database: try again later.
    pub fn is_locked(&self) -> bool {
        matches!(self, StoreError::Sql(e) if matches!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        ))
    }
}

/// The schema migrations, in order. Append-only.
pub fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("../migrations/0001_initial.sql")),
        M::up(include_str!("../migrations/0002_faces.sql")),
        M::up(include_str!("../migrations/0003_withdrawn.sql")),
        M::up(include_str!("../migrations/0004_outbox.sql")),
        M::up(include_str!(
            "../migrations/0005_retention_and_protected_names.sql"
        )),
        M::up(include_str!("../migrations/0006_thumbnails.sql")),
        M::up(include_str!("../migrations/0007_report_indexes.sql")),
        M::up(include_str!("../migrations/0008_exposure_image.sql")),
        M::up(include_str!("../migrations/0009_verdict_maps.sql")),
        M::up(include_str!("../migrations/0010_change_reasons.sql")),
        M::up(include_str!("../migrations/0011_pages_by_address.sql")),
    ])
}

pub use crate::vocab::RunStatus;

/// A run row.
#[derive(Debug, Clone)]
pub struct RunRow {
    pub id: i64,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: RunStatus,
    pub pages_fetched: u64,
    pub images_fetched: u64,
    pub fetch_errors: u64,
    pub bytes_fetched: u64,
}

/// Writes a run's closing status and counts.
fn close_run_row(
    conn: &Connection,
    run_id: i64,
    status: RunStatus,
    counts: RunCounts,
    error: Option<&str>,
    now: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE runs SET status = ?2, finished_at = ?3, pages_fetched = ?4, images_fetched = ?5,
             fetch_errors = ?6, bytes_fetched = ?7, error = ?8 WHERE id = ?1",
        params![
            run_id,
            status.as_str(),
            now,
            counts.pages_fetched as i64,
            counts.images_fetched as i64,
            counts.fetch_errors as i64,
            counts.bytes_fetched as i64,
            error
        ],
    )?;
    Ok(())
}

/// What a purge removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PurgeCounts {
    pub runs: usize,
    pub sightings: usize,
    pub pages: usize,
    pub images: usize,
    pub alerts: usize,
    /// Pictures whose metadata and faces were cleared.
    pub pictures: usize,
}

/// An alert in the outbox.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub id: i64,
    pub run_id: i64,
    pub channel: String,
    pub subject: String,
    pub body: String,
    pub payload: String,
    pub attempts: u32,
}

/// An alert to queue when a run closes.
#[derive(Debug, Clone)]
pub struct NewAlert {
    pub channel: &'static str,
    pub subject: String,
    pub body: String,
    pub payload: String,
}

/// Everything that closes a run, written in one transaction.
#[derive(Clone, Copy)]
pub struct RunClose<'a> {
    pub new_exposures: &'a ExposureList,
    /// (sha256, exposure id) of each picture of the run.
    pub assignments: &'a [(&'a str, &'a str)],
    pub assessed: &'a [RunExposure],
    pub status: RunStatus,
    pub counts: RunCounts,
    pub error: Option<&'a str>,
    pub alerts: &'a [NewAlert],
}

/// Counts a run ends with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunCounts {
    pub pages_fetched: u64,
    pub images_fetched: u64,
    pub fetch_errors: u64,
    pub bytes_fetched: u64,
}

/// A fetched document's outcome.
#[derive(Debug, Clone, Default)]
pub struct PageRecord {
    pub source: String,
    pub url: String,
    pub kind: String,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub content_hash: Option<String>,
    pub bytes: u64,
    pub robots: Option<String>,
    pub extract: Option<String>,
    /// The address asked for, when a redirect led to `url`.
    pub requested_url: Option<String>,
}

/// A fetched picture URL's outcome.
#[derive(Debug, Clone, Default)]
pub struct ImageRecord {
    pub url: String,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub sha256: Option<String>,
    pub bytes: u64,
    pub x_robots_tag: Option<String>,
}

/// One thing to write for a run.
#[derive(Debug, Clone)]
pub enum Record {
    Page(PageRecord),
    Picture(Picture),
    Image(ImageRecord),
    /// A sighting and its robots verdicts (shared: most sightings of a run
    /// have one of a few).
    Sighting(crate::model::Sighting, Arc<RobotsVerdicts>),
    Finding(SiteFinding),
}

/// What the previous fetch of a URL left for a conditional request.
#[derive(Debug, Clone, Default)]
pub struct Previous {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// For pages, the stored extraction; for pictures, the sha256 of the bytes.
    pub payload: Option<String>,
}

/// An exposure's assessment in one run, as stored.
#[derive(Debug, Clone)]
pub struct RunExposure {
    pub exposure_id: String,
    pub risk: Risk,
    pub score: u32,
    pub reasons: Vec<crate::model::Reason>,
    pub details: Vec<Detail>,
    pub change: crate::model::Change,
    /// Why it is `changed`; empty otherwise, and in runs scored before
    /// reasons were stored.
    pub change_reasons: Vec<crate::model::ChangeReason>,
    /// What the report shows of its picture; `None` for runs scored before
    /// it was stored, and for purged runs.
    pub image: Option<Box<ExposureImage>>,
}

/// An occurrence (sighting) of a picture in a run, joined with its picture.
#[derive(Debug, Clone)]
pub struct OccurrenceRow {
    pub exposure_id: String,
    pub sha256: String,
    pub source: String,
    pub page_url: String,
    pub image_url: String,
    pub found_via: FoundVia,
    pub context: Context,
    /// Shared by the sightings of one read whose verdicts are the same
    /// (most of a site's): parsed once.
    pub robots: Arc<RobotsVerdicts>,
}

/// Where a run saw an exposure: an [`OccurrenceRow`] without its texts.
#[derive(Debug, Clone)]
pub struct Place {
    pub exposure_id: String,
    pub source: String,
    pub page_url: String,
    pub image_url: String,
}

/// Where a run's open exposures were last seen ([`Store::last_seen_places`]).
#[derive(Debug, Default)]
pub struct LastSeen {
    /// (source, page) pairs.
    pub pages: std::collections::BTreeSet<(String, String)>,
    /// Picture addresses of exposures the run carried unseen.
    pub carried_images: std::collections::BTreeSet<String>,
}

/// A document fetch of a run: (url, kind, HTTP status, error).
pub type PageOutcome = (String, String, Option<u16>, Option<String>);
/// A run by id and start time.
pub type RunRef = (i64, String);

/// An entry of the takedown register.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Withdrawn {
    pub id: i64,
    pub added_at: String,
    pub what: String,
    pub reason: String,
    pub phash: String,
    pub sha256: Option<String>,
}

/// Open exposures of a run by risk: (run id, started at, high, medium, low).
pub type TrendRow = (i64, String, u64, u64, u64);

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
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
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
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
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

/// The sightings of some of a run's exposures (`?1` the run, the ids in
/// `IN ({})` for [`Store::with_ids`]), as `rp`, `i` and `s`. CROSS JOIN
/// keeps SQLite from starting at the run's every image.
macro_rules! sightings_of_exposures {
    () => {
        "
         FROM run_pictures rp
         CROSS JOIN images i ON i.run_id = rp.run_id AND i.sha256 = rp.sha256
         CROSS JOIN sightings s ON s.run_id = i.run_id AND s.image_url = i.url
         WHERE rp.run_id = ?1 AND rp.exposure_id IN ({})"
    };
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// How long a command that changes the database by hand (withdraw, protect,
/// purge) waits for another process's write. An audit holds the database
/// while it groups, scores and closes its run: 2.5 s at 20,000 pages,
/// about 18 s at 100,000 (docs/performance.md); an audit itself waits 5 s.
pub const EDIT_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// SQLite's busy handler for [`Store::open_for_edit`]: says once why the
/// command waits, then retries every 50 ms until [`EDIT_WAIT`].
fn wait_for_writer(attempt: i32) -> bool {
    const STEP: std::time::Duration = std::time::Duration::from_millis(50);
    if attempt == 0 {
        tracing::warn!(
            "the database is busy (an audit may be closing its run); waiting up to {} s",
            EDIT_WAIT.as_secs()
        );
    }
    if STEP * u32::try_from(attempt).unwrap_or(u32::MAX) >= EDIT_WAIT {
        return false;
    }
    std::thread::sleep(STEP);
    true
}

impl Store {
    /// Opens the database for a change made by hand, which waits for an
    /// audit that is closing its run (up to [`EDIT_WAIT`]) instead of
    /// failing after five seconds.
    pub fn open_for_edit(path: &Path) -> Result<Store, StoreError> {
        let store = Store::open(path)?;
        store.conn.busy_handler(Some(wait_for_writer))?;
        Ok(store)
    }

    /// Opens (creating if needed, mode 0600 in a 0700 folder) and migrates the database.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let open_err = |message: String| StoreError::Open {
            path: path.to_path_buf(),
            message,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            if !parent.exists() {
                crate::private_file::create_private_dir(parent).map_err(|e| {
                    open_err(format!("cannot create folder {}: {e}", parent.display()))
                })?;
            }
        }
        create_private_file(path).map_err(|e| open_err(e.to_string()))?;
        let mut conn = Connection::open(path).map_err(|e| open_err(e.to_string()))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| open_err(format!("cannot switch to WAL: {e}")))?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        migrations()
            .to_latest(&mut conn)
            .map_err(|e| StoreError::Migrate {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

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
                "INSERT INTO pictures (sha256, phash, width, height, format, bytes, metadata, analysed_at, faces, largest_face, thumbnail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (sha256) DO UPDATE SET faces = excluded.faces, largest_face = excluded.largest_face,
                     metadata = excluded.metadata, analysed_at = excluded.analysed_at, thumbnail = excluded.thumbnail",
            )?;
            let mut image = tx.prepare_cached(
                "INSERT INTO images (run_id, url, status, error, etag, last_modified, sha256, bytes, x_robots_tag, fetched_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            let mut sighting = tx.prepare_cached(
                "INSERT INTO sightings (run_id, source, page_url, image_url, found_via, context, verdicts_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
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
                            p.thumbnail
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
                        let map_id = match map_ids.get(&Arc::as_ptr(robots)) {
                            Some(id) => *id,
                            None => {
                                let json =
                                    serde_json::to_string(&**robots).expect("verdicts serialise");
                                let id: i64 = verdict_map.query_row(params![json], |r| r.get(0))?;
                                map_ids.insert(Arc::as_ptr(robots), id);
                                id
                            }
                        };
                        sighting.execute(params![
                            run_id,
                            s.source,
                            s.page_url,
                            s.image_url,
                            s.found_via.as_str(),
                            serde_json::to_string(&s.context).expect("context serialises"),
                            map_id,
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
    /// keys, so identical bytes are analysed once.
    pub fn known_picture_keys(&self) -> Result<std::collections::HashSet<u128>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT sha256 FROM pictures WHERE faces IS NOT NULL")?;
        let rows = stmt.query_map([], |r| {
            Ok(crate::analysis::hash::sha256_key(&r.get::<_, String>(0)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

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

    /// Runs `f` in one write transaction: committed when it returns `Ok`,
    /// rolled back otherwise (and by SQLite, should the process die). Its
    /// reads see its own writes; readers elsewhere see none until the end.
    pub fn write_transaction<T>(
        &mut self,
        f: impl FnOnce(&Store) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        match f(self) {
            Ok(out) => {
                self.conn.execute_batch("COMMIT")?;
                Ok(out)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
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

    /// Every stored picture's hash, for looking a picture up across all runs.
    pub fn all_picture_hashes(&self) -> Result<Vec<(Digest, u64)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT sha256, phash FROM pictures ORDER BY sha256")?;
        rows_of(&mut stmt, [], digest_and_hash)
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

    /// Where each of `ids` was seen in the last run before `run_id` that saw
    /// it (an unseen picture may have been unseen for several runs).
    pub fn last_seen_occurrences(
        &self,
        run_id: i64,
        ids: &[&str],
    ) -> Result<Vec<OccurrenceRow>, StoreError> {
        let last_seen: Vec<(String, i64)> = self.with_ids(
            "SELECT exposure_id, MAX(run_id) FROM run_pictures
             WHERE run_id < ?1 AND exposure_id IN ({}) GROUP BY exposure_id",
            Some(run_id),
            ids,
            |stmt, args| {
                let rows = stmt.query_map(args, |r| Ok((r.get(0)?, r.get(1)?)))?;
                Ok(rows.collect::<Result<_, _>>()?)
            },
        )?;
        let mut runs: std::collections::BTreeMap<i64, Vec<&str>> = Default::default();
        for (id, r) in &last_seen {
            runs.entry(*r).or_default().push(id);
        }
        let mut out = Vec::new();
        for (r, wanted) in runs {
            out.extend(self.occurrences_of(r, &wanted)?);
        }
        Ok(out)
    }

    /// What the pages `run_id` could not read (see [`Store::unread_pages`])
    /// showed of some of its exposures when each was last read: a failed
    /// page keeps what it showed last time, marked unseen, rather than
    /// losing its copies from the report.
    pub fn shown_on_unread_pages(
        &self,
        run_id: i64,
        ids: &[&str],
    ) -> Result<Vec<OccurrenceRow>, StoreError> {
        let mut rows: Vec<(i64, OccurrenceRow)> = self.with_ids(
            "SELECT rp.exposure_id, rp.sha256, s.source, s.page_url, s.image_url, s.found_via,
                    s.context, s.verdicts_id, s.id
             FROM pages p
             CROSS JOIN sightings s INDEXED BY sightings_page ON s.page_url = p.url
               AND s.run_id = (SELECT MAX(g.run_id) FROM pages g INDEXED BY pages_url
                               WHERE g.url = p.url AND g.run_id < p.run_id
                                 AND (g.status BETWEEN 200 AND 299 OR g.status = 304))
             CROSS JOIN images i ON i.run_id = s.run_id AND i.url = s.image_url
             CROSS JOIN run_pictures rp ON rp.run_id = i.run_id AND rp.sha256 = i.sha256
             WHERE p.run_id = ?1
               AND (p.status IS NULL OR (p.status NOT BETWEEN 200 AND 299
                    AND p.status NOT IN (304, 401, 403, 404, 410, 451)))
               AND rp.exposure_id IN ({})",
            Some(run_id),
            ids,
            |stmt, args| {
                let mut maps = VerdictMaps::new(&self.conn);
                rows_of(stmt, args, |r| {
                    Ok((r.get(8)?, occurrence_from(r, &mut maps)?))
                })
            },
        )?;
        rows.sort_unstable_by_key(|(id, _)| *id);
        rows.dedup_by_key(|(id, _)| *id);
        Ok(in_report_order(rows))
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

    /// Every run, newest first.
    pub fn runs(&self) -> Result<Vec<RunRow>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, started_at, finished_at, status, pages_fetched, images_fetched, fetch_errors, bytes_fetched
             FROM runs ORDER BY id DESC",
        )?;
        let rows = stmt.query_map([], run_row)?;
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

    pub fn run(&self, run_id: i64) -> Result<Option<RunRow>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, started_at, finished_at, status, pages_fetched, images_fetched, fetch_errors, bytes_fetched
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
                "SELECT id, started_at, finished_at, status, pages_fetched, images_fetched, fetch_errors, bytes_fetched
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

    /// Some of a run's assessed exposures, riskiest first, each with when
    /// it was first seen.
    pub fn run_exposures_of(
        &self,
        run_id: i64,
        ids: &[&str],
    ) -> Result<Vec<(RunExposure, String)>, StoreError> {
        self.with_ids(
            "SELECT re.exposure_id, re.risk, re.score, re.reasons, re.details, re.change, re.image, e.first_seen_at,
                    re.change_reasons
             FROM run_exposures re JOIN exposures e ON e.id = re.exposure_id
             WHERE re.run_id = ?1 AND re.exposure_id IN ({}) ORDER BY re.score DESC, re.exposure_id",
            Some(run_id),
            ids,
            |stmt, args| rows_of(stmt, args, |r| Ok((run_exposure_from(r)?, r.get(7)?))),
        )
    }

    /// Every sighting of a run whose picture was fetched, with its exposure.
    pub fn occurrences(&self, run_id: i64) -> Result<Vec<OccurrenceRow>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT rp.exposure_id, rp.sha256, s.source, s.page_url, s.image_url, s.found_via, s.context,
                    s.verdicts_id
             FROM sightings s
             JOIN images i INDEXED BY images_run ON i.run_id = s.run_id AND i.url = s.image_url AND i.sha256 IS NOT NULL
             JOIN run_pictures rp ON rp.run_id = s.run_id AND rp.sha256 = i.sha256
             WHERE s.run_id = ?1
             GROUP BY s.id
             ORDER BY rp.exposure_id, s.id",
        )?;
        let mut maps = VerdictMaps::new(&self.conn);
        rows_of(&mut stmt, params![run_id], |r| {
            occurrence_from(r, &mut maps)
        })
    }

    /// Where a run saw some of its exposures: (exposure id, source, page,
    /// picture address) for every sighting whose picture was fetched, in no
    /// order, without the texts and verdicts [`Store::occurrences_of`]
    /// parses (what the next run compares its places with).
    pub fn run_places_of(&self, run_id: i64, ids: &[&str]) -> Result<Vec<Place>, StoreError> {
        self.with_ids(
            concat!(
                "SELECT rp.exposure_id, s.source, s.page_url, s.image_url",
                sightings_of_exposures!()
            ),
            Some(run_id),
            ids,
            |stmt, args| {
                rows_of(stmt, args, |r| {
                    Ok(Place {
                        exposure_id: r.get(0)?,
                        source: r.get(1)?,
                        page_url: r.get(2)?,
                        image_url: r.get(3)?,
                    })
                })
            },
        )
    }

    /// Where a run saw each of `ids`, or, for one it carried unseen, where
    /// it was last seen before ([`Store::last_seen_occurrences`]): what a
    /// comparison of two runs compares.
    pub fn places_of(&self, run_id: i64, ids: &[&str]) -> Result<Vec<Place>, StoreError> {
        let mut places = self.run_places_of(run_id, ids)?;
        let found: std::collections::HashSet<&str> =
            places.iter().map(|p| p.exposure_id.as_str()).collect();
        let unseen: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|id| !found.contains(id))
            .collect();
        let last_seen = self.last_seen_occurrences(run_id, &unseen)?;
        places.extend(last_seen.into_iter().map(|o| Place {
            exposure_id: o.exposure_id,
            source: o.source,
            page_url: o.page_url,
            image_url: o.image_url,
        }));
        Ok(places)
    }

    /// Where the open exposures of `run_id` were last seen: every page (by
    /// source) that showed one, and the picture addresses of those it
    /// carried unseen (which its own sightings do not name). The next run
    /// asks for these pages again if its crawl does not reach them, and for
    /// these addresses if no page links them: "gone" is then known, not
    /// guessed.
    pub fn last_seen_places(&self, run_id: i64) -> Result<LastSeen, StoreError> {
        let ids = self.live_exposure_ids(run_id)?;
        let mut out = LastSeen::default();
        for chunk in ids.chunks(512) {
            let chunk: Vec<&str> = chunk.iter().map(String::as_str).collect();
            let seen = self.run_places_of(run_id, &chunk)?;
            let found: std::collections::HashSet<&str> =
                seen.iter().map(|p| p.exposure_id.as_str()).collect();
            let carried: Vec<&str> = chunk
                .iter()
                .copied()
                .filter(|id| !found.contains(id))
                .collect();
            for o in self.last_seen_occurrences(run_id, &carried)? {
                out.pages.insert((o.source.clone(), o.page_url.clone()));
                out.carried_images.insert(o.image_url);
            }
            for p in seen {
                out.pages.insert((p.source, p.page_url));
            }
        }
        // Only pages a crawl fetched as pages: a sighting's page may be a
        // post's address from an API, a feed or a sitemap, never crawled.
        let mut was_page = self.conn.prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM pages INDEXED BY pages_url
             WHERE url = ?1 AND kind = 'html' AND status BETWEEN 200 AND 299 AND run_id <= ?2)",
        )?;
        let mut kept = std::collections::BTreeSet::new();
        for (source, page) in std::mem::take(&mut out.pages) {
            if was_page.query_row(params![page, run_id], |r| r.get::<_, bool>(0))? {
                kept.insert((source, page));
            }
        }
        out.pages = kept;
        Ok(out)
    }

    /// Calls `f` with each picture (sha256) of a run some page linked: its
    /// fetched pictures but those fetched only to see whether an unlinked
    /// address still answers. A picture at two addresses comes twice.
    pub fn sighted_pictures(&self, run_id: i64, mut f: impl FnMut(&str)) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT i.sha256 FROM images i
             WHERE i.run_id = ?1 AND i.sha256 IS NOT NULL
               AND EXISTS (SELECT 1 FROM sightings s WHERE s.run_id = i.run_id AND s.image_url = i.url)",
        )?;
        each_row(&mut stmt, params![run_id], |r| {
            f(text(r, 0)?);
            Ok(())
        })
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

    /// The sightings of a run for some of its exposures: a report's batch,
    /// in exposure order and within one by page and address, each sighting
    /// once. CROSS JOIN keeps SQLite from starting at the run's
    /// every image; the batch is sorted here rather than by SQLite's sorter.
    pub fn occurrences_of(
        &self,
        run_id: i64,
        ids: &[&str],
    ) -> Result<Vec<OccurrenceRow>, StoreError> {
        let mut rows: Vec<(i64, OccurrenceRow)> = self.with_ids(
            concat!(
                "SELECT rp.exposure_id, rp.sha256, s.source, s.page_url, s.image_url, s.found_via,
                        s.context, s.verdicts_id, s.id",
                sightings_of_exposures!()
            ),
            Some(run_id),
            ids,
            |stmt, args| {
                let mut maps = VerdictMaps::new(&self.conn);
                rows_of(stmt, args, |r| {
                    Ok((r.get(8)?, occurrence_from(r, &mut maps)?))
                })
            },
        )?;
        // A picture address fetched twice in a run has two image rows: its
        // sightings are still one each.
        rows.sort_unstable_by_key(|(id, _)| *id);
        rows.dedup_by_key(|(id, _)| *id);
        Ok(in_report_order(rows))
    }

    /// The analysed pictures of some of a run's exposures, with the
    /// exposure each belongs to, in exposure and sha256 order.
    pub fn exposure_pictures_of(
        &self,
        run_id: i64,
        ids: &[&str],
    ) -> Result<Vec<(String, Picture)>, StoreError> {
        self.with_ids(
            "SELECT p.sha256, p.phash, p.width, p.height, p.format, p.bytes, p.metadata, p.faces, p.largest_face,
                    rp.exposure_id
             FROM run_pictures rp CROSS JOIN pictures p ON p.sha256 = rp.sha256
             WHERE rp.run_id = ?1 AND rp.exposure_id IN ({}) ORDER BY rp.exposure_id, rp.sha256",
            Some(run_id),
            ids,
            |stmt, args| rows_of(stmt, args, |r| Ok((r.get(9)?, picture_from(r)?))),
        )
    }

    /// Prepares `sql`, whose `IN ({})` takes `ids` (after an optional run id
    /// as `?1`), and hands it with its arguments to `read`, 512 ids at a
    /// time (SQLite takes at most 32,766 values in one query, and a site
    /// that is down leaves every exposure unseen); the rows of each query
    /// follow the last. No ids, no query.
    fn with_ids<R>(
        &self,
        sql: &str,
        run_id: Option<i64>,
        ids: &[&str],
        mut read: impl FnMut(
            &mut rusqlite::Statement<'_>,
            rusqlite::ParamsFromIter<Vec<String>>,
        ) -> Result<Vec<R>, StoreError>,
    ) -> Result<Vec<R>, StoreError> {
        let first = if run_id.is_some() { 2 } else { 1 };
        let mut out = Vec::new();
        for ids in ids.chunks(512) {
            let mut stmt = self
                .conn
                .prepare_cached(&sql.replace("{}", &placeholders(first, ids.len())))?;
            let args: Vec<String> = run_id
                .map(|r| r.to_string())
                .into_iter()
                .chain(ids.iter().map(|s| s.to_string()))
                .collect();
            out.extend(read(&mut stmt, rusqlite::params_from_iter(args))?);
        }
        Ok(out)
    }

    /// Runs `f` inside one read transaction: one consistent snapshot of the
    /// database (a daemon may be writing the next run), and SQLite keeps its
    /// page cache and shared lock from one query to the next.
    pub fn read_snapshot<T>(&self, f: impl FnOnce() -> T) -> Result<T, StoreError> {
        self.conn.execute_batch("BEGIN DEFERRED")?;
        let out = f();
        self.conn.execute_batch("COMMIT")?;
        Ok(out)
    }

    /// A run's exposures, riskiest first (the report's order), each with
    /// whether this run saw it: all a streamed report keeps in memory. A run
    /// records the pictures of the exposures it saw (a sighting of one of
    /// their pictures) and of no other, so `run_pictures` answers "seen"
    /// without reading the run's sightings.
    pub fn report_order(&self, run_id: i64) -> Result<Vec<ReportKey>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT re.exposure_id, re.risk, re.change,
                    EXISTS (SELECT 1 FROM run_pictures rp
                            WHERE rp.exposure_id = re.exposure_id AND rp.run_id = re.run_id),
                    re.score
             FROM run_exposures re WHERE re.run_id = ?1 ORDER BY re.score DESC, re.exposure_id",
        )?;
        let order = stmt
            .query_map(params![run_id], |r| {
                Ok(ReportKey {
                    exposure_id: r.get(0)?,
                    risk: r.get(1)?,
                    change: r.get(2)?,
                    seen: r.get(3)?,
                    score: r.get(4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(order)
    }

    /// The pictures of a run's exposures (sha256 to exposure id).
    pub fn run_picture_exposures(&self, run_id: i64) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT sha256, exposure_id FROM run_pictures WHERE run_id = ?1 ORDER BY exposure_id, sha256")?;
        let rows = stmt.query_map(params![run_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn site_findings(&self, run_id: i64) -> Result<Vec<SiteFinding>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT kind, url, detail FROM site_findings WHERE run_id = ?1 ORDER BY kind, url, id",
        )?;
        let rows = stmt.query_map(params![run_id], |r| {
            Ok(SiteFinding {
                kind: r.get(0)?,
                url: r.get(1)?,
                detail: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
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

    /// Runs an integrity check; `Ok(true)` when SQLite says "ok".
    pub fn integrity_ok(&self) -> Result<bool, StoreError> {
        let r: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        Ok(r == "ok")
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

/// A (sha256, phash) row as the picture lists hold it.
fn digest_and_hash(r: &rusqlite::Row<'_>) -> Result<(Digest, u64), StoreError> {
    let sha = text(r, 0)?;
    let digest = crate::model::parse_digest(sha).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("not a sha256: {sha:?}").into(),
        )
    })?;
    Ok((digest, parse_phash(text(r, 1)?)?))
}

fn run_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunRow> {
    Ok(RunRow {
        id: r.get(0)?,
        started_at: r.get(1)?,
        finished_at: r.get(2)?,
        status: r.get(3)?,
        pages_fetched: r.get::<_, i64>(4)? as u64,
        images_fetched: r.get::<_, i64>(5)? as u64,
        fetch_errors: r.get::<_, i64>(6)? as u64,
        bytes_fetched: r.get::<_, i64>(7)? as u64,
    })
}

/// Parses JSON the store wrote; an error names the column.
fn from_json<T: serde::de::DeserializeOwned>(
    what: &'static str,
    text: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|source| StoreError::Json { what, source })
}

/// A stored perceptual hash: 16 hex digits, or an error (never 0, which
/// would group the picture with every plain one).
fn parse_phash(s: &str) -> Result<u64, rusqlite::Error> {
    u64::from_str_radix(s, 16).map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            1,
            rusqlite::types::Type::Text,
            format!("not a perceptual hash: {s:?}").into(),
        )
    })
}

/// Creates the database file 0600 before SQLite opens it, so it is never
/// world-readable even for a moment; WAL and SHM files inherit the mode.
#[cfg(unix)]
fn create_private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map(drop)
}

#[cfg(not(unix))]
fn create_private_file(path: &Path) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map(drop)
}

/// A `pictures` row (sha256, phash, width, height, format, bytes,
/// metadata, faces, largest_face), without its thumbnail.
/// Calls `f` with every row of a prepared query, which (unlike rusqlite's
/// `query_map`) may fail with a store error such as bad JSON; nothing is
/// held but what `f` keeps.
fn each_row(
    stmt: &mut rusqlite::Statement<'_>,
    args: impl rusqlite::Params,
    mut f: impl FnMut(&rusqlite::Row<'_>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut rows = stmt.query(args)?;
    while let Some(r) = rows.next()? {
        f(r)?;
    }
    Ok(())
}

/// Every row of a prepared query, each read by `read`.
fn rows_of<T>(
    stmt: &mut rusqlite::Statement<'_>,
    args: impl rusqlite::Params,
    mut read: impl FnMut(&rusqlite::Row<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    each_row(stmt, args, |r| {
        out.push(read(r)?);
        Ok(())
    })?;
    Ok(out)
}

/// Column `i` of a row as text, borrowed (no copy per row); another type
/// is an error, as `get::<String>` would give.
fn text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> Result<&'r str, StoreError> {
    let value = r.get_ref(i)?;
    value.as_str().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, value.data_type(), Box::new(e)).into()
    })
}

/// The robots verdict maps one read has met, by id: a site's sightings
/// share a handful, each read and parsed once and then shared.
struct VerdictMaps<'c> {
    conn: &'c Connection,
    seen: HashMap<i64, Arc<RobotsVerdicts>>,
}

impl<'c> VerdictMaps<'c> {
    fn new(conn: &'c Connection) -> Self {
        VerdictMaps {
            conn,
            seen: HashMap::new(),
        }
    }

    fn get(&mut self, id: i64) -> Result<Arc<RobotsVerdicts>, StoreError> {
        if let Some(v) = self.seen.get(&id) {
            return Ok(v.clone());
        }
        let json: String = self
            .conn
            .prepare_cached("SELECT verdicts FROM verdict_maps WHERE id = ?1")?
            .query_row([id], |r| r.get(0))?;
        let v: Arc<RobotsVerdicts> = Arc::new(from_json("verdict_maps.verdicts", &json)?);
        self.seen.insert(id, v.clone());
        Ok(v)
    }
}

/// An occurrence from its first eight columns: exposure_id, sha256, source,
/// page_url, image_url, found_via, context, verdicts_id.
fn occurrence_from(
    r: &rusqlite::Row<'_>,
    maps: &mut VerdictMaps<'_>,
) -> Result<OccurrenceRow, StoreError> {
    Ok(OccurrenceRow {
        exposure_id: r.get(0)?,
        sha256: r.get(1)?,
        source: r.get(2)?,
        page_url: r.get(3)?,
        image_url: r.get(4)?,
        found_via: r.get(5)?,
        context: from_json("sightings.context", &r.get::<_, String>(6)?)?,
        robots: maps.get(r.get(7)?)?,
    })
}

/// Sightings (with their row ids) in the order a report lists them: by
/// exposure, then page, picture address, how found and source, whatever
/// order the crawl happened to make them in, so two reports of the same
/// site read the same.
fn in_report_order(mut rows: Vec<(i64, OccurrenceRow)>) -> Vec<OccurrenceRow> {
    fn key(o: &OccurrenceRow) -> (&str, &str, &str, &str, &str) {
        (
            &o.exposure_id,
            &o.page_url,
            &o.image_url,
            o.found_via.as_str(),
            &o.source,
        )
    }
    rows.sort_by(|(a_id, a), (b_id, b)| (key(a), a_id).cmp(&(key(b), b_id)));
    rows.into_iter().map(|(_, o)| o).collect()
}

/// A `run_exposures` row from its first seven columns: exposure_id, risk,
/// score, reasons, details, change, image.
fn run_exposure_from(r: &rusqlite::Row<'_>) -> Result<RunExposure, StoreError> {
    let image = match r
        .get_ref(6)?
        .as_str_or_null()
        .map_err(rusqlite::Error::from)?
    {
        Some(json) => Some(Box::new(from_json("run_exposures.image", json)?)),
        None => None,
    };
    let change_reasons = match r
        .get_ref(8)?
        .as_str_or_null()
        .map_err(rusqlite::Error::from)?
    {
        Some(json) => from_json("run_exposures.change_reasons", json)?,
        None => Vec::new(),
    };
    Ok(RunExposure {
        exposure_id: r.get(0)?,
        risk: r.get(1)?,
        score: r.get(2)?,
        reasons: from_json("run_exposures.reasons", &r.get::<_, String>(3)?)?,
        details: from_json("run_exposures.details", &r.get::<_, String>(4)?)?,
        change: r.get(5)?,
        change_reasons,
        image,
    })
}

fn picture_from(r: &rusqlite::Row<'_>) -> Result<Picture, StoreError> {
    Ok(Picture {
        sha256: r.get(0)?,
        phash: parse_phash(&r.get::<_, String>(1)?)?,
        width: r.get(2)?,
        height: r.get(3)?,
        format: r.get(4)?,
        bytes: r.get::<_, i64>(5)? as u64,
        metadata: from_json("pictures.metadata", &r.get::<_, String>(6)?)?,
        faces: r.get(7)?,
        largest_face: r.get::<_, Option<f64>>(8)?.map(|f| f as f32),
        thumbnail: None,
    })
}

/// One exposure of a run as a streamed report first reads it: enough to
/// count the summary before the exposures are written.
#[derive(Debug, Clone)]
pub struct ReportKey {
    pub exposure_id: String,
    pub risk: Risk,
    pub change: crate::model::Change,
    /// Seen this run; otherwise carried from an earlier run (resolved, or
    /// on a page this run could not read).
    pub seen: bool,
    pub score: u32,
}

/// A stored risk band (written by `Risk::as_str`).
/// `?first, ?first+1, ...`: `n` numbered parameters for an `IN (...)` list.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Verdict;

    #[test]
    fn migrations_validate() {
        migrations().validate().expect("migrations are valid");
    }

    #[test]
    fn history_gives_the_latest_usable_fetch_of_an_earlier_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let mut store = Store::open(&path).unwrap();
        let page = |etag: &str, extract: Option<&str>| {
            Record::Page(PageRecord {
                url: "https://s/news/".into(),
                kind: "html".into(),
                status: Some(200),
                etag: Some(etag.into()),
                extract: extract.map(str::to_string),
                ..PageRecord::default()
            })
        };
        let image = |etag: &str, sha: Option<&str>| {
            Record::Image(ImageRecord {
                url: "https://s/a.jpg".into(),
                status: Some(200),
                etag: Some(etag.into()),
                sha256: sha.map(str::to_string),
                ..ImageRecord::default()
            })
        };
        store
            .conn
            .execute_batch(
                "INSERT INTO pictures (sha256, phash, width, height, format, bytes, metadata, analysed_at)
                 VALUES ('aa', '0000000000000000', 1, 1, 'jpeg', 1, '{}', 't'),
                        ('bb', '0000000000000000', 1, 1, 'jpeg', 1, '{}', 't')",
            )
            .unwrap();
        for (etag, extract, sha) in [("one", Some("{}"), Some("aa")), ("two", None, None)] {
            let run = store.begin_run("t").unwrap();
            store
                .write_batch(run, &[page(etag, extract), image(etag, sha)], "t")
                .unwrap();
        }
        // The run now crawling has fetched both again already.
        let now = store.begin_run("t").unwrap();
        store
            .write_batch(
                now,
                &[page("three", Some("{}")), image("three", Some("bb"))],
                "t",
            )
            .unwrap();
        let history = History::open(&path, now).unwrap();
        // Run two's fetches failed (no extraction, no picture): run one's stand.
        let p = history.page("html", "https://s/news/").unwrap();
        assert_eq!(
            (p.etag.as_deref(), p.payload.as_deref()),
            (Some("one"), Some("{}"))
        );
        let i = history.image("https://s/a.jpg").unwrap();
        assert_eq!(
            (i.etag.as_deref(), i.payload.as_deref()),
            (Some("one"), Some("aa"))
        );
        assert!(history.page("sitemap", "https://s/news/").is_none());
        assert!(history.image("https://s/b.jpg").is_none());
    }

    #[test]
    fn a_run_that_carries_every_exposure_is_looked_up_in_batches() {
        // More exposures than SQLite takes values in one query (32,766).
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let ids: Vec<String> = (0..40_000).map(|i| format!("exp-{i:016x}")).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        assert!(store.last_seen_occurrences(2, &ids).unwrap().is_empty());
        assert!(store.run_exposures_of(2, &ids).unwrap().is_empty());
        assert!(store.pictures_of(&ids).unwrap().is_empty());
    }

    #[test]
    fn verdicts_stored_with_each_sighting_move_to_shared_maps() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        // A run as version 8 stored it: each sighting with its own verdicts.
        let mut conn = Connection::open(&path).unwrap();
        migrations().to_version(&mut conn, 8).unwrap();
        conn.execute_batch(
            r#"INSERT INTO runs (id, started_at, status) VALUES (1, 't', 'complete');
               INSERT INTO pictures (sha256, phash, width, height, format, bytes, metadata, analysed_at)
                 VALUES ('aa', '0000000000000000', 10, 10, 'jpeg', 1, '{}', 't');
               INSERT INTO images (run_id, url, sha256, fetched_at) VALUES (1, 'https://s/a.jpg', 'aa', 't');
               INSERT INTO exposures (id, phash, first_run_id, first_seen_at)
                 VALUES ('exp-1', '0000000000000000', 1, 't');
               INSERT INTO run_pictures (run_id, sha256, exposure_id) VALUES (1, 'aa', 'exp-1');
               INSERT INTO sightings (run_id, source, page_url, image_url, found_via, context, robots) VALUES
                 (1, 'Site', 'https://s/1', 'https://s/a.jpg', 'img', '{}', '{"GPTBot":"allowed"}'),
                 (1, 'Site', 'https://s/2', 'https://s/a.jpg', 'img', '{}', '{"GPTBot":"allowed"}'),
                 (1, 'Site', 'https://s/3', 'https://s/a.jpg', 'img', '{}', '{"GPTBot":"disallowed"}');"#,
        )
        .unwrap();
        drop(conn);
        let mut store = Store::open(&path).unwrap();
        let verdict = |store: &Store, page: &str| {
            store
                .occurrences(1)
                .unwrap()
                .into_iter()
                .find(|o| o.page_url == page)
                .map(|o| o.robots["GPTBot"])
        };
        assert_eq!(
            verdict(&store, "https://s/1").as_ref(),
            Some(&Verdict::Allowed)
        );
        assert_eq!(
            verdict(&store, "https://s/2").as_ref(),
            Some(&Verdict::Allowed)
        );
        assert_eq!(
            verdict(&store, "https://s/3").as_ref(),
            Some(&Verdict::Disallowed)
        );
        let maps = |store: &Store| -> i64 {
            store
                .conn
                .query_row("SELECT COUNT(*) FROM verdict_maps", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(maps(&store), 2);

        // New sightings, in two batches: a map already stored is found, a
        // new one added once.
        let allowed: Arc<RobotsVerdicts> = Arc::new([("GPTBot".into(), Verdict::Allowed)].into());
        let other: Arc<RobotsVerdicts> = Arc::new([("CCBot".into(), Verdict::Allowed)].into());
        let sighting = |page: &str, v: &Arc<RobotsVerdicts>| {
            Record::Sighting(
                crate::model::Sighting {
                    source: "Site".into(),
                    page_url: page.into(),
                    image_url: "https://s/a.jpg".into(),
                    found_via: FoundVia::Img,
                    context: Context::default(),
                    page_robots: Vec::new(),
                },
                v.clone(),
            )
        };
        store
            .write_batch(
                1,
                &[
                    sighting("https://s/4", &allowed),
                    sighting("https://s/5", &other),
                ],
                "t",
            )
            .unwrap();
        store
            .write_batch(1, &[sighting("https://s/6", &other)], "t")
            .unwrap();
        assert_eq!(maps(&store), 3);
        assert_eq!(
            verdict(&store, "https://s/4").as_ref(),
            Some(&Verdict::Allowed)
        );
        let ccbot = |page: &str| {
            store
                .occurrences(1)
                .unwrap()
                .into_iter()
                .find(|o| o.page_url == page)
                .map(|o| o.robots.get("CCBot").cloned())
        };
        assert_eq!(ccbot("https://s/6"), Some(Some(Verdict::Allowed)));
    }

    #[cfg(unix)]
    #[test]
    fn database_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/db.sqlite");
        let store = Store::open(&path).unwrap();
        assert!(store.integrity_ok().unwrap());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dmode = std::fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(dmode, 0o700);
    }

    #[test]
    fn running_runs_become_interrupted() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let id = store.begin_run("2026-01-01T00:00:00Z").unwrap();
        assert_eq!(store.mark_interrupted("2026-01-01T01:00:00Z").unwrap(), 1);
        assert_eq!(
            store.run(id).unwrap().unwrap().status,
            RunStatus::Interrupted
        );
        assert_eq!(store.mark_interrupted("2026-01-01T01:00:00Z").unwrap(), 0);
    }

    #[test]
    fn a_change_by_hand_waits_for_an_audit_closing_its_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        drop(Store::open(&path).unwrap());
        // Another process writes for longer than an audit's 5 s wait, as a
        // closing run of a large site does.
        let holder = Connection::open(&path).unwrap();
        holder.execute_batch("BEGIN IMMEDIATE").unwrap();
        let writing = std::time::Duration::from_secs(6);
        let release = std::thread::spawn(move || {
            std::thread::sleep(writing);
            holder.execute_batch("COMMIT").unwrap();
        });
        let started = std::time::Instant::now();
        let mut store = Store::open_for_edit(&path).unwrap();
        store.purge(1, "2026-11-30T00:00:00Z").unwrap();
        assert!(started.elapsed() >= writing - std::time::Duration::from_millis(500));
        release.join().unwrap();
        // A plain open still gives up after five seconds.
        let holder = Connection::open(&path).unwrap();
        holder.execute_batch("BEGIN IMMEDIATE").unwrap();
        let mut store = Store::open(&path).unwrap();
        assert!(store.purge(1, "2026-11-30T00:00:00Z").is_err());
    }
}
