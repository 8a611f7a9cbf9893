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
        M::up(include_str!("../../migrations/0001_initial.sql")),
        M::up(include_str!("../../migrations/0002_faces.sql")),
        M::up(include_str!("../../migrations/0003_withdrawn.sql")),
        M::up(include_str!("../../migrations/0004_outbox.sql")),
        M::up(include_str!(
            "../../migrations/0005_retention_and_protected_names.sql"
        )),
        M::up(include_str!("../../migrations/0006_thumbnails.sql")),
        M::up(include_str!("../../migrations/0007_report_indexes.sql")),
        M::up(include_str!("../../migrations/0008_exposure_image.sql")),
        M::up(include_str!("../../migrations/0009_verdict_maps.sql")),
        M::up(include_str!("../../migrations/0010_change_reasons.sql")),
        M::up(include_str!("../../migrations/0011_pages_by_address.sql")),
        M::up(include_str!("../../migrations/0012_run_policy.sql")),
        M::up(include_str!("../../migrations/0013_run_counts.sql")),
        M::up(include_str!("../../migrations/0014_document_pages.sql")),
        M::up(include_str!("../../migrations/0015_mirror_hash.sql")),
        M::up(include_str!("../../migrations/0016_detail_hash.sql")),
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
    pub documents_fetched: u64,
    pub other_fetched: u64,
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
             fetch_errors = ?6, bytes_fetched = ?7, error = ?8, documents_fetched = ?9,
             other_fetched = ?10 WHERE id = ?1",
        params![
            run_id,
            status.as_str(),
            now,
            counts.pages_fetched as i64,
            counts.images_fetched as i64,
            counts.fetch_errors as i64,
            counts.bytes_fetched as i64,
            error,
            counts.documents_fetched as i64,
            counts.other_fetched as i64
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
    /// HTML pages.
    pub pages_fetched: u64,
    pub images_fetched: u64,
    pub fetch_errors: u64,
    pub bytes_fetched: u64,
    /// PDF, Word, PowerPoint, OpenDocument and like documents.
    pub documents_fetched: u64,
    /// Sitemaps, feeds, stylesheets, API pages, robots.txt, anything else.
    pub other_fetched: u64,
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
    /// The page or slide, for a picture inside a document.
    pub document_page: Option<u32>,
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

// The store by entity: each file holds the SQL of one part of the schema.
mod exposures;
mod history;
mod ingest;
mod outbox;
mod pictures;
mod protected;
mod reads;
mod retention;
mod runs;
mod takedown;

pub use history::History;

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// How long a command that changes the database by hand (withdraw, protect,
/// purge) waits for another process's write. An audit holds the database
/// while it groups, scores and closes its run: 2.5 s at 20,000 pages,
/// about 18 s at 100,000 (docs/performance.md); an audit itself waits 5 s.
pub const EDIT_WAIT: std::time::Duration = std::time::Duration::from_mins(2);

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
                .chain(ids.iter().map(std::string::ToString::to_string))
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

    /// Runs an integrity check; `Ok(true)` when SQLite says "ok".
    pub fn integrity_ok(&self) -> Result<bool, StoreError> {
        let r: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        Ok(r == "ok")
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
        documents_fetched: r.get::<_, i64>(8)? as u64,
        other_fetched: r.get::<_, i64>(9)? as u64,
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

/// An occurrence from its first nine columns: exposure_id, sha256, source,
/// page_url, image_url, found_via, context, verdicts_id, document_page.
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
        document_page: r.get(8)?,
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
        // Grouping reads it on its own (`run_picture_mirrors`).
        phash_mirror: None,
        phash_detail: None,
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
mod tests;
