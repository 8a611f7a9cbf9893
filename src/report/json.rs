//! The JSON report, schema `exposure-audit/report/v1` (CONTRACT.md): built
//! from the store for any stored run, with its changes against the run before.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::model::{
    Change, Context, Detail, ExposureImage, FindingKind, Risk, RobotsVerdicts, SiteFinding,
};
use crate::store::{OccurrenceRow, RunRow, Store, StoreError};

mod against;

pub use against::{build_against, open_against, Against};

pub const SCHEMA: &str = "exposure-audit/report/v1";

/// A whole report in memory: its head and every exposure. Serialised as
/// the streaming writer writes it ([`write`]).
#[derive(Debug)]
pub struct Report {
    pub head: Head,
    pub exposures: Vec<Exposure>,
}

impl Serialize for Report {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Wire::of(&self.head, &self.exposures).serialize(s)
    }
}

/// The report as it is written: the contract's field order, with the
/// exposures as a slice in memory or read from the store as written.
#[derive(Serialize)]
struct Wire<'a, E: Serialize> {
    schema: &'static str,
    generated_at: &'a str,
    run: &'a RunInfo,
    summary: &'a Summary,
    exposures: E,
    site_findings: &'a [Finding],
    /// Documents and pictures this run could not fetch (added field).
    unseen: &'a [Unseen],
    /// Open exposures by risk over the last runs, oldest first (added field).
    trend: &'a [TrendPoint],
}

