//! The walk of one website: the coordinator that keeps a bounded number of
//! fetches in flight (`drive`), and discovery (`fold`): what each fetched
//! document adds (pictures, links, sitemaps, listings, feeds, findings).

use super::*;

impl Walk {
    pub(super) fn new(
        source: &Source,
        allowed_hosts: &[String],
        max_depth: u32,
        settings: &CrawlSettings,
    ) -> Walk {
        Walk {
            source: Arc::new(source.clone()),
            frontier: Frontier::new(
                allowed_hosts,
                max_depth,
                settings.max_pages,
                settings.max_query_variants,
            ),
            queue: VecDeque::new(),
            image_queue: VecDeque::new(),
            docs_seen: Fingerprints::default(),
            doc_counts: HashMap::new(),
            new_sightings: Vec::new(),
            sighting_keys: Fingerprints::default(),
            findings: Vec::new(),
            page_wide: BTreeMap::new(),
            api_truncated: false,
            software: BTreeMap::new(),
        }
    }

    pub(super) fn count(&self, kind: &'static str) -> usize {
        self.doc_counts.get(kind).copied().unwrap_or(0)
    }

    /// Queues a non-page document once per walk.
    pub(super) fn probe(&mut self, url: &str, kind: DocKind) {
        let Ok(u) = Url::parse(url) else { return };
        let Some(u) = crate::urls::normalise(u) else {
            return;
        };
        if self.docs_seen.insert(u.as_str()) {
            *self.doc_counts.entry(kind.label()).or_default() += 1;
            self.queue.push_back((u, kind));
        }
    }

    /// Documents a listing or the media API names: read as linked ones are
    /// (the fetch tells a document by its headers), on the allowed hosts.
    pub(super) fn read_documents(&mut self, documents: &[String]) {
        for d in documents {
            if let Ok(u) = Url::parse(d) {
                if self.frontier.admit(&u, 1).is_ok() {
                    self.queue.push_back((u, DocKind::Html { depth: 1 }));
                }
            }
        }
    }

    pub(super) fn sight(&mut self, page_url: &str, img: &ImageRef, page_robots: &[String]) {
        if self
            .sighting_keys
            .insert((page_url, img.url.as_str(), img.found_via))
        {
            self.new_sightings.push(Sighting {
                source: self.source.name.clone(),
                page_url: page_url.to_string(),
                image_url: img.url.clone(),
                found_via: img.found_via,
                context: img.context.clone(),
                page_robots: page_robots.to_vec(),
                document_page: None,
            });
        }
    }

