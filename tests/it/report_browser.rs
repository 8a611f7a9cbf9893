//! The HTML report in a real headless browser (Debian's chromium, which
//! .ci/run installs): it renders, prints, the trend chart is there and the
//! tables hold the right rows. Without chromium the test says so and passes,
//! unless EXPOSURE_AUDIT_REQUIRE_BROWSER is set (CI sets it).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use exposure_audit::cli::{report_to_file, Format};
use scraper::{Html, Selector};

use crate::support::*;

fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Runs headless chromium on a local file with the flags this machine needs.
fn headless(browser: &Path, profile: &Path, args: &[String]) -> std::process::Output {
    Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--allow-file-access-from-files",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("chromium runs")
}

/// Debian's chromium, or None (the test says it is skipped) when it is not
/// installed and CI (EXPOSURE_AUDIT_REQUIRE_BROWSER) does not require it.
fn browser_or_skip() -> Option<PathBuf> {
    let browser = chromium();
    if browser.is_none() {
        assert!(
            std::env::var_os("EXPOSURE_AUDIT_REQUIRE_BROWSER").is_none(),
            "chromium is required (EXPOSURE_AUDIT_REQUIRE_BROWSER is set) but not installed"
        );
        eprintln!("skipped: chromium is not installed (apt-get install chromium)");
    }
    browser
}

/// What check_report.mjs says of a report: no WCAG 2.1 A or AA violation,
/// and every exposure and page entry kept whole on a printed page.
fn assert_accessible_and_printable(checked: &serde_json::Value, what: &str) {
    assert_eq!(
        checked["violations"],
        serde_json::json!([]),
        "WCAG 2.1 AA on {what}: {}",
        checked["violations"]
    );
    let page_height = checked["page_height"].as_f64().unwrap();
    for b in checked["blocks"].as_array().unwrap() {
        assert_eq!(b["avoid"], "avoid", "{what}: {b}");
        if b["height"].as_f64().unwrap() < page_height {
            continue;
        }
        // Longer than a page (many copies): the head stays whole and the
        // tables break only between rows.
        let head = &b["head"];
        assert_eq!(head["avoid"], "avoid", "{what}: split across pages: {b}");
        assert!(
            head["height"].as_f64().unwrap() < page_height,
            "{what}: head split across pages: {b}"
        );
        assert_eq!(b["rows_avoid"], true, "{what}: rows split: {b}");
    }
}

