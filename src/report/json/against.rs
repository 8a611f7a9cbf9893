//! `report --against`: the report of a run compared with any other run
//! instead of the one before, by the rule of change the closing uses
//! (crate::change), read from the store twice a batch at a time.

use super::*;

/// One exposure of a report against another run: where it comes from and,
/// once compared, its change.
pub(super) struct Compared {
    id: String,
    score: u32,
    /// In `run` (seen there or not), or only in `against` (resolved).
    in_run: Option<bool>,
    /// In `against` and not resolved there, and whether it saw it.
    in_base: Option<bool>,
    risk: Risk,
    change: Option<Change>,
}

/// The report of `run` with its changes against any earlier or later run
/// `against`, instead of the run before it: new (not in `against`),
/// changed (other places, risk or details), unchanged, and resolved (in
/// `against`, not in `run`). Read from the store twice, a batch at a time:
/// once to count the summary the head needs, once to write; what is held
/// between is each exposure's id and change.
pub struct Against<'s> {
    store: &'s Store,
    run: i64,
    base: i64,
    order: Vec<Compared>,
    next: usize,
    /// Pages either run could not read: left out of the comparison.
    left_out: HashSet<String>,
}

/// Opens the report of `run` compared with `against`.
pub fn open_against<'s>(
    store: &'s Store,
    run: &RunRow,
    against: &RunRow,
    generated_at: &str,
) -> Result<(Head, Against<'s>), StoreError> {
    let base: HashMap<String, (u32, bool)> = store
        .report_order(against.id)?
        .into_iter()
        .filter(|k| k.change != Change::Resolved)
        .map(|k| (k.exposure_id, (k.score, k.seen)))
        .collect();
    let mut order = Vec::new();
    let mut in_run = HashSet::new();
    for k in store.report_order(run.id)? {
        in_run.insert(k.exposure_id.clone());
        let in_base = base.get(&k.exposure_id).map(|(_, seen)| *seen);
        // Resolved before `against` too: not part of this comparison.
        if k.change != Change::Resolved || in_base.is_some() {
            order.push(Compared {
                id: k.exposure_id,
                score: k.score,
                in_run: Some(k.seen),
                in_base,
                risk: k.risk,
                change: None,
            });
        }
    }
    for (id, (score, seen)) in base {
        if !in_run.contains(&id) {
            order.push(Compared {
                id,
                score,
                in_run: None,
                in_base: Some(seen),
                risk: Risk::Low,
                change: None,
            });
        }
    }
    order.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    let mut against_run = Against {
        store,
        run: run.id,
        base: against.id,
        order,
        next: 0,
        left_out: store
            .unread_pages(run.id)?
            .into_iter()
            .chain(store.unread_pages(against.id)?)
            .collect(),
    };
    against_run.count_changes()?;
    let counted = against_run
        .order
        .iter()
        .filter_map(|c| Some((c.risk, c.change?, c.in_run == Some(true))));
    let mut head = head(store, run, generated_at, counted)?;
    head.run.previous_run_id = Some(against.id);
    // Site findings too are compared with the run named, not the one before.
    head.site_findings = findings(store, run.id, Some(against.id))?;
    head.picture_origins = store
        .picture_origins(&[run.id, against.id])?
        .into_iter()
        .collect();
    Ok((head, against_run))
}

impl ExposureSource for Against<'_> {
    fn next_batch(&mut self) -> Result<Option<Vec<Exposure>>, StoreError> {
        let end = (self.next + BATCH).min(self.order.len());
        if self.next >= end {
            return Ok(None);
        }
        let batch = &mut self.order[self.next..end];
        self.next = end;
        let keys = |pick: fn(&Compared) -> Option<bool>| -> Vec<(String, bool)> {
            batch
                .iter()
                .filter_map(|c| pick(c).map(|seen| (c.id.clone(), seen)))
                .collect()
        };
        let by_id = |exposures: Vec<Exposure>| -> HashMap<String, Exposure> {
            exposures.into_iter().map(|e| (e.id.clone(), e)).collect()
        };
        let mut now = by_id(read_exposures(self.store, self.run, &keys(|c| c.in_run))?);
        let mut before = by_id(read_exposures(self.store, self.base, &keys(|c| c.in_base))?);
        let mut out = Vec::with_capacity(batch.len());
        for c in batch.iter_mut() {
            let (b, e) = (before.remove(&c.id), now.remove(&c.id));
            let (change, why) = change_of(
                e.as_ref().map(Side::of),
                b.as_ref().map(Side::of),
                &self.left_out,
            );
            c.change = change;
            let Some(change) = change else { continue };
            let mut e = match (e, b) {
                (Some(e), _) => e,
                (None, Some(mut b)) => {
                    b.seen_this_run = false;
                    b
                }
                // Not found in this snapshot: left out, and of the summary.
                (None, None) => continue,
            };
            e.change = change;
            e.change_reasons = why;
            c.risk = e.risk;
            out.push(e);
        }
        Ok(Some(out))
    }
}

