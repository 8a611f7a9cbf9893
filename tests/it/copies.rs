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
    let site = Site::start(vec![
        (
            "/",
            html(
                "<html><body><img src='/staff/a.jpg' alt='Staff'><img src='/staff/b.jpg' alt='Staff'>\
                 <img src='/staff/a-small.jpg' alt='Staff'></body></html>",
            ),
        ),
        ("/staff/a.jpg", jpeg(a)),
        ("/staff/b.jpg", jpeg(b)),
        ("/staff/a-small.jpg", jpeg(portrait_on_backdrop("astronaut.png", 240))),
    ])
    .await;
    let dir = tempdir();
    let cfg = config(&config_text(&db_in(&dir), &site.url("/"), ""));
    let run = audit(&cfg).await;
    let first = exposure_with(&run.report, "/staff/a.jpg");
    let second = exposure_with(&run.report, "/staff/b.jpg");
    let small = exposure_with(&run.report, "/staff/a-small.jpg");
    assert_ne!(first["id"], second["id"], "{}", run.report["exposures"]);
    assert_eq!(first["id"], small["id"]);
    // The next run keeps them so, each picture known by its bytes.
    let again = audit(&cfg).await;
    assert_eq!(
        exposure_with(&again.report, "/staff/a.jpg")["id"],
        first["id"]
    );
    assert_eq!(
        exposure_with(&again.report, "/staff/b.jpg")["id"],
        second["id"]
    );
}
