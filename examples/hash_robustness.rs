//! Measures how far the perceptual hash moves under the edits a picture goes
//! through on a school website (resizing, recompression, WordPress square
//! crops, mild crops, mirroring) against the distance between different
//! pictures. The output is the table in docs/hashing.md.
//!
//!   cargo run --release --example hash_robustness

use std::io::Cursor;
use std::path::Path;

use exposure_audit::analysis::{analyse, HashLimits};
use image::{imageops::FilterType, DynamicImage, ImageFormat};

const FIXTURES: &[&str] = &[
    "grace_hopper.jpg",
    "astronaut.png",
    "camera.png",
    "coffee.png",
    "chelsea.png",
    "rocket.jpg",
    "hubble_deep_field.jpg",
];

fn encode_jpeg(img: &DynamicImage, q: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, q)
        .encode_image(&img.to_rgb8())
        .unwrap();
    out
}

fn hash(bytes: &[u8]) -> u64 {
    analyse(
        bytes,
        HashLimits {
            max_pixels: 200_000_000,
        },
    )
    .unwrap()
    .phash
}

fn crop(img: &DynamicImage, frac: f32) -> DynamicImage {
    let (w, h) = (img.width() as f32, img.height() as f32);
    let (dx, dy) = ((w * frac / 2.0) as u32, (h * frac / 2.0) as u32);
    img.crop_imm(dx, dy, img.width() - 2 * dx, img.height() - 2 * dy)
}

fn square(img: &DynamicImage) -> DynamicImage {
    let side = img.width().min(img.height());
    img.crop_imm(
        (img.width() - side) / 2,
        (img.height() - side) / 2,
        side,
        side,
    )
    .resize_exact(150, 150, FilterType::Lanczos3)
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/images");
    type Edit = Box<dyn Fn(&DynamicImage) -> Vec<u8>>;
    let edits: Vec<(&str, Edit)> = vec![
        (
            "resized to 50%, JPEG q85",
            Box::new(|i| {
                encode_jpeg(
                    &i.resize(i.width() / 2, i.height(), FilterType::Lanczos3),
                    85,
                )
            }),
        ),
        (
            "resized to 300 px, JPEG q75",
            Box::new(|i| encode_jpeg(&i.resize(300, 300, FilterType::Triangle), 75)),
        ),
        ("recompressed JPEG q30", Box::new(|i| encode_jpeg(i, 30))),
        (
            "PNG of the same pixels",
            Box::new(|i| {
                let mut c = Cursor::new(Vec::new());
                i.write_to(&mut c, ImageFormat::Png).unwrap();
                c.into_inner()
            }),
        ),
        ("5% crop", Box::new(|i| encode_jpeg(&crop(i, 0.05), 85))),
        ("10% crop", Box::new(|i| encode_jpeg(&crop(i, 0.10), 85))),
        ("15% crop", Box::new(|i| encode_jpeg(&crop(i, 0.15), 85))),
        (
            "WordPress 150x150 square crop",
            Box::new(|i| encode_jpeg(&square(i), 82)),
        ),
        ("mirrored", Box::new(|i| encode_jpeg(&i.fliph(), 85))),
    ];
    let originals: Vec<(String, DynamicImage, u64)> = FIXTURES
        .iter()
        .map(|n| {
            let bytes = std::fs::read(dir.join(n)).unwrap();
            let img = image::load_from_memory(&bytes).unwrap();
            let img = DynamicImage::ImageRgb8(img.to_rgb8());
            let h = hash(&encode_jpeg(&img, 95));
            (n.to_string(), img, h)
        })
        .collect();
    println!(
        "| edit | min | mean | max | within {} bits |",
        exposure_audit::group::SAME_PICTURE_MAX_DISTANCE
    );
    println!("|---|---|---|---|---|");
    for (name, edit) in &edits {
        let d: Vec<u32> = originals
            .iter()
            .map(|(_, img, h)| (hash(&edit(img)) ^ h).count_ones())
            .collect();
        row(
            name,
            &d,
            exposure_audit::group::SAME_PICTURE_MAX_DISTANCE,
            "",
        );
    }
    let mut pairs = Vec::new();
    for i in 0..originals.len() {
        for j in i + 1..originals.len() {
            pairs.push((originals[i].2 ^ originals[j].2).count_ones());
        }
    }
    row(
        &format!("different pictures ({} pairs)", pairs.len()),
        &pairs,
        exposure_audit::group::SAME_PICTURE_MAX_DISTANCE,
        " (false matches)",
    );
    // Mirrored copies against the original's mirror-image hash, which the
    // audit keeps to link them, and different pictures' mirror hashes
    // against each other's hashes.
    const MIRROR: u32 = exposure_audit::group::MIRROR_MAX_DISTANCE;
    let mirror_of = |bytes: &[u8]| {
        analyse(
            bytes,
            HashLimits {
                max_pixels: 200_000_000,
            },
        )
        .unwrap()
        .phash_mirror
        .unwrap()
    };
    let mirrors: Vec<u64> = originals
        .iter()
        .map(|(_, img, _)| mirror_of(&encode_jpeg(img, 95)))
        .collect();
    let rows: [(&str, Edit); 2] = [
        (
            "mirrored, to the mirror hash",
            Box::new(|i| encode_jpeg(&i.fliph(), 85)),
        ),
        (
            "mirrored, resized to 50%, JPEG q75, to the mirror hash",
            Box::new(|i| {
                encode_jpeg(
                    &i.fliph()
                        .resize(i.width() / 2, i.height(), FilterType::Triangle),
                    75,
                )
            }),
        ),
    ];
    for (name, edit) in &rows {
        let d: Vec<u32> = originals
            .iter()
            .zip(&mirrors)
            .map(|((_, img, _), m)| (hash(&edit(img)) ^ m).count_ones())
            .collect();
        row(name, &d, MIRROR, &format!(" within {MIRROR}"));
    }
    let mut cross = Vec::new();
    for (i, m) in mirrors.iter().enumerate() {
        for (j, (_, _, h)) in originals.iter().enumerate() {
            if i != j {
                cross.push((m ^ h).count_ones());
            }
        }
    }
    row(
        &format!(
            "different pictures, one's mirror hash to the other's hash ({} pairs)",
            cross.len()
        ),
        &cross,
        MIRROR,
        &format!(" within {MIRROR} (false links)"),
    );
}

/// One table row: the least, mean and most distance, and how many are
/// within `threshold` (`note` follows that count).
fn row(name: &str, d: &[u32], threshold: u32, note: &str) {
    println!(
        "| {name} | {} | {:.1} | {} | {}/{}{note} |",
        d.iter().min().unwrap(),
        f64::from(d.iter().sum::<u32>()) / d.len() as f64,
        d.iter().max().unwrap(),
        d.iter().filter(|&&x| x <= threshold).count(),
        d.len()
    );
}
