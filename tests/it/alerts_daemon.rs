//! Alerts through a real SMTP server (mailin-embedded, in-process) and a
//! webhook receiver, both on 127.0.0.1; the daemon binary started as a
//! process and stopped with SIGTERM in the middle of a run.

use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use exposure_audit::alerts::{self, Delivered};
use exposure_audit::store::{RunStatus, Store};

use crate::support::*;

/// Collects every message the SMTP server accepts.
#[derive(Clone)]
struct Inbox {
    current: Vec<u8>,
    mails: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl mailin_embedded::Handler for Inbox {
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> mailin_embedded::Response {
        self.mails
            .lock()
            .unwrap()
            .push(std::mem::take(&mut self.current));
        mailin_embedded::response::OK
    }
}

/// Starts an SMTP server on `port`; returns what it receives.
fn start_smtp(port: u16) -> Arc<Mutex<Vec<Vec<u8>>>> {
    let mails = Arc::new(Mutex::new(Vec::new()));
    let mut server = mailin_embedded::Server::new(Inbox {
        current: Vec::new(),
        mails: mails.clone(),
    });
    server.with_addr(("127.0.0.1", port)).unwrap();
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    let until = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < until, "the SMTP server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    mails
}

/// A port nothing listens on (yet).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

const NAMED_PAGE: &str = r#"<html><head><title>News</title></head><body>
  <figure><img src="/uploads/oliver-smith-award.jpg" alt="Oliver Smith (Year 4) with his reading award">
  <figcaption>Oliver Smith, aged 8, at Riverside Park</figcaption></figure></body></html>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_are_delivered_once_through_an_smtp_outage() {
    let site = Site::start(vec![
        ("/", html(NAMED_PAGE)),
        (
            "/uploads/oliver-smith-award.jpg",
            jpeg(resized_jpeg("grace_hopper.jpg", 600, 85)),
        ),
    ])
    .await;
    let hook = Site::start(vec![("/hook", fixed(200, "text/plain", "ok"))]).await;
    std::env::set_var("EXPOSURE_AUDIT_TEST_HOOK_OUTAGE", hook.url("/hook"));
    let port = free_port(); // the mail server is down during the run
    let dir = tempdir();
    let db = db_in(&dir);
    let text = format!(
        "{}\n[alerts]\nsmtp_url = \"smtp://127.0.0.1:{port}\"\nfrom = \"audit@school.example\"\nto = [\"comms@school.example\"]\nmin_risk = \"low\"\nwebhook_url_env = \"EXPOSURE_AUDIT_TEST_HOOK_OUTAGE\"\n",
        config_text(&db, &site.url("/"), "")
    );
    let cfg = config(&text);
    let settings = cfg.alerts.clone().unwrap();
    let first = audit(&cfg).await;
    assert_eq!(first.summary.status, RunStatus::Complete);

    // One digest per channel, committed with the run.
    let store = Store::open(&db).unwrap();
    assert_eq!(store.pending_alerts().unwrap().0, 2);
    let t0 = Utc::now();
    let d = alerts::deliver_due(&store, &settings, t0).await.unwrap();
    assert_eq!(
        d,
        Delivered { sent: 1, failed: 1 },
        "webhook sent, email refused"
    );
    let (pending, _, error) = store.pending_alerts().unwrap();
    assert_eq!(pending, 1);
    assert!(error.unwrap().contains("SMTP"));

    // The server comes back. Not retried before its backoff, then sent once.
    let mails = start_smtp(port);
    let d = alerts::deliver_due(&store, &settings, t0).await.unwrap();
    assert_eq!(d, Delivered::default());
    let later = t0 + chrono::Duration::seconds(61);
    let d = alerts::deliver_due(&store, &settings, later).await.unwrap();
    assert_eq!(d, Delivered { sent: 1, failed: 0 });
    // Later passes, and a restart, send nothing again.
    let d = alerts::deliver_due(&store, &settings, later + chrono::Duration::days(1))
        .await
        .unwrap();
    assert_eq!(d, Delivered::default());
    drop(store);
    let store = Store::open(&db).unwrap();
    let d = alerts::deliver_due(&store, &settings, later + chrono::Duration::days(2))
        .await
        .unwrap();
    assert_eq!(d, Delivered::default());
    assert_eq!(store.pending_alerts().unwrap().0, 0);

    let mails = mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 1, "exactly one email");
    assert_eq!(hook.request_count("/hook"), 1, "exactly one webhook call");
    let mail = mail_parser::MessageParser::default()
        .parse(&mails[0])
        .expect("a parsable email");
    assert!(
        mail.subject().unwrap().contains("need"),
        "{:?}",
        mail.subject()
    );
    let body = mail.body_text(0).unwrap().to_string();
    assert!(
        body.contains("on 1 page, 1 copy"),
        "counted, not named: {body}"
    );
    assert!(
        !body.contains(&site.url("/")),
        "no address from the site: {body}"
    );
    assert!(body.contains("exposure-audit report --run"), "{body}");
    for personal in ["Oliver", "Smith", "oliver-smith", "Riverside", "aged 8"] {
        assert!(
            !body.contains(personal),
            "`{personal}` in the email: {body}"
        );
    }

