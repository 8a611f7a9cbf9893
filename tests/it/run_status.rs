//! The partial rule of CONTRACT.md: a run is partial when something in the
//! school's own scope could not be read; a failed off-site requisite (a
//! font stylesheet or a picture on a CDN) is listed and does not make it
//! partial (issue 18, case 6). A picture whose own fetch failed on a page
//! that loaded is unseen, never resolved.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use exposure_audit::store::RunStatus;

use crate::support::*;

/// A "CDN" on another loopback address (127.0.0.2), so its host is not the
/// school's: every request fails with a 500.
async fn failing_cdn() -> (String, tokio::task::JoinHandle<()>) {
    let app = axum::Router::new()
        .fallback(|| async { (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "down") });
    let listener = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, handle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_off_site_requisite_is_listed_and_the_run_stays_complete() {
    let (cdn, _cdn) = failing_cdn().await;
    let broken = Arc::new(AtomicBool::new(false));
    let page = format!(
        "<html><head><link rel='stylesheet' href='{cdn}/css2?family=Open+Sans'>\
         <link rel='stylesheet' href='{cdn}/fonts.css'></head><body>\
         <img src='/hall.jpg' alt='The hall'><img src='{cdn}/logo.png' alt='Logo'></body></html>"
    );
    let site = Site::start(vec![
        ("/", html(&page)),
        (
            "/hall.jpg",
            switch(
                &broken,
                jpeg(resized_jpeg("coffee.png", 400, 85)),
                fixed(500, "text/plain", "oops"),
            ),
        ),
    ])
    .await;
    let dir = tempdir();
    let db = db_in(&dir);
    let cfg = config(&config_text(
        &db,
        &site.url("/"),
        "max_retries = 0\nallow_private_addresses = true",
    ));
    let first = audit(&cfg).await;
    let errors = recorded_errors(&db, first.summary.run_id);
    for what in ["/fonts.css", "/css2", "/logo.png"] {
        assert!(
            errors.iter().any(|(u, _)| u.contains(what)),
            "{what} listed: {errors:?}"
        );
    }
    assert_eq!(first.summary.status, RunStatus::Complete, "{errors:?}");
    assert_eq!(changes(&first.report), expect(&[("/hall.jpg", "new")]));
    assert_eq!(first.report["run"]["status"], "complete");
    assert!(first.report["run"]["fetch_errors"].as_u64().unwrap() >= 3);

    // The school's own picture fails: that is partial, and the picture is
    // not resolved.
    broken.store(true, Ordering::SeqCst);
    let second = audit(&cfg).await;
    assert_eq!(second.summary.status, RunStatus::Partial);
    assert_eq!(second.report["summary"]["by_change"]["resolved"], 0);
    assert_eq!(
        changes(&second.report),
        expect(&[("/hall.jpg", "unchanged")])
    );
    let hall = exposure_with(&second.report, "/hall.jpg");
    assert_eq!(hall["change"], "unchanged", "{hall}");
    assert!(
        hall["reasons"].to_string().contains("not_seen_this_run"),
        "{hall}"
    );

    // Repaired: seen again, unchanged, and the CDN's failures still do not
    // make the run partial.
    broken.store(false, Ordering::SeqCst);
    let third = audit(&cfg).await;
    assert_eq!(third.summary.status, RunStatus::Complete);
    assert_eq!(
        changes(&third.report),
        expect(&[("/hall.jpg", "unchanged")])
    );
    let hall = exposure_with(&third.report, "/hall.jpg");
    assert_eq!(hall["change"], "unchanged", "{hall}");
    assert_eq!(hall["seen_this_run"], true, "{hall}");
    assert!(
        !hall["reasons"].to_string().contains("not_seen_this_run"),
        "{hall}"
    );
    assert_eq!(third.report["summary"]["by_change"]["resolved"], 0);
}

/// Issue 18, case 3: a page answered 304 whose stored extract no longer
/// reads (an upgrade changed the stored form) is fetched again,
/// unconditionally, in the same run; its picture stays seen, unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_304_without_a_usable_stored_copy_is_fetched_again_at_once() {
    let page = with_etag("<html><body><img src='/hall.jpg' alt='The hall'></body></html>");
    let site = Site::start(vec![
        ("/", page),
        ("/hall.jpg", jpeg(resized_jpeg("coffee.png", 400, 85))),
    ])
    .await;
    let dir = tempdir();
    let db = db_in(&dir);
    let cfg = config(&config_text(&db, &site.url("/"), ""));
    let first = audit(&cfg).await;
    assert_eq!(first.summary.status, RunStatus::Complete);
    assert_eq!(changes(&first.report), expect(&[("/hall.jpg", "new")]));
    // The stored extract of the home page, in a form this build cannot read.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let n = conn
        .execute(
            "UPDATE pages SET extract = '{\"OldForm\":1}' WHERE url = ?1",
            [site.url("/")],
        )
        .unwrap();
    assert_eq!(n, 1);
    drop(conn);
    let asked_before = site.request_count("/");
    let second = audit(&cfg).await;
    assert_eq!(
        second.summary.status,
        RunStatus::Complete,
        "{:?}",
        recorded_errors(&db, 2)
    );
    let asks: Vec<bool> = site
        .headers_of("/")
        .iter()
        .skip(asked_before)
        .map(|h| h.contains_key("if-none-match"))
        .collect();
    assert_eq!(
        asks,
        [true, false],
        "asked conditionally, then again unconditionally"
    );
    assert_eq!(
        changes(&second.report),
        expect(&[("/hall.jpg", "unchanged")])
    );
    let hall = exposure_with(&second.report, "/hall.jpg");
    assert_eq!(hall["change"], "unchanged", "{hall}");
    assert_eq!(hall["seen_this_run"], true, "{hall}");

    // The refetch stored a usable copy: the third audit's 304 is enough.
    let asked_before = site.request_count("/");
    let third = audit(&cfg).await;
    assert_eq!(third.summary.status, RunStatus::Complete);
    let asks: Vec<bool> = site
        .headers_of("/")
        .iter()
        .skip(asked_before)
        .map(|h| h.contains_key("if-none-match"))
        .collect();
    assert_eq!(asks, [true], "one conditional request");
    assert_eq!(
        changes(&third.report),
        expect(&[("/hall.jpg", "unchanged")])
    );
    let hall = exposure_with(&third.report, "/hall.jpg");
    assert_eq!(hall["change"], "unchanged", "{hall}");
    assert_eq!(hall["seen_this_run"], true, "{hall}");
    assert_eq!(third.report["summary"]["by_change"]["resolved"], 0);
}