impl<'a, E: Serialize> Wire<'a, E> {
    fn of(head: &'a Head, exposures: E) -> Self {
        Wire {
            schema: SCHEMA,
            generated_at: &head.generated_at,
            run: &head.run,
            summary: &head.summary,
            exposures,
            site_findings: &head.site_findings,
            unseen: &head.unseen,
            trend: &head.trend,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct TrendPoint {
    pub run_id: i64,
    pub started_at: String,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
}

/// Runs shown in the trend.
const TREND_RUNS: usize = 12;

#[derive(Debug, Serialize)]
pub struct RunInfo {
    pub id: i64,
    pub previous_run_id: Option<i64>,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: crate::model::RunStatus,
    /// HTML pages (before runs recorded documents apart, every document).
    pub pages_fetched: u64,
    pub images_fetched: u64,
    pub fetch_errors: u64,
    /// PDF, Word, PowerPoint, OpenDocument and like documents (added field).
    pub documents_fetched: u64,
    /// Sitemaps, feeds, stylesheets, API pages and other files (added field).
    pub other_files_fetched: u64,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub exposures: usize,
    pub by_risk: BTreeMap<&'static str, usize>,
    pub by_change: BTreeMap<&'static str, usize>,
    /// Exposures this run could not look at (their pages failed or were
    /// skipped): carried as they were, never resolved (added field).
    pub unseen: usize,
    /// Open exposures that show a named or identifiable child: a child's
    /// name next to it, or a face large enough to recognise (added field).
    pub named_or_identifiable: u64,
}

impl Summary {
    /// Counts exposures given as (risk, change, seen this run).
    fn count(items: impl Iterator<Item = (Risk, Change, bool)>) -> Summary {
        let mut by_risk: BTreeMap<&'static str, usize> =
            Risk::ALL.iter().map(|r| (r.as_str(), 0)).collect();
        let mut by_change: BTreeMap<&'static str, usize> =
            Change::ALL.iter().map(|c| (c.as_str(), 0)).collect();
        let (mut exposures, mut unseen) = (0, 0);
        for (risk, change, seen) in items {
            exposures += 1;
            *by_risk.entry(risk.as_str()).or_default() += 1;
            *by_change.entry(change.as_str()).or_default() += 1;
            if !seen && change != Change::Resolved {
                unseen += 1;
            }
        }
        Summary {
            exposures,
            by_risk,
            by_change,
            unseen,
            named_or_identifiable: 0,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Exposure {
    pub id: String,
    pub risk: Risk,
    pub score: u32,
    pub reasons: Vec<crate::model::Reason>,
    pub change: Change,
    /// Why it is `changed` (CONTRACT.md); empty for the other changes.
    pub change_reasons: Vec<crate::model::ChangeReason>,
    /// What to do to lower its risk, most effective first (CONTRACT.md).
    pub actions: Vec<super::actions::Action>,
    /// False when this run did not see the picture: resolved, or not looked
    /// at because its pages failed (then its occurrences are where it was
    /// last seen) (added field).
    pub seen_this_run: bool,
    /// When this picture was first seen by any run (added field).
    pub first_seen_at: Option<String>,
    pub image: Image,
    pub occurrences: Vec<Occurrence>,
    pub details: Vec<Detail>,
    /// A blurred thumbnail of the picture as a data: URI, only in HTML
    /// reports with thumbnails switched on (never in JSON or CSV).
    #[serde(skip)]
    pub thumbnail: Option<String>,
    /// Its largest copy on the school's own site, for the HTML report to
    /// show from its public address (never in JSON or CSV).
    #[serde(skip)]
    pub published: Option<Published>,
}

/// A copy of a picture at its public address, with its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub url: String,
    pub width: u32,
    pub height: u32,
}

/// An exposure's picture: the largest copy's hash and size, the most
/// faces in any copy (null if none was analysed for faces), the largest
/// face's width over the picture's (added field), and the copies' metadata.
pub use crate::model::ExposureImage as Image;

#[derive(Debug, Serialize)]
pub struct Occurrence {
    pub source: String,
    pub page_url: String,
    pub image_url: String,
    pub found_via: &'static str,
    /// The page or slide (1-based) of a picture inside a document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_page: Option<u32>,
    pub context: Context,
    pub robots: std::sync::Arc<RobotsVerdicts>,
    /// The sha256 of the bytes served at image_url (added field).
    pub sha256: String,
    /// False, and only then written, for a copy on a page this run could
    /// not read: what the page showed when it was last read (added field).
    #[serde(skip_serializing_if = "is_true")]
    pub seen_this_run: bool,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_true(b: &bool) -> bool {
    *b
}

/// A site finding with its fix and whether it is new, still there, or fixed.
#[derive(Debug, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub url: String,
    pub detail: String,
    /// What to do, with the snippet to paste where there is one (added field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// "new", "unchanged", or "resolved" when the previous run had it and this one does not (added field).
    pub change: Change,
}

#[derive(Debug, Serialize)]
pub struct Unseen {
    pub url: String,
    pub error: String,
}

/// Exposures read from the store per batch when a report is streamed.
pub const BATCH: usize = 256;

/// A report without its exposures: what is written before and after them.
#[derive(Debug)]
pub struct Head {
    pub generated_at: String,
    pub run: RunInfo,
    pub summary: Summary,
    pub site_findings: Vec<Finding>,
    pub unseen: Vec<Unseen>,
    pub trend: Vec<TrendPoint>,
    /// Exposures still public (not resolved) by risk, for the HTML cards.
    pub open_by_risk: BTreeMap<&'static str, usize>,
    /// Where the HTML report may load pictures from: the origins of the
    /// pictures of this run and the one it is compared with.
    pub picture_origins: Vec<String>,
}

/// Where a report's exposures come from, riskiest first, a batch at a time.
pub trait ExposureSource {
    /// The next batch; `None` once every exposure was given.
    fn next_batch(&mut self) -> Result<Option<Vec<Exposure>>, StoreError>;
}

/// Exposures already in memory (a report built whole, written by `render`).
pub struct InMemory(pub Option<Vec<Exposure>>);

impl ExposureSource for InMemory {
    fn next_batch(&mut self) -> Result<Option<Vec<Exposure>>, StoreError> {
        Ok(self.0.take())
    }
}

/// A run's exposures read from the store a batch at a time: what a report
/// holds at once is one batch and the run's exposure ids, not the run.
pub struct Stored<'s> {
    store: &'s Store,
    run_id: i64,
    /// Exposure ids in report order, each with whether this run saw it.
    order: Vec<(String, bool)>,
    next: usize,
    batch: usize,
}

impl Stored<'_> {
    /// Reads `n` exposures per batch instead of the usual 256 (a test
    /// checks that the batches do not change the report).
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch = n.max(1);
        self
    }
}

impl ExposureSource for Stored<'_> {
    fn next_batch(&mut self) -> Result<Option<Vec<Exposure>>, StoreError> {
        let end = (self.next + self.batch).min(self.order.len());
        if self.next >= end {
            return Ok(None);
        }
        let keys = &self.order[self.next..end];
        self.next = end;
        read_exposures(self.store, self.run_id, keys).map(Some)
    }
}

/// Some exposures of a run, given as (id, seen this run), read whole from
/// the store, riskiest first.
fn read_exposures(
    store: &Store,
    run: i64,
    keys: &[(String, bool)],
) -> Result<Vec<Exposure>, StoreError> {
    let ids: Vec<&str> = keys.iter().map(|(id, _)| id.as_str()).collect();
    // Resolved and unseen exposures show where they were last seen.
    let (seen, missing): (Vec<_>, Vec<_>) = keys.iter().partition(|(_, seen)| *seen);
    let seen: Vec<&str> = seen.iter().map(|(id, _)| id.as_str()).collect();
    let seen_set: HashSet<&str> = seen.iter().copied().collect();
    let missing: Vec<&str> = missing.iter().map(|(id, _)| id.as_str()).collect();
    let mut occ: HashMap<String, Vec<OccurrenceRow>> = HashMap::new();
    for o in store
        .occurrences_of(run, &seen)?
        .into_iter()
        .chain(store.last_seen_occurrences(run, &missing)?)
    {
        occ.entry(o.exposure_id.clone()).or_default().push(o);
    }
    // What the pages this run could not read showed when last read.
    let mut shown_before: HashMap<String, Vec<OccurrenceRow>> = HashMap::new();
    for o in store.shown_on_unread_pages(run, &seen)? {
        shown_before
            .entry(o.exposure_id.clone())
            .or_default()
            .push(o);
    }
    let assessed = store.run_exposures_of(run, &ids)?;
    // Runs scored before an exposure's picture was stored with it: from
    // its copies, this run's or else (resolved, unseen) those of the
    // places it was last seen.
    let (seen_now, gone): (Vec<&str>, Vec<&str>) = assessed
        .iter()
        .filter(|(e, _)| e.image.is_none())
        .map(|(e, _)| e.exposure_id.as_str())
        .partition(|id| seen_set.contains(id));
    let mut copies: HashMap<String, Vec<crate::model::Picture>> = HashMap::new();
    for (exp, p) in store.exposure_pictures_of(run, &seen_now)? {
        copies.entry(exp).or_default().push(p);
    }
    let shas_of = |id: &str| -> Vec<&str> {
        let mut shas: Vec<&str> = occ
            .get(id)
            .into_iter()
            .flatten()
            .map(|o| o.sha256.as_str())
            .collect();
        shas.sort_unstable();
        shas.dedup();
        shas
    };
    // Every copy's picture, read once: what the actions and the HTML
    // picture need (size, metadata), and the copies of gone exposures
    // scored before their picture was stored with them.
    let mut all_shas: Vec<&str> = occ
        .values()
        .chain(shown_before.values())
        .flatten()
        .map(|o| o.sha256.as_str())
        .collect();
    all_shas.sort_unstable();
    all_shas.dedup();
    let pictures: HashMap<String, crate::model::Picture> = store
        .pictures_of(&all_shas)?
        .into_iter()
        .map(|p| (p.sha256.clone(), p))
        .collect();
    for id in &gone {
        let found = shas_of(id)
            .iter()
            .filter_map(|s| pictures.get(*s).cloned())
            .collect();
        copies.insert(id.to_string(), found);
    }
    let copy_info: HashMap<String, super::actions::Copy> = pictures
        .values()
        .map(|p| {
            let c = super::actions::Copy {
                width: p.width,
                height: p.height,
                gps: p.metadata.gps.is_some(),
                people: !p.metadata.people.is_empty(),
            };
            (p.sha256.clone(), c)
        })
        .collect();
    let max_side = store.run_max_published_side(run)?;
    let mut out = Vec::with_capacity(ids.len());
    for (mut e, since) in assessed {
        let seen_this_run = seen_set.contains(e.exposure_id.as_str());
        let rows = occ.remove(&e.exposure_id).unwrap_or_default();
        let before = shown_before.remove(&e.exposure_id).unwrap_or_default();
        let image = e.image.take().map_or_else(
            || ExposureImage::of(copies.get(&e.exposure_id).into_iter().flatten()),
            |i| *i,
        );
        let mut x = exposure(e, rows, before, image, since, seen_this_run);
        x.actions = super::actions::for_exposure(&x, &copy_info, max_side);
        x.published = largest_published(&x, &copy_info);
        out.push(x);
    }
    Ok(out)
}

/// The largest copy on the school's own site (not a platform's CDN) at an
/// http(s) address: what the HTML report shows.
fn largest_published(
    e: &Exposure,
    copies: &HashMap<String, super::actions::Copy>,
) -> Option<Published> {
    e.occurrences
        .iter()
        .filter(|o| o.found_via != crate::model::FoundVia::Api.as_str())
        // A picture inside a document has no address of its own to show.
        .filter(|o| o.found_via != crate::model::FoundVia::Document.as_str())
        .filter(|o| o.image_url.starts_with("https://") || o.image_url.starts_with("http://"))
        .filter_map(|o| copies.get(&o.sha256).map(|c| (c, o)))
        .max_by_key(|(c, o)| {
            (
                u64::from(c.width) * u64::from(c.height),
                std::cmp::Reverse(o.image_url.clone()),
            )
        })
        .map(|(c, o)| Published {
            url: o.image_url.clone(),
            width: c.width,
            height: c.height,
        })
}

/// Opens the report of `run`: its head, and its exposures to read in turn.
pub fn open<'s>(
    store: &'s Store,
    run: &RunRow,
    generated_at: &str,
) -> Result<(Head, Stored<'s>), StoreError> {
    let keys = store.report_order(run.id)?;
    let counted = keys.iter().map(|k| (k.risk, k.change, k.seen));
    let head = head(store, run, generated_at, counted)?;
    let stored = Stored {
        store,
        run_id: run.id,
        order: keys.into_iter().map(|k| (k.exposure_id, k.seen)).collect(),
        next: 0,
        batch: BATCH,
    };
    Ok((head, stored))
}