    /// A picture inside the document at `doc_url`.
    fn sight_inside(&mut self, doc_url: &str, s: DocSight, page_robots: &[String]) {
        if s.sha256.is_none() {
            return;
        }
        if self
            .sighting_keys
            .insert((doc_url, s.url.as_str(), FoundVia::Document))
        {
            self.new_sightings.push(Sighting {
                source: self.source.name.clone(),
                page_url: doc_url.to_string(),
                image_url: s.url,
                found_via: FoundVia::Document,
                context: s.context,
                page_robots: page_robots.to_vec(),
                document_page: Some(s.page),
            });
        }
    }
}
impl Crawl {
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn crawl_site(
        self: &Arc<Self>,
        source: &Source,
        start_urls: &[Url],
        allowed_hosts: &[String],
        max_depth: u32,
        discover: bool,
        deadline: Instant,
        pictures: &mut Pictures,
        outcome: &mut CrawlOutcome,
    ) {
        let mut walk = Walk::new(source, allowed_hosts, max_depth, &self.settings);
        if discover {
            // Sitemaps named in robots.txt, or the usual place.
            let mut origins: Vec<Url> = start_urls
                .iter()
                .map(|u| u.join("/").expect("root joins"))
                .collect();
            origins.dedup();
            for root in origins {
                let rules = self.robots_for(&root, &source.name).await;
                let mut maps: Vec<String> = rules.sitemaps().to_vec();
                if maps.is_empty() {
                    maps.push(root.join("/sitemap.xml").expect("static path").to_string());
                } else {
                    walk.findings.push(SiteFinding {
                        kind: FindingKind::RobotsListsSitemap,
                        url: root.join("/robots.txt").expect("static path").to_string(),
                        detail: format!("robots.txt points scrapers at {} sitemap(s)", maps.len()),
                    });
                }
                for m in maps {
                    // Relative Sitemap lines are not standard, but scrapers resolve them.
                    if let Some(u) = crate::urls::resolve(&root, &m) {
                        if walk.docs_seen.insert(u.as_str()) {
                            walk.queue.push_back((u, DocKind::Sitemap));
                        }
                    }
                }
            }
        }
        for u in start_urls {
            if let Some(u) = crate::urls::normalise(u.clone()) {
                if walk.frontier.admit(&u, 0).is_ok() {
                    walk.queue.push_front((u, DocKind::Html { depth: 0 }));
                }
            }
        }
        let pages_before = self.counters.pages_fetched.load(Ordering::Relaxed);
        self.drive(&mut walk, discover, deadline, pictures, outcome)
            .await;
        let pages_read = self.counters.pages_fetched.load(Ordering::Relaxed) - pages_before;
        // Not when the site did not answer at all (it is down: that run
        // fails as it is), nor past the deadline.
        if outcome.deadline_hit || outcome.cancelled || pages_read == 0 {
            return;
        }
        // The start addresses' origins (scheme, host, port): a page
        // elsewhere on an allowed host is asked for only if no start
        // address names that host.
        let origins: Vec<url::Origin> = start_urls.iter().map(Url::origin).collect();
        let start_hosts: Vec<&str> = start_urls.iter().filter_map(Url::host_str).collect();
        // Pages the last run saw pictures on that this crawl did not reach
        // (no link leads there now): asked for again, their links not
        // followed. A 404 says the page is gone; a page still served still
        // shows its pictures to whoever kept its address.
        let mut again = 0usize;
        for page in self.reask.get(&source.name).into_iter().flatten() {
            let Some(u) = Url::parse(page).ok().and_then(crate::urls::normalise) else {
                continue;
            };
            let in_scope = origins.contains(&u.origin())
                || (walk.frontier.is_allowed_host(&u)
                    && !u.host_str().is_some_and(|h| start_hosts.contains(&h)));
            if in_scope && walk.frontier.admit(&u, max_depth).is_ok() {
                walk.queue
                    .push_back((u, DocKind::Html { depth: max_depth }));
                again += 1;
            }
        }
        if again > 0 {
            tracing::debug!(
                pages = again,
                "asking again for pages last seen and not reached"
            );
            self.drive(&mut walk, false, deadline, pictures, outcome)
                .await;
        }
    }

