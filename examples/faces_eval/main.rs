//! Precision and recall of face detectors on a labelled folder: a
//! `labels.csv` of `file,faces` lines (faces > 0: the picture has faces).
//! Compares what exposure-audit uses (SeetaFace, through rustface) with
//! OpenCV's LBP cascade (evaluated by `lbp.rs`), on the same pictures.
//! `bash bench/faces_lfw.sh` builds a folder from the LFW subset and the
//! fixture photographs and runs this.

mod lbp;

use std::path::PathBuf;

#[derive(Default)]
struct Tally {
    tp: u32,
    fp: u32,
    fn_: u32,
    tn: u32,
    faces_true: u32,
    faces_found: u32,
    /// Per face, on pictures whose face boxes are known.
    face_tp: u32,
    face_fp: u32,
    face_fn: u32,
    seconds: f64,
}

/// Matches detections (x, y, size) to the true boxes: a detection whose
/// centre is inside a true face and whose size is within half to twice it.
fn match_faces(truth: &[(i32, i32, i32)], found: &[(i32, i32, i32)]) -> (u32, u32, u32) {
    let mut used = vec![false; truth.len()];
    let mut tp = 0;
    for &(x, y, s) in found {
        let (cx, cy) = (x + s / 2, y + s / 2);
        let hit = truth.iter().enumerate().position(|(i, &(tx, ty, ts))| {
            !used[i]
                && cx >= tx
                && cx <= tx + ts
                && cy >= ty
                && cy <= ty + ts
                && s * 2 >= ts
                && s <= ts * 2
        });
        if let Some(i) = hit {
            used[i] = true;
            tp += 1;
        }
    }
    (tp, found.len() as u32 - tp, truth.len() as u32 - tp)
}