    // An unchanged site: nothing new, nothing queued.
    let second = audit(&cfg).await;
    assert_eq!(
        second
            .summary
            .by_change
            .get(&exposure_audit::model::Change::Unchanged),
        Some(&1)
    );
    assert_eq!(store.pending_alerts().unwrap().0, 0);
}

/// A site of `pages` pages linked from the home page, with pictures.
fn many_pages(pages: usize) -> Vec<(String, Handler)> {
    let mut home =
        String::from("<html><body><img src=\"/img/oliver-smith.jpg\" alt=\"Oliver Smith\">");
    let mut routes: Vec<(String, Handler)> = Vec::new();
    for i in 0..pages {
        home.push_str(&format!("<a href=\"/p/{i}\">page {i}</a>\n"));
        routes.push((
            format!("/p/{i}"),
            html(&format!(
                "<html><body><p>Page {i}</p><img src=\"/img/{}.jpg\"></body></html>",
                i % 3
            )),
        ));
    }
    home.push_str("</body></html>");
    routes.push(("/".into(), html(&home)));
    routes.push((
        "/img/oliver-smith.jpg".into(),
        jpeg(resized_jpeg("grace_hopper.jpg", 400, 85)),
    ));
    for (i, f) in ["rocket.jpg", "coffee.png", "astronaut.png"]
        .iter()
        .enumerate()
    {
        routes.push((format!("/img/{i}.jpg"), jpeg(resized_jpeg(f, 400, 85))));
    }
    routes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_stops_cleanly_on_sigterm_in_the_middle_of_a_run() {
    let routes = many_pages(400);
    let site = Site::start(
        routes
            .iter()
            .map(|(p, h)| (p.as_str(), h.clone()))
            .collect(),
    )
    .await;
    let dir = tempdir();
    let db = db_in(&dir);
    // A first, quick, whole audit.
    let quick = config(&config_text(&db, &site.url("/"), ""));
    let first = audit(&quick).await;
    assert_eq!(first.summary.status, RunStatus::Complete);
    let exposures = first.summary.exposures;
    assert_eq!(exposures, 4);

    // The daemon: due every two seconds, slow and polite, JSON logs.
    let cfg_path = dir.path().join("daemon.toml");
    std::fs::write(
        &cfg_path,
        format!(
            "{}\n[schedule]\ncron = \"*/2 * * * * *\"\n\n[logging]\nformat = \"json\"\n",
            config_text(
                &db,
                &site.url("/"),
                "per_host_delay_ms = 100\nconcurrency = 1"
            )
        ),
    )
    .unwrap();
    let log_path = dir.path().join("daemon.log");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_exposure-audit"))
        .args(["daemon", "--config"])
        .arg(&cfg_path)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();

    // Wait until the scheduled run has fetched some pages.
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < until, "the daemon did not start a run");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the daemon exited early"
        );
        let running: Option<i64> = rusqlite::Connection::open(&db).ok().and_then(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM pages p JOIN runs r ON r.id = p.run_id WHERE r.status = 'running'",
                [],
                |r| r.get(0),
            )
            .ok()
        });
        if running.unwrap_or(0) >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Issue 18: `status` says a daemon holds the database, and a second
    // daemon on it is refused.
    let status_of = || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_exposure-audit"))
            .args(["status", "--config"])
            .arg(&cfg_path)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    assert!(
        status_of().contains("daemon:         running"),
        "{}",
        status_of()
    );
    let second = std::process::Command::new(env!("CARGO_BIN_EXE_exposure-audit"))
        .args(["daemon", "--config"])
        .arg(&cfg_path)
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("a daemon already audits"),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let stopped_at = Instant::now();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            stopped_at.elapsed() < Duration::from_secs(30),
            "the daemon did not stop within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut log = String::new();
    std::fs::File::open(&log_path)
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "clean shutdown exits 0; log:\n{log}"
    );

    // The database is whole and says what happened.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let statuses: Vec<String> = conn
        .prepare("SELECT status FROM runs ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(statuses[0], "complete");
    assert_eq!(statuses.last().unwrap(), "interrupted", "{statuses:?}");
    assert!(!statuses.contains(&"running".to_string()));

    // Logs are JSON lines, and info lines carry no personal details.
    for line in log.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        if v["level"] == "INFO" {
            assert!(!line.to_lowercase().contains("oliver"), "{line}");
        }
    }
    assert!(log.contains("cancelling the audit in progress"), "{log}");

    // The next run completes and compares against the last whole run:
    // nothing is resolved because of the interruption.
    let next = audit(&quick).await;
    assert_eq!(next.summary.status, RunStatus::Complete);
    assert_eq!(
        next.summary
            .by_change
            .get(&exposure_audit::model::Change::Unchanged),
        Some(&exposures)
    );
    assert_eq!(
        next.summary
            .by_change
            .get(&exposure_audit::model::Change::Resolved),
        None
    );

    // `status` tells the schedule, the last run and the alerts waiting.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_exposure-audit"))
        .args(["status", "--config"])
        .arg(&cfg_path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("next audit"), "{text}");
    assert!(
        text.contains(&format!("last run:       {} ", next.summary.run_id))
            && text.contains("complete"),
        "{text}"
    );
    assert!(text.contains("alerts pending: 0"), "{text}");

    // Without a schedule the daemon refuses to start, naming the key.
    let plain = dir.path().join("plain.toml");
    std::fs::write(&plain, config_text(&db, &site.url("/"), "")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_exposure-audit"))
        .args(["daemon", "--config"])
        .arg(&plain)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("schedule.cron"));
    assert!(
        status_of().contains("daemon:         not running"),
        "{}",
        status_of()
    );
}

