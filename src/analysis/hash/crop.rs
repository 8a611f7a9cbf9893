//! Whether one picture is a crop of another, from their stored thumbnails:
//! the best normalised cross-correlation of one, shrunk by a few steps, over
//! every place in the other. Used only on pairs something else already
//! points at (one file name), because a 64-bit hash cannot follow a crop of
//! 10% or more (docs/hashing.md).

use image::imageops::FilterType;
use image::GrayImage;

/// Least correlation for two pictures to be one photo, one cropped from the
/// other. Chosen on the real corpus's tune sites (docs/hashing.md): crops
/// and edits of one upload 0.94 to 1.00, different photos with one name
/// 0.37 to 0.77.
pub const CROP_MATCH: f64 = 0.93;

/// How much of the other picture the cropped one may show, largest first.
/// At 1.0 only when the two differ in shape: two pictures of one shape
/// compared whole are two photos framed alike (staff portraits on one
/// backdrop correlate at 0.96 whole), not one cut from the other.
const SCALES: [f64; 6] = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5];
/// Places are tried every this many pixels.
const STEP: usize = 2;
/// Smallest side a shrunk picture is compared at.
const MIN_SIDE: u32 = 8;

/// The better of `a` inside `b` and `b` inside `a`, from -1 to 1.
pub fn crop_similarity(a: &GrayImage, b: &GrayImage) -> f64 {
    contained(a, b).max(contained(b, a))
}

/// The best correlation of `x`, shrunk by each of [`SCALES`], with a window
/// of `y` of the same size.
fn contained(x: &GrayImage, y: &GrayImage) -> f64 {
    let (yw, yh) = (y.width() as usize, y.height() as usize);
    // Running sums of `y` and its squares, for each window's mean and spread.
    let mut sum = vec![0.0f64; (yw + 1) * (yh + 1)];
    let mut sq = vec![0.0f64; (yw + 1) * (yh + 1)];
    for row in 0..yh {
        for col in 0..yw {
            let v = f64::from(y.get_pixel(col as u32, row as u32)[0]);
            let at = (row + 1) * (yw + 1) + col + 1;
            sum[at] = v + sum[at - 1] + sum[at - yw - 1] - sum[at - yw - 2];
            sq[at] = v * v + sq[at - 1] + sq[at - yw - 1] - sq[at - yw - 2];
        }
    }
    let area = |t: &[f64], x0: usize, y0: usize, w: usize, h: usize| {
        let s = yw + 1;
        t[(y0 + h) * s + x0 + w] - t[y0 * s + x0 + w] - t[(y0 + h) * s + x0] + t[y0 * s + x0]
    };
    let pixels: Vec<f64> = y.as_raw().iter().map(|&v| f64::from(v)).collect();
    let mut best = -1.0f64;
    for scale in SCALES {
        if scale >= 1.0 && x.dimensions() == y.dimensions() {
            continue;
        }
        let w = ((f64::from(x.width()) * scale).round() as u32).max(MIN_SIDE);
        let h = ((f64::from(x.height()) * scale).round() as u32).max(MIN_SIDE);
        if w as usize > yw || h as usize > yh {
            continue;
        }
        let small = image::imageops::resize(x, w, h, FilterType::Triangle);
        let (w, h) = (w as usize, h as usize);
        let n = (w * h) as f64;
        let mean = small.as_raw().iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let centred: Vec<f64> = small
            .as_raw()
            .iter()
            .map(|&v| f64::from(v) - mean)
            .collect();
        let norm = centred.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm < 1e-6 {
            continue;
        }
        for y0 in (0..=yh - h).step_by(STEP) {
            for x0 in (0..=yw - w).step_by(STEP) {
                let s = area(&sum, x0, y0, w, h);
                let spread = (area(&sq, x0, y0, w, h) - s * s / n).max(0.0).sqrt();
                if spread < 1e-6 {
                    continue;
                }
                // The query is centred, so the window's mean drops out.
                let mut dot = 0.0;
                for r in 0..h {
                    let row = &pixels[(y0 + r) * yw + x0..(y0 + r) * yw + x0 + w];
                    let q = &centred[r * w..(r + 1) * w];
                    dot += row.iter().zip(q).map(|(a, b)| a * b).sum::<f64>();
                }
                best = best.max(dot / (norm * spread));
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::imageops;

    /// A fixture photo, grey, at full size.
    fn photo(name: &str) -> GrayImage {
        let path = format!(
            "{}/tests/fixtures/images/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        image::open(path).unwrap().to_luma8()
    }

    /// A picture's thumbnail as the store keeps it (`hash::thumbnail`:
    /// shrunk, blurred, a JPEG), read back as `closing::crop_links` reads it.
    fn stored(grey: &GrayImage) -> GrayImage {
        let jpeg = super::super::thumbnail(grey).unwrap();
        image::load_from_memory(&jpeg).unwrap().to_luma8()
    }

    fn fixture(name: &str) -> GrayImage {
        stored(&photo(name))
    }

    /// The thumbnail of `keep` of the photo, cut from near its top left.
    fn crop(name: &str, keep: f64) -> GrayImage {
        let img = photo(name);
        let (w, h) = (
            (f64::from(img.width()) * keep) as u32,
            (f64::from(img.height()) * keep) as u32,
        );
        stored(&imageops::crop_imm(&img, img.width() / 10, img.height() / 8, w, h).to_image())
    }

    #[test]
    fn a_crop_matches_its_photo_and_other_photos_do_not() {
        for name in [
            "grace_hopper.jpg",
            "coffee.png",
            "chelsea.png",
            "rocket.jpg",
        ] {
            let whole = fixture(name);
            for keep in [0.85, 0.7] {
                let c = crop_similarity(&whole, &crop(name, keep));
                assert!(c >= CROP_MATCH, "{name} cropped to {keep}: {c:.3}");
            }
        }
        let names = [
            "grace_hopper.jpg",
            "coffee.png",
            "chelsea.png",
            "astronaut.png",
            "rocket.jpg",
        ];
        for (i, a) in names.iter().enumerate() {
            for b in &names[i + 1..] {
                let c = crop_similarity(&fixture(a), &crop(b, 0.7));
                assert!(c < CROP_MATCH, "{a} and a crop of {b}: {c:.3}");
            }
        }
    }

    #[test]
    fn flat_pictures_match_nothing() {
        let flat = GrayImage::from_pixel(96, 64, image::Luma([200]));
        assert!(crop_similarity(&flat, &fixture("coffee.png")) < CROP_MATCH);
        assert!(crop_similarity(&flat, &flat) < CROP_MATCH);
    }
}
