use super::*;
use crate::model::Verdict;

#[test]
fn migrations_validate() {
    migrations().validate().expect("migrations are valid");
}

#[test]
fn history_gives_the_latest_usable_fetch_of_an_earlier_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let mut store = Store::open(&path).unwrap();
    let page = |etag: &str, extract: Option<&str>| {
        Record::Page(PageRecord {
            url: "https://s/news/".into(),
            kind: "html".into(),
            status: Some(200),
            etag: Some(etag.into()),
            extract: extract.map(str::to_string),
            ..PageRecord::default()
        })
    };
    let image = |etag: &str, sha: Option<&str>| {
        Record::Image(ImageRecord {
            url: "https://s/a.jpg".into(),
            status: Some(200),
            etag: Some(etag.into()),
            sha256: sha.map(str::to_string),
            ..ImageRecord::default()
        })
    };
    store
        .conn
        .execute_batch(
            "INSERT INTO pictures (sha256, phash, width, height, format, bytes, metadata, analysed_at)
             VALUES ('aa', '0000000000000000', 1, 1, 'jpeg', 1, '{}', 't'),
                    ('bb', '0000000000000000', 1, 1, 'jpeg', 1, '{}', 't')",
        )
        .unwrap();
    for (etag, extract, sha) in [("one", Some("{}"), Some("aa")), ("two", None, None)] {
        let run = store.begin_run("t").unwrap();
        store
            .write_batch(run, &[page(etag, extract), image(etag, sha)], "t")
            .unwrap();
    }
    // The run now crawling has fetched both again already.
    let now = store.begin_run("t").unwrap();
    store
        .write_batch(
            now,
            &[page("three", Some("{}")), image("three", Some("bb"))],
            "t",
        )
        .unwrap();
    let history = History::open(&path, now).unwrap();
    // Run two's fetches failed (no extraction, no picture): run one's stand.
    let p = history.page("html", "https://s/news/").unwrap();
    assert_eq!(
        (p.etag.as_deref(), p.payload.as_deref()),
        (Some("one"), Some("{}"))
    );
    let i = history.image("https://s/a.jpg").unwrap();
    assert_eq!(
        (i.etag.as_deref(), i.payload.as_deref()),
        (Some("one"), Some("aa"))
    );
    assert!(history.page("sitemap", "https://s/news/").is_none());
    assert!(history.image("https://s/b.jpg").is_none());
}

