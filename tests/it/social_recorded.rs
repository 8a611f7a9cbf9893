//! Issue 21: every picture a real post shows. Each platform's API is a
//! local server answering with responses in the platform's real shape,
//! cut down from client libraries' recorded fixtures (provenance and
//! licences in tests/fixtures/social/PROVENANCE.md), their picture
//! addresses pointed at the server.

use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use serde_json::Value;

use crate::support::*;

/// A recorded answer with `{host}` made the local server's address.
fn recorded(name: &str, req: &axum::extract::Request) -> Response {
    let host = req.headers()["host"].to_str().unwrap().to_string();
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/social")
            .join(name),
    )
    .unwrap();
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Body::from(text.replace("{host}", &host)))
        .unwrap()
}

fn empty(json: &'static str) -> Handler {
    fixed(200, "application/json", json)
}

/// The platforms on one server: Mastodon, Bluesky (a second page, asked
/// with the cursor, is empty) and Instagram (its `paging.next` page too);
/// every other address is a picture.
async fn platforms() -> Site {
    let bluesky: Handler = Arc::new(|req| {
        if req.uri().query().unwrap_or_default().contains("cursor=") {
            return respond(200, "application/json", r#"{"feed": []}"#);
        }
        recorded("bluesky_author_feed.json", req)
    });
    let instagram: Handler = Arc::new(|req| {
        if req.uri().query().unwrap_or_default().contains("after=") {
            return respond(200, "application/json", r#"{"data": []}"#);
        }
        recorded("instagram_media.json", req)
    });
    Site::start(vec![
        (
            "/api/v1/accounts/lookup",
            empty(r#"{"id":"109","username":"hollybrook"}"#),
        ),
        (
            "/api/v1/accounts/109/statuses",
            Arc::new(|req| recorded("mastodon_statuses.json", req)),
        ),
        ("/xrpc/app.bsky.feed.getAuthorFeed", bluesky),
        ("/v19.0/17841400000004242/media", instagram),
        ("*", jpeg(resized_jpeg("rocket.jpg", 320, 80))),
    ])
    .await
}

/// Audits one platform source of `kind` (its config lines after `kind`).
async fn audit_source(site: &Site, source: &str) -> Value {
    let dir = tempdir();
    let db = db_in(&dir);
    std::env::set_var("EXPOSURE_AUDIT_TEST_RECORDED_TOKEN", "tok-recorded");
    let text = format!(
        "[storage]\ndatabase = \"{}\"\n[crawl]\nper_host_delay_ms = 0\nmax_retries = 0\n\
         [[sources]]\nname = \"Social\"\nbase_url = \"{}\"\n{source}\n",
        db.display(),
        site.url("/")
    );
    let run = audit(&config(&text)).await;
    run.report
}

const MASTODON: &str = "kind = \"mastodon\"\naccount = \"hollybrook\"";
const BLUESKY: &str = "kind = \"bluesky\"\naccount = \"hollybrookprimary.bsky.social\"";
const INSTAGRAM: &str = "kind = \"instagram\"\naccount_id = \"17841400000004242\"\ntoken_env = \"EXPOSURE_AUDIT_TEST_RECORDED_TOKEN\"";

/// Every picture address in the report, found through the API.
fn api_pictures(report: &Value) -> Vec<String> {
    occurrences(report)
        .into_iter()
        .filter(|(via, _)| via == "api")
        .map(|(_, url)| url)
        .collect()
}

fn assert_has(report: &Value, paths: &[&str]) {
    let found = api_pictures(report);
    for p in paths {
        assert!(
            found.iter().any(|u| u.ends_with(p)),
            "{p} not read: {found:?}"
        );
    }
}

/// The occurrence of a picture address, for its context.
fn occurrence<'a>(report: &'a Value, path: &str) -> &'a Value {
    exposure_with(report, path)["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["image_url"].as_str().unwrap().ends_with(path))
        .unwrap()
}

/// Item 1: a link card's picture, on a post and on a boost's original.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_link_cards_are_read() {
    let site = platforms().await;
    let r = audit_source(&site, MASTODON).await;
    assert_has(
        &r,
        &["/md/card.jpg", "/md/reblog-card.jpg", "/md/card-post-1.jpg"],
    );
}

/// Mastodon 4.4 quote posts: the quoted post's attachments.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_quote_posts_show_the_quoted_pictures() {
    let site = platforms().await;
    let r = audit_source(&site, MASTODON).await;
    assert_has(&r, &["/md/quote-1.jpg", "/md/quote-2.jpg"]);
}

