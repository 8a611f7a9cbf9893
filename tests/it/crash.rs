//! Crashes and a hostile environment: the binary killed with SIGKILL in the
//! middle of a run, the disk filling up (a file-size limit), and the
//! database locked by another program. Each time the database stays whole,
//! the error is clear, nothing stored is lost, and no picture is reported
//! resolved because of it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use exposure_audit::store::RunStatus;

use crate::support::*;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_exposure-audit"))
}

/// A site of 300 pages, each with a picture (three pictures in all).
async fn site() -> Site {
    let mut home = String::from("<html><body>");
    let mut routes: Vec<(String, Handler)> = Vec::new();
    for i in 0..300 {
        home.push_str(&format!("<a href=\"/p/{i}\">{i}</a>\n"));
        routes.push((
            format!("/p/{i}"),
            html(&format!(
                "<html><body><img src=\"/img/{}.jpg\"></body></html>",
                i % 3
            )),
        ));
    }
    home.push_str("</body></html>");
    routes.push(("/".into(), html(&home)));
    for (i, f) in ["rocket.jpg", "coffee.png", "astronaut.png"]
        .iter()
        .enumerate()
    {
        routes.push((format!("/img/{i}.jpg"), jpeg(resized_jpeg(f, 400, 85))));
    }
    Site::start(
        routes
            .iter()
            .map(|(p, h)| (p.as_str(), h.clone()))
            .collect(),
    )
    .await
}

fn write_config(dir: &Path, name: &str, db: &Path, site: &Site, crawl: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, config_text(db, &site.url("/"), crawl)).unwrap();
    path
}

async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn statuses(db: &Path) -> Vec<String> {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut stmt = c.prepare("SELECT status FROM runs ORDER BY id").unwrap();
    let rows = stmt.query_map([], |r| r.get(0)).unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

fn integrity(db: &Path) -> String {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

/// The last run compared with the first whole one: nothing resolved.
async fn next_run_is_whole(cfg: &Path, db: &Path, exposures: usize) {
    let out = run({
        let mut c = bin();
        c.args(["audit", "--config"]).arg(cfg);
        c
    })
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rep = build_json(db);
    assert_eq!(
        rep["summary"]["by_change"]["resolved"], 0,
        "{}",
        rep["summary"]
    );
    assert_eq!(rep["summary"]["by_change"]["unchanged"], exposures);
    assert_eq!(integrity(db), "ok");
}

/// The site, a folder, its database and config, after one whole audit;
/// and how many exposures that audit found.
async fn audited_once() -> (Site, tempfile::TempDir, PathBuf, PathBuf, usize) {
    let site = site().await;
    let dir = tempdir();
    let db = db_in(&dir);
    let cfg = write_config(dir.path(), "c.toml", &db, &site, "");
    let first = audit(&config(&std::fs::read_to_string(&cfg).unwrap())).await;
    assert_eq!(first.summary.status, RunStatus::Complete);
    let exposures = first.summary.exposures;
    (site, dir, db, cfg, exposures)
}

fn build_json(db: &Path) -> serde_json::Value {
    let text = exposure_audit::cli::render_report(db, "latest", exposure_audit::cli::Format::Json)
        .unwrap_or_else(|(_, m)| panic!("{m}"));
    serde_json::from_str(&text).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_run_the_database_is_whole_and_nothing_turns_resolved() {
    let (site, dir, db, quick, exposures) = audited_once().await;

    let slow = write_config(
        dir.path(),
        "slow.toml",
        &db,
        &site,
        "per_host_delay_ms = 50\nconcurrency = 1",
    );
    let mut child = bin()
        .args(["audit", "--config"])
        .arg(&slow)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < until, "the run did not get going");
        let pages: i64 = rusqlite::Connection::open(&db)
            .ok()
            .and_then(|c| {
                c.query_row(
                    "SELECT COUNT(*) FROM pages p JOIN runs r ON r.id = p.run_id WHERE r.status = 'running'",
                    [],
                    |r| r.get(0),
                )
                .ok()
            })
            .unwrap_or(0);
        if pages >= 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    assert_eq!(integrity(&db), "ok");
    assert_eq!(statuses(&db), ["complete", "running"]);
    // The next start marks the killed run interrupted and compares against
    // the last whole run.
    next_run_is_whole(&quick, &db, exposures).await;
    assert_eq!(statuses(&db), ["complete", "interrupted", "complete"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_a_clear_error_and_loses_nothing() {
    let (_site, _dir, db, cfg, exposures) = audited_once().await;
    let before = build_json(&db);

    // No file may grow past 64 KiB: the next run's writes fail as on a full
    // disk (EFBIG; SIGXFSZ ignored so the write returns the error).
    let out = run({
        let mut c = Command::new("bash");
        c.arg("-c")
            .arg("trap '' XFSZ; ulimit -f 64; exec \"$0\" audit --config \"$1\"")
            .arg(env!("CARGO_BIN_EXE_exposure-audit"))
            .arg(&cfg);
        c
    })
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("database") && (stderr.contains("full") || stderr.contains("disk")),
        "the error says what happened: {stderr}"
    );
    assert!(
        stderr.lines().count() <= 3,
        "a short message, no panic: {stderr}"
    );
    eprintln!("disk full: {stderr}");

    // Nothing stored before is lost, and the next run is whole.
    assert_eq!(integrity(&db), "ok");
    let still = build_json(&db);
    assert_eq!(still["run"]["id"], before["run"]["id"]);
    assert_eq!(still["exposures"], before["exposures"]);
    next_run_is_whole(&cfg, &db, exposures).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_locked_by_another_program_is_a_clear_error() {
    let (_site, _dir, db, cfg, exposures) = audited_once().await;

    // Another program holds an exclusive lock (a backup tool, sqlite3 shell).
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let started = Instant::now();
    let out = run({
        let mut c = bin();
        c.args(["audit", "--config"]).arg(&cfg);
        c
    })
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("locked"), "{stderr}");
    assert!(stderr.lines().count() <= 3, "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(30));
    holder.execute_batch("ROLLBACK").unwrap();
    drop(holder);

    assert_eq!(statuses(&db), ["complete"], "the refused run left no trace");
    next_run_is_whole(&cfg, &db, exposures).await;
}
