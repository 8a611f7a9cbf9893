//! Issue 20: documents read the way a scraper reads them. Newsletters,
//! letters and slides made by reportlab, python-docx, python-pptx and odfpy
//! (tests/fixtures/documents/make_documents.py), served from a real HTTP
//! server on 127.0.0.1.

use std::sync::Arc;

use serde_json::Value;

use crate::support::*;

fn document(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/documents/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// A file that sends an ETag and answers 304 when asked with it.
fn with_etag(ctype: &'static str, body: Vec<u8>) -> Handler {
    Arc::new(move |req| {
        let tag = "\"doc-v1\"";
        if req
            .headers()
            .get("if-none-match")
            .and_then(|v| v.to_str().ok())
            == Some(tag)
        {
            return axum::response::Response::builder()
                .status(304)
                .header("etag", tag)
                .body(axum::body::Body::empty())
                .unwrap();
        }
        let mut r = respond(200, ctype, body.clone());
        r.headers_mut().insert("etag", tag.parse().unwrap());
        r
    })
}

const PDF: &str = "application/pdf";

/// Occurrences inside documents: (document, page, picture address tail).
fn inside(report: &Value) -> Vec<(String, u64, String)> {
    let mut out: Vec<(String, u64, String)> = report["exposures"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["occurrences"].as_array().unwrap().iter())
        .filter(|o| o["found_via"] == "document")
        .map(|o| {
            let page = o["page_url"].as_str().unwrap();
            let image = o["image_url"].as_str().unwrap();
            (
                page.rsplit('/').next().unwrap().to_string(),
                o["document_page"].as_u64().unwrap(),
                image.rsplit_once('#').unwrap().1.to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn a_web_photo_and_its_copy_in_the_newsletter_are_one_exposure_with_the_names_beside_it() {
    let site = Site::start(vec![
        (
            "/",
            html(
                r#"<html><head><title>News</title></head><body>
                <img src="/uploads/star-300x351.jpg" alt="Star of the week">
                <a href="/docs/newsletter-12.pdf">This week's newsletter</a></body></html>"#,
            ),
        ),
        (
            "/uploads/star-300x351.jpg",
            jpeg(resized_jpeg("grace_hopper.jpg", 300, 80)),
        ),
        (
            "/docs/newsletter-12.pdf",
            with_etag(PDF, document("newsletter.pdf")),
        ),
    ])
    .await;
    let dir = tempdir();
    let db = db_in(&dir);
    let cfg = config(&config_text(&db, &site.url("/"), ""));
    let first = audit(&cfg).await;
    let r = &first.report;
    assert_contract_shape(r);
    assert_eq!(r["run"]["status"], "complete", "{:#}", r["run"]);
    assert_eq!(r["run"]["documents_fetched"], 1);
    assert_eq!(
        inside(r),
        [
            ("newsletter-12.pdf".into(), 1, "page=1&image=1".into()),
            ("newsletter-12.pdf".into(), 1, "page=1&image=2".into()),
            ("newsletter-12.pdf".into(), 2, "page=2&image=1".into()),
        ],
        "the logo on every page is decoration, left out"
    );
    // The web copy and the newsletter's copy (another size) are one exposure.
    let star = exposure_with(r, "star-300x351.jpg");
    let vias: Vec<&str> = star["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["found_via"].as_str().unwrap())
        .collect();
    assert_eq!(vias.len(), 2, "{star:#}");
    assert!(
        vias.contains(&"img") && vias.contains(&"document"),
        "{vias:?}"
    );
    // The name beside it in the newsletter, the other column's name only as
    // the page's text, and the newsletter's author from its metadata.
    let names = names_on(star);
    assert!(
        names.contains(&("Amelia Jones".into(), "caption".into())),
        "{names:?}"
    );
    assert!(
        names.contains(&("Gethin Rhys".into(), "document_text".into())),
        "{names:?}"
    );
    assert!(
        !names.contains(&("Gethin Rhys".into(), "caption".into())),
        "{names:?}"
    );
    assert!(
        names
            .iter()
            .any(|(n, w)| n.contains("Kate Morwenna") && w == "metadata"),
        "{names:?}"
    );
    let detail_page = star["details"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["text"] == "Amelia Jones")
        .unwrap()["page_url"]
        .clone();
    assert!(detail_page.as_str().unwrap().ends_with("newsletter-12.pdf"));

    // A week later, unchanged: the newsletter is asked for conditionally,
    // answered 304, and its pictures are still there.
    let bytes_before = site.request_count("/docs/newsletter-12.pdf");
    let second = audit(&cfg).await;
    let asked = site.headers_of("/docs/newsletter-12.pdf");
    assert_eq!(asked.len(), bytes_before + 1);
    assert!(asked.last().unwrap().contains_key("if-none-match"));
    assert_eq!(inside(&second.report), inside(r));
    let all_unchanged = changes(&second.report).values().all(|c| c == "unchanged");
    assert!(all_unchanged, "{:?}", changes(&second.report));
    assert_eq!(second.report["run"]["documents_fetched"], 1);
}

#[tokio::test]
async fn slides_and_letters_give_their_pictures_with_alt_text_and_slide_numbers() {
    const PPTX: &str = "application/vnd.openxmlformats-officedocument.presentationml.presentation";
    const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    let site = Site::start(vec![
        (
            "/",
            html(r#"<a href="/assembly.pptx">Slides</a> <a href="/letter.docx">Letter</a> <a href="/news.odt">News</a>"#),
        ),
        ("/assembly.pptx", fixed(200, PPTX, document("assembly.pptx"))),
        ("/letter.docx", fixed(200, DOCX, document("letter.docx"))),
        (
            "/news.odt",
            fixed(200, "application/vnd.oasis.opendocument.text", document("class-news.odt")),
        ),
    ])
    .await;
    let dir = tempdir();
    let db = db_in(&dir);
    let r = audit(&config(&config_text(&db, &site.url("/"), "")))
        .await
        .report;
    assert_eq!(r["run"]["documents_fetched"], 3);
    assert_eq!(
        inside(&r),
        [
            ("assembly.pptx".into(), 1, "page=1&image=1".into()),
            ("assembly.pptx".into(), 2, "page=2&image=1".into()),
            ("letter.docx".into(), 1, "page=1&image=1".into()),
            ("news.odt".into(), 1, "page=1&image=1".into()),
        ]
    );
    let all: Vec<(String, String)> = r["exposures"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(names_on)
        .collect();
    for want in [
        ("Rhys Williams", "alt"),
        ("Simon Price", "caption"),
        ("Heather Lewis", "metadata"),
        ("Paul Davies", "metadata"),
        ("Owen Price", "alt"),
    ] {
        assert!(
            all.iter().any(|(n, w)| n.contains(want.0) && w == want.1),
            "{want:?} not in {all:?}"
        );
    }
}

#[tokio::test]
async fn hostile_documents_are_recorded_errors_and_the_run_goes_on() {
    let mut routes = vec![
        (
            "/",
            html(
                r#"<img src="/photo.jpg" alt="Class photo">
                <a href="/a.pdf">a</a> <a href="/b.pdf">b</a> <a href="/c.pdf">c</a>
                <a href="/d.docx">d</a> <a href="/e.pdf">e</a> <a href="/f.pdf">f</a>"#,
            ),
        ),
        ("/photo.jpg", jpeg(resized_jpeg("astronaut.png", 200, 80))),
    ];
    let docs: [(&str, &'static str, Vec<u8>); 6] = [
        ("/a.pdf", PDF, document("hostile/flate-bomb.pdf")),
        ("/b.pdf", PDF, document("hostile/recursive-forms.pdf")),
        ("/c.pdf", PDF, document("hostile/truncated.pdf")),
        (
            "/d.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            document("hostile/zip-bomb.docx"),
        ),
        ("/e.pdf", PDF, document("encrypted-with-password.pdf")),
        ("/f.pdf", PDF, b"%PDF-1.7\n\x00\x01 not really".to_vec()),
    ];
    for (path, ctype, body) in docs {
        routes.push((path, fixed(200, ctype, body)));
    }
    let site = Site::start(routes).await;
    let dir = tempdir();
    let db = db_in(&dir);
    let mut text = config_text(&db, &site.url("/"), "");
    text.push_str("\n[documents]\nmax_decompressed_bytes = 1048576\n");
    let got = audit(&config(&text)).await;
    // The photo on the page is still reported.
    exposure_with(&got.report, "photo.jpg");
    assert_eq!(got.report["run"]["documents_fetched"], 6);
    let errors = recorded_errors(&db, got.summary.run_id);
    let error_of = |path: &str| {
        errors
            .iter()
            .find(|(u, _)| u.ends_with(path))
            .map(|(_, e)| e.clone())
    };
    assert!(
        error_of("/e.pdf").is_some_and(|e| e.contains("password")),
        "{errors:?}"
    );
    assert!(
        error_of("/f.pdf").is_some_and(|e| e.contains("not a readable PDF")),
        "{errors:?}"
    );
    // The bomb's picture is refused at the bound, as a recorded error.
    assert!(
        errors.iter().any(|(u, e)| u.contains("/a.pdf#page=1")
            && (e.contains("limit") || e.contains("decompress"))),
        "{errors:?}"
    );
    // What could not be read here, a scraper with another reader might:
    // the run says it is partial.
    assert_eq!(
        got.report["run"]["status"], "partial",
        "{:#}",
        got.report["run"]
    );
}

#[tokio::test]
async fn a_password_protected_document_is_recorded_and_the_run_is_complete() {
    // No scraper without the password reads it either: the audit saw all
    // there is to see, so the run is complete, and the document's error is
    // on record.
    let site = Site::start(vec![
        (
            "/",
            html(r#"<img src="/photo.jpg" alt="Class photo"> <a href="/letter.pdf">letter</a>"#),
        ),
        ("/photo.jpg", jpeg(resized_jpeg("astronaut.png", 200, 80))),
        (
            "/letter.pdf",
            fixed(200, PDF, document("encrypted-with-password.pdf")),
        ),
    ])
    .await;
    let dir = tempdir();
    let db = db_in(&dir);
    let got = audit(&config(&config_text(&db, &site.url("/"), ""))).await;
    assert_eq!(
        got.report["run"]["status"], "complete",
        "{:#}",
        got.report["run"]
    );
    assert_eq!(got.report["run"]["documents_fetched"], 1);
    let errors = recorded_errors(&db, got.summary.run_id);
    assert!(
        errors
            .iter()
            .any(|(u, e)| u.ends_with("/letter.pdf") && e.contains("password")),
        "{errors:?}"
    );
}

/// Issue 20, point 6: documents no page links are still read when the
/// WordPress media API lists them (`application/pdf` uploads) or an open
/// folder listing shows them, as a scraper walking those routes reads them.
#[tokio::test]
async fn documents_only_the_media_api_or_a_folder_listing_names_are_read() {
    let media = br#"[{"id": 7, "mime_type": "application/pdf",
        "source_url": "/wp-content/uploads/2026/05/newsletter-may.pdf",
        "link": "/newsletter-may/"}]"#
        .to_vec();
    let site = Site::start(vec![
        (
            "/",
            html(
                "<html><head><link rel='https://api.w.org/' href='/wp-json/'></head><body>\
                 <img src='/files/2026/photo.jpg' alt='Class photo'></body></html>",
            ),
        ),
        ("/wp-json/wp/v2/media", fixed(200, "application/json", media)),
        (
            "/wp-content/uploads/2026/05/newsletter-may.pdf",
            fixed(200, PDF, document("newsletter.pdf")),
        ),
        (
            "/files/2026/",
            html(
                "<html><head><title>Index of /files/2026/</title></head><body>\
                 <h1>Index of /files/2026/</h1><a href='../'>Parent</a> \
                 <a href='photo.jpg'>photo.jpg</a> <a href='letter.docx'>letter.docx</a></body></html>",
            ),
        ),
        ("/files/2026/photo.jpg", jpeg(resized_jpeg("astronaut.png", 200, 80))),
        (
            "/files/2026/letter.docx",
            fixed(
                200,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                document("letter.docx"),
            ),
        ),
    ])
    .await;
    let dir = tempdir();
    let db = db_in(&dir);
    let got = audit(&config(&config_text(&db, &site.url("/"), ""))).await;
    let docs: Vec<String> = inside(&got.report).into_iter().map(|(d, _, _)| d).collect();
    assert!(docs.iter().any(|d| d == "newsletter-may.pdf"), "{docs:?}");
    assert!(docs.iter().any(|d| d == "letter.docx"), "{docs:?}");
    assert_eq!(
        got.report["run"]["documents_fetched"], 2,
        "{:#}",
        got.report["run"]
    );
}

/// An icon in a Word file (an Office package does not give a picture's
/// size before it is decoded) is decoration, as a PDF's is: counted, not
/// reported.
#[tokio::test]
async fn an_icon_in_a_word_file_is_not_reported() {
    use std::io::{Read, Write};
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(document("letter.docx"))).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..src.len() {
        let mut f = src.by_index(i).unwrap();
        let name = f.name().unwrap().into_owned();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        if name == "word/media/image1.jpg" {
            bytes = resized_jpeg("astronaut.png", 24, 80);
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&bytes).unwrap();
    }
    let icon_letter = out.finish().unwrap().into_inner();
    let site = Site::start(vec![
        ("/", html(r#"<a href="/letter.docx">Letter</a>"#)),
        (
            "/letter.docx",
            fixed(
                200,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                icon_letter,
            ),
        ),
    ])
    .await;
    let dir = tempdir();
    let db = db_in(&dir);
    let got = audit(&config(&config_text(&db, &site.url("/"), ""))).await;
    assert_eq!(got.report["run"]["documents_fetched"], 1);
    assert_eq!(inside(&got.report), vec![], "{:#}", got.report["exposures"]);
}