    /// The coordinator loop: keeps bounded tasks running, folds their results
    /// into the walk, until nothing is left or the deadline passes.
    pub(super) async fn drive(
        self: &Arc<Self>,
        walk: &mut Walk,
        discover: bool,
        deadline: Instant,
        pictures: &mut Pictures,
        outcome: &mut CrawlOutcome,
    ) {
        let max_in_flight = (self.settings.concurrency as usize * 2).max(4);
        let mut tasks: JoinSet<TaskResult> = JoinSet::new();
        let mut images_queued = 0u64;
        loop {
            if self.cancel.is_cancelled() {
                if !outcome.cancelled {
                    tracing::warn!("shutting down; stopping the crawl");
                }
                outcome.cancelled = true;
                walk.queue.clear();
                walk.image_queue.clear();
                tasks.abort_all();
            }
            if Instant::now() >= deadline {
                if !outcome.deadline_hit {
                    tracing::warn!("run time limit reached; stopping the crawl");
                }
                outcome.deadline_hit = true;
                *outcome.skipped.entry("max_run_secs".into()).or_default() +=
                    (walk.queue.len() + walk.image_queue.len()) as u64;
                walk.queue.clear();
                walk.image_queue.clear();
                tasks.abort_all();
            }
            while tasks.len() < max_in_flight {
                // Pictures first: they hold memory until analysed.
                if let Some((url, source)) = walk.image_queue.pop_front() {
                    let me = self.clone();
                    tasks
                        .spawn(async move { TaskResult::Image(me.fetch_image(url, source).await) });
                } else if let Some((url, kind)) = walk.queue.pop_front() {
                    let me = self.clone();
                    let source = walk.source.clone();
                    tasks.spawn(async move {
                        TaskResult::Doc(Box::new(me.fetch_doc(url, kind, source).await))
                    });
                } else {
                    break;
                }
            }
            let joined = tokio::select! {
                j = tasks.join_next() => j,
                () = self.cancel.cancelled(), if !outcome.cancelled => continue,
            };
            let Some(joined) = joined else {
                break;
            };
            let result = match joined {
                Ok(r) => r,
                Err(e) if e.is_cancelled() => continue,
                Err(e) => {
                    tracing::error!(error = %e, "crawl task failed");
                    self.counters.fetch_errors.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            };
            match result {
                TaskResult::Image(img) => {
                    let waiting = pictures.waiting.remove(&img.url).unwrap_or_default();
                    pictures.know(&img.url, img.x_robots_tag, img.rules);
                    for s in waiting {
                        self.send_sighting(pictures, s).await;
                    }
                }
                TaskResult::Doc(doc) => self.fold(walk, *doc, discover),
            }
            // Queue newly found pictures (once per run across sources); a
            // sighting waits for its picture's fetch, whose headers its
            // verdicts need, and then goes to the writer.
            for s in std::mem::take(&mut walk.new_sightings) {
                if s.found_via == FoundVia::Document {
                    // Its bytes came with the document: nothing to fetch.
                    if !pictures.sighted(&s.image_url) {
                        pictures.count_address(&s.image_url);
                        let rules = self.rules_of(&s.image_url, &walk.source.name).await;
                        pictures.know(&s.image_url, None, rules);
                    }
                    self.send_sighting(pictures, s).await;
                    continue;
                }
                if !pictures.sighted(&s.image_url) {
                    pictures.count_address(&s.image_url);
                    if images_queued >= self.settings.max_images {
                        *outcome.skipped.entry("max_images".into()).or_default() += 1;
                        let rules = self.rules_of(&s.image_url, &walk.source.name).await;
                        pictures.know(&s.image_url, None, rules);
                    } else {
                        images_queued += 1;
                        walk.image_queue
                            .push_back((s.image_url.clone(), walk.source.name.clone()));
                        pictures.waiting.insert(s.image_url.clone(), Vec::new());
                    }
                }
                match pictures.waiting.get_mut(&s.image_url) {
                    Some(w) => w.push(s),
                    None => self.send_sighting(pictures, s).await,
                }
            }
            self.tick();
        }
        // Fetches stopped by the deadline: their sightings go with the
        // host's robots.txt alone (after a shutdown the run is discarded).
        let left: Vec<(String, Vec<Sighting>)> = pictures.waiting.drain().collect();
        if !outcome.cancelled {
            for (url, sightings) in left {
                let rules = self.rules_of(&url, &walk.source.name).await;
                pictures.know(&url, None, rules);
                for s in sightings {
                    self.send_sighting(pictures, s).await;
                }
            }
        }
        for (k, v) in walk.frontier.skipped.drain() {
            *outcome.skipped.entry(k.to_string()).or_default() += v;
        }
        for ((kind, text), (pages, first)) in std::mem::take(&mut walk.page_wide) {
            walk.findings.push(SiteFinding {
                kind: FindingKind::PageWidePersonalDetail,
                url: first,
                detail: format!(
                    "{} \"{text}\" is in the header, footer or sidebar of {pages} page(s): a scraper gets it with every picture on them",
                    kind.replace('_', " ")
                ),
            });
        }
        // What the site runs on, as its pages said: the report's fixes are
        // written for that server and CMS only.
        for (origin, (servers, wordpress)) in std::mem::take(&mut walk.software) {
            let servers: Vec<String> = servers.into_iter().collect();
            walk.findings.push(SiteFinding {
                kind: FindingKind::SiteSoftware,
                url: origin,
                detail: format!(
                    "server: {}; {}",
                    if servers.is_empty() {
                        "not named".to_string()
                    } else {
                        servers.join(", ")
                    },
                    if wordpress {
                        "WordPress"
                    } else {
                        "not WordPress"
                    }
                ),
            });
        }
        for f in walk.findings.drain(..) {
            self.record(Record::Finding(f)).await;
        }
    }

    /// Folds one document's result into the walk.
    pub(super) fn fold(&self, walk: &mut Walk, doc: DocResult, discover: bool) {
        let DocResult {
            url,
            kind,
            found,
            page_robots,
            final_host_allowed,
            redirected,
            server,
            skipped,
        } = doc;
        for (why, n) in skipped {
            *walk.frontier.skipped.entry(why).or_default() += u64::from(n);
        }
        if redirected {
            if walk.frontier.is_seen(&url) {
                // The address it redirects to is crawled on its own: one page.
                if !matches!(found, Found::Nothing) {
                    self.counters.pages_fetched.fetch_sub(1, Ordering::Relaxed);
                    self.counters.html_pages.fetch_sub(1, Ordering::Relaxed);
                }
                return;
            }
            walk.frontier.note_seen(&url);
        }
        let page = url.to_string();
        match found {
            Found::Nothing => {}
            Found::Page(e) => {
                if let DocKind::Html { .. } = kind {
                    let seen = walk
                        .software
                        .entry(url.origin().ascii_serialization())
                        .or_default();
                    seen.0.extend(server.clone());
                    seen.1 |= e.wordpress;
                }
                let depth = match kind {
                    DocKind::Html { depth } => depth,
                    _ => 0,
                };
                let listing = e.directory_listing;
                if listing {
                    walk.findings.push(SiteFinding {
                        kind: FindingKind::DirectoryListing,
                        url: page.clone(),
                        detail: "the folder lists its files: a scraper takes every picture in it, linked or not".into(),
                    });
                }
                let (listed, subfolders) = if listing {
                    listing::entries(&url, &e)
                } else {
                    (Vec::new(), Vec::new())
                };
                let mut robots = page_robots.clone();
                robots.extend(e.robots_meta.iter().cloned());
                // Page-wide details are site findings, not attached to each picture.
                if let Some(text) = &e.furniture_text {
                    for d in crate::analysis::details::detect(text, Where::NearbyText, &page) {
                        let entry = walk
                            .page_wide
                            .entry((d.kind.as_str(), d.text))
                            .or_insert((0, page.clone()));
                        entry.0 += 1;
                    }
                }
                for img in e
                    .images
                    .iter()
                    .filter(|i| !listing || i.found_via != FoundVia::Link)
                    .chain(listed.iter())
                {
                    walk.sight(&page, img, &robots);
                }
                if !final_host_allowed {
                    return;
                }
                for link in &e.links {
                    if let Ok(u) = Url::parse(link) {
                        if walk.frontier.admit(&u, depth + 1).is_ok() {
                            walk.queue
                                .push_back((u, DocKind::Html { depth: depth + 1 }));
                        }
                    }
                }
                if !discover {
                    return;
                }
                for sub in subfolders {
                    walk.probe(&sub, DocKind::Listing);
                }
                for css in e.stylesheets.iter().take(MAX_STYLESHEETS) {
                    if walk.count("stylesheet") < MAX_STYLESHEETS {
                        walk.probe(css, DocKind::Stylesheet);
                    }
                }
                for feed in &e.feeds {
                    if walk.count("feed") < MAX_FEEDS {
                        walk.probe(feed, DocKind::Feed);
                    }
                }
                if e.wordpress {
                    let api = wordpress::listing_url(&url, 1);
                    walk.probe(api.as_str(), DocKind::MediaApi { page: 1 });
                }
                // Folders that pictures live in may list their files.
                for img in &e.images {
                    if let Ok(u) = Url::parse(&img.url) {
                        let folder = listing::folder_of(&u);
                        let is_page = Url::parse(&folder).is_ok_and(|f| walk.frontier.is_seen(&f));
                        if walk.frontier.is_allowed_host(&u)
                            && !is_page
                            && walk.count("listing") < MAX_FOLDER_PROBES
                        {
                            walk.probe(&listing::folder_of(&u), DocKind::Listing);
                        }
                    }
                }
            }
            Found::Sitemap { sitemaps, pages } => {
                for s in sitemaps {
                    if walk.count("sitemap") < MAX_SITEMAPS {
                        walk.probe(&s, DocKind::Sitemap);
                    }
                }
                let mut with_images = 0;
                for (page_url, images) in pages {
                    if let Ok(u) = Url::parse(&page_url) {
                        if walk.frontier.admit(&u, 1).is_ok() {
                            walk.queue.push_back((u, DocKind::Html { depth: 1 }));
                        }
                    }
                    with_images += usize::from(!images.is_empty());
                    for img in &images {
                        walk.sight(&page_url, img, &[]);
                    }
                }
                if with_images > 0 {
                    walk.findings.push(SiteFinding {
                        kind: FindingKind::SitemapListsImages,
                        url: page,
                        detail: format!("the sitemap lists pictures for {with_images} page(s), handing scrapers a ready-made list"),
                    });
                }
            }
            Found::Listing {
                pictures,
                subfolders,
                documents,
            } => {
                walk.read_documents(&documents);
                walk.findings.push(SiteFinding {
                    kind: FindingKind::DirectoryListing,
                    url: page.clone(),
                    detail: format!("the folder lists its files ({} pictures): a scraper takes them all, linked or not", pictures.len()),
                });
                for img in &pictures {
                    walk.sight(&page, img, &page_robots);
                }
                for sub in subfolders {
                    if walk.count("listing") < MAX_FOLDER_PROBES {
                        walk.probe(&sub, DocKind::Listing);
                    }
                }
            }
            Found::Media {
                items,
                total_pages,
                documents,
            } => {
                walk.read_documents(&documents);
                let DocKind::MediaApi { page: n } = kind else {
                    return;
                };
                if n == 1 && !items.is_empty() {
                    walk.findings.push(SiteFinding {
                        kind: FindingKind::MediaApiExposed,
                        url: page.clone(),
                        detail: "the WordPress media API lists every upload, with captions and the untouched originals, to anyone".into(),
                    });
                }
                let more = items.len() >= wordpress::PER_PAGE as usize
                    && n < wordpress::MAX_PAGES
                    && total_pages.is_none_or(|t| n < t);
                for (page_url, img) in &items {
                    walk.sight(page_url, img, &[]);
                }
                if more {
                    walk.probe(
                        wordpress::listing_url(&url, n + 1).as_str(),
                        DocKind::MediaApi { page: n + 1 },
                    );
                }
            }
            Found::Feed { items, documents } => {
                walk.read_documents(&documents);
                if !items.is_empty() {
                    walk.findings.push(SiteFinding {
                        kind: FindingKind::FeedListsImages,
                        url: page.clone(),
                        detail: format!(
                            "the feed hands out {} picture(s) with their post text",
                            items.len()
                        ),
                    });
                }
                for (page_url, img) in &items {
                    walk.sight(page_url, img, &[]);
                }
            }
            Found::Statuses(next) => {
                if let DocKind::Social { platform, .. } = kind {
                    walk.probe(&next, DocKind::Social { platform, page: 1 });
                }
            }
            Found::Posts(posts) => {
                let DocKind::Social { platform, page: n } = kind else {
                    return;
                };
                for (post, img) in &posts.items {
                    walk.sight(post, img, &[]);
                }
                walk.api_truncated |= posts.reached_since;
                match posts.next {
                    Some(next) if n < walk.source.api.max_pages => {
                        walk.probe(
                            &next,
                            DocKind::Social {
                                platform,
                                page: n + 1,
                            },
                        );
                    }
                    Some(_) => {
                        walk.api_truncated = true;
                        *walk.frontier.skipped.entry("api_max_pages").or_default() += 1;
                    }
                    None => {}
                }
            }
            Found::Document(sights) => {
                for s in sights {
                    walk.sight_inside(&page, s, &page_robots);
                }
            }
            Found::Css(urls) => {
                // Stylesheets are shared by many pages: the stylesheet itself is
                // where a scraper finds these, and that does not depend on
                // which page happened to be crawled first.
                for u in urls {
                    let img = ImageRef {
                        url: u,
                        found_via: FoundVia::Css,
                        context: crate::model::Context::default(),
                    };
                    walk.sight(&page, &img, &page_robots);
                }
            }
        }
    }
}
