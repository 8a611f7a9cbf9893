//! A website and every social source kind in one config, audited in one
//! run. The platforms are local servers on 127.0.0.1 answering with the JSON
//! shapes their documentation gives (base URLs set in the config).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use exposure_audit::store::RunStatus;
use serde_json::{json, Value};

use crate::support::*;

/// Another picture made from a fixture: turned a quarter, so its hash
/// differs (a mirrored copy would be grouped with its original).
fn turned_jpeg(name: &str, width: u32) -> Vec<u8> {
    let img = image::load_from_memory(&resized_jpeg(name, width, 90))
        .unwrap()
        .rotate90();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&img.to_rgb8())
        .unwrap();
    out
}

fn json_response(v: Value, headers: &[(&str, String)]) -> Response {
    let mut r = Response::builder()
        .status(200)
        .header("content-type", "application/json");
    for (k, val) in headers {
        r = r.header(*k, val.as_str());
    }
    r.body(Body::from(v.to_string())).unwrap()
}

/// The platforms: Mastodon, Bluesky, the Graph API (Facebook and
/// Instagram), a YouTube channel feed and a profile page, on one server.
/// `down` makes the Mastodon API fail; `deleted` empties the Instagram account.
async fn platforms(down: &Arc<AtomicBool>, deleted: &Arc<AtomicBool>) -> Site {
    // A deleted post's media goes from the platform's servers too.
    let ig_gone = deleted.clone();
    let deleted = deleted.clone();
    // The server's own address is only known once it runs: answers name
    // their files relative to a placeholder the handlers fill in.
    let down = down.clone();
    let masto_statuses: Handler = Arc::new(move |req| {
        if down.load(Ordering::SeqCst) {
            return respond(500, "application/json", "{\"error\":\"down\"}");
        }
        let host = req.headers()["host"].to_str().unwrap().to_string();
        let q = req.uri().query().unwrap_or_default();
        if q.contains("max_id=50") {
            json_response(
                json!([{"id":"40","url":format!("http://{host}/@hollybrook/40"),"created_at":"2026-09-20T09:00:00.000Z",
                  "content":"<p>Harvest assembly</p>",
                  "media_attachments":[{"type":"image","url":format!("http://{host}/files/harvest.jpg"),"description":"Harvest display"}]}]),
                &[],
            )
        } else {
            let reset = (chrono::Utc::now() + chrono::Duration::seconds(1))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            json_response(
                json!([{"id":"60","url":format!("http://{host}/@hollybrook/60"),"created_at":"2026-10-01T09:00:00.000Z",
                  "content":"<p>Well done Oliver Smith in Year 4 for winning the sprint!</p>",
                  "media_attachments":[{"type":"image","url":format!("http://{host}/files/sprint.jpg"),"preview_url":format!("http://{host}/files/sprint-small.jpg"),"description":"Sports day sprint"}]}]),
                &[
                    ("link", format!("<http://{host}/api/v1/accounts/109/statuses?limit=40&max_id=50>; rel=\"next\"")),
                    // The platform asks for a second's pause before the next page.
                    ("x-ratelimit-remaining", "0".into()),
                    ("x-ratelimit-reset", reset),
                ],
            )
        }
    });
    let bluesky: Handler = Arc::new(|req| {
        let host = req.headers()["host"].to_str().unwrap().to_string();
        if req.uri().query().unwrap_or_default().contains("cursor=c2") {
            return json_response(json!({"feed": []}), &[]);
        }
        json_response(
            json!({"feed":[{"post":{"uri":"at://did:plc:abc/app.bsky.feed.post/3kx",
                "author":{"did":"did:plc:abc","handle":"hollybrook.bsky.social"},
                "record":{"text":"Science week rockets","createdAt":"2026-10-02T10:00:00Z"},
                "embed":{"$type":"app.bsky.embed.images#view","images":[
                    {"thumb":format!("http://{host}/bsky/rocket-thumb.jpg"),"fullsize":format!("http://{host}/bsky/rocket.jpg"),"alt":"Rocket launch"}]}}}],
                "cursor":"c2"}),
            &[],
        )
    });
    let graph_posts: Handler = Arc::new(|req| {
        let host = req.headers()["host"].to_str().unwrap().to_string();
        let auth = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        if auth != Some("Bearer tok-123-secret") {
            return json_response(
                json!({"error":{"message":"Invalid OAuth access token","code":190}}),
                &[],
            );
        }
        if req.uri().query().unwrap_or_default().contains("after=QVFI") {
            return json_response(json!({"data": []}), &[]);
        }
        json_response(
            json!({"data":[{"id":"12345_1","message":"Our new school hall is open",
                "permalink_url":"https://www.facebook.com/12345/posts/1","created_time":"2026-10-03T08:00:00+0000",
                "attachments":{"data":[{"media_type":"album","description":"The new hall",
                    "media":{"image":{"src":format!("http://{host}/fb/hall.jpg"),"width":720,"height":480}},
                    "subattachments":{"data":[{"media":{"image":{"src":format!("http://{host}/fb/hall-2.jpg")}}}]}}]}}],
                "paging":{"cursors":{"after":"QVFI"},"next":format!("http://{host}/v19.0/12345/posts?access_token=tok-123-secret&limit=25&after=QVFI")}}),
            &[(
                "x-app-usage",
                r#"{"call_count":12,"total_time":3,"total_cputime":2}"#.into(),
            )],
        )
    });
    let instagram: Handler = Arc::new(move |req| {
        let host = req.headers()["host"].to_str().unwrap().to_string();
        if req.headers().get("authorization").is_none() {
            return json_response(json!({"error":{"message":"missing token"}}), &[]);
        }
        if deleted.load(Ordering::SeqCst) {
            return json_response(json!({"data": []}), &[]);
        }
        json_response(
            json!({"data":[{"id":"1","caption":"Harvest festival #hollybrook","media_type":"CAROUSEL_ALBUM",
                "permalink":"https://www.instagram.com/p/abc/","timestamp":"2026-10-04T08:00:00+0000",
                "children":{"data":[{"media_type":"IMAGE","media_url":format!("http://{host}/ig/c1.jpg")},
                                    {"media_type":"VIDEO","media_url":format!("http://{host}/ig/v.mp4"),"thumbnail_url":format!("http://{host}/ig/v.jpg")}]}}]}),
            &[],
        )
    });
    let youtube: Handler = Arc::new(|req| {
        let host = req.headers()["host"].to_str().unwrap().to_string();
        respond(
            200,
            "application/atom+xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/">
 <title>Hollybrook Primary</title>
 <entry><id>yt:video:abc</id><title>Carol concert</title>
  <link rel="alternate" href="https://www.youtube.com/watch?v=abc"/>
  <published>2026-12-01T10:00:00+00:00</published>
  <media:group><media:title>Carol concert</media:title>
   <media:content url="https://www.youtube.com/v/abc?version=3" type="application/x-shockwave-flash" width="640" height="390"/>
   <media:thumbnail url="http://{host}/yt/abc.jpg" width="480" height="360"/>
   <media:description>Year 2 sing for their families</media:description></media:group>
 </entry></feed>"#
            ),
        )
    });
    let profile: Handler = Arc::new(|req| {
        let host = req.headers()["host"].to_str().unwrap().to_string();
        respond(
            200,
            "text/html",
            format!(
                r#"<html><head><meta property="og:image" content="http://{host}/x/banner.jpg">
                <meta property="og:description" content="Hollybrook Primary School"></head><body></body></html>"#
            ),
        )
    });
    Site::start(vec![
        (
            "/api/v1/accounts/lookup",
            Arc::new(|_: &_| json_response(json!({"id":"109","acct":"hollybrook"}), &[]))
                as Handler,
        ),
        ("/api/v1/accounts/109/statuses", masto_statuses),
        ("/xrpc/app.bsky.feed.getAuthorFeed", bluesky),
        ("/v19.0/12345/posts", graph_posts),
        ("/v19.0/1789/media", instagram),
        ("/feeds/videos.xml", youtube),
        ("/x/hollybrook", profile),
        // The same sports-day photo as on the website, recompressed smaller.
        (
            "/files/sprint.jpg",
            jpeg(resized_jpeg("rocket.jpg", 640, 70)),
        ),
        (
            "/files/harvest.jpg",
            jpeg(resized_jpeg("coffee.png", 500, 80)),
        ),
        (
            "/bsky/rocket.jpg",
            jpeg(resized_jpeg("astronaut.png", 800, 80)),
        ),
        (
            "/bsky/rocket-thumb.jpg",
            jpeg(resized_jpeg("astronaut.png", 200, 80)),
        ),
        ("/fb/hall.jpg", jpeg(resized_jpeg("camera.png", 600, 80))),
        ("/fb/hall-2.jpg", jpeg(resized_jpeg("chelsea.png", 600, 80))),
        (
            "/ig/c1.jpg",
            switch(
                &ig_gone,
                jpeg(resized_jpeg("hubble_deep_field.jpg", 600, 80)),
                fixed(404, "text/plain", "gone"),
            ),
        ),
        (
            "/ig/v.jpg",
            switch(
                &ig_gone,
                jpeg(resized_jpeg("grace_hopper.jpg", 400, 80)),
                fixed(404, "text/plain", "gone"),
            ),
        ),
        ("/yt/abc.jpg", jpeg(turned_jpeg("chelsea.png", 480))),
        ("/x/banner.jpg", jpeg(turned_jpeg("camera.png", 900))),
    ])
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_website_and_every_social_kind_in_one_run() {
    let down = Arc::new(AtomicBool::new(false));
    let deleted = Arc::new(AtomicBool::new(false));
    let social = platforms(&down, &deleted).await;
    let website = Site::start(vec![
        (
            "/",
            html(r#"<html><body><h1>Sports day</h1><img src="/uploads/sports-day.jpg" alt="Sports day"></body></html>"#),
        ),
        ("/uploads/sports-day.jpg", jpeg(resized_jpeg("rocket.jpg", 1200, 90))),
    ])
    .await;
    std::env::set_var("EXPOSURE_AUDIT_TEST_GRAPH_TOKEN", "tok-123-secret");
    let base = social.url("");
    let dir = tempdir();
    let db = db_in(&dir);
    let text = format!(
        r#"{}
[[sources]]
kind = "mastodon"
name = "Mastodon"
base_url = "{base}"
account = "hollybrook"

[[sources]]
kind = "bluesky"
name = "Bluesky"
base_url = "{base}"
account = "hollybrook.bsky.social"

[[sources]]
kind = "facebook_page"
name = "Facebook"
base_url = "{base}"
page_id = "12345"
token_env = "EXPOSURE_AUDIT_TEST_GRAPH_TOKEN"

[[sources]]
kind = "instagram"
name = "Instagram"
base_url = "{base}"
account_id = "1789"
token_env = "EXPOSURE_AUDIT_TEST_GRAPH_TOKEN"

[[sources]]
kind = "feed"
name = "YouTube"
url = "{base}/feeds/videos.xml"

[[sources]]
kind = "page"
name = "X profile"
url = "{base}/x/hollybrook"
"#,
        config_text(&db, &website.url("/"), "")
    );
    let cfg = config(&text);
    let first = audit(&cfg).await;
    let r = &first.report;
    assert_eq!(first.summary.status, RunStatus::Complete, "{r}");
    assert_contract_shape(r);

    let sources: BTreeSet<&str> = r["exposures"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["occurrences"].as_array().unwrap())
        .map(|o| o["source"].as_str().unwrap())
        .collect();
    assert_eq!(
        sources,
        [
            "Bluesky",
            "Facebook",
            "Instagram",
            "Mastodon",
            "Test site",
            "X profile",
            "YouTube"
        ]
        .into()
    );

    // The website's photo and its Mastodon re-upload are one exposure.
    let sports = exposure_with(r, "/uploads/sports-day.jpg");
    let occ = sports["occurrences"].as_array().unwrap();
    let via: BTreeSet<(&str, &str)> = occ
        .iter()
        .map(|o| {
            (
                o["source"].as_str().unwrap(),
                o["found_via"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(via, [("Mastodon", "api"), ("Test site", "img")].into());
    let masto = occ.iter().find(|o| o["source"] == "Mastodon").unwrap();
    assert_eq!(masto["page_url"], social.url("/@hollybrook/60"));
    assert_eq!(masto["context"]["alt"], "Sports day sprint");
    // Post text is context: the name in the toot names the website's photo.
    let details: Vec<(&str, &str, &str)> = sports["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap(),
                d["text"].as_str().unwrap(),
                d["where"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        details.contains(&("person_name", "Oliver Smith", "post_text")),
        "{details:?}"
    );
    assert!(
        details.contains(&("year_group", "Year 4", "post_text")),
        "{details:?}"
    );

    // Paging: Mastodon's Link header (after its rate-limit pause), Bluesky's
    // cursor and the Graph API's paging.next were followed.
    for suffix in [
        "/files/harvest.jpg",
        "/ig/v.jpg",
        "/ig/c1.jpg",
        "/yt/abc.jpg",
        "/x/banner.jpg",
        "/fb/hall-2.jpg",
    ] {
        exposure_with(r, suffix);
    }
    let requests = social.requests();
    assert!(requests.iter().any(|q| q.contains("max_id=50")));
    assert!(requests.iter().any(|q| q.contains("cursor=c2")));
    assert!(requests.iter().any(|q| q.contains("after=QVFI")));

    // The token went in a header, never in an address, the database or the
    // report, although the Graph API echoed it in `paging.next` (issue 16,
    // item 9), which was followed without it.
    assert!(
        requests.iter().all(|q| !q.contains("tok-123")),
        "{requests:?}"
    );
    assert!(
        requests
            .iter()
            .any(|q| q.ends_with("posts?limit=25&after=QVFI")),
        "{requests:?}"
    );
    let graph = social.headers_of(
        requests
            .iter()
            .find(|q| q.starts_with("/v19.0/12345/posts"))
            .unwrap(),
    );
    assert_eq!(graph[0]["authorization"], "Bearer tok-123-secret");
    for file in [db.clone(), db.with_extension("db-wal")] {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(
            !bytes.windows(7).any(|w| w == b"tok-123"),
            "the token is in {}",
            file.display()
        );
    }
    assert!(!r.to_string().contains("tok-123"));

    // Second run: the Mastodon API is down and the Graph token is gone. The
    // run is partial, says why, and the pictures it could not look at are
    // unseen, not resolved.
    down.store(true, Ordering::SeqCst);
    std::env::remove_var("EXPOSURE_AUDIT_TEST_GRAPH_TOKEN");
    let second = audit(&cfg).await;
    assert_eq!(second.summary.status, RunStatus::Partial);
    let failed: Vec<&str> = second
        .summary
        .failed_sources
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(failed, ["Facebook", "Instagram"]);
    assert!(second.summary.failed_sources[0]
        .1
        .contains("EXPOSURE_AUDIT_TEST_GRAPH_TOKEN"));
    let r2 = &second.report;
    assert_eq!(
        r2["summary"]["by_change"]["resolved"], 0,
        "{}",
        r2["summary"]
    );
    let harvest = exposure_with(r2, "/files/harvest.jpg");
    assert_eq!(harvest["seen_this_run"], false);
    assert_eq!(harvest["change"], "unchanged");
    let hall = exposure_with(r2, "/fb/hall.jpg");
    assert_eq!(hall["seen_this_run"], false);
    // The sports-day photo is still seen on the website.
    assert_eq!(
        exposure_with(r2, "/uploads/sports-day.jpg")["seen_this_run"],
        true
    );

    // Third run: everything answers again, and the school deleted its
    // Instagram post. Read to its last page, the account no longer shows
    // those pictures: resolved. Everything else is seen again.
    down.store(false, Ordering::SeqCst);
    deleted.store(true, Ordering::SeqCst);
    std::env::set_var("EXPOSURE_AUDIT_TEST_GRAPH_TOKEN", "tok-123-secret");
    let third = audit(&cfg).await;
    assert_eq!(third.summary.status, RunStatus::Complete);
    let r3 = &third.report;
    assert_eq!(
        r3["summary"]["by_change"]["resolved"], 2,
        "{}",
        r3["summary"]
    );
    for gone in ["/ig/c1.jpg", "/ig/v.jpg"] {
        assert_eq!(exposure_with(r3, gone)["change"], "resolved");
    }
    assert_eq!(
        exposure_with(r3, "/files/harvest.jpg")["seen_this_run"],
        true
    );
    assert_eq!(r3["summary"]["unseen"], 0);
}

/// Issue 18, case 7: a Mastodon account that answers 404 is a failed
/// source. Three audits: read, then 404 (partial; its picture unseen and
/// unchanged, not `changed` as unlinked, not resolved), then read again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mastodon_account_that_answers_404_is_a_failed_source() {
    let missing = Arc::new(AtomicBool::new(false));
    let gone = missing.clone();
    let lookup: Handler = Arc::new(move |_| {
        if gone.load(Ordering::SeqCst) {
            respond(404, "application/json", "{\"error\":\"Record not found\"}")
        } else {
            json_response(
                json!({"id":"109","username":"hollybrook","acct":"hollybrook"}),
                &[],
            )
        }
    });
    let statuses: Handler = Arc::new(|req| {
        let host = req.headers()["host"].to_str().unwrap().to_string();
        json_response(
            json!([{"id":"60","url":format!("http://{host}/@hollybrook/60"),"created_at":"2026-10-01T09:00:00.000Z",
              "content":"<p>Sports day</p>",
              "media_attachments":[{"type":"image","url":format!("http://{host}/files/sprint.jpg"),"description":"Sprint"}]}]),
            &[],
        )
    });
    let site = Site::start(vec![
        ("/api/v1/accounts/lookup", lookup),
        ("/api/v1/accounts/109/statuses", statuses),
        (
            "/files/sprint.jpg",
            jpeg(resized_jpeg("rocket.jpg", 400, 85)),
        ),
        ("/", html("<img src='/hall.jpg' alt='The hall'>")),
        ("/hall.jpg", jpeg(resized_jpeg("coffee.png", 400, 85))),
    ])
    .await;
    let dir = tempdir();
    let db = db_in(&dir);
    // The school's website too: a run whose every source failed is failed.
    let text = format!(
        "{}\n[[sources]]\nkind = \"mastodon\"\nname = \"Mastodon\"\nbase_url = \"{}\"\naccount = \"hollybrook\"\n",
        config_text(&db, &site.url("/"), "max_retries = 0"),
        site.url("/")
    );
    let cfg = config(&text);
    let change_of = |r: &Value| -> (String, Vec<String>) {
        let e = exposure_with(r, "/files/sprint.jpg");
        (
            e["change"].as_str().unwrap().to_string(),
            e["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_string())
                .collect(),
        )
    };
    let first = audit(&cfg).await;
    assert_eq!(first.summary.status, RunStatus::Complete);
    assert_eq!(change_of(&first.report).0, "new");
    assert_eq!(
        changes(&first.report),
        expect(&[("/files/sprint.jpg", "new"), ("/hall.jpg", "new")])
    );

    missing.store(true, Ordering::SeqCst);
    let second = audit(&cfg).await;
    assert_eq!(
        second.summary.status,
        RunStatus::Partial,
        "a source that cannot be read"
    );
    assert!(
        second
            .summary
            .failed_sources
            .iter()
            .any(|(name, _)| name == "Mastodon"),
        "{:?}",
        second.summary.failed_sources
    );
    let (change, reasons) = change_of(&second.report);
    assert_eq!(change, "unchanged", "{reasons:?}");
    assert!(
        reasons.contains(&"not_seen_this_run".to_string()),
        "{reasons:?}"
    );
    assert!(!reasons.contains(&"unlinked_but_still_served".to_string()));
    assert_eq!(second.report["summary"]["by_change"]["resolved"], 0);
    assert_eq!(
        changes(&second.report),
        expect(&[
            ("/files/sprint.jpg", "unchanged"),
            ("/hall.jpg", "unchanged")
        ])
    );

    missing.store(false, Ordering::SeqCst);
    let third = audit(&cfg).await;
    assert_eq!(third.summary.status, RunStatus::Complete);
    assert_eq!(
        changes(&third.report),
        expect(&[
            ("/files/sprint.jpg", "unchanged"),
            ("/hall.jpg", "unchanged")
        ])
    );
    let (change, reasons) = change_of(&third.report);
    assert_eq!(change, "unchanged", "{reasons:?}");
    assert!(
        !reasons.contains(&"not_seen_this_run".to_string()),
        "{reasons:?}"
    );
}
