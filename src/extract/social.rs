//! Platform APIs, read the way the account's owner or any scraper can: one
//! page of an account's posts at a time, each picture with the post's text
//! (`post_text`) and its own description or alt text (`alt`), and the
//! address of the next page.
//!
//! Shapes, from each platform's documentation:
//! - Mastodon: `GET /api/v1/accounts/lookup?acct=NAME` gives the account
//!   `id`; `GET /api/v1/accounts/:id/statuses?limit=40` gives statuses with
//!   `url`, `created_at`, `content` (HTML), `media_attachments` (`type`,
//!   `url`, `preview_url`, `description`) and a link preview `card`
//!   (`image`, `image_description`, `title`); a boost carries the original
//!   in `reblog`, a quote post (4.4) the quoted one in
//!   `quote.quoted_status`. The next page is the `Link` header's
//!   `rel="next"`.
//! - Bluesky: `GET /xrpc/app.bsky.feed.getAuthorFeed?actor=HANDLE&limit=100`
//!   gives `feed[].post` with `uri`, `author.handle`, `record.text`,
//!   `record.createdAt` and an `embed` view: `images#view`
//!   (`images[].fullsize`, `thumb`, `alt`), `video#view` (`thumbnail`),
//!   `external#view` (`external.thumb`), `record#view` (a quoted post,
//!   its pictures in `record.embeds[]`) or `recordWithMedia#view` (`media`
//!   and a quoted `record`); the next page is `cursor`, asked of the same
//!   actor.
//! - Facebook Graph: `GET /v19.0/PAGE_ID/posts?fields=...` gives `data[]`
//!   with `message`, `permalink_url`, `created_time` and `attachments.data[]`
//!   (`media.image.src`, `description`, `subattachments.data[]`); the next
//!   page is `paging.next`.
//! - Instagram Graph: `GET /v19.0/ACCOUNT_ID/media?fields=...` gives `data[]`
//!   with `caption`, `alt_text`, `media_type`, `media_url`, `thumbnail_url`,
//!   `permalink`, `timestamp` and `children.data[]`; next is `paging.next`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::{html_to_text, truncate_chars, ImageRef};
use crate::model::{Context, FoundVia};

/// Most characters of a post's text kept as context.
const POST_TEXT_CHARS: usize = 1000;
/// Graph API version the requests name.
pub const GRAPH_VERSION: &str = "v19.0";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Mastodon,
    Bluesky,
    Facebook,
    Instagram,
}

/// One page of an account's posts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PostsPage {
    /// (post address, picture) pairs, newest first.
    pub items: Vec<(String, ImageRef)>,
    /// The next page, if there is one and it is on the API's host.
    pub next: Option<String>,
    /// The page reached posts older than `since`: stop paging.
    pub reached_since: bool,
}

/// The first request for an account. For Mastodon this is the account
/// lookup; its answer gives the statuses address ([`mastodon_statuses_url`]).
pub fn first_url(platform: Platform, base: &Url, account: &str) -> Result<Url, String> {
    let mut u = match platform {
        Platform::Mastodon => base.join("/api/v1/accounts/lookup"),
        Platform::Bluesky => base.join("/xrpc/app.bsky.feed.getAuthorFeed"),
        Platform::Facebook => base.join(&format!("/{GRAPH_VERSION}/{account}/posts")),
        Platform::Instagram => base.join(&format!("/{GRAPH_VERSION}/{account}/media")),
    }
    .map_err(|e| format!("cannot build the API address: {e}"))?;
    {
        let mut q = u.query_pairs_mut();
        match platform {
            Platform::Mastodon => {
                q.append_pair("acct", account);
            }
            Platform::Bluesky => {
                q.append_pair("actor", account).append_pair("limit", "100");
            }
            Platform::Facebook => {
                q.append_pair(
                    "fields",
                    "id,message,permalink_url,created_time,attachments{media_type,media,url,description,subattachments}",
                )
                .append_pair("limit", "100");
            }
            Platform::Instagram => {
                q.append_pair(
                    "fields",
                    "id,caption,alt_text,media_type,media_url,thumbnail_url,permalink,timestamp,children{media_type,media_url,thumbnail_url,alt_text}",
                )
                .append_pair("limit", "100");
            }
        }
    }
    Ok(u)
}

