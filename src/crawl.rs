//! The crawl: walks each source the way a scraper does and turns what it
//! fetches into sightings, picture analyses and fetch records. Breadth-first
//! over allowed hosts from the start URLs, plus robots.txt sitemaps, the
//! WordPress media API, open directory listings of picture folders, feeds
//! and stylesheets. One coordinator owns the frontier; fetches and analyses
//! run as bounded tasks. Every failure becomes a record and the crawl goes on.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, OnceCell, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use url::Url;

use crate::analysis::{self, AnalysisError, HashLimits};
use crate::config::{CrawlSettings, RobotsMode, Source, SourceKind};
use crate::extract::{self, html::PageExtract, listing, sitemap, social, wordpress, ImageRef};
use crate::fetch::{BodyKind, FetchError, Fetched, Fetcher, Validators};
use crate::model::{FindingKind, FoundVia, RobotsVerdicts, Sighting, SiteFinding, Verdict, Where};
use crate::robots::{self, Crawler, HostRobots};
use crate::scope::{Fingerprints, Frontier};
use crate::store::{History, ImageRecord, PageRecord, Record};

/// Most directory-listing probes per source per run.
const MAX_FOLDER_PROBES: usize = 200;
/// Most sitemaps read per source per run.
const MAX_SITEMAPS: usize = 500;
/// Most stylesheets read per source per run.
const MAX_STYLESHEETS: usize = 200;
/// Most feeds read per source per run.
const MAX_FEEDS: usize = 50;

/// What kind of document a fetch is for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DocKind {
    Html {
        depth: u32,
    },
    Robots,
    Sitemap,
    Feed,
    Listing,
    MediaApi {
        page: u32,
    },
    Stylesheet,
    /// A platform API: page 0 is Mastodon's account lookup, then pages of posts.
    Social {
        platform: social::Platform,
        page: u32,
    },
}

impl DocKind {
    fn label(&self) -> &'static str {
        match self {
            DocKind::Html { .. } => "html",
            DocKind::Robots => "robots",
            DocKind::Sitemap => "sitemap",
            DocKind::Feed => "feed",
            DocKind::Listing => "listing",
            DocKind::MediaApi { .. } => "media_api",
            DocKind::Stylesheet => "stylesheet",
            DocKind::Social { .. } => "api",
        }
    }

    /// Probes look for things that may well not exist: a 404 is an answer,
    /// not a failure.
    fn is_probe(&self) -> bool {
        matches!(
            self,
            DocKind::Robots | DocKind::Listing | DocKind::MediaApi { .. }
        )
    }
}

/// What a document yielded; stored with the page so a 304 can replay it.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum Found {
    Nothing,
    Page(PageExtract),
    Sitemap {
        sitemaps: Vec<String>,
        pages: Vec<(String, Vec<ImageRef>)>,
    },
    Listing {
        pictures: Vec<ImageRef>,
        subfolders: Vec<String>,
    },
    Media {
        items: Vec<(String, ImageRef)>,
        total_pages: Option<u32>,
    },
    Feed(Vec<(String, ImageRef)>),
    /// A page of an account's posts.
    Posts(social::PostsPage),
    /// Mastodon's account lookup: the statuses address.
    Statuses(String),
    Css(Vec<String>),
}

/// Counters of a run, shared by its tasks.
#[derive(Debug, Default)]
pub struct Counters {
    pub pages_fetched: AtomicU64,
    pub images_fetched: AtomicU64,
    /// Every failed fetch or analysis, in scope or not.
    pub fetch_errors: AtomicU64,
    /// Of those, the ones off the school's own hosts (a font stylesheet or
    /// a picture on a CDN): listed, but they do not make the run partial.
    pub off_site_errors: AtomicU64,
}

/// What the crawl of all sources produced, beyond the records it streamed.
#[derive(Debug, Default)]
pub struct CrawlOutcome {
    /// Every picture address sighted (the sightings went to the writer).
    pub pictures: Pictures,
    /// Sources that could not be audited, with why.
    pub failed_sources: Vec<(String, String)>,
    /// Work not done because a bound was reached, by bound name.
    pub skipped: HashMap<String, u64>,
    pub deadline_hit: bool,
    /// The crawl was stopped from outside (shutdown); the run is interrupted.
    pub cancelled: bool,
    /// Platform sources whose every page of posts was read without error:
    /// a post of theirs not seen now is gone, not merely unread.
    pub complete_social_sources: HashSet<String>,
    /// Failed fetches off the school's own hosts ([`Counters::off_site_errors`]),
    /// read by the audit once every fetch of the run is done.
    pub off_site_errors: u64,
}

/// Reports progress to whoever drives the run (progress bar, log lines).
pub trait Progress: Send + Sync {
    fn update(&self, pages: u64, images: u64, errors: u64);
}

/// No progress output.
pub struct Quiet;
impl Progress for Quiet {
    fn update(&self, _: u64, _: u64, _: u64) {}
}

