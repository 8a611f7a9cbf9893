//! Issue 16, the hostile review: decode bombs under an address-space limit
//! (item 2), output files that another local user prepared (item 3),
//! terminal escapes from metadata (item 4), the one-audit lock through a
//! symlink (item 6) and an oversized file given to `lookup` (item 7). Each
//! runs the real binary, on real files, symlinks and servers.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::*;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_exposure-audit"))
}

async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
}

/// A temporary folder holding a config for `site`, audited once by the
/// binary (a complete run).
async fn audited(site: &Site) -> (tempfile::TempDir, PathBuf) {
    let dir = tempdir();
    let (_db, cfg) = config_file(&dir, site);
    let mut audit = bin();
    audit.args(["audit", "--config"]).arg(&cfg);
    let out = run(audit).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    (dir, cfg)
}

const BOMBS: &[(&str, &str)] = &[
    ("animated.webp", "image/webp"),
    ("interlaced16.png", "image/png"),
    ("deflate.tiff", "image/tiff"),
    ("canvas.gif", "image/gif"),
    ("rle8.bmp", "image/bmp"),
    ("progressive.jpg", "image/jpeg"),
];

fn bomb(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/bombs")
            .join(name),
    )
    .unwrap()
}

/// Item 2: a page of four copies of each bomb (each copy its own file: a
/// byte after its end) and one real photo, audited by the binary under
/// `ulimit -v 2097152`, ends as a partial run with a report: every bomb a
/// recorded error saying why it was not decoded, the photo analysed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_decode_bombs_is_a_partial_run_under_a_2_gib_limit() {
    let mut routes: Vec<(String, Handler)> = Vec::new();
    let mut page = String::from("<html><body><img src='/photo.jpg' alt='Sports day'>");
    for (name, ctype) in BOMBS {
        for copy in 0..4u8 {
            let path = format!("/b/{copy}-{name}");
            let mut bytes = bomb(name);
            bytes.push(copy);
            page.push_str(&format!("<img src='{path}'>"));
            routes.push((path, fixed(200, ctype, bytes)));
        }
    }
    page.push_str("</body></html>");
    routes.push(("/".into(), html(&page)));
    routes.push((
        "/photo.jpg".into(),
        jpeg(resized_jpeg("rocket.jpg", 400, 80)),
    ));
    let site = Site::start(
        routes
            .iter()
            .map(|(p, h)| (p.as_str(), h.clone()))
            .collect(),
    )
    .await;
    let dir = tempdir();
    let (db, cfg) = config_file(&dir, &site);
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -v 2097152 && exec \"$0\" audit --config \"$1\"")
        .arg(env!("CARGO_BIN_EXE_exposure-audit"))
        .arg(&cfg);
    let out = run(cmd).await;
    assert_eq!(
        out.status.code(),
        Some(3),
        "partial, not aborted: {}",
        text(&out)
    );
    let errors = recorded_errors(&db, 1);
    for (name, _) in BOMBS {
        let of: Vec<&String> = errors
            .iter()
            .filter(|(u, _)| u.ends_with(name))
            .map(|(_, e)| e)
            .collect();
        assert_eq!(of.len(), 4, "{name}: {errors:?}");
        for e in of {
            assert!(
                e.contains("not decoded") && e.contains("MiB"),
                "{name}: {e}"
            );
        }
    }
    let mut report = bin();
    report
        .args(["report", "--format", "json", "--config"])
        .arg(&cfg);
    let out = run(report).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["run"]["status"], "partial");
    exposure_with(&json, "/photo.jpg");
}

/// Item 3: `report --output` and `lookup --export` never write through a
/// symlink another user planted, at the target or the old temporary name,
/// and never leave a report with the mode of a file that was there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_files_are_new_private_and_never_written_through_a_symlink() {
    let site = Site::start(vec![
        ("/", html("<img src='/a.jpg' alt='Choir'>")),
        ("/a.jpg", jpeg(resized_jpeg("rocket.jpg", 300, 80))),
    ])
    .await;
    let (dir, cfg) = audited(&site).await;

    let victim = dir.path().join("victim");
    std::fs::write(&victim, "not yours").unwrap();
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let report = out_dir.join("report.html");
    std::os::unix::fs::symlink(&victim, out_dir.join("report.html.part")).unwrap();
    std::os::unix::fs::symlink(&victim, &report).unwrap();
    let csv = out_dir.join("report.csv");
    std::fs::write(&csv, "old").unwrap();
    std::fs::set_permissions(&csv, std::fs::Permissions::from_mode(0o666)).unwrap();
    for (format, path) in [("html", &report), ("csv", &csv)] {
        let mut cmd = bin();
        cmd.args(["report", "--format", format, "--output"])
            .arg(path)
            .arg("--config")
            .arg(&cfg);
        let out = run(cmd).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(!std::fs::symlink_metadata(path).unwrap().is_symlink());
        assert_eq!(mode(path), 0o600, "{}", path.display());
    }
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "not yours");
    assert!(std::fs::read_to_string(&report)
        .unwrap()
        .contains("<!doctype html>"));
    assert!(std::fs::read_to_string(&csv)
        .unwrap()
        .starts_with("exposure_id,"));

    let photo = dir.path().join("photo.jpg");
    std::fs::write(&photo, resized_jpeg("rocket.jpg", 300, 80)).unwrap();
    let export = dir.path().join("evidence");
    std::fs::create_dir(&export).unwrap();
    std::os::unix::fs::symlink(&victim, export.join("lookup.json")).unwrap();
    let mut cmd = bin();
    cmd.arg("lookup")
        .arg(&photo)
        .arg("--export")
        .arg(&export)
        .arg("--config")
        .arg(&cfg);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let written = export.join("lookup.json");
    assert!(!std::fs::symlink_metadata(&written).unwrap().is_symlink());
    assert_eq!(mode(&written), 0o600);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "not yours");
}

