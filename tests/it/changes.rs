//! Two audits of a school website that changes between them, in a style the
//! demo does not use: every kind of change is told apart, a page that fails
//! never turns its pictures into resolved ones, any two runs compare, a
//! protected name is flagged, and retention purges old runs' details.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use exposure_audit::cli::{build_report, render, Format};
use exposure_audit::store::Store;
use serde_json::Value;

use crate::support::*;

/// Exposure change by the picture address it was (last) seen at.
fn changes(report: &Value) -> BTreeMap<String, (String, bool)> {
    report["exposures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let url = e["occurrences"][0]["image_url"].as_str().unwrap();
            let name = url.rsplit('/').next().unwrap().to_string();
            (
                name,
                (
                    e["change"].as_str().unwrap().to_string(),
                    e["seen_this_run"].as_bool().unwrap(),
                ),
            )
        })
        .collect()
}

fn c(change: &str, seen: bool) -> (String, bool) {
    (change.to_string(), seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_audits_of_a_changing_site_tell_every_change_apart() {
    let later = Arc::new(AtomicBool::new(false));
    let harvest_down = Arc::new(AtomicBool::new(false));
    let page = |title: &str, body: &str| {
        format!(
            "<!doctype html><html><head><title>{title} | Hollybrook Primary</title></head><body><header><a href=\"/\">Hollybrook</a></header><main>{body}</main></body></html>"
        )
    };
    let home_before = page(
        "Home",
        r#"<ul class="menu"><li><a href="/news/sports-day/">Sports day</a></li><li><a href="/news/harvest/">Harvest</a></li>
           <li><a href="/gallery/">Gallery</a></li><li><a href="/classes/hazel/">Hazel Class</a></li></ul>"#,
    );
    let home_after = page(
        "Home",
        r#"<ul class="menu"><li><a href="/news/sports-day/">Sports day</a></li><li><a href="/news/harvest/">Harvest</a></li>
           <li><a href="/gallery/">Gallery</a></li><li><a href="/classes/hazel/">Hazel Class</a></li></ul>
           <div class="hero" data-bg="/wp-content/uploads/2026/11/open-morning.jpg"><img data-src="/wp-content/uploads/2026/11/open-morning.jpg" alt="Open morning"></div>"#,
    );
    let sports_before = page(
        "Sports day",
        r#"<figure><img src="/wp-content/uploads/2026/06/sports-day.jpg" alt="Sports day"><figcaption>Sports day on the field</figcaption></figure>"#,
    );
    // The same photo, re-uploaded smaller and recompressed at a new address.
    let sports_after = page(
        "Sports day",
        r#"<figure><img src="/wp-content/uploads/2026/11/sports-day-800.jpg" alt="Sports day"><figcaption>Sports day on the field</figcaption></figure>"#,
    );
    let harvest = page(
        "Harvest",
        r#"<p>Our harvest festival.</p><img src="/wp-content/uploads/2026/10/harvest.jpg" alt="Harvest display">"#,
    );
    let gallery_before = page(
        "Gallery",
        r#"<div class="gallery"><a href="/wp-content/uploads/2026/07/choir.jpg"><img src="/wp-content/uploads/2026/07/choir.jpg" alt="Choir"></a></div>"#,
    );
    let gallery_after = page("Gallery", "<p>Pictures coming soon.</p>");
    let hazel_before = page(
        "Hazel Class",
        r#"<article><img src="/wp-content/uploads/2026/09/hazel-trip.jpg" alt="Hazel Class trip"><p>Our trip to the museum.</p></article>"#,
    );
    let hazel_after = page(
        "Hazel Class",
        r#"<article><img src="/wp-content/uploads/2026/09/hazel-trip.jpg" alt="Hazel Class trip"><p>Poppy Clarke (Year 3) won the quiz on our trip to the museum.</p></article>"#,
    );
    let gone = fixed(404, "text/html", "not found");
    let routes: Vec<(&str, Handler)> = vec![
        ("/", switch(&later, html(&home_before), html(&home_after))),
        (
            "/news/sports-day/",
            switch(&later, html(&sports_before), html(&sports_after)),
        ),
        (
            "/wp-content/uploads/2026/06/sports-day.jpg",
            switch(
                &later,
                jpeg(resized_jpeg("rocket.jpg", 1000, 90)),
                gone.clone(),
            ),
        ),
        (
            "/wp-content/uploads/2026/11/sports-day-800.jpg",
            jpeg(resized_jpeg("rocket.jpg", 800, 70)),
        ),
        // The harvest page fails on the second audit: its picture is unseen.
        (
            "/news/harvest/",
            switch(
                &harvest_down,
                html(&harvest),
                fixed(500, "text/html", "error"),
            ),
        ),
        (
            "/wp-content/uploads/2026/10/harvest.jpg",
            jpeg(resized_jpeg("coffee.png", 600, 85)),
        ),
        (
            "/gallery/",
            switch(&later, html(&gallery_before), html(&gallery_after)),
        ),
        (
            "/wp-content/uploads/2026/07/choir.jpg",
            switch(
                &later,
                jpeg(resized_jpeg("astronaut.png", 600, 85)),
                gone.clone(),
            ),
        ),
        (
            "/classes/hazel/",
            switch(&later, html(&hazel_before), html(&hazel_after)),
        ),
        (
            "/wp-content/uploads/2026/09/hazel-trip.jpg",
            jpeg(resized_jpeg("grace_hopper.jpg", 600, 85)),
        ),
        (
            "/wp-content/uploads/2026/11/open-morning.jpg",
            jpeg(resized_jpeg("camera.png", 600, 85)),
        ),
    ];
    let site = Site::start(routes).await;
    let dir = tempdir();
    let db = db_in(&dir);
    let cfg = config(&format!(
        "{}\n",
        config_text(&db, &site.url("/"), "max_retries = 0")
    ));

    let first = audit(&cfg).await;
    assert_eq!(
        changes(&first.report),
        [
            ("choir.jpg".into(), c("new", true)),
            ("harvest.jpg".into(), c("new", true)),
            ("hazel-trip.jpg".into(), c("new", true)),
            ("sports-day.jpg".into(), c("new", true)),
        ]
        .into()
    );

    // Before the second audit, the DPO protects a child's name.
    {
        let store = Store::open(&db).unwrap();
        assert!(exposure_audit::protect::protect(&store, "Poppy Clarke", "now").unwrap());
    }
    later.store(true, Ordering::SeqCst);
    harvest_down.store(true, Ordering::SeqCst);
    let second = audit(&cfg).await;
    assert_eq!(
        changes(&second.report),
        [
            // Removed from its page, its address gone: resolved.
            ("choir.jpg".into(), c("resolved", false)),
            // Its page failed: kept as last seen, never resolved.
            ("harvest.jpg".into(), c("unchanged", false)),
            // A name appeared next to it.
            ("hazel-trip.jpg".into(), c("changed", true)),
            ("open-morning.jpg".into(), c("new", true)),
            // Re-uploaded smaller at a new address on the same page.
            ("sports-day-800.jpg".into(), c("unchanged", true)),
        ]
        .into()
    );
    let r = &second.report;
    assert_eq!(r["summary"]["unseen"], 1);
    assert_eq!(r["summary"]["by_change"]["resolved"], 1);
    let harvest = exposure_with(r, "harvest.jpg");
    assert!(harvest["reasons"]
        .as_array()
        .unwrap()
        .contains(&"not_seen_this_run".into()));
    let hazel = exposure_with(r, "hazel-trip.jpg");
    let reasons: Vec<&str> = hazel["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(reasons.contains(&"protected_name"), "{reasons:?}");
    assert_eq!(hazel["risk"], "high");
    // What changed, said: the name that appeared and the risk it raised.
    let why: Vec<(String, String)> = hazel["change_reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["kind"].as_str().unwrap().into(),
                w["where"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        why.iter()
            .any(|(k, w)| k == "detail_added" && w.contains("Poppy")),
        "{why:?}"
    );
    assert!(why.iter().any(|(k, _)| k == "risk_up"), "{why:?}");
    assert_eq!(
        exposure_with(r, "sports-day-800.jpg")["change_reasons"],
        serde_json::json!([]),
        "a re-upload at a new address on the same page is no change"
    );
    assert_contract_shape(r);

    // Streamed a batch of one exposure at a time, the report is the one
    // built whole: resolved and unseen exposures are looked up per batch.
    {
        let store = Store::open(&db).unwrap();
        let row = store.run(second.summary.run_id).unwrap().unwrap();
        let whole = exposure_audit::report::build(&store, &row, "t").unwrap();
        let (head, stored) = exposure_audit::report::json::open(&store, &row, "t").unwrap();
        let mut out = Vec::new();
        exposure_audit::report::json::write(&head, &mut stored.batch_size(1), &mut out).unwrap();
        let streamed = String::from_utf8(out).unwrap();
        let expected = serde_json::to_string_pretty(&whole).unwrap() + "\n";
        assert_eq!(streamed, expected);
        assert_eq!(whole.exposures.len(), 5);

        // Read ahead on a thread and connection of its own: the same bytes.
        let (head, mut ahead) =
            exposure_audit::report::json::open_read_ahead(&db, &row, "t", 1).unwrap();
        let mut out = Vec::new();
        exposure_audit::report::json::write(&head, &mut ahead, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), expected);

        // Runs scored before each exposure's picture summary was stored
        // with it: the report works it out from the copies, the same.
        let conn = rusqlite::Connection::open(&db).unwrap();
        let summaries: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM run_exposures WHERE run_id = ?1 AND image IS NOT NULL",
                [row.id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(summaries, 5, "every exposure of the run has its summary");
        conn.execute(
            "UPDATE run_exposures SET image = NULL WHERE run_id = ?1",
            [row.id],
        )
        .unwrap();
        let rebuilt = exposure_audit::report::build(&store, &row, "t").unwrap();
        assert_eq!(
            serde_json::to_string_pretty(&rebuilt).unwrap() + "\n",
            expected
        );

        // A row the reader cannot read, in the last batch: the report fails
        // with the reader's error instead of ending early.
        let broken = dir.path().join("broken.db");
        conn.execute("VACUUM INTO ?1", [broken.to_str().unwrap()])
            .unwrap();
        rusqlite::Connection::open(&broken)
            .unwrap()
            .execute(
                "UPDATE run_exposures SET details = 'not json' WHERE run_id = ?1 AND exposure_id =
                   (SELECT exposure_id FROM run_exposures WHERE run_id = ?1
                    ORDER BY score, exposure_id DESC LIMIT 1)",
                [row.id],
            )
            .unwrap();
        let (head, mut ahead) =
            exposure_audit::report::json::open_read_ahead(&broken, &row, "t", 1).unwrap();
        let err = exposure_audit::report::json::write(&head, &mut ahead, &mut Vec::new())
            .unwrap_err()
            .to_string();
        assert!(err.contains("run_exposures.details"), "{err}");
    }

    // The HTML report says what this run could not look at.
    let html = render(
        build_report(&db, &second.summary.run_id.to_string(), None).unwrap(),
        Format::Html,
    );
    assert!(html.contains("not looked at this run"));

    // Any two runs compare: run 1 against run 2 reverses the changes.
    let (one, two) = (first.summary.run_id, second.summary.run_id);
    let same = build_report(&db, &two.to_string(), Some(one)).unwrap();
    let same: Value = serde_json::to_value(&same).unwrap();
    assert_eq!(changes(&same), changes(r));
    assert_eq!(same["summary"], r["summary"]);
    let back = build_report(&db, &one.to_string(), Some(two)).unwrap();
    let back: Value = serde_json::to_value(&back).unwrap();
    assert_eq!(back["run"]["previous_run_id"], two);
    // The summary, counted before the exposures are written, counts them.
    for change in ["new", "changed", "unchanged", "resolved"] {
        let written = back["exposures"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["change"] == change)
            .count();
        assert_eq!(back["summary"]["by_change"][change], written, "{change}");
    }
    assert_eq!(
        back["summary"]["exposures"],
        back["exposures"].as_array().unwrap().len()
    );
    let back = changes(&back);
    assert_eq!(back["choir.jpg"].0, "new");
    assert_eq!(back["open-morning.jpg"].0, "resolved");
    assert_eq!(back["hazel-trip.jpg"].0, "changed");

    // The harvest page is back: its picture is seen again, unchanged.
    harvest_down.store(false, Ordering::SeqCst);
    let third = audit(&cfg).await;
    let third_changes = changes(&third.report);
    assert_eq!(third_changes["harvest.jpg"], c("unchanged", true));
    assert_eq!(third.report["summary"]["unseen"], 0);

    // Retention: keep one run. The older runs' details go; their counts
    // stay for the trend, and lookup still knows their pictures.
    let mut store = Store::open(&db).unwrap();
    let purged = store.purge(1, "2026-12-01T00:00:00Z").unwrap();
    assert_eq!(purged.runs, 2);
    assert!(purged.sightings >= 8, "{purged:?}");
    let err = build_report(&db, &one.to_string(), None).unwrap_err();
    assert!(err.1.contains("purged"), "{}", err.1);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let personal: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM run_exposures
             WHERE run_id IN (?1, ?2) AND (image IS NOT NULL OR details != '[]')",
            [one, two],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        personal, 0,
        "purged runs keep no details or picture metadata"
    );
    let after = build_report(&db, &third.summary.run_id.to_string(), None).unwrap();
    assert_eq!(
        after.head.trend.len(),
        3,
        "the trend keeps the purged runs' counts"
    );
    assert_eq!(
        changes(&serde_json::to_value(&after).unwrap()),
        third_changes
    );
    let choir = std::env::temp_dir().join(format!("choir-{}.jpg", std::process::id()));
    std::fs::write(&choir, resized_jpeg("astronaut.png", 500, 80)).unwrap();
    let found = exposure_audit::lookup::lookup(&store, &choir, 100_000_000, 25 << 20).unwrap();
    let _ = std::fs::remove_file(&choir);
    let found = serde_json::to_value(&found).unwrap();
    assert!(
        !found["matches"].as_array().unwrap().is_empty(),
        "lookup still finds a picture only a purged run saw: {found}"
    );
    // Nothing left to purge the second time.
    assert_eq!(store.purge(1, "2026-12-02T00:00:00Z").unwrap().runs, 0);
}
