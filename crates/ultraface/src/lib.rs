//! UltraFace: a small CNN face detector (Ultra-Light-Fast-Generic-Face-
//! Detector-1MB by Linzaer, MIT licence, `model/LICENSE`), its RFB network
//! trained at 640x480, run by hand-written convolutions ([`net`]) over the
//! weight file `convert.py` made from the authors' ONNX export. About 400
//! million multiply-adds at 640x480; the weights (1.1 MB) are embedded.
//!
//! A picture at least 640 wide or 480 high is resized to 640x480
//! whatever its shape (as the authors do); a smaller one is looked at as
//! it is ([`input_size`]). It is scaled to (v - 127) / 128, and run through the network; each of
//! the 17,640 prior boxes gets a face score and offsets, decoded as the
//! authors decode them, and boxes overlapping a higher-scored one by more
//! than 0.3 (intersection over union) are dropped.

#![warn(clippy::pedantic)]
// Pixel and index arithmetic on sizes bounded when the weight file is read
// and the picture is resized: `as` reads plainer than a try_from whose
// error cannot happen.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss
)]
// Convolution code names its sizes as the papers do (c, h, w, k, s, p);
// the errors are one type whose message says what is wrong; doc comments
// are prose that names the model as its authors write it.
#![allow(
    clippy::many_single_char_names,
    clippy::similar_names,
    clippy::missing_errors_doc,
    clippy::missing_panics_doc,
    clippy::must_use_candidate,
    clippy::doc_markdown
)]

pub mod net;

use std::sync::OnceLock;

pub use net::{FormatError, Network, Tensor};

static MODEL: &[u8] = include_bytes!("../model/rfb640.bin");

/// The network's input width and height for a picture at least this
/// large either way (its training size; a picture of another shape is
/// stretched to it, as the authors do).
pub const INPUT: (usize, usize) = (640, 480);
/// The input size for a `width x height` picture: [`INPUT`], or for a
/// picture smaller than that both ways its own size. The network's cost
/// is in proportion to the input's area, so a thumbnail costs a fraction
/// of a photograph; on the real corpus's tune pictures looking at small
/// ones as they are finds as many faces as stretching them to 640x480
/// or enlarging them to 160, 240 or 320 on the long side (docs/faces.md).
pub fn input_size(width: usize, height: usize) -> (usize, usize) {
    if width >= INPUT.0 || height >= INPUT.1 || width == 0 || height == 0 {
        return INPUT;
    }
    (width, height)
}

/// Strides of the four feature maps the heads read.
const STRIDES: [usize; 4] = [8, 16, 32, 64];
/// Prior box sizes at each level, in input pixels (the authors').
const MIN_BOXES: [&[f32]; 4] = [
    &[10.0, 16.0, 24.0],
    &[32.0, 48.0],
    &[64.0, 96.0],
    &[128.0, 192.0, 256.0],
];
const CENTER_VARIANCE: f32 = 0.1;
const SIZE_VARIANCE: f32 = 0.2;
/// Boxes overlapping more than this are one face (the authors' setting).
const NMS_OVERLAP: f32 = 0.3;

/// A face found: its score (0..1) and its box as fractions of the
/// picture's width and height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Face {
    pub score: f32,
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

/// The embedded network, read once.
pub fn network() -> &'static Network {
    static NET: OnceLock<Network> = OnceLock::new();
    NET.get_or_init(|| Network::from_bytes(MODEL).expect("the embedded UltraFace weights are read"))
}

/// How the three bytes of a pixel are to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pixels {
    Rgb,
    /// JPEG's YCbCr (JFIF: full range, BT.601), as a JPEG decoder gives it
    /// before converting: converted here after the resize, on 640 x 480
    /// pixels rather than the decoded picture's.
    YCbCr,
}

/// Faces scored `min_score` or more in an interleaved 3-byte picture
/// (`width x height x 3` bytes), best first.
pub fn detect_pixels(
    pixels: &[u8],
    kind: Pixels,
    width: usize,
    height: usize,
    min_score: f32,
) -> Vec<Face> {
    if width == 0 || height == 0 || pixels.len() < width * height * 3 {
        return Vec::new();
    }
    detect(
        network(),
        input_from_pixels(pixels, kind, width, height),
        min_score,
    )
}