#[test]
fn a_run_that_carries_every_exposure_is_looked_up_in_batches() {
    // More exposures than SQLite takes values in one query (32,766).
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
    let ids: Vec<String> = (0..40_000).map(|i| format!("exp-{i:016x}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    assert!(store.last_seen_occurrences(2, &ids).unwrap().is_empty());
    assert!(store.run_exposures_of(2, &ids).unwrap().is_empty());
    assert!(store.pictures_of(&ids).unwrap().is_empty());
}

#[test]
fn verdicts_stored_with_each_sighting_move_to_shared_maps() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    // A run as version 8 stored it: each sighting with its own verdicts.
    let mut conn = Connection::open(&path).unwrap();
    migrations().to_version(&mut conn, 8).unwrap();
    conn.execute_batch(
        r#"INSERT INTO runs (id, started_at, status) VALUES (1, 't', 'complete');
           INSERT INTO pictures (sha256, phash, width, height, format, bytes, metadata, analysed_at)
             VALUES ('aa', '0000000000000000', 10, 10, 'jpeg', 1, '{}', 't');
           INSERT INTO images (run_id, url, sha256, fetched_at) VALUES (1, 'https://s/a.jpg', 'aa', 't');
           INSERT INTO exposures (id, phash, first_run_id, first_seen_at)
             VALUES ('exp-1', '0000000000000000', 1, 't');
           INSERT INTO run_pictures (run_id, sha256, exposure_id) VALUES (1, 'aa', 'exp-1');
           INSERT INTO sightings (run_id, source, page_url, image_url, found_via, context, robots) VALUES
             (1, 'Site', 'https://s/1', 'https://s/a.jpg', 'img', '{}', '{"GPTBot":"allowed"}'),
             (1, 'Site', 'https://s/2', 'https://s/a.jpg', 'img', '{}', '{"GPTBot":"allowed"}'),
             (1, 'Site', 'https://s/3', 'https://s/a.jpg', 'img', '{}', '{"GPTBot":"disallowed"}');"#,
    )
    .unwrap();
    drop(conn);
    let mut store = Store::open(&path).unwrap();
    let verdict = |store: &Store, page: &str| {
        store
            .occurrences(1)
            .unwrap()
            .into_iter()
            .find(|o| o.page_url == page)
            .map(|o| o.robots["GPTBot"])
    };
    assert_eq!(
        verdict(&store, "https://s/1").as_ref(),
        Some(&Verdict::Allowed)
    );
    assert_eq!(
        verdict(&store, "https://s/2").as_ref(),
        Some(&Verdict::Allowed)
    );
    assert_eq!(
        verdict(&store, "https://s/3").as_ref(),
        Some(&Verdict::Disallowed)
    );
    let maps = |store: &Store| -> i64 {
        store
            .conn
            .query_row("SELECT COUNT(*) FROM verdict_maps", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(maps(&store), 2);

    // New sightings, in two batches: a map already stored is found, a
    // new one added once.
    let allowed: Arc<RobotsVerdicts> = Arc::new([("GPTBot".into(), Verdict::Allowed)].into());
    let other: Arc<RobotsVerdicts> = Arc::new([("CCBot".into(), Verdict::Allowed)].into());
    let sighting = |page: &str, v: &Arc<RobotsVerdicts>| {
        Record::Sighting(
            crate::model::Sighting {
                source: "Site".into(),
                page_url: page.into(),
                image_url: "https://s/a.jpg".into(),
                found_via: FoundVia::Img,
                context: Context::default(),
                page_robots: Vec::new(),
                document_page: None,
            },
            v.clone(),
        )
    };
    store
        .write_batch(
            1,
            &[
                sighting("https://s/4", &allowed),
                sighting("https://s/5", &other),
            ],
            "t",
        )
        .unwrap();
    store
        .write_batch(1, &[sighting("https://s/6", &other)], "t")
        .unwrap();
    assert_eq!(maps(&store), 3);
    assert_eq!(
        verdict(&store, "https://s/4").as_ref(),
        Some(&Verdict::Allowed)
    );
    let ccbot = |page: &str| {
        store
            .occurrences(1)
            .unwrap()
            .into_iter()
            .find(|o| o.page_url == page)
            .map(|o| o.robots.get("CCBot").copied())
    };
    assert_eq!(ccbot("https://s/6"), Some(Some(Verdict::Allowed)));
}

#[cfg(unix)]
#[test]
fn database_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/db.sqlite");
    let store = Store::open(&path).unwrap();
    assert!(store.integrity_ok().unwrap());
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let dmode = std::fs::metadata(path.parent().unwrap())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dmode, 0o700);
}

#[test]
fn running_runs_become_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
    let id = store.begin_run("2026-01-01T00:00:00Z").unwrap();
    assert_eq!(store.mark_interrupted("2026-01-01T01:00:00Z").unwrap(), 1);
    assert_eq!(
        store.run(id).unwrap().unwrap().status,
        RunStatus::Interrupted
    );
    assert_eq!(store.mark_interrupted("2026-01-01T01:00:00Z").unwrap(), 0);
}

#[test]
fn a_change_by_hand_waits_for_an_audit_closing_its_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    drop(Store::open(&path).unwrap());
    // Another process writes for longer than an audit's 5 s wait, as a
    // closing run of a large site does.
    let holder = Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let writing = std::time::Duration::from_secs(6);
    let release = std::thread::spawn(move || {
        std::thread::sleep(writing);
        holder.execute_batch("COMMIT").unwrap();
    });
    let started = std::time::Instant::now();
    let mut store = Store::open_for_edit(&path).unwrap();
    store.purge(1, "2026-11-30T00:00:00Z").unwrap();
    assert!(
        started.elapsed()
            >= writing
                .checked_sub(std::time::Duration::from_millis(500))
                .unwrap()
    );
    release.join().unwrap();
    // A plain open still gives up after five seconds.
    let holder = Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let mut store = Store::open(&path).unwrap();
    assert!(store.purge(1, "2026-11-30T00:00:00Z").is_err());
}

/// Issue 17: a stored value the vocabulary or format does not know is an
/// error that names it, never a default (a bad phash was 0, an unknown
/// reason would have been kept as text; the schema's CHECKs already refuse an
/// unknown run status or risk).
#[test]
fn unknown_stored_values_are_errors_not_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let store = Store::open(&path).unwrap();
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "INSERT INTO runs (id, started_at, status) VALUES (2, 't', 'complete');
         INSERT INTO exposures (id, phash, first_run_id, first_seen_at) VALUES ('exp-1', 'not-hex', 2, 't');
         INSERT INTO run_exposures (run_id, exposure_id, risk, score, reasons, details, change)
           VALUES (2, 'exp-1', 'low', 10, '[\"made_up_reason\"]', '[]', 'new');",
    )
    .unwrap();
    let phash = store.known_exposures().unwrap_err().to_string();
    assert!(
        phash.contains("not a perceptual hash: \"not-hex\""),
        "{phash}"
    );
    let reason = store
        .run_exposures_of(2, &["exp-1"])
        .unwrap_err()
        .to_string();
    assert!(
        reason.contains("unknown reason \"made_up_reason\""),
        "{reason}"
    );
}
