//! Configuration: parses the TOML file (unknown keys rejected), validates it,
//! and turns it into typed settings. Every default lives in [`defaults`].
//!
//! Errors name the key and the line so an IT manager can fix the file without
//! reading code. Secrets never live here: tokens and passwords are read from
//! the environment variables the config names.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;
use url::Url;

use crate::model::Risk;

/// Every default value of the config, in one place.
pub mod defaults {
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
}

/// How robots.txt is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RobotsMode {
    /// Crawl like a scraper does, and record what each crawler would be allowed.
    Evaluate,
    /// Skip what robots.txt disallows for our own user agent.
    Obey,
}

/// A configuration error that says what to fix: which key, on which line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read at all.
    #[error("cannot read config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file was read but a key is wrong, missing, unknown or invalid.
    #[error("config {path}{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Invalid {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },
}

impl ConfigError {
    /// The line the error points at, if known (1-based).
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigError::Invalid { line, .. } => *line,
            ConfigError::Read { .. } => None,
        }
    }
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub storage: StorageSettings,
    pub crawl: CrawlSettings,
    pub sources: Vec<Source>,
    pub alerts: Option<AlertSettings>,
    pub schedule: Option<ScheduleSettings>,
    pub risk: crate::risk::Policy,
    pub logging: LogSettings,
    pub report: ReportSettings,
}

/// `[report]`: what reports may show.
#[derive(Debug, Clone, Default)]
pub struct ReportSettings {
    /// Embed small blurred thumbnails in HTML reports (off: the report must
    /// not become an exposure itself).
    pub thumbnails: bool,
}

/// How log lines are written: `text` for a terminal, `json` for journald
/// and log shippers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Default)]
pub struct LogSettings {
    pub format: LogFormat,
}

#[derive(Debug, Clone)]
pub struct StorageSettings {
    pub database: PathBuf,
    /// Runs whose sightings and details are kept; older ones are purged.
    pub keep_runs: u64,
}

#[derive(Debug, Clone)]
pub struct CrawlSettings {
    pub user_agent: String,
    pub max_pages: u64,
    pub max_depth: u32,
    pub max_images: u64,
    pub concurrency: u32,
    pub per_host_delay: Duration,
    pub robots: RobotsMode,
    pub allow_private_addresses: bool,
    pub max_page_bytes: u64,
    pub max_image_bytes: u64,
    pub max_image_pixels: u64,
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    pub max_retries: u32,
    pub max_retry_after: Duration,
    pub max_query_variants: u32,
    pub max_run_time: Duration,
    /// A crawler list to use instead of the bundled `data/crawlers.toml`.
    pub crawlers_file: Option<PathBuf>,
}

impl Default for CrawlSettings {
    fn default() -> Self {
        use defaults::*;
        CrawlSettings {
            user_agent: USER_AGENT.to_string(),
            max_pages: MAX_PAGES,
            max_depth: MAX_DEPTH,
            max_images: MAX_IMAGES,
            concurrency: CONCURRENCY,
            per_host_delay: Duration::from_millis(PER_HOST_DELAY_MS),
            robots: RobotsMode::Evaluate,
            allow_private_addresses: false,
            max_page_bytes: MAX_PAGE_BYTES,
            max_image_bytes: MAX_IMAGE_BYTES,
            max_image_pixels: MAX_IMAGE_PIXELS,
            request_timeout: Duration::from_secs(REQUEST_TIMEOUT_SECS),
            connect_timeout: Duration::from_secs(CONNECT_TIMEOUT_SECS),
            max_retries: MAX_RETRIES,
            max_retry_after: Duration::from_secs(MAX_RETRY_AFTER_SECS),
            max_query_variants: MAX_QUERY_VARIANTS,
            max_run_time: Duration::from_secs(MAX_RUN_SECS),
            crawlers_file: None,
        }
    }
}

/// One configured source of pictures.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub kind: SourceKind,
    /// How far back a platform source pages (ignored by other kinds).
    pub api: ApiLimits,
}

/// Paging bounds of a platform source: `max_pages` pages of posts, and no
/// posts older than `since`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiLimits {
    pub max_pages: u32,
    pub since: Option<chrono::NaiveDate>,
}

impl Default for ApiLimits {
    fn default() -> Self {
        ApiLimits {
            max_pages: defaults::API_MAX_PAGES,
            since: None,
        }
    }
}

#[derive(Debug, Clone)]
pub enum SourceKind {
    Website {
        start_urls: Vec<Url>,
        allowed_hosts: Vec<String>,
    },
    Feed {
        url: Url,
    },
    Page {
        url: Url,
    },
    Mastodon {
        base_url: Url,
        account: String,
    },
    Bluesky {
        base_url: Url,
        account: String,
    },
    FacebookPage {
        base_url: Url,
        page_id: String,
        token_env: String,
    },
    Instagram {
        base_url: Url,
        account_id: String,
        token_env: String,
    },
}

