//! UltraFace on a labelled folder (`labels.csv` of `file,faces[,boxes]`
//! lines, as `bench/real_corpus/faces.py` writes them): per-picture
//! precision and recall and per-face recall by count, in the table shape
//! `examples/faces_eval` prints for SeetaFace and OpenCV's LBP cascade.
//!
//!     cargo run --release --manifest-path bench/faces_cnn/Cargo.toml -- \
//!         bench/out/real-faces/heldout MODEL.onnx
//!
//! MODEL is `models/onnx/version-RFB-640.onnx` (or `-320`) of
//! github.com/Linzaer/Ultra-Light-Fast-Generic-Face-Detector-1MB (MIT): the
//! exported model with its box decoding, input 1x3xHxW RGB scaled
//! (v - 127) / 128, outputs scores (1xNx2) and corner boxes (1xNx4, 0..1).
//! Each threshold in THRESHOLDS gives a row; boxes overlapping by IoU > 0.3
//! are one face (the authors' setting).

use std::path::PathBuf;
use std::time::Instant;

use tract_onnx::prelude::*;

const THRESHOLDS: &[f32] = &[0.5, 0.6, 0.7, 0.8, 0.9];

#[derive(Default, Clone)]
struct Tally {
    tp: u32,
    fp: u32,
    fn_: u32,
    tn: u32,
    faces_true: u32,
    faces_found: u32,
}

fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = w * h;
    let area = |r: &[f32; 4]| (r[2] - r[0]).max(0.0) * (r[3] - r[1]).max(0.0);
    inter / (area(a) + area(b) - inter).max(1e-6)
}

/// Faces at a threshold: greedy non-maximum suppression.
fn faces(scored: &[(f32, [f32; 4])], threshold: f32) -> usize {
    let mut kept: Vec<[f32; 4]> = Vec::new();
    for (s, b) in scored {
        if *s < threshold {
            break;
        }
        if kept.iter().all(|k| iou(k, b) <= 0.3) {
            kept.push(*b);
        }
    }
    kept.len()
}

fn main() -> TractResult<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("usage: faces_cnn FOLDER MODEL.onnx"));
    let model_path = args.next().expect("usage: faces_cnn FOLDER MODEL.onnx");
    let (w, h) = if model_path.contains("640") { (640usize, 480usize) } else { (320, 240) };
    let model = tract_onnx::onnx()
        .model_for_path(&model_path)?
        .with_input_fact(0, f32::fact([1, 3, h, w]).into())?
        .into_optimized()?
        .into_runnable()?;
    let labels = std::fs::read_to_string(dir.join("labels.csv"))?;
    let mut tallies = vec![Tally::default(); THRESHOLDS.len()];
    let mut seconds = 0.0f64;
    let mut pictures = 0;
    // LIST_AT=0.7 lists the pictures a threshold gets wrong.
    let list_at: Option<f32> = std::env::var("LIST_AT").ok().and_then(|v| v.parse().ok());
    // DUMP=FILE writes `file,labelled,found at each threshold` per picture.
    // Real pictures' file names can name children: private to the user.
    let mut dump = std::env::var("DUMP").ok().map(|p| {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(p).expect("DUMP file")
    });
    for line in labels.lines().filter(|l| !l.trim().is_empty()) {
        let mut cols = line.split(',');
        let (file, truth) = (cols.next().unwrap(), cols.next().unwrap());
        let truth: u32 = truth.trim().parse()?;
        let Ok(img) = image::open(dir.join(file)) else {
            eprintln!("{file}: not decodable here, left out");
            continue;
        };
        let t = Instant::now();
        let rgb = image::imageops::resize(
            &img.to_rgb8(),
            w as u32,
            h as u32,
            image::imageops::FilterType::Triangle,
        );
        let input: Tensor = tract_ndarray::Array4::from_shape_fn((1, 3, h, w), |(_, c, y, x)| {
            (f32::from(rgb.get_pixel(x as u32, y as u32)[c]) - 127.0) / 128.0
        })
        .into();
        let out = model.run(tvec!(input.into()))?;
        let scores = out[0].to_plain_array_view::<f32>()?;
        let boxes = out[1].to_plain_array_view::<f32>()?;
        let n = scores.shape()[1];
        let mut scored: Vec<(f32, [f32; 4])> = (0..n)
            .map(|i| {
                (
                    scores[[0, i, 1]],
                    [boxes[[0, i, 0]], boxes[[0, i, 1]], boxes[[0, i, 2]], boxes[[0, i, 3]]],
                )
            })
            .filter(|(s, _)| *s >= THRESHOLDS[0])
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        seconds += t.elapsed().as_secs_f64();
        pictures += 1;
        if let Some(th) = list_at {
            let found = faces(&scored, th) as u32;
            if (found > 0) != (truth > 0) || found < truth {
                eprintln!("{file}: labelled {truth}, found {found}");
            }
        }
        if let Some(d) = dump.as_mut() {
            use std::io::Write;
            let counts: Vec<String> = THRESHOLDS.iter().map(|&th| faces(&scored, th).to_string()).collect();
            writeln!(d, "{file},{truth},{}", counts.join(",")).expect("writing DUMP");
        }
        for (k, &th) in THRESHOLDS.iter().enumerate() {
            let found = faces(&scored, th) as u32;
            let t = &mut tallies[k];
            match (truth > 0, found > 0) {
                (true, true) => t.tp += 1,
                (false, true) => t.fp += 1,
                (true, false) => t.fn_ += 1,
                (false, false) => t.tn += 1,
            }
            t.faces_true += truth;
            t.faces_found += found.min(truth);
        }
    }
    println!("{pictures} pictures, {seconds:.1} s of detection (resize and network, one thread)");
    println!("| detector | found | missed | false | correctly empty | precision | recall | per face by count: recall |");
    println!("|---|---|---|---|---|---|---|---|");
    for (t, th) in tallies.iter().zip(THRESHOLDS) {
        let p = f64::from(t.tp) / f64::from((t.tp + t.fp).max(1));
        let r = f64::from(t.tp) / f64::from((t.tp + t.fn_).max(1));
        let c = f64::from(t.faces_found) / f64::from(t.faces_true.max(1));
        println!(
            "| UltraFace {}x{} at {th} | {} | {} | {} | {} | {p:.2} | {r:.2} | {} / {} = {c:.2} |",
            w, h, t.tp, t.fn_, t.fp, t.tn, t.faces_found, t.faces_true
        );
    }
    Ok(())
}
