//! Documents (PDF, Word, PowerPoint, OpenDocument): what they share. A
//! document is opened under [`DocLimits`], lists its pictures with their
//! page and context ([`Opened::pictures`]), and decodes one picture at a
//! time when asked ([`Opened::payload`]), so a document's pictures are never
//! all in memory at once.

use std::collections::BTreeMap;
use std::time::Instant;

use super::office::Office;
use super::pdf::Pdf;
use crate::model::Raster;

/// Pictures whose shorter side is under this many pixels are decoration
/// (bullets, icons, rules): counted, not reported.
pub const MIN_PICTURE_SIDE: u32 = 48;

/// Bounds on reading one document (`[documents]` in the config).
#[derive(Debug, Clone, Copy)]
pub struct DocLimits {
    pub max_pages: u32,
    pub max_pictures: u32,
    /// Forms inside forms (PDF), or folders of XML (Office) followed.
    pub max_depth: u32,
    /// Bytes any one stream or package entry may decompress to, and all of
    /// a package's entries together.
    pub max_decompressed: u64,
    pub max_pixels: u64,
    /// When the time for this document is up.
    pub deadline: Option<Instant>,
}

impl DocLimits {
    pub fn past_deadline(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

/// A document's own properties.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocInfo {
    pub title: Option<String>,
    pub author: Option<String>,
    pub creator: Option<String>,
    pub subject: Option<String>,
    pub last_modified_by: Option<String>,
    /// Other people the metadata names (XMP creators).
    pub people: Vec<String>,
}

impl DocInfo {
    /// The properties as one text for detail detection, labelled.
    pub fn text(&self) -> Option<String> {
        let mut parts = Vec::new();
        for (label, v) in [
            ("Author", &self.author),
            ("Last modified by", &self.last_modified_by),
            ("Title", &self.title),
            ("Subject", &self.subject),
            ("Creator", &self.creator),
        ] {
            if let Some(v) = v {
                parts.push(format!("{label}: {v}"));
            }
        }
        for p in &self.people {
            parts.push(format!("Author: {p}"));
        }
        (!parts.is_empty()).then(|| parts.join("\n"))
    }
}

/// A picture inside a document, with where it is and what is around it.
#[derive(Debug, Clone)]
pub struct DocPicture<S> {
    /// Page or slide, 1-based.
    pub page: u32,
    /// Its place among the pictures of its page, 1-based.
    pub index: u32,
    pub width: u32,
    pub height: u32,
    pub alt: Option<String>,
    pub caption: Option<String>,
    pub nearby_text: Option<String>,
    pub document_text: Option<String>,
    /// Where its bytes are, for [`Opened::payload`].
    pub source: S,
}

/// A picture's content as the document holds it.
#[derive(Debug)]
pub enum Payload {
    /// A picture file's own bytes (a JPEG stream in a PDF, a file in an
    /// Office package): hashed as they are, not re-encoded.
    Encoded(Vec<u8>),
    /// Samples to be turned grey (Flate and other filters, JPEG 2000).
    Raster(Raster),
}

/// What was left out of a document and why, with counts; and errors met
/// on parts of it (a page that did not parse).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Skipped {
    /// By name: a bound's config key, or what was left out.
    pub counts: BTreeMap<&'static str, u32>,
    pub errors: Vec<String>,
}

impl Skipped {
    pub fn add(&mut self, why: &'static str, n: u32) {
        *self.counts.entry(why).or_default() += n;
    }
    pub fn add_error(&mut self, e: String) {
        if self.errors.len() < 20 {
            self.errors.push(e);
        }
    }
}

/// The formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pdf,
    Docx,
    Pptx,
    Odt,
    Odp,
}