impl Against<'_> {
    /// First pass, for the summary: every exposure's change and risk, from
    /// its assessment and places alone (what the second pass compares,
    /// without the sightings' texts and verdicts).
    fn count_changes(&mut self) -> Result<(), StoreError> {
        for batch in self.order.chunks_mut(BATCH) {
            let now = briefs(self.store, self.run, batch, |c| c.in_run)?;
            let before = briefs(self.store, self.base, batch, |c| c.in_base)?;
            for c in batch.iter_mut() {
                let (e, b) = (now.get(&c.id), before.get(&c.id));
                c.change = change_of(e.map(Brief::side), b.map(Brief::side), &self.left_out).0;
                if let Some(x) = e.or(b) {
                    c.risk = x.risk;
                }
            }
        }
        Ok(())
    }
}

/// What a comparison reads of an exposure in one run.
pub(super) struct Side<'a> {
    risk: Risk,
    details: &'a [Detail],
    change: Change,
    places: Vec<(&'a str, &'a str)>,
}

impl Side<'_> {
    fn of(e: &Exposure) -> Side<'_> {
        Side {
            risk: e.risk,
            details: &e.details,
            change: e.change,
            places: e
                .occurrences
                .iter()
                .map(|o| (o.page_url.as_str(), o.image_url.as_str()))
                .collect(),
        }
    }
}

/// An exposure's change in a run (`now`) against another (`before`), by
/// the rule the closing uses too ([`crate::change::change_between`]),
/// leaving out pages that either run could not read; `None` when neither
/// run has it.
pub(super) fn change_of<'a>(
    now: Option<Side<'a>>,
    before: Option<Side<'a>>,
    left_out: &'a HashSet<String>,
) -> (Option<Change>, Vec<crate::model::ChangeReason>) {
    fn seen<'a>(
        s: Side<'a>,
        left_out: &'a HashSet<String>,
    ) -> crate::change::Seen<'a, impl Iterator<Item = (&'a str, &'a str)> + 'a> {
        crate::change::Seen {
            places: s
                .places
                .into_iter()
                .filter(move |(page, _)| !left_out.contains(*page)),
            risk: s.risk,
            details: s.details,
        }
    }
    let now = now.map(|n| {
        let resolved = n.change == Change::Resolved;
        (seen(n, left_out), resolved)
    });
    match crate::change::change_between(now, before.map(|b| seen(b, left_out))) {
        Some((change, why)) => (Some(change), why),
        None => (None, Vec::new()),
    }
}

/// An exposure as the first pass of a comparison reads it.
pub(super) struct Brief {
    risk: Risk,
    details: Vec<Detail>,
    change: Change,
    places: Vec<(String, String)>,
}

impl Brief {
    fn side(&self) -> Side<'_> {
        Side {
            risk: self.risk,
            details: &self.details,
            change: self.change,
            places: self
                .places
                .iter()
                .map(|(p, i)| (p.as_str(), i.as_str()))
                .collect(),
        }
    }
}

/// The briefs of the exposures of `batch` that `pick` says `run` has:
/// seen ones with this run's places, others with where they were last
/// seen, as the report shows them.
pub(super) fn briefs(
    store: &Store,
    run: i64,
    batch: &[Compared],
    pick: fn(&Compared) -> Option<bool>,
) -> Result<HashMap<String, Brief>, StoreError> {
    let ids: Vec<&str> = batch
        .iter()
        .filter(|c| pick(c).is_some())
        .map(|c| c.id.as_str())
        .collect();
    let mut out: HashMap<String, Brief> = store
        .run_exposures_of(run, &ids)?
        .into_iter()
        .map(|(e, _)| {
            let brief = Brief {
                risk: e.risk,
                details: e.details,
                change: e.change,
                places: Vec::new(),
            };
            (e.exposure_id, brief)
        })
        .collect();
    for p in store.places_of(run, &ids)? {
        if let Some(b) = out.get_mut(&p.exposure_id) {
            b.places.push((p.page_url, p.image_url));
        }
    }
    Ok(out)
}

/// Builds the whole report of `run` against `against` in memory.
pub fn build_against(
    store: &Store,
    run: &RunRow,
    against: &RunRow,
    generated_at: &str,
) -> Result<Report, StoreError> {
    let (head, source) = open_against(store, run, against, generated_at)?;
    whole(head, source)
}
