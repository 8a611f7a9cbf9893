//! Issue 18, cases 1 and 2: pictures of pages that are gone. Pages the last
//! run saw pictures on are asked for again when no link leads there any
//! more, so "gone" is known, not guessed; each case over three audits.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::Value;

use crate::support::*;

/// A route that answers as `stages[n]` in the `n`th audit (0-based).
fn by_stage(stage: &Arc<AtomicUsize>, stages: Vec<Handler>) -> Handler {
    let stage = stage.clone();
    Arc::new(move |req| {
        let n = stage.load(Ordering::SeqCst).min(stages.len() - 1);
        stages[n](req)
    })
}

fn gone() -> Handler {
    fixed(404, "text/html", "<html><body>Not found</body></html>")
}

/// The change of the exposure with a copy at `suffix`, or None when the
/// report does not list it.
fn change(r: &Value, suffix: &str) -> Option<(String, Value)> {
    r["exposures"].as_array().unwrap().iter().find_map(|e| {
        e["occurrences"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["image_url"].as_str().unwrap().ends_with(suffix))
            .then(|| {
                (
                    e["change"].as_str().unwrap().to_string(),
                    e["change_reasons"].clone(),
                )
            })
    })
}

/// Case 1: the school deletes a news post and its upload; no page links
/// the post any more. The next audit asks for the post (404) and the
/// picture (404): resolved. The audit after that does not bring it back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_posts_pictures_are_resolved() {
    let stage = Arc::new(AtomicUsize::new(0));
    let home_with =
        "<html><body><a href='/news/trip/'>Trip</a><img src='/hall.jpg' alt='Hall'></body></html>";
    let home_without = "<html><body><img src='/hall.jpg' alt='Hall'></body></html>";
    let post = "<html><body><img src='/uploads/trip.jpg' alt='Year 5 trip'></body></html>";
    let site = Site::start(vec![
        (
            "/",
            by_stage(&stage, vec![html(home_with), html(home_without)]),
        ),
        ("/news/trip/", by_stage(&stage, vec![html(post), gone()])),
        (
            "/uploads/trip.jpg",
            by_stage(
                &stage,
                vec![jpeg(resized_jpeg("rocket.jpg", 400, 85)), gone()],
            ),
        ),
        ("/hall.jpg", jpeg(resized_jpeg("coffee.png", 400, 85))),
    ])
    .await;
    let dir = tempdir();
    let cfg = config(&config_text(&db_in(&dir), &site.url("/"), ""));
    let first = audit(&cfg).await;
    assert_eq!(change(&first.report, "/uploads/trip.jpg").unwrap().0, "new");

    stage.store(1, Ordering::SeqCst);
    let second = audit(&cfg).await;
    assert!(
        site.request_count("/news/trip/") >= 2,
        "the post was asked for again"
    );
    assert_eq!(
        change(&second.report, "/uploads/trip.jpg").map(|c| c.0),
        Some("resolved".into()),
        "{}",
        second.report["exposures"]
    );
    assert_eq!(change(&second.report, "/hall.jpg").unwrap().0, "unchanged");

    let third = audit(&cfg).await;
    assert_eq!(
        change(&third.report, "/uploads/trip.jpg"),
        None,
        "gone, not carried"
    );
    assert_eq!(third.report["summary"]["unseen"], 0);
}

/// Case 2: the page is deleted but its photo stays in /uploads/: the next
/// audit says `changed`, no page links it but it is still served; once the
/// file is deleted too, the audit after says resolved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_pages_photo_still_served_is_changed_then_resolved() {
    let stage = Arc::new(AtomicUsize::new(0));
    let home_with = "<html><body><a href='/about/staff/'>Staff</a><img src='/hall.jpg' alt='Hall'></body></html>";
    let home_without = "<html><body><img src='/hall.jpg' alt='Hall'></body></html>";
    let staff = "<html><body><img src='/uploads/team.jpg' alt='Our team'></body></html>";
    let photo = jpeg(resized_jpeg("rocket.jpg", 400, 85));
    let site = Site::start(vec![
        (
            "/",
            by_stage(&stage, vec![html(home_with), html(home_without)]),
        ),
        ("/about/staff/", by_stage(&stage, vec![html(staff), gone()])),
        (
            "/uploads/team.jpg",
            by_stage(&stage, vec![photo.clone(), photo, gone()]),
        ),
        ("/hall.jpg", jpeg(resized_jpeg("coffee.png", 400, 85))),
    ])
    .await;
    let dir = tempdir();
    let cfg = config(&config_text(&db_in(&dir), &site.url("/"), ""));
    let first = audit(&cfg).await;
    assert_eq!(change(&first.report, "/uploads/team.jpg").unwrap().0, "new");

    stage.store(1, Ordering::SeqCst);
    let second = audit(&cfg).await;
    let (c, why) = change(&second.report, "/uploads/team.jpg").unwrap();
    assert_eq!(c, "changed", "{why}");
    assert_eq!(why[0]["kind"], "now_unlinked", "{why}");
    assert!(why[0]["where"]
        .as_str()
        .unwrap()
        .ends_with("/uploads/team.jpg"));

    stage.store(2, Ordering::SeqCst);
    let asked = site.request_count("/uploads/team.jpg");
    let third = audit(&cfg).await;
    assert!(
        site.request_count("/uploads/team.jpg") > asked,
        "the photo was asked for again"
    );
    assert_eq!(
        change(&third.report, "/uploads/team.jpg").map(|c| c.0),
        Some("resolved".into()),
        "{}",
        third.report["exposures"]
    );
}
