use super::*;

fn urls(e: &PageExtract, via: FoundVia) -> Vec<String> {
    e.images
        .iter()
        .filter(|i| i.found_via == via)
        .map(|i| i.url.clone())
        .collect()
}

/// The nearby text of the sighting of `path` on s.example found `via`;
/// a sighting that is not there fails the test.
fn nearby(e: &PageExtract, path: &str, via: FoundVia) -> Option<String> {
    e.images
        .iter()
        .find(|i| i.url == format!("http://s.example{path}") && i.found_via == via)
        .unwrap_or_else(|| panic!("{path} {via:?} not in {:?}", e.images))
        .context
        .nearby_text
        .clone()
}

#[test]
fn finds_every_markup_route() {
    let html = r#"<html><head><title>Sports Day 2026</title>
        <meta property="og:image" content="/og.jpg"><meta name="robots" content="noimageai, noai">
        <link rel="stylesheet" href="/site.css"><link rel="alternate" type="application/rss+xml" href="/feed/">
        <link rel="image_src" href="/share.jpg">
        <style>.hero { background: url('/hero.jpg') } @font-face { src: url(/f.woff2) }</style></head>
        <body><figure><img src="/a.jpg" srcset="/a-300.jpg 300w, /a-1024.jpg 1024w" alt="Relay race">
        <figcaption>Year 4 relay team</figcaption></figure>
        <img src="data:image/gif;base64,R0lGOD" data-src="/lazy.jpg" data-srcset="/lazy-2x.jpg 2x">
        <picture><source srcset="/p.webp"><img src="/p.jpg" alt="Choir"></picture>
        <div style="background-image:url(&quot;/bg.png&quot;)">Welcome</div>
        <video poster="/poster.jpg"></video>
        <a href="/full.JPG?v=2#x">Download full size</a><a href="/news/">News</a>
        </body></html>"#;
    let e = extract(
        html.as_bytes(),
        &Url::parse("http://s.example/page").unwrap(),
    );
    assert_eq!(
        urls(&e, FoundVia::Img),
        vec![
            "http://s.example/a.jpg",
            "http://s.example/p.jpg",
            "http://s.example/poster.jpg"
        ]
    );
    assert_eq!(
        urls(&e, FoundVia::Srcset),
        vec!["http://s.example/a-300.jpg", "http://s.example/a-1024.jpg"]
    );
    assert_eq!(
        urls(&e, FoundVia::Lazy),
        vec!["http://s.example/lazy.jpg", "http://s.example/lazy-2x.jpg"]
    );
    assert_eq!(urls(&e, FoundVia::Picture), vec!["http://s.example/p.webp"]);
    assert_eq!(
        urls(&e, FoundVia::Css),
        vec!["http://s.example/bg.png", "http://s.example/hero.jpg"]
    );
    assert_eq!(urls(&e, FoundVia::OgImage), vec!["http://s.example/og.jpg"]);
    assert_eq!(
        urls(&e, FoundVia::Link),
        vec![
            "http://s.example/share.jpg",
            "http://s.example/full.JPG?v=2"
        ]
    );
    assert_eq!(e.links, vec!["http://s.example/news/"]);
    assert_eq!(e.stylesheets, vec!["http://s.example/site.css"]);
    assert_eq!(e.feeds, vec!["http://s.example/feed/"]);
    assert_eq!(e.robots_meta, vec!["noimageai", "noai"]);
    let a = e.images.iter().find(|i| i.url.ends_with("/a.jpg")).unwrap();
    assert_eq!(a.context.alt.as_deref(), Some("Relay race"));
    assert_eq!(a.context.caption.as_deref(), Some("Year 4 relay team"));
    assert_eq!(a.context.page_title.as_deref(), Some("Sports Day 2026"));
    let p = e
        .images
        .iter()
        .find(|i| i.url.ends_with("/p.webp"))
        .unwrap();
    assert_eq!(p.context.alt.as_deref(), Some("Choir"));
}