impl SourceKind {
    pub fn label(&self) -> &'static str {
        match self {
            SourceKind::Website { .. } => "website",
            SourceKind::Feed { .. } => "feed",
            SourceKind::Page { .. } => "page",
            SourceKind::Mastodon { .. } => "mastodon",
            SourceKind::Bluesky { .. } => "bluesky",
            SourceKind::FacebookPage { .. } => "facebook_page",
            SourceKind::Instagram { .. } => "instagram",
        }
    }

    /// The hosts named by this source: always allowed, even on private ranges.
    pub fn named_hosts(&self) -> Vec<String> {
        let urls: Vec<&Url> = match self {
            SourceKind::Website {
                start_urls,
                allowed_hosts,
            } => {
                let mut hosts: Vec<String> = allowed_hosts.clone();
                hosts.extend(
                    start_urls
                        .iter()
                        .filter_map(|u| u.host_str().map(str::to_string)),
                );
                return hosts;
            }
            SourceKind::Feed { url } | SourceKind::Page { url } => vec![url],
            SourceKind::Mastodon { base_url, .. }
            | SourceKind::Bluesky { base_url, .. }
            | SourceKind::FacebookPage { base_url, .. }
            | SourceKind::Instagram { base_url, .. } => vec![base_url],
        };
        urls.iter()
            .filter_map(|u| u.host_str().map(str::to_string))
            .collect()
    }
}

#[derive(Clone)]
pub struct AlertSettings {
    /// SMTP server; `None` when only the webhook is used.
    pub smtp_url: Option<String>,
    pub from: String,
    pub to: Vec<String>,
    pub min_risk: Risk,
    pub include_details: bool,
    /// Environment variable holding the webhook address (it carries a token).
    pub webhook_url_env: Option<String>,
}

impl std::fmt::Debug for AlertSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // smtp_url may carry a user name; never print it whole.
        f.debug_struct("AlertSettings")
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("from", &self.from)
            .field("to", &self.to.len())
            .field("min_risk", &self.min_risk)
            .field("include_details", &self.include_details)
            .field("webhook_url_env", &self.webhook_url_env)
            .finish()
    }
}

/// `text` with the user and password of every URL in it taken out: no
/// config error quotes a credential, whatever the parser put in it.
fn redact_userinfo(text: &str) -> String {
    static USERINFO: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = USERINFO.get_or_init(|| {
        regex::Regex::new(r"(?i)([a-z][a-z0-9+.-]*://)[^/?#@\s]*@").expect("static pattern")
    });
    re.replace_all(text, "${1}…@").into_owned()
}

fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => "<unparsable>".into(),
    }
}

#[derive(Debug, Clone)]
pub struct ScheduleSettings {
    pub cron: String,
    pub timezone: String,
    /// The parsed pattern; `cron` is kept for messages.
    pub pattern: croner::Cron,
    pub tz: chrono_tz::Tz,
}