fn count(dom: &Html, css: &str) -> usize {
    dom.select(&Selector::parse(css).unwrap()).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_report_renders_and_prints_in_a_real_browser() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let later = Arc::new(AtomicBool::new(false));
    let before = r#"<html><head><title>St Anne's</title></head><body>
        <img src="/a.jpg" alt="Poppy Clarke (Year 3) at Riverside Park">
        <img src="/b.jpg" alt="Choir"><img src="/c.jpg" alt="Library"></body></html>"#;
    let after = r#"<html><head><title>St Anne's</title></head><body>
        <img src="/a.jpg" alt="Poppy Clarke (Year 3) at Riverside Park">
        <img src="/b.jpg" alt="Choir"></body></html>"#;
    let site = Site::start(vec![
        ("/", switch(&later, html(before), html(after))),
        ("/a.jpg", jpeg(resized_jpeg("grace_hopper.jpg", 500, 85))),
        ("/b.jpg", jpeg(resized_jpeg("rocket.jpg", 500, 85))),
        (
            "/c.jpg",
            switch(
                &later,
                jpeg(resized_jpeg("coffee.png", 500, 85)),
                fixed(404, "text/plain", "gone"),
            ),
        ),
    ])
    .await;
    let dir = tempdir();
    let db = db_in(&dir);
    let cfg = config(&config_text(&db, &site.url("/"), ""));
    audit(&cfg).await;
    later.store(true, Ordering::SeqCst);
    let second = audit(&cfg).await;

    let page = dir.path().join("report.html");
    let run = second.summary.run_id.to_string();
    report_to_file(&db, &run, None, (Format::Html, true), &page).unwrap();
    let url = format!("file://{}", page.display());
    let profile = dir.path().join("profile");

    // The DOM as the browser built it.
    let out = headless(&browser, &profile, &["--dump-dom".into(), url.clone()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = Html::parse_document(&String::from_utf8_lossy(&out.stdout));
    let exposures = second.report["exposures"].as_array().unwrap();
    assert_eq!(exposures.len(), 3);
    assert_eq!(count(&dom, "div.exp"), 3, "one block per exposure");
    assert_eq!(
        count(&dom, "svg rect"),
        3 * 2,
        "trend: three bars for each of two runs"
    );
    assert_eq!(
        count(&dom, "div.exp img.thumb"),
        3,
        "a blurred thumbnail each"
    );
    for img in dom.select(&Selector::parse("img").unwrap()) {
        let src = img.value().attr("src").unwrap_or_default();
        assert!(
            src.starts_with("data:image/jpeg;base64,"),
            "only embedded pictures: {src}"
        );
    }
    // Riskiest first, in the order of the JSON report, with their badges.
    let badges: Vec<String> = dom
        .select(&Selector::parse("div.exp span.badge").unwrap())
        .map(|b| b.text().collect())
        .collect();
    let risks: Vec<&str> = exposures
        .iter()
        .map(|e| e["risk"].as_str().unwrap())
        .collect();
    assert_eq!(badges, risks);
    assert_eq!(risks[0], "high", "the named picture first");
    let text: String = dom.root_element().text().collect();
    assert!(text.contains("resolved (since run 1)"), "summary cards");
    assert!(
        text.contains("Poppy Clarke"),
        "the evidence is in the report"
    );

    // Issue 16, item 8: the report's Content-Security-Policy lets its own
    // style apply and stops any script or remote load that text slipping
    // past the escaping could add. The same report with such markup put in:
    let beacon = Site::start(vec![("*", fixed(200, "image/png", fixture("camera.png")))]).await;
    let html = std::fs::read_to_string(&page).unwrap();
    let injected = format!(
        "<img src=\"{0}\"><link rel=\"stylesheet\" href=\"{0}\">\
         <script>document.title = 'script ran'</script><script src=\"{0}\"></script></body>",
        beacon.url("/beacon")
    );
    let hostile = dir.path().join("hostile.html");
    std::fs::write(&hostile, html.replace("</body>", &injected)).unwrap();
    let out = headless(
        &browser,
        &profile,
        &[
            "--enable-logging=stderr".into(),
            "--v=0".into(),
            "--dump-dom".into(),
            format!("file://{}", hostile.display()),
        ],
    );
    let log = String::from_utf8_lossy(&out.stderr);
    let dumped = Html::parse_document(&String::from_utf8_lossy(&out.stdout));
    let title: String = dumped
        .select(&Selector::parse("title").unwrap())
        .flat_map(|t| t.text())
        .collect();
    assert!(
        title.starts_with("exposure-audit report"),
        "the script ran: {title}"
    );
    assert_eq!(
        beacon.requests(),
        Vec::<String>::new(),
        "the report called out"
    );
    assert!(log.contains("Content Security Policy"), "{log}");
    assert!(
        !log.contains("apply inline style"),
        "the report's own style is refused: {log}"
    );

    // It renders and prints.
    let shot = dir.path().join("report.png");
    let out = headless(
        &browser,
        &profile,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1200,1600".into(),
            url.clone(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).unwrap();
    if let Some(keep) = std::env::var_os("EXPOSURE_AUDIT_KEEP_SCREENSHOT") {
        std::fs::write(keep, &png).unwrap();
    }
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
    let pdf = dir.path().join("report.pdf");
    let out = headless(
        &browser,
        &profile,
        &[
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".into(),
            url,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pdf = std::fs::read(&pdf).unwrap();
    assert!(
        pdf.starts_with(b"%PDF") && pdf.len() > 5_000,
        "{} bytes",
        pdf.len()
    );
}

/// Issue 22: the report a DPO reads, by default (no embedded thumbnails),
/// of a site of several pages. Each picture is shown from its public
/// address, lazily and with no referrer, and the policy lets the browser
/// load it from the school's site and from nowhere else; each exposure
/// says what to do; the page-by-page list names each page with its
/// pictures, worst first; the first screen counts named or identifiable
/// children and gives the top actions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dpo_sees_each_picture_what_to_do_and_the_work_page_by_page() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let home = r#"<html><head><title>Riverside Primary</title></head><body>
        <a href="/news/sports-day/">Sports day</a> <a href="/about/">About</a>
        <img src="/uploads/hall.jpg" alt="The school hall"></body></html>"#;
    let news = r#"<html><head><title>Sports day</title></head><body>
        <figure><img src="/uploads/relay-300x200.jpg" srcset="/uploads/relay.jpg 1000w" alt="Relay race">
        <figcaption>Poppy Clarke and Tom Hill (Year 3) won the relay.</figcaption></figure></body></html>"#;
    let about = r#"<html><head><title>About us</title></head><body>
        <img src="/uploads/relay-300x200.jpg" alt="Our sports day"></body></html>"#;
    let site = Site::start(vec![
        ("/", html(home)),
        ("/news/sports-day/", html(news)),
        ("/about/", html(about)),
        (
            "/uploads/hall.jpg",
            jpeg(resized_jpeg("coffee.png", 400, 85)),
        ),
        (
            "/uploads/relay.jpg",
            jpeg(resized_jpeg("grace_hopper.jpg", 1000, 85)),
        ),
        (
            "/uploads/relay-300x200.jpg",
            jpeg(resized_jpeg("grace_hopper.jpg", 300, 85)),
        ),
    ])
    .await;
    let dir = tempdir();
    let db = db_in(&dir);
    let cfg = config(&config_text(&db, &site.url("/"), ""));
    let run = audit(&cfg).await;
    let relay = exposure_with(&run.report, "/uploads/relay.jpg");
    let actions = relay["actions"].as_array().unwrap();
    assert!(
        actions.iter().any(|a| a["kind"] == "edit_text"
            && a["where"] == site.url("/news/sports-day/")
            && a["what"].as_str().unwrap().contains("Poppy Clarke")),
        "{actions:?}"
    );

    // The same actions in the CSV report, a column of their own.
    let csv = exposure_audit::cli::render_report(&db, "latest", Format::Csv).unwrap();
    let mut rows = ::csv::Reader::from_reader(csv.as_bytes());
    let column = rows
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "actions")
        .expect("an actions column");
    let listed: Vec<String> = rows
        .records()
        .map(|r| r.unwrap()[column].to_string())
        .collect();
    assert!(
        listed.iter().any(|a| a.contains("Poppy Clarke")
            && a.contains(&format!("({})", site.url("/news/sports-day/")))),
        "{listed:?}"
    );

    let page = dir.path().join("report.html");
    report_to_file(
        &db,
        &run.summary.run_id.to_string(),
        None,
        (Format::Html, false),
        &page,
    )
    .unwrap();
    let url = format!("file://{}", page.display());
    let profile = dir.path().join("profile");
    let asked_before = site.request_count("/uploads/relay.jpg");
    let out = headless(
        &browser,
        &profile,
        &[
            "--virtual-time-budget=5000".into(),
            "--dump-dom".into(),
            url.clone(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = Html::parse_document(&String::from_utf8_lossy(&out.stdout));

    // The picture, from its public address: the largest copy.
    let pics: Vec<_> = dom
        .select(&Selector::parse("div.exp img.pic").unwrap())
        .map(|i| i.value().clone())
        .collect();
    assert_eq!(pics.len(), 2, "one picture per exposure");
    assert!(pics
        .iter()
        .any(|i| i.attr("src") == Some(&*site.url("/uploads/relay.jpg"))));
    for i in &pics {
        assert_eq!(i.attr("loading"), Some("lazy"));
        assert_eq!(i.attr("referrerpolicy"), Some("no-referrer"));
        assert!(i
            .attr("alt")
            .unwrap()
            .starts_with("The picture as published at"));
        let side = |a| i.attr(a).unwrap().parse::<u32>().unwrap();
        assert!(side("width") <= 160 && side("height") <= 160, "{i:?}");
    }
    // The browser fetched it from the school's site, with no referrer.
    let asks = site.headers_of("/uploads/relay.jpg");
    assert!(asks.len() > asked_before, "the report showed the picture");
    assert!(
        asks[asked_before..]
            .iter()
            .all(|h| !h.contains_key("referer")),
        "no referrer"
    );
    assert_eq!(count(&dom, "img[src^='data:']"), 0, "nothing embedded");

    // What to do, on each exposure with something to do.
    assert!(count(&dom, "div.exp ol.actions li") >= 1);
    let text: String = dom.root_element().text().collect();
    assert!(text.contains("Start here"), "the top actions");
    assert!(
        text.contains("pictures show a named or identifiable child"),
        "the first card"
    );
    // Page by page: the three pages, the worst (the named relay photo)
    // first, each linking its pictures.
    let pages: Vec<String> = dom
        .select(&Selector::parse("#pages ~ div.page h3 a").unwrap())
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    assert_eq!(pages[0], site.url("/news/sports-day/"), "{pages:?}");
    for p in ["/", "/news/sports-day/", "/about/"] {
        assert!(pages.contains(&site.url(p)), "{p} in {pages:?}");
    }
    assert!(count(&dom, "div.page a[href^='#exp-']") >= 3);

    // The policy: pictures from the school's site only. A picture from
    // anywhere else put into the report is not loaded.
    let other = Site::start(vec![("*", fixed(200, "image/png", fixture("camera.png")))]).await;
    let html = std::fs::read_to_string(&page).unwrap();
    let hostile = dir.path().join("hostile.html");
    std::fs::write(
        &hostile,
        html.replace(
            "</body>",
            &format!("<img src=\"{}\"></body>", other.url("/beacon.png")),
        ),
    )
    .unwrap();
    let out = headless(
        &browser,
        &profile,
        &[
            "--virtual-time-budget=5000".into(),
            "--dump-dom".into(),
            format!("file://{}", hostile.display()),
        ],
    );
    assert!(out.status.success());
    assert_eq!(
        other.requests(),
        Vec::<String>::new(),
        "another origin was loaded"
    );

    // Accessible and printable: axe-core's WCAG 2.1 A and AA rules find
    // nothing, and every exposure and page entry is kept whole on a printed
    // page (tests/browser/check_report.mjs, puppeteer-core on this chromium).
    let artefacts = artefact_dir();
    if let Some(checked) = axe_and_print(&page, dir.path()) {
        assert_accessible_and_printable(&checked, "the fixture site's report");
        assert!(checked["passes"].as_u64().unwrap() > 10, "{checked}");
        assert!(
            checked["blocks"].as_array().unwrap().len() >= 5,
            "{checked}"
        );
        assert!(checked["pdf_bytes"].as_u64().unwrap() > 5_000);
        std::fs::copy(dir.path().join("report.pdf"), artefacts.join("report.pdf")).unwrap();

        // The demo's report has every risk band, findings and fixes: the
        // same rules find nothing there either.
        let demo = dir.path().join("demo");
        assert_eq!(
            exposure_audit::cli::demo_cmd(&demo).await,
            exposure_audit::cli::Exit::Ok
        );
        let checked = axe_and_print(&demo.join("report.html"), &demo).unwrap();
        // Printed, even the demo's picture with 14 copies fits one page.
        assert_accessible_and_printable(&checked, "the demo's report");
    }

    // Screenshot of the first screen, kept for README.
    let shot = dir.path().join("first-screen.png");
    let out = headless(
        &browser,
        &profile,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1200,1000".into(),
            "--virtual-time-budget=5000".into(),
            url.clone(),
        ],
    );
    assert!(out.status.success());
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);
    std::fs::write(artefacts.join("first-screen.png"), &png).unwrap();
    if let Some(keep) = std::env::var_os("EXPOSURE_AUDIT_KEEP_FIRST_SCREEN") {
        std::fs::write(keep, &png).unwrap();
    }
}

/// Where the browser tests leave what they saw (screenshots, the printed
/// PDF): `target/report-artefacts/`.
fn artefact_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/report-artefacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs tests/browser/check_report.mjs on a report: None when Node.js or
/// its packages are missing (`npm ci --prefix tests/browser`), which CI
/// does not allow.
fn axe_and_print(report: &Path, work: &Path) -> Option<serde_json::Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let ready = root.join("node_modules/puppeteer-core").exists()
        && Command::new("node").arg("--version").output().is_ok();
    if !ready {
        assert!(
            std::env::var_os("EXPOSURE_AUDIT_REQUIRE_BROWSER").is_none(),
            "the accessibility check needs Node.js and `npm ci --prefix tests/browser`"
        );
        eprintln!("skipped the accessibility check: run `npm ci --prefix tests/browser`");
        return None;
    }
    let out = Command::new("node")
        .arg(root.join("check_report.mjs"))
        .arg(report)
        .arg(work)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).expect("one JSON object"))
}
