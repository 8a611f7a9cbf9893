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
    outcome.pictures = Default::default();
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
        pages_fetched: crawl.counters.pages_fetched.load(Ordering::Relaxed),
        images_fetched: crawl.counters.images_fetched.load(Ordering::Relaxed),
        fetch_errors: crawl.counters.fetch_errors.load(Ordering::Relaxed),
        bytes_fetched: crawl.fetcher.bytes_received(),
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

type Finished = (
    RunStatus,
    usize,
    HashMap<Risk, usize>,
    HashMap<Change, usize>,
);

/// Exposures assessed per read of their sightings and pictures.
const SCORE_BATCH: usize = 512;

/// What assessing one batch of exposures needs, besides the store.
struct Scoring<'a> {
    run_id: i64,
    previous: Option<i64>,
    policy: &'a risk::Policy,
    alert_settings: Option<&'a AlertSettings>,
    /// The takedown register, as a BK-tree: any copy of a withdrawn picture.
    register: &'a group::BkTree,
    protected: &'a crate::protect::Matcher,
    /// The run's pictures (sha256, hash), sorted by sha256.
    pictures: &'a [(Digest, u64)],
    /// Pages this run or the previous one asked for and could not read (a
    /// 500, a time-out): what one run saw there cannot be compared with the
    /// other, so neither a copy gone nor a copy added is said of them.
    unread_pages: &'a HashSet<String>,
}

