//! The JSON report, schema `exposure-audit/report/v1` (CONTRACT.md): built
//! from the store for any stored run, with its changes against the run before.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::model::{phash_hex, Context, Detail, PictureMetadata, RobotsVerdicts, SiteFinding};
use crate::store::{OccurrenceRow, RunRow, Store, StoreError};

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
    pub status: &'static str,
    pub pages_fetched: u64,
    pub images_fetched: u64,
    pub fetch_errors: u64,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub exposures: usize,
    pub by_risk: BTreeMap<&'static str, usize>,
    pub by_change: BTreeMap<&'static str, usize>,
    /// Exposures this run could not look at (their pages failed or were
    /// skipped): carried as they were, never resolved (added field).
    pub unseen: usize,
}

impl Summary {
    fn of(exposures: &[Exposure]) -> Summary {
        Summary::count(
            exposures
                .iter()
                .map(|e| (e.risk, e.change.as_str(), e.seen_this_run)),
        )
    }

    /// Counts exposures given as (risk, change, seen this run).
    fn count<'a>(items: impl Iterator<Item = (&'static str, &'a str, bool)>) -> Summary {
        let mut by_risk: BTreeMap<&'static str, usize> =
            [("high", 0), ("medium", 0), ("low", 0)].into();
        let mut by_change: BTreeMap<&'static str, usize> = [
            ("new", 0),
            ("unchanged", 0),
            ("changed", 0),
            ("resolved", 0),
        ]
        .into();
        let (mut exposures, mut unseen) = (0, 0);
        for (risk, change, seen) in items {
            exposures += 1;
            *by_risk.entry(risk).or_default() += 1;
            if let Some(c) = by_change.get_mut(change) {
                *c += 1;
            }
            if !seen && change != "resolved" {
                unseen += 1;
            }
        }
        Summary {
            exposures,
            by_risk,
            by_change,
            unseen,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Exposure {
    pub id: String,
    pub risk: &'static str,
    pub score: u32,
    pub reasons: Vec<String>,
    pub change: String,
    /// False when this run did not see the picture: resolved, or not looked
    /// at because its pages failed (then its occurrences are where it was
    /// last seen) (added field).
    pub seen_this_run: bool,
    /// When this picture was first seen by any run (added field).
    pub first_seen_at: Option<String>,
    pub image: Image,
    pub occurrences: Vec<Occurrence>,
    pub details: Vec<Detail>,
}

#[derive(Debug, Serialize)]
pub struct Image {
    pub phash: String,
    pub width: u32,
    pub height: u32,
    /// Most faces found in any copy; null if no copy was analysed for faces.
    pub faces: Option<u32>,
    /// Width of the largest face over the picture's width (added field).
    pub largest_face: Option<f32>,
    pub metadata: PictureMetadata,
    /// A blurred thumbnail as a data: URI, only in HTML reports with
    /// thumbnails switched on (never in JSON or CSV).
    #[serde(skip)]
    pub thumbnail: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Occurrence {
    pub source: String,
    pub page_url: String,
    pub image_url: String,
    pub found_via: &'static str,
    pub context: Context,
    pub robots: RobotsVerdicts,
    /// The sha256 of the bytes served at image_url (added field).
    pub sha256: String,
}

/// A site finding with its fix and whether it is new, still there, or fixed.
#[derive(Debug, Serialize)]
pub struct Finding {
    pub kind: String,
    pub url: String,
    pub detail: String,
    /// What to do, with the snippet to paste where there is one (added field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// "new", "unchanged", or "resolved" when the previous run had it and this one does not (added field).
    pub change: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Unseen {
    pub url: String,
    pub error: String,
}

/// Exposures read from the store per batch when a report is streamed.
const BATCH: usize = 256;

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
}

/// Where a report's exposures come from, riskiest first, a batch at a time.
pub trait ExposureSource {
    /// The next batch; `None` once every exposure was given.
    fn next_batch(&mut self) -> Result<Option<Vec<Exposure>>, StoreError>;
}

/// Exposures already in memory (a report compared with another run).
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
    order: Vec<String>,
    seen: HashSet<String>,
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
        let ids: Vec<&str> = self.order[self.next..end]
            .iter()
            .map(String::as_str)
            .collect();
        self.next = end;
        let (store, run) = (self.store, self.run_id);
        let mut occ: HashMap<String, Vec<OccurrenceRow>> = HashMap::new();
        // Resolved and unseen exposures show where they were last seen.
        let missing: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|id| !self.seen.contains(*id))
            .collect();
        for o in store
            .occurrences_of(run, &ids)?
            .into_iter()
            .chain(store.last_seen_occurrences(run, &missing)?)
        {
            occ.entry(o.exposure_id.clone()).or_default().push(o);
        }
        let mut pictures: HashMap<String, Vec<String>> = HashMap::new();
        for (sha, exp) in store.picture_exposures_of(run, &ids)? {
            pictures.entry(exp).or_default().push(sha);
        }
        let first_seen: HashMap<String, String> = store.first_seen_of(&ids)?.into_iter().collect();
        // An exposure's pictures are this run's, or else (resolved, unseen)
        // those of the places it was last seen; read in one query.
        for id in &ids {
            if !pictures.contains_key(*id) {
                let mut shas: Vec<String> = occ
                    .get(*id)
                    .map(|rows| rows.iter().map(|o| o.sha256.clone()).collect())
                    .unwrap_or_default();
                shas.sort();
                shas.dedup();
                pictures.insert(id.to_string(), shas);
            }
        }
        let wanted: Vec<&str> = pictures.values().flatten().map(String::as_str).collect();
        let analysed: HashMap<String, crate::model::Picture> = store
            .pictures_of(&wanted)?
            .into_iter()
            .map(|p| (p.sha256.clone(), p))
            .collect();
        let mut out = Vec::with_capacity(ids.len());
        for e in store.run_exposures_of(run, &ids)? {
            let seen_this_run = self.seen.contains(&e.exposure_id);
            let rows = occ.remove(&e.exposure_id).unwrap_or_default();
            let copies: Vec<&crate::model::Picture> = pictures
                .get(&e.exposure_id)
                .into_iter()
                .flatten()
                .filter_map(|sha| analysed.get(sha))
                .collect();
            let since = first_seen.get(&e.exposure_id).cloned();
            out.push(exposure(e, rows, &copies, since, seen_this_run));
        }
        Ok(Some(out))
    }
}