/// A report's head, its exposures counted from (risk, change, seen this
/// run).
fn head(
    store: &Store,
    run: &RunRow,
    generated_at: &str,
    counted: impl Iterator<Item = (Risk, Change, bool)> + Clone,
) -> Result<Head, StoreError> {
    let previous = store.previous_reportable_run(run.id)?;
    let mut summary = Summary::count(counted.clone());
    summary.named_or_identifiable = store.named_or_identifiable(run.id)?;
    let runs: Vec<i64> = std::iter::once(run.id).chain(previous).collect();
    let open_by_risk = open_by_risk(counted.map(|(risk, change, _)| (risk, change)));
    Ok(Head {
        generated_at: generated_at.to_string(),
        run: RunInfo {
            id: run.id,
            previous_run_id: previous,
            started_at: run.started_at.clone(),
            finished_at: run.finished_at.clone(),
            status: run.status,
            pages_fetched: run.pages_fetched,
            documents_fetched: run.documents_fetched,
            other_files_fetched: run.other_fetched,
            images_fetched: run.images_fetched,
            fetch_errors: run.fetch_errors,
        },
        summary,
        site_findings: findings(store, run.id, previous)?,
        unseen: store
            .fetch_failures(run.id)?
            .into_iter()
            .map(|(url, error)| Unseen { url, error })
            .collect(),
        trend: store
            .trend(run.id, TREND_RUNS)?
            .into_iter()
            .map(|(run_id, started_at, high, medium, low)| TrendPoint {
                run_id,
                started_at,
                high,
                medium,
                low,
            })
            .collect(),
        open_by_risk,
        picture_origins: store.picture_origins(&runs)?.into_iter().collect(),
    })
}