/// Issue 18, case 4: a page that fails (500) is no evidence that the copy
/// it showed is gone: a picture also seen on a page that loaded stays
/// `unchanged` (it became `changed`, copy gone), over three audits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_page_does_not_make_its_copies_gone() {
    let broken = Arc::new(AtomicBool::new(false));
    let home =
        "<html><body><a href='/news/'>news</a><img src='/hall.jpg' alt='The hall'></body></html>";
    let news = "<html><head><meta property='og:image' content='/hall.jpg'></head><body><p>News</p></body></html>";
    let site = Site::start(vec![
        ("/", html(home)),
        (
            "/news/",
            switch(&broken, html(news), fixed(500, "text/plain", "oops")),
        ),
        ("/hall.jpg", jpeg(resized_jpeg("coffee.png", 400, 85))),
    ])
    .await;
    let dir = tempdir();
    let db = db_in(&dir);
    let cfg = config(&config_text(&db, &site.url("/"), "max_retries = 0"));
    let first = audit(&cfg).await;
    assert_eq!(changes(&first.report), expect(&[("/hall.jpg", "new")]));
    let hall = exposure_with(&first.report, "/hall.jpg");
    assert_eq!(hall["occurrences"].as_array().unwrap().len(), 2, "{hall}");

    broken.store(true, Ordering::SeqCst);
    let second = audit(&cfg).await;
    assert_eq!(second.summary.status, RunStatus::Partial);
    assert_eq!(
        changes(&second.report),
        expect(&[("/hall.jpg", "unchanged")])
    );
    let hall = exposure_with(&second.report, "/hall.jpg");
    assert_eq!(hall["change"], "unchanged", "{hall}");
    assert_eq!(hall["change_reasons"], serde_json::json!([]));
    // The failed page keeps what it showed last time, marked unseen.
    let occ = hall["occurrences"].as_array().unwrap();
    assert_eq!(occ.len(), 2, "{hall}");
    let news_copy = occ
        .iter()
        .find(|o| o["page_url"] == site.url("/news/"))
        .expect("the failed page's copy");
    assert_eq!(news_copy["found_via"], "og_image");
    assert_eq!(news_copy["seen_this_run"], false, "{news_copy}");
    let home_copy = occ.iter().find(|o| o["page_url"] == site.url("/")).unwrap();
    assert!(home_copy.get("seen_this_run").is_none(), "{home_copy}");

    broken.store(false, Ordering::SeqCst);
    let third = audit(&cfg).await;
    assert_eq!(
        changes(&third.report),
        expect(&[("/hall.jpg", "unchanged")])
    );
    let hall = exposure_with(&third.report, "/hall.jpg");
    assert_eq!(hall["change"], "unchanged", "{hall}");
    assert_eq!(hall["occurrences"].as_array().unwrap().len(), 2, "{hall}");
    assert!(
        hall["occurrences"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o.get("seen_this_run").is_none()),
        "{hall}"
    );
}

