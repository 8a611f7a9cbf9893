//! The bundled demo site audited end to end: every found_via route, copies
//! grouped into one exposure, metadata read, site findings, and a second run
//! answered with 304s.

use std::collections::BTreeSet;

use exposure_audit::demo::{demo_site_dir, serve_site};
use exposure_audit::store::RunStatus;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_site_every_route_grouped_and_conditional_rerun() {
    let server = serve_site(demo_site_dir().expect("demo site bundled"), 0)
        .await
        .unwrap();
    let dir = tempdir();
    let db = db_in(&dir);
    let cfg = config(&config_text(&db, &server.url(), ""));

    let first = audit(&cfg).await;
    assert_eq!(
        first.summary.status,
        RunStatus::Complete,
        "{:?}",
        recorded_errors(&db, first.summary.run_id)
    );
    let r = &first.report;
    assert_contract_shape(r);

    // Every route a scraper uses shows up.
    let routes: BTreeSet<String> = occurrences(r).into_iter().map(|(via, _)| via).collect();
    // Every route but `api`, which only social platforms have.
    for via in FOUND_VIA.iter().filter(|v| **v != "api") {
        assert!(
            routes.contains(*via),
            "no sighting found via {via}: {routes:?}"
        );
    }

    // The sports-day photo: original, WordPress sizes, a square crop and a
    // recompressed PTA re-upload are one exposure.
    let sports = exposure_with(r, "/sports-day-relay.jpg");
    let urls: BTreeSet<&str> = sports["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["image_url"].as_str().unwrap())
        .collect();
    for suffix in [
        "sports-day-relay.jpg",
        "sports-day-relay-300x352.jpg",
        "sports-day-relay-150x150.jpg",
        "/pta/relay-team-photo.jpg",
    ] {
        assert!(
            urls.iter().any(|u| u.ends_with(suffix)),
            "{suffix} not grouped with the original: {urls:?}"
        );
    }
    // Pictures of different things stay apart.
    assert_ne!(
        exposure_with(r, "/images/school-cat.jpg")["id"],
        sports["id"]
    );
    assert_ne!(exposure_with(r, "choir-concert.jpg")["id"], sports["id"]);
    assert_eq!(
        exposure_with(r, "choir-concert.webp")["id"],
        exposure_with(r, "choir-concert-300x300.jpg")["id"]
    );

    // The untouched original keeps its GPS and photographer; that is high risk.
    let gps = &sports["image"]["metadata"]["gps"];
    assert!(
        (gps["lat"].as_f64().unwrap() - 51.5015).abs() < 0.001,
        "{gps}"
    );
    assert_eq!(sports["image"]["metadata"]["author"], "Mr D. Brown");
    assert_eq!(sports["risk"], "high");
    assert!(sports["details"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["kind"] == "gps_location" && d["where"] == "metadata"));
    assert_eq!(sports["image"]["width"], 1024);

    // Names and the year group in its captions belong to every copy, the
    // PTA re-upload included; the photographer's name in EXIF too.
    let details = sports["details"].as_array().unwrap();
    let has = |kind: &str, text: &str| {
        details
            .iter()
            .any(|d| d["kind"] == kind && d["text"] == text)
    };
    assert!(
        has("person_name", "Amelia Jones") && has("person_name", "Oliver Smith"),
        "{details:#?}"
    );
    assert!(has("year_group", "Year 4"));
    let reasons: Vec<&str> = sports["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        reasons.contains(&"full_name_nearby") && reasons.contains(&"gps_in_metadata"),
        "{reasons:?}"
    );
    // Faces: the portrait has one, large enough to recognise; the cat none.
    assert_eq!(sports["image"]["faces"], 1);
    assert!(reasons.contains(&"identifiable_face"), "{reasons:?}");
    assert_eq!(
        exposure_with(r, "/images/school-cat.jpg")["image"]["faces"],
        0
    );
    // A picture with nothing personal around it stays low.
    assert_eq!(exposure_with(r, "/images/hero.jpg")["risk"], "low");

    // The caption travels with the sighting.
    let captioned = sports["occurrences"].as_array().unwrap().iter().any(|o| {
        o["context"]["caption"]
            .as_str()
            .is_some_and(|c| c.contains("Amelia Jones"))
    });
    assert!(captioned);

    // Robots verdicts: GPTBot is kept out of uploads by robots.txt; img2dataset ignores it.
    let upload = sports["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| {
            o["image_url"]
                .as_str()
                .unwrap()
                .contains("/wp-content/uploads/")
        })
        .unwrap();
    assert_eq!(upload["robots"]["GPTBot"], "disallowed");
    assert_eq!(upload["robots"]["CCBot"], "allowed");
    assert_eq!(upload["robots"]["img2dataset"], "allowed");

    let kinds: BTreeSet<&str> = r["site_findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    for k in [
        "directory_listing",
        "media_api_exposed",
        "sitemap_lists_images",
    ] {
        assert!(kinds.contains(k), "missing site finding {k}: {kinds:?}");
    }

    // Each finding carries its fix: the directory listing's says how to turn listings off.
    let listing = r["site_findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "directory_listing")
        .unwrap();
    assert!(listing["fix"]
        .as_str()
        .unwrap()
        .contains("Options -Indexes"));
    assert_eq!(listing["change"], "new");

    // Nothing outside the site was fetched: the link to www.example.org is not followed.
    let store = exposure_audit::store::Store::open(&db).unwrap();
    let pages = store.pages_of_run(first.summary.run_id).unwrap();
    assert!(
        pages.iter().all(|(u, ..)| u.starts_with(&server.url())),
        "{pages:?}"
    );
    // The calendar trap is cut at max_query_variants (default 10).
    let calendar = pages
        .iter()
        .filter(|(u, ..)| u.contains("/calendar/?"))
        .count();
    assert!((1..=10).contains(&calendar), "{calendar} calendar pages");

    // The HTML report a DPO opens: self-contained, escaped, riskiest first.
    let html = exposure_audit::cli::render_report(&db, "latest", exposure_audit::cli::Format::Html)
        .unwrap();
    assert!(html.starts_with("<!doctype html>") && !html.contains("<script"));
    // Pictures only from their public address on the site, none embedded.
    let dom = scraper::Html::parse_document(&html);
    let imgs: Vec<String> = dom
        .select(&scraper::Selector::parse("img").unwrap())
        .map(|i| i.value().attr("src").unwrap_or_default().to_string())
        .collect();
    assert!(!imgs.is_empty());
    assert!(
        imgs.iter().all(|src| src.starts_with(&server.url())),
        "{imgs:?}"
    );
    let high = html.find("badge high").unwrap();
    let low = html.find("badge low").unwrap();
    assert!(high < low, "riskiest first");
    assert!(
        html.contains("all but GPTBot"),
        "GPTBot is the one kept out of uploads"
    );

    // Pre-publication check against what is public: a smaller copy of the
    // sports-day photo, posted with no caption, is still a named photo.
    let copy = dir.path().join("relay-small.jpg");
    let original = image::open(
        demo_site_dir()
            .unwrap()
            .join("wp-content/uploads/2026/06/sports-day-relay.jpg"),
    )
    .unwrap();
    original
        .resize(400, 400, image::imageops::FilterType::Triangle)
        .to_rgb8()
        .save(&copy)
        .unwrap();
    let v = exposure_audit::check_photo::check(&cfg, &copy, None).unwrap();
    assert!(!v.safe_to_post);
    assert_eq!(
        v.reasons[0],
        exposure_audit::model::Reason::AlreadyPublicWithName
    );
    assert!(
        v.already_public[0]
            .names
            .contains(&"Amelia Jones".to_string()),
        "{:?}",
        v.already_public
    );
    assert!(v.metadata.gps.is_none(), "the resized copy carries no EXIF");
    let cat = dir.path().join("cat.png");
    std::fs::write(&cat, fixture("chelsea.png")).unwrap();
    let v = exposure_audit::check_photo::check(&cfg, &cat, Some("Biscuit the school cat")).unwrap();
    assert!(v.safe_to_post, "{v:?}");

    // Incident lookup: a mirrored, cropped, recompressed copy of the sports-day
    // photo is traced back to every place it was published, with its details.
    let suspect = dir.path().join("suspect.jpg");
    let (w, h) = (original.width(), original.height());
    original
        .crop_imm(w / 40, h / 40, w - w / 20, h - h / 20)
        .fliph()
        .resize(500, 500, image::imageops::FilterType::Triangle)
        .to_rgb8()
        .save(&suspect)
        .unwrap();
    let lookup_store = exposure_audit::store::Store::open(&db).unwrap();
    let found =
        exposure_audit::lookup::lookup(&lookup_store, &suspect, 100_000_000, 25 << 20).unwrap();
    assert_eq!(
        found.matches.len(),
        1,
        "{:?}",
        found
            .matches
            .iter()
            .map(|m| &m.exposure_id)
            .collect::<Vec<_>>()
    );
    let m = &found.matches[0];
    assert_eq!(m.exposure_id, sports["id"].as_str().unwrap());
    assert!(m.mirrored);
    assert!(m
        .places
        .iter()
        .any(|p| p.image_url.ends_with("/pta/relay-team-photo.jpg")));
    assert!(m.details.iter().any(|d| d.text == "Amelia Jones"));
    assert!(
        m.copies.iter().any(|c| c.metadata.gps.is_some()),
        "the evidence holds the stored analysis"
    );
    // Every fixture photo is on the demo site: an unrelated picture is drawn here.
    let unrelated = dir.path().join("unrelated.png");
    image::RgbImage::from_fn(300, 200, |x, y| {
        image::Rgb([
            (x * 7 % 256) as u8,
            ((x * y) % 251) as u8,
            (y * 3 % 256) as u8,
        ])
    })
    .save(&unrelated)
    .unwrap();
    assert!(
        exposure_audit::lookup::lookup(&lookup_store, &unrelated, 100_000_000, 25 << 20)
            .unwrap()
            .matches
            .is_empty()
    );
    drop(lookup_store);

    // Second run of the unchanged site: conditional requests, nothing new.
    let second = audit(&cfg).await;
    assert_eq!(second.summary.status, RunStatus::Complete);
    assert_contract_shape(&second.report);
    assert_eq!(
        second.report["run"]["previous_run_id"],
        first.summary.run_id
    );
    assert!(
        second.summary.counts.bytes_fetched * 20 < first.summary.counts.bytes_fetched,
        "second run moved {} bytes, first {}",
        second.summary.counts.bytes_fetched,
        first.summary.counts.bytes_fetched
    );
    let ids = |r: &serde_json::Value| -> BTreeSet<String> {
        r["exposures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        ids(&first.report),
        ids(&second.report),
        "exposure ids are stable across runs"
    );
    assert_eq!(
        second.report["summary"]["by_change"]["unchanged"],
        first.report["summary"]["exposures"]
    );
    let statuses: BTreeSet<Option<u16>> = store
        .pages_of_run(second.summary.run_id)
        .unwrap()
        .into_iter()
        .filter(|(_, k, ..)| k == "html")
        .map(|(_, _, s, _)| s)
        .collect();
    assert_eq!(statuses, BTreeSet::from([Some(304)]));
}