/// Builds the whole report of `run` in memory.
pub fn build(store: &Store, run: &RunRow, generated_at: &str) -> Result<Report, StoreError> {
    let (head, stored) = open(store, run, generated_at)?;
    whole(head, stored)
}

/// A run's report read on a thread of its own, with a connection of its own
/// inside one read transaction, while the caller formats and writes what
/// was read: the SQLite lookups and the writing overlap. At most two
/// batches wait between the two.
pub struct ReadAhead {
    batches: std::sync::mpsc::Receiver<Ahead>,
    reader: Option<std::thread::JoinHandle<()>>,
}

enum Ahead {
    Batch(Vec<Exposure>),
    Failed(StoreError),
    Done,
}

/// Opens the report of `run` in the database at `db` to be read ahead:
/// returns once its head is read. `batch` exposures are read at a time.
pub fn open_read_ahead(
    db: &std::path::Path,
    run: &RunRow,
    generated_at: &str,
    batch: usize,
) -> Result<(Head, ReadAhead), StoreError> {
    use std::sync::mpsc::sync_channel;
    let (head_tx, head_rx) = sync_channel::<Result<Head, StoreError>>(1);
    let (tx, batches) = sync_channel::<Ahead>(2);
    let (path, run, generated_at) = (db.to_path_buf(), run.clone(), generated_at.to_string());
    let read = move || {
        let store = match Store::open(&path) {
            Ok(store) => store,
            Err(e) => return drop(head_tx.send(Err(e))),
        };
        let snapshot = store.read_snapshot(|| {
            let (head, stored) = match open(&store, &run, &generated_at) {
                Ok(opened) => opened,
                Err(e) => return drop(head_tx.send(Err(e))),
            };
            if head_tx.send(Ok(head)).is_err() {
                return;
            }
            let mut stored = stored.batch_size(batch);
            loop {
                let next = match stored.next_batch() {
                    Ok(Some(b)) => Ahead::Batch(b),
                    Ok(None) => Ahead::Done,
                    Err(e) => Ahead::Failed(e),
                };
                let last = !matches!(next, Ahead::Batch(_));
                // A send fails when the writer stopped (its output failed).
                if tx.send(next).is_err() || last {
                    return;
                }
            }
        });
        // The read transaction could not begin: nothing was sent yet.
        if let Err(e) = snapshot {
            let _ = head_tx.try_send(Err(e));
        }
    };
    let reader = std::thread::Builder::new()
        .name("report-reader".into())
        .spawn(read)
        .map_err(|e| StoreError::Open {
            path: db.to_path_buf(),
            message: format!("cannot start the report reader: {e}"),
        })?;
    let mut ahead = ReadAhead {
        batches,
        reader: Some(reader),
    };
    match head_rx.recv() {
        Ok(Ok(head)) => Ok((head, ahead)),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(ahead.stopped()),
    }
}

