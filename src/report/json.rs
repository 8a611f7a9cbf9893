//! The JSON report, schema `exposure-audit/report/v1` (CONTRACT.md): built
//! from the store for any stored run, with its changes against the run before.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::model::{phash_hex, Context, Detail, PictureMetadata, RobotsVerdicts, SiteFinding};
use crate::store::{OccurrenceRow, RunRow, Store, StoreError};

pub const SCHEMA: &str = "exposure-audit/report/v1";

#[derive(Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub generated_at: String,
    pub run: RunInfo,
    pub summary: Summary,
    pub exposures: Vec<Exposure>,
    pub site_findings: Vec<Finding>,
    /// Documents and pictures this run could not fetch (added field).
    pub unseen: Vec<Unseen>,
    /// Open exposures by risk over the last runs, oldest first (added field).
    pub trend: Vec<TrendPoint>,
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
        let mut by_risk: BTreeMap<&'static str, usize> =
            [("high", 0), ("medium", 0), ("low", 0)].into();
        let mut by_change: BTreeMap<&'static str, usize> = [
            ("new", 0),
            ("unchanged", 0),
            ("changed", 0),
            ("resolved", 0),
        ]
        .into();
        for e in exposures {
            *by_risk.entry(e.risk).or_default() += 1;
            if let Some(c) = by_change.get_mut(e.change.as_str()) {
                *c += 1;
            }
        }
        Summary {
            exposures: exposures.len(),
            by_risk,
            by_change,
            unseen: exposures
                .iter()
                .filter(|e| !e.seen_this_run && e.change != "resolved")
                .count(),
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

/// Builds the report of `run`.
pub fn build(store: &Store, run: &RunRow, generated_at: &str) -> Result<Report, StoreError> {
    let previous = store.previous_reportable_run(run.id)?;
    let assessed = store.run_exposures(run.id)?;
    let mut occ: HashMap<String, Vec<OccurrenceRow>> = HashMap::new();
    for o in store.occurrences(run.id)? {
        occ.entry(o.exposure_id.clone()).or_default().push(o);
    }
    // Resolved and unseen exposures show where they were last seen.
    let missing: Vec<&str> = assessed
        .iter()
        .filter(|e| !occ.contains_key(&e.exposure_id))
        .map(|e| e.exposure_id.as_str())
        .collect();
    for o in store.last_seen_occurrences(run.id, &missing)? {
        occ.entry(o.exposure_id.clone()).or_default().push(o);
    }
    let mut pictures: HashMap<String, Vec<String>> = HashMap::new();
    for (sha, exp) in store.run_picture_exposures(run.id)? {
        pictures.entry(exp).or_default().push(sha);
    }

    let first_seen = store.first_seen()?;
    let mut exposures = Vec::with_capacity(assessed.len());
    let missing: std::collections::HashSet<String> =
        missing.into_iter().map(str::to_string).collect();
    for e in assessed {
        let seen_this_run = !missing.contains(&e.exposure_id);
        let rows = occ.remove(&e.exposure_id).unwrap_or_default();
        let mut shas: Vec<String> = pictures.remove(&e.exposure_id).unwrap_or_default();
        if shas.is_empty() {
            shas = rows.iter().map(|o| o.sha256.clone()).collect();
            shas.sort();
            shas.dedup();
        }
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
        for sha in &shas {
            let Some(p) = store.picture(sha)? else {
                continue;
            };
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
        let since = first_seen.get(&e.exposure_id).cloned();
        exposures.push(Exposure {
            id: e.exposure_id,
            risk: e.risk.as_str(),
            score: e.score,
            reasons: e.reasons,
            change: e.change,
            seen_this_run,
            first_seen_at: since,
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
        });
    }
    Ok(Report {
        schema: SCHEMA,
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
        summary: Summary::of(&exposures),
        exposures,
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
    })
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
    report.summary = Summary::of(&report.exposures);
    report.run.previous_run_id = Some(against.id);
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
