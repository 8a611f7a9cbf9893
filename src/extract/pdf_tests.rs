//! PDFs made by reportlab and by hand (tests/fixtures/documents/make_documents.py).

use super::super::document::{DocLimits, Format, OpenError, Opened, Payload, Place};
use super::{lift_inline_images, INLINE_OPERATOR};
use crate::analysis::{self, HashLimits};
use lopdf::{dictionary, Document, Object, Stream};

/// A document fixture's bytes (tests/fixtures/documents/NAME).
pub(crate) fn fixture(name: &str) -> Vec<u8> {
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
    assert_eq!(e, OpenError::Protected);
    assert!(e.to_string().contains("password"), "{e}");
}

#[test]
fn hostile_pdfs_are_errors_within_their_bounds() {
    let small = DocLimits {
        max_decompressed: 1 << 20,
        ..limits()
    };
    // A Flate bomb: the picture (8192 x 8192, allowed by the pixel bound
    // here) is refused at the decompression bound, not inflated.
    let bomb_limits = DocLimits {
        max_pixels: 1 << 27,
        ..small
    };
    let doc = Opened::open(Format::Pdf, &fixture("hostile/flate-bomb.pdf"), bomb_limits).unwrap();
    let (_, pictures, _) = doc.pictures();
    assert_eq!(pictures.len(), 1);
    let e = doc.payload(&pictures[0].source).unwrap_err();
    assert!(e.contains("decompress"), "{e}");
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

/// A PDF of the given pages (content, resources), written by lopdf.
fn build_pdf(pages: Vec<(Vec<u8>, lopdf::Dictionary)>, extra: Vec<(u32, Object)>) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    for (n, o) in extra {
        doc.objects.insert((n, 0), o);
    }
    doc.max_id = doc.max_id.max(1000);
    let pages_id = doc.new_object_id();
    let mut kids = Vec::new();
    for (content, resources) in pages {
        let content_id = doc.add_object(Stream::new(dictionary! {}, content));
        let page = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Contents" => content_id,
            "Resources" => resources,
        });
        kids.push(Object::Reference(page));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

/// A grey picture XObject of `side` pixels, uncompressed.
fn grey_picture(side: u32) -> Object {
    let data: Vec<u8> = (0..side * side).map(|i| (i * 7 % 251) as u8).collect();
    Object::Stream(Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Image",
            "Width" => i64::from(side), "Height" => i64::from(side),
            "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8,
        },
        data,
    ))
}

#[test]
fn the_same_logo_on_every_page_is_one_picture() {
    let res = || dictionary! { "XObject" => dictionary! { "Logo" => Object::Reference((900, 0)) } };
    let draw =
        b"q 60 0 0 60 40 760 cm /Logo Do Q BT /F1 12 Tf 40 740 Td (Newsletter) Tj ET".to_vec();
    let pdf = build_pdf(
        vec![(draw.clone(), res()), (draw.clone(), res()), (draw, res())],
        vec![(900, grey_picture(64))],
    );
    let doc = Opened::open(Format::Pdf, &pdf, limits()).unwrap();
    let (_, pictures, skipped) = doc.pictures();
    assert_eq!(pictures.len(), 1, "{pictures:?}");
    assert_eq!(pictures[0].page, 1);
    assert_eq!(
        skipped.counts.get("document pictures repeated"),
        Some(&2),
        "{skipped:?}"
    );
}

#[test]
fn a_page_too_heavy_to_follow_still_gives_its_pictures() {
    // 5 MiB of operands with no operator: over the content-stream bound.
    let heavy: Vec<u8> = b"0 ".repeat(5 << 19);
    let res = dictionary! { "XObject" => dictionary! { "Photo" => Object::Reference((900, 0)) } };
    let pdf = build_pdf(vec![(heavy, res)], vec![(900, grey_picture(64))]);
    let doc = Opened::open(Format::Pdf, &pdf, limits()).unwrap();
    let (_, pictures, skipped) = doc.pictures();
    assert_eq!(
        pictures.len(),
        1,
        "the page's picture is listed: {skipped:?}"
    );
    assert!(
        skipped.errors.iter().any(|e| e.contains("page 1")),
        "{skipped:?}"
    );
}