/// State shared by the crawl's tasks.
pub struct Crawl {
    pub fetcher: Fetcher,
    pub settings: CrawlSettings,
    pub crawlers: Vec<Crawler>,
    history: History,
    /// Pictures analysed before or in this run, by sha256 key.
    known_pictures: Mutex<HashSet<u128>>,
    records: mpsc::Sender<Record>,
    robots: Mutex<HashMap<String, Arc<OnceCell<Arc<HostRobots>>>>>,
    analysis_slots: Semaphore,
    pub counters: Counters,
    progress: Arc<dyn Progress>,
    /// Cancelled on shutdown: no new work, fetches in flight are dropped.
    pub cancel: CancellationToken,
    /// The school's own scope: every host the config names, and the
    /// platform sources (whose pictures may sit on a platform's CDN).
    own_hosts: HashSet<String>,
    platform_sources: HashSet<String>,
    /// Pages by source where the last run saw a picture still open: asked
    /// for again when the crawl does not reach them, so a deleted page is
    /// known gone (404) and a page no longer linked is still seen.
    reask: HashMap<String, Vec<String>>,
}

impl Crawl {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        fetcher: Fetcher,
        settings: CrawlSettings,
        crawlers: Vec<Crawler>,
        history: History,
        known_pictures: HashSet<u128>,
        records: mpsc::Sender<Record>,
        progress: Arc<dyn Progress>,
    ) -> Crawl {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Crawl {
            fetcher,
            settings,
            crawlers,
            history,
            known_pictures: Mutex::new(known_pictures),
            records,
            robots: Mutex::new(HashMap::new()),
            analysis_slots: Semaphore::new(cores),
            counters: Counters::default(),
            progress,
            cancel: CancellationToken::new(),
            own_hosts: HashSet::new(),
            platform_sources: HashSet::new(),
            reask: HashMap::new(),
        }
    }

    /// Sets the pages (source, address) to ask for again when not reached.
    pub fn reasking(mut self, pages: impl Iterator<Item = (String, String)>) -> Crawl {
        for (source, page) in pages {
            self.reask.entry(source).or_default().push(page);
        }
        self
    }

    /// Sets the school's own scope from the configured sources: a failure
    /// outside it does not make a run partial.
    pub fn with_scope(mut self, sources: &[Source]) -> Crawl {
        self.own_hosts = sources.iter().flat_map(|s| s.kind.named_hosts()).collect();
        self.platform_sources = sources
            .iter()
            .filter(|s| platform_of(&s.kind).is_some())
            .map(|s| s.name.clone())
            .collect();
        self
    }

    /// Counts a failed fetch or analysis of `url`; `platform` when it came
    /// from (or through) a platform source, which is always in scope.
    fn failed(&self, url: &str, platform: bool) {
        self.counters.fetch_errors.fetch_add(1, Ordering::Relaxed);
        let own = platform
            || Url::parse(url)
                .ok()
                .and_then(|u| u.host_str().map(|h| self.own_hosts.contains(h)))
                .unwrap_or(true);
        if !own {
            self.counters
                .off_site_errors
                .fetch_add(1, Ordering::Relaxed);
        }
    }

    async fn record(&self, r: Record) {
        // The writer only stops when the run ends; a send error then is moot.
        let _ = self.records.send(r).await;
    }

    fn tick(&self) {
        self.progress.update(
            self.counters.pages_fetched.load(Ordering::Relaxed),
            self.counters.images_fetched.load(Ordering::Relaxed),
            self.counters.fetch_errors.load(Ordering::Relaxed),
        );
    }

    /// The robots rules of `url`'s origin, fetched once per run.
    pub async fn robots_for(self: &Arc<Self>, url: &Url, source: &str) -> Arc<HostRobots> {
        let origin = url.origin().ascii_serialization();
        let cell = {
            let mut map = self.robots.lock().expect("robots map lock");
            map.entry(origin.clone()).or_default().clone()
        };
        cell.get_or_init(|| async {
            let robots_url =
                Url::parse(&format!("{origin}/robots.txt")).expect("origin URL parses");
            let result = self
                .fetcher
                .fetch(&robots_url, BodyKind::Document, None)
                .await;
            let (status, body, error) = match &result {
                Ok(f) => (Some(f.status), f.body.as_deref(), None),
                Err(e) => (None, None, Some(e.to_string())),
            };
            let rules = HostRobots::from_response(status, body, &self.crawlers);
            self.record(Record::Page(PageRecord {
                source: source.to_string(),
                url: robots_url.to_string(),
                kind: "robots".into(),
                status,
                error,
                bytes: body.map_or(0, |b| b.len() as u64),
                content_hash: body.map(analysis::hash::sha256_hex),
                ..PageRecord::default()
            }))
            .await;
            Arc::new(rules)
        })
        .await
        .clone()
    }

    /// Crawls every source; records stream to the writer as they happen.
    pub async fn run(self: &Arc<Self>, sources: &[Source], deadline: Instant) -> CrawlOutcome {
        let mut outcome = CrawlOutcome::default();
        let mut pictures = Pictures::default();
        for source in sources {
            if self.cancel.is_cancelled() {
                outcome.cancelled = true;
                break;
            }
            let span =
                tracing::info_span!("source", name = %source.name, kind = source.kind.label());
            async {
                match &source.kind {
                    SourceKind::Website {
                        start_urls,
                        allowed_hosts,
                    } => {
                        self.crawl_site(
                            source,
                            start_urls,
                            allowed_hosts,
                            self.settings.max_depth,
                            true,
                            deadline,
                            &mut pictures,
                            &mut outcome,
                        )
                        .await
                    }
                    SourceKind::Page { url } => {
                        let host = url.host_str().unwrap_or_default().to_string();
                        self.crawl_site(
                            source,
                            std::slice::from_ref(url),
                            &[host],
                            0,
                            false,
                            deadline,
                            &mut pictures,
                            &mut outcome,
                        )
                        .await
                    }
                    SourceKind::Feed { url } => {
                        let host = url.host_str().unwrap_or_default().to_string();
                        self.crawl_feed(source, url, &host, deadline, &mut pictures, &mut outcome)
                            .await
                    }
                    SourceKind::Mastodon { base_url, account }
                    | SourceKind::Bluesky { base_url, account }
                    | SourceKind::FacebookPage {
                        base_url,
                        page_id: account,
                        ..
                    }
                    | SourceKind::Instagram {
                        base_url,
                        account_id: account,
                        ..
                    } => {
                        self.crawl_social(
                            source,
                            base_url,
                            account,
                            deadline,
                            &mut pictures,
                            &mut outcome,
                        )
                        .await
                    }
                }
            }
            .instrument(span)
            .await;
        }
        if !outcome.cancelled {
            for f in pictures.findings() {
                self.record(Record::Finding(f)).await;
            }
        }
        outcome.pictures = pictures;
        outcome
    }

    /// What earlier runs fetched.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The robots.txt of a picture address's host (`None`: not a URL).
    async fn rules_of(self: &Arc<Self>, url: &str, source: &str) -> Option<Arc<HostRobots>> {
        let u = Url::parse(url).ok()?;
        Some(self.robots_for(&u, source).await)
    }

    /// Sends a sighting to the writer with its robots verdicts.
    async fn send_sighting(&self, pictures: &mut Pictures, s: Sighting) {
        let verdicts = pictures.verdicts(&self.crawlers, &s);
        self.record(Record::Sighting(s, verdicts)).await;
    }

    /// An account's posts through its platform's API, page by page.
    async fn crawl_social(
        self: &Arc<Self>,
        source: &Source,
        base: &Url,
        account: &str,
        deadline: Instant,
        pictures: &mut Pictures,
        outcome: &mut CrawlOutcome,
    ) {
        let Some(platform) = platform_of(&source.kind) else {
            return;
        };
        if let Err(why) = source_token(source) {
            tracing::warn!(source = %source.name, "{why}");
            outcome.failed_sources.push((source.name.clone(), why));
            return;
        }
        let first = match social::first_url(platform, base, account) {
            Ok(u) => u,
            Err(why) => {
                outcome.failed_sources.push((source.name.clone(), why));
                return;
            }
        };
        let host = base.host_str().unwrap_or_default().to_string();
        let mut walk = Walk::new(source, &[host], 0, &self.settings);
        let page = u32::from(platform != social::Platform::Mastodon);
        walk.docs_seen.insert(first.as_str());
        walk.queue
            .push_back((first, DocKind::Social { platform, page }));
        let errors_before = self.counters.fetch_errors.load(Ordering::Relaxed);
        let pages_before = self.counters.pages_fetched.load(Ordering::Relaxed);
        self.drive(&mut walk, false, deadline, pictures, outcome)
            .await;
        let errors = self.counters.fetch_errors.load(Ordering::Relaxed) - errors_before;
        if errors == 0 && !walk.api_truncated && !outcome.deadline_hit && !outcome.cancelled {
            outcome.complete_social_sources.insert(source.name.clone());
        } else if self.counters.pages_fetched.load(Ordering::Relaxed) == pages_before {
            // Not one page of the account could be read (an account that
            // answers 404, a refused token): a failed source, its pictures
            // unseen, never gone.
            outcome.failed_sources.push((
                source.name.clone(),
                "the platform answered no request for the account (see the run's fetch errors)"
                    .into(),
            ));
        }
    }

    async fn crawl_feed(
        self: &Arc<Self>,
        source: &Source,
        url: &Url,
        host: &str,
        deadline: Instant,
        pictures: &mut Pictures,
        outcome: &mut CrawlOutcome,
    ) {
        let mut walk = Walk::new(source, &[host.to_string()], 0, &self.settings);
        walk.queue.push_back((url.clone(), DocKind::Feed));
        walk.docs_seen.insert(url.as_str());
        self.drive(&mut walk, false, deadline, pictures, outcome)
            .await;
    }

    #[allow(clippy::too_many_arguments)]
    async fn crawl_site(
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
                    if let Some(u) = crate::scope::resolve(&root, &m) {
                        if walk.docs_seen.insert(u.as_str()) {
                            walk.queue.push_back((u, DocKind::Sitemap));
                        }
                    }
                }
            }
        }
        for u in start_urls {
            if let Some(u) = crate::scope::normalise(u.clone()) {
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
            let Some(u) = Url::parse(page).ok().and_then(crate::scope::normalise) else {
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
    async fn drive(
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
        for f in walk.findings.drain(..) {
            self.record(Record::Finding(f)).await;
        }
    }

    /// Folds one document's result into the walk.
    fn fold(&self, walk: &mut Walk, doc: DocResult, discover: bool) {
        let DocResult {
            url,
            kind,
            found,
            page_robots,
            final_host_allowed,
            redirected,
        } = doc;
        if redirected {
            if walk.frontier.is_seen(&url) {
                // The address it redirects to is crawled on its own: one page.
                if !matches!(found, Found::Nothing) {
                    self.counters.pages_fetched.fetch_sub(1, Ordering::Relaxed);
                }
                return;
            }
            walk.frontier.note_seen(&url);
        }
        let page = url.to_string();
        match found {
            Found::Nothing => {}
            Found::Page(e) => {
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
                    walk.probe(sub, DocKind::Listing);
                }
                for css in e.stylesheets.iter().take(MAX_STYLESHEETS) {
                    if walk.count("stylesheet") < MAX_STYLESHEETS {
                        walk.probe(css.clone(), DocKind::Stylesheet);
                    }
                }
                for feed in &e.feeds {
                    if walk.count("feed") < MAX_FEEDS {
                        walk.probe(feed.clone(), DocKind::Feed);
                    }
                }
                if e.wordpress {
                    let api = wordpress::listing_url(&url, 1);
                    walk.probe(api.to_string(), DocKind::MediaApi { page: 1 });
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
                            walk.probe(listing::folder_of(&u), DocKind::Listing);
                        }
                    }
                }
            }
            Found::Sitemap { sitemaps, pages } => {
                for s in sitemaps {
                    if walk.count("sitemap") < MAX_SITEMAPS {
                        walk.probe(s, DocKind::Sitemap);
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
            } => {
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
                        walk.probe(sub, DocKind::Listing);
                    }
                }
            }
            Found::Media { items, total_pages } => {
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
                        wordpress::listing_url(&url, n + 1).to_string(),
                        DocKind::MediaApi { page: n + 1 },
                    );
                }
            }
            Found::Feed(items) => {
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
                    walk.probe(next, DocKind::Social { platform, page: 1 });
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
                            next,
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
            Found::Css(urls) => {
                // Stylesheets are shared by many pages: the stylesheet itself is
                // where a scraper finds these, and that does not depend on
                // which page happened to be crawled first.
                for u in urls {
                    let img = ImageRef {
                        url: u,
                        found_via: FoundVia::Css,
                        context: Default::default(),
                    };
                    walk.sight(&page, &img, &page_robots);
                }
            }
        }
    }

    /// Fetches one document and extracts from it (off the runtime).
    async fn fetch_doc(self: Arc<Self>, url: Url, kind: DocKind, source: Arc<Source>) -> DocResult {
        let platform_doc = matches!(kind, DocKind::Social { .. });
        let mut record = PageRecord {
            source: source.name.clone(),
            url: url.to_string(),
            kind: kind.label().into(),
            ..PageRecord::default()
        };
        let mut result = DocResult {
            url: url.clone(),
            kind: kind.clone(),
            found: Found::Nothing,
            page_robots: Vec::new(),
            final_host_allowed: true,
            redirected: false,
        };
        if self.settings.robots == RobotsMode::Obey && kind != DocKind::Robots {
            let rules = self.robots_for(&url, &source.name).await;
            if !rules.own_allowed(url.as_str()) {
                record.error = Some("skipped: robots.txt disallows it for exposure-audit".into());
                self.record(Record::Page(record)).await;
                return result;
            }
        }
        let prev = self.history.page(kind.label(), url.as_str());
        let validators = prev.as_ref().map(|p| Validators {
            etag: p.etag.clone(),
            last_modified: p.last_modified.clone(),
        });
        let fetched = match &kind {
            DocKind::Social { .. } => {
                let token = source_token(&source).ok().flatten();
                self.fetcher.fetch_api(&url, token.as_deref()).await
            }
            _ => {
                self.fetcher
                    .fetch(&url, BodyKind::Document, validators.as_ref())
                    .await
            }
        };
        // What the last fetch extracted, for a 304. When it is missing or no
        // longer reads (an upgrade changed the stored form), a 304 tells
        // nothing: the page is asked for again, unconditionally, now.
        let mut stored: Option<Found> = prev
            .as_ref()
            .and_then(|p| p.payload.as_deref())
            .and_then(|j| serde_json::from_str::<Found>(j).ok());
        let fetched = match fetched {
            Ok(f) if f.not_modified() && stored.is_none() => {
                tracing::debug!(%url, "304 without a usable stored copy: fetching it again");
                self.fetcher.fetch(&url, BodyKind::Document, None).await
            }
            other => other,
        };
        let fetched = match fetched {
            Ok(f) => f,
            Err(e) => {
                let counts = !kind.is_probe() || !matches!(e, FetchError::Refused(_));
                if counts {
                    self.failed(url.as_str(), platform_doc);
                }
                tracing::debug!(%url, error = %e, "fetch failed");
                record.error = Some(e.to_string());
                self.record(Record::Page(record)).await;
                return result;
            }
        };
        record.status = Some(fetched.status);
        record.etag.clone_from(&fetched.etag);
        record.last_modified.clone_from(&fetched.last_modified);
        record.robots.clone_from(&fetched.x_robots_tag);
        if let Some(tags) = &fetched.x_robots_tag {
            result.page_robots = tags.split(',').map(|t| t.trim().to_string()).collect();
        }
        if let DocKind::Html { .. } = kind {
            let host = fetched.final_url.host_str().unwrap_or_default();
            result.final_host_allowed =
                fetched.final_url.host_str() == url.host_str() || source_allows_host(&source, host);
            // A page is known by its address after redirects: `/about/values`
            // that redirects to `/about/values/` is that page, once.
            let landed = crate::scope::normalise(fetched.final_url.clone());
            if let Some(landed) = landed.filter(|l| result.final_host_allowed && *l != url) {
                record.requested_url = Some(std::mem::replace(&mut record.url, landed.to_string()));
                result.url = landed;
                result.redirected = true;
            }
        }
        let found = if fetched.not_modified() {
            match stored.take() {
                Some(found) => {
                    self.counters.pages_fetched.fetch_add(1, Ordering::Relaxed);
                    Some(found)
                }
                None => {
                    record.error = Some("304 without a stored copy".into());
                    self.failed(url.as_str(), platform_doc);
                    None
                }
            }
        } else if fetched.ok() {
            self.counters.pages_fetched.fetch_add(1, Ordering::Relaxed);
            let body = fetched.body.clone().unwrap_or_default();
            record.bytes = body.len() as u64;
            record.content_hash = Some(analysis::hash::sha256_hex(&body));
            let cap = self.settings.max_page_bytes;
            let kind2 = kind.clone();
            let f2 = fetched.clone();
            let since = source.api.since;
            let parsed =
                tokio::task::spawn_blocking(move || parse_doc(&kind2, &f2, &body, (cap, since)))
                    .await;
            match parsed {
                Ok(Ok(found)) => Some(found),
                Ok(Err(e)) => {
                    if !kind.is_probe() {
                        record.error = Some(e);
                        self.failed(url.as_str(), platform_doc);
                    }
                    None
                }
                Err(e) => {
                    record.error = Some(format!("extraction failed: {e}"));
                    self.failed(url.as_str(), platform_doc);
                    None
                }
            }
        } else {
            let gone = matches!(fetched.status, 404 | 410);
            let quiet = kind.is_probe() || (gone && kind == DocKind::Sitemap);
            if !quiet {
                record.error = Some(format!("HTTP {}", fetched.status));
                // A page that is gone is an answer; a platform API that
                // says an account is not there leaves the source unread.
                if !gone || platform_doc {
                    self.failed(url.as_str(), platform_doc);
                }
            }
            None
        };
        let mut found = found;
        if let (DocKind::Social { .. }, Some(Found::Posts(posts))) = (&kind, &mut found) {
            // The platform's rate-limit headers: wait before the next page,
            // or stop paging when the wait is longer than we allow.
            if let Some(wait) =
                social::rate_limit_wait(&fetched.headers, chrono::Utc::now().timestamp())
            {
                if posts.next.is_some() && wait <= self.settings.max_retry_after {
                    tracing::debug!(?wait, "platform rate limit: waiting before the next page");
                    tokio::time::sleep(wait).await;
                } else if posts.next.take().is_some() {
                    record.error = Some(format!(
                        "rate limit reached; the platform resets it in {} s, beyond crawl.max_retry_after_secs: later pages not read",
                        wait.as_secs()
                    ));
                    self.failed(url.as_str(), true);
                }
            }
        }
        if let Some(found) = found {
            record.extract = Some(serde_json::to_string(&found).expect("found serialises"));
            result.found = found;
        }
        self.record(Record::Page(record)).await;
        result
    }

    /// Fetches one picture and analyses it unless its bytes are known.
    async fn fetch_image(self: Arc<Self>, url: String, source: String) -> ImageResult {
        let mut rec = ImageRecord {
            url: url.clone(),
            ..ImageRecord::default()
        };
        let out = |rec: ImageRecord, rules: Option<Arc<HostRobots>>| ImageResult {
            url: rec.url,
            x_robots_tag: rec.x_robots_tag,
            sha256: rec.sha256,
            rules,
        };
        let from_platform = self.platform_sources.contains(&source);
        let Ok(parsed) = Url::parse(&url) else {
            rec.error = Some("not a URL".into());
            self.record(Record::Image(rec.clone())).await;
            return out(rec, None);
        };
        // Fetched for every picture host: the verdicts need it anyway.
        let rules = self.robots_for(&parsed, &source).await;
        if self.settings.robots == RobotsMode::Obey && !rules.own_allowed(&url) {
            rec.error = Some("skipped: robots.txt disallows it for exposure-audit".into());
            self.record(Record::Image(rec.clone())).await;
            return out(rec, Some(rules));
        }
        let prev = self.history.image(&url);
        let validators = prev.as_ref().map(|p| Validators {
            etag: p.etag.clone(),
            last_modified: p.last_modified.clone(),
        });
        match self
            .fetcher
            .fetch(&parsed, BodyKind::Image, validators.as_ref())
            .await
        {
            Err(e) => {
                self.failed(&url, from_platform);
                rec.error = Some(e.to_string());
            }
            Ok(f) => {
                rec.status = Some(f.status);
                rec.etag.clone_from(&f.etag);
                rec.last_modified.clone_from(&f.last_modified);
                rec.x_robots_tag.clone_from(&f.x_robots_tag);
                if f.not_modified() {
                    rec.sha256 = prev.and_then(|p| p.payload.clone());
                    self.counters.images_fetched.fetch_add(1, Ordering::Relaxed);
                } else if f.ok() {
                    let body = f.body.unwrap_or_default();
                    rec.bytes = body.len() as u64;
                    self.analyse(body, &mut rec, from_platform).await;
                } else {
                    rec.error = Some(format!("HTTP {}", f.status));
                    if !matches!(f.status, 404 | 410) {
                        self.failed(&url, from_platform);
                    }
                }
            }
        }
        self.record(Record::Image(rec.clone())).await;
        out(rec, Some(rules))
    }

    async fn analyse(&self, body: Vec<u8>, rec: &mut ImageRecord, from_platform: bool) {
        let sha = analysis::hash::sha256_hex(&body);
        let known = self
            .known_pictures
            .lock()
            .expect("known pictures lock")
            .contains(&analysis::hash::sha256_key(&sha));
        if known {
            rec.sha256 = Some(sha);
            self.counters.images_fetched.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let _slot = self
            .analysis_slots
            .acquire()
            .await
            .expect("semaphore never closes");
        let limits = HashLimits {
            max_pixels: self.settings.max_image_pixels,
        };
        let analysed = analysis::pool::analyse(body, limits).await;
        match analysed {
            Ok(picture) => {
                let fresh = self
                    .known_pictures
                    .lock()
                    .expect("known pictures lock")
                    .insert(analysis::hash::sha256_key(&picture.sha256));
                rec.sha256 = Some(picture.sha256.clone());
                self.counters.images_fetched.fetch_add(1, Ordering::Relaxed);
                if fresh {
                    self.record(Record::Picture(picture)).await;
                }
            }
            Err(e) => {
                if !matches!(e, AnalysisError::NotAPicture(_)) {
                    self.failed(&rec.url, from_platform);
                }
                rec.error = Some(e.to_string());
            }
        }
    }
}