/// Groups, scores, computes changes and closes the run. The grouping is
/// made in memory from the pictures' hashes; the exposures are then scored
/// a batch at a time from the sightings the writer stored, inside one write
/// transaction that also closes the run: the run holds neither its
/// sightings nor its assessments, and a crash leaves no half-closed run.
fn finish(
    store: &mut Store,
    policy: &risk::Policy,
    alert_settings: Option<&AlertSettings>,
    run_id: i64,
    outcome: &CrawlOutcome,
    still_served: &HashSet<String>,
    counts: RunCounts,
) -> Result<Finished, StoreError> {
    let pictures = store.run_pictures(run_id)?;
    let mut register = group::BkTree::new();
    for (i, w) in store.withdrawn()?.iter().enumerate() {
        register.insert(u64::from_str_radix(&w.phash, 16).unwrap_or(0), i);
    }
    let protected = crate::protect::Matcher::load(store)?;
    let known = group::Known::new(store.known_exposures()?);
    let known_pictures = store.known_picture_exposures(&pictures, |id| known.place(id))?;
    let mut grouping = group::group(&pictures, known, &known_pictures);
    drop(known_pictures);

    // WordPress size variants of one upload are one picture even where a
    // square crop moves the hash too far. Sorted, so links do not depend on
    // fetch order.
    let mut by_key: std::collections::BTreeMap<String, BTreeSet<usize>> = Default::default();
    store.for_each_run_image(run_id, |url, sha| {
        let Some(key) = crate::extract::wordpress::variant_key(url) else {
            return;
        };
        // `pictures` is sorted by sha256 and holds every picture of the run.
        let found =
            parse_digest(sha).and_then(|d| pictures.binary_search_by(|(s, _)| s.cmp(&d)).ok());
        if let Some(i) = found {
            by_key.entry(key).or_default().insert(i);
        }
    })?;
    let links: Vec<(usize, usize)> = by_key
        .values()
        .flat_map(|shas| {
            let first = shas.first().copied().unwrap_or_default();
            shas.iter().skip(1).map(move |&i| (first, i))
        })
        .collect();
    drop(by_key);
    group::merge_linked(&mut grouping, &links);

    // The exposures some page showed this run, and their pictures (a
    // picture fetched only to see whether an unlinked address still
    // answers is not one of them).
    let mut sighted: HashSet<u128> = HashSet::new();
    store.sighted_pictures(run_id, |sha| {
        sighted.insert(crate::analysis::hash::sha256_key(sha));
    })?;
    let mut shown = vec![false; grouping.exposures()];
    for (i, (sha, _)) in pictures.iter().enumerate() {
        if sighted.contains(&crate::analysis::hash::digest_key(sha)) {
            shown[grouping.of[i] as usize] = true;
        }
    }
    drop(sighted);
    // By number (four bytes an exposure), in id order.
    let mut seen: Vec<u32> = (0..grouping.exposures() as u32)
        .filter(|&e| shown[e as usize])
        .collect();
    seen.sort_unstable_by(|&a, &b| grouping.id(a).cmp(grouping.id(b)));
    let run_pictures = pictures
        .iter()
        .zip(&grouping.of)
        .filter(|(_, e)| shown[**e as usize])
        .map(|((sha, _), e)| (digest_hex(sha), grouping.id(*e)));

    // Exposures of the previous run not seen now: resolved only when every
    // page they were seen on was fetched this run and answered.
    let still_served: HashSet<Digest> = still_served
        .iter()
        .filter_map(|s| parse_digest(s))
        .collect();
    let served_exposures: HashSet<&str> = pictures
        .iter()
        .enumerate()
        .filter(|(_, (sha, _))| still_served.contains(sha))
        .map(|(i, _)| grouping.exposure(i))
        .collect();
    let previous = store.previous_reportable_run(run_id)?;
    let nothing_seen = counts.pages_fetched == 0 && counts.images_fetched == 0;
    let status = if nothing_seen {
        RunStatus::Failed
    } else if counts.fetch_errors > outcome.off_site_errors
        || !outcome.failed_sources.is_empty()
        || outcome.deadline_hit
    {
        // Something in the school's own scope could not be read; a failed
        // off-site requisite (a CDN's stylesheet) is listed, not partial.
        RunStatus::Partial
    } else {
        RunStatus::Complete
    };
    let error = nothing_seen.then_some("nothing could be fetched from any source");
    let mut unread_pages: HashSet<String> = HashSet::new();
    for run in std::iter::once(run_id).chain(previous) {
        unread_pages.extend(store.unread_pages(run)?);
    }
    let scoring = Scoring {
        run_id,
        previous,
        policy,
        alert_settings,
        register: &register,
        protected: &protected,
        pictures: &pictures,
        unread_pages: &unread_pages,
    };
    let closed_at = now();
    let mut alert_items = Vec::new();
    let mut by_risk = HashMap::new();
    let mut by_change = HashMap::new();
    let mut assessed = 0;
    let mut tally = |batch: &[RunExposure]| {
        for e in batch {
            *by_risk.entry(e.risk).or_insert(0) += 1;
            *by_change.entry(e.change).or_insert(0) += 1;
        }
        assessed += batch.len();
    };
    store.write_transaction(|s| {
        s.add_exposures(run_id, &grouping.new_exposures, &closed_at)?;
        s.add_run_pictures(run_id, run_pictures)?;
        for numbers in seen.chunks(SCORE_BATCH) {
            let ids: Vec<&str> = numbers.iter().map(|&e| grouping.id(e)).collect();
            let ids = ids.as_slice();
            let batch = score_batch(s, &scoring, ids, &mut alert_items)?;
            s.add_run_exposures(run_id, &batch)?;
            tally(&batch);
        }
        if let Some(p) = previous {
            let unseen: Vec<String> = s
                .live_exposure_ids(p)?
                .into_iter()
                .filter(|id| seen.binary_search_by(|&e| grouping.id(e).cmp(id)).is_err())
                .collect();
            let unseen: Vec<&str> = unseen.iter().map(String::as_str).collect();
            let fetched_ok: HashSet<String> = if unseen.is_empty() {
                HashSet::new()
            } else {
                s.pages_of_run(run_id)?
                    .into_iter()
                    .filter(|(_, _, status, _)| matches!(status, Some(200..=299 | 304 | 404 | 410)))
                    .map(|(url, ..)| url)
                    .collect()
            };
            let unreadable = if unseen.is_empty() {
                HashSet::new()
            } else {
                s.unreadable_images(run_id)?
            };
            // Looked at: its page (or platform source) was read, and the
            // picture itself answered (a copy that failed is not gone).
            let looked_at = |place: &crate::store::Place| {
                (fetched_ok.contains(&place.page_url)
                    || outcome.complete_social_sources.contains(&place.source))
                    && !unreadable.contains(&place.image_url)
            };
            for ids in unseen.chunks(SCORE_BATCH) {
                let batch = carry_batch(
                    s,
                    &scoring,
                    p,
                    ids,
                    &looked_at,
                    &served_exposures,
                    &mut alert_items,
                )?;
                s.add_run_exposures(run_id, &batch)?;
                tally(&batch);
            }
        }
        let queued = match alert_settings {
            Some(settings) if status != RunStatus::Failed => alerts::compose(
                settings,
                alerts::RunInfo {
                    id: run_id,
                    status,
                    counts,
                },
                &alert_items,
            ),
            _ => Vec::new(),
        };
        s.end_run(run_id, status, counts, error, &queued, &closed_at)?;
        if !queued.is_empty() {
            tracing::info!(
                exposures = alert_items.len(),
                messages = queued.len(),
                "alerts queued"
            );
        }
        Ok(())
    })?;
    Ok((status, assessed, by_risk, by_change))
}