#[test]
fn a_form_drawn_many_times_is_stopped_at_the_page_budget() {
    // A 64 KiB form drawn 400 times: 25 MiB of drawing on one page.
    let mut form = b"BT /F1 12 Tf 0 0 Td (".to_vec();
    form.extend(b"x".repeat(64 * 1024));
    form.extend_from_slice(b") Tj ET q 60 0 0 60 0 0 cm /Photo Do Q");
    let form = Object::Stream(Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Form",
            "BBox" => vec![0.into(), 0.into(), 100.into(), 100.into()],
            "Resources" => dictionary! { "XObject" => dictionary! { "Photo" => Object::Reference((901, 0)) } },
        },
        form,
    ));
    let mut content = b"q 100 0 0 100 40 600 cm /Photo Do Q ".to_vec();
    content.extend(b"/Big Do ".repeat(400));
    let res = dictionary! { "XObject" => dictionary! {
    "Big" => Object::Reference((900, 0)), "Photo" => Object::Reference((901, 0)) } };
    let pdf = build_pdf(
        vec![(content, res)],
        vec![(900, form), (901, grey_picture(64))],
    );
    let doc = Opened::open(Format::Pdf, &pdf, limits()).unwrap();
    let (_, pictures, skipped) = doc.pictures();
    // The picture drawn before the budget ran out is kept, with its place.
    assert_eq!(pictures.len(), 1, "{skipped:?}");
    assert!(
        skipped.errors.iter().any(|e| e.contains("MiB of drawing")),
        "{skipped:?}"
    );
}

#[test]
fn a_picture_whose_size_is_a_reference_is_read() {
    let mut picture = grey_picture(64);
    if let Object::Stream(s) = &mut picture {
        s.dict.set("Width", Object::Reference((902, 0)));
    }
    let res = dictionary! { "XObject" => dictionary! { "Photo" => Object::Reference((900, 0)) } };
    let pdf = build_pdf(
        vec![(b"q 100 0 0 100 40 600 cm /Photo Do Q".to_vec(), res)],
        vec![(900, picture), (902, Object::Integer(64))],
    );
    let doc = Opened::open(Format::Pdf, &pdf, limits()).unwrap();
    let (_, pictures, skipped) = doc.pictures();
    assert_eq!(pictures.len(), 1, "{skipped:?}");
    assert_eq!((pictures[0].width, pictures[0].height), (64, 64));
    phash(&doc, &pictures[0].source);
}

/// Issue 20: inline images with a filter and a colour space named in the
/// resources. lopdf's content parser stops the stream at such an image
/// without an error, losing it and everything drawn after it.
#[test]
fn compressed_inline_images_are_read_and_the_page_goes_on() {
    use std::io::Write;
    let side = 64u32;
    let raw: Vec<u8> = (0..side * side * 3).map(|i| (i * 13 % 251) as u8).collect();
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&raw).unwrap();
    let data = z.finish().unwrap();
    let mut content = b"q 100 0 0 100 40 600 cm BI /W 64 /H 64 /CS /Cs1 /BPC 8 /F /Fl ID ".to_vec();
    content.extend_from_slice(&data);
    content.extend_from_slice(
        b"\nEI Q BT /F1 10 Tf 40 585 Td (Inline photo: Cerys Evans) Tj ET \
          q 100 0 0 100 300 600 cm /Photo Do Q BT /F1 10 Tf 300 585 Td (Second photo: Rhys Morgan) Tj ET",
    );
    let res = dictionary! {
        "XObject" => dictionary! { "Photo" => Object::Reference((900, 0)) },
        "ColorSpace" => dictionary! { "Cs1" => "DeviceRGB" },
    };
    let pdf = build_pdf(vec![(content, res)], vec![(900, grey_picture(64))]);
    let doc = Opened::open(Format::Pdf, &pdf, limits()).unwrap();
    let (_, pictures, skipped) = doc.pictures();
    assert_eq!(pictures.len(), 2, "{skipped:?}");
    let captions: Vec<String> = pictures
        .iter()
        .map(|p| p.caption.clone().unwrap_or_default())
        .collect();
    assert!(
        captions.iter().any(|c| c.contains("Cerys Evans")),
        "{captions:?}"
    );
    assert!(
        captions.iter().any(|c| c.contains("Rhys Morgan")),
        "{captions:?}"
    );
    for p in &pictures {
        phash(&doc, &p.source);
    }
}