fn source_allows_host(source: &Source, host: &str) -> bool {
    match &source.kind {
        SourceKind::Website { allowed_hosts, .. } => allowed_hosts.iter().any(|h| h == host),
        _ => false,
    }
}

/// Parses a document body by its kind. Pure and CPU-bound.
/// Parses a fetched document; `cap` bounds decompression, `since` the age
/// of platform posts.
fn parse_doc(
    kind: &DocKind,
    fetched: &Fetched,
    body: &[u8],
    (cap, since): (u64, Option<chrono::NaiveDate>),
) -> Result<Found, String> {
    let base = &fetched.final_url;
    match kind {
        DocKind::Html { .. } => {
            let looks_html = fetched
                .content_type
                .as_deref()
                .is_none_or(|t| t.contains("html") || t.contains("xml"));
            if !looks_html {
                return Ok(Found::Nothing);
            }
            Ok(Found::Page(extract::html::extract(body, base)))
        }
        DocKind::Robots => Ok(Found::Nothing),
        DocKind::Sitemap => {
            let plain = sitemap::maybe_gunzip(body, cap)?;
            let s = sitemap::parse(&plain, base)?;
            Ok(Found::Sitemap {
                sitemaps: s.sitemaps,
                pages: s.pages,
            })
        }
        DocKind::Feed => Ok(Found::Feed(extract::feed::parse(body, base)?)),
        DocKind::Listing => {
            let e = extract::html::extract(body, base);
            if !listing::is_listing(body, &e) {
                return Ok(Found::Nothing);
            }
            let (pictures, subfolders) = listing::entries(base, &e);
            Ok(Found::Listing {
                pictures,
                subfolders,
            })
        }
        DocKind::MediaApi { .. } => Ok(Found::Media {
            items: wordpress::parse(body, base)?,
            total_pages: fetched
                .header("x-wp-totalpages")
                .and_then(|v| v.trim().parse().ok()),
        }),
        DocKind::Social { platform, page } => parse_social(*platform, *page, fetched, body, since),
        DocKind::Stylesheet => {
            let css = String::from_utf8_lossy(body);
            Ok(Found::Css(
                extract::html::css_urls(&css)
                    .into_iter()
                    .filter_map(|u| crate::scope::resolve(base, u).map(|u| u.to_string()))
                    .collect(),
            ))
        }
    }
}