/// The statuses of a Mastodon account, from its lookup answer.
pub fn mastodon_statuses_url(base: &Url, lookup: &[u8]) -> Result<Url, String> {
    let v: Value = json(lookup)?;
    let id = v["id"]
        .as_str()
        .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()))
        .ok_or("the account lookup answer has no account id")?;
    let mut u = base
        .join(&format!("/api/v1/accounts/{id}/statuses"))
        .map_err(|e| e.to_string())?;
    u.query_pairs_mut().append_pair("limit", "40");
    Ok(u)
}

fn json(body: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|e| format!("not the platform's JSON: {e}"))
}

fn text(v: &Value) -> Option<String> {
    v.as_str()
        .map(|s| truncate_chars(&html_to_text(s), POST_TEXT_CHARS))
        .filter(|s| !s.is_empty())
}

fn older_than(created: &Value, since: Option<NaiveDate>) -> bool {
    let (Some(since), Some(t)) = (since, created.as_str()) else {
        return false;
    };
    // Graph writes +0000 rather than +00:00.
    let parsed = DateTime::parse_from_rfc3339(t)
        .or_else(|_| DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%z"))
        .map(|d| d.with_timezone(&Utc).date_naive());
    parsed.is_ok_and(|d| d < since)
}

/// Query parameters that carry a credential. The Graph API echoes the
/// caller's `access_token` (and `appsecret_proof`) in `paging.next`; the
/// token already goes in the Authorization header, so these are dropped
/// before the address is followed or stored.
const CREDENTIAL_PARAMS: &[&str] = &["access_token", "appsecret_proof", "client_secret"];

/// Keeps a next-page address only on the API's own host (the access token
/// goes with the request), without credentials in its query.
fn same_host(next: Option<&str>, base: &Url) -> Option<String> {
    let mut n = Url::parse(next?).ok()?;
    if n.host_str() != base.host_str() || n.port_or_known_default() != base.port_or_known_default()
    {
        return None;
    }
    if n.query_pairs()
        .any(|(k, _)| CREDENTIAL_PARAMS.contains(&k.as_ref()))
    {
        let kept: Vec<(String, String)> = n
            .query_pairs()
            .filter(|(k, _)| !CREDENTIAL_PARAMS.contains(&k.as_ref()))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        n.set_query(None);
        if !kept.is_empty() {
            n.query_pairs_mut().extend_pairs(kept);
        }
    }
    Some(n.to_string())
}

struct Builder {
    page: PostsPage,
    since: Option<NaiveDate>,
}

impl Builder {
    fn new(since: Option<NaiveDate>) -> Builder {
        Builder {
            page: PostsPage::default(),
            since,
        }
    }

    /// Skips a post older than `since` and notes that paging can stop.
    fn too_old(&mut self, created: &Value) -> bool {
        let old = older_than(created, self.since);
        self.page.reached_since |= old;
        old
    }

    fn push(
        &mut self,
        post: &str,
        picture: Option<&str>,
        alt: Option<String>,
        post_text: Option<&str>,
    ) {
        let Some(url) = picture.filter(|u| u.starts_with("http://") || u.starts_with("https://"))
        else {
            return;
        };
        let item = ImageRef {
            url: url.to_string(),
            found_via: FoundVia::Api,
            context: Context {
                alt: alt.filter(|a| !a.trim().is_empty()),
                post_text: post_text.map(str::to_string),
                ..Context::default()
            },
        };
        if !self
            .page
            .items
            .iter()
            .any(|(p, i)| p == post && i.url == item.url)
        {
            self.page.items.push((post.to_string(), item));
        }
    }
}

impl Builder {
    /// The page, with the Graph API's `paging.next` unless `since` was reached.
    fn graph_page(mut self, v: &Value, base: &Url) -> PostsPage {
        if !self.page.reached_since {
            self.page.next = same_host(v["paging"]["next"].as_str(), base);
        }
        self.page
    }
}

/// A page of Mastodon statuses.
pub fn mastodon(
    body: &[u8],
    base: &Url,
    link: Option<&str>,
    since: Option<NaiveDate>,
) -> Result<PostsPage, String> {
    let v = json(body)?;
    let statuses = v.as_array().ok_or("expected a list of statuses")?;
    let mut b = Builder::new(since);
    for s in statuses {
        if b.too_old(&s["created_at"]) {
            continue;
        }
        // A boost shows the original post's pictures on the account.
        let shown = if s["reblog"].is_object() {
            &s["reblog"]
        } else {
            s
        };
        let post = shown["url"]
            .as_str()
            .or_else(|| shown["uri"].as_str())
            .unwrap_or_default()
            .to_string();
        let post_text = text(&shown["content"]);
        mastodon_status(&mut b, &post, shown, post_text.as_deref());
        // A quote post shows the quoted post's pictures (Mastodon 4.4:
        // `quote.quoted_status`, present once the quote is accepted).
        let quoted = &shown["quote"]["quoted_status"];
        if quoted.is_object() {
            let quoted_text = text(&quoted["content"]).or_else(|| post_text.clone());
            mastodon_status(&mut b, &post, quoted, quoted_text.as_deref());
        }
    }
    b.page.next = if b.page.reached_since || statuses.is_empty() {
        None
    } else {
        same_host(link.and_then(link_next), base)
    };
    Ok(b.page)
}

/// The pictures one Mastodon status shows: its attachments (a video's
/// preview frame) and its link card's picture, the linked page's photo.
fn mastodon_status(b: &mut Builder, post: &str, status: &Value, post_text: Option<&str>) {
    for m in status["media_attachments"].as_array().into_iter().flatten() {
        let kind = m["type"].as_str().unwrap_or("image");
        let alt = m["description"].as_str().map(str::to_string);
        match kind {
            "image" | "gifv" => b.push(post, m["url"].as_str(), alt, post_text),
            // Videos: the preview frame is the picture a scraper takes.
            _ => b.push(post, m["preview_url"].as_str(), alt, post_text),
        }
    }
    let card = &status["card"];
    let alt = card["image_description"]
        .as_str()
        .filter(|d| !d.trim().is_empty())
        .or_else(|| card["title"].as_str())
        .map(str::to_string);
    b.push(post, card["image"].as_str(), alt, post_text);
}

/// The `rel="next"` address of a `Link` header.
fn link_next(header: &str) -> Option<&str> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| {
                let p = p.trim().replace(' ', "");
                p == "rel=\"next\"" || p == "rel=next"
            })
            .then(|| target.trim().trim_start_matches('<').trim_end_matches('>'))
    })
}