/// Opens the report of `run`: its head, and its exposures to read in turn.
pub fn open<'s>(
    store: &'s Store,
    run: &RunRow,
    generated_at: &str,
) -> Result<(Head, Stored<'s>), StoreError> {
    let previous = store.previous_reportable_run(run.id)?;
    let (keys, seen) = store.report_order(run.id)?;
    let summary = Summary::count(keys.iter().map(|k| {
        (
            k.risk.as_str(),
            k.change.as_str(),
            seen.contains(&k.exposure_id),
        )
    }));
    let open_by_risk = open_by_risk(keys.iter().map(|k| (k.risk.as_str(), k.change.as_str())));
    let head = Head {
        generated_at: generated_at.to_string(),
        run: RunInfo {
            id: run.id,
            previous_run_id: previous,
            started_at: run.started_at.clone(),
            finished_at: run.finished_at.clone(),
            status: run.status.as_str(),
            pages_fetched: run.pages_fetched,
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
    };
    let stored = Stored {
        store,
        run_id: run.id,
        order: keys.into_iter().map(|k| k.exposure_id).collect(),
        seen,
        next: 0,
        batch: BATCH,
    };
    Ok((head, stored))
}

/// Builds the whole report of `run` in memory.
pub fn build(store: &Store, run: &RunRow, generated_at: &str) -> Result<Report, StoreError> {
    let (head, mut stored) = open(store, run, generated_at)?;
    let mut exposures = Vec::new();
    while let Some(batch) = stored.next_batch()? {
        exposures.extend(batch);
    }
    Ok(Report { head, exposures })
}

fn open_by_risk<'a>(
    items: impl Iterator<Item = (&'static str, &'a str)>,
) -> BTreeMap<&'static str, usize> {
    let mut out: BTreeMap<&'static str, usize> = [("high", 0), ("medium", 0), ("low", 0)].into();
    for (risk, change) in items {
        if change != "resolved" {
            *out.entry(risk).or_default() += 1;
        }
    }
    out
}