/// A webhook receiver on 127.0.0.1 that keeps every body it is sent.
async fn start_webhook() -> (String, Arc<Mutex<Vec<String>>>, tokio::task::JoinHandle<()>) {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let kept = bodies.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let kept = kept.clone();
            async move {
                kept.lock().unwrap().push(body);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, bodies, handle)
}

/// Issue 16, item 1: with `include_details` off (the default), no text from
/// the site reaches an alert: not the names in page slugs, attachment pages,
/// picture file names, titles or captions, and no page or picture address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_alerts_carry_no_text_from_the_site() {
    let media = r#"[{"id": 7, "mime_type": "image/jpeg",
        "source_url": "/uploads/2026/05/olivia-brown-year2.jpg",
        "alt_text": "Olivia Brown in Year 2",
        "title": {"rendered": "olivia-brown-year2"},
        "caption": {"rendered": "<p>Olivia Brown, Year 2, with her painting</p>"}}]"#;
    let site = Site::start(vec![
        (
            "/",
            html(
                "<html><head><title>Riverside Primary</title>\
                 <meta name='generator' content='WordPress 6.5'></head><body>\
                 <a href='/news/well-done-oliver-smith/'>news</a>\
                 <a href='/news/book-week/harry-patel-reading/'>book week</a></body></html>",
            ),
        ),
        (
            "/news/well-done-oliver-smith/",
            html(
                "<html><head><title>Well done Oliver Smith!</title></head><body>\
                 <figure><img src='/uploads/oliver-smith-award.jpg' alt='Oliver Smith (Year 4)'>\
                 <figcaption>Oliver Smith, aged 8, at Riverside Park</figcaption></figure></body></html>",
            ),
        ),
        (
            "/news/book-week/harry-patel-reading/",
            html(
                "<html><head><title>Harry Patel reading</title></head><body>\
                 <img src='/uploads/harry-patel-reading.png' title='Harry Patel reading'>\
                 <p>Harry Patel, Year 3, reads to the class.</p></body></html>",
            ),
        ),
        ("/wp-json/wp/v2/media", fixed(200, "application/json", media)),
        (
            "/uploads/oliver-smith-award.jpg",
            jpeg(resized_jpeg("grace_hopper.jpg", 600, 85)),
        ),
        (
            "/uploads/harry-patel-reading.png",
            fixed(200, "image/png", fixture("chelsea.png")),
        ),
        (
            "/uploads/2026/05/olivia-brown-year2.jpg",
            jpeg(resized_jpeg("astronaut.png", 500, 85)),
        ),
    ])
    .await;
    let (hook_url, hooks, _hook) = start_webhook().await;
    std::env::set_var("EXPOSURE_AUDIT_TEST_HOOK_QUIET", &hook_url);
    let port = free_port();
    let mails = start_smtp(port);
    let dir = tempdir();
    let db = db_in(&dir);
    let text = format!(
        "{}\n[alerts]\nsmtp_url = \"smtp://127.0.0.1:{port}\"\nfrom = \"audit@school.example\"\nto = [\"comms@school.example\"]\nmin_risk = \"low\"\nwebhook_url_env = \"EXPOSURE_AUDIT_TEST_HOOK_QUIET\"\n",
        config_text(&db, &site.url("/"), "")
    );
    let cfg = config(&text);
    let run = audit(&cfg).await;
    let urls: Vec<String> = occurrences(&run.report)
        .into_iter()
        .map(|(_, u)| u)
        .collect();
    for file in [
        "oliver-smith-award.jpg",
        "harry-patel-reading.png",
        "olivia-brown-year2.jpg",
    ] {
        assert!(
            urls.iter().any(|u| u.ends_with(file)),
            "{file} audited: {urls:?}"
        );
    }
    let store = Store::open(&db).unwrap();
    let settings = cfg.alerts.clone().unwrap();
    let d = alerts::deliver_due(&store, &settings, Utc::now())
        .await
        .unwrap();
    assert_eq!(d, Delivered { sent: 2, failed: 0 });

    let mails = mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 1);
    let mail = mail_parser::MessageParser::default()
        .parse(&mails[0])
        .unwrap();
    let body = mail.body_text(0).unwrap().to_string();
    assert!(body.contains("3 pictures"), "{body}");
    assert!(body.contains(&format!(
        "exposure-audit report --run {}",
        run.summary.run_id
    )));
    let raw = String::from_utf8_lossy(&mails[0]).to_string();
    let hooks = hooks.lock().unwrap().clone();
    assert_eq!(hooks.len(), 1);
    let hook: serde_json::Value = serde_json::from_str(&hooks[0]).unwrap();
    assert_eq!(hook["exposures"].as_array().unwrap().len(), 3);
    let host = site.addr.to_string();
    for (what, text) in [
        ("email", &body),
        ("raw email", &raw),
        ("webhook", &hooks[0]),
    ] {
        for personal in [
            "Oliver",
            "oliver",
            "Smith",
            "smith",
            "Harry",
            "harry",
            "Patel",
            "Olivia",
            "olivia",
            "Brown",
            "Riverside",
            "aged 8",
            "Year 2",
            "year2",
            "uploads",
            "news/",
            "book-week",
            "painting",
            &host,
        ] {
            assert!(
                !text.contains(personal),
                "`{personal}` in the {what}: {text}"
            );
        }
    }
}