/// Where the previous run saw (or, for one it carried unseen, last saw)
/// each of `ids` it assessed: places sorted and each once.
fn places_before(
    s: &Store,
    previous: i64,
    ids: &[&str],
) -> Result<HashMap<String, Vec<crate::store::Place>>, StoreError> {
    let mut places: HashMap<String, Vec<crate::store::Place>> = HashMap::new();
    for p in s.places_of(previous, ids)? {
        places.entry(p.exposure_id.clone()).or_default().push(p);
    }
    for v in places.values_mut() {
        v.sort_unstable_by(|a, b| {
            (&a.page_url, &a.image_url, &a.source).cmp(&(&b.page_url, &b.image_url, &b.source))
        });
        v.dedup_by(|a, b| {
            (&a.page_url, &a.image_url, &a.source) == (&b.page_url, &b.image_url, &b.source)
        });
    }
    Ok(places)
}

/// Assesses some exposures seen this run (`ids`, sorted) from their stored
/// sightings and pictures, and compares each with the previous run.
fn score_batch(
    s: &Store,
    c: &Scoring<'_>,
    ids: &[&str],
    alert_items: &mut Vec<alerts::AlertItem>,
) -> Result<Vec<RunExposure>, StoreError> {
    let occurrences = s.occurrences_of(c.run_id, ids)?;
    let mut pictures: HashMap<String, Vec<crate::model::Picture>> = HashMap::new();
    for (exp, p) in s.exposure_pictures_of(c.run_id, ids)? {
        pictures.entry(exp).or_default().push(p);
    }
    let (before, mut places) = match c.previous {
        Some(p) => (
            s.run_exposures_of(p, ids)?
                .into_iter()
                .map(|(e, _)| (e.exposure_id.clone(), e))
                .collect::<HashMap<_, _>>(),
            places_before(s, p, ids)?,
        ),
        None => (HashMap::new(), HashMap::new()),
    };
    let mut out = Vec::with_capacity(ids.len());
    for sightings in occurrences.chunk_by(|a, b| a.exposure_id == b.exposure_id) {
        let exp = sightings[0].exposure_id.as_str();
        let mut shas: Vec<&str> = sightings.iter().map(|o| o.sha256.as_str()).collect();
        shas.sort_unstable();
        shas.dedup();
        let mut urls: Vec<&str> = sightings.iter().map(|o| o.image_url.as_str()).collect();
        urls.sort_unstable();
        urls.dedup();
        let mut now_places: Vec<(&str, &str)> = sightings
            .iter()
            .map(|o| (o.page_url.as_str(), o.image_url.as_str()))
            .collect();
        now_places.sort_unstable();
        now_places.dedup();
        // The details cite one page; the smallest URL keeps that stable across runs.
        let first_page = now_places[0].0;
        let verdicts: Vec<&RobotsVerdicts> = sightings.iter().map(|o| &*o.robots).collect();
        // Each copy's stored analysis: the pictures a page showed.
        let copies: Vec<&crate::model::Picture> = pictures
            .get(exp)
            .into_iter()
            .flatten()
            .filter(|p| shas.binary_search(&p.sha256.as_str()).is_ok())
            .collect();
        let largest = copies
            .iter()
            .map(|p| p.width.max(p.height))
            .max()
            .unwrap_or(0);
        let meta_refs: Vec<&PictureMetadata> = copies.iter().map(|p| &p.metadata).collect();
        let faces = copies.iter().filter_map(|p| p.faces).max();
        let largest_face = copies
            .iter()
            .filter_map(|p| p.largest_face)
            .fold(0.0f32, f32::max);
        // Details found on any copy belong to the exposure. Sorted, so the
        // page a detail cites does not depend on crawl order.
        let mut details: Vec<crate::model::Detail> = sightings
            .iter()
            .flat_map(|o| details::from_context(&o.context, &o.image_url, &o.page_url))
            .chain(
                meta_refs
                    .iter()
                    .flat_map(|m| details::from_metadata(m, first_page)),
            )
            .collect();
        details.sort_by(|x, y| {
            (x.kind.as_str(), &x.text, x.location.as_str(), &x.page_url).cmp(&(
                y.kind.as_str(),
                &y.text,
                y.location.as_str(),
                &y.page_url,
            ))
        });
        details.dedup_by(|x, y| x.kind == y.kind && x.text == y.text && x.location == y.location);
        let (score, risk, reasons) = risk::assess(
            &risk::Evidence {
                details: &details,
                metadata: &meta_refs,
                copies: urls.len(),
                largest_side: largest,
                verdicts: &verdicts,
                faces,
                largest_face,
                protected_name: details
                    .iter()
                    .any(|d| d.kind.names_a_person() && c.protected.matches(&d.text)),
                withdrawn: shas
                    .iter()
                    .filter_map(|s| {
                        let d = parse_digest(s)?;
                        c.pictures.binary_search_by(|(p, _)| p.cmp(&d)).ok()
                    })
                    .any(|i| {
                        !c.register
                            .find(c.pictures[i].1, group::SAME_PICTURE_MAX_DISTANCE)
                            .is_empty()
                    }),
            },
            c.policy,
        );
        let prev = before.get(exp);
        // The rule of change (crate::change). A page that could not be read
        // in either run is no evidence of a copy gone or added.
        let was = prev
            .filter(|p| p.change != Change::Resolved)
            .map(|p| (p, places.remove(exp).unwrap_or_default()));
        let (change, change_reasons) = crate::change::change_between(
            Some((
                crate::change::Seen {
                    places: now_places
                        .iter()
                        .copied()
                        .filter(|(page, _)| !c.unread_pages.contains(*page)),
                    risk,
                    details: &details,
                },
                false,
            )),
            was.as_ref().map(|(p, was)| crate::change::Seen {
                places: was
                    .iter()
                    .filter(|w| !c.unread_pages.contains(&w.page_url))
                    .map(|w| (w.page_url.as_str(), w.image_url.as_str())),
                risk: p.risk,
                details: &p.details,
            }),
        )
        .expect("this run has it");
        if let Some(settings) = c.alert_settings {
            let before = prev
                .filter(|p| p.change != Change::Resolved)
                .map(|p| p.risk);
            if let Some(trigger) = alerts::trigger(settings, risk, change, before, &reasons) {
                let mut pages: Vec<String> =
                    now_places.iter().map(|(p, _)| p.to_string()).collect();
                pages.dedup();
                alert_items.push(alerts::AlertItem {
                    exposure_id: exp.to_string(),
                    risk,
                    score,
                    trigger,
                    reasons: reasons.clone(),
                    pages,
                    images: urls.iter().map(|u| u.to_string()).collect(),
                    details: details.clone(),
                });
            }
        }
        out.push(RunExposure {
            exposure_id: exp.to_string(),
            risk,
            score,
            reasons,
            details,
            change,
            change_reasons,
            image: Some(Box::new(crate::model::ExposureImage::of(copies))),
        });
    }
    Ok(out)
}

