//! Closing a run: every exposure scored (crate::risk), compared with the
//! run before (crate::change) and carried where this run did not see it,
//! then written with the run's status and alerts in one write transaction,
//! a batch at a time so memory stays flat.

use super::*;

pub(super) type Finished = (
    RunStatus,
    usize,
    HashMap<Risk, usize>,
    HashMap<Change, usize>,
);

/// Exposures assessed per read of their sightings and pictures.
const SCORE_BATCH: usize = 512;
/// Most pages a picture may be shown on for their titles to be its details.
const MAX_PAGES_FOR_TITLE: usize = 2;

/// What assessing one batch of exposures needs, besides the store.
pub(super) struct Scoring<'a> {
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
pub(super) fn finish(
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
    // A pHash match the detail hash says is another photo (portraits on
    // one backdrop) is undone.
    let details = store.run_picture_details(run_id, &pictures)?;
    let moved = group::split_unverified(&mut grouping, &pictures, &details, &known_pictures);
    if moved > 0 {
        tracing::debug!(moved, "pictures the detail hash took out of a pHash group");
    }
    drop(details);

    // WordPress size variants of one upload are one picture even where a
    // square crop moves the hash too far. Sorted, so links do not depend on
    // fetch order.
    let mut by_key: std::collections::BTreeMap<String, BTreeSet<usize>> =
        std::collections::BTreeMap::new();
    // Pictures sharing a file name in any folder: crops of one photo saved
    // as another upload are checked by their thumbnails below.
    let mut by_name: std::collections::BTreeMap<String, BTreeSet<usize>> =
        std::collections::BTreeMap::new();
    store.for_each_run_image(run_id, |url, sha| {
        // `pictures` is sorted by sha256 and holds every picture of the run.
        let Some(i) =
            parse_digest(sha).and_then(|d| pictures.binary_search_by(|(s, _)| s.cmp(&d)).ok())
        else {
            return;
        };
        if let Some(key) = crate::extract::wordpress::variant_key(url) {
            by_key.entry(key).or_default().insert(i);
        }
        if let Some(key) = crate::extract::wordpress::name_key(url) {
            by_name.entry(key).or_default().insert(i);
        }
    })?;
    let mut links: Vec<(usize, usize)> = by_key
        .values()
        .flat_map(|shas| {
            let first = shas.first().copied().unwrap_or_default();
            shas.iter().skip(1).map(move |&i| (first, i))
        })
        .collect();
    drop(by_key);
    links.extend(crop_links(
        store,
        &pictures,
        &grouping,
        &by_name,
        &known_pictures,
    )?);
    drop((by_name, known_pictures));
    // A re-post flipped left to right: its mirror image's hash is near
    // another picture's hash.
    links.extend(group::mirror_links(
        &pictures,
        &store.run_picture_mirrors(run_id)?,
    ));
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
    let nothing_seen = counts.pages_fetched == 0
        && counts.documents_fetched == 0
        && counts.other_fetched == 0
        && counts.images_fetched == 0;
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
pub(super) fn places_before(
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
pub(super) fn score_batch(
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
        // A page's title says what the page is about. A picture shown on
        // many pages (a logo, a placeholder on every staff profile) is not
        // what each of them is about: their titles are not its details.
        let mut pages: Vec<&str> = now_places.iter().map(|p| p.0).collect();
        pages.dedup();
        if pages.len() > MAX_PAGES_FOR_TITLE {
            details.retain(|d| d.location != crate::model::Where::PageTitle);
        }
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
                unlinked_only: sightings.iter().all(|o| {
                    matches!(
                        o.found_via,
                        crate::model::FoundVia::DirectoryListing | crate::model::FoundVia::MediaApi
                    )
                }),
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
        // The report shows the roles the score counted (after scoring:
        // a carried role is not carried on).
        risk::carry_roles(&mut details);
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
                    images: urls.iter().map(std::string::ToString::to_string).collect(),
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
pub(super) fn carry_batch(
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

/// Most pictures of one file name whose thumbnails are compared pairwise:
/// a name shared more widely ("image.jpg", "logo.png") says nothing.
const MAX_SAME_NAME: usize = 8;

/// Pairs of the run's pictures (places in `pictures`) that share a file
/// name, sit in different exposures, and whose stored thumbnails show one
/// is a crop of the other (`analysis::hash::crop`): another upload of one
/// photo at another crop, which no 64-bit hash follows.
///
/// Not compared: a pair within the pHash threshold (the hashes already
/// said what they could, and the detail hash took them apart: two
/// portraits on one backdrop, `portrait-1.jpg` and `portrait-2.jpg`), and
/// a pair both of whose bytes were grouped in an earlier run (compared
/// then; their exposures keep what was decided), so a run pays only for
/// its new pictures.
fn crop_links(
    store: &Store,
    pictures: &[(Digest, u64)],
    grouping: &group::Grouping,
    by_name: &std::collections::BTreeMap<String, BTreeSet<usize>>,
    known_pictures: &[Option<u32>],
) -> Result<Vec<(usize, usize)>, StoreError> {
    use crate::analysis::hash::crop;
    let known = |i: usize| known_pictures.get(i).is_some_and(Option::is_some);
    let mut links = Vec::new();
    for shas in by_name.values() {
        if shas.len() < 2 || shas.len() > MAX_SAME_NAME {
            continue;
        }
        // One name's thumbnails at a time (at most MAX_SAME_NAME of 96x96
        // grey), so memory stays bounded however many names the run holds.
        let mut thumbs: HashMap<usize, Option<image::GrayImage>> = HashMap::new();
        let shas: Vec<usize> = shas.iter().copied().collect();
        for (k, &a) in shas.iter().enumerate() {
            for &b in &shas[k + 1..] {
                if grouping.of[a] == grouping.of[b]
                    || (known(a) && known(b))
                    || (pictures[a].1 ^ pictures[b].1).count_ones()
                        <= group::SAME_PICTURE_MAX_DISTANCE
                {
                    continue;
                }
                for i in [a, b] {
                    if let std::collections::hash_map::Entry::Vacant(v) = thumbs.entry(i) {
                        let jpeg = store.thumbnail(&digest_hex(&pictures[i].0))?;
                        v.insert(
                            jpeg.and_then(|j| image::load_from_memory(&j).ok())
                                .map(|t| t.to_luma8()),
                        );
                    }
                }
                if let (Some(Some(ta)), Some(Some(tb))) = (thumbs.get(&a), thumbs.get(&b)) {
                    if crop::crop_similarity(ta, tb) >= crop::CROP_MATCH {
                        links.push((a, b));
                    }
                }
            }
        }
    }
    Ok(links)
}
