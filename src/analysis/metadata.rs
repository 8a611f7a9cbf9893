//! Embedded metadata that says who and where: EXIF (kamadak-exif: GPS,
//! Artist, XPAuthor, Copyright, ImageDescription, date, camera, orientation),
//! the legacy PNG "Raw profile type exif" text chunk some tools still write,
//! XMP packets (people in the image, face-region names, creator, description)
//! and IPTC-IIM (by-line, caption). Pure and bounded.

use std::io::{Cursor, Read};

use exif::{In, Reader, Tag, Value};
use image::ImageFormat;
use quick_xml::events::Event;

use crate::extract::clean_text;
use crate::model::{Gps, PictureMetadata};

/// Longest text kept from one metadata field.
const FIELD_CHARS: usize = 500;
/// Most people names kept from one picture.
const MAX_PEOPLE: usize = 100;

/// Metadata plus the EXIF orientation the decoder must apply.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Embedded {
    pub metadata: PictureMetadata,
    pub orientation: Option<u8>,
}

/// Reads every metadata form the picture carries; missing or corrupt
/// metadata yields empty fields, never an error.
pub fn read(bytes: &[u8], format: ImageFormat) -> Embedded {
    let mut out = Embedded::default();
    let exif = lenient()
        .read_from_container(&mut Cursor::new(bytes))
        .or_else(|e| e.distill_partial_result(|_| {}))
        .ok()
        .or_else(|| {
            (format == ImageFormat::Png)
                .then(|| png_legacy_exif(bytes))
                .flatten()
        });
    if let Some(exif) = exif {
        read_exif(&exif, &mut out);
    }
    if let Some(xmp) = find_xmp(bytes) {
        read_xmp(xmp, &mut out.metadata);
    }
    if format == ImageFormat::Jpeg {
        if let Some(iptc) = jpeg_iptc(bytes) {
            read_iim(&iptc, &mut out.metadata);
        }
    }
    out.metadata.people.sort();
    out.metadata.people.dedup();
    out
}

/// A reader that keeps what it could parse of slightly malformed EXIF (many
/// tools write odd IFD chains); corrupt fields are skipped, not fatal.
fn lenient() -> Reader {
    let mut r = Reader::new();
    r.continue_on_error(true);
    r
}

