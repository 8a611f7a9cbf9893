//! Issue 19, point 3: copies of one photo that no 64-bit hash keeps
//! together, grouped all the same.

use crate::support::*;

/// A picture analysed as the audit analyses it.
fn analysed(bytes: &[u8]) -> exposure_audit::model::Picture {
    let limits = exposure_audit::analysis::hash::HashLimits {
        max_pixels: 50_000_000,
    };
    exposure_audit::analysis::hash::analyse(bytes, limits).unwrap()
}

/// Two pictures' analyses and the bits between their 64-bit pHashes.
fn phash_bits(
    a: &[u8],
    b: &[u8],
) -> (
    exposure_audit::model::Picture,
    exposure_audit::model::Picture,
    u32,
) {
    let (pa, pb) = (analysed(a), analysed(b));
    let bits = (pa.phash ^ pb.phash).count_ones();
    (pa, pb, bits)
}

fn mirrored_jpeg(name: &str, width: u32) -> Vec<u8> {
    let img = image::load_from_memory(&resized_jpeg(name, width, 90)).unwrap();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&img.fliph().to_rgb8())
        .unwrap();
    out
}

#[tokio::test]
async fn a_mirrored_repost_is_the_same_exposure_and_another_photo_is_not() {
    let site = Site::start(vec![
        (
            "/",
            html(
                "<html><body><a href='/news/'>News</a><img src='/img/relay.jpg' alt='Sports day'>\
                 <img src='/img/hall.jpg' alt='The hall'></body></html>",
            ),
        ),
        (
            "/news/",
            html("<html><body><img src='/img/relay-flipped.jpg' alt='Sports day again'></body></html>"),
        ),
        ("/img/relay.jpg", jpeg(resized_jpeg("grace_hopper.jpg", 400, 85))),
        ("/img/relay-flipped.jpg", jpeg(mirrored_jpeg("grace_hopper.jpg", 300))),
        ("/img/hall.jpg", jpeg(resized_jpeg("coffee.png", 400, 85))),
    ])
    .await;
    let dir = tempdir();
    let cfg = config(&config_text(&db_in(&dir), &site.url("/"), ""));
    let a = audit(&cfg).await;
    let relay = exposure_with(&a.report, "/img/relay.jpg");
    let flipped = exposure_with(&a.report, "/img/relay-flipped.jpg");
    let hall = exposure_with(&a.report, "/img/hall.jpg");
    assert_eq!(relay["id"], flipped["id"], "{}", a.report["exposures"]);
    assert_ne!(relay["id"], hall["id"]);
    // And the next run keeps them together, each picture known by its bytes.
    let b = audit(&cfg).await;
    assert_eq!(
        exposure_with(&b.report, "/img/relay.jpg")["id"],
        exposure_with(&b.report, "/img/relay-flipped.jpg")["id"]
    );
    assert_eq!(
        exposure_with(&b.report, "/img/relay.jpg")["id"],
        relay["id"]
    );
}

/// A portrait on the backdrop every staff photo of a school shares: the
/// backdrop (a blurred photo) fills the frame, the sitter (a fixture
/// picture) the middle.
fn portrait_on_backdrop(sitter: &str, width: u32) -> Vec<u8> {
    portrait_sized(sitter, width, 160)
}

fn portrait_sized(sitter: &str, width: u32, face_w: u32) -> Vec<u8> {
    use image::imageops::{self, FilterType};
    let backdrop = image::load_from_memory(&fixture("coffee.png"))
        .unwrap()
        .to_rgb8();
    let mut frame = imageops::blur(
        &imageops::resize(&backdrop, 400, 500, FilterType::Triangle),
        12.0,
    );
    let face = image::load_from_memory(&fixture(sitter)).unwrap().to_rgb8();
    imageops::overlay(
        &mut frame,
        &imageops::resize(&face, face_w, face_w * 5 / 4, FilterType::Triangle),
        i64::from(200 - face_w / 2),
        i64::from(150),
    );
    let frame = imageops::resize(&frame, width, width * 5 / 4, FilterType::Triangle);
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&frame)
        .unwrap();
    out
}