/// A page of a Bluesky author feed.
pub fn bluesky(body: &[u8], base: &Url, since: Option<NaiveDate>) -> Result<PostsPage, String> {
    let v = json(body)?;
    let feed = v["feed"]
        .as_array()
        .ok_or("expected `feed` in the answer")?;
    let mut b = Builder::new(since);
    for item in feed {
        let p = &item["post"];
        if b.too_old(&p["record"]["createdAt"]) {
            continue;
        }
        let handle = p["author"]["handle"].as_str().unwrap_or_default();
        let rkey = p["uri"]
            .as_str()
            .and_then(|u| u.rsplit('/').next())
            .unwrap_or_default();
        let post = format!("https://bsky.app/profile/{handle}/post/{rkey}");
        let post_text = text(&p["record"]["text"]);
        bluesky_embed(&mut b, &post, &p["embed"], post_text.as_deref(), 0);
    }
    b.page.next = match (b.page.reached_since, v["cursor"].as_str()) {
        (false, Some(cursor)) if !feed.is_empty() => {
            let mut u = base
                .join("/xrpc/app.bsky.feed.getAuthorFeed")
                .map_err(|e| e.to_string())?;
            // The account asked for, whoever wrote the first post shown
            // (a page may start with a repost of someone else's post).
            let actor = base
                .query_pairs()
                .find(|(k, _)| k == "actor")
                .map(|(_, v)| v.into_owned())
                .ok_or("the feed request names no actor")?;
            u.query_pairs_mut()
                .append_pair("actor", &actor)
                .append_pair("limit", "100")
                .append_pair("cursor", cursor);
            Some(u.to_string())
        }
        _ => None,
    };
    Ok(b.page)
}

