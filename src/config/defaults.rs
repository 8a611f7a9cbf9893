//! Every default value of the config, in one place.

/// Where the database lives when `[storage] database` is not set.
pub const DATABASE: &str = "data/exposure-audit.db";
/// Default config path for every subcommand.
pub const CONFIG_PATH: &str = "config/exposure-audit.toml";
pub const USER_AGENT: &str = concat!(
    "exposure-audit/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/exposure-audit/exposure-audit)"
);
/// Runs whose sightings and details are kept: a year of weekly audits.
pub const KEEP_RUNS: u64 = 52;
pub const MAX_PAGES: u64 = 5000;
/// Pages of posts read from a platform API per source per run.
pub const API_MAX_PAGES: u32 = 20;
pub const MAX_DEPTH: u32 = 20;
pub const CONCURRENCY: u32 = 8;
pub const PER_HOST_DELAY_MS: u64 = 250;
/// Pages, sitemaps, feeds and API answers: 5 MiB is far above any real page.
pub const MAX_PAGE_BYTES: u64 = 5 * 1024 * 1024;
/// Pictures: 25 MiB covers an untouched camera original.
pub const MAX_IMAGE_BYTES: u64 = 25 * 1024 * 1024;
/// 100 megapixels: larger pictures are recorded as too large, not decoded.
pub const MAX_IMAGE_PIXELS: u64 = 100_000_000;
pub const REQUEST_TIMEOUT_SECS: u64 = 30;
pub const CONNECT_TIMEOUT_SECS: u64 = 10;
pub const MAX_RETRIES: u32 = 2;
/// Longest Retry-After we wait for; a longer one is recorded as a failure.
pub const MAX_RETRY_AFTER_SECS: u64 = 60;
/// Distinct query strings crawled per path (calendar traps).
pub const MAX_QUERY_VARIANTS: u32 = 10;
/// Pictures fetched per source per run.
pub const MAX_IMAGES: u64 = 20_000;
/// Whole run, per source: the crawl stops taking new work after this.
pub const MAX_RUN_SECS: u64 = 6 * 3600;

/// `[documents]`: a document is read up to these bounds.
pub const DOCUMENT_MAX_BYTES: u64 = 50 * 1024 * 1024;
pub const DOCUMENT_MAX_PAGES: u64 = 500;
pub const DOCUMENT_MAX_PICTURES: u64 = 300;
pub const DOCUMENT_MAX_DEPTH: u64 = 12;
pub const DOCUMENT_MAX_DECOMPRESSED_BYTES: u64 = 256 * 1024 * 1024;
pub const DOCUMENT_MAX_SECS: u64 = 60;
