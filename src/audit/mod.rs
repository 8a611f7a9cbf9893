//! One audit run, end to end: opens the store, crawls every source, writes
//! what it saw through one writer thread in batched transactions, groups the
//! pictures into exposures, scores them, computes the changes against the
//! previous run and closes the run with its status. Shared by the `audit`
//! command, `demo` and (later) the daemon.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::alerts;
use crate::analysis::details;
use crate::config::AlertSettings;
use crate::config::Config;
use crate::crawl::{Crawl, CrawlOutcome, Progress};
use crate::fetch::Fetcher;
use crate::group;
use crate::model::{
    digest_hex, parse_digest, Change, Digest, PictureMetadata, Risk, RobotsVerdicts,
};
use crate::risk;
use crate::scope::AddressPolicy;
use crate::store::{Record, RunCounts, RunExposure, RunStatus, Store, StoreError};

mod closing;

use closing::*;

/// Records per write transaction.
const BATCH: usize = 512;
/// Most unlinked picture addresses fetched again per run.
const MAX_REFETCH: usize = 2000;

/// Why a run could not be carried out at all.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The database could not be opened, migrated or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The HTTP client could not be built (TLS roots, resolver).
    #[error("cannot start the HTTP client: {0}")]
    Client(String),
    /// The crawler list named by `crawl.crawlers_file` is unusable.
    #[error("{0}")]
    Crawlers(String),
    /// Another audit holds this database (a run in progress, or a daemon).
    #[error("another audit is running on {0}; wait for it to finish")]
    Busy(String),
    /// A daemon already audits this database.
    #[error("a daemon already audits {0} (`exposure-audit status` says so); stop it first")]
    DaemonRunning(String),
}