/// Heath's staff page (issue 19): ten portraits on one backdrop were one
/// exposure because their 64-bit hashes sat within 10 bits. The detail
/// hash keeps them apart and a smaller copy of one with it.
#[tokio::test]
async fn portraits_on_one_backdrop_are_different_exposures() {
    let (a, b) = (
        portrait_on_backdrop("astronaut.png", 400),
        portrait_on_backdrop("chelsea.png", 400),
    );
    let (pa, pb, bits) = phash_bits(&a, &b);
    // The case this test is about: one photo by the pHash alone.
    assert!(
        bits <= exposure_audit::group::SAME_PICTURE_MAX_DISTANCE,
        "{:016x} {:016x}",
        pa.phash,
        pb.phash
    );
    // Named as WordPress names a second upload of a file, so the crop
    // check (which compares pictures sharing a name) sees the pair too: it
    // leaves a pair the pHash matched to the detail hash.
    let site = Site::start(vec![
        (
            "/",
            html(
                "<html><body><img src='/staff/portrait-1.jpg' alt='Staff'><img src='/staff/portrait-2.jpg' alt='Staff'>\
                 <img src='/staff/portrait-1-small.jpg' alt='Staff'></body></html>",
            ),
        ),
        ("/staff/portrait-1.jpg", jpeg(a)),
        ("/staff/portrait-2.jpg", jpeg(b)),
        ("/staff/portrait-1-small.jpg", jpeg(portrait_on_backdrop("astronaut.png", 240))),
    ])
    .await;
    let dir = tempdir();
    let cfg = config(&config_text(&db_in(&dir), &site.url("/"), ""));
    let run = audit(&cfg).await;
    let first = exposure_with(&run.report, "/staff/portrait-1.jpg");
    let second = exposure_with(&run.report, "/staff/portrait-2.jpg");
    let small = exposure_with(&run.report, "/staff/portrait-1-small.jpg");
    assert_ne!(first["id"], second["id"], "{}", run.report["exposures"]);
    assert_eq!(first["id"], small["id"]);
    // The next run keeps them so, each picture known by its bytes.
    let again = audit(&cfg).await;
    assert_eq!(
        exposure_with(&again.report, "/staff/portrait-1.jpg")["id"],
        first["id"]
    );
    assert_eq!(
        exposure_with(&again.report, "/staff/portrait-2.jpg")["id"],
        second["id"]
    );
}

/// Two sitters framed alike on one backdrop, 12 pHash bits apart (so no
/// hash joins them) and sharing a file name: their thumbnails correlate at
/// 0.96 compared whole, over the crop check's 0.93. Two pictures of one
/// shape are not compared whole, and they stay two exposures; under
/// 0.93 once the whole is left out (0.92).
#[tokio::test]
async fn portraits_framed_alike_under_one_name_are_not_a_crop() {
    let (a, b) = (
        portrait_sized("astronaut.png", 400, 120),
        portrait_sized("chelsea.png", 400, 120),
    );
    let (_, _, bits) = phash_bits(&a, &b);
    assert!(
        bits > exposure_audit::group::SAME_PICTURE_MAX_DISTANCE,
        "the case is a pair no hash joins"
    );
    let site = Site::start(vec![
        (
            "/",
            html(
                "<html><body><img src='/staff/jo-1.jpg' alt='Staff'>\
                 <img src='/staff/jo-2.jpg' alt='Staff'></body></html>",
            ),
        ),
        ("/staff/jo-1.jpg", jpeg(a)),
        ("/staff/jo-2.jpg", jpeg(b)),
    ])
    .await;
    let dir = tempdir();
    let run = audit(&config(&config_text(&db_in(&dir), &site.url("/"), ""))).await;
    assert_ne!(
        exposure_with(&run.report, "/staff/jo-1.jpg")["id"],
        exposure_with(&run.report, "/staff/jo-2.jpg")["id"],
        "{}",
        run.report["exposures"]
    );
}

