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
use crate::scope::Frontier;
use crate::store::{History, ImageRecord, PageRecord, Record};
use crate::urls::Fingerprints;

mod documents;
mod images;
mod inside;
mod platforms;
mod reask;
mod verdicts;
mod walk;

use platforms::*;
use verdicts::*;

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
        /// Documents in the folder, read as linked documents are.
        #[serde(default)]
        documents: Vec<String>,
    },
    Media {
        items: Vec<(String, ImageRef)>,
        total_pages: Option<u32>,
        /// Uploaded documents, read as linked documents are.
        #[serde(default)]
        documents: Vec<String>,
    },
    Feed {
        items: Vec<(String, ImageRef)>,
        /// Documents the posts enclose, read as linked documents are.
        #[serde(default)]
        documents: Vec<String>,
    },
    /// A page of an account's posts.
    Posts(social::PostsPage),
    /// Mastodon's account lookup: the statuses address.
    Statuses(String),
    Css(Vec<String>),
    /// A PDF or Office document's pictures, analysed when it was read.
    Document(Vec<DocSight>),
}

/// A picture inside a document, as the document's read left it: its
/// address (the document's, with its page and place), page, context and
/// what its analysis gave. Stored with the document, so a 304 replays it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct DocSight {
    url: String,
    page: u32,
    context: crate::model::Context,
    sha256: Option<String>,
    error: Option<String>,
    bytes: u64,
}

/// Counters of a run, shared by its tasks.
#[derive(Debug, Default)]
pub struct Counters {
    /// Documents read of any kind (pages, sitemaps, feeds, API pages): what
    /// tells whether a source or walk read anything.
    pub pages_fetched: AtomicU64,
    /// Of what was fetched as a document, by what it is, for the run's
    /// counts: HTML pages, documents (PDF, Word...; their transfer is
    /// stopped until they are read), and other files (sitemaps, feeds,
    /// stylesheets, API pages, anything else).
    pub html_pages: AtomicU64,
    pub documents: AtomicU64,
    pub other_files: AtomicU64,
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
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
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
                        .await;
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
                        .await;
                    }
                    SourceKind::Feed { url } => {
                        let host = url.host_str().unwrap_or_default().to_string();
                        self.crawl_feed(source, url, &host, deadline, &mut pictures, &mut outcome)
                            .await;
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
                        .await;
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
    /// The page's Server header: which server the site runs on, for the
    /// fixes the report gives.
    server: Option<String>,
    /// What a document's read left out, by bound or reason.
    skipped: Vec<(&'static str, u32)>,
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
    /// What each origin's pages said it runs on: Server headers and
    /// whether it is WordPress (site_software findings).
    software: BTreeMap<String, (BTreeSet<String>, bool)>,
}