/// Carries some exposures the previous run showed and this one did not:
/// resolved where every page they were on was looked at, kept (not seen)
/// where one was not, and changed where no page links them but their
/// address still answers.
fn carry_batch(
    s: &Store,
    c: &Scoring<'_>,
    previous: i64,
    ids: &[&str],
    looked_at: &dyn Fn(&crate::store::Place) -> bool,
    served_exposures: &HashSet<&str>,
    alert_items: &mut Vec<alerts::AlertItem>,
) -> Result<Vec<RunExposure>, StoreError> {
    let places = places_before(s, previous, ids)?;
    let mut out = Vec::with_capacity(ids.len());
    // Carried whole, with the picture summary the comparison did without.
    for (mut carried, _) in s.run_exposures_of(previous, ids)? {
        let id = carried.exposure_id.clone();
        let pages = places.get(&id).map(Vec::as_slice).unwrap_or_default();
        let covered = !pages.is_empty() && pages.iter().all(looked_at);
        crate::change::scored_reasons(&mut carried.reasons);
        let served: Vec<&str> = if served_exposures.contains(id.as_str()) {
            pages.iter().map(|p| p.image_url.as_str()).collect()
        } else {
            Vec::new()
        };
        let decided = crate::change::carry(covered, &served);
        carried.change = decided.change;
        carried.change_reasons = decided.change_reasons;
        match decided.change {
            Change::Changed => {
                let mut reasons = decided.reasons;
                reasons.append(&mut carried.reasons);
                carried.reasons = reasons;
            }
            _ => carried.reasons.extend(decided.reasons),
        }
        // Still public: a withdrawn picture among them still alerts.
        if carried.change == Change::Changed {
            if let Some(settings) = c.alert_settings {
                if let Some(trigger) = alerts::trigger(
                    settings,
                    carried.risk,
                    Change::Changed,
                    Some(carried.risk),
                    &carried.reasons,
                ) {
                    alert_items.push(alerts::AlertItem {
                        exposure_id: id.clone(),
                        risk: carried.risk,
                        score: carried.score,
                        trigger,
                        reasons: carried.reasons.clone(),
                        pages: Vec::new(),
                        images: pages.iter().map(|p| p.image_url.clone()).collect(),
                        details: carried.details.clone(),
                    });
                }
            }
        }
        out.push(carried);
    }
    Ok(out)
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