/// Holds `<database>.lock` for the length of a run, so that a second audit
/// on the same database neither runs beside it nor marks its run interrupted.
pub struct RunLock(#[allow(dead_code)] std::fs::File);

impl RunLock {
    pub fn acquire(db: &std::path::Path) -> Result<RunLock, AuditError> {
        match lock_beside(db, ".lock")? {
            Some(file) => Ok(RunLock(file)),
            None => Err(AuditError::Busy(db.display().to_string())),
        }
    }
}

/// Holds `<database>.daemon` for as long as a daemon runs on the database,
/// so `status` can say whether one does and a second daemon is refused.
pub struct DaemonLock(#[allow(dead_code)] std::fs::File);

impl DaemonLock {
    pub fn acquire(db: &std::path::Path) -> Result<DaemonLock, AuditError> {
        match lock_beside(db, ".daemon")? {
            Some(file) => Ok(DaemonLock(file)),
            None => Err(AuditError::DaemonRunning(db.display().to_string())),
        }
    }

    /// Whether a daemon holds the database now (no lock file: none ever ran).
    pub fn is_held(db: &std::path::Path) -> bool {
        let Ok(resolved) = resolve_file(db) else {
            return false;
        };
        let mut name = resolved.into_os_string();
        name.push(".daemon");
        let path = std::path::PathBuf::from(name);
        if !path.exists() {
            return false;
        }
        crate::private_file::open_own_file(&path)
            .is_ok_and(|f| matches!(f.try_lock(), Err(std::fs::TryLockError::WouldBlock)))
    }
}

/// Takes the lock file `<resolved database><suffix>` (created 0600, never
/// through a symlink); `None` when another process holds it. The lock
/// belongs to the database file itself, whatever names it: a symlink or a
/// second path to the same file takes the same lock.
fn lock_beside(db: &std::path::Path, suffix: &str) -> Result<Option<std::fs::File>, AuditError> {
    let open_err = |path: &std::path::Path, e: std::io::Error| StoreError::Open {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    if let Some(parent) = db.parent().filter(|p| !p.as_os_str().is_empty()) {
        crate::private_file::create_private_dir(parent).map_err(|e| open_err(db, e))?;
    }
    let resolved = resolve_file(db).map_err(|e| open_err(db, e))?;
    let mut name = resolved.into_os_string();
    name.push(suffix);
    let path = std::path::PathBuf::from(name);
    let file = crate::private_file::open_own_file(&path).map_err(|e| open_err(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(open_err(&path, e).into()),
    }
}

/// The real path of a file that may not exist yet: the file's own if it
/// does (symlinks followed), else its resolved folder joined with its name.
fn resolve_file(path: &std::path::Path) -> std::io::Result<std::path::PathBuf> {
    match std::fs::canonicalize(path) {
        Ok(p) => Ok(p),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
            let dir = std::fs::canonicalize(parent.unwrap_or(std::path::Path::new(".")))?;
            Ok(match path.file_name() {
                Some(name) => dir.join(name),
                None => dir,
            })
        }
        Err(e) => Err(e),
    }
}

/// What a finished run reports back to its caller.
#[derive(Debug, Clone)]
pub struct AuditSummary {
    pub run_id: i64,
    pub status: RunStatus,
    pub counts: RunCounts,
    pub exposures: usize,
    pub by_risk: HashMap<Risk, usize>,
    pub by_change: HashMap<crate::model::Change, usize>,
    pub failed_sources: Vec<(String, String)>,
    pub skipped: HashMap<String, u64>,
    pub elapsed: Duration,
}

/// Current time as the store and reports write it.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Runs one audit over every configured source.
pub async fn run(config: &Config, progress: Arc<dyn Progress>) -> Result<AuditSummary, AuditError> {
    run_until(config, progress, CancellationToken::new()).await
}

/// Runs one audit that stops early when `cancel` fires: fetches in flight
/// are dropped, what was analysed is already committed, and the run is
/// marked interrupted (so no picture turns resolved because of it).
pub async fn run_until(
    config: &Config,
    progress: Arc<dyn Progress>,
    cancel: CancellationToken,
) -> Result<AuditSummary, AuditError> {
    let started = Instant::now();
    let lock = RunLock::acquire(&config.storage.database)?;
    let store = Store::open(&config.storage.database)?;
    let interrupted = store.mark_interrupted(&now())?;
    if interrupted > 0 {
        tracing::warn!(
            interrupted,
            "marked runs left running by an earlier crash as interrupted"
        );
    }
    let crawlers = crate::robots::crawlers(config.crawl.crawlers_file.as_deref())
        .map_err(AuditError::Crawlers)?;
    let policy = AddressPolicy::new(config.named_hosts(), config.crawl.allow_private_addresses);
    let fetcher =
        Fetcher::new(&config.crawl, policy).map_err(|e| AuditError::Client(e.to_string()))?;
    let known_pictures = store.known_picture_keys()?;
    // Its picture addresses are fetched again if no page links them now.
    let previous = store.latest_reportable_run()?.map(|r| r.id);
    // Where its open exposures were last seen: asked again if not reached.
    let last_seen = match previous {
        Some(p) => store.last_seen_places(p)?,
        None => crate::store::LastSeen::default(),
    };
    let run_id = store.begin_run(&now())?;
    store.set_run_policy(run_id, config.risk.max_published_side)?;
    let history = match crate::store::History::open(&config.storage.database, run_id) {
        Ok(h) => h,
        Err(e) => {
            store.finish_run(
                run_id,
                RunStatus::Failed,
                RunCounts::default(),
                Some(&e.to_string()),
                &now(),
            )?;
            return Err(e.into());
        }
    };
    let span = tracing::info_span!("run", id = run_id);
    let parts = (
        fetcher,
        crawlers,
        history,
        known_pictures,
        (previous, last_seen),
    );
    let result = run_body(config, progress, cancel, store, run_id, started, parts)
        .instrument(span)
        .await;
    drop(lock);
    result
}

type CrawlerParts = (
    Fetcher,
    Vec<crate::robots::Crawler>,
    crate::store::History,
    HashSet<u128>,
    (Option<i64>, crate::store::LastSeen),
);

async fn run_body(
    config: &Config,
    progress: Arc<dyn Progress>,
    cancel: CancellationToken,
    store: Store,
    run_id: i64,
    started: Instant,
    (fetcher, crawlers, history, known_pictures, (previous, last_seen)): CrawlerParts,
) -> Result<AuditSummary, AuditError> {
    tracing::info!(sources = config.sources.len(), "audit started");

    let (tx, rx) = mpsc::channel::<Record>(BATCH * 4);
    let writer = std::thread::Builder::new()
        .name("store-writer".into())
        .spawn(move || write_loop(store, run_id, rx))
        .expect("spawn writer thread");

    let mut crawl = Crawl::new(
        fetcher,
        config.crawl.clone(),
        crawlers,
        history,
        known_pictures,
        tx.clone(),
        progress,
    );
    crawl.cancel = cancel;
    let crawl = Arc::new(
        crawl
            .with_scope(&config.sources)
            .reasking(last_seen.pages.into_iter()),
    );
    let deadline = started + config.crawl.max_run_time;
    let mut outcome = crawl.run(&config.sources, deadline).await;
    if outcome.cancelled {
        return interrupted(crawl, tx, writer, run_id, started, outcome).await;
    }
    // Addresses seen last run that no page links now: still served? (The
    // first in address order, at most MAX_REFETCH of them.)
    let mut unlinked: BTreeSet<String> = BTreeSet::new();
    if let Some(p) = previous {
        let mut consider = |url: &str| {
            if !outcome.pictures.sighted(url) && !unlinked.contains(url) {
                unlinked.insert(url.to_string());
                if unlinked.len() > MAX_REFETCH {
                    unlinked.pop_last();
                }
            }
        };
        // Also those it carried unseen: a picture no page showed last run
        // is asked for again too, until it is known gone.
        for url in &last_seen.carried_images {
            consider(url);
        }
        let read = crawl.history().picture_addresses(p, consider);
        if let Err(e) = read {
            tracing::warn!(error = %e, "cannot read the last run's picture addresses; not fetching unlinked ones again");
        }
    }
    let unlinked: Vec<String> = unlinked.into_iter().collect();
    // The run's picture addresses are not needed past here: the closing
    // reads what it needs from the store.
    outcome.pictures = crate::crawl::Pictures::default();
    // Not when the crawl saw nothing (the site is down): that run fails as it is.
    let crawled_nothing = crawl.counters.pages_fetched.load(Ordering::Relaxed) == 0;
    let still_served: HashSet<String> =
        if unlinked.is_empty() || outcome.deadline_hit || crawled_nothing {
            HashSet::new()
        } else {
            let source = config
                .sources
                .first()
                .map_or("re-check", |s| s.name.as_str());
            crawl
                .refetch_unlinked(unlinked, source)
                .await
                .into_iter()
                .collect()
        };
    // After the unlinked addresses were asked for again, which count too.
    outcome.off_site_errors = crawl.counters.off_site_errors.load(Ordering::Relaxed);
    let (counts, store, write_result) = close_crawl(crawl, tx, writer).await;
    let mut store = store;
    if let Err(e) = write_result {
        store.finish_run(
            run_id,
            RunStatus::Failed,
            counts,
            Some(&e.to_string()),
            &now(),
        )?;
        return Err(e.into());
    }
    tracing::info!(
        pages = counts.pages_fetched,
        images = counts.images_fetched,
        secs = started.elapsed().as_secs(),
        "crawl finished; grouping and scoring"
    );

    match finish(
        &mut store,
        &config.risk,
        config.alerts.as_ref(),
        run_id,
        &outcome,
        &still_served,
        counts,
    ) {
        Ok((status, exposures, by_risk, by_change)) => {
            tracing::info!(
                status = status.as_str(),
                exposures,
                pages = counts.pages_fetched,
                images = counts.images_fetched,
                errors = counts.fetch_errors,
                "audit finished"
            );
            Ok(AuditSummary {
                run_id,
                status,
                counts,
                exposures,
                by_risk,
                by_change,
                failed_sources: outcome.failed_sources,
                skipped: outcome.skipped,
                elapsed: started.elapsed(),
            })
        }
        Err(e) => {
            let _ = store.finish_run(
                run_id,
                RunStatus::Failed,
                counts,
                Some(&e.to_string()),
                &now(),
            );
            Err(e.into())
        }
    }
}

type Writer = std::thread::JoinHandle<(Store, Result<(), StoreError>)>;

/// Ends the crawl: reads its counts, closes the record channel and waits
/// for the writer to commit what it holds.
async fn close_crawl(
    crawl: Arc<Crawl>,
    tx: mpsc::Sender<Record>,
    writer: Writer,
) -> (RunCounts, Store, Result<(), StoreError>) {
    let counts = RunCounts {
        pages_fetched: crawl.counters.html_pages.load(Ordering::Relaxed),
        images_fetched: crawl.counters.images_fetched.load(Ordering::Relaxed),
        fetch_errors: crawl.counters.fetch_errors.load(Ordering::Relaxed),
        bytes_fetched: crawl.fetcher.bytes_received(),
        documents_fetched: crawl.counters.documents.load(Ordering::Relaxed),
        other_fetched: crawl.counters.other_files.load(Ordering::Relaxed),
    };
    drop(tx);
    drop(crawl);
    let (store, write_result) =
        tokio::task::spawn_blocking(move || writer.join().expect("writer thread does not panic"))
            .await
            .expect("join writer");
    (counts, store, write_result)
}

/// Closes a run stopped by shutdown: what the writer holds is committed,
/// and the run is marked interrupted, so the next run compares against the
/// last whole one.
async fn interrupted(
    crawl: Arc<Crawl>,
    tx: mpsc::Sender<Record>,
    writer: Writer,
    run_id: i64,
    started: Instant,
    outcome: CrawlOutcome,
) -> Result<AuditSummary, AuditError> {
    let (counts, store, write_result) = close_crawl(crawl, tx, writer).await;
    let error = match &write_result {
        Ok(()) => "stopped by shutdown".to_string(),
        Err(e) => format!("stopped by shutdown; {e}"),
    };
    store.finish_run(run_id, RunStatus::Interrupted, counts, Some(&error), &now())?;
    tracing::warn!(
        pages = counts.pages_fetched,
        images = counts.images_fetched,
        "audit interrupted"
    );
    Ok(AuditSummary {
        run_id,
        status: RunStatus::Interrupted,
        counts,
        exposures: 0,
        by_risk: HashMap::new(),
        by_change: HashMap::new(),
        failed_sources: outcome.failed_sources,
        skipped: outcome.skipped,
        elapsed: started.elapsed(),
    })
}

/// The writer thread: batches records into transactions until the channel closes.
fn write_loop(
    mut store: Store,
    run_id: i64,
    mut rx: mpsc::Receiver<Record>,
) -> (Store, Result<(), StoreError>) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut result = Ok(());
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        if result.is_ok() {
            result = store.write_batch(run_id, &batch, &now());
            if let Err(e) = &result {
                tracing::error!(error = %e, "cannot write to the database; the run will be marked failed");
            }
        }
        batch.clear();
    }
    (store, result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_audit_on_one_database_is_refused_while_the_first_runs() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db.sqlite");
        let first = RunLock::acquire(&db).unwrap();
        assert!(matches!(RunLock::acquire(&db), Err(AuditError::Busy(_))));
        drop(first);
        assert!(RunLock::acquire(&db).is_ok());
    }
}
