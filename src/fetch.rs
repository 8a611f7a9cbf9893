//! The fetcher: the only module that touches the network. One reqwest client
//! (rustls, gzip, brotli) with an honest user agent, connect and total
//! timeouts, at most 10 redirects, a global concurrency cap, a politeness
//! floor per host, bounded retries with backoff (Retry-After honoured),
//! conditional requests, a streaming body cap, and a DNS resolver that refuses
//! private addresses for hosts the config does not name.
//!
//! It returns outcomes; it never decides what a page means.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use reqwest::header::{
    HeaderMap, ACCEPT, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER,
};
use reqwest::StatusCode;
use tokio::sync::Semaphore;
use url::Url;

use crate::config::CrawlSettings;
use crate::scope::{is_private_ip, AddressPolicy};

/// Which body cap and Accept header apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Document,
    Image,
}

/// Validators from the previous fetch, for a conditional request.
#[derive(Debug, Clone, Default)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A response that arrived (any status).
#[derive(Debug, Clone)]
pub struct Fetched {
    pub final_url: Url,
    pub status: u16,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub content_type: Option<String>,
    pub x_robots_tag: Option<String>,
    /// Other response headers a source may need (pagination), lower-case names.
    pub headers: Vec<(String, String)>,
    /// The body, for 2xx answers only.
    pub body: Option<Vec<u8>>,
    /// What the headers said the body is when it was not read: a document
    /// (not read yet), a picture or something else asked for as a page, or
    /// a page asked for as a picture. Its transfer was stopped.
    pub skipped: Option<BodyClass>,
}

/// What a response's body is, from its Content-Type alone: decided before
/// the body is read, so what is not read is not downloaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyClass {
    /// An HTML page.
    Page,
    /// Text a crawl reads besides pages: XML (sitemaps, feeds), JSON (APIs),
    /// CSS, plain text (robots.txt).
    Data,
    /// A picture.
    Picture,
    /// A PDF, Word, PowerPoint, Excel, OpenDocument or RTF document.
    Document,
    /// Anything else: video, audio, archives, fonts, unnamed bytes.
    Other,
}

impl BodyClass {
    /// The class a Content-Type names; `None` when there is none.
    pub fn of(content_type: Option<&str>) -> Option<BodyClass> {
        let t = content_type?.split(';').next()?.trim().to_ascii_lowercase();
        // Unnamed bytes say nothing: read as if untyped.
        if t.is_empty() || t == "application/octet-stream" || t == "binary/octet-stream" {
            return None;
        }
        let document = t == "application/pdf"
            || t == "application/msword"
            || t == "application/rtf"
            || t == "text/rtf"
            || t.starts_with("application/vnd.openxmlformats-officedocument.")
            || t.starts_with("application/vnd.oasis.opendocument.")
            || t.starts_with("application/vnd.ms-powerpoint")
            || t.starts_with("application/vnd.ms-excel");
        Some(if document {
            BodyClass::Document
        } else if t == "text/html" || t == "application/xhtml+xml" {
            BodyClass::Page
        } else if t.starts_with("image/") {
            BodyClass::Picture
        } else if t.starts_with("text/")
            // A gzipped sitemap.
            || t == "application/gzip"
            || t == "application/x-gzip"
            || t.ends_with("/xml")
            || t.ends_with("+xml")
            || t.ends_with("/json")
            || t.ends_with("+json")
        {
            BodyClass::Data
        } else {
            BodyClass::Other
        })
    }

    /// Whether a body of this class is read when asked for as `kind`: pages
    /// and data as documents, pictures and unnamed bytes as pictures.
    fn is_read_as(class: Option<BodyClass>, kind: BodyKind) -> bool {
        match kind {
            BodyKind::Document => matches!(class, None | Some(BodyClass::Page | BodyClass::Data)),
            BodyKind::Image => matches!(class, None | Some(BodyClass::Picture | BodyClass::Other)),
        }
    }
}

/// Whether a document's Content-Type is one of the formats read (PDF,
/// Word, PowerPoint, OpenDocument text and presentation).
pub fn is_read_document(content_type: Option<&str>) -> bool {
    let t = content_type
        .and_then(|t| t.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase())
        .unwrap_or_default();
    matches!(
        t.as_str(),
        "application/pdf"
            | "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            | "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            | "application/vnd.openxmlformats-officedocument.presentationml.slideshow"
            | "application/vnd.oasis.opendocument.text"
            | "application/vnd.oasis.opendocument.presentation"
    )
}