/// Only the EXIF orientation (for the hash-only path).
pub fn orientation(bytes: &[u8]) -> Option<u8> {
    let exif = lenient()
        .read_from_container(&mut Cursor::new(bytes))
        .or_else(|e| e.distill_partial_result(|_| {}))
        .ok()?;
    exif.get_field(Tag::Orientation, In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .and_then(|v| u8::try_from(v).ok())
}

fn field_text(exif: &exif::Exif, tag: Tag) -> Option<String> {
    let f = exif.get_field(tag, In::PRIMARY)?;
    let s = match &f.value {
        Value::Ascii(parts) => parts
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect::<Vec<_>>()
            .join(" "),
        Value::Undefined(b, _) => String::from_utf8_lossy(b).into_owned(),
        other => exif::Field {
            tag,
            ifd_num: In::PRIMARY,
            value: other.clone(),
        }
        .display_value()
        .to_string(),
    };
    let s = clean_text(s.trim_matches(char::from(0)));
    (!s.is_empty()).then(|| crate::extract::truncate_chars(&s, FIELD_CHARS))
}

fn read_exif(exif: &exif::Exif, out: &mut Embedded) {
    out.orientation = exif
        .get_field(Tag::Orientation, In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .and_then(|v| u8::try_from(v).ok());
    let m = &mut out.metadata;
    m.author = field_text(exif, Tag::Artist);
    if m.author.is_none() {
        // Windows "Authors" (XPAuthor, 0x9c9d): UTF-16LE bytes.
        if let Some(f) = exif.get_field(Tag(exif::Context::Tiff, 0x9c9d), In::PRIMARY) {
            if let Value::Byte(b) = &f.value {
                let units: Vec<u16> = b
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect();
                let s = clean_text(String::from_utf16_lossy(&units).trim_matches(char::from(0)));
                if !s.is_empty() {
                    m.author = Some(s);
                }
            }
        }
    }
    if m.author.is_none() {
        m.author = field_text(exif, Tag::CameraOwnerName);
    }
    m.copyright = field_text(exif, Tag::Copyright);
    m.caption = field_text(exif, Tag::ImageDescription);
    m.taken_at =
        field_text(exif, Tag::DateTimeOriginal).or_else(|| field_text(exif, Tag::DateTime));
    let camera = [field_text(exif, Tag::Make), field_text(exif, Tag::Model)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    m.camera = (!camera.is_empty()).then_some(camera);
    let coord = |tag: Tag, reft: Tag, neg: u8| -> Option<f64> {
        let f = exif.get_field(tag, In::PRIMARY)?;
        let Value::Rational(v) = &f.value else {
            return None;
        };
        if v.len() < 3 || v.iter().any(|r| r.denom == 0) {
            return None;
        }
        let deg = v[0].to_f64() + v[1].to_f64() / 60.0 + v[2].to_f64() / 3600.0;
        let sign = match exif.get_field(reft, In::PRIMARY).map(|f| &f.value) {
            Some(Value::Ascii(a)) if a.first().and_then(|s| s.first()) == Some(&neg) => -1.0,
            _ => 1.0,
        };
        Some(deg * sign)
    };
    if let (Some(lat), Some(lon)) = (
        coord(Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S'),
        coord(Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W'),
    ) {
        if (-90.0..=90.0).contains(&lat)
            && (-180.0..=180.0).contains(&lon)
            && !(lat == 0.0 && lon == 0.0)
        {
            m.gps = Some(Gps {
                lat: (lat * 1e6).round() / 1e6,
                lon: (lon * 1e6).round() / 1e6,
            });
        }
    }
}

/// PNG zTXt/tEXt/iTXt "Raw profile type exif": hex-encoded EXIF written by
/// ImageMagick and little_exif instead of an eXIf chunk.
fn png_legacy_exif(bytes: &[u8]) -> Option<exif::Exif> {
    let mut pos = 8;
    while pos + 12 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[pos..pos + 4].try_into().ok()?) as usize;
        let kind = &bytes[pos + 4..pos + 8];
        let data = bytes.get(pos + 8..pos + 8 + len)?;
        if matches!(kind, b"zTXt" | b"tEXt") && data.starts_with(b"Raw profile type exif\0") {
            let rest = &data[b"Raw profile type exif\0".len()..];
            let text = if kind == b"zTXt" {
                let mut s = Vec::new();
                flate2::read::ZlibDecoder::new(rest.get(1..)?)
                    .take(1 << 20)
                    .read_to_end(&mut s)
                    .ok()?;
                s
            } else {
                rest.to_vec()
            };
            // "\nexif\n   <len>\n<hex lines>"
            let text = String::from_utf8_lossy(&text);
            let hex_digits: String = text
                .lines()
                .skip(3)
                .flat_map(|l| l.trim().chars())
                .collect();
            let raw = hex::decode(hex_digits).ok()?;
            let tiff = raw.strip_prefix(b"Exif\0\0").unwrap_or(&raw).to_vec();
            return lenient()
                .read_raw(tiff)
                .or_else(|e| e.distill_partial_result(|_| {}))
                .ok();
        }
        if kind == b"IEND" {
            break;
        }
        pos += 12 + len;
    }
    None
}

/// The first XMP packet in the file, whatever the container.
fn find_xmp(bytes: &[u8]) -> Option<&[u8]> {
    let start = memfind(bytes, b"<x:xmpmeta")?;
    let end = memfind(&bytes[start..], b"</x:xmpmeta>")? + start + b"</x:xmpmeta>".len();
    Some(&bytes[start..end.min(start + (4 << 20))])
}

/// Where `needle` first occurs in `hay` (SIMD search: pictures are
/// megabytes long and searched whole).
fn memfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

fn read_xmp(xmp: &[u8], m: &mut PictureMetadata) {
    let text = String::from_utf8_lossy(xmp);
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut stack: Vec<String> = Vec::new();
    let mut content = String::new();
    let push_person = |m: &mut PictureMetadata, s: &str| {
        let s = clean_text(s);
        if !s.is_empty() && m.people.len() < MAX_PEOPLE {
            m.people
                .push(crate::extract::truncate_chars(&s, FIELD_CHARS));
        }
    };
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => {
                let name = e.name().as_ref().to_string();
                for a in e.attributes().flatten() {
                    let key = a.key.as_ref().to_string();
                    let val = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map(std::borrow::Cow::into_owned)
                        .unwrap_or_default();
                    match key.as_str() {
                        "mwg-rs:Name" | "MPReg:PersonDisplayName" => push_person(m, &val),
                        "dc:creator" if m.author.is_none() => m.author = Some(clean_text(&val)),
                        _ => {}
                    }
                }
                content.clear();
                if stack.len() < 64 {
                    stack.push(name);
                }
            }
            Ok(Event::Text(t)) if content.len() < 8192 => content.push_str(&t.xml10_content()),
            Ok(Event::GeneralRef(r)) => {
                if let Some(c) = quick_xml::escape::resolve_predefined_entity(&r.into_inner()) {
                    content.push_str(c);
                }
            }
            Ok(Event::End(_)) => {
                let within = |n: &str| stack.iter().any(|s| s == n);
                let leaf = stack.last().map(String::as_str).unwrap_or_default();
                let value = clean_text(&content);
                if !value.is_empty() {
                    if within("Iptc4xmpExt:PersonInImage")
                        || leaf == "mwg-rs:Name"
                        || leaf == "MPReg:PersonDisplayName"
                    {
                        push_person(m, &value);
                    } else if within("dc:creator") && m.author.is_none() {
                        m.author = Some(value);
                    } else if within("dc:description") && m.caption.is_none() {
                        m.caption = Some(crate::extract::truncate_chars(&value, FIELD_CHARS));
                    }
                }
                content.clear();
                stack.pop();
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
}

/// The IPTC block of a JPEG (APP13), as the image crate exposes it.
fn jpeg_iptc(bytes: &[u8]) -> Option<Vec<u8>> {
    use image::ImageDecoder;
    let mut dec = image::codecs::jpeg::JpegDecoder::new(Cursor::new(bytes)).ok()?;
    dec.iptc_metadata().ok().flatten()
}

/// IPTC-IIM records 2:80 (By-line), 2:120 (Caption), 2:116 (Copyright).
fn read_iim(data: &[u8], m: &mut PictureMetadata) {
    let mut i = 0;
    while i + 5 <= data.len() {
        if data[i] != 0x1c {
            i += 1;
            continue;
        }
        let (record, dataset) = (data[i + 1], data[i + 2]);
        let len = u16::from_be_bytes([data[i + 3], data[i + 4]]) as usize;
        if len & 0x8000 != 0 {
            break; // extended lengths are not used for text fields
        }
        let Some(value) = data.get(i + 5..i + 5 + len) else {
            break;
        };
        let text = clean_text(&String::from_utf8_lossy(value));
        if record == 2 && !text.is_empty() {
            match dataset {
                80 if m.author.is_none() => m.author = Some(text),
                120 if m.caption.is_none() => {
                    m.caption = Some(crate::extract::truncate_chars(&text, FIELD_CHARS));
                }
                116 if m.copyright.is_none() => m.copyright = Some(text),
                _ => {}
            }
        }
        i += 5 + len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xmp_people_creator_description() {
        let xmp = br#"junk<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description
            xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">
            <dc:creator><rdf:Seq><rdf:li>Mr Brown</rdf:li></rdf:Seq></dc:creator>
            <dc:description><rdf:Alt><rdf:li xml:lang="x-default">Amelia &amp; Tom at sports day</rdf:li></rdf:Alt></dc:description>
            <Iptc4xmpExt:PersonInImage><rdf:Bag><rdf:li>Amelia Jones</rdf:li><rdf:li>Tom Smith</rdf:li></rdf:Bag></Iptc4xmpExt:PersonInImage>
            <mwg-rs:Regions><mwg-rs:RegionList><rdf:Bag><rdf:li mwg-rs:Name="Priya Patel"/></rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions>
            </rdf:Description></rdf:RDF></x:xmpmeta>junk"#;
        let r = read(xmp, ImageFormat::Png);
        assert_eq!(r.metadata.author.as_deref(), Some("Mr Brown"));
        assert_eq!(
            r.metadata.caption.as_deref(),
            Some("Amelia & Tom at sports day")
        );
        assert_eq!(
            r.metadata.people,
            vec!["Amelia Jones", "Priya Patel", "Tom Smith"]
        );
    }

    #[test]
    fn iim_records() {
        let mut d = vec![0x1c, 2, 80, 0, 9];
        d.extend_from_slice(b"Ann Staff");
        d.extend_from_slice(&[0x1c, 2, 120, 0, 12]);
        d.extend_from_slice(b"Class photo.");
        let mut m = PictureMetadata::default();
        read_iim(&d, &mut m);
        assert_eq!(m.author.as_deref(), Some("Ann Staff"));
        assert_eq!(m.caption.as_deref(), Some("Class photo."));
        read_iim(&[0x1c, 2, 80, 0xff, 0xff, 1, 2], &mut m); // truncated: no panic
    }

    #[test]
    fn no_metadata_is_empty() {
        let r = read(b"\x89PNG\r\n\x1a\nnothing", ImageFormat::Png);
        assert!(r.metadata.is_empty());
        assert_eq!(r.orientation, None);
    }
}

#[cfg(test)]
mod demo_file_tests {
    use super::*;
    use std::io::Write;

    fn demo_original() -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("demo/site/wp-content/uploads/2026/06/sports-day-relay.jpg");
        std::fs::read(path).unwrap()
    }

    fn png_chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
        out
    }

    #[test]
    fn png_legacy_raw_profile_exif_is_read() {
        // The EXIF block of the demo original, written the ImageMagick way.
        let jpeg = demo_original();
        let start = memfind(&jpeg, b"Exif\0\0").unwrap();
        let len = u16::from_be_bytes([jpeg[start - 2], jpeg[start - 1]]) as usize - 2;
        let exif_block = &jpeg[start..start + len];
        let text = format!(
            "\nexif\n{:8}\n{}\n",
            exif_block.len(),
            hex::encode(exif_block)
        );
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(text.as_bytes()).unwrap();
        let mut data = b"Raw profile type exif\0\0".to_vec();
        data.extend_from_slice(&z.finish().unwrap());
        let mut png = Vec::new();
        image::DynamicImage::new_luma8(8, 8)
            .write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png)
            .unwrap();
        let iend = png.len() - 12;
        let mut with = png[..iend].to_vec();
        with.extend_from_slice(&png_chunk(b"zTXt", &data));
        with.extend_from_slice(&png[iend..]);
        let r = read(&with, ImageFormat::Png);
        assert!(r.metadata.gps.is_some(), "{:?}", r.metadata);
        assert_eq!(r.metadata.author.as_deref(), Some("Mr D. Brown"));
    }

    #[test]
    fn camera_original_keeps_gps_and_artist() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("demo/site/wp-content/uploads/2026/06/sports-day-relay.jpg");
        let bytes = std::fs::read(path).unwrap();
        let r = read(&bytes, ImageFormat::Jpeg);
        let gps = r.metadata.gps.expect("GPS read");
        assert!(
            (gps.lat - 51.501_476).abs() < 1e-4 && (gps.lon + 0.140_634).abs() < 1e-4,
            "{gps:?}"
        );
        assert_eq!(r.metadata.author.as_deref(), Some("Mr D. Brown"));
        assert_eq!(r.metadata.camera.as_deref(), Some("Canon EOS 250D"));
    }
}