#[test]
fn pictures_in_builder_data_attributes() {
    let html = r#"<div class="elementor-section" data-settings='{"background_image":{"url":"https:\/\/s.example\/wp-content\/uploads\/hall.jpg","id":12}}'>
        <div data-lazyload="/slides/one.jpg" data-thumb="/slides/one-thumb.png?v=2">Welcome</div>
        <div data-phone="/camera/IMG_0001.HEIF" data-old="/scans/class.jpe">Photos</div>
        <span data-note="see page 3. thanks">x</span></div>"#;
    let e = extract(html.as_bytes(), &Url::parse("http://s.example/").unwrap());
    let mut got = urls(&e, FoundVia::Lazy);
    got.sort();
    assert_eq!(
        got,
        vec![
            "http://s.example/camera/IMG_0001.HEIF",
            "http://s.example/scans/class.jpe",
            "http://s.example/slides/one-thumb.png?v=2",
            "http://s.example/slides/one.jpg",
            "https://s.example/wp-content/uploads/hall.jpg"
        ]
    );
}

#[test]
fn noscript_and_json_ld() {
    let html = r#"<html><head><script type="application/ld+json">
        {"@context":"https://schema.org","@type":"NewsArticle","headline":"Sports day",
         "image":["/ld-1.jpg", {"@type":"ImageObject","url":"/ld-2.jpg","caption":"Relay team"}]}
        </script></head><body><div class="photo"><noscript><img src="/ns.jpg" alt="Choir"></noscript>
        <img class="lazy" data-src="/ns.jpg"> Summer choir</div></body></html>"#;
    let e = extract(html.as_bytes(), &Url::parse("http://s.example/").unwrap());
    assert_eq!(
        urls(&e, FoundVia::OgImage),
        vec!["http://s.example/ld-1.jpg", "http://s.example/ld-2.jpg"]
    );
    let ld2 = e
        .images
        .iter()
        .find(|i| i.url.ends_with("ld-2.jpg"))
        .unwrap();
    assert_eq!(ld2.context.caption.as_deref(), Some("Relay team"));
    assert_eq!(ld2.context.title.as_deref(), Some("Sports day"));
    assert_eq!(urls(&e, FoundVia::Img), vec!["http://s.example/ns.jpg"]);
    let ns = e
        .images
        .iter()
        .find(|i| i.found_via == FoundVia::Img)
        .unwrap();
    assert_eq!(ns.context.alt.as_deref(), Some("Choir"));
}

#[test]
fn page_furniture_is_not_nearby_text() {
    // The picture sits directly in the page wrapper, beside the footer.
    let html = r#"<html><body><div id="page"><h2>Harvest festival</h2><img src="/h.jpg">
        <footer>Oakfield Academy, 12 Mill Lane, Leeds LS6 2QR. Office: 01632 960123</footer>
        <nav>Staff: Mrs Patel</nav></div></body></html>"#;
    let e = extract(html.as_bytes(), &Url::parse("http://s.example/").unwrap());
    let near = e.images[0].context.nearby_text.clone().unwrap_or_default();
    assert!(near.contains("Harvest festival"), "{near}");
    assert!(
        !near.contains("LS6") && !near.contains("01632") && !near.contains("Patel"),
        "{near}"
    );
}

#[test]
fn directory_listing_and_wordpress_hints() {
    let e = extract(
        b"<html><head><title>Index of /wp-content/uploads/2026/</title></head><body><a href='x.jpg'>x.jpg</a></body></html>",
        &Url::parse("http://s.example/wp-content/uploads/2026/").unwrap(),
    );
    assert!(e.directory_listing);
    assert!(e.wordpress);
}

#[test]
#[allow(clippy::format_collect)] // a test's input, built once
fn hostile_markup_is_bounded() {
    let mut html = String::from("<html><body>");
    html.push_str(&"<div>".repeat(20_000));
    html.push_str("<img src=/deep.jpg>");
    let e = extract(html.as_bytes(), &Url::parse("http://s.example/").unwrap());
    assert_eq!(urls(&e, FoundVia::Img), vec!["http://s.example/deep.jpg"]);
    let many: String = (0..6000).map(|i| format!("<img src=/{i}.jpg>")).collect();
    let e = extract(many.as_bytes(), &Url::parse("http://s.example/").unwrap());
    assert_eq!(e.images.len(), MAX_IMAGES_PER_PAGE);
}

