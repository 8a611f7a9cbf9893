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

// The config by section: each file has its settings' types and the check
// of its keys.
mod alerts;
mod crawl;
pub mod defaults;
mod risk;
mod schedule;
mod sources;

pub use alerts::*;
pub use crawl::*;
pub use schedule::*;
pub use sources::*;

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
    #[serde(default)]
    documents: RawDocuments,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDocuments {
    read: Option<bool>,
    max_bytes: Option<Spanned<i64>>,
    max_pages: Option<Spanned<i64>>,
    max_pictures: Option<Spanned<i64>>,
    max_depth: Option<Spanned<i64>>,
    max_decompressed_bytes: Option<Spanned<i64>>,
    max_secs: Option<Spanned<i64>>,
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

    fn documents(&self, d: &RawDocuments) -> Result<DocumentSettings, ConfigError> {
        use defaults::*;
        Ok(DocumentSettings {
            read: d.read.unwrap_or(true),
            max_bytes: self.number(
                d.max_bytes.as_ref(),
                "documents.max_bytes",
                1024,
                1 << 32,
                DOCUMENT_MAX_BYTES,
            )?,
            max_pages: self.number(
                d.max_pages.as_ref(),
                "documents.max_pages",
                1,
                100_000,
                DOCUMENT_MAX_PAGES,
            )? as u32,
            max_pictures: self.number(
                d.max_pictures.as_ref(),
                "documents.max_pictures",
                1,
                100_000,
                DOCUMENT_MAX_PICTURES,
            )? as u32,
            max_depth: self.number(
                d.max_depth.as_ref(),
                "documents.max_depth",
                1,
                64,
                DOCUMENT_MAX_DEPTH,
            )? as u32,
            max_decompressed_bytes: self.number(
                d.max_decompressed_bytes.as_ref(),
                "documents.max_decompressed_bytes",
                1024,
                1 << 34,
                DOCUMENT_MAX_DECOMPRESSED_BYTES,
            )?,
            max_time: Duration::from_secs(self.number(
                d.max_secs.as_ref(),
                "documents.max_secs",
                1,
                3600,
                DOCUMENT_MAX_SECS,
            )?),
        })
    }

    fn number(
        &self,
        v: Option<&Spanned<i64>>,
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
                raw.storage.keep_runs.as_ref(),
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
            max_pages: self.number(
                c.max_pages.as_ref(),
                "crawl.max_pages",
                1,
                10_000_000,
                MAX_PAGES,
            )?,
            max_depth: self.number(
                c.max_depth.as_ref(),
                "crawl.max_depth",
                0,
                1000,
                u64::from(MAX_DEPTH),
            )? as u32,
            max_images: self.number(
                c.max_images.as_ref(),
                "crawl.max_images",
                1,
                10_000_000,
                MAX_IMAGES,
            )?,
            concurrency: self.number(
                c.concurrency.as_ref(),
                "crawl.concurrency",
                1,
                256,
                u64::from(CONCURRENCY),
            )? as u32,
            per_host_delay: Duration::from_millis(self.number(
                c.per_host_delay_ms.as_ref(),
                "crawl.per_host_delay_ms",
                0,
                600_000,
                PER_HOST_DELAY_MS,
            )?),
            robots: c.robots.unwrap_or(RobotsMode::Evaluate),
            allow_private_addresses: c.allow_private_addresses.unwrap_or(false),
            max_page_bytes: self.number(
                c.max_page_bytes.as_ref(),
                "crawl.max_page_bytes",
                1024,
                1 << 32,
                MAX_PAGE_BYTES,
            )?,
            max_image_bytes: self.number(
                c.max_image_bytes.as_ref(),
                "crawl.max_image_bytes",
                1024,
                1 << 32,
                MAX_IMAGE_BYTES,
            )?,
            max_image_pixels: self.number(
                c.max_image_pixels.as_ref(),
                "crawl.max_image_pixels",
                1,
                1 << 34,
                MAX_IMAGE_PIXELS,
            )?,
            request_timeout: Duration::from_secs(self.number(
                c.request_timeout_secs.as_ref(),
                "crawl.request_timeout_secs",
                1,
                3600,
                REQUEST_TIMEOUT_SECS,
            )?),
            connect_timeout: Duration::from_secs(self.number(
                c.connect_timeout_secs.as_ref(),
                "crawl.connect_timeout_secs",
                1,
                600,
                CONNECT_TIMEOUT_SECS,
            )?),
            max_retries: self.number(
                c.max_retries.as_ref(),
                "crawl.max_retries",
                0,
                10,
                u64::from(MAX_RETRIES),
            )? as u32,
            max_retry_after: Duration::from_secs(self.number(
                c.max_retry_after_secs.as_ref(),
                "crawl.max_retry_after_secs",
                0,
                3600,
                MAX_RETRY_AFTER_SECS,
            )?),
            max_query_variants: self.number(
                c.max_query_variants.as_ref(),
                "crawl.max_query_variants",
                0,
                100_000,
                u64::from(MAX_QUERY_VARIANTS),
            )? as u32,
            max_run_time: Duration::from_secs(self.number(
                c.max_run_secs.as_ref(),
                "crawl.max_run_secs",
                1,
                7 * 86400,
                MAX_RUN_SECS,
            )?),
            crawlers_file: c.crawlers_file.as_ref().map(PathBuf::from),
            documents: self.documents(&raw.documents)?,
        };

        let mut sources = Vec::new();
        let mut names = std::collections::HashSet::new();
        for (i, s) in raw.sources.iter().enumerate() {
            let source = self.source(i, s)?;
            if !names.insert(source.name.clone()) {
                let span = s
                    .name
                    .as_ref()
                    .map(toml::Spanned::span)
                    .unwrap_or(s.kind.span());
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
}

#[cfg(test)]
mod tests;
