//! A school website in styles the demo does not use (page-builder data
//! attributes, a slider, noscript fallbacks, JSON-LD, srcset without src,
//! gallery thumbnails linking to full sizes, pagination): every picture a
//! scraper can reach must be in the report, copies as one exposure.

use std::collections::BTreeSet;

use exposure_audit::store::RunStatus;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_reachable_picture_is_found_on_a_site_built_another_way() {
    let home = r#"<!doctype html><html><head><title>Oakfield Academy</title>
      <script type="application/ld+json">{"@context":"https://schema.org","@type":"School","name":"Oakfield Academy",
        "image":{"@type":"ImageObject","contentUrl":"/assets/img/front.jpg"}}</script></head>
      <body>
        <div class="slider" data-slides='[{"src":"\/assets\/slides\/s1.jpg"},{"src":"\/assets\/slides\/s2.jpg"}]'></div>
        <div class="sqs-block"><img data-image="/assets/gallery/hall.jpg" data-image-dimensions="1200x800" alt="Hall"></div>
        <noscript><img src="/assets/gallery/hall.jpg" alt="Hall"></noscript>
        <section class="gallery">
          <a href="/assets/gallery/trip-full.jpg"><img src="/assets/gallery/trip-thumb.jpg" alt="Year 5 trip"></a>
        </section>
        <nav><a href="/news?page=2">Older news</a> <a href="/classes/willow">Willow Class</a></nav>
        <footer>Oakfield Academy, 3 Church Street, York YO1 7HH. Headteacher: Mrs Okafor. office@oakfield.example</footer>
      </body></html>"#;
    let older = r#"<html><body><article><img srcset="/assets/news/fair-480.jpg 480w, /assets/news/fair-960.jpg 960w" sizes="50vw" alt="Summer fair"></article></body></html>"#;
    let class = r#"<html><body><div style="background:url(/assets/classes/willow-banner.png) no-repeat">Willow</div>
        <figure><img src="/assets/classes/willow-group.webp" alt="Willow Class 2026"><figcaption>Willow Class</figcaption></figure></body></html>"#;
    let webp = {
        let img = image::load_from_memory(&fixture("chelsea.png")).unwrap();
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::WebP).unwrap();
        out.into_inner()
    };
    let png = {
        let img = image::load_from_memory(&fixture("hubble_deep_field.jpg"))
            .unwrap()
            .thumbnail(400, 200);
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    let pictures: Vec<(&str, Handler)> = vec![
        (
            "/assets/img/front.jpg",
            jpeg(resized_jpeg("rocket.jpg", 500, 85)),
        ),
        (
            "/assets/slides/s1.jpg",
            jpeg(resized_jpeg("coffee.png", 500, 85)),
        ),
        (
            "/assets/slides/s2.jpg",
            jpeg(resized_jpeg("astronaut.png", 500, 85)),
        ),
        (
            "/assets/gallery/hall.jpg",
            jpeg(resized_jpeg("camera.png", 480, 85)),
        ),
        (
            "/assets/gallery/trip-full.jpg",
            jpeg(resized_jpeg("grace_hopper.jpg", 512, 90)),
        ),
        (
            "/assets/gallery/trip-thumb.jpg",
            jpeg(resized_jpeg("grace_hopper.jpg", 160, 70)),
        ),
        (
            "/assets/news/fair-480.jpg",
            jpeg(resized_jpeg("astronaut.png", 480, 80)),
        ),
        (
            "/assets/news/fair-960.jpg",
            jpeg(resized_jpeg("astronaut.png", 960, 80)),
        ),
        (
            "/assets/classes/willow-banner.png",
            fixed(200, "image/png", png),
        ),
        (
            "/assets/classes/willow-group.webp",
            fixed(200, "image/webp", webp),
        ),
    ];
    let served: BTreeSet<String> = pictures.iter().map(|(p, _)| p.to_string()).collect();
    let mut routes: Vec<(&str, Handler)> = vec![
        ("/", html(home)),
        ("/news?page=2", html(older)),
        ("/classes/willow", html(class)),
    ];
    routes.extend(pictures);
    let site = Site::start(routes).await;
    let dir = tempdir();
    let a = audit(&config(&config_text(&db_in(&dir), &site.url("/"), ""))).await;
    assert_eq!(a.summary.status, RunStatus::Complete);

    let base = site.url("");
    let found: BTreeSet<String> = occurrences(&a.report)
        .into_iter()
        .map(|(_, u)| u.trim_start_matches(&base).to_string())
        .collect();
    assert_eq!(found, served, "every picture served must be reported");
    // Thumbnail and full size of the trip photo are one exposure; so are the two fair sizes.
    assert_eq!(
        exposure_with(&a.report, "trip-thumb.jpg")["id"],
        exposure_with(&a.report, "trip-full.jpg")["id"]
    );
    assert_eq!(
        exposure_with(&a.report, "fair-480.jpg")["id"],
        exposure_with(&a.report, "fair-960.jpg")["id"]
    );
    // The same astronaut photo as a slide and in the news is one exposure too.
    assert_eq!(
        exposure_with(&a.report, "s2.jpg")["id"],
        exposure_with(&a.report, "fair-960.jpg")["id"]
    );
    assert_ne!(
        exposure_with(&a.report, "s1.jpg")["id"],
        exposure_with(&a.report, "s2.jpg")["id"]
    );
    assert_eq!(a.report["summary"]["exposures"], 7);
    assert_contract_shape(&a.report);

    // Faces counted on the real photographs; none on the cat, the rocket, the galaxies.
    for (suffix, faces) in [
        ("trip-full.jpg", 1),
        ("hall.jpg", 1),
        ("fair-960.jpg", 1),
        ("willow-group.webp", 0),
        ("front.jpg", 0),
        ("willow-banner.png", 0),
        ("s1.jpg", 0),
    ] {
        assert_eq!(
            exposure_with(&a.report, suffix)["image"]["faces"],
            faces,
            "{suffix}"
        );
    }
    // The footer's address and contacts are one site finding, not details of every picture.
    let findings = a.report["site_findings"].as_array().unwrap();
    let page_wide: Vec<&str> = findings
        .iter()
        .filter(|f| f["kind"] == "page_wide_personal_detail")
        .map(|f| f["detail"].as_str().unwrap())
        .collect();
    assert!(
        page_wide.iter().any(|d| d.contains("YO1 7HH")),
        "{page_wide:?}"
    );
    assert!(
        page_wide.iter().any(|d| d.contains("Mrs Okafor")),
        "{page_wide:?}"
    );
    for e in a.report["exposures"].as_array().unwrap() {
        for d in e["details"].as_array().unwrap() {
            assert!(
                !["YO1 7HH", "office@oakfield.example", "Mrs Okafor"]
                    .contains(&d["text"].as_str().unwrap()),
                "smeared: {d}"
            );
        }
    }
    // Riskiest first.
    let scores: Vec<u64> = a.report["exposures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["score"].as_u64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}
