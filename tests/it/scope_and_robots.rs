//! Scope (allowed hosts, private-address refusal, traps) and robots verdicts.

use std::sync::Arc;

use exposure_audit::store::RunStatus;

use crate::support::*;

fn redirect_to(to: String) -> Handler {
    std::sync::Arc::new(move |_| {
        let mut r = respond(302, "text/plain", "");
        r.headers_mut().insert("location", to.parse().unwrap());
        r
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_hosts_pages_are_not_crawled_and_private_addresses_are_refused() {
    let other = Site::start(vec![
        (
            "/page.html",
            html("<html><body><img src='/deep.jpg'></body></html>"),
        ),
        ("/pic.jpg", jpeg(resized_jpeg("rocket.jpg", 200, 80))),
    ])
    .await;
    let port = other.addr.port();
    let page = format!(
        "<html><body>
        <a href='http://localhost:{port}/page.html'>partner</a>
        <img src='http://localhost:{port}/pic.jpg'>
        <img src='http://169.254.169.254/latest/meta-data/a.jpg'>
        <img src='http://[::1]:{port}/v6.jpg'>
        <img src='http://[::ffff:169.254.169.254]/mapped.jpg'>
        <img src='http://0x7f.0.0.2:{port}/hex.jpg'>
        <img src='http://0.0.0.0:{port}/zero.jpg'>
        <img src='http://2130706435:{port}/decimal.jpg'>
        <img src='/go-metadata.jpg'><img src='/go-local.jpg'>
        <img src='/own.jpg'>
        </body></html>"
    );
    let site = Site::start(vec![
        ("/", html(&page)),
        ("/own.jpg", jpeg(resized_jpeg("coffee.png", 300, 80))),
        // Redirects from the school's own host to private addresses.
        (
            "/go-metadata.jpg",
            redirect_to("http://169.254.169.254/latest/meta-data/b.jpg".into()),
        ),
        (
            "/go-local.jpg",
            redirect_to(format!("http://localhost:{port}/pic.jpg")),
        ),
    ])
    .await;
    let dir = tempdir();
    let db = db_in(&dir);
    let cfg = config(&config_text(&db, &site.url("/"), ""));
    let a = audit(&cfg).await;

    assert!(
        other.requests().is_empty(),
        "nothing may reach a private host not named in the config: {:?}",
        other.requests()
    );
    let errors = recorded_errors(&db, a.summary.run_id);
    for needle in [
        "localhost",
        "169.254.169.254",
        "[::1]",
        "[::ffff:a9fe:a9fe]",
        "127.0.0.2",
        "0.0.0.0",
        "127.0.0.3",
        "/go-metadata.jpg",
        "/go-local.jpg",
    ] {
        let e = errors
            .iter()
            .find(|(u, _)| u.contains(needle))
            .unwrap_or_else(|| panic!("no record for {needle}: {errors:?}"));
        assert!(e.1.contains("refused"), "{needle}: {}", e.1);
    }
    assert!(occurrences(&a.report)
        .iter()
        .any(|(_, u)| u.ends_with("/own.jpg")));
    assert_eq!(
        a.summary.status,
        RunStatus::Partial,
        "refused pictures are pictures the audit could not see"
    );

    // Allowed by config: pictures on the other host are fetched, its pages still are not.
    let dir2 = tempdir();
    let cfg = config(&config_text(
        &db_in(&dir2),
        &site.url("/"),
        "allow_private_addresses = true",
    ));
    let b = audit(&cfg).await;
    // Directly, and through the redirect from the school's host.
    assert_eq!(other.request_count("/pic.jpg"), 2, "{:?}", other.requests());
    assert_eq!(
        other.request_count("/page.html"),
        0,
        "pages on other hosts are never crawled"
    );
    assert!(occurrences(&b.report)
        .iter()
        .any(|(_, u)| u.ends_with(&format!("localhost:{port}/pic.jpg"))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_verdicts_follow_each_crawlers_real_behaviour() {
    let noai: Handler = Arc::new(|_| {
        let mut r = respond(200, "image/jpeg", resized_jpeg("chelsea.png", 200, 80));
        r.headers_mut()
            .insert("x-robots-tag", "noai, noimageai".parse().unwrap());
        r
    });
    let site = Site::start(vec![
        (
            "/",
            html("<html><head><meta name='robots' content='noimageindex'></head><body><img src='/up/a.jpg'><img src='/open/b.jpg'><img src='/open/tagged.jpg'></body></html>"),
        ),
        ("/robots.txt", fixed(200, "text/plain", "User-agent: GPTBot\nDisallow: /up/\n\nUser-agent: img2dataset\nDisallow: /\n\nUser-agent: CCBot\nDisallow: /\n")),
        ("/up/a.jpg", jpeg(resized_jpeg("rocket.jpg", 220, 80))),
        ("/open/b.jpg", jpeg(resized_jpeg("coffee.png", 220, 80))),
        ("/open/tagged.jpg", noai),
    ])
    .await;
    let dir = tempdir();
    let a = audit(&config(&config_text(&db_in(&dir), &site.url("/"), ""))).await;
    let verdict = |suffix: &str, agent: &str| -> String {
        let e = exposure_with(&a.report, suffix);
        let o = e["occurrences"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["image_url"].as_str().unwrap().ends_with(suffix))
            .unwrap();
        o["robots"][agent].as_str().unwrap().to_string()
    };
    assert_eq!(verdict("/up/a.jpg", "GPTBot"), "disallowed");
    assert_eq!(verdict("/open/b.jpg", "GPTBot"), "allowed");
    assert_eq!(verdict("/open/b.jpg", "CCBot"), "disallowed");
    // img2dataset never reads robots.txt: only the picture's own header stops it.
    assert_eq!(verdict("/open/b.jpg", "img2dataset"), "allowed");
    assert_eq!(verdict("/open/tagged.jpg", "img2dataset"), "disallowed");
    // The page's noimageindex stops a generic well-behaved crawler.
    assert_eq!(verdict("/open/b.jpg", "*"), "disallowed");
    // Bytespider is reported to ignore robots.txt.
    assert_eq!(verdict("/up/a.jpg", "Bytespider"), "allowed");

    // One finding for the host, tallied as the verdicts were made: every
    // address it serves, and each AI crawler some verdict lets in.
    let findings: Vec<&serde_json::Value> = a.report["site_findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "robots_allows_ai_crawlers")
        .collect();
    assert_eq!(findings.len(), 1, "{:?}", a.report["site_findings"]);
    assert_eq!(findings[0]["url"], site.url("/robots.txt"));
    let detail = findings[0]["detail"].as_str().unwrap();
    assert!(detail.contains("(3 addresses)"), "{detail}");
    assert!(
        detail.contains("GPTBot") && detail.contains("Bytespider"),
        "{detail}"
    );
    assert!(!detail.contains("CCBot"), "disallowed everywhere: {detail}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pictures_beyond_max_images_keep_their_sightings_and_verdicts() {
    let site = Site::start(vec![
        (
            "/",
            html(
                "<html><body><img src='/a.jpg'><img src='/b.jpg'><img src='/c.jpg'></body></html>",
            ),
        ),
        (
            "/robots.txt",
            fixed(
                200,
                "text/plain",
                "User-agent: GPTBot
Disallow: /
",
            ),
        ),
        ("/a.jpg", jpeg(resized_jpeg("rocket.jpg", 220, 80))),
        ("/b.jpg", jpeg(resized_jpeg("coffee.png", 220, 80))),
        ("/c.jpg", jpeg(resized_jpeg("chelsea.png", 220, 80))),
    ])
    .await;
    let dir = tempdir();
    let db = db_in(&dir);
    let a = audit(&config(&config_text(&db, &site.url("/"), "max_images = 1"))).await;
    assert_eq!(
        a.summary.skipped.get("max_images"),
        Some(&2),
        "{:?}",
        a.summary.skipped
    );
    let fetched = site
        .requests()
        .iter()
        .filter(|r| r.ends_with(".jpg"))
        .count();
    assert_eq!(fetched, 1);
    // All three sightings are stored, each with the host's verdicts (the
    // two pictures not fetched have no headers of their own to add).
    let conn = rusqlite::Connection::open(&db).unwrap();
    let rows: Vec<(String, String)> = conn
        .prepare(
            "SELECT s.image_url, v.verdicts FROM sightings s JOIN verdict_maps v ON v.id = s.verdicts_id
             WHERE s.run_id = ?1 ORDER BY s.image_url",
        )
        .unwrap()
        .query_map([a.summary.run_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 3, "{rows:?}");
    for (url, verdicts) in &rows {
        let v: serde_json::Value = serde_json::from_str(verdicts).unwrap();
        assert_eq!(v["GPTBot"], "disallowed", "{url}: {verdicts}");
        assert_eq!(v["Bytespider"], "allowed", "{url}: {verdicts}");
    }
    assert_eq!(a.report["exposures"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn obey_mode_skips_what_robots_txt_disallows_for_us() {
    let site = Site::start(vec![
        (
            "/",
            html("<a href='/private/p.html'>p</a><a href='/public/p.html'>q</a>"),
        ),
        (
            "/robots.txt",
            fixed(
                200,
                "text/plain",
                "User-agent: exposure-audit\nDisallow: /private/\n",
            ),
        ),
        ("/private/p.html", html("<img src='/x.jpg'>")),
        ("/public/p.html", html("<img src='/y.jpg'>")),
        ("/y.jpg", jpeg(resized_jpeg("rocket.jpg", 200, 80))),
    ])
    .await;
    let dir = tempdir();
    let a = audit(&config(&config_text(
        &db_in(&dir),
        &site.url("/"),
        "robots = \"obey\"",
    )))
    .await;
    assert_eq!(site.request_count("/private/p.html"), 0);
    assert_eq!(site.request_count("/public/p.html"), 1);
    assert_eq!(a.summary.status, RunStatus::Complete);
    // An honest user agent on every request.
    let ua = site.headers_of("/public/p.html")[0]["user-agent"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(ua.starts_with("exposure-audit/"), "{ua}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_traps_are_bounded() {
    // Every calendar page links to the next month, and every path links deeper.
    let calendar: Handler = Arc::new(|req| {
        let q = req.uri().query().unwrap_or("m=0");
        let n: u32 = q.trim_start_matches("m=").parse().unwrap_or(0);
        respond(
            200,
            "text/html",
            format!(
                "<a href='/cal?m={}'>next</a><a href='/deep/{}/'>deeper</a>",
                n + 1,
                n
            ),
        )
    });
    let deep: Handler = Arc::new(|req| {
        let path = req.uri().path().to_string();
        respond(200, "text/html", format!("<a href='{path}x/'>deeper</a>"))
    });
    let site = Site::start(vec![
        ("/", html("<a href='/cal?m=1'>calendar</a>")),
        ("/cal", calendar),
        ("*", deep),
    ])
    .await;
    let dir = tempdir();
    let a = audit(&config(&config_text(
        &db_in(&dir),
        &site.url("/"),
        "max_query_variants = 5\nmax_depth = 8\nmax_pages = 40",
    )))
    .await;
    let reqs = site.requests();
    let cal = reqs.iter().filter(|r| r.starts_with("/cal?")).count();
    assert!(cal <= 5, "calendar pages fetched: {cal}");
    assert!(reqs.len() <= 40 + 10, "{} requests", reqs.len());
    assert!(
        a.summary
            .skipped
            .get("max_query_variants")
            .copied()
            .unwrap_or(0)
            >= 1,
        "{:?}",
        a.summary.skipped
    );
}

fn fixed_route(status: u16, body: &'static str) -> Handler {
    fixed(status, "text/html", body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixed_site_finding_shows_as_resolved_next_run() {
    // The uploads folder lists its files on the first audit and not after the fix.
    let fixed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let listing = switch(
        &fixed,
        html("<html><head><title>Index of /up/</title></head><body><a href='a.jpg'>a.jpg</a></body></html>"),
        fixed_route(403, "Forbidden"),
    );
    let site = Site::start(vec![
        ("/", html("<img src='/up/a.jpg'>")),
        ("/up/", listing),
        ("/up/a.jpg", jpeg(resized_jpeg("rocket.jpg", 200, 80))),
    ])
    .await;
    let dir = tempdir();
    let cfg = config(&config_text(&db_in(&dir), &site.url("/"), ""));
    let first = audit(&cfg).await;
    let kinds = |r: &serde_json::Value| -> Vec<(String, String)> {
        r["site_findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["kind"].as_str().unwrap().to_string(),
                    f["change"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert!(
        kinds(&first.report).contains(&("directory_listing".into(), "new".into())),
        "{:?}",
        kinds(&first.report)
    );
    fixed.store(true, std::sync::atomic::Ordering::SeqCst);
    let second = audit(&cfg).await;
    assert!(
        kinds(&second.report).contains(&("directory_listing".into(), "resolved".into())),
        "{:?}",
        kinds(&second.report)
    );
    // The picture itself is still linked from the page: one way to it fewer, not resolved.
    assert_eq!(
        exposure_with(&second.report, "/up/a.jpg")["change"],
        "changed"
    );

    // Issue 18: `report --against` compares site findings with the run it
    // names. A third run: against the second nothing about the listing is
    // said; against the first, the listing is resolved.
    let third = audit(&cfg).await;
    assert!(
        !kinds(&third.report)
            .iter()
            .any(|(k, _)| k == "directory_listing"),
        "{:?}",
        kinds(&third.report)
    );
    let against_first = exposure_audit::cli::build_report(
        &db_in(&dir),
        &third.summary.run_id.to_string(),
        Some(first.summary.run_id),
    )
    .unwrap();
    let against_first = serde_json::to_value(&against_first).unwrap();
    assert!(
        kinds(&against_first).contains(&("directory_listing".into(), "resolved".into())),
        "{:?}",
        kinds(&against_first)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlinked_but_still_served_is_not_resolved() {
    // Run 1 links both pictures; before run 2 the school unlinks both, but
    // deletes only one of the files.
    let unlinked = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let page = switch(
        &unlinked,
        html("<img src='/kept.jpg'><img src='/deleted.jpg'>"),
        html("<p>Nothing to see</p>"),
    );
    let deleted = switch(
        &unlinked,
        jpeg(resized_jpeg("coffee.png", 300, 80)),
        fixed_route(404, "gone"),
    );
    let site = Site::start(vec![
        ("/", page),
        ("/kept.jpg", jpeg(resized_jpeg("rocket.jpg", 300, 80))),
        ("/deleted.jpg", deleted),
    ])
    .await;
    let dir = tempdir();
    let cfg = config(&config_text(&db_in(&dir), &site.url("/"), ""));
    let first = audit(&cfg).await;
    let kept_id = exposure_with(&first.report, "/kept.jpg")["id"].clone();
    let deleted_id = exposure_with(&first.report, "/deleted.jpg")["id"].clone();
    unlinked.store(true, std::sync::atomic::Ordering::SeqCst);
    let second = audit(&cfg).await;
    let by_id = |id: &serde_json::Value| {
        second.report["exposures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == *id)
            .cloned()
            .unwrap()
    };
    let kept = by_id(&kept_id);
    assert_eq!(kept["change"], "changed");
    assert_eq!(kept["reasons"][0], "unlinked_but_still_served");
    assert_eq!(by_id(&deleted_id)["change"], "resolved");
    assert_eq!(
        site.request_count("/kept.jpg"),
        2,
        "fetched again though no page links it"
    );
}

/// Issue 22, point 4: the fixes are written for the server and CMS the
/// audit saw, with the paths it found: on an nginx site that is not
/// WordPress, no Apache or IIS snippet and no /wp-content/uploads/.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixes_name_the_server_seen_and_the_paths_found() {
    fn nginx(h: Handler) -> Handler {
        Arc::new(move |req| {
            let mut r = h(req);
            r.headers_mut()
                .insert("server", "nginx/1.24.0".parse().unwrap());
            r
        })
    }
    let site = Site::start(vec![
        ("/", nginx(html("<html><body><img src='/files/2026/a.jpg' alt='Sports day'></body></html>"))),
        (
            "/files/2026/",
            nginx(html("<html><head><title>Index of /files/2026/</title></head><body><h1>Index of /files/2026/</h1><a href='a.jpg'>a.jpg</a></body></html>")),
        ),
        ("/files/2026/a.jpg", nginx(jpeg(resized_jpeg("rocket.jpg", 200, 80)))),
    ])
    .await;
    let dir = tempdir();
    let cfg = config(&config_text(&db_in(&dir), &site.url("/"), ""));
    let a = audit(&cfg).await;
    let finding = |kind: &str| -> serde_json::Value {
        a.report["site_findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["kind"] == kind)
            .cloned()
            .unwrap_or_else(|| panic!("no {kind}: {}", a.report["site_findings"]))
    };
    let software = finding("site_software");
    assert_eq!(software["detail"], "server: nginx/1.24.0; not WordPress");
    assert!(software.get("fix").is_none(), "{software}");
    let listing = finding("directory_listing")["fix"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        listing.contains("location /files/2026/ { autoindex off; }"),
        "{listing}"
    );
    assert!(
        !listing.contains("Options -Indexes") && !listing.contains("IIS"),
        "{listing}"
    );
    let robots = finding("robots_allows_ai_crawlers")["fix"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        !robots.contains("wp-content") && !robots.contains("Apache"),
        "{robots}"
    );
    assert!(robots.contains("add_header X-Robots-Tag"), "{robots}");
}