fn parse_social(
    platform: social::Platform,
    page: u32,
    fetched: &Fetched,
    body: &[u8],
    since: Option<chrono::NaiveDate>,
) -> Result<Found, String> {
    use social::Platform;
    let base = &fetched.final_url;
    match platform {
        Platform::Mastodon if page == 0 => Ok(Found::Statuses(
            social::mastodon_statuses_url(base, body)?.to_string(),
        )),
        Platform::Mastodon => {
            social::mastodon(body, base, fetched.header("link"), since).map(Found::Posts)
        }
        Platform::Bluesky => social::bluesky(body, base, since).map(Found::Posts),
        Platform::Facebook => social::facebook(body, base, since).map(Found::Posts),
        Platform::Instagram => social::instagram(body, base, since).map(Found::Posts),
    }
}

/// The platform of a social source.
fn platform_of(kind: &SourceKind) -> Option<social::Platform> {
    Some(match kind {
        SourceKind::Mastodon { .. } => social::Platform::Mastodon,
        SourceKind::Bluesky { .. } => social::Platform::Bluesky,
        SourceKind::FacebookPage { .. } => social::Platform::Facebook,
        SourceKind::Instagram { .. } => social::Platform::Instagram,
        _ => return None,
    })
}

/// A source's access token, from the environment variable its config names.
/// `Ok(None)` for sources that need none. The token itself is never logged
/// or recorded: errors name only the variable.
fn source_token(source: &Source) -> Result<Option<String>, String> {
    let var = match &source.kind {
        SourceKind::FacebookPage { token_env, .. } | SourceKind::Instagram { token_env, .. } => {
            token_env
        }
        _ => return Ok(None),
    };
    match std::env::var(var) {
        Ok(t) if !t.trim().is_empty() => Ok(Some(t.trim().to_string())),
        _ => Err(format!(
            "the access token is missing: set the environment variable {var} for source `{}`",
            source.name
        )),
    }
}

