//! Benchmarks of the hot paths and of scale, without a benchmark framework
//! (no extra build dependencies). Each stage runs in its own process so its
//! peak memory is its own; `bash bench/scale.sh` runs them all.
//!
//!   cargo bench --bench scale -- hash            # pictures/s, one core
//!   cargo bench --bench scale -- extract         # pages/s
//!   cargo bench --bench scale -- group 1000000   # hashes in near-duplicate families
//!   cargo bench --bench scale -- store 300000    # sightings stored, reports written
//!                                                # (300,000 pictures: ~100,000 exposures;
//!                                                # SCALE_KEEP_DB=FILE keeps its database)

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use exposure_audit::analysis::hash::{self, HashLimits};
use exposure_audit::model::{
    Context, ExposureImage, FoundVia, Picture, PictureMetadata, Risk, Sighting,
};
use exposure_audit::store::{
    ImageRecord, PageRecord, Record, RunClose, RunCounts, RunExposure, RunStatus, Store,
};

/// A small fast generator: the same data every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn peak_mib() -> u64 {
    exposure_audit::cli::peak_memory_kib()
        .unwrap_or(0)
        .div_ceil(1024)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let stage = args.first().map(String::as_str).unwrap_or("all");
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(0);
    match stage {
        "hash" => bench_hash(),
        "extract" => bench_extract(),
        "group" => bench_group(if n == 0 { 100_000 } else { n }),
        "store" => bench_store(if n == 0 { 100_000 } else { n }),
        "report" => bench_report(&args[1], &args[2], &args[3]),
        _ => {
            bench_hash();
            bench_extract();
            bench_group(100_000);
            bench_store(20_000);
        }
    }
}

fn fixtures() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/images");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

fn bench_hash() {
    let pictures = fixtures();
    let limits = HashLimits {
        max_pixels: 100_000_000,
    };
    let rounds = 10;
    let t = Instant::now();
    for _ in 0..rounds {
        for p in &pictures {
            std::hint::black_box(hash::phash_only(p, limits).unwrap());
        }
    }
    let phash = (rounds * pictures.len()) as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    for _ in 0..rounds {
        for p in &pictures {
            std::hint::black_box(hash::analyse(p, limits).unwrap());
        }
    }
    let full = (rounds * pictures.len()) as f64 / t.elapsed().as_secs_f64();
    println!("hash: {} fixture pictures x {rounds}: pHash {phash:.1}/s, full analysis (sha256, metadata, faces) {full:.1}/s, one core; peak {} MiB", pictures.len(), peak_mib());
}

fn bench_extract() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/site");
    let mut pages = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "html") {
                pages.push(std::fs::read(p).unwrap());
            }
        }
    }
    let base = url::Url::parse("https://school.example/").unwrap();
    let bytes: usize = pages.iter().map(Vec::len).sum();
    let rounds = 200;
    let t = Instant::now();
    let mut found = 0;
    for _ in 0..rounds {
        for p in &pages {
            found += exposure_audit::extract::html::extract(p, &base)
                .images
                .len();
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "extract: {} demo pages x {rounds}: {:.0} pages/s, {:.1} MB/s, {} pictures found; peak {} MiB",
        pages.len(),
        (rounds * pages.len()) as f64 / secs,
        (rounds * bytes) as f64 / secs / 1e6,
        found / rounds,
        peak_mib()
    );
}

/// `n` perceptual hashes in families of 1 to 5 near-duplicates (0 to 3 bits
/// apart), as resized and recompressed copies of one photograph are.
fn hashes(n: usize) -> Vec<(String, u64)> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let base = rng.next();
        let family = 1 + (rng.next() % 5) as usize;
        for _ in 0..family.min(n - out.len()) {
            let mut h = base;
            for _ in 0..rng.next() % 4 {
                h ^= 1 << (rng.next() % 64);
            }
            out.push((format!("{:064x}", out.len()), h));
        }
    }
    out
}

fn bench_group(n: usize) {
    let pictures = hashes(n);
    let t = Instant::now();
    let g = exposure_audit::group::group(&pictures, Default::default(), &[]);
    let secs = t.elapsed().as_secs_f64();
    println!(
        "group: {n} hashes into {} exposures in {secs:.2} s ({:.0} hashes/s), one core; peak {} MiB",
        g.new_exposures.len(),
        n as f64 / secs,
        peak_mib()
    );
}