/// [`detect_pixels`] for an RGB picture.
pub fn detect_rgb(rgb: &[u8], width: usize, height: usize, min_score: f32) -> Vec<Face> {
    detect_pixels(rgb, Pixels::Rgb, width, height, min_score)
}

/// The network's input made from an interleaved 3-byte picture: resized
/// to [`input_size`] with a triangle filter as wide as the scale (so a
/// large picture is averaged, not sampled), in RGB scaled to
/// (v - 127) / 128, CHW.
pub fn input_from_pixels(rgb: &[u8], kind: Pixels, width: usize, height: usize) -> Tensor {
    let (w, h) = input_size(width, height);
    let xs = weights(width, w);
    let ys = weights(height, h);
    let mut data = vec![0.0f32; 3 * h * w];
    // Down the columns first, a whole row at a time (the loop the compiler
    // vectorises), then along the row: the second pass runs on the `h`
    // rows made, not on the picture's own.
    let mut row = vec![0.0f32; width * 3];
    for (oy, (first, ws)) in ys.iter().enumerate() {
        row.fill(0.0);
        for (i, &k) in ws.iter().enumerate() {
            let src = &rgb[(first + i) * width * 3..(first + i + 1) * width * 3];
            for (r, &v) in row.iter_mut().zip(src) {
                *r += k * f32::from(v);
            }
        }
        for (ox, (first, ws)) in xs.iter().enumerate() {
            let mut acc = [0.0f32; 3];
            for (i, &k) in ws.iter().enumerate() {
                let p = &row[(first + i) * 3..(first + i) * 3 + 3];
                for c in 0..3 {
                    acc[c] += k * p[c];
                }
            }
            if kind == Pixels::YCbCr {
                let (y, cb, cr) = (acc[0], acc[1] - 128.0, acc[2] - 128.0);
                acc = [
                    y + 1.402 * cr,
                    y - 0.344_136 * cb - 0.714_136 * cr,
                    y + 1.772 * cb,
                ]
                .map(|v| v.clamp(0.0, 255.0));
            }
            for c in 0..3 {
                data[(c * h + oy) * w + ox] = (acc[c] - 127.0) / 128.0;
            }
        }
    }
    Tensor { c: 3, h, w, data }
}

/// For each output pixel of a resize from `from` to `to`: the first
/// source pixel it reads and the weights (summing to 1) of the pixels
/// from there.
fn weights(from: usize, to: usize) -> Vec<(usize, Vec<f32>)> {
    let scale = from as f32 / to as f32;
    let support = scale.max(1.0);
    (0..to)
        .map(|o| {
            let centre = (o as f32 + 0.5) * scale;
            let lo = ((centre - support).floor().max(0.0)) as usize;
            let hi = ((centre + support).ceil() as usize).min(from);
            let mut ws: Vec<f32> = (lo..hi)
                .map(|i| (1.0 - ((i as f32 + 0.5 - centre) / support).abs()).max(0.0))
                .collect();
            let sum: f32 = ws.iter().sum();
            if sum > 0.0 {
                for v in &mut ws {
                    *v /= sum;
                }
            } else {
                let nearest = (centre as usize).min(from - 1);
                return (nearest, vec![1.0]);
            }
            (lo, ws)
        })
        .collect()
}