enum TaskResult {
    Doc(Box<DocResult>),
    Image(ImageResult),
}

struct DocResult {
    url: Url,
    kind: DocKind,
    found: Found,
    page_robots: Vec<String>,
    final_host_allowed: bool,
    /// `url` is where a redirect landed, not the address asked for.
    redirected: bool,
}

struct ImageResult {
    url: String,
    x_robots_tag: Option<String>,
    sha256: Option<String>,
    /// The picture host's robots.txt (`None` when the address is not a URL).
    rules: Option<Arc<HostRobots>>,
}

/// Every picture address sighted in a run, across its sources. A sighting
/// waits here only until its picture's fetch ends (its verdicts need the
/// picture's X-Robots-Tag), then goes to the writer: the run does not hold
/// its sightings.
#[derive(Default)]
pub struct Pictures {
    /// Addresses (by [`Fingerprints::of`]) whose fetch ended or will not
    /// happen: the picture's X-Robots-Tag and its host's robots.txt, as
    /// places in `tags` and `hosts` (16 bytes an address).
    known: HashMap<u64, (u32, u32)>,
    /// The distinct X-Robots-Tag values met (the first: none).
    tags: Interned<Option<String>>,
    /// The distinct robots.txt rules met, by address: a host's rules are
    /// one `Arc` for the whole crawl.
    hosts: Vec<Arc<HostRobots>>,
    host_places: HashMap<usize, u32>,
    /// Sightings of pictures being fetched.
    waiting: HashMap<String, Vec<Sighting>>,
    /// Most sightings share one of a few verdict maps (every crawler
    /// allowed, say): equal maps are one allocation.
    interned: HashMap<RobotsVerdicts, Arc<RobotsVerdicts>>,
    /// Per picture host: the AI and dataset crawlers some verdict lets take
    /// its pictures, and how many addresses it serves.
    by_origin: BTreeMap<String, (BTreeSet<String>, usize)>,
}

