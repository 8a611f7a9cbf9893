//! The binary as a user runs it: exit codes and messages of CONTRACT.md.

use std::process::Command;

use crate::support::*;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_exposure-audit"))
}

/// `exposure-audit audit --config cfg`, off the runtime that serves the site.
async fn audit_bin(cfg: &std::path::Path) -> std::process::Output {
    let cfg = cfg.to_path_buf();
    tokio::task::spawn_blocking(move || {
        bin()
            .args(["audit", "--config"])
            .arg(&cfg)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

#[test]
fn check_config_warns_about_open_files_and_secrets_in_the_config() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir();
    let db = db_in(&dir);
    exposure_audit::store::Store::open(&db).unwrap();
    let path = dir.path().join("c.toml");
    let text = format!(
        "{}\n[[sources]]\nkind = \"facebook_page\"\nname = \"Facebook\"\npage_id = \"1\"\ntoken_env = \"EAAGm0PX4ZCpsBA7ZBq1xZCkQ9vLpZB3x8y2\"\n",
        config_text(&db, "https://school.example/", "")
    );
    std::fs::write(&path, &text).unwrap();
    let quiet = bin()
        .args(["check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    let quiet = String::from_utf8_lossy(&quiet.stdout).to_string();
    assert!(!quiet.contains("can be read by other users"), "{quiet}");
    assert!(
        quiet.contains("(`token_env`) looks like a secret"),
        "{quiet}"
    );

    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = bin()
        .args(["check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("can be read by other users (mode 644)"),
        "{text}"
    );
    assert!(
        text.contains("can be changed by other users (mode 666)"),
        "{text}"
    );
}

#[test]
fn check_config_names_key_and_line() {
    let dir = tempdir();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[crawl]\nconcurrency = 8\nmax_pagse = 3\n").unwrap();
    let out = bin()
        .args(["check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3") && err.contains("max_pagse"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");

    let out = bin()
        .args(["check-config", "--config", "config/exposure-audit.toml"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("School website"));

    let out = bin()
        .args(["check-config", "--config"])
        .arg(dir.path().join("missing.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn report_without_runs_exits_2() {
    let dir = tempdir();
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        format!(
            "[storage]\ndatabase = \"{}\"\n",
            dir.path().join("db.sqlite").display()
        ),
    )
    .unwrap();
    let out = bin()
        .args(["report", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("audit"),
        "says what to do"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_exit_codes_and_private_report_file() {
    // Quoted text that tries to inject markup into the HTML report and a
    // formula into the spreadsheet.
    let site = Site::start(vec![
        (
            "/",
            html("<img src='/a.jpg' alt='&lt;script&gt;alert(1)&lt;/script&gt;' title='=HYPERLINK(\"http://evil.example\")'>"),
        ),
        ("/a.jpg", jpeg(resized_jpeg("rocket.jpg", 200, 80))),
    ])
    .await;
    let dir = tempdir();
    let (db, cfg) = config_file(&dir, &site);
    let out = audit_bin(&cfg).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Exposures: 1"));

    let report = dir.path().join("out/report.json");
    let out = bin()
        .args(["report", "--format", "json", "--output"])
        .arg(&report)
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(json["summary"]["exposures"], 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&report).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::metadata(&db).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // The folder the report created for itself is private too.
        assert_eq!(
            std::fs::metadata(dir.path().join("out"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
    }
    let out = bin()
        .args(["report", "--format", "csv", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(csv.starts_with("exposure_id,risk"), "{csv}");
    assert_eq!(csv.lines().count(), 2);
    assert!(
        !csv.contains(",=HYPERLINK") && !csv.contains(",\"=HYPERLINK"),
        "{csv}"
    );

    let out = bin()
        .args(["report", "--format", "html", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let html = String::from_utf8_lossy(&out.stdout);
    assert!(html.contains("Exposed pictures, riskiest first"));
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "alt text shown, escaped"
    );
    assert!(!html.contains("<script>"), "no markup injected");

    // A site that cannot be reached at all: exit 1.
    std::fs::write(
        &cfg,
        config_text(&db, "http://127.0.0.1:9/", "max_retries = 0"),
    )
    .unwrap();
    let out = audit_bin(&cfg).await;
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn check_photo_exit_codes() {
    let dir = tempdir();
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        format!(
            "[storage]\ndatabase = \"{}\"\n",
            dir.path().join("none.db").display()
        ),
    )
    .unwrap();
    let coffee = dir.path().join("coffee.png");
    std::fs::write(&coffee, fixture("coffee.png")).unwrap();
    let out = bin()
        .args(["check-photo", "--config"])
        .arg(&cfg)
        .arg(&coffee)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("fine to post"));

    let portrait = dir.path().join("portrait.jpg");
    std::fs::write(&portrait, fixture("grace_hopper.jpg")).unwrap();
    let out = bin()
        .args([
            "check-photo",
            "--format",
            "json",
            "--caption",
            "Amelia Jones, Year 4, aged 9",
            "--config",
        ])
        .arg(&cfg)
        .arg(&portrait)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["safe_to_post"], false);
    assert_eq!(v["faces"], 1);
    assert!(v["details"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["text"] == "Amelia Jones"));

    let out = bin()
        .args(["check-photo", "--config"])
        .arg(&cfg)
        .arg(dir.path().join("missing.jpg"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdrawn_pictures_are_flagged_wherever_they_reappear() {
    let site = Site::start(vec![
        (
            "/",
            html("<img src='/cat.jpg' alt='Biscuit'><img src='/rocket.jpg'>"),
        ),
        ("/cat.jpg", jpeg(resized_jpeg("chelsea.png", 400, 85))),
        ("/rocket.jpg", jpeg(resized_jpeg("rocket.jpg", 400, 85))),
    ])
    .await;
    let dir = tempdir();
    let (_, cfg) = config_file(&dir, &site);
    assert_eq!(audit_bin(&cfg).await.status.code(), Some(0));

    // Withdrawn by a smaller copy of the file the school holds.
    let file = dir.path().join("consent-withdrawn.jpg");
    std::fs::write(&file, resized_jpeg("chelsea.png", 250, 70)).unwrap();
    let out = bin()
        .args(["withdraw", "--reason", "consent withdrawn", "--config"])
        .arg(&cfg)
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A second one by its address.
    let out = bin()
        .args(["withdraw", "--reason", "parent asked", "--config"])
        .arg(&cfg)
        .arg(site.url("/rocket.jpg"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = bin()
        .args(["withdraw", "--reason", "x", "--config"])
        .arg(&cfg)
        .arg(site.url("/never-seen.jpg"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    assert_eq!(audit_bin(&cfg).await.status.code(), Some(0));
    let out = bin()
        .args(["report", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for suffix in ["/cat.jpg", "/rocket.jpg"] {
        let e = exposure_with(&report, suffix);
        assert_eq!(e["risk"], "high", "{suffix}");
        assert_eq!(
            e["reasons"][0], "withdrawn_picture_still_public",
            "{suffix}"
        );
    }
    let out = bin()
        .args(["withdrawn", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("STILL PUBLIC").count(), 2, "{text}");
    assert!(text.contains("consent withdrawn"));
}