/// Runs the network on a prepared input and decodes its faces.
pub fn detect(net: &Network, input: Tensor, min_score: f32) -> Vec<Face> {
    let (iw, ih) = (input.w as f32, input.h as f32);
    let Ok(outputs) = net.run(input) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for level in 0..STRIDES.len() {
        let head = |boxes: bool| {
            net.heads
                .iter()
                .zip(&outputs)
                .find(|(h, _)| h.level == level && h.boxes == boxes)
                .map(|(_, t)| t)
        };
        let (Some(scores), Some(offsets)) = (head(false), head(true)) else {
            continue;
        };
        let sizes = MIN_BOXES[level];
        let (fh, fw) = (scores.h, scores.w);
        if scores.c != sizes.len() * 2
            || offsets.c != sizes.len() * 4
            || (offsets.h, offsets.w) != (fh, fw)
        {
            continue;
        }
        let stride = STRIDES[level] as f32;
        let plane = fh * fw;
        for j in 0..fh {
            for i in 0..fw {
                let at = j * fw + i;
                for (a, &size) in sizes.iter().enumerate() {
                    let (l0, l1) = (
                        scores.data[2 * a * plane + at],
                        scores.data[(2 * a + 1) * plane + at],
                    );
                    let score = 1.0 / (1.0 + (l0 - l1).exp());
                    if score < min_score {
                        continue;
                    }
                    let clamp = |v: f32| v.clamp(0.0, 1.0);
                    let (pcx, pcy) = (
                        clamp((i as f32 + 0.5) * stride / iw),
                        clamp((j as f32 + 0.5) * stride / ih),
                    );
                    let (pw, ph) = (clamp(size / iw), clamp(size / ih));
                    let o = |q: usize| offsets.data[(4 * a + q) * plane + at];
                    let cx = o(0) * CENTER_VARIANCE * pw + pcx;
                    let cy = o(1) * CENTER_VARIANCE * ph + pcy;
                    let bw = (o(2) * SIZE_VARIANCE).exp() * pw;
                    let bh = (o(3) * SIZE_VARIANCE).exp() * ph;
                    found.push(Face {
                        score,
                        x0: clamp(cx - bw / 2.0),
                        y0: clamp(cy - bh / 2.0),
                        x1: clamp(cx + bw / 2.0),
                        y1: clamp(cy + bh / 2.0),
                    });
                }
            }
        }
    }
    suppress(found)
}

/// Overlap of two boxes: intersection over union.
pub fn overlap(a: &Face, b: &Face) -> f32 {
    let w = (a.x1.min(b.x1) - a.x0.max(b.x0)).max(0.0);
    let h = (a.y1.min(b.y1) - a.y0.max(b.y0)).max(0.0);
    let inter = w * h;
    let area = |f: &Face| (f.x1 - f.x0).max(0.0) * (f.y1 - f.y0).max(0.0);
    inter / (area(a) + area(b) - inter).max(1e-6)
}

