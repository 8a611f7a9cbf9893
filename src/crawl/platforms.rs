//! Social sources: a platform's API or feed read page by page, posts
//! turned into sightings.

use super::*;

pub(super) fn parse_social(
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
pub(super) fn platform_of(kind: &SourceKind) -> Option<social::Platform> {
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
pub(super) fn source_token(source: &Source) -> Result<Option<String>, String> {
    let (SourceKind::FacebookPage { token_env: var, .. }
    | SourceKind::Instagram { token_env: var, .. }) = &source.kind
    else {
        return Ok(None);
    };
    match std::env::var(var) {
        Ok(t) if !t.trim().is_empty() => Ok(Some(t.trim().to_string())),
        _ => Err(format!(
            "the access token is missing: set the environment variable {var} for source `{}`",
            source.name
        )),
    }
}
impl Crawl {
    /// An account's posts through its platform's API, page by page.
    pub(super) async fn crawl_social(
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

    pub(super) async fn crawl_feed(
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
}