impl Format {
    /// The format from the Content-Type, else from the bytes and the name.
    pub fn of(content_type: Option<&str>, bytes: &[u8], url: &str) -> Option<Format> {
        let t = content_type
            .and_then(|t| t.split(';').next())
            .map(|t| t.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let path = url
            .split(['?', '#'])
            .next()
            .unwrap_or(url)
            .to_ascii_lowercase();
        let by_type = match t.as_str() {
            "application/pdf" => Some(Format::Pdf),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => {
                Some(Format::Docx)
            }
            "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            | "application/vnd.openxmlformats-officedocument.presentationml.slideshow" => {
                Some(Format::Pptx)
            }
            "application/vnd.oasis.opendocument.text" => Some(Format::Odt),
            "application/vnd.oasis.opendocument.presentation" => Some(Format::Odp),
            _ => None,
        };
        if by_type == Some(Format::Pdf) || (by_type.is_none() && bytes.starts_with(b"%PDF-")) {
            return bytes
                .starts_with(b"%PDF-")
                .then_some(Format::Pdf)
                .or(by_type);
        }
        if !bytes.starts_with(b"PK\x03\x04") {
            return None;
        }
        by_type.or_else(|| {
            let ext = path.rsplit_once('.').map(|(_, e)| e)?;
            Some(match ext {
                "docx" | "docm" => Format::Docx,
                "pptx" | "ppsx" | "pptm" => Format::Pptx,
                "odt" => Format::Odt,
                "odp" => Format::Odp,
                _ => return None,
            })
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Pdf => "PDF",
            Format::Docx => "Word",
            Format::Pptx => "PowerPoint",
            Format::Odt => "OpenDocument text",
            Format::Odp => "OpenDocument presentation",
        }
    }
}

/// Why a document as a whole could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenError {
    /// Encrypted with a password: no scraper without it reads it either,
    /// so the audit saw all a scraper sees (not a failed fetch).
    Protected,
    /// Not readable here (not the format, a bomb, a bound): a scraper with
    /// another reader might still take its pictures.
    Unreadable(String),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Protected => f.write_str("encrypted: it needs a password to be read"),
            OpenError::Unreadable(e) => f.write_str(e),
        }
    }
}

impl From<String> for OpenError {
    fn from(e: String) -> OpenError {
        OpenError::Unreadable(e)
    }
}

/// A document opened for reading.
pub enum Opened {
    Pdf(Box<Pdf>),
    Office(Box<Office>),
}

/// Where one picture of an opened document is.
#[derive(Debug, Clone)]
pub enum Place {
    Pdf(super::pdf::Source),
    Office(String),
}

impl Opened {
    pub fn open(format: Format, bytes: &[u8], limits: DocLimits) -> Result<Opened, OpenError> {
        Ok(match format {
            Format::Pdf => Opened::Pdf(Box::new(Pdf::open(bytes, limits)?)),
            f => Opened::Office(Box::new(Office::open(f, bytes, limits)?)),
        })
    }

    pub fn pictures(&self) -> (DocInfo, Vec<DocPicture<Place>>, Skipped) {
        match self {
            Opened::Pdf(p) => {
                let (info, pics, skipped) = p.pictures();
                (
                    info,
                    pics.into_iter().map(|d| d.map(Place::Pdf)).collect(),
                    skipped,
                )
            }
            Opened::Office(o) => {
                let (info, pics, skipped) = o.pictures();
                (
                    info,
                    pics.into_iter().map(|d| d.map(Place::Office)).collect(),
                    skipped,
                )
            }
        }
    }

    pub fn payload(&self, place: &Place) -> Result<Payload, String> {
        match (self, place) {
            (Opened::Pdf(p), Place::Pdf(s)) => p.payload(s),
            (Opened::Office(o), Place::Office(name)) => o.payload(name).map(Payload::Encoded),
            _ => Err("picture of another document".into()),
        }
    }
}

impl<S> DocPicture<S> {
    pub fn map<T>(self, f: impl FnOnce(S) -> T) -> DocPicture<T> {
        DocPicture {
            page: self.page,
            index: self.index,
            width: self.width,
            height: self.height,
            alt: self.alt,
            caption: self.caption,
            nearby_text: self.nearby_text,
            document_text: self.document_text,
            source: f(self.source),
        }
    }
}

/// Title and creators in an XMP packet (Dublin Core `dc:title`, `dc:creator`).
pub struct Xmp {
    pub title: Option<String>,
    pub creators: Vec<String>,
}

pub fn xmp_fields(xml: &[u8]) -> Xmp {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut out = Xmp {
        title: None,
        creators: Vec::new(),
    };
    let mut inside: Option<&'static str> = None;
    let mut buf = Vec::new();
    for _ in 0..100_000 {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => match e.local_name().as_ref() {
                "title" => inside = Some("title"),
                "creator" => inside = Some("creator"),
                _ => {}
            },
            Ok(Event::End(e)) => {
                if matches!(e.local_name().as_ref(), "title" | "creator") {
                    inside = None;
                }
            }
            Ok(Event::Text(t)) => {
                let text = super::clean_text(&t.xml10_content());
                if text.is_empty() {
                    buf.clear();
                    continue;
                }
                match inside {
                    Some("title") if out.title.is_none() => {
                        out.title = Some(super::truncate_chars(&text, 300));
                    }
                    Some("creator") if out.creators.len() < 10 => {
                        out.creators.push(super::truncate_chars(&text, 200));
                    }
                    _ => {}
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    out
}