/// Most levels of quoted posts read inside one Bluesky post.
const MAX_EMBED_DEPTH: u32 = 3;

/// The pictures a Bluesky embed view shows, by its shape: images
/// (`images#view`: `fullsize` and `thumb`), a video's poster frame
/// (`video#view`: `thumbnail`), a link card's picture (`external#view`:
/// `external.thumb`), a quoted post's own embeds (`record#view`: `record`
/// is a `viewRecord` with `embeds[]` and its text in `value.text`), and
/// both at once (`recordWithMedia#view`: `media` and `record`).
fn bluesky_embed(b: &mut Builder, post: &str, embed: &Value, post_text: Option<&str>, depth: u32) {
    if depth > MAX_EMBED_DEPTH || !embed.is_object() {
        return;
    }
    for img in embed["images"].as_array().into_iter().flatten() {
        let alt = img["alt"].as_str().map(str::to_string);
        b.push(post, img["fullsize"].as_str(), alt.clone(), post_text);
        b.push(post, img["thumb"].as_str(), alt, post_text);
    }
    if let Some(thumb) = embed["thumbnail"].as_str() {
        b.push(
            post,
            Some(thumb),
            embed["alt"].as_str().map(str::to_string),
            post_text,
        );
    }
    let external = &embed["external"];
    if let Some(thumb) = external["thumb"].as_str() {
        let alt = external["title"].as_str().map(str::to_string);
        b.push(post, Some(thumb), alt, post_text);
    }
    bluesky_embed(b, post, &embed["media"], post_text, depth + 1);
    let record = &embed["record"];
    if record["embeds"].is_array() {
        // A viewRecord: the quoted post, with its own text.
        let quoted_text = text(&record["value"]["text"]).or_else(|| post_text.map(str::to_string));
        for e in record["embeds"].as_array().into_iter().flatten() {
            bluesky_embed(b, post, e, quoted_text.as_deref(), depth + 1);
        }
    } else if record["record"].is_object() {
        // recordWithMedia's `record` is a record#view around the viewRecord.
        bluesky_embed(b, post, record, post_text, depth + 1);
    }
}

/// A page of a Facebook Page's posts (Graph API).
pub fn facebook(body: &[u8], base: &Url, since: Option<NaiveDate>) -> Result<PostsPage, String> {
    let v = json(body)?;
    graph_error(&v)?;
    let posts = v["data"]
        .as_array()
        .ok_or("expected `data` in the answer")?;
    let mut b = Builder::new(since);
    for p in posts {
        if b.too_old(&p["created_time"]) {
            continue;
        }
        let post = p["permalink_url"].as_str().unwrap_or_default().to_string();
        let post_text = text(&p["message"]);
        let mut attachments: Vec<&Value> = Vec::new();
        for a in p["attachments"]["data"].as_array().into_iter().flatten() {
            attachments.push(a);
            attachments.extend(a["subattachments"]["data"].as_array().into_iter().flatten());
        }
        for a in attachments {
            let alt = a["description"].as_str().map(str::to_string);
            b.push(
                &post,
                a["media"]["image"]["src"].as_str(),
                alt,
                post_text.as_deref(),
            );
        }
    }
    Ok(b.graph_page(&v, base))
}