impl Tally {
    fn add(&mut self, truth: u32, found: u32) {
        match (truth > 0, found > 0) {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (true, false) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
        self.faces_true += truth;
        self.faces_found += found.min(truth);
    }

    fn add_boxes(&mut self, truth: &[(i32, i32, i32)], found: &[(i32, i32, i32)]) {
        let (tp, fp, fn_) = match_faces(truth, found);
        self.face_tp += tp;
        self.face_fp += fp;
        self.face_fn += fn_;
    }

    fn line(&self, name: &str) -> String {
        let p = f64::from(self.tp) / f64::from((self.tp + self.fp).max(1));
        let r = f64::from(self.tp) / f64::from((self.tp + self.fn_).max(1));
        let fp_ = f64::from(self.face_tp) / f64::from((self.face_tp + self.face_fp).max(1));
        let fr = f64::from(self.face_tp) / f64::from((self.face_tp + self.face_fn).max(1));
        // Per face by count: faces found, at most the labelled number, over
        // the labelled number (no boxes needed).
        let counted = f64::from(self.faces_found) / f64::from(self.faces_true.max(1));
        format!(
            "| {name} | {} | {} | {} | {} | {p:.2} | {r:.2} | {} / {} = {counted:.2} | {} found, {} false, {} missed: {fp_:.2} / {fr:.2} | {:.1} |",
            self.tp, self.fn_, self.fp, self.tn, self.faces_found, self.faces_true, self.face_tp, self.face_fp, self.face_fn, self.seconds
        )
    }
}

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).expect("usage: faces_eval FOLDER"));
    let labels = std::fs::read_to_string(dir.join("labels.csv")).expect("labels.csv");
    let cascade = lbp::Cascade::parse(
        &std::fs::read_to_string(std::env::var("LBP_CASCADE").unwrap_or_else(|_| {
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/models/lbpcascade_frontalface_opencv.xml"
            )
            .into()
        }))
        .expect("the LBP cascade XML (set LBP_CASCADE)"),
    );
    let (mut seeta, mut lbp_t) = (Tally::default(), Tally::default());
    let (mut ultra, mut both) = (Tally::default(), Tally::default());
    // NO_LBP=1 leaves the (slow) LBP cascade out.
    let with_lbp = std::env::var_os("NO_LBP").is_none();
    // GREY=1 gives UltraFace the grey picture, as the audit does when a
    // decoder has no colour (a grey JPEG, a PDF's image).
    let grey_only = std::env::var_os("GREY").is_some();
    let only = std::env::var("ONLY").ok();
    // DUMP=FILE writes `file,labelled,seetaface` per picture, to combine
    // with bench/faces_cnn's dump (bench/real_corpus/faces_combined.py).
    // Real pictures' file names can name children: private to the user.
    let mut dump = std::env::var("DUMP").ok().map(|p| {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(p)
            .expect("the DUMP file")
    });
    for line in labels.lines().filter(|l| !l.trim().is_empty()) {
        let mut cols = line.split(',');
        let (file, faces) = (cols.next().expect("file"), cols.next().expect("faces"));
        let boxes: Vec<(i32, i32, i32)> = cols
            .next()
            .unwrap_or_default()
            .split(';')
            .filter(|b| !b.is_empty())
            .map(|b| {
                let v: Vec<i32> = b.split(':').map(|n| n.parse().expect("x:y:size")).collect();
                (v[0], v[1], v[2])
            })
            .collect();
        if only.as_deref().is_some_and(|o| !file.starts_with(o)) {
            continue;
        }
        let truth: u32 = faces.trim().parse().expect("a count");
        // The grey the audit's decoders give (JPEG's BT.601 luma).
        let picture = image::open(dir.join(file)).expect("a picture");
        // The colour the audit's decoders give UltraFace: transparency over
        // white, the long side at most DETECT_SIDE (below).
        let rgb = exposure_audit::analysis::hash::to_rgb(&picture);
        let grey = exposure_audit::analysis::hash::to_grey(picture);
        // At the size the audit detects at: the long side at most DETECT_SIDE.
        let side = exposure_audit::analysis::hash::DETECT_SIDE;
        let grey = if grey.width().max(grey.height()) > side {
            let k = f64::from(side) / f64::from(grey.width().max(grey.height()));
            image::imageops::resize(
                &grey,
                ((f64::from(grey.width()) * k).round() as u32).max(1),
                ((f64::from(grey.height()) * k).round() as u32).max(1),
                image::imageops::FilterType::Triangle,
            )
        } else {
            grey
        };
        let t = std::time::Instant::now();
        let found: Vec<(i32, i32, i32)> = exposure_audit::analysis::faces::boxes(&grey)
            .into_iter()
            .map(|(x, y, w, _)| (x, y, w as i32))
            .collect();
        seeta.seconds += t.elapsed().as_secs_f64();
        seeta.add(truth, found.len() as u32);
        if let Some(d) = dump.as_mut() {
            use std::io::Write;
            writeln!(d, "{file},{truth},{}", found.len()).expect("writing the DUMP file");
        }
        let rgb =
            exposure_audit::analysis::faces::Colour::rgb(if rgb.width().max(rgb.height()) > side {
                let (w, h) = grey.dimensions();
                image::imageops::thumbnail(&rgb, w, h)
            } else {
                rgb
            });
        let t = std::time::Instant::now();
        let colour = (!grey_only).then_some(&rgb);
        let cnn = exposure_audit::analysis::faces::cnn_faces(&grey, colour);
        ultra.seconds += t.elapsed().as_secs_f64();
        ultra.add(truth, cnn.iter().filter(|f| f.score >= 0.7).count() as u32);
        let t = std::time::Instant::now();
        both.add(
            truth,
            exposure_audit::analysis::faces::detect(&grey, colour).count,
        );
        both.seconds += t.elapsed().as_secs_f64();
        if !with_lbp {
            continue;
        }
        let t = std::time::Instant::now();
        let found_lbp: Vec<(i32, i32, i32)> = cascade
            .detect(&grey, 3)
            .into_iter()
            .map(|(x, y, s)| (x as i32, y as i32, s as i32))
            .collect();
        lbp_t.seconds += t.elapsed().as_secs_f64();
        lbp_t.add(truth, found_lbp.len() as u32);
        if !boxes.is_empty() || truth == 0 {
            seeta.add_boxes(&boxes, &found);
            lbp_t.add_boxes(&boxes, &found_lbp);
        }
    }
    println!("per picture: found = has faces and some were found");
    println!("| detector | found | missed | false | correctly empty | precision | recall | per face by count: recall | per face (pictures with known boxes): precision / recall | seconds |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    println!("{}", seeta.line("SeetaFace (rustface) alone"));
    println!(
        "{}",
        ultra.line("UltraFace RFB-640 at 0.7 (crates/ultraface)")
    );
    println!("{}", both.line("SeetaFace and UltraFace together, in use"));
    if with_lbp {
        println!("{}", lbp_t.line("OpenCV LBP cascade"));
    }
}