/// The figures docs/hashing.md quotes for sitters of each size on one
/// backdrop: pHash bits, detail bits and the crop check's correlation of
/// each pair. Run with
/// `cargo test --test it -- --ignored --nocapture sitter_sizes`. Checks
/// what the docs say: apart by the detail hash from 25% of the frame's
/// width, not at 15%.
#[test]
#[ignore = "a measurement for docs/hashing.md"]
fn sitter_sizes_on_one_backdrop() {
    use exposure_audit::analysis::hash::{crop, detail_distance};
    let grey = |jpeg: &Option<Vec<u8>>| {
        image::load_from_memory(jpeg.as_ref().unwrap())
            .unwrap()
            .to_luma8()
    };
    let pairs = [
        ("astronaut.png", "chelsea.png"),
        ("grace_hopper.jpg", "astronaut.png"),
        ("grace_hopper.jpg", "chelsea.png"),
    ];
    for face in [160u32, 140, 120, 100, 80, 60] {
        for (x, y) in pairs {
            let (a, b, bits) =
                phash_bits(&portrait_sized(x, 400, face), &portrait_sized(y, 400, face));
            let detail = detail_distance(&a.phash_detail.unwrap(), &b.phash_detail.unwrap());
            println!(
                "sitter {}% {x} {y}: pHash {} detail {detail} crop {:.3}",
                face * 100 / 400,
                bits,
                crop::crop_similarity(&grey(&a.thumbnail), &grey(&b.thumbnail))
            );
            if face >= 100 {
                assert!(detail > exposure_audit::group::DETAIL_MAX_DISTANCE);
            }
            if face <= 60 {
                assert!(detail <= exposure_audit::group::DETAIL_MAX_DISTANCE);
            }
        }
    }
}

/// `width` pixels wide, of the middle `keep` of a fixture photo: a crop
/// saved as another upload.
fn cropped_jpeg(name: &str, keep: f64, width: u32) -> Vec<u8> {
    let img = image::load_from_memory(&fixture(name)).unwrap();
    let (w, h) = (
        (f64::from(img.width()) * keep) as u32,
        (f64::from(img.height()) * keep) as u32,
    );
    let cut = img.crop_imm((img.width() - w) / 3, (img.height() - h) / 2, w, h);
    let small = cut.resize(width, width * h / w, image::imageops::FilterType::Triangle);
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&small.to_rgb8())
        .unwrap();
    out
}

/// Halcyon (issue 19): one photo uploaded again months later at another
/// crop, under its own name in another folder, was two exposures: the crop
/// moves the 64-bit hash 16 to 36 bits. One name and thumbnails that show
/// one is a crop of the other make it one; a different photo that shares a
/// name stays apart.
#[tokio::test]
async fn a_crop_uploaded_again_is_the_same_exposure_and_a_namesake_is_not() {
    let whole = resized_jpeg("chelsea.png", 450, 85);
    let crop = cropped_jpeg("chelsea.png", 0.7, 400);
    let (a, b, bits) = phash_bits(&whole, &crop);
    // The case this test is about: too far for the pHash.
    assert!(
        bits > exposure_audit::group::SAME_PICTURE_MAX_DISTANCE,
        "{:016x} {:016x}",
        a.phash,
        b.phash
    );
    let site = Site::start(vec![
        (
            "/",
            html(
                "<html><body><img src='/wp-content/uploads/2021/05/club-day.jpg' alt='Club day'>\
                 <img src='/wp-content/uploads/2021/09/club-day-2.jpg' alt='Club day again'>\
                 <img src='/news/team.jpg' alt='Team'><img src='/sport/team.jpg' alt='Team'></body></html>",
            ),
        ),
        ("/wp-content/uploads/2021/05/club-day.jpg", jpeg(whole)),
        ("/wp-content/uploads/2021/09/club-day-2.jpg", jpeg(crop)),
        ("/news/team.jpg", jpeg(resized_jpeg("coffee.png", 400, 85))),
        ("/sport/team.jpg", jpeg(cropped_jpeg("rocket.jpg", 0.8, 400))),
    ])
    .await;
    let dir = tempdir();
    let cfg = config(&config_text(&db_in(&dir), &site.url("/"), ""));
    let run = audit(&cfg).await;
    assert_eq!(
        exposure_with(&run.report, "/2021/05/club-day.jpg")["id"],
        exposure_with(&run.report, "/2021/09/club-day-2.jpg")["id"],
        "{}",
        run.report["exposures"]
    );
    assert_ne!(
        exposure_with(&run.report, "/news/team.jpg")["id"],
        exposure_with(&run.report, "/sport/team.jpg")["id"]
    );
}
