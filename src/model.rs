//! Shared model types that flow between stages: what a source saw
//! (sightings), what analysis found (pictures), and the vocabulary of the
//! report. Plain data, no I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::vocab::{
    ActionKind, Change, ChangeKind, DetailKind, FindingKind, FoundVia, Reason, Risk, Role,
    RunStatus, Verdict, Where,
};

/// The text a scraper collects with a picture.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    #[serde(default)]
    pub alt: Option<String>,
    #[serde(default)]
    pub caption: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub nearby_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_text: Option<String>,
    /// The rest of a document page's text, nearest the picture first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_text: Option<String>,
    /// A document's own properties (author, creator, title, XMP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_metadata: Option<String>,
}

impl Context {
    /// Fills the fields this context lacks from `other`.
    pub fn merge_missing(&mut self, other: &Context) {
        fn fill(a: &mut Option<String>, b: Option<&String>) {
            if a.is_none() {
                *a = b.cloned();
            }
        }
        fill(&mut self.alt, other.alt.as_ref());
        fill(&mut self.caption, other.caption.as_ref());
        fill(&mut self.title, other.title.as_ref());
        fill(&mut self.nearby_text, other.nearby_text.as_ref());
        fill(&mut self.page_title, other.page_title.as_ref());
        fill(&mut self.post_text, other.post_text.as_ref());
        fill(&mut self.document_text, other.document_text.as_ref());
        fill(
            &mut self.document_metadata,
            other.document_metadata.as_ref(),
        );
    }
}

/// One place a picture was seen: the unit a source produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    pub source: String,
    pub page_url: String,
    pub image_url: String,
    pub found_via: FoundVia,
    pub context: Context,
    /// Robots directives on the page the picture was seen on
    /// (`<meta name="robots">` and the page's X-Robots-Tag), lower-cased.
    pub page_robots: Vec<String>,
    /// The page or slide (1-based) of a picture found inside a document;
    /// `page_url` is then the document's address.
    pub document_page: Option<u32>,
}

/// A picture inside a document stored as samples rather than as a picture
/// file (a PDF image under Flate, LZW or JPEG 2000): what analysis turns
/// grey and hashes like any other picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raster {
    pub width: u32,
    pub height: u32,
    pub colour: Colour,
    /// Bits per component: 1, 2, 4, 8 or 16.
    pub bits: u8,
    /// Rows of samples, each padded to a whole byte.
    pub data: Vec<u8>,
    /// A `/Decode [1 0]` array: 0 means full intensity.
    pub inverted: bool,
    /// A soft mask (grey, 8 bits): width, height, samples.
    pub alpha: Option<(u32, u32, Vec<u8>)>,
    /// sha256 of the stored (encoded) stream: the picture's identity.
    pub sha256: String,
}

/// How a [`Raster`]'s samples are coloured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Colour {
    Grey,
    Rgb,
    Cmyk,
    /// CIE L*a*b*: the first component is lightness.
    Lab,
    /// A separation (one ink): 1 is full ink, dark.
    Ink,
    /// A palette of the base colour's components, one entry per index.
    Indexed {
        base: Box<Colour>,
        palette: Vec<u8>,
    },
    /// Components that are not known colours (DeviceN): averaged as inks.
    Inks(u8),
}

impl Colour {
    /// Components per sample.
    pub fn components(&self) -> u8 {
        match self {
            Colour::Grey | Colour::Ink | Colour::Indexed { .. } => 1,
            Colour::Rgb | Colour::Lab => 3,
            Colour::Cmyk => 4,
            Colour::Inks(n) => *n,
        }
    }
}

/// A whole-site observation, e.g. an open directory listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteFinding {
    pub kind: FindingKind,
    pub url: String,
    pub detail: String,
}

/// GPS position from a picture's metadata.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Gps {
    pub lat: f64,
    pub lon: f64,
}