impl Fetched {
    pub fn not_modified(&self) -> bool {
        self.status == 304
    }
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why no usable response came. Every variant is recorded on its row.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum FetchError {
    /// Scope refused the address before any request was made.
    #[error("{0}")]
    Refused(String),
    /// The server could not be reached (DNS, refused connection, TLS, reset).
    #[error("connection failed: {0}")]
    Connect(String),
    /// The request took longer than the configured timeout.
    #[error("timed out after {0} s")]
    Timeout(u64),
    /// The body was larger than the cap; reading stopped at the cap.
    #[error("body larger than the {0}-byte cap")]
    TooLarge(u64),
    /// The body could not be read to the end (truncated, reset, bad encoding).
    #[error("body read failed: {0}")]
    Body(String),
    /// Redirects looped or went on too long.
    #[error("too many redirects: {0}")]
    Redirects(String),
}

/// The shared HTTP client of a run.
pub struct Fetcher {
    client: reqwest::Client,
    settings: CrawlSettings,
    policy: AddressPolicy,
    permits: Semaphore,
    per_host: Option<DefaultKeyedRateLimiter<String>>,
    bytes: AtomicU64,
    requests: AtomicU64,
}

/// Resolves names and drops private addresses unless the host is allowed to
/// have them; a name that only resolves privately fails to connect.
struct GuardedResolver {
    policy: AddressPolicy,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        let private_ok = self.policy.private_ok(&host);
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = addrs
                .iter()
                .copied()
                .filter(|a| private_ok || !is_private_ip(a.ip()))
                .collect();
            if allowed.is_empty() && !addrs.is_empty() {
                return Err(format!(
                    "refused: {host} resolves only to private, loopback or link-local addresses"
                )
                .into());
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

const MAX_REDIRECTS: usize = 10;
/// First retry delay; doubled each attempt.
const BACKOFF_BASE: Duration = Duration::from_millis(500);

impl Fetcher {
    pub fn new(settings: &CrawlSettings, policy: AddressPolicy) -> Result<Fetcher, reqwest::Error> {
        let redirect_policy = {
            let policy = policy.clone();
            reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= MAX_REDIRECTS {
                    return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
                }
                if attempt.previous().contains(attempt.url()) {
                    let msg = format!("redirect loop at {}", attempt.url());
                    return attempt.error(msg);
                }
                if let Err(e) = policy.check_url(attempt.url()) {
                    return attempt.error(e);
                }
                attempt.follow()
            })
        };
        crate::tls::install();
        let client = reqwest::Client::builder()
            .user_agent(settings.user_agent.clone())
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            .redirect(redirect_policy)
            .dns_resolver(GuardedResolver {
                policy: policy.clone(),
            })
            .no_proxy()
            .build()?;
        let per_host = if settings.per_host_delay.is_zero() {
            None
        } else {
            let quota = Quota::with_period(settings.per_host_delay)
                .expect("non-zero period")
                .allow_burst(NonZeroU32::MIN);
            Some(RateLimiter::keyed(quota))
        };
        Ok(Fetcher {
            client,
            settings: settings.clone(),
            policy,
            permits: Semaphore::new(settings.concurrency as usize),
            per_host,
            bytes: AtomicU64::new(0),
            requests: AtomicU64::new(0),
        })
    }

