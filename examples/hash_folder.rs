//! Hashes every picture in a folder on N threads and prints pictures per
//! second: the perceptual hash alone (bounded decode, orientation, pHash),
//! or with `--full` the whole analysis an audit runs per picture (sha256,
//! metadata, pHash, face detection). Used by bench/hash_compare.sh.
//!
//!   cargo run --release --example hash_folder -- DIR [THREADS] [--full] [--print]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use exposure_audit::analysis::{analyse, hash::phash_only, HashLimits};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = args
        .get(1)
        .expect("usage: hash_folder DIR [THREADS] [--print]");
    let threads: usize = args.get(2).and_then(|t| t.parse().ok()).unwrap_or(1);
    let print = args.iter().any(|a| a == "--print");
    let full = args.iter().any(|a| a == "--full");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    // Read everything first: the benchmark measures analysis, not the disk.
    let data: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(p).unwrap(),
            )
        })
        .collect();
    let next = AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((name, bytes)) = data.get(i) else {
                    break;
                };
                let limits = HashLimits {
                    max_pixels: 200_000_000,
                };
                // With --full, what face detection found too, so two builds
                // can be checked to find the same faces (--print).
                let h = if full {
                    analyse(bytes, limits)
                        .map(|p| (p.phash, format!(" {:?} {:?}", p.faces, p.largest_face)))
                } else {
                    phash_only(bytes, limits).map(|h| (h, String::new()))
                };
                let (h, faces) = match h {
                    Ok(found) => found,
                    // A folder of real pictures has some no decoder takes.
                    Err(e) if print => (0, format!(" error: {e}")),
                    Err(e) => panic!("{name}: {e}"),
                };
                results.lock().unwrap().push((name.clone(), h, faces));
            });
        }
    });
    let secs = start.elapsed().as_secs_f64();
    if print {
        let mut r = results.into_inner().unwrap();
        r.sort();
        for (name, h, faces) in r {
            println!("{name} {h:016x}{faces}");
        }
    }
    eprintln!(
        "exposure-audit: {} pictures in {secs:.2} s on {threads} thread(s): {:.1} pictures/s",
        data.len(),
        data.len() as f64 / secs
    );
    println!("RATE {:.2}", data.len() as f64 / secs);
}
