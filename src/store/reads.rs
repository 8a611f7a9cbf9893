//! What reports and comparisons read of a run: where each exposure was
//! seen (or last seen), its assessment, the report's order, the findings.

use super::*;

impl Store {
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
        let mut runs: std::collections::BTreeMap<i64, Vec<&str>> =
            std::collections::BTreeMap::new();
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
        self.sightings_by_ids(
            "SELECT rp.exposure_id, rp.sha256, s.source, s.page_url, s.image_url, s.found_via,
                    s.context, s.verdicts_id, s.document_page, s.id
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
            run_id,
            ids,
        )
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
                    s.verdicts_id, s.document_page
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

    /// The sightings of a run for some of its exposures: a report's batch,
    /// in exposure order and within one by page and address, each sighting
    /// once. CROSS JOIN keeps SQLite from starting at the run's
    /// every image; the batch is sorted here rather than by SQLite's sorter.
    pub fn occurrences_of(
        &self,
        run_id: i64,
        ids: &[&str],
    ) -> Result<Vec<OccurrenceRow>, StoreError> {
        // A picture address fetched twice in a run has two image rows: its
        // sightings are still one each (sightings_by_ids).
        self.sightings_by_ids(
            concat!(
                "SELECT rp.exposure_id, rp.sha256, s.source, s.page_url, s.image_url, s.found_via,
                        s.context, s.verdicts_id, s.document_page, s.id",
                sightings_of_exposures!()
            ),
            run_id,
            ids,
        )
    }

    /// Sightings as `sql` selects them (its first ten columns: exposure,
    /// sha256, source, page, picture, found_via, context, verdicts, document
    /// page, sighting id; `?1` the run, `IN ({})` the ids), each once, in report order.
    fn sightings_by_ids(
        &self,
        sql: &str,
        run_id: i64,
        ids: &[&str],
    ) -> Result<Vec<OccurrenceRow>, StoreError> {
        let mut rows: Vec<(i64, OccurrenceRow)> =
            self.with_ids(sql, Some(run_id), ids, |stmt, args| {
                let mut maps = VerdictMaps::new(&self.conn);
                rows_of(stmt, args, |r| {
                    Ok((r.get(9)?, occurrence_from(r, &mut maps)?))
                })
            })?;
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
}

impl Store {
    /// How many of a run's open exposures show a named or identifiable
    /// child: a child's name next to it, or a face large enough to
    /// recognise.
    pub fn named_or_identifiable(&self, run_id: i64) -> Result<u64, StoreError> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM run_exposures WHERE run_id = ?1 AND change != 'resolved'
               AND (reasons LIKE '%\"full_name_nearby\"%' OR reasons LIKE '%\"first_name_nearby\"%'
                    OR reasons LIKE '%\"identifiable_face\"%')",
            params![run_id],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    /// The origins (scheme, host, port) of the picture addresses that runs
    /// saw on the school's own sources (not a platform's API): where the
    /// HTML report may load a picture from.
    pub fn picture_origins(
        &self,
        run_ids: &[i64],
    ) -> Result<std::collections::BTreeSet<String>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT DISTINCT image_url FROM sightings WHERE run_id = ?1 AND found_via != 'api'",
        )?;
        let mut out = std::collections::BTreeSet::new();
        for run in run_ids {
            each_row(&mut stmt, params![run], |r| {
                if let Ok(u) = url::Url::parse(text(r, 0)?) {
                    if matches!(u.scheme(), "http" | "https") {
                        out.insert(u.origin().ascii_serialization());
                    }
                }
                Ok(())
            })?;
        }
        Ok(out)
    }
}