/// What a picture's embedded metadata says about who and where.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PictureMetadata {
    // gps, people and author are always present in the report (CONTRACT.md).
    #[serde(default)]
    pub gps: Option<Gps>,
    #[serde(default)]
    pub people: Vec<String>,
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copyright: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera: Option<String>,
}

impl PictureMetadata {
    /// Adds what `from` says and this does not: GPS and single fields if
    /// missing, people not yet named.
    pub fn merge(&mut self, from: &PictureMetadata) {
        if self.gps.is_none() {
            self.gps = from.gps;
        }
        for p in &from.people {
            if !self.people.contains(p) {
                self.people.push(p.clone());
            }
        }
        for (a, b) in [
            (&mut self.author, &from.author),
            (&mut self.caption, &from.caption),
            (&mut self.copyright, &from.copyright),
            (&mut self.taken_at, &from.taken_at),
            (&mut self.camera, &from.camera),
        ] {
            if a.is_none() {
                a.clone_from(b);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == PictureMetadata::default()
    }
}

/// The analysis of one picture's bytes, keyed by their sha256.
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    pub sha256: String,
    pub phash: u64,
    pub width: u32,
    pub height: u32,
    pub format: String,
    pub bytes: u64,
    pub metadata: PictureMetadata,
    /// Faces found; `None` for pictures analysed before face detection existed.
    pub faces: Option<u32>,
    /// Width of the largest face over the picture's width.
    pub largest_face: Option<f32>,
    /// The pHash of its mirror image (a re-post flipped left to right).
    pub phash_mirror: Option<u64>,
    /// The 256-bit detail hash that checks a pHash match
    /// (`analysis::hash::detail_hash`); `None` for pictures analysed
    /// before it was kept.
    pub phash_detail: Option<[u64; 4]>,
    /// A small blurred grey JPEG, for reports that show thumbnails. Only
    /// set by analysis; [`crate::store::Store::picture`] leaves it out.
    pub thumbnail: Option<Vec<u8>>,
}

/// A personal detail found in or around a picture. Filled by the detectors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detail {
    pub kind: DetailKind,
    pub text: String,
    #[serde(rename = "where")]
    pub location: Where,
    pub page_url: String,
    /// Staff for names with a title (Mrs Patel): adults, not children.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
}

/// Verdicts per crawler agent.
pub type RobotsVerdicts = BTreeMap<String, Verdict>;

/// What a report shows of an exposure's picture (the report's `image`),
/// from its copies in one run: the largest copy's hash and size, the most
/// faces any copy showed, the largest face, and the metadata of every copy
/// merged. Stored with each exposure of a run when it is scored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExposureImage {
    /// 16 hex digits.
    pub phash: String,
    pub width: u32,
    pub height: u32,
    /// Most faces found in any copy; `None` if no copy was analysed for faces.
    pub faces: Option<u32>,
    /// Width of the largest face over the picture's width, to three decimals
    /// (added field).
    pub largest_face: Option<f32>,
    pub metadata: PictureMetadata,
}

impl ExposureImage {
    /// Folds the copies, in the order given: of equally large copies the
    /// last gives the hash; metadata fields are taken from the first copy
    /// that has them.
    pub fn of<'a>(copies: impl IntoIterator<Item = &'a Picture>) -> ExposureImage {
        let mut image = ExposureImage::default();
        let mut best = 0u64;
        for p in copies {
            let pixels = u64::from(p.width) * u64::from(p.height);
            if pixels >= best {
                best = pixels;
                image.phash = phash_hex(p.phash);
                image.width = p.width;
                image.height = p.height;
            }
            if let Some(f) = p.faces {
                image.faces = Some(image.faces.unwrap_or(0).max(f));
            }
            if let Some(l) = p.largest_face {
                let rounded = (l * 1000.0).round() / 1000.0;
                image.largest_face = Some(image.largest_face.unwrap_or(0.0).max(rounded));
            }
            image.metadata.merge(&p.metadata);
        }
        image
    }
}