    /// Body bytes received so far by this fetcher.
    pub fn bytes_received(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Requests sent so far (retries included).
    pub fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub fn policy(&self) -> &AddressPolicy {
        &self.policy
    }

    /// Fetches `url`, retrying what is worth retrying.
    pub async fn fetch(
        &self,
        url: &Url,
        kind: BodyKind,
        validators: Option<&Validators>,
    ) -> Result<Fetched, FetchError> {
        self.fetch_as(url, kind, validators, None).await
    }

    /// Fetches a platform API document, with the access token (if any) as
    /// a bearer header: never in the URL, which is recorded and logged.
    pub async fn fetch_api(&self, url: &Url, token: Option<&str>) -> Result<Fetched, FetchError> {
        self.fetch_as(url, BodyKind::Document, None, token).await
    }

    async fn fetch_as(
        &self,
        url: &Url,
        kind: BodyKind,
        validators: Option<&Validators>,
        token: Option<&str>,
    ) -> Result<Fetched, FetchError> {
        self.policy.check_url(url).map_err(FetchError::Refused)?;
        let mut attempt = 0u32;
        loop {
            let result = self.fetch_once(url, kind, validators, token).await;
            let retry_in = match &result {
                Err(FetchError::Connect(_) | FetchError::Timeout(_)) => Some(backoff(attempt)),
                Ok(Retry { wait, .. }) if wait.is_some() => *wait,
                _ => None,
            };
            match (retry_in, attempt < self.settings.max_retries) {
                (Some(wait), true) if wait <= self.settings.max_retry_after => {
                    tracing::debug!(%url, attempt, ?wait, "retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                _ => return result.map(|r| r.fetched),
            }
        }
    }

    async fn fetch_once(
        &self,
        url: &Url,
        kind: BodyKind,
        validators: Option<&Validators>,
        token: Option<&str>,
    ) -> Result<Retry, FetchError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("semaphore never closes");
        if let (Some(limiter), Some(host)) = (&self.per_host, url.host_str()) {
            limiter.until_key_ready(&host.to_string()).await;
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let accept = match kind {
            BodyKind::Document => "text/html,application/xhtml+xml,application/xml;q=0.9,application/json;q=0.8,*/*;q=0.5",
            BodyKind::Image => "image/avif,image/webp,image/apng,image/*,*/*;q=0.8",
        };
        let mut req = self.client.get(url.clone()).header(ACCEPT, accept);
        if let Some(t) = token {
            let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {t}"))
                .map_err(|_| {
                    FetchError::Refused("the access token is not a valid header value".into())
                })?;
            value.set_sensitive(true);
            req = req.header(reqwest::header::AUTHORIZATION, value);
        }
        if let Some(v) = validators {
            if let Some(etag) = &v.etag {
                req = req.header(IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &v.last_modified {
                req = req.header(IF_MODIFIED_SINCE, lm);
            }
        }
        let timeout_secs = self.settings.request_timeout.as_secs();
        let mut resp = req.send().await.map_err(|e| classify(e, timeout_secs))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let mut fetched = Fetched {
            final_url: resp.url().clone(),
            status: status.as_u16(),
            etag: header(&headers, ETAG),
            last_modified: header(&headers, LAST_MODIFIED),
            content_type: header(&headers, reqwest::header::CONTENT_TYPE),
            x_robots_tag: x_robots(&headers),
            headers: headers
                .iter()
                .filter(|(k, _)| {
                    let k = k.as_str();
                    k.starts_with("x-")
                        || k.starts_with("ratelimit-")
                        || k == "link"
                        || k == "server"
                })
                .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
                .collect(),
            body: None,
            skipped: None,
        };
        if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE {
            let wait = header(&headers, RETRY_AFTER)
                .and_then(|v| parse_retry_after(&v))
                .unwrap_or_else(|| backoff(0));
            return Ok(Retry {
                fetched,
                wait: Some(wait),
            });
        }
        if !status.is_success() {
            return Ok(Retry {
                fetched,
                wait: None,
            });
        }
        // Decided from the headers: a body this fetch does not read is not
        // downloaded (the response is dropped unread).
        let class = BodyClass::of(fetched.content_type.as_deref());
        // Documents in a format the crawl reads are downloaded, up to their
        // own bound; others (.doc, .xls, RTF) stop at the headers.
        let document = kind == BodyKind::Document
            && class == Some(BodyClass::Document)
            && self.settings.documents.read
            && is_read_document(fetched.content_type.as_deref());
        if !document && !BodyClass::is_read_as(class, kind) {
            fetched.skipped = class;
            return Ok(Retry {
                fetched,
                wait: None,
            });
        }
        let cap = match kind {
            BodyKind::Document if document => self.settings.documents.max_bytes,
            BodyKind::Document => self.settings.max_page_bytes,
            BodyKind::Image => self.settings.max_image_bytes,
        };
        if resp.content_length().is_some_and(|n| n > cap) {
            return Err(FetchError::TooLarge(cap));
        }
        let mut body =
            Vec::with_capacity(resp.content_length().unwrap_or(16 * 1024).min(cap) as usize);
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    self.bytes.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                    if body.len() as u64 + chunk.len() as u64 > cap {
                        return Err(FetchError::TooLarge(cap));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) if e.is_timeout() => return Err(FetchError::Timeout(timeout_secs)),
                Err(e) => return Err(FetchError::Body(error_chain(&e))),
            }
        }
        fetched.body = Some(body);
        Ok(Retry {
            fetched,
            wait: None,
        })
    }
}

/// A response and, for 429 and 503, how long to wait before trying again.
struct Retry {
    fetched: Fetched,
    wait: Option<Duration>,
}

fn backoff(attempt: u32) -> Duration {
    BACKOFF_BASE * 2u32.saturating_pow(attempt.min(6))
}

fn header(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
}

fn x_robots(headers: &HeaderMap) -> Option<String> {
    let all: Vec<&str> = headers
        .get_all("x-robots-tag")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!all.is_empty()).then(|| all.join(", ").to_ascii_lowercase())
}

/// Retry-After is either seconds or an HTTP date.
fn parse_retry_after(v: &str) -> Option<Duration> {
    if let Ok(secs) = v.trim().parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v.trim()).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

// Owned: the error becomes the source of the FetchError it is turned into.
#[allow(clippy::needless_pass_by_value)]
fn classify(e: reqwest::Error, timeout_secs: u64) -> FetchError {
    if e.is_timeout() {
        FetchError::Timeout(timeout_secs)
    } else if e.is_redirect() {
        let chain = error_chain(&e);
        if chain.contains("refused:") {
            FetchError::Refused(chain)
        } else {
            FetchError::Redirects(chain)
        }
    } else {
        let chain = error_chain(&e);
        if chain.contains("refused:") {
            FetchError::Refused(chain)
        } else {
            FetchError::Connect(chain)
        }
    }
}

/// The error and its causes in one line, without the URL's query (which
/// may hold tokens).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(c) = cur {
        let s = c.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = c.source();
    }
    let joined = parts.join(": ");
    strip_queries(&joined)
}

fn strip_queries(s: &str) -> String {
    // reqwest prints "... for url (http://host/path?token=...)": drop queries.
    let mut out = String::with_capacity(s.len());
    let mut in_query = false;
    for c in s.chars() {
        if c == '?' {
            in_query = true;
            continue;
        }
        if in_query && (c == ')' || c.is_whitespace()) {
            in_query = false;
        }
        if !in_query {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn queries_are_not_logged() {
        assert_eq!(
            strip_queries("error sending request for url (http://x/a?access_token=SECRET)"),
            "error sending request for url (http://x/a)"
        );
    }

    #[test]
    fn a_body_is_named_from_its_content_type() {
        let of = |t| BodyClass::of(Some(t));
        assert_eq!(of("text/html; charset=utf-8"), Some(BodyClass::Page));
        assert_eq!(of("application/pdf"), Some(BodyClass::Document));
        assert_eq!(
            of("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            Some(BodyClass::Document)
        );
        assert_eq!(
            of("application/vnd.oasis.opendocument.presentation"),
            Some(BodyClass::Document)
        );
        assert_eq!(of("image/webp"), Some(BodyClass::Picture));
        for data in [
            "application/xml",
            "application/rss+xml",
            "application/json",
            "text/css",
            "application/x-gzip",
        ] {
            assert_eq!(of(data), Some(BodyClass::Data), "{data}");
        }
        assert_eq!(of("video/mp4"), Some(BodyClass::Other));
        assert_eq!(
            of("application/octet-stream"),
            None,
            "unnamed bytes are read as untyped"
        );
        assert_eq!(BodyClass::of(None), None);
        assert!(!BodyClass::is_read_as(
            Some(BodyClass::Document),
            BodyKind::Document
        ));
        assert!(BodyClass::is_read_as(
            Some(BodyClass::Data),
            BodyKind::Document
        ));
        assert!(!BodyClass::is_read_as(
            Some(BodyClass::Page),
            BodyKind::Image
        ));
        assert!(BodyClass::is_read_as(None, BodyKind::Image));
    }

    #[test]
    fn backoff_grows_and_is_bounded() {
        assert!(backoff(1) > backoff(0));
        assert_eq!(backoff(100), backoff(6));
    }
}
