//! Issue 19, point 3: copies of one photo that no 64-bit hash keeps
//! together, grouped all the same.

use crate::support::*;

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
        &imageops::resize(&face, 160, 200, FilterType::Triangle),
        120,
        150,
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
    let limits = exposure_audit::analysis::hash::HashLimits {
        max_pixels: 50_000_000,
    };
    let (pa, pb) = (
        exposure_audit::analysis::hash::analyse(&a, limits).unwrap(),
        exposure_audit::analysis::hash::analyse(&b, limits).unwrap(),
    );
    // The case this test is about: one photo by the pHash alone.
    assert!(
        (pa.phash ^ pb.phash).count_ones() <= exposure_audit::group::SAME_PICTURE_MAX_DISTANCE,
        "{:016x} {:016x}",
        pa.phash,
        pb.phash
    );
    // Named as WordPress names a second upload of a file, so the crop
    // check (which compares pictures sharing a name) sees the pair too and
    // must not join what the detail hash took apart.
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
    let limits = exposure_audit::analysis::hash::HashLimits {
        max_pixels: 50_000_000,
    };
    let (a, b) = (
        exposure_audit::analysis::hash::analyse(&whole, limits).unwrap(),
        exposure_audit::analysis::hash::analyse(&crop, limits).unwrap(),
    );
    // The case this test is about: too far for the pHash.
    assert!(
        (a.phash ^ b.phash).count_ones() > exposure_audit::group::SAME_PICTURE_MAX_DISTANCE,
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