impl ReadAhead {
    /// The error for a reader that ended without saying why (it panicked).
    fn stopped(&mut self) -> StoreError {
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        StoreError::Reader("the report reader stopped before the end of the report")
    }
}

impl ExposureSource for ReadAhead {
    fn next_batch(&mut self) -> Result<Option<Vec<Exposure>>, StoreError> {
        match self.batches.recv() {
            Ok(Ahead::Batch(b)) => Ok(Some(b)),
            Ok(Ahead::Done) => Ok(None),
            Ok(Ahead::Failed(e)) => Err(e),
            Err(_) => Err(self.stopped()),
        }
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        // Closing the channel stops a reader still sending; then wait for it
        // to end its read transaction.
        let (_, closed) = std::sync::mpsc::sync_channel(0);
        drop(std::mem::replace(&mut self.batches, closed));
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

fn open_by_risk(items: impl Iterator<Item = (Risk, Change)>) -> BTreeMap<&'static str, usize> {
    let mut out: BTreeMap<&'static str, usize> =
        Risk::ALL.iter().map(|r| (r.as_str(), 0)).collect();
    for (risk, change) in items {
        if change != Change::Resolved {
            *out.entry(risk.as_str()).or_default() += 1;
        }
    }
    out
}

/// One exposure of the report from its stored parts.
fn exposure(
    e: crate::store::RunExposure,
    rows: Vec<OccurrenceRow>,
    shown_before: Vec<OccurrenceRow>,
    image: ExposureImage,
    first_seen_at: String,
    seen_this_run: bool,
) -> Exposure {
    let occurrence = |o: OccurrenceRow, seen: bool| Occurrence {
        source: o.source,
        page_url: o.page_url,
        image_url: o.image_url,
        found_via: o.found_via.as_str(),
        document_page: o.document_page,
        context: o.context,
        robots: o.robots,
        sha256: o.sha256,
        seen_this_run: seen,
    };
    Exposure {
        id: e.exposure_id,
        risk: e.risk,
        score: e.score,
        reasons: e.reasons,
        change: e.change,
        change_reasons: e.change_reasons,
        seen_this_run,
        first_seen_at: Some(first_seen_at),
        image,
        occurrences: rows
            .into_iter()
            .map(|o| occurrence(o, true))
            .chain(shown_before.into_iter().map(|o| occurrence(o, false)))
            .collect(),
        details: e.details,
        thumbnail: None,
        actions: Vec::new(),
        published: None,
    }
}

/// Writes the JSON report (pretty, as `serde_json::to_string_pretty` would
/// write the whole report) with its exposures read from `source` as they
/// are written.
pub fn write(
    head: &Head,
    source: &mut dyn ExposureSource,
    out: &mut dyn std::io::Write,
) -> Result<(), super::WriteError> {
    use serde::ser::{Error as _, SerializeSeq};
    use std::cell::RefCell;
    use std::io::Write as _;

    struct Lazy<'a> {
        source: RefCell<&'a mut dyn ExposureSource>,
        failed: RefCell<Option<StoreError>>,
    }
    impl Serialize for Lazy<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(None)?;
            loop {
                let next = self.source.borrow_mut().next_batch();
                match next {
                    Ok(Some(batch)) => {
                        for e in &batch {
                            seq.serialize_element(e)?;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        let message = e.to_string();
                        *self.failed.borrow_mut() = Some(e);
                        return Err(S::Error::custom(message));
                    }
                }
            }
            seq.end()
        }
    }
    let streamed = Wire::of(
        head,
        Lazy {
            source: RefCell::new(source),
            failed: RefCell::new(None),
        },
    );
    // serde_json writes a report in many small pieces: a buffer of its own
    // type takes them without a dynamic call each.
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, &mut *out);
    let mut ser = serde_json::Serializer::pretty(&mut buffered);
    if let Err(e) = streamed.serialize(&mut ser) {
        return Err(match streamed.exposures.failed.into_inner() {
            Some(store) => store.into(),
            None if e.is_io() => std::io::Error::from(e).into(),
            None => super::WriteError::Io(std::io::Error::other(e)),
        });
    }
    buffered.write_all(b"\n")?;
    buffered.flush()?;
    Ok(())
}