impl std::fmt::Debug for Pictures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pictures")
            .field("known", &self.known.len())
            .field("waiting", &self.waiting.len())
            .field("verdict_maps", &self.interned.len())
            .finish()
    }
}

/// Distinct values, each held once and named by its place.
struct Interned<T> {
    values: Vec<T>,
    places: HashMap<T, u32>,
}

impl<T: Default> Default for Interned<T> {
    fn default() -> Self {
        Interned {
            values: vec![T::default()],
            places: HashMap::new(),
        }
    }
}

impl<T: Clone + Eq + std::hash::Hash + Default> Interned<T> {
    fn place(&mut self, value: T) -> u32 {
        if value == T::default() {
            return 0;
        }
        if let Some(&p) = self.places.get(&value) {
            return p;
        }
        let p = self.values.len() as u32;
        self.values.push(value.clone());
        self.places.insert(value, p);
        p
    }
}

impl Pictures {
    /// Records what a picture's verdicts need once its fetch has ended or
    /// will not happen.
    fn know(&mut self, url: &str, x_robots_tag: Option<String>, rules: Option<Arc<HostRobots>>) {
        let tag = self.tags.place(x_robots_tag);
        // 0: not a URL; host n: hosts[n - 1].
        let host = match rules {
            None => 0,
            Some(r) => *self
                .host_places
                .entry(Arc::as_ptr(&r) as usize)
                .or_insert_with(|| {
                    self.hosts.push(r);
                    self.hosts.len() as u32
                }),
        };
        self.known.insert(Fingerprints::of(url), (tag, host));
    }