fn bench_store(n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    let mut store = Store::open(&db).unwrap();
    let run = store.begin_run("2026-11-30T00:00:00Z").unwrap();
    let pictures = hashes(n);
    let mut batch = Vec::with_capacity(512);
    let mut written = 0usize;
    let t = Instant::now();
    let mut flush = |store: &mut Store, batch: &mut Vec<Record>| {
        store
            .write_batch(run, batch, "2026-11-30T00:00:00Z")
            .unwrap();
        written += batch.len();
        batch.clear();
    };
    // A verdict for each crawler of the bundled list, as an audit records
    // it for every sighting.
    let verdicts: std::sync::Arc<exposure_audit::model::RobotsVerdicts> = std::sync::Arc::new(
        exposure_audit::robots::crawlers(None)
            .unwrap()
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let verdict = if i % 3 == 0 {
                    exposure_audit::model::Verdict::Disallowed
                } else {
                    exposure_audit::model::Verdict::Allowed
                };
                (c.agent, verdict)
            })
            .collect(),
    );
    for (i, (sha, phash)) in pictures.iter().enumerate() {
        let page = format!("https://school.example/news/item-{}/", i / 10);
        let url =
            format!("https://school.example/wp-content/uploads/2026/11/picture-{i}-1024x683.jpg");
        if i % 10 == 0 {
            batch.push(Record::Page(PageRecord {
                source: "School website".into(),
                url: page.clone(),
                kind: "html".into(),
                status: Some(200),
                bytes: 40_000,
                ..PageRecord::default()
            }));
        }
        batch.push(Record::Picture(picture(i, sha, *phash)));
        batch.push(Record::Image(ImageRecord {
            url: url.clone(),
            status: Some(200),
            sha256: Some(sha.clone()),
            bytes: 120_000,
            ..ImageRecord::default()
        }));
        batch.push(Record::Sighting(
            Sighting {
                source: "School website".into(),
                page_url: page,
                image_url: url,
                found_via: FoundVia::Img,
                context: Context {
                    alt: Some(format!("Year {} sports day", i % 6 + 1)),
                    nearby_text: Some(
                        "Well done to everyone who took part in sports day this year.".into(),
                    ),
                    ..Context::default()
                },
                page_robots: Vec::new(),
                document_page: None,
            },
            verdicts.clone(),
        ));
        if batch.len() >= 512 {
            flush(&mut store, &mut batch);
        }
    }
    flush(&mut store, &mut batch);
    let insert = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let run_pictures = store.run_pictures(run).unwrap();
    let g = exposure_audit::group::group(&run_pictures, Default::default(), &[]);
    // Each exposure's picture summary from its copies, as an audit scores
    // it: one exposure's copies at a time.
    let index: HashMap<&str, usize> = pictures
        .iter()
        .enumerate()
        .map(|(i, (sha, _))| (sha.as_str(), i))
        .collect();
    let shas: Vec<String> = run_pictures
        .iter()
        .map(|(sha, _)| exposure_audit::model::digest_hex(sha))
        .collect();
    let assignments: Vec<(&str, &str)> = shas
        .iter()
        .enumerate()
        .map(|(i, sha)| (sha.as_str(), g.exposure(i)))
        .collect();
    let mut members: Vec<(&str, &str)> =
        assignments.iter().map(|(sha, exp)| (*exp, *sha)).collect();
    members.sort_unstable();
    let assessed: Vec<RunExposure> = members
        .chunk_by(|a, b| a.0 == b.0)
        .map(|group| {
            let copies: Vec<Picture> = group
                .iter()
                .map(|(_, sha)| {
                    let i = index[sha];
                    picture(i, &pictures[i].0, pictures[i].1)
                })
                .collect();
            RunExposure {
                exposure_id: group[0].0.to_string(),
                risk: Risk::Low,
                score: 25,
                reasons: vec![
                    exposure_audit::model::Reason::Faces,
                    exposure_audit::model::Reason::YearGroupNearby,
                ],
                details: Vec::new(),
                change: exposure_audit::model::Change::New,
                change_reasons: Vec::new(),
                image: Some(Box::new(ExposureImage::of(&copies))),
            }
        })
        .collect();
    store
        .close_run(
            run,
            &RunClose {
                new_exposures: &g.new_exposures,
                assignments: &assignments,
                assessed: &assessed,
                status: RunStatus::Complete,
                counts: RunCounts::default(),
                error: None,
                alerts: &[],
            },
            "2026-11-30T01:00:00Z",
        )
        .unwrap();
    let close = t.elapsed().as_secs_f64();
    drop(store);
    let size = std::fs::metadata(&db).unwrap().len()
        + std::fs::metadata(dir.path().join("bench.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    println!(
        "store: {n} pictures, {n} sightings ({written} records) in {insert:.2} s: {:.0} records/s, {:.0} sightings/s; grouped and closed in {close:.2} s; {:.0} KiB per 1,000 pictures; {} exposures; peak {} MiB",
        written as f64 / insert,
        n as f64 / insert,
        size as f64 / 1024.0 / (n as f64 / 1000.0),
        assessed.len(),
        peak_mib()
    );
    if let Ok(keep) = std::env::var("SCALE_KEEP_DB") {
        std::fs::copy(&db, &keep).unwrap();
    }
    // Each report in a process of its own, so its peak memory is its own.
    for format in ["json", "html", "csv"] {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "report",
                &db.display().to_string(),
                &run.to_string(),
                format,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
}

/// The analysis stored for the bench's picture `i`.
fn picture(i: usize, sha: &str, phash: u64) -> Picture {
    Picture {
        sha256: sha.to_string(),
        phash,
        width: 1024,
        height: 683,
        format: "jpeg".into(),
        bytes: 120_000,
        metadata: PictureMetadata::default(),
        faces: Some((i % 4) as u32),
        largest_face: Some(0.1),
        phash_mirror: None,
        phash_detail: None,
        thumbnail: None,
    }
}

/// Writes one stored run's report to a file, as `exposure-audit report
/// --output` does, streamed from the store.
fn bench_report(db: &str, run: &str, format: &str) {
    use exposure_audit::cli::Format;
    let f = match format {
        "json" => Format::Json,
        "html" => Format::Html,
        _ => Format::Csv,
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("report.{format}"));
    let t = Instant::now();
    exposure_audit::cli::report_to_file(Path::new(db), run, None, (f, false), &path).unwrap();
    println!(
        "report {format}: {:.1} MB in {:.2} s; peak {} MiB",
        std::fs::metadata(&path).unwrap().len() as f64 / 1e6,
        t.elapsed().as_secs_f64(),
        peak_mib()
    );
}