/// One exposure of the report from its stored parts.
fn exposure(
    e: crate::store::RunExposure,
    rows: Vec<OccurrenceRow>,
    copies: &[&crate::model::Picture],
    first_seen_at: Option<String>,
    seen_this_run: bool,
) -> Exposure {
    let mut image = Image {
        phash: String::new(),
        width: 0,
        height: 0,
        faces: None,
        largest_face: None,
        metadata: PictureMetadata::default(),
        thumbnail: None,
    };
    let mut best = 0u64;
    for p in copies {
        let pixels = u64::from(p.width) * u64::from(p.height);
        if pixels >= best {
            best = pixels;
            image.phash = phash_hex(p.phash);
            image.width = p.width;
            image.height = p.height;
        }
        if let Some(f) = p.faces {
            image.faces = Some(image.faces.unwrap_or(0).max(f));
        }
        if let Some(l) = p.largest_face {
            image.largest_face = Some(
                image
                    .largest_face
                    .unwrap_or(0.0)
                    .max((l * 1000.0).round() / 1000.0),
            );
        }
        merge_metadata(&mut image.metadata, &p.metadata);
    }
    Exposure {
        id: e.exposure_id,
        risk: e.risk.as_str(),
        score: e.score,
        reasons: e.reasons,
        change: e.change,
        seen_this_run,
        first_seen_at,
        image,
        occurrences: rows
            .into_iter()
            .map(|o| Occurrence {
                source: o.source,
                page_url: o.page_url,
                image_url: o.image_url,
                found_via: o.found_via.as_str(),
                context: o.context,
                robots: o.robots,
                sha256: o.sha256,
            })
            .collect(),
        details: e.details,
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
    let mut ser = serde_json::Serializer::pretty(&mut *out);
    if let Err(e) = streamed.serialize(&mut ser) {
        return Err(match streamed.exposures.failed.into_inner() {
            Some(store) => store.into(),
            None if e.is_io() => std::io::Error::from(e).into(),
            None => super::WriteError::Io(std::io::Error::other(e)),
        });
    }
    out.write_all(b"\n")?;
    Ok(())
}

/// The report of `run` with its changes against any earlier or later run
/// `against`, instead of the run before it: new (not in `against`),
/// changed (other places, risk or details), unchanged, and resolved (in
/// `against`, not in `run`).
pub fn build_against(
    store: &Store,
    run: &RunRow,
    against: &RunRow,
    generated_at: &str,
) -> Result<Report, StoreError> {
    let mut report = build(store, run, generated_at)?;
    let base = build(store, against, generated_at)?;
    let places = |e: &Exposure| -> Vec<(String, String)> {
        e.occurrences
            .iter()
            .map(|o| (o.page_url.clone(), o.image_url.clone()))
            .collect()
    };
    let moved = |b: &Exposure, e: &Exposure| {
        let (before, now) = (places(b), places(e));
        crate::model::places_changed(
            before.iter().map(|(p, u)| (p.as_str(), u.as_str())),
            now.iter().map(|(p, u)| (p.as_str(), u.as_str())),
        )
    };
    let mut before: HashMap<String, Exposure> = base
        .exposures
        .into_iter()
        .filter(|e| e.change != "resolved")
        .map(|e| (e.id.clone(), e))
        .collect();
    report
        .exposures
        .retain(|e| e.change != "resolved" || before.contains_key(&e.id));
    for e in &mut report.exposures {
        e.change = match before.remove(&e.id) {
            None => "new".into(),
            Some(_) if e.change == "resolved" => "resolved".into(),
            Some(b) if moved(&b, e) || b.risk != e.risk || b.details != e.details => {
                "changed".into()
            }
            Some(_) => "unchanged".into(),
        };
    }
    for (_, mut e) in before {
        e.change = "resolved".into();
        e.seen_this_run = false;
        report.exposures.push(e);
    }
    report
        .exposures
        .sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    report.head.summary = Summary::of(&report.exposures);
    report.head.open_by_risk =
        open_by_risk(report.exposures.iter().map(|e| (e.risk, e.change.as_str())));
    report.head.run.previous_run_id = Some(against.id);
    Ok(report)
}

/// This run's findings against the previous run's: a finding the previous run
/// had and this one does not is reported as resolved, so a fix shows.
fn findings(store: &Store, run: i64, previous: Option<i64>) -> Result<Vec<Finding>, StoreError> {
    let now = store.site_findings(run)?;
    let before = match previous {
        Some(p) => store.site_findings(p)?,
        None => Vec::new(),
    };
    let key = |f: &SiteFinding| (f.kind.clone(), f.url.clone());
    let before_keys: std::collections::HashSet<_> = before.iter().map(key).collect();
    let now_keys: std::collections::HashSet<_> = now.iter().map(key).collect();
    let make = |f: SiteFinding, change| Finding {
        fix: super::fixes::fix_for(&f.kind),
        kind: f.kind,
        url: f.url,
        detail: f.detail,
        change,
    };
    let mut out: Vec<Finding> = now
        .into_iter()
        .map(|f| {
            let change = if previous.is_none() || !before_keys.contains(&key(&f)) {
                "new"
            } else {
                "unchanged"
            };
            make(f, change)
        })
        .collect();
    out.extend(
        before
            .into_iter()
            .filter(|f| !now_keys.contains(&key(f)))
            .map(|f| make(f, "resolved")),
    );
    Ok(out)
}

fn merge_metadata(into: &mut PictureMetadata, from: &PictureMetadata) {
    if into.gps.is_none() {
        into.gps = from.gps;
    }
    for p in &from.people {
        if !into.people.contains(p) {
            into.people.push(p.clone());
        }
    }
    for (a, b) in [
        (&mut into.author, &from.author),
        (&mut into.caption, &from.caption),
        (&mut into.copyright, &from.copyright),
        (&mut into.taken_at, &from.taken_at),
        (&mut into.camera, &from.camera),
    ] {
        if a.is_none() {
            a.clone_from(b);
        }
    }
}