    /// Whether some page of this run linked the address.
    pub fn sighted(&self, url: &str) -> bool {
        self.known.contains_key(&Fingerprints::of(url)) || self.waiting.contains_key(url)
    }

    fn count_address(&mut self, url: &str) {
        if let Ok(u) = Url::parse(url) {
            self.by_origin
                .entry(u.origin().ascii_serialization())
                .or_default()
                .1 += 1;
        }
    }

    /// A sighting's robots verdicts, from what is known of its picture.
    fn verdicts(&mut self, crawlers: &[Crawler], s: &Sighting) -> Arc<RobotsVerdicts> {
        let known = self.known.get(&Fingerprints::of(&s.image_url));
        let known = known.and_then(|&(tag, host)| {
            let rules = self.hosts.get((host as usize).checked_sub(1)?)?;
            Some((&self.tags.values[tag as usize], rules))
        });
        let verdicts = match known {
            Some((tags, rules)) => {
                let image_tags =
                    robots::parse_directives(&tags.iter().map(String::as_str).collect::<Vec<_>>());
                let page_tags = robots::parse_directives(
                    &s.page_robots.iter().map(String::as_str).collect::<Vec<_>>(),
                );
                robots::verdicts(crawlers, rules, &s.image_url, &image_tags, &page_tags)
            }
            _ => RobotsVerdicts::default(),
        };
        let verdicts = self
            .interned
            .entry(verdicts)
            .or_insert_with_key(|v| Arc::new(v.clone()))
            .clone();
        if let Ok(u) = Url::parse(&s.image_url) {
            let agents = &mut self
                .by_origin
                .entry(u.origin().ascii_serialization())
                .or_default()
                .0;
            for (agent, verdict) in verdicts.iter() {
                if agent != "*" && *verdict == Verdict::Allowed && !agents.contains(agent) {
                    agents.insert(agent.clone());
                }
            }
        }
        verdicts
    }

