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
    assert_eq!(first.report["run"]["status"], "complete");
    assert!(first.report["run"]["fetch_errors"].as_u64().unwrap() >= 3);

    // The school's own picture fails: that is partial, and the picture is
    // not resolved.
    broken.store(true, Ordering::SeqCst);
    let second = audit(&cfg).await;
    assert_eq!(second.summary.status, RunStatus::Partial);
    assert_eq!(second.report["summary"]["by_change"]["resolved"], 0);
    let hall = exposure_with(&second.report, "/hall.jpg");
    assert_eq!(hall["change"], "unchanged", "{hall}");
    assert!(
        hall["reasons"].to_string().contains("not_seen_this_run"),
        "{hall}"
    );
}