/// Greedy non-maximum suppression, best first.
fn suppress(mut found: Vec<Face>) -> Vec<Face> {
    found.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Face> = Vec::new();
    for f in found {
        if kept.iter().all(|k| overlap(k, &f) <= NMS_OVERLAP) {
            kept.push(f);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The heads for a synthetic input, as ONNX Runtime 1.23 computes them
    /// from the authors' `version-RFB-640.onnx` with the head convolutions
    /// added as outputs: (level, boxes, sum of the tensor, values at flat
    /// CHW indices). The input is `sin(0.05 x + 0.07 y + 1.3 c) * 0.9`.
    /// `python3 crates/ultraface/reference.py version-RFB-640.onnx` prints
    /// this table (its float64 sums may differ in the last digit).
    type Reference = (usize, bool, f32, [(usize, f32); 4]);
    const REFERENCE: [Reference; 8] = [
        (
            0,
            false,
            47.83,
            [
                (0, 1.1681),
                (9600, 1.173),
                (14400, -1.1674),
                (28799, -1.1657),
            ],
        ),
        (
            0,
            true,
            1.786e+04,
            [
                (0, -0.18014),
                (19200, -0.24238),
                (28800, -1.2772),
                (57599, 0.35782),
            ],
        ),
        (
            1,
            false,
            9.558,
            [(0, 1.2478), (1600, -1.1774), (2400, 1.3485), (4799, -1.355)],
        ),
        (
            1,
            true,
            -1.251e+03,
            [
                (0, 0.45028),
                (3200, -1.8976),
                (4800, 0.65112),
                (9599, -0.25473),
            ],
        ),
        (
            2,
            false,
            -0.2715,
            [(0, 1.2546), (400, -1.3147), (600, 1.3957), (1199, -1.6427)],
        ),
        (
            2,
            true,
            -612.4,
            [
                (0, 0.29066),
                (800, -1.5377),
                (1200, 0.2019),
                (2399, -0.51545),
            ],
        ),
        (
            3,
            false,
            1.893,
            [(0, 1.4608), (160, 1.4796), (240, -1.4753), (479, -1.4797)],
        ),
        (
            3,
            true,
            -200.7,
            [
                (0, 0.47855),
                (320, 0.32518),
                (480, -0.64548),
                (959, -0.54959),
            ],
        ),
    ];

    fn synthetic() -> Tensor {
        let (w, h) = INPUT;
        let mut data = Vec::with_capacity(3 * w * h);
        for c in 0..3 {
            for y in 0..h {
                for x in 0..w {
                    data.push(
                        ((0.05 * x as f64 + 0.07 * y as f64 + 1.3 * f64::from(c)).sin() * 0.9)
                            as f32,
                    );
                }
            }
        }
        Tensor { c: 3, h, w, data }
    }

    #[test]
    fn the_network_computes_what_onnx_runtime_computes() {
        let net = network();
        let outputs = net.run(synthetic()).unwrap();
        for (level, boxes, sum, samples) in REFERENCE {
            let (_, t) = net
                .heads
                .iter()
                .zip(&outputs)
                .find(|(h, _)| h.level == level && h.boxes == boxes)
                .unwrap();
            let got = t.data.iter().map(|&v| f64::from(v)).sum::<f64>() as f32;
            assert!(
                (got - sum).abs() <= 0.002 * sum.abs().max(10.0),
                "level {level} boxes {boxes}: sum {got} against {sum}"
            );
            for (i, v) in samples {
                assert!(
                    (t.data[i] - v).abs() < 2e-3,
                    "level {level} boxes {boxes} [{i}]: {} against {v}",
                    t.data[i]
                );
            }
        }
    }

    #[test]
    fn a_damaged_weight_file_is_an_error_not_a_panic() {
        assert!(Network::from_bytes(b"not a model").is_err());
        for cut in [8, 12, 16, 100, MODEL.len() / 2, MODEL.len() - 1] {
            assert!(Network::from_bytes(&MODEL[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = MODEL.to_vec();
        longer.push(0);
        assert!(Network::from_bytes(&longer).is_err());
        // A convolution whose shape is absurd is refused before any
        // weights are read.
        let mut absurd = MODEL.to_vec();
        absurd[16 + 4 + 8..16 + 4 + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(Network::from_bytes(&absurd).is_err());
    }

    #[test]
    fn an_empty_or_short_picture_has_no_faces() {
        assert!(detect_rgb(&[], 0, 0, 0.5).is_empty());
        assert!(detect_rgb(&[0; 10], 4, 4, 0.5).is_empty());
        // Pictures smaller than every kernel and stride run through the
        // network at their own size without a fault.
        for (w, h) in [(1, 1), (3, 2), (2, 7), (17, 5)] {
            assert!(
                detect_rgb(&vec![128; w * h * 3], w, h, 0.5).is_empty(),
                "{w}x{h}"
            );
        }
    }

    #[test]
    fn resize_weights_sum_to_one_and_stay_in_the_picture() {
        for (from, to) in [
            (1, 640),
            (3, 480),
            (640, 640),
            (4000, 640),
            (641, 640),
            (10, 7),
        ] {
            for (first, ws) in weights(from, to) {
                assert!(first + ws.len() <= from, "{from} -> {to}");
                assert!(
                    (ws.iter().sum::<f32>() - 1.0).abs() < 1e-4,
                    "{from} -> {to}"
                );
            }
        }
    }

    #[test]
    fn overlapping_boxes_are_one_face_and_apart_boxes_two() {
        let f = |score, x0| Face {
            score,
            x0,
            y0: 0.1,
            x1: x0 + 0.2,
            y1: 0.3,
        };
        let kept = suppress(vec![f(0.8, 0.1), f(0.9, 0.11), f(0.7, 0.6)]);
        assert_eq!(kept.len(), 2);
        assert!((kept[0].score - 0.9).abs() < 1e-6 && (kept[1].x0 - 0.6).abs() < 1e-6);
    }
}
