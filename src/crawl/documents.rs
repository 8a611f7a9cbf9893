//! Fetching one document (page, sitemap, stylesheet, API page) and
//! replaying a stored extract: a 304 is answered from what the last fetch
//! extracted, and a 304 without a usable stored copy is fetched again.

use super::*;

pub(super) fn source_allows_host(source: &Source, host: &str) -> bool {
    match &source.kind {
        SourceKind::Website { allowed_hosts, .. } => allowed_hosts.iter().any(|h| h == host),
        _ => false,
    }
}

/// Parses a document body by its kind. Pure and CPU-bound.
/// Parses a fetched document; `cap` bounds decompression, `since` the age
/// of platform posts.
pub(super) fn parse_doc(
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
        DocKind::Feed => {
            let feed = extract::feed::parse(body, base)?;
            Ok(Found::Feed {
                items: feed.pictures,
                documents: feed.documents,
            })
        }
        DocKind::Listing => {
            let e = extract::html::extract(body, base);
            if !listing::is_listing(body, &e) {
                return Ok(Found::Nothing);
            }
            let (pictures, subfolders) = listing::entries(base, &e);
            Ok(Found::Listing {
                pictures,
                subfolders,
                documents: listing::documents(base, &e),
            })
        }
        DocKind::MediaApi { .. } => {
            let media = wordpress::parse(body, base)?;
            Ok(Found::Media {
                items: media.pictures,
                documents: media.documents,
                total_pages: fetched
                    .header("x-wp-totalpages")
                    .and_then(|v| v.trim().parse().ok()),
            })
        }
        DocKind::Social { platform, page } => parse_social(*platform, *page, fetched, body, since),
        DocKind::Stylesheet => {
            let css = String::from_utf8_lossy(body);
            Ok(Found::Css(
                extract::html::css_urls(&css)
                    .into_iter()
                    .filter_map(|u| crate::urls::resolve(base, u).map(|u| u.to_string()))
                    .collect(),
            ))
        }
    }
}
impl Crawl {
    /// Fetches one document and extracts from it (off the runtime).
    pub(super) async fn fetch_doc(
        self: Arc<Self>,
        url: Url,
        kind: DocKind,
        source: Arc<Source>,
    ) -> DocResult {
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
            server: None,
            skipped: Vec::new(),
        };
        if self.settings.robots == RobotsMode::Obey && kind != DocKind::Robots {
            let rules = self.robots_for(&url, &source.name).await;
            if !rules.own_allowed(url.as_str()) {
                record.error = Some("skipped: robots.txt disallows it for exposure-audit".into());
                self.record(Record::Page(record)).await;
                return result;
            }
        }
        // A document is stored as one, whatever link led to it.
        let prev = self.history.page(kind.label(), url.as_str()).or_else(|| {
            matches!(kind, DocKind::Html { .. })
                .then(|| self.history.page("document", url.as_str()))
                .flatten()
        });
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
        result.server = fetched
            .header("server")
            .map(|s| crate::extract::truncate_chars(s, 80));
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
            let landed = crate::urls::normalise(fetched.final_url.clone());
            if let Some(landed) = landed.filter(|l| result.final_host_allowed && *l != url) {
                record.requested_url = Some(std::mem::replace(&mut record.url, landed.to_string()));
                result.url = landed;
                result.redirected = true;
            }
        }
        // What it is, for the run's counts: a page, a document, another file.
        let format = fetched.body.as_deref().and_then(|b| {
            crate::extract::document::Format::of(fetched.content_type.as_deref(), b, url.as_str())
        });
        let is_document = format.is_some()
            || fetched.skipped == Some(crate::fetch::BodyClass::Document)
            || matches!(stored, Some(Found::Document(_)));
        let counted = match (&kind, fetched.skipped) {
            _ if is_document => &self.counters.documents,
            (DocKind::Html { .. } | DocKind::Listing, None) => &self.counters.html_pages,
            _ => &self.counters.other_files,
        };
        let found = if fetched.not_modified() {
            if let Some(found) = stored.take() {
                self.counters.pages_fetched.fetch_add(1, Ordering::Relaxed);
                counted.fetch_add(1, Ordering::Relaxed);
                if let Found::Document(sights) = &found {
                    // Unchanged: its pictures are what they were.
                    record.kind = "document".into();
                    self.replay_document(sights).await;
                }
                Some(found)
            } else {
                record.error = Some("304 without a stored copy".into());
                self.failed(url.as_str(), platform_doc);
                None
            }
        } else if fetched.ok() && fetched.skipped.is_some() {
            // Not a page or a file the crawl reads (a PDF, a video): its
            // transfer was stopped at the headers. A document is counted as
            // one; documents are not read yet.
            counted.fetch_add(1, Ordering::Relaxed);
            record.kind = match fetched.skipped {
                Some(crate::fetch::BodyClass::Document) => "document".into(),
                _ => "other".into(),
            };
            Some(Found::Nothing)
        } else if let (true, Some(format)) = (fetched.ok(), format) {
            self.counters.pages_fetched.fetch_add(1, Ordering::Relaxed);
            counted.fetch_add(1, Ordering::Relaxed);
            record.kind = "document".into();
            let body = fetched.body.clone().unwrap_or_default();
            record.bytes = body.len() as u64;
            record.content_hash = Some(analysis::hash::sha256_hex(&body));
            match self.read_document(&url, format, body).await {
                Ok((sights, skipped)) => {
                    result.skipped = skipped;
                    Some(Found::Document(sights))
                }
                Err(e) => {
                    // A password-protected document is as closed to a
                    // scraper as to the audit: recorded, not a failure.
                    if e != crate::extract::document::OpenError::Protected {
                        self.failed(url.as_str(), platform_doc);
                    }
                    record.error = Some(e.to_string());
                    None
                }
            }
        } else if fetched.ok() {
            self.counters.pages_fetched.fetch_add(1, Ordering::Relaxed);
            counted.fetch_add(1, Ordering::Relaxed);
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
        if let Some(Found::Page(e)) = &found {
            if e.context_cut && record.error.is_none() {
                // Every picture was found; the last ones' text is short.
                record.error = Some(
                    "the page is too large to read every picture's nearby text: the pictures read last have less of it (a gallery of thousands of pictures in one box)"
                        .into(),
                );
            }
        }
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
}
