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