/// A page of an Instagram professional account's media (Graph API).
pub fn instagram(body: &[u8], base: &Url, since: Option<NaiveDate>) -> Result<PostsPage, String> {
    let v = json(body)?;
    graph_error(&v)?;
    let media = v["data"]
        .as_array()
        .ok_or("expected `data` in the answer")?;
    let mut b = Builder::new(since);
    for m in media {
        if b.too_old(&m["timestamp"]) {
            continue;
        }
        let post = m["permalink"].as_str().unwrap_or_default().to_string();
        let post_text = text(&m["caption"]);
        let mut parts: Vec<&Value> = vec![m];
        parts.extend(m["children"]["data"].as_array().into_iter().flatten());
        for part in parts {
            let picture = match part["media_type"].as_str() {
                Some("VIDEO") => part["thumbnail_url"].as_str(),
                Some("CAROUSEL_ALBUM") => None,
                _ => part["media_url"].as_str(),
            };
            let alt = part["alt_text"].as_str().map(str::to_string);
            b.push(&post, picture, alt, post_text.as_deref());
        }
    }
    Ok(b.graph_page(&v, base))
}

/// A Graph API error object, as the error it is.
fn graph_error(v: &Value) -> Result<(), String> {
    match v["error"]["message"].as_str() {
        Some(m) => Err(format!("the Graph API refused: {m}")),
        None => Ok(()),
    }
}