/// A JPEG whose XMP names a person with terminal control sequences.
fn jpeg_with_xmp_person(person: &str) -> Vec<u8> {
    let plain = resized_jpeg("rocket.jpg", 300, 80);
    let xmp = format!(
        "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF \
         xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description \
         xmlns:Iptc4xmpExt=\"http://iptc.org/std/Iptc4xmpExt/2008-02-29/\"><Iptc4xmpExt:PersonInImage>\
         <rdf:Bag><rdf:li>{person}</rdf:li></rdf:Bag></Iptc4xmpExt:PersonInImage>\
         </rdf:Description></rdf:RDF></x:xmpmeta>"
    );
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((xmp.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(xmp.as_bytes());
    out.extend_from_slice(&plain[2..]);
    out
}

/// Item 4: control characters from a picture's metadata and a page's text
/// reach no terminal raw: not through check-photo, lookup or CSV on stdout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminal_escapes_from_the_site_are_printed_as_text() {
    let person = "Amy Jones\u{1b}]0;owned\u{7}\u{1b}[2J";
    let photo = jpeg_with_xmp_person(person);
    let site = Site::start(vec![
        (
            "/",
            html("<img src='/a.jpg' alt='Choir &#27;[2J&#27;]0;x&#7;'>"),
        ),
        ("/a.jpg", jpeg(photo.clone())),
    ])
    .await;
    let (dir, cfg) = audited(&site).await;
    let file = dir.path().join("photo.jpg");
    std::fs::write(&file, &photo).unwrap();

    let mut check = bin();
    check
        .arg("check-photo")
        .arg(&file)
        .arg("--config")
        .arg(&cfg);
    let mut lookup = bin();
    lookup.arg("lookup").arg(&file).arg("--config").arg(&cfg);
    let mut csv = bin();
    csv.args(["report", "--format", "csv", "--config"])
        .arg(&cfg);
    for (what, cmd) in [("check-photo", check), ("lookup", lookup), ("csv", csv)] {
        let out = run(cmd).await;
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            !stdout.contains('\u{1b}') && !stdout.contains('\u{7}'),
            "{what}: {stdout:?}"
        );
        assert!(
            stdout.contains("\\x1b"),
            "{what} shows the escape as text: {stdout}"
        );
    }
}

/// Item 6: a second audit that names the database through a symlink is
/// refused while the first holds it.
#[test]
fn the_one_audit_lock_holds_through_a_symlink() {
    let dir = tempdir();
    let db = db_in(&dir);
    exposure_audit::store::Store::open(&db).unwrap();
    let link: PathBuf = dir.path().join("other-name.db");
    std::os::unix::fs::symlink(&db, &link).unwrap();
    let _held = exposure_audit::audit::RunLock::acquire(&db).unwrap();
    match exposure_audit::audit::RunLock::acquire(&link) {
        Err(exposure_audit::audit::AuditError::Busy(_)) => {}
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a second audit took the lock through a symlink"),
    }
    // A symlink planted at the lock file itself is refused, not followed.
    let other = dir.path().join("x.db");
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "").unwrap();
    std::os::unix::fs::symlink(&victim, dir.path().join("x.db.lock")).unwrap();
    assert!(exposure_audit::audit::RunLock::acquire(&other).is_err());
}

/// Item 7: `lookup` refuses a file over `crawl.max_image_bytes` without
/// reading it (a sparse 1 GiB file), and an endless one after the limit.
#[test]
fn lookup_reads_no_more_than_a_picture_may_be() {
    let dir = tempdir();
    let db = db_in(&dir);
    exposure_audit::store::Store::open(&db).unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, config_text(&db, "https://school.example/", "")).unwrap();
    let huge = dir.path().join("huge.jpg");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    for file in [huge.as_path(), Path::new("/dev/zero")] {
        let out = bin()
            .arg("lookup")
            .arg(file)
            .arg("--config")
            .arg(&cfg)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(text(&out).contains("max_image_bytes"), "{}", text(&out));
    }
}
