//! Issue 18, cases 1, 2 and 8: pictures of pages that are gone, and copies
//! found only in a directory listing. Pages the last
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
    assert_eq!(
        changes(&first.report),
        expect(&[("/uploads/trip.jpg", "new"), ("/hall.jpg", "new")])
    );

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
    assert_eq!(
        changes(&second.report),
        expect(&[
            ("/uploads/trip.jpg", "resolved"),
            ("/hall.jpg", "unchanged")
        ])
    );

    let third = audit(&cfg).await;
    assert_eq!(
        changes(&third.report),
        expect(&[("/hall.jpg", "unchanged")]),
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
    assert_eq!(
        changes(&first.report),
        expect(&[("/uploads/team.jpg", "new"), ("/hall.jpg", "new")])
    );

    stage.store(1, Ordering::SeqCst);
    let second = audit(&cfg).await;
    let (c, why) = change(&second.report, "/uploads/team.jpg").unwrap();
    assert_eq!(c, "changed", "{why}");
    assert_eq!(
        changes(&second.report),
        expect(&[("/uploads/team.jpg", "changed"), ("/hall.jpg", "unchanged")])
    );
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
        changes(&third.report),
        expect(&[
            ("/uploads/team.jpg", "resolved"),
            ("/hall.jpg", "unchanged")
        ]),
        "{}",
        third.report["exposures"]
    );
}

/// Case 8: a copy found only in an open listing has no caption, and only
/// its own row as text (not the file name as a caption and the first 300
/// characters of the listing), over three audits: new, unchanged, and
/// resolved once the file is deleted from the folder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_copy_has_its_own_row_and_no_caption() {
    let stage = Arc::new(AtomicUsize::new(0));
    let row = |name: &str, when: &str| {
        format!("<tr><td><a href='{name}'>{name}</a></td><td>{when}</td><td>120K</td></tr>")
    };
    let listing = |rows: &[String]| {
        format!(
            "<html><head><title>Index of /uploads</title></head><body><h1>Index of /uploads</h1>\
             <table><tr><th>Name</th><th>Last modified</th><th>Size</th></tr>{}</table>\
             <address>Apache/2.4.57 (Debian) Server at school.example Port 80</address></body></html>",
            rows.concat()
        )
    };
    let both = listing(&[
        row("hall.jpg", "2026-04-30 09:00"),
        row("olivia-brown.jpg", "2026-05-01 10:00"),
    ]);
    let hall_only = listing(&[row("hall.jpg", "2026-04-30 09:00")]);
    let site = Site::start(vec![
        (
            "/",
            html("<html><body><img src='/uploads/hall.jpg' alt='The hall'></body></html>"),
        ),
        (
            "/uploads/",
            by_stage(&stage, vec![html(&both), html(&both), html(&hall_only)]),
        ),
        (
            "/uploads/hall.jpg",
            jpeg(resized_jpeg("coffee.png", 400, 85)),
        ),
        (
            "/uploads/olivia-brown.jpg",
            by_stage(
                &stage,
                vec![
                    jpeg(resized_jpeg("rocket.jpg", 400, 85)),
                    jpeg(resized_jpeg("rocket.jpg", 400, 85)),
                    gone(),
                ],
            ),
        ),
    ])
    .await;
    let dir = tempdir();
    let cfg = config(&config_text(&db_in(&dir), &site.url("/"), ""));
    for run in 0..3 {
        stage.store(run, Ordering::SeqCst);
        let a = audit(&cfg).await;
        let (c, why) = change(&a.report, "/uploads/olivia-brown.jpg")
            .unwrap_or_else(|| panic!("run {run}: {}", a.report["exposures"]));
        let want = ["new", "unchanged", "resolved"][run];
        assert_eq!(c, want, "run {run}: {why}");
        let hall = if run == 0 { "new" } else { "unchanged" };
        assert_eq!(
            changes(&a.report),
            expect(&[
                ("/uploads/olivia-brown.jpg", want),
                ("/uploads/hall.jpg", hall)
            ]),
            "run {run}"
        );
        let olivia = exposure_with(&a.report, "/uploads/olivia-brown.jpg");
        let occ = &olivia["occurrences"][0];
        assert_eq!(occ["found_via"], "directory_listing", "run {run}: {occ}");
        assert!(occ["context"]["caption"].is_null(), "run {run}: {occ}");
        assert_eq!(
            occ["context"]["nearby_text"], "olivia-brown.jpg 2026-05-01 10:00 120K",
            "run {run}: {occ}"
        );
        // The picture linked from the home page is unchanged throughout.
        let hall = change(&a.report, "/uploads/hall.jpg").unwrap().0;
        assert_eq!(
            hall,
            if run == 0 { "new" } else { "unchanged" },
            "run {run}"
        );
        if run < 2 {
            // Only the open folder shows it: the school may not know it is
            // public, and the score says so; the linked picture is not.
            let reasons = |e: &serde_json::Value| -> Vec<String> {
                e["reasons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r.as_str().unwrap().to_string())
                    .collect()
            };
            assert!(
                reasons(olivia).contains(&"unlinked_only".to_string()),
                "run {run}: {olivia}"
            );
            let hall = exposure_with(&a.report, "/uploads/hall.jpg");
            assert!(
                !reasons(hall).contains(&"unlinked_only".to_string()),
                "run {run}: {hall}"
            );
            assert!(
                olivia["details"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|d| d["kind"] == "person_name" && d["where"] == "filename"),
                "run {run}: {olivia}"
            );
        }
    }
}