/// Issue 18, case 5: a page linked as `/about/values` (which redirects to
/// `/about/values/`) and as `/about/values/` is one page, known by its
/// address after the redirect: one occurrence of its picture, the pages
/// counted once, over three audits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_is_known_by_its_address_after_redirects() {
    let home =
        "<html><body><a href='/about/values'>Values</a> <a href='/about/values/'>Our values</a>\
                <a href='/news'>News</a></body></html>";
    let values = "<html><body><img src='/uploads/values.jpg' alt='Our values'></body></html>";
    let redirect = |to: &'static str| -> Handler {
        Arc::new(move |_| {
            axum::response::Response::builder()
                .status(301)
                .header("location", to)
                .body(axum::body::Body::empty())
                .unwrap()
        })
    };
    let site = Site::start(vec![
        ("/", html(home)),
        ("/about/values", redirect("/about/values/")),
        ("/about/values/", html(values)),
        // Linked only without its slash: the page is still known by where it landed.
        ("/news", redirect("/news/")),
        (
            "/news/",
            with_etag("<html><body><img src='/uploads/news.jpg' alt='News'></body></html>"),
        ),
        (
            "/uploads/values.jpg",
            jpeg(resized_jpeg("coffee.png", 400, 85)),
        ),
        (
            "/uploads/news.jpg",
            jpeg(resized_jpeg("rocket.jpg", 400, 85)),
        ),
    ])
    .await;
    let dir = tempdir();
    let cfg = config(&config_text(&db_in(&dir), &site.url("/"), ""));
    for run in 1..=3 {
        let a = audit(&cfg).await;
        let values = exposure_with(&a.report, "/uploads/values.jpg");
        let pages: Vec<&str> = values["occurrences"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["page_url"].as_str().unwrap())
            .collect();
        assert_eq!(pages, [site.url("/about/values/")], "run {run}");
        let news = exposure_with(&a.report, "/uploads/news.jpg");
        assert_eq!(
            news["occurrences"][0]["page_url"],
            site.url("/news/"),
            "run {run}"
        );
        assert_eq!(
            a.report["run"]["pages_fetched"], 3,
            "home, values, news: run {run}"
        );
        let want = if run == 1 { "new" } else { "unchanged" };
        assert_eq!(
            changes(&a.report),
            expect(&[("/uploads/values.jpg", want), ("/uploads/news.jpg", want)]),
            "run {run}"
        );
        assert_eq!(values["change"], want, "run {run}: {values}");
        assert_eq!(news["change"], want, "run {run}: {news}");
        // The validators stored under the landing address go with the
        // request for the linked one: after the first run, a 304.
        let asked = site.headers_of("/news/");
        assert_eq!(asked.len(), run, "run {run}");
        assert_eq!(
            asked.last().unwrap().contains_key("if-none-match"),
            run > 1,
            "run {run}"
        );
    }
}

/// A page that sends an ETag and answers 304 when asked with it.
fn with_etag(body: &'static str) -> Handler {
    Arc::new(move |req| {
        let tag = "\"v1\"";
        if req
            .headers()
            .get("if-none-match")
            .and_then(|v| v.to_str().ok())
            == Some(tag)
        {
            return axum::response::Response::builder()
                .status(304)
                .header("etag", tag)
                .body(axum::body::Body::empty())
                .unwrap();
        }
        let mut r = respond(200, "text/html; charset=utf-8", body);
        r.headers_mut().insert("etag", tag.parse().unwrap());
        r
    })
}

/// Issue 20 (point 1) and issue 22 (point 5): what a response is, is
/// decided from its headers before its body is read. A linked newsletter
/// in a format not read (Word 97) and a video are not downloaded; the run
/// counts pages, documents, pictures and other files apart, and none of it
/// makes the run partial. (PDFs and Office files are read:
/// tests/it/documents.rs.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_and_other_files_are_counted_apart_and_not_downloaded() {
    let big = vec![b'x'; 3 << 20];
    let home = "<html><body><a href='/newsletter-12.doc'>Newsletter</a>\
                <a href='/files/sports-day'>Video</a><a href='/about/'>About</a>\
                <img src='/hall.jpg' alt='The hall'></body></html>";
    let site = Site::start(vec![
        ("/", html(home)),
        ("/about/", html("<html><body><p>About us</p></body></html>")),
        (
            "/newsletter-12.doc",
            fixed(200, "application/msword", big.clone()),
        ),
        ("/files/sports-day", fixed(200, "video/mp4", big)),
        ("/hall.jpg", jpeg(resized_jpeg("coffee.png", 400, 85))),
    ])
    .await;
    let dir = tempdir();
    let db = db_in(&dir);
    let cfg = config(&config_text(&db, &site.url("/"), ""));
    for run in 1..=2 {
        let a = audit(&cfg).await;
        assert_eq!(a.summary.status, RunStatus::Complete, "run {run}");
        assert!(site.request_count("/newsletter-12.doc") >= run, "asked for");
        let counts = &a.report["run"];
        assert_eq!(counts["pages_fetched"], 2, "home and about: {counts}");
        assert_eq!(counts["documents_fetched"], 1, "{counts}");
        assert!(
            counts["other_files_fetched"].as_u64().unwrap() >= 1,
            "the video: {counts}"
        );
        assert_eq!(counts["images_fetched"], 1, "{counts}");
        assert!(
            a.summary.counts.bytes_fetched < 512 * 1024,
            "run {run}: {} bytes read of two 3 MiB bodies",
            a.summary.counts.bytes_fetched
        );
        let want = if run == 1 { "new" } else { "unchanged" };
        assert_eq!(
            changes(&a.report),
            expect(&[("/hall.jpg", want)]),
            "run {run}"
        );
    }
}