/// Item 2: `app.bsky.embed.external#view` thumbnails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bluesky_external_embeds_are_read() {
    let site = platforms().await;
    let r = audit_source(&site, BLUESKY).await;
    assert_has(&r, &["/bsky/external-thumb.jpg"]);
}

/// Item 3: pictures of quoted posts, in `record#view` and in
/// `recordWithMedia#view` (both its media and its quoted record), and a
/// repost whose only picture is in the post it quotes; and a video inside
/// `recordWithMedia`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bluesky_quoted_posts_and_their_media_are_read() {
    let site = platforms().await;
    let r = audit_source(&site, BLUESKY).await;
    assert_has(
        &r,
        &[
            "/bsky/quoted-1.jpg",
            "/bsky/quoted-1-thumb.jpg",
            "/bsky/rwm-media-1.jpg",
            "/bsky/rwm-quoted-1.jpg",
            "/bsky/repost-quoted-external-thumb.jpg",
            "/bsky/rwm-video-thumb.jpg",
        ],
    );
    let found = api_pictures(&r);
    assert!(!found
        .iter()
        .any(|u| u.contains("/avatar/") || u.ends_with(".m3u8")));
}

/// Item 4: the feed starts with a repost of another account's post; the
/// next page is still asked of the configured account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bluesky_paging_keeps_the_configured_account() {
    let site = platforms().await;
    audit_source(&site, BLUESKY).await;
    let pages: Vec<String> = site
        .requests()
        .into_iter()
        .filter(|q| q.starts_with("/xrpc/app.bsky.feed.getAuthorFeed"))
        .collect();
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert!(pages[1].contains("cursor="), "{pages:?}");
    assert!(
        pages[1].contains("actor=hollybrookprimary.bsky.social"),
        "the next page asks another account: {pages:?}"
    );
}

/// Item 5: "Well done Amelia Jones<br>Year 4 relay team" gives the whole
/// name and the year group, not "Amelia" alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn words_stay_apart_at_line_breaks_in_posts() {
    let site = platforms().await;
    let r = audit_source(&site, MASTODON).await;
    let post_text = occurrence(&r, "/md/card-post-1.jpg")["context"]["post_text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        post_text.starts_with("Well done Amelia Jones Year 4 relay team What a sports day!"),
        "{post_text}"
    );
    let details: Vec<(String, String)> = exposure_with(&r, "/md/card-post-1.jpg")["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap().to_string(),
                d["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for want in [("person_name", "Amelia Jones"), ("year_group", "Year 4")] {
        assert!(
            details.contains(&(want.0.to_string(), want.1.to_string())),
            "{want:?} in {details:?}"
        );
    }
}

/// Instagram's `alt_text` is the picture's alt; the token the next page
/// echoes is not followed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instagram_alt_text_is_read() {
    let site = platforms().await;
    let r = audit_source(&site, INSTAGRAM).await;
    assert_has(
        &r,
        &[
            "/ig/alt-1.jpg",
            "/ig/carousel-1.jpg",
            "/ig/carousel-3-thumb.jpg",
        ],
    );
    assert_eq!(
        occurrence(&r, "/ig/alt-1.jpg")["context"]["alt"],
        "Amelia Jones, Year 4, at the relay"
    );
    let asked = site.requests();
    assert!(asked.iter().any(|q| q.contains("after=")), "{asked:?}");
    assert!(
        !asked.iter().any(|q| q.contains("access_token")),
        "{asked:?}"
    );
}