/// How long the platform asks us to wait before the next request, from its
/// rate-limit headers (`now` in seconds since the epoch): Mastodon's
/// `X-RateLimit-Remaining`/`-Reset` (a time), Bluesky's
/// `RateLimit-Remaining`/`-Reset` (epoch seconds), and the Graph API's
/// `X-App-Usage`/`X-Business-Use-Case-Usage` (percent of quota used).
pub fn rate_limit_wait(headers: &[(String, String)], now: i64) -> Option<std::time::Duration> {
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let exhausted = |name: &str| get(name).and_then(|v| v.trim().parse::<i64>().ok()) == Some(0);
    let until = |reset: i64| std::time::Duration::from_secs((reset - now).max(1) as u64);
    if exhausted("x-ratelimit-remaining") {
        let reset =
            get("x-ratelimit-reset").and_then(|r| DateTime::parse_from_rfc3339(r.trim()).ok());
        return Some(reset.map_or(std::time::Duration::from_mins(5), |r| until(r.timestamp())));
    }
    if exhausted("ratelimit-remaining") {
        let reset = get("ratelimit-reset").and_then(|r| r.trim().parse::<i64>().ok());
        return Some(reset.map_or(std::time::Duration::from_mins(5), until));
    }
    for name in ["x-app-usage", "x-business-use-case-usage"] {
        let Some(v) = get(name).and_then(|v| serde_json::from_str::<Value>(v).ok()) else {
            continue;
        };
        let mut worst = 0.0f64;
        let mut visit = |o: &Value| {
            for k in ["call_count", "total_time", "total_cputime"] {
                worst = worst.max(o[k].as_f64().unwrap_or(0.0));
            }
        };
        visit(&v);
        if let Some(m) = v.as_object() {
            for per_id in m.values() {
                for o in per_id.as_array().into_iter().flatten() {
                    visit(o);
                }
            }
        }
        if worst >= 95.0 {
            // Graph usage is a rolling hour.
            return Some(std::time::Duration::from_hours(1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://social.example/").unwrap()
    }

    #[test]
    fn mastodon_statuses_give_pictures_with_alt_and_post_text() {
        let body = br#"[
          {"id":"3","url":"https://social.example/@school/3","created_at":"2026-10-01T10:00:00.000Z",
           "content":"<p>Sports day! Well done Year 4</p>",
           "media_attachments":[{"type":"image","url":"https://files.social.example/a.jpg","preview_url":"https://files.social.example/a-small.jpg","description":"Children running"},
                                {"type":"video","url":"https://files.social.example/v.mp4","preview_url":"https://files.social.example/v.png","description":null}]},
          {"id":"2","url":"https://social.example/@school/2","created_at":"2026-09-01T10:00:00.000Z","content":"boost","media_attachments":[],
           "reblog":{"url":"https://other.example/@pta/9","content":"<p>PTA fair</p>","media_attachments":[{"type":"image","url":"https://files.other.example/f.jpg","description":"Fair"}]}},
          {"id":"1","url":"https://social.example/@school/1","created_at":"2024-01-01T10:00:00.000Z","content":"old","media_attachments":[{"type":"image","url":"https://files.social.example/old.jpg"}]}
        ]"#;
        let link = r#"<https://social.example/api/v1/accounts/7/statuses?limit=40&max_id=1>; rel="next", <https://social.example/api/v1/accounts/7/statuses?min_id=3>; rel="prev""#;
        let p = mastodon(body, &base(), Some(link), None).unwrap();
        let urls: Vec<&str> = p.items.iter().map(|(_, i)| i.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://files.social.example/a.jpg",
                "https://files.social.example/v.png",
                "https://files.other.example/f.jpg",
                "https://files.social.example/old.jpg"
            ]
        );
        assert_eq!(p.items[0].0, "https://social.example/@school/3");
        assert_eq!(
            p.items[0].1.context.alt.as_deref(),
            Some("Children running")
        );
        assert_eq!(
            p.items[0].1.context.post_text.as_deref(),
            Some("Sports day! Well done Year 4")
        );
        assert_eq!(p.items[2].0, "https://other.example/@pta/9");
        assert_eq!(
            p.next.as_deref(),
            Some("https://social.example/api/v1/accounts/7/statuses?limit=40&max_id=1")
        );
        // `since` drops older posts and stops paging.
        let since = NaiveDate::from_ymd_opt(2025, 1, 1);
        let p = mastodon(body, &base(), Some(link), since).unwrap();
        assert_eq!(p.items.len(), 3);
        assert!(p.reached_since && p.next.is_none());
    }

    /// Issue 16, item 9: the token the Graph API echoes in `paging.next`
    /// is neither followed nor kept.
    #[test]
    fn a_token_in_the_next_page_address_is_dropped() {
        let body = br#"{"data":[],"paging":{"next":"https://social.example/v19.0/1/feed?access_token=EAAGsecret&limit=25&appsecret_proof=ab12&after=QVFI"}}"#;
        let next = facebook(body, &base(), None).unwrap().next.unwrap();
        assert!(!next.contains("secret") && !next.contains("ab12"), "{next}");
        assert!(
            next.ends_with("/v19.0/1/feed?limit=25&after=QVFI"),
            "{next}"
        );
    }

    #[test]
    fn next_pages_on_another_host_are_not_followed() {
        let body = br#"{"data":[],"paging":{"next":"https://evil.example/steal?x=1"}}"#;
        assert_eq!(facebook(body, &base(), None).unwrap().next, None);
        let err = facebook(
            br#"{"error":{"message":"Invalid OAuth access token"}}"#,
            &base(),
            None,
        );
        assert!(err.unwrap_err().contains("Invalid OAuth"));
    }

    #[test]
    fn rate_limit_headers_of_each_platform() {
        let h = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let now = 1_800_000_000;
        assert_eq!(
            rate_limit_wait(&h(&[("x-ratelimit-remaining", "12")]), now),
            None
        );
        assert_eq!(
            rate_limit_wait(
                &h(&[
                    ("ratelimit-remaining", "0"),
                    ("ratelimit-reset", "1800000030")
                ]),
                now
            ),
            Some(std::time::Duration::from_secs(30))
        );
        assert_eq!(
            rate_limit_wait(
                &h(&[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", "2027-01-15T08:00:10Z")
                ]),
                DateTime::parse_from_rfc3339("2027-01-15T08:00:00Z")
                    .unwrap()
                    .timestamp()
            ),
            Some(std::time::Duration::from_secs(10))
        );
        assert!(rate_limit_wait(
            &h(&[("x-app-usage", r#"{"call_count":96,"total_time":10}"#)]),
            now
        )
        .is_some());
        assert!(rate_limit_wait(&h(&[("x-app-usage", r#"{"call_count":20}"#)]), now).is_none());
        assert!(rate_limit_wait(
            &h(&[(
                "x-business-use-case-usage",
                r#"{"123":[{"type":"pages","call_count":100}]}"#
            )]),
            now
        )
        .is_some());
    }
}