// ---------------------------------------------------------------------------
// Raw file shape. Spanned fields are the ones validated beyond their type, so
// their errors can name a line.

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    storage: RawStorage,
    #[serde(default)]
    crawl: RawCrawl,
    #[serde(default)]
    sources: Vec<RawSource>,
    alerts: Option<Spanned<RawAlerts>>,
    schedule: Option<RawSchedule>,
    #[serde(default)]
    risk: RawRisk,
    #[serde(default)]
    logging: RawLogging,
    #[serde(default)]
    report: RawReport,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawReport {
    #[serde(default)]
    thumbnails: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLogging {
    #[serde(default)]
    format: LogFormat,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRisk {
    base: Option<Spanned<i64>>,
    high_from: Option<Spanned<i64>>,
    medium_from: Option<Spanned<i64>>,
    max_published_side: Option<Spanned<i64>>,
    weights: Option<Spanned<std::collections::BTreeMap<String, i64>>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    database: Option<Spanned<String>>,
    keep_runs: Option<Spanned<i64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCrawl {
    user_agent: Option<Spanned<String>>,
    max_pages: Option<Spanned<i64>>,
    max_depth: Option<Spanned<i64>>,
    max_images: Option<Spanned<i64>>,
    concurrency: Option<Spanned<i64>>,
    per_host_delay_ms: Option<Spanned<i64>>,
    robots: Option<RobotsMode>,
    allow_private_addresses: Option<bool>,
    max_page_bytes: Option<Spanned<i64>>,
    max_image_bytes: Option<Spanned<i64>>,
    max_image_pixels: Option<Spanned<i64>>,
    request_timeout_secs: Option<Spanned<i64>>,
    connect_timeout_secs: Option<Spanned<i64>>,
    max_retries: Option<Spanned<i64>>,
    max_retry_after_secs: Option<Spanned<i64>>,
    max_query_variants: Option<Spanned<i64>>,
    max_run_secs: Option<Spanned<i64>>,
    crawlers_file: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    kind: Spanned<String>,
    name: Option<Spanned<String>>,
    start_urls: Option<Spanned<Vec<Spanned<String>>>>,
    allowed_hosts: Option<Spanned<Vec<String>>>,
    url: Option<Spanned<String>>,
    base_url: Option<Spanned<String>>,
    account: Option<Spanned<String>>,
    page_id: Option<Spanned<String>>,
    account_id: Option<Spanned<String>>,
    token_env: Option<Spanned<String>>,
    max_pages: Option<Spanned<i64>>,
    since: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlerts {
    smtp_url: Option<Spanned<String>>,
    from: Option<Spanned<String>>,
    to: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    min_risk: Option<Risk>,
    #[serde(default)]
    include_details: bool,
    webhook_url_env: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    cron: Spanned<String>,
    timezone: Option<Spanned<String>>,
}

/// Public base URLs of the platforms, used when `base_url` is not set.
mod platform {
    pub const BLUESKY: &str = "https://public.api.bsky.app";
    pub const GRAPH: &str = "https://graph.facebook.com";
}

impl Config {
    /// Reads and validates the config file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Parses and validates config text; `path` is used in messages only.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let ctx = Ctx { text, path };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            // TOML's own messages do not always name the key: say which one
            // (or quote a line that sets none). A value is never quoted: it
            // may be a secret (a password in `smtp_url`, a token pasted
            // into `token_env`), and the line number points at it anyway.
            let quoted = e
                .span()
                .map(|span| line_at(text, span.start).trim())
                .filter(|l| !l.is_empty() && !e.message().contains(l))
                .map(|l| match l.split_once('=') {
                    Some((key, _)) => format!(" (in the `{}` line)", key.trim()),
                    None => format!(" (at `{}`)", l.chars().take(80).collect::<String>()),
                })
                .unwrap_or_default();
            ctx.err(e.span(), format!("{}{quoted}", e.message().trim_end()))
        })?;
        ctx.validate(raw)
    }

    /// Every host named in the config: these may be crawled even when they
    /// resolve to private addresses (a school intranet, a test server).
    pub fn named_hosts(&self) -> Vec<String> {
        let mut hosts: Vec<String> = self
            .sources
            .iter()
            .flat_map(|s| s.kind.named_hosts())
            .collect();
        hosts.sort();
        hosts.dedup();
        hosts
    }
}

/// The whole line of `text` that holds byte `offset`.
fn line_at(text: &str, offset: usize) -> &str {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    text[start..].lines().next().unwrap_or_default()
}

struct Ctx<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Ctx<'_> {
    fn line_of(&self, span: Range<usize>) -> usize {
        let end = span.start.min(self.text.len());
        self.text[..end].bytes().filter(|&b| b == b'\n').count() + 1
    }

    fn err(&self, span: Option<Range<usize>>, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line: span.map(|s| self.line_of(s)),
            message: redact_userinfo(&message.into()),
        }
    }

    fn at<T>(&self, v: &Spanned<T>, message: impl Into<String>) -> ConfigError {
        self.err(Some(v.span()), message)
    }

    fn number(
        &self,
        v: &Option<Spanned<i64>>,
        key: &str,
        min: i64,
        max: i64,
        default: u64,
    ) -> Result<u64, ConfigError> {
        match v {
            None => Ok(default),
            Some(s) if (min..=max).contains(s.get_ref()) => Ok(*s.get_ref() as u64),
            Some(s) => Err(self.at(
                s,
                format!(
                    "key `{key}` must be between {min} and {max}, found {}",
                    s.get_ref()
                ),
            )),
        }
    }

    fn url(&self, v: &Spanned<String>, key: &str) -> Result<Url, ConfigError> {
        let url = Url::parse(v.get_ref()).map_err(|e| {
            self.at(
                v,
                format!("key `{key}`: `{}` is not a URL ({e})", v.get_ref()),
            )
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(self.at(
                v,
                format!("key `{key}`: `{url}` must be an http or https URL with a host"),
            ));
        }
        Ok(url)
    }

    fn validate(&self, raw: RawConfig) -> Result<Config, ConfigError> {
        use defaults::*;
        let storage = StorageSettings {
            database: match &raw.storage.database {
                Some(d) if d.get_ref().trim().is_empty() => {
                    return Err(self.at(d, "key `storage.database` must not be empty"))
                }
                Some(d) => PathBuf::from(d.get_ref()),
                None => PathBuf::from(DATABASE),
            },
            keep_runs: self.number(
                &raw.storage.keep_runs,
                "storage.keep_runs",
                1,
                100_000,
                KEEP_RUNS,
            )?,
        };

        let c = &raw.crawl;
        let user_agent = match &c.user_agent {
            Some(ua) if ua.get_ref().trim().is_empty() || ua.get_ref().contains(['\r', '\n']) => {
                return Err(self.at(ua, "key `crawl.user_agent` must be one non-empty line"))
            }
            Some(ua) => ua.get_ref().clone(),
            None => USER_AGENT.to_string(),
        };
        let crawl = CrawlSettings {
            user_agent,
            max_pages: self.number(&c.max_pages, "crawl.max_pages", 1, 10_000_000, MAX_PAGES)?,
            max_depth: self.number(&c.max_depth, "crawl.max_depth", 0, 1000, MAX_DEPTH as u64)?
                as u32,
            max_images: self.number(
                &c.max_images,
                "crawl.max_images",
                1,
                10_000_000,
                MAX_IMAGES,
            )?,
            concurrency: self.number(
                &c.concurrency,
                "crawl.concurrency",
                1,
                256,
                CONCURRENCY as u64,
            )? as u32,
            per_host_delay: Duration::from_millis(self.number(
                &c.per_host_delay_ms,
                "crawl.per_host_delay_ms",
                0,
                600_000,
                PER_HOST_DELAY_MS,
            )?),
            robots: c.robots.unwrap_or(RobotsMode::Evaluate),
            allow_private_addresses: c.allow_private_addresses.unwrap_or(false),
            max_page_bytes: self.number(
                &c.max_page_bytes,
                "crawl.max_page_bytes",
                1024,
                1 << 32,
                MAX_PAGE_BYTES,
            )?,
            max_image_bytes: self.number(
                &c.max_image_bytes,
                "crawl.max_image_bytes",
                1024,
                1 << 32,
                MAX_IMAGE_BYTES,
            )?,
            max_image_pixels: self.number(
                &c.max_image_pixels,
                "crawl.max_image_pixels",
                1,
                1 << 34,
                MAX_IMAGE_PIXELS,
            )?,
            request_timeout: Duration::from_secs(self.number(
                &c.request_timeout_secs,
                "crawl.request_timeout_secs",
                1,
                3600,
                REQUEST_TIMEOUT_SECS,
            )?),
            connect_timeout: Duration::from_secs(self.number(
                &c.connect_timeout_secs,
                "crawl.connect_timeout_secs",
                1,
                600,
                CONNECT_TIMEOUT_SECS,
            )?),
            max_retries: self.number(
                &c.max_retries,
                "crawl.max_retries",
                0,
                10,
                MAX_RETRIES as u64,
            )? as u32,
            max_retry_after: Duration::from_secs(self.number(
                &c.max_retry_after_secs,
                "crawl.max_retry_after_secs",
                0,
                3600,
                MAX_RETRY_AFTER_SECS,
            )?),
            max_query_variants: self.number(
                &c.max_query_variants,
                "crawl.max_query_variants",
                0,
                100_000,
                MAX_QUERY_VARIANTS as u64,
            )? as u32,
            max_run_time: Duration::from_secs(self.number(
                &c.max_run_secs,
                "crawl.max_run_secs",
                1,
                7 * 86400,
                MAX_RUN_SECS,
            )?),
            crawlers_file: c.crawlers_file.as_ref().map(PathBuf::from),
        };

        let mut sources = Vec::new();
        let mut names = std::collections::HashSet::new();
        for (i, s) in raw.sources.iter().enumerate() {
            let source = self.source(i, s)?;
            if !names.insert(source.name.clone()) {
                let span = s.name.as_ref().map(|n| n.span()).unwrap_or(s.kind.span());
                return Err(self.err(
                    Some(span),
                    format!("key `sources[{i}].name`: the name `{}` is used by two sources; names must be unique", source.name),
                ));
            }
            sources.push(source);
        }

        let alerts = match raw.alerts {
            None => None,
            Some(a) => Some(self.alerts(a)?),
        };
        let schedule = match raw.schedule {
            None => None,
            Some(s) => Some(self.schedule(s)?),
        };

        let risk = self.risk(&raw.risk)?;
        Ok(Config {
            storage,
            crawl,
            sources,
            alerts,
            schedule,
            risk,
            logging: LogSettings {
                format: raw.logging.format,
            },
            report: ReportSettings {
                thumbnails: raw.report.thumbnails,
            },
        })
    }

    fn alerts(&self, a: Spanned<RawAlerts>) -> Result<AlertSettings, ConfigError> {
        let section = Some(a.span());
        let a = a.into_inner();
        let smtp_url = match a.smtp_url {
            None => None,
            Some(raw) => {
                let smtp = Url::parse(raw.get_ref()).map_err(|e| {
                    self.at(&raw, format!("key `alerts.smtp_url`: not a URL ({e})"))
                })?;
                if !matches!(smtp.scheme(), "smtp" | "smtps") {
                    return Err(self.at(
                        &raw,
                        "key `alerts.smtp_url` must start with smtp:// or smtps://",
                    ));
                }
                if smtp.password().is_some() {
                    return Err(self.at(
                        &raw,
                        "key `alerts.smtp_url` holds a password: remove it and set EXPOSURE_AUDIT_SMTP_PASSWORD instead",
                    ));
                }
                Some(raw.into_inner())
            }
        };
        let webhook_url_env = match a.webhook_url_env {
            None => None,
            Some(v) => {
                let name = v.get_ref();
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(self.at(
                        &v,
                        "key `alerts.webhook_url_env` names an environment variable (letters, digits, _); the webhook address itself never goes in the file",
                    ));
                }
                Some(v.into_inner())
            }
        };
        if smtp_url.is_none() && webhook_url_env.is_none() {
            return Err(self.err(
                section.clone(),
                "section `[alerts]` needs `smtp_url` or `webhook_url_env`: there is nowhere to send alerts",
            ));
        }
        let from = match (&smtp_url, a.from) {
            (_, Some(f)) if !f.get_ref().contains('@') => {
                return Err(self.at(&f, "key `alerts.from` must be an email address"))
            }
            (_, Some(f)) => f.into_inner(),
            (Some(_), None) => {
                return Err(self.err(
                    section.clone(),
                    "key `alerts.from` is missing: email alerts need a sender address",
                ))
            }
            (None, None) => String::new(),
        };
        let to = match (&smtp_url, a.to) {
            (_, Some(t))
                if t.get_ref().is_empty() || t.get_ref().iter().any(|x| !x.contains('@')) =>
            {
                return Err(self.at(&t, "key `alerts.to` must list at least one email address"))
            }
            (_, Some(t)) => t.into_inner(),
            (Some(_), None) => {
                return Err(self.err(
                    section.clone(),
                    "key `alerts.to` is missing: email alerts need at least one recipient",
                ))
            }
            (None, None) => Vec::new(),
        };
        Ok(AlertSettings {
            smtp_url,
            from,
            to,
            min_risk: a.min_risk.unwrap_or(Risk::High),
            include_details: a.include_details,
            webhook_url_env,
        })
    }

    fn schedule(&self, s: RawSchedule) -> Result<ScheduleSettings, ConfigError> {
        let text = s.cron.get_ref().trim().to_string();
        let fields = text.split_whitespace().count();
        if !(5..=6).contains(&fields) {
            return Err(self.at(
                &s.cron,
                format!(
                    "key `schedule.cron`: `{text}` has {fields} fields; use 5 (minute hour day month weekday) or 6 with a leading seconds field"
                ),
            ));
        }
        let pattern = croner::parser::CronParser::builder()
            .seconds(if fields == 6 {
                croner::parser::Seconds::Required
            } else {
                croner::parser::Seconds::Disallowed
            })
            .build()
            .parse(&text)
            .map_err(|e| {
                self.at(
                    &s.cron,
                    format!("key `schedule.cron`: `{text}` is not a cron pattern ({e})"),
                )
            })?;
        let (timezone, tz) = match s.timezone {
            None => ("UTC".to_string(), chrono_tz::UTC),
            Some(t) => {
                let tz: chrono_tz::Tz = t.get_ref().parse().map_err(|_| {
                    self.at(
                        &t,
                        format!(
                            "key `schedule.timezone`: `{}` is not an IANA time zone (for example Europe/London)",
                            t.get_ref()
                        ),
                    )
                })?;
                (t.into_inner(), tz)
            }
        };
        Ok(ScheduleSettings {
            cron: text,
            timezone,
            pattern,
            tz,
        })
    }

    fn risk(&self, r: &RawRisk) -> Result<crate::risk::Policy, ConfigError> {
        use crate::risk;
        let mut policy = risk::Policy {
            base: self.number(&r.base, "risk.base", 0, 100, u64::from(risk::BASE))? as u32,
            high_from: self.number(
                &r.high_from,
                "risk.high_from",
                1,
                100,
                u64::from(risk::HIGH_FROM),
            )? as u32,
            medium_from: self.number(
                &r.medium_from,
                "risk.medium_from",
                1,
                100,
                u64::from(risk::MEDIUM_FROM),
            )? as u32,
            max_published_side: self.number(
                &r.max_published_side,
                "risk.max_published_side",
                16,
                100_000,
                u64::from(risk::MAX_PUBLISHED_SIDE),
            )? as u32,
            ..risk::Policy::default()
        };
        if policy.medium_from > policy.high_from {
            let span = r.medium_from.as_ref().map(|m| m.span());
            return Err(self.err(
                span,
                "key `risk.medium_from` must not be above `risk.high_from`",
            ));
        }
        if let Some(w) = &r.weights {
            for (name, value) in w.get_ref() {
                let reason = crate::model::Reason::parse(name)
                    .ok()
                    .filter(|r| policy.weights.contains_key(r));
                let Some(reason) = reason else {
                    let known: Vec<&str> = risk::WEIGHTS.iter().map(|(n, _)| n.as_str()).collect();
                    return Err(self.at(
                        w,
                        format!(
                            "key `risk.weights.{name}`: no such reason; the reasons are {}",
                            known.join(", ")
                        ),
                    ));
                };
                if !(0..=100).contains(value) {
                    return Err(self.at(
                        w,
                        format!(
                            "key `risk.weights.{name}` must be between 0 and 100, found {value}"
                        ),
                    ));
                }
                policy.weights.insert(reason, *value as u32);
            }
        }
        Ok(policy)
    }

    fn source(&self, i: usize, s: &RawSource) -> Result<Source, ConfigError> {
        let key = |k: &str| format!("sources[{i}].{k}");
        let kind = s.kind.get_ref().as_str();
        let name = match &s.name {
            Some(n) if n.get_ref().trim().is_empty() => {
                return Err(self.at(n, format!("key `{}` must not be empty", key("name"))))
            }
            Some(n) => n.get_ref().clone(),
            None => format!("{kind} {}", i + 1),
        };
        let required =
            |v: &Option<Spanned<String>>, k: &str| -> Result<Spanned<String>, ConfigError> {
                match v {
                    Some(v) if !v.get_ref().trim().is_empty() => Ok(v.clone()),
                    Some(v) => Err(self.at(v, format!("key `{}` must not be empty", key(k)))),
                    None => Err(self.at(
                        &s.kind,
                        format!("key `{}` is required for kind = \"{kind}\"", key(k)),
                    )),
                }
            };
        // Keys that belong to other kinds are mistakes worth reporting.
        let allowed: &[&str] = match kind {
            "website" => &["start_urls", "allowed_hosts"],
            "feed" | "page" => &["url"],
            "mastodon" | "bluesky" => &["base_url", "account", "max_pages", "since"],
            "facebook_page" => &["base_url", "page_id", "token_env", "max_pages", "since"],
            "instagram" => &["base_url", "account_id", "token_env", "max_pages", "since"],
            other => {
                return Err(self.at(
                    &s.kind,
                    format!(
                        "key `{}`: unknown kind `{other}`; expected one of website, feed, page, mastodon, bluesky, facebook_page, instagram",
                        key("kind")
                    ),
                ))
            }
        };
        let present: [(&str, Option<Range<usize>>); 10] = [
            ("max_pages", s.max_pages.as_ref().map(|v| v.span())),
            ("since", s.since.as_ref().map(|v| v.span())),
            ("start_urls", s.start_urls.as_ref().map(|v| v.span())),
            ("allowed_hosts", s.allowed_hosts.as_ref().map(|v| v.span())),
            ("url", s.url.as_ref().map(|v| v.span())),
            ("base_url", s.base_url.as_ref().map(|v| v.span())),
            ("account", s.account.as_ref().map(|v| v.span())),
            ("page_id", s.page_id.as_ref().map(|v| v.span())),
            ("account_id", s.account_id.as_ref().map(|v| v.span())),
            ("token_env", s.token_env.as_ref().map(|v| v.span())),
        ];
        for (k, span) in present {
            if let Some(span) = span {
                if !allowed.contains(&k) {
                    return Err(self.err(
                        Some(span),
                        format!("key `{}` does not apply to kind = \"{kind}\"", key(k)),
                    ));
                }
            }
        }
        let base_url = |default: Option<&str>| -> Result<Url, ConfigError> {
            match (&s.base_url, default) {
                (Some(b), _) => self.url(b, &key("base_url")),
                (None, Some(d)) => Ok(Url::parse(d).expect("platform default URL parses")),
                (None, None) => Err(self.at(
                    &s.kind,
                    format!(
                        "key `{}` is required for kind = \"{kind}\"",
                        key("base_url")
                    ),
                )),
            }
        };
        let token_env = || -> Result<String, ConfigError> {
            let t = required(&s.token_env, "token_env")?;
            let valid = t
                .get_ref()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(self.at(
                    &t,
                    format!("key `{}` names an environment variable (letters, digits, _), not the token itself", key("token_env")),
                ));
            }
            Ok(t.into_inner())
        };
        let kind = match kind {
            "website" => {
                let Some(starts) = &s.start_urls else {
                    return Err(self.at(
                        &s.kind,
                        format!(
                            "key `{}` is required for kind = \"website\"",
                            key("start_urls")
                        ),
                    ));
                };
                if starts.get_ref().is_empty() {
                    return Err(self.at(
                        starts,
                        format!("key `{}` must list at least one URL", key("start_urls")),
                    ));
                }
                let start_urls = starts
                    .get_ref()
                    .iter()
                    .map(|u| self.url(u, &key("start_urls")))
                    .collect::<Result<Vec<_>, _>>()?;
                let allowed_hosts = match &s.allowed_hosts {
                    Some(h) => {
                        if let Some(bad) = h
                            .get_ref()
                            .iter()
                            .find(|h| h.is_empty() || h.contains(['/', ':', ' ']))
                        {
                            return Err(self.at(
                                h,
                                format!("key `{}`: `{bad}` is not a host name (write www.example.org, no scheme or path)", key("allowed_hosts")),
                            ));
                        }
                        h.get_ref().iter().map(|h| h.to_ascii_lowercase()).collect()
                    }
                    None => {
                        let mut hosts: Vec<String> = start_urls
                            .iter()
                            .filter_map(|u| u.host_str().map(str::to_string))
                            .collect();
                        hosts.dedup();
                        hosts
                    }
                };
                SourceKind::Website {
                    start_urls,
                    allowed_hosts,
                }
            }
            "feed" => SourceKind::Feed {
                url: self.url(&required(&s.url, "url")?, &key("url"))?,
            },
            "page" => SourceKind::Page {
                url: self.url(&required(&s.url, "url")?, &key("url"))?,
            },
            "mastodon" => SourceKind::Mastodon {
                base_url: base_url(None)?,
                account: required(&s.account, "account")?.into_inner(),
            },
            "bluesky" => SourceKind::Bluesky {
                base_url: base_url(Some(platform::BLUESKY))?,
                account: required(&s.account, "account")?.into_inner(),
            },
            "facebook_page" => SourceKind::FacebookPage {
                base_url: base_url(Some(platform::GRAPH))?,
                page_id: required(&s.page_id, "page_id")?.into_inner(),
                token_env: token_env()?,
            },
            "instagram" => SourceKind::Instagram {
                base_url: base_url(Some(platform::GRAPH))?,
                account_id: required(&s.account_id, "account_id")?.into_inner(),
                token_env: token_env()?,
            },
            _ => unreachable!("kinds were checked above"),
        };
        let api = ApiLimits {
            max_pages: self.number(
                &s.max_pages,
                &key("max_pages"),
                1,
                10_000,
                u64::from(defaults::API_MAX_PAGES),
            )? as u32,
            since: match &s.since {
                None => None,
                Some(d) => Some(
                    chrono::NaiveDate::parse_from_str(d.get_ref(), "%Y-%m-%d").map_err(|_| {
                        self.at(
                            d,
                            format!(
                                "key `{}`: `{}` is not a date like 2025-09-01",
                                key("since"),
                                d.get_ref()
                            ),
                        )
                    })?,
                ),
            },
        };
        Ok(Source { name, kind, api })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("test.toml"))
    }

    #[test]
    fn example_config_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/exposure-audit.toml");
        let config = Config::load(&path).expect("example config is valid");
        assert!(!config.sources.is_empty());
        assert_eq!(config.crawl.robots, RobotsMode::Evaluate);
    }

    #[test]
    fn defaults_apply() {
        let c =
            parse("[[sources]]\nkind = \"website\"\nstart_urls = [\"https://school.example/\"]\n")
                .unwrap();
        assert_eq!(c.crawl.max_pages, defaults::MAX_PAGES);
        assert_eq!(c.storage.database, PathBuf::from(defaults::DATABASE));
        match &c.sources[0].kind {
            SourceKind::Website { allowed_hosts, .. } => {
                assert_eq!(allowed_hosts, &vec!["school.example".to_string()])
            }
            other => panic!("wrong kind {other:?}"),
        }
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let e = parse("[crawl]\nmax_pages = 10\nmax_pagez = 3\n").unwrap_err();
        assert_eq!(e.line(), Some(3), "{e}");
        assert!(e.to_string().contains("max_pagez"), "{e}");
    }

    #[test]
    fn out_of_range_names_key_and_line() {
        let e = parse("\n[crawl]\nconcurrency = 0\n").unwrap_err();
        assert_eq!(e.line(), Some(3));
        assert!(e.to_string().contains("crawl.concurrency"), "{e}");
    }

    #[test]
    fn bad_start_url_names_line() {
        let e = parse("[[sources]]\nkind = \"website\"\nstart_urls = [\n  \"https://ok.example/\",\n  \"ftp://bad.example/\",\n]\n")
            .unwrap_err();
        assert_eq!(e.line(), Some(5), "{e}");
        assert!(e.to_string().contains("sources[0].start_urls"), "{e}");
    }

    #[test]
    fn key_of_another_kind_is_refused() {
        let e = parse(
            "[[sources]]\nkind = \"feed\"\nurl = \"https://a.example/feed\"\npage_id = \"1\"\n",
        )
        .unwrap_err();
        assert_eq!(e.line(), Some(4));
        assert!(e.to_string().contains("page_id"), "{e}");
    }

    #[test]
    fn schedule_and_alert_errors_name_key_and_line() {
        let cases = [
            ("[schedule]\ncron = \"61 3 * * *\"\n", "schedule.cron", 2),
            ("[schedule]\ncron = \"0 3 * *\"\n", "schedule.cron", 2),
            (
                "[schedule]\ncron = \"0 3 * * Mon\"\ntimezone = \"Europe/Londres\"\n",
                "schedule.timezone",
                3,
            ),
            ("\n[alerts]\nmin_risk = \"high\"\n", "smtp_url", 2),
            (
                "[alerts]\nsmtp_url = \"smtp://127.0.0.1:25\"\nto = [\"d@e.f\"]\n",
                "alerts.from",
                1,
            ),
            (
                "[alerts]\nwebhook_url_env = \"https://hooks.example/x\"\n",
                "alerts.webhook_url_env",
                2,
            ),
            ("[logging]\nformat = \"xml\"\n", "format", 2),
        ];
        for (text, key, line) in cases {
            let e = parse(text).unwrap_err();
            assert!(e.to_string().contains(key), "{text}: {e}");
            assert_eq!(e.line(), Some(line), "{text}: {e}");
        }
    }

    #[test]
    fn schedule_parses_five_and_six_fields_in_a_time_zone() {
        let c =
            parse("[schedule]\ncron = \"0 3 * * Mon\"\ntimezone = \"Europe/London\"\n").unwrap();
        let s = c.schedule.unwrap();
        assert_eq!(s.tz, chrono_tz::Europe::London);
        let c = parse("[schedule]\ncron = \"30 0 3 * * *\"\n").unwrap();
        assert_eq!(c.schedule.unwrap().tz, chrono_tz::UTC);
        let c = parse("[alerts]\nwebhook_url_env = \"TEAMS_HOOK\"\n[logging]\nformat = \"json\"\n")
            .unwrap();
        let a = c.alerts.unwrap();
        assert!(a.smtp_url.is_none());
        assert_eq!(a.webhook_url_env.as_deref(), Some("TEAMS_HOOK"));
        assert_eq!(c.logging.format, LogFormat::Json);
    }

    #[test]
    fn password_in_smtp_url_is_refused() {
        let e = parse("[alerts]\nsmtp_url = \"smtp://u:secret@127.0.0.1:25\"\nfrom = \"a@b.c\"\nto = [\"d@e.f\"]\n").unwrap_err();
        assert!(
            e.to_string().contains("EXPOSURE_AUDIT_SMTP_PASSWORD"),
            "{e}"
        );
        assert!(
            !e.to_string().contains("secret"),
            "the error must not echo the secret: {e}"
        );
    }

    /// Issue 16, item 5: a syntax error on or after the `smtp_url` line
    /// names the key and line but never quotes the password.
    #[test]
    fn syntax_errors_never_quote_a_secret() {
        let url = "smtp_url = \"smtp://u:hunter2@127.0.0.1:25\"";
        for text in [
            format!("[alerts]\n{url}\n{url}\nfrom = \"a@b.c\"\nto = [\"d@e.f\"]\n"),
            format!("[alerts]\n{url} stray\nfrom = \"a@b.c\"\nto = [\"d@e.f\"]\n"),
            format!("[alerts]\n{url}\nfrom = \"a@b.c\" \"x\"\n"),
            "[[sources]]\nkind = \"facebook_page\"\ntoken_env = \"EAAGhunter2\" x\n".to_string(),
        ] {
            let e = parse(&text).unwrap_err().to_string();
            assert!(!e.contains("hunter2"), "the error quotes the secret: {e}");
            assert!(e.contains("line"), "{e}");
        }
        let e = parse(&format!("[alerts]\n{url} stray\n")).unwrap_err();
        assert_eq!(e.line(), Some(2), "{e}");
        assert!(e.to_string().contains("smtp_url"), "{e}");
        assert_eq!(
            redact_userinfo("bad `smtp://me:pw@host:25/` here"),
            "bad `smtp://…@host:25/` here"
        );
    }

    #[test]
    fn token_must_be_a_variable_name() {
        let e = parse("[[sources]]\nkind = \"facebook_page\"\npage_id = \"1\"\ntoken_env = \"EAAB-xyz.123\"\n").unwrap_err();
        assert!(e.to_string().contains("token_env"), "{e}");
    }

    #[test]
    fn duplicate_key_names_the_key_and_line() {
        let e = parse("[crawl]\nmax_retries = 1\nmax_retries = 0\n").unwrap_err();
        assert_eq!(e.line(), Some(3), "{e}");
        assert!(
            e.to_string()
                .contains("duplicate key (in the `max_retries` line)"),
            "{e}"
        );
    }

    #[test]
    fn risk_weights_are_configurable_and_checked() {
        let c = parse("[risk]\nhigh_from = 80\n[risk.weights]\nfaces = 30\n").unwrap();
        assert_eq!(c.risk.high_from, 80);
        use crate::model::Reason;
        assert_eq!(c.risk.weights[&Reason::Faces], 30);
        assert_eq!(
            c.risk.weights[&Reason::GpsInMetadata],
            crate::risk::Policy::default().weights[&Reason::GpsInMetadata]
        );
        let e = parse("[risk]\n[risk.weights]\nfacez = 30\n").unwrap_err();
        assert!(
            e.to_string().contains("risk.weights.facez") && e.line() == Some(2),
            "{e}"
        );
    }

    #[test]
    fn bad_enum_value_names_line() {
        let e = parse("[crawl]\nrobots = \"ignore\"\n").unwrap_err();
        assert_eq!(e.line(), Some(2), "{e}");
    }

    #[test]
    fn duplicate_source_names_refused() {
        let e = parse(
            "[[sources]]\nkind = \"page\"\nname = \"A\"\nurl = \"https://a.example/\"\n[[sources]]\nkind = \"page\"\nname = \"A\"\nurl = \"https://b.example/\"\n",
        )
        .unwrap_err();
        assert_eq!(e.line(), Some(7), "{e}");
    }
}