#[test]
fn inline_images_are_lifted_without_touching_text() {
    let content = b"BT (BI is not an image ID EI) Tj ET % BI in a comment\nBI /W 2 /H 1 /CS /G /BPC 8 ID \x01\x02\nEI 1 0 0 1 0 0 cm";
    let (lifted, images) = lift_inline_images(content);
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].content, vec![1, 2]);
    assert_eq!(images[0].dict.get(b"W").unwrap().as_i64().unwrap(), 2);
    let lifted = String::from_utf8_lossy(&lifted);
    assert!(
        lifted.starts_with("BT (BI is not an image ID EI) Tj ET"),
        "{lifted}"
    );
    assert!(
        lifted.contains(&format!(" 0 {INLINE_OPERATOR} ")),
        "{lifted}"
    );
    assert!(lifted.ends_with("1 0 0 1 0 0 cm"), "{lifted}");
}

#[test]
fn text_drawn_a_glyph_at_a_time_reads_as_words_by_the_fonts_widths() {
    let doc = Opened::open(Format::Pdf, &fixture("text-layout.pdf"), limits()).unwrap();
    let (_, pictures, skipped) = doc.pictures();
    assert!(skipped.errors.is_empty(), "{skipped:?}");
    let photo = pictures.iter().find(|p| p.page == 1).unwrap();
    // A composite font, one Td a glyph and spaces only moves (Google Docs).
    assert_eq!(photo.caption.as_deref(), Some("Amelia Jones, Year 3"));
    // A simple font's Widths, the line drawn in pieces that split words.
    let nearby = photo.nearby_text.clone().unwrap_or_default();
    assert!(
        nearby.contains("Star of the week: Owen Price"),
        "{nearby:?}"
    );
    let all = format!(
        "{nearby}\n{}",
        photo.document_text.clone().unwrap_or_default()
    );
    assert!(
        all.contains("Welcome to Halcyon International School"),
        "{all:?}"
    );
}

#[test]
fn one_bit_soft_masks_stencil_masks_and_patterns_inside_forms() {
    let doc = Opened::open(Format::Pdf, &fixture("text-layout.pdf"), limits()).unwrap();
    let (_, pictures, skipped) = doc.pictures();
    assert!(skipped.errors.is_empty(), "{skipped:?}");
    let page2: Vec<_> = pictures.iter().filter(|p| p.page == 2).collect();
    // The soft-masked picture, the stencil-masked one and the pattern's
    // picture inside the form.
    assert_eq!(page2.len(), 3, "{page2:?}");
    for (p, masked) in page2.iter().zip([true, true, false]) {
        let Payload::Raster(r) = doc.payload(&p.source).unwrap() else {
            panic!("a Flate picture is samples");
        };
        match (&r.alpha, masked) {
            (Some((w, h, a)), true) => {
                assert_eq!((*w, *h), (160, 160));
                // 16-pixel squares: the first opaque, the next see-through
                // (a 1 in the soft mask is opaque; in a stencil, masked out).
                let (first, next) = (a[0], a[16]);
                assert_eq!(first.min(next), 0, "{first} {next}");
                assert_eq!(first.max(next), 255, "{first} {next}");
                assert_ne!(first, next);
            }
            (None, false) => {}
            (alpha, _) => panic!(
                "page 2 picture {}: alpha {:?}",
                p.index,
                alpha.as_ref().map(|a| a.2.len())
            ),
        }
    }
    // Transparency is part of what the picture is: the masked one does not
    // hash as the unmasked flipped photo would.
    let l = HashLimits {
        max_pixels: 50_000_000,
    };
    let Payload::Raster(mut r) = doc.payload(&page2[1].source).unwrap() else {
        unreachable!()
    };
    let with = analysis::analyse_raster(&r, l).unwrap().phash;
    r.alpha = None;
    let without = analysis::analyse_raster(&r, l).unwrap().phash;
    assert_ne!(with, without);
}

#[test]
fn a_pictures_identity_survives_renumbering_its_objects() {
    // The same file with every object renumbered (as a re-save does):
    // the soft-masked picture keeps its identity.
    let bytes = fixture("text-layout.pdf");
    let mut doc = Document::load_mem(&bytes).unwrap();
    doc.renumber_objects_with(100);
    let mut renumbered = Vec::new();
    doc.save_to(&mut renumbered).unwrap();
    let ids = |bytes: &[u8]| -> Vec<String> {
        let doc = Opened::open(Format::Pdf, bytes, limits()).unwrap();
        let (_, pictures, _) = doc.pictures();
        pictures
            .iter()
            .map(|p| match doc.payload(&p.source).unwrap() {
                Payload::Raster(r) => r.sha256,
                Payload::Encoded(b) => format!("{}", b.len()),
            })
            .collect()
    };
    let (a, b) = (ids(&bytes), ids(&renumbered));
    assert_eq!(a.len(), 4);
    assert_eq!(a, b);
}