/// A report with every exposure its source gives, in memory.
fn whole(head: Head, mut source: impl ExposureSource) -> Result<Report, StoreError> {
    let mut exposures = Vec::new();
    while let Some(batch) = source.next_batch()? {
        exposures.extend(batch);
    }
    Ok(Report { head, exposures })
}

/// This run's findings against the previous run's: a finding the previous run
/// had and this one does not is reported as resolved, so a fix shows.
fn findings(store: &Store, run: i64, previous: Option<i64>) -> Result<Vec<Finding>, StoreError> {
    let now = store.site_findings(run)?;
    let before = match previous {
        Some(p) => store.site_findings(p)?,
        None => Vec::new(),
    };
    let key = |f: &SiteFinding| (f.kind, f.url.clone());
    let before_keys: std::collections::HashSet<_> = before.iter().map(key).collect();
    let now_keys: std::collections::HashSet<_> = now.iter().map(key).collect();
    // The fixes are written for what the site runs on, as this run saw it.
    let software = super::fixes::Software::of(&now);
    let make = |f: SiteFinding, change| Finding {
        fix: super::fixes::fix_for(&f, &software),
        kind: f.kind,
        url: f.url,
        detail: f.detail,
        change,
    };
    let mut out: Vec<Finding> = now
        .into_iter()
        .map(|f| {
            let change = if previous.is_none() || !before_keys.contains(&key(&f)) {
                Change::New
            } else {
                Change::Unchanged
            };
            make(f, change)
        })
        .collect();
    out.extend(
        before
            .into_iter()
            // What the site runs on is information, not a problem fixed.
            .filter(|f| f.kind != crate::model::FindingKind::SiteSoftware)
            .filter(|f| !now_keys.contains(&key(f)))
            .map(|f| make(f, Change::Resolved)),
    );
    Ok(out)
}