    /// One finding per picture host whose pictures some AI or dataset
    /// crawler may take, by what robots.txt and the headers say and what
    /// it obeys.
    fn findings(&self) -> Vec<SiteFinding> {
        self.by_origin
            .iter()
            .filter(|(_, (agents, _))| !agents.is_empty())
            .map(|(origin, (agents, addresses))| SiteFinding {
                kind: FindingKind::RobotsAllowsAiCrawlers,
                url: format!("{origin}/robots.txt"),
                detail: format!(
                    "pictures on this host ({addresses} addresses) may be taken by {}",
                    agents
                        .iter()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
            .collect()
    }
}

/// The coordinator's state for one source.
struct Walk {
    source: Arc<Source>,
    frontier: Frontier,
    queue: VecDeque<(Url, DocKind)>,
    image_queue: VecDeque<(String, String)>,
    docs_seen: Fingerprints,
    doc_counts: HashMap<&'static str, usize>,
    new_sightings: Vec<Sighting>,
    sighting_keys: Fingerprints,
    findings: Vec<SiteFinding>,
    /// Details in page furniture, by (kind, text): pages seen on, first page.
    /// By detail kind's name and text: findings in the same order every run.
    page_wide: std::collections::BTreeMap<(&'static str, String), (usize, String)>,
    /// Paging of a platform API stopped before the last page (max_pages,
    /// since, rate limit): older posts were not read.
    api_truncated: bool,
}

impl Walk {
    fn new(
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
            page_wide: Default::default(),
            api_truncated: false,
        }
    }

    fn count(&self, kind: &'static str) -> usize {
        self.doc_counts.get(kind).copied().unwrap_or(0)
    }

    /// Queues a non-page document once per walk.
    fn probe(&mut self, url: String, kind: DocKind) {
        let Ok(u) = Url::parse(&url) else { return };
        let Some(u) = crate::scope::normalise(u) else {
            return;
        };
        if self.docs_seen.insert(u.as_str()) {
            *self.doc_counts.entry(kind.label()).or_default() += 1;
            self.queue.push_back((u, kind));
        }
    }

    fn sight(&mut self, page_url: &str, img: &ImageRef, page_robots: &[String]) {
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
            });
        }
    }
}

impl Crawl {
    /// Fetches picture addresses again that earlier runs saw but no page links
    /// any more: a scraper that kept the address still gets the picture.
    /// Returns the sha256 of each that still answered with a picture.
    pub async fn refetch_unlinked(
        self: &Arc<Self>,
        urls: Vec<String>,
        source: &str,
    ) -> Vec<String> {
        let mut tasks = JoinSet::new();
        let mut out = Vec::new();
        for url in urls {
            while tasks.len() >= self.settings.concurrency as usize {
                if let Some(Ok(r)) = tasks.join_next().await {
                    out.extend(r);
                }
            }
            let me = self.clone();
            let source = source.to_string();
            tasks.spawn(async move { me.fetch_image(url, source).await.sha256 });
        }
        while let Some(r) = tasks.join_next().await {
            if let Ok(r) = r {
                out.extend(r);
            }
        }
        out
    }
}
