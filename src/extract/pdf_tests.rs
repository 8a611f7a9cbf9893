//! PDFs made by reportlab and by hand (tests/fixtures/documents/make_documents.py).

use super::super::document::{DocLimits, Format, Opened, Payload, Place};
use crate::analysis::{self, HashLimits};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/documents/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

pub(crate) fn limits() -> DocLimits {
    DocLimits {
        max_pages: 100,
        max_pictures: 100,
        max_depth: 8,
        max_decompressed: 16 << 20,
        max_pixels: 50_000_000,
        deadline: None,
    }
}

fn phash(doc: &Opened, place: &Place) -> u64 {
    let l = HashLimits {
        max_pixels: 50_000_000,
    };
    match doc.payload(place).unwrap() {
        Payload::Encoded(b) => analysis::analyse(&b, l).unwrap().phash,
        Payload::Raster(r) => analysis::analyse_raster(&r, l).unwrap().phash,
    }
}

#[test]
fn every_encoding_gives_the_same_picture_with_its_caption() {
    let doc = Opened::open(Format::Pdf, &fixture("encodings.pdf"), limits()).unwrap();
    let (_, pictures, skipped) = doc.pictures();
    assert!(skipped.errors.is_empty(), "{skipped:?}");
    let captions: Vec<(u32, String)> = pictures
        .iter()
        .map(|p| (p.page, p.caption.clone().unwrap_or_default()))
        .collect();
    let want: Vec<(u32, String)> = [
        "Flate grey",
        "Flate RGB with a soft mask",
        "Flate CMYK",
        "Flate indexed",
        "ICC based",
        "LZW",
        "ASCIIHex",
        "JPEG 2000",
        "inline",
        "form",
        "pattern",
    ]
    .iter()
    .enumerate()
    .map(|(i, l)| (i as u32 + 1, format!("Encoding: {l}")))
    .collect();
    // The pattern's picture has no known place: its page text is document text.
    let mut got = captions.clone();
    got[10].1 = pictures[10].document_text.clone().unwrap_or_default();
    assert_eq!(got, want);
    let first = phash(&doc, &pictures[0].source);
    // Same photo, any encoding: the same hash or within a few bits (the
    // indexed copy has 64 colours, the inline copy is 64 px).
    for (i, p) in pictures.iter().enumerate() {
        let d = (phash(&doc, &p.source) ^ first).count_ones();
        match p.page {
            2 | 10 | 11 => {} // masked, flipped, rotated: other pictures
            _ => assert!(d <= 6, "page {} ({}) is {d} bits away", p.page, want[i].1),
        }
    }
}

#[test]
fn a_two_column_newsletter_puts_each_name_beside_its_own_photo() {
    let doc = Opened::open(Format::Pdf, &fixture("newsletter.pdf"), limits()).unwrap();
    let (info, pictures, skipped) = doc.pictures();
    assert_eq!(info.author.as_deref(), Some("Mrs Kate Morwenna"));
    assert_eq!(info.title.as_deref(), Some("Newsletter 12"));
    // The logo on every page is decoration, recorded once as left out.
    assert_eq!(
        skipped.counts.get("document decoration"),
        Some(&2),
        "{skipped:?}"
    );
    let by_page: Vec<(u32, Option<&str>)> = pictures
        .iter()
        .map(|p| (p.page, p.caption.as_deref()))
        .collect();
    assert_eq!(
        by_page,
        [
            (1, Some("Star of the week: Amelia Jones, Year 3")),
            (1, Some("Gethin Rhys won the reading prize")),
            // A page turned 90 degrees: its text is still beside its photo.
            (2, Some("Cerys Evans (Year 5) took our photographs")),
        ]
    );
    let left = &pictures[0];
    // The letter under the left column is near the left photo; the other
    // column's caption is not, but goes with it as the page's text.
    let near = left.nearby_text.clone().unwrap_or_default();
    assert!(!near.contains("Gethin"), "{near}");
    assert!(near.contains("swimming gala"), "{near}");
    let rest = left.document_text.clone().unwrap_or_default();
    assert_eq!(rest, "Gethin Rhys won the reading prize");
    let right = &pictures[1];
    let near = right.nearby_text.clone().unwrap_or_default();
    assert!(!near.contains("Amelia"), "{near}");
    // The JPEG is handed over as it is stored (DCTDecode, not re-encoded).
    match doc.payload(&left.source).unwrap() {
        Payload::Encoded(b) => assert!(b.starts_with(&[0xFF, 0xD8])),
        Payload::Raster(_) => panic!("a JPEG stream was decoded"),
    }
}

#[test]
fn an_empty_user_password_is_read_and_any_other_is_refused() {
    let open = Opened::open(
        Format::Pdf,
        &fixture("encrypted-empty-password.pdf"),
        limits(),
    )
    .unwrap();
    let (_, pictures, _) = open.pictures();
    assert_eq!(pictures.len(), 1);
    assert!(pictures[0]
        .caption
        .as_deref()
        .is_some_and(|c| c.contains("Sandra Hughes")));
    phash(&open, &pictures[0].source);
    let Err(e) = Opened::open(
        Format::Pdf,
        &fixture("encrypted-with-password.pdf"),
        limits(),
    ) else {
        panic!("a PDF that needs a password was read");
    };
    assert!(e.contains("password"), "{e}");
}

#[test]
fn hostile_pdfs_are_errors_within_their_bounds() {
    let small = DocLimits {
        max_decompressed: 1 << 20,
        ..limits()
    };
    // A Flate bomb: the picture is refused at the bound, not inflated.
    let doc = Opened::open(Format::Pdf, &fixture("hostile/flate-bomb.pdf"), small).unwrap();
    let (_, pictures, _) = doc.pictures();
    assert_eq!(pictures.len(), 1);
    let e = doc.payload(&pictures[0].source).unwrap_err();
    assert!(e.contains("decompress") || e.contains("limit"), "{e}");
    // Forms drawing themselves: stopped at the depth bound.
    let doc = Opened::open(Format::Pdf, &fixture("hostile/recursive-forms.pdf"), small).unwrap();
    let (_, pictures, skipped) = doc.pictures();
    assert!(pictures.is_empty());
    assert!(
        skipped.errors.iter().any(|e| e.contains("max_depth")),
        "{skipped:?}"
    );
    // A truncated file: an error or what could be read, never a panic.
    if let Ok(doc) = Opened::open(Format::Pdf, &fixture("hostile/truncated.pdf"), small) {
        let _ = doc.pictures();
    }
    // Not a PDF at all.
    assert!(Opened::open(Format::Pdf, b"%PDF-1.4 garbage", small).is_err());
}
