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

fn count(dom: &Html, css: &str) -> usize {
    dom.select(&Selector::parse(css).unwrap()).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_report_renders_and_prints_in_a_real_browser() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("EXPOSURE_AUDIT_REQUIRE_BROWSER").is_none(),
            "chromium is required (EXPOSURE_AUDIT_REQUIRE_BROWSER is set) but not installed"
        );
        eprintln!("skipped: chromium is not installed (apt-get install chromium)");
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