/// A picture's sha256 as its 32 bytes: lists of every picture of a run
/// keep these rather than the 64-character hex the database and reports use
/// (lowercase hex sorts as the bytes do).
pub type Digest = [u8; 32];

/// The bytes of a sha256 written in hex.
pub fn parse_digest(hex: &str) -> Option<Digest> {
    let mut d = [0u8; 32];
    hex::decode_to_slice(hex, &mut d).ok()?;
    Some(d)
}

/// A sha256 in the database's and reports' lowercase hex.
pub fn digest_hex(d: &Digest) -> String {
    hex::encode(d)
}

/// A list of exposures (id, reference hash) with the ids end to end in one
/// string: a closing holds every exposure of a trust's history, and an id
/// costs its 20-odd bytes and four here, not a `String`'s 24 and an
/// allocation.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ExposureList {
    text: String,
    ends: Vec<u32>,
    hashes: Vec<u64>,
}

impl ExposureList {
    pub fn push(&mut self, id: &str, hash: u64) {
        self.text.push_str(id);
        self.ends.push(self.text.len() as u32);
        self.hashes.push(hash);
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// The `i`th exposure's id.
    pub fn id(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    /// The `i`th exposure's reference hash.
    pub fn hash(&self, i: usize) -> u64 {
        self.hashes[i]
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        (0..self.len()).map(|i| (self.id(i), self.hashes[i]))
    }

    /// Keeps the exposures whose place `keep` accepts, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(usize) -> bool) {
        let mut kept = ExposureList::default();
        for i in 0..self.len() {
            if keep(i) {
                kept.push(self.id(i), self.hashes[i]);
            }
        }
        *self = kept;
    }
}

impl<'a> FromIterator<(&'a str, u64)> for ExposureList {
    fn from_iter<T: IntoIterator<Item = (&'a str, u64)>>(iter: T) -> Self {
        let mut list = ExposureList::default();
        for (id, hash) in iter {
            list.push(id, hash);
        }
        list
    }
}

/// Formats a 64-bit perceptual hash as the report's hex string.
pub fn phash_hex(h: u64) -> String {
    format!("{h:016x}")
}

/// A detail hash as stored: 64 hex digits, its first word first.
pub fn detail_hex(h: &[u64; 4]) -> String {
    use std::fmt::Write;
    h.iter().fold(String::with_capacity(64), |mut out, w| {
        let _ = write!(out, "{w:016x}");
        out
    })
}

/// The detail hash [`detail_hex`] wrote, or `None` for anything else.
pub fn parse_detail_hex(s: &str) -> Option<[u64; 4]> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u64; 4];
    for (k, w) in out.iter_mut().enumerate() {
        *w = u64::from_str_radix(&s[k * 16..(k + 1) * 16], 16).ok()?;
    }
    Some(out)
}

/// One reason an exposure is `changed`, with the address or detail concerned.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ChangeReason {
    pub kind: ChangeKind,
    #[serde(rename = "where")]
    pub place: String,
}

impl ChangeReason {
    /// The reason in plain words: "now also shown at https://...".
    pub fn sentence(&self) -> String {
        format!("{} {}", self.kind.label(), self.place)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exposure_list_gives_back_each_id_and_hash_and_keeps_order_when_filtered() {
        let mut list: ExposureList = [("exp-a", 1), ("exp-bb", 2)].into_iter().collect();
        list.push("exp-0000000000000003-2", 3);
        assert_eq!(list.len(), 3);
        assert_eq!(list.id(1), "exp-bb");
        assert_eq!(list.hash(2), 3);
        assert_eq!(
            list.iter().collect::<Vec<_>>(),
            [("exp-a", 1), ("exp-bb", 2), ("exp-0000000000000003-2", 3)]
        );
        list.retain(|i| i != 1);
        assert_eq!(
            list.iter().collect::<Vec<_>>(),
            [("exp-a", 1), ("exp-0000000000000003-2", 3)]
        );
        assert!(ExposureList::default().is_empty());
    }
}