#[test]
fn a_style_rules_background_takes_the_text_of_the_elements_it_styles() {
    // Issue 19, point 5: the governor's photo is a CSS background of a
    // class; the name is the text of the element with that class.
    let html = br#"<html><head><style>
        /* cards */
        .card { border: 1px solid }
        .gov-chair { background-image: url("/governors/chair.jpg") }
        @media (min-width: 600px) { #head-photo:hover, .unused { background: url(/head.jpg) no-repeat } }
        .nowhere { background: url(/orphan.jpg) }
        @font-face { src: url(/f.woff2) }
        </style></head><body>
        <div class="card"><div class="gov-chair"></div><p>Mrs Kate Morwenna, Chair of Governors</p></div>
        <div id="head-photo">Mr Rhys Pritchard - Headteacher</div>
        </body></html>"#;
    let e = extract(html, &Url::parse("http://s.example/governors/").unwrap());
    let near = |u: &str| {
        e.images
            .iter()
            .find(|i| i.url.ends_with(u))
            .unwrap_or_else(|| panic!("{u} not found: {:?}", e.images))
            .context
            .nearby_text
            .clone()
    };
    assert!(
        near("/governors/chair.jpg").is_some_and(|t| t.contains("Kate Morwenna")),
        "{:?}",
        near("/governors/chair.jpg")
    );
    assert!(
        near("/head.jpg").is_some_and(|t| t.contains("Rhys Pritchard")),
        "{:?}",
        near("/head.jpg")
    );
    // A rule for elements the page does not have: still a sighting, no text.
    assert_eq!(near("/orphan.jpg"), None);
    assert!(!e.images.iter().any(|i| i.url.contains("f.woff2")));
}

#[test]
fn css_rules_are_split_with_their_selectors() {
    let rules = css_rules(
        "a{color:red} /* x{url(/c.jpg)} */ .b, .c:hover { background: url(/b.jpg) } \
         @import url(/x.css); @media print { .d { background: url(/d.jpg) } } .e{",
    );
    let got: Vec<(&str, bool)> = rules
        .iter()
        .map(|(s, b)| (*s, b.contains("url(")))
        .collect();
    assert_eq!(got, vec![(".b, .c:hover", true), (".d", true)]);
}

#[test]
fn a_stylesheet_of_many_background_rules_is_bounded() {
    // Each selector is matched against the whole page: only the first
    // MAX_SELECTOR_LOOKUPS are, so a hostile stylesheet cannot cost
    // rules x elements. Every picture is still a sighting.
    let n = MAX_SELECTOR_LOOKUPS + 50;
    let mut html = String::from("<html><head><style>");
    for i in 0..n {
        html.push_str(&format!(".c{i} {{ background: url(/b{i}.jpg) }}\n"));
    }
    html.push_str("</style></head><body>");
    for i in 0..n {
        html.push_str(&format!("<div class=c{i}>Card number {i}</div>"));
    }
    html.push_str("</body></html>");
    let e = extract(html.as_bytes(), &Url::parse("http://s.example/").unwrap());
    assert_eq!(urls(&e, FoundVia::Css).len(), n);
    let near = |i: usize| {
        e.images
            .iter()
            .find(|im| im.url.ends_with(&format!("/b{i}.jpg")))
            .and_then(|im| im.context.nearby_text.clone())
    };
    assert_eq!(near(0).as_deref(), Some("Card number 0"));
    assert!(near(MAX_SELECTOR_LOOKUPS - 1).is_some());
    assert_eq!(near(MAX_SELECTOR_LOOKUPS), None);
}

#[test]
fn each_photo_of_a_staff_grid_takes_its_own_name_in_every_common_markup() {
    // Invented names; the shapes are the ones school sites are built with.
    let shapes = [
        (
            "cards below",
            r#"<div class="grid"><div class="card"><img src="/a.jpg"><h3>Anna Able</h3><p>Teacher</p></div><div class="card"><img src="/b.jpg"><h3>Ben Baker</h3><p>Cook</p></div><div class="card"><img src="/c.jpg"><h3>Cara Cole</h3><p>Head</p></div></div>"#,
        ),
        (
            "cards above",
            r#"<div class="grid"><div class="card"><h3>Anna Able</h3><img src="/a.jpg"><p>Teacher</p></div><div class="card"><h3>Ben Baker</h3><img src="/b.jpg"><p>Cook</p></div><div class="card"><h3>Cara Cole</h3><img src="/c.jpg"><p>Head</p></div></div>"#,
        ),
        (
            "next image above",
            r#"<div class="grid"><div class="card"><h3>Anna Able</h3><span style="display:inline-block"><span><img alt="" aria-hidden="true" src="data:image/svg+xml;base64,PHN2Zy8+"></span><img alt="Anna Able" src="/a.jpg" data-nimg="intrinsic"><noscript><img src="/a.jpg"></noscript></span><p>Teacher</p></div><div class="card"><h3>Ben Baker</h3><span style="display:inline-block"><span><img alt="" aria-hidden="true" src="data:image/svg+xml;base64,PHN2Zy8+"></span><img alt="" src="/b.jpg" data-nimg="intrinsic"></span><p>Cook</p></div><div class="card"><h3>Cara Cole</h3><span><span><img alt="" aria-hidden="true" src="data:image/svg+xml;base64,PHN2Zy8+"></span><img src="/c.jpg"></span><p>Head</p></div></div>"#,
        ),
        (
            "next image below",
            r#"<div class="grid"><div class="card"><span><span><img alt="" aria-hidden="true" src="data:image/svg+xml;base64,PHN2Zy8+"></span><img src="/a.jpg"></span><h3>Anna Able</h3><p>Teacher</p></div><div class="card"><span><span><img alt="" aria-hidden="true" src="data:image/svg+xml;base64,PHN2Zy8+"></span><img src="/b.jpg"></span><h3>Ben Baker</h3><p>Cook</p></div><div class="card"><span><span><img alt="" aria-hidden="true" src="data:image/svg+xml;base64,PHN2Zy8+"></span><img src="/c.jpg"></span><h3>Cara Cole</h3><p>Head</p></div></div>"#,
        ),
        (
            "flat above",
            r#"<div class="grid"><h3>Anna Able</h3><img src="/a.jpg"><h3>Ben Baker</h3><img src="/b.jpg"><h3>Cara Cole</h3><img src="/c.jpg"></div>"#,
        ),
        (
            "flat below",
            r#"<div class="grid"><img src="/a.jpg"><h3>Anna Able</h3><img src="/b.jpg"><h3>Ben Baker</h3><img src="/c.jpg"><h3>Cara Cole</h3></div>"#,
        ),
        (
            "table",
            r#"<table><tr><td><img src="/a.jpg"></td><td><img src="/b.jpg"></td><td><img src="/c.jpg"></td></tr><tr><td>Anna Able</td><td>Ben Baker</td><td>Cara Cole</td></tr></table>"#,
        ),
        (
            "figure-like divs",
            r#"<div class="grid"><div class="item"><div class="photo"><img src="/a.jpg"></div><div class="text"><h3>Anna Able</h3></div></div><div class="item"><div class="photo"><img src="/b.jpg"></div><div class="text"><h3>Ben Baker</h3></div></div><div class="item"><div class="photo"><img src="/c.jpg"></div><div class="text"><h3>Cara Cole</h3></div></div></div>"#,
        ),
        (
            "a row of photos over a spaced-out line of names",
            r#"<div><h3><img src="/a.jpg">&nbsp; <img src="/b.jpg"><span>&nbsp;</span><img src="/c.jpg"></h3><h3><span>&nbsp; Anna Able&nbsp; &nbsp; Ben Baker&nbsp;&nbsp;&nbsp; Cara Cole</span></h3><h3>Teachers and cooks: Anna Able&nbsp;&nbsp;Ben Baker&nbsp;&nbsp;Cara Cole</h3></div>"#,
        ),
        (
            "link-wrapped",
            r#"<ul><li><a href="/s/a"><img src="/a.jpg"></a><a href="/s/a">Anna Able</a></li><li><a href="/s/b"><img src="/b.jpg"></a><a href="/s/b">Ben Baker</a></li><li><a href="/s/c"><img src="/c.jpg"></a><a href="/s/c">Cara Cole</a></li></ul>"#,
        ),
    ];
    let names = ["Anna Able", "Ben Baker", "Cara Cole"];
    for (label, body) in shapes {
        let html = format!("<html><body><main><h1>Our staff</h1>{body}</main></body></html>");
        let e = extract(html.as_bytes(), &Url::parse("http://s.example/").unwrap());
        let photos: Vec<_> = e
            .images
            .iter()
            .filter(|i| !i.url.starts_with("data:"))
            .collect();
        assert_eq!(photos.len(), 3, "{label}");
        for (i, own) in photos.iter().zip(names) {
            let near = i.context.nearby_text.clone().unwrap_or_default();
            assert!(near.contains(own), "{label}: {} has {near:?}", i.url);
            for other in names.iter().filter(|n| **n != own) {
                assert!(!near.contains(other), "{label}: {} has {near:?}", i.url);
            }
        }
    }
}

#[test]
fn lightbox_links_take_their_rows_name_and_empty_links_take_none() {
    // A CMS staff page: each photo in a lightbox link, names spaced out
    // under the row, and an editor's leftover empty link to another photo.
    let html = r#"<html><body><div><h3><a href="/a.jpg"><img src="/a.jpg"></a>&nbsp;&nbsp;<a href="/b.jpg"><img src="/b.jpg"></a></h3>
        <h3>Mrs Anna Able&nbsp; &nbsp; Mr Ben Baker<a href="/old.jpg">&nbsp;</a></h3></div></body></html>"#;
    let e = extract(html.as_bytes(), &Url::parse("http://s.example/").unwrap());
    let near = |url: &str, via: FoundVia| nearby(&e, url, via);
    for via in [FoundVia::Img, FoundVia::Link] {
        assert_eq!(near("/a.jpg", via).as_deref(), Some("Mrs Anna Able"));
        assert_eq!(near("/b.jpg", via).as_deref(), Some("Mr Ben Baker"));
    }
    assert_eq!(near("/old.jpg", FoundVia::Link), None);
}

#[test]
fn a_picture_shown_again_takes_the_text_beside_each_place() {
    // One placeholder photo above each staff member's paragraph.
    let html = r#"<html><body><div id="page">
        <div class="left"><img src="/staff.jpg"><p><b>Anna Able</b> - Manager</p></div>
        <div class="right"><img src="/staff.jpg"><p><b>Ben Baker</b> - Key Person</p></div>
        <div class="left"><img src="/staff.jpg"><p><b>Cara Cole</b> - Cook</p></div>
        </div></body></html>"#;
    let e = extract(html.as_bytes(), &Url::parse("http://s.example/").unwrap());
    let found: Vec<_> = e
        .images
        .iter()
        .filter(|i| i.found_via == FoundVia::Img)
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    let near = found[0].context.nearby_text.clone().unwrap_or_default();
    for name in ["Anna Able", "Ben Baker", "Cara Cole"] {
        assert!(near.contains(name), "{near:?}");
    }
    // A placeholder beside every name of a long staff list is no one's.
    let mut list = String::new();
    for i in 0..12 {
        list.push_str(&format!(
            r#"<li><img src="/placeholder.png"><p>Person{i} Surname{i}</p></li>"#
        ));
    }
    let html = format!("<html><body><ul>{list}</ul></body></html>");
    let e = extract(html.as_bytes(), &Url::parse("http://s.example/").unwrap());
    assert_eq!(e.images.len(), 1);
    assert_eq!(e.images[0].context.nearby_text, None);
}

#[test]
fn a_picture_alone_in_its_boxes_takes_the_paragraph_under_them() {
    // A CMS governors page (invented names): each photo in a lightbox
    // link, in a floated box, in a clearing box; the name and role in the
    // paragraph after the boxes; the footer after a photo is not its caption.
    let html = r#"<html><body><div class="content">
        <p><strong>Meet our Governors</strong></p>
        <div style="overflow: hidden;"><div style="float: left;"><p><b><a href="/full/aa.jpg"><img src="/aa.jpg" alt="AA"></a></b><span></span></p></div></div>
        <div style="clear: both;"></div>
        <p><span><strong>Alun Abbot - Parent, term of office: 13.06.19 - 12.06.25.</strong></span></p>
        <p>My name is Alun Abbot.</p>
        <div style="overflow: hidden;"><div style="float: left;"><div><a href="/full/bb.jpg"><img src="/bb.jpg" alt="BB.jpg"></a></div></div></div>
        <div style="clear: both;"></div>
        <div><div><strong><span>Bryn Bevan - <span>Co-Chair of Governors</span> Parent</span></strong></div>
        <div>My name is Bryn.</div><div style="overflow: hidden;"><img src="/next.jpg"></div></div>
        <div><div><img src="/dd.jpg"></div></div>
        <p>Text under the second of two photos is not the first one's.</p>
        </div>
        <div><div><a href="/catering.php"><img src="/badge.png"></a></div></div>
        <p>Cara Cole, Headteacher</p>
        <div><div><img src="/g1.jpg"></div><div><img src="/g2.jpg"></div></div>
        <p>Dan Dale</p>
        <div><div><img src="/ee.jpg"></div></div>
        <footer><p>Anna Other, webmaster</p></footer>
        </body></html>"#;
    let e = extract(html.as_bytes(), &Url::parse("http://s.example/").unwrap());
    let near = |url: &str| nearby(&e, url, FoundVia::Img);
    assert!(
        near("/aa.jpg").is_some_and(|t| t.starts_with("Alun Abbot - Parent")),
        "{:?}",
        near("/aa.jpg")
    );
    assert!(
        near("/bb.jpg").is_some_and(|t| t.starts_with("Bryn Bevan - Co-Chair of Governors")),
        "{:?}",
        near("/bb.jpg")
    );
    assert!(near("/dd.jpg").is_some_and(|t| t.contains("second of two")));
    // Page furniture is not a caption; a badge linking to a page has its
    // link's words; two photos in one box share no caption.
    assert_eq!(near("/ee.jpg"), None);
    assert_eq!(near("/badge.png"), None);
    assert_eq!(near("/g1.jpg"), None);
}

#[test]
fn a_caption_after_the_boxes_is_not_the_next_persons_name_or_the_page() {
    // Names written above the photos: the block after a photo is the next
    // person's name, not its caption.
    let above = r#"<html><body><main><h3>Mrs Ann Lee</h3><div><img src="/lee.jpg"></div><h3>Mr Tom Fry</h3><div><img src="/fry.jpg"></div></main></body></html>"#;
    let e = extract(above.as_bytes(), &Url::parse("http://s.example/").unwrap());
    for i in &e.images {
        let near = i.context.nearby_text.clone().unwrap_or_default();
        assert!(
            !near.contains("Tom Fry") || i.url.ends_with("/fry.jpg"),
            "{} has {near:?}",
            i.url
        );
    }
    // A banner's next sibling is the page's content, not its caption; a
    // script between a photo and its caption is passed over; a photo in a
    // <picture> still finds its caption.
    let page = r#"<html><body><div class="banner"><div><img src="/hero.jpg"></div></div>
        <main><p>Welcome from Mrs Jane Smith, our head</p>
        <div class="g"><div><picture><source srcset="/p.webp"><img src="/p.jpg"></picture></div></div><script>x()</script><p>Anna Able - Teacher</p>
        <div><div><a href="/ofsted" style="background-image:url(/tile.png)"></a></div></div><p>Ofsted report by Ben Baker</p>
        </main></body></html>"#;
    let e = extract(page.as_bytes(), &Url::parse("http://s.example/").unwrap());
    assert_eq!(nearby(&e, "/hero.jpg", FoundVia::Img), None);
    assert_eq!(
        nearby(&e, "/p.jpg", FoundVia::Img).as_deref(),
        Some("Anna Able - Teacher")
    );
    assert!(!nearby(&e, "/tile.png", FoundVia::Css)
        .unwrap_or_default()
        .contains("Ben Baker"));
}
/// A gallery of 50,000 pictures in one box with no text, or a few
/// thousand beside 100,000 empty elements, is read once, not once for each
/// picture: the search for their text has a budget per page. (Before it,
/// the first page took over four minutes of CPU in a release build.) The
/// pictures are still all found, up to the page's limit.
#[test]
fn the_search_for_pictures_text_is_bounded_per_page() {
    use std::fmt::Write as _;
    let mut many = String::new();
    for i in 0..50_000 {
        write!(many, "<img src=/{i}.jpg>").unwrap();
    }
    let gallery = format!("<html><body><div class=g>{many}</div></body></html>");
    let e = extract(
        gallery.as_bytes(),
        &Url::parse("http://s.example/").unwrap(),
    );
    assert_eq!(e.images.len(), MAX_IMAGES_PER_PAGE);
    let left = CONTEXT_BUDGET.with(std::cell::Cell::get);
    assert_eq!(left, 0, "the budget was spent: the walks stopped at it");
    assert!(e.context_cut, "and the page says so");
    let spans = "<span></span>".repeat(100_000);
    let mut imgs = String::new();
    for i in 0..2000 {
        write!(imgs, "<div><img src=/{i}.jpg></div>").unwrap();
    }
    let wide = format!("<html><body><div class=g>{imgs}{spans}</div></body></html>");
    let e = extract(wide.as_bytes(), &Url::parse("http://s.example/").unwrap());
    assert_eq!(e.images.len(), 2000);
    // Nor a table row of thousands of photo cells.
    let mut row = String::new();
    for i in 0..20_000 {
        write!(row, "<td><img src=/r{i}.jpg></td>").unwrap();
    }
    let table =
        format!("<html><body><table><tr>{row}</tr><tr><td>Anna</td></tr></table></body></html>");
    let e = extract(table.as_bytes(), &Url::parse("http://s.example/").unwrap());
    assert_eq!(e.images.len(), MAX_IMAGES_PER_PAGE);
    // A real page is far inside it: the budget is set again for each page.
    let page =
        r#"<html><body><div><img src="/a.jpg"></div><p>Anna Able - Teacher</p></body></html>"#;
    let e = extract(page.as_bytes(), &Url::parse("http://s.example/").unwrap());
    assert_eq!(
        e.images[0].context.nearby_text.as_deref(),
        Some("Anna Able - Teacher")
    );
    assert!(CONTEXT_BUDGET.with(std::cell::Cell::get) > CONTEXT_STEPS - 1000);
    assert!(!e.context_cut);
}

/// A news story and then a run of its photos, with nothing between them
/// (the real corpus's park "MUNCH" page): every photo of the run takes the
/// story, not only the first. A photo after another photo's own caption
/// still takes only its own text. Invented names.
#[test]
fn a_run_of_photos_after_a_story_shares_the_story() {
    let html = r#"<html><body><section><div class="row">
        <div class="columns"><p>On Tuesday we welcomed Cerys Penhallow, who presented a cheque to the project.</p></div>
        <div class="medium-6 columns"><img src="/one.jpg"></div>
        <div class="medium-6 columns"><img src="/two.jpg"></div>
        <div class="columns"><p>If anyone is hungry please contact us.</p></div>
        </div></section>
        <section><div class="row"><img src="/a.jpg"><p>Tomos Pryce at the fair</p><img src="/b.jpg"><p>The cake stall</p></div></section>
        </body></html>"#;
    let e = extract(
        html.as_bytes(),
        &Url::parse("http://s.example/news").unwrap(),
    );
    for path in ["/one.jpg", "/two.jpg"] {
        let text = nearby(&e, path, FoundVia::Img).unwrap_or_default();
        assert!(text.contains("Cerys Penhallow"), "{path}: {text}");
    }
    let b = nearby(&e, "/b.jpg", FoundVia::Img).unwrap_or_default();
    assert!(!b.contains("Tomos"), "{b}");
}

/// A class blog's post (the real corpus's ayton): a heading, a byline, a
/// cover photo, then photos between paragraphs. Every photo of the article
/// takes its heading and byline, the last photo too; a staff grid in an
/// article opening with its own heading gets no one else's name, and an
/// article opening with a long text has no head. Invented names.
#[test]
fn the_pictures_of_an_article_share_its_heading_and_byline() {
    let html = r#"<html><body><main><article><h1>Pudsey Day</h1>
        <div class="post-info">Rhiannon, 24 Nov 2023</div>
        <div class="cover-photo"><img src="/cover.webp"></div>
        <p><span><img src="/one.webp" alt></span></p>
        <p>We went to Mrs Tregarth's class to make biscuits.</p>
        <p><span><img src="/two.webp" alt></span></p>
        <div class="other-posts"><a href="/blog/x/">Next post</a></div>
        </article>
        <article><h2>Our staff</h2><div><img src="/a.jpg"><p>Anna Able - Teacher</p></div>
        <div><img src="/b.jpg"><p>Bryn Bowen - Caretaker</p></div></article>
        <article><div>"#;
    let long = "Long words go on here. ".repeat(20);
    let html = format!(
        "{html}{long}</div><section><div><img src=\"/c.jpg\"><p>Cai Morgan at the fair</p></div></section></article></main></body></html>"
    );
    let e = extract(
        html.as_bytes(),
        &Url::parse("http://s.example/blog/pudsey/").unwrap(),
    );
    for path in ["/cover.webp", "/one.webp", "/two.webp"] {
        let text = nearby(&e, path, FoundVia::Img).unwrap_or_default();
        assert!(text.contains("Rhiannon, 24 Nov 2023"), "{path}: {text}");
        assert!(text.contains("Pudsey Day"), "{path}: {text}");
    }
    let a = nearby(&e, "/a.jpg", FoundVia::Img).unwrap_or_default();
    assert!(a.contains("Anna Able") && !a.contains("Bryn"), "{a}");
    let c = nearby(&e, "/c.jpg", FoundVia::Img).unwrap_or_default();
    assert!(c.contains("Cai Morgan") && !c.contains("Long words"), "{c}");
}

/// A page of one article is shared as that article: its share picture
/// takes the article's heading and byline with the share description; a
/// page of several articles (a news listing) gives it none. Invented names.
#[test]
fn a_share_picture_of_one_article_takes_its_byline() {
    let page = |articles: &str| {
        format!(
            r#"<html><head><meta property="og:image" content="/share.jpg">
            <meta property="og:description" content="Our visit to the farm"></head>
            <body>{articles}</body></html>"#
        )
    };
    let share_text = |articles: &str, url: &str| {
        let e = extract(page(articles).as_bytes(), &Url::parse(url).unwrap());
        nearby(&e, "/share.jpg", FoundVia::OgImage).unwrap_or_default()
    };
    let text = share_text(
        "<article><h1>Farm visit</h1><div>Rhiannon and Cai, 3 May 2024</div><p>We saw goats.</p></article>",
        "http://s.example/blog/farm/",
    );
    assert!(
        text.contains("Rhiannon and Cai") && text.contains("Our visit"),
        "{text}"
    );
    let text = share_text(
        "<article><h2>Farm</h2><div>Rhiannon</div><p>x</p></article><article><h2>Fair</h2><div>Cai</div><p>y</p></article>",
        "http://s.example/news/",
    );
    assert_eq!(text, "Our visit to the farm");
}
