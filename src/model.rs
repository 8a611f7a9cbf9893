//! Shared model types that flow between stages: what a source saw
//! (sightings), what analysis found (pictures), and the vocabulary of the
//! report. Plain data, no I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How a picture was found: the `found_via` vocabulary of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FoundVia {
    Img,
    Srcset,
    Picture,
    Css,
    Lazy,
    OgImage,
    Link,
    Sitemap,
    MediaApi,
    DirectoryListing,
    Feed,
    Api,
}

impl FoundVia {
    pub fn as_str(self) -> &'static str {
        match self {
            FoundVia::Img => "img",
            FoundVia::Srcset => "srcset",
            FoundVia::Picture => "picture",
            FoundVia::Css => "css",
            FoundVia::Lazy => "lazy",
            FoundVia::OgImage => "og_image",
            FoundVia::Link => "link",
            FoundVia::Sitemap => "sitemap",
            FoundVia::MediaApi => "media_api",
            FoundVia::DirectoryListing => "directory_listing",
            FoundVia::Feed => "feed",
            FoundVia::Api => "api",
        }
    }

    pub fn parse(s: &str) -> Option<FoundVia> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }
}

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
}

impl Context {
    /// Fills the fields this context lacks from `other`.
    pub fn merge_missing(&mut self, other: &Context) {
        fn fill(a: &mut Option<String>, b: &Option<String>) {
            if a.is_none() {
                a.clone_from(b);
            }
        }
        fill(&mut self.alt, &other.alt);
        fill(&mut self.caption, &other.caption);
        fill(&mut self.title, &other.title);
        fill(&mut self.nearby_text, &other.nearby_text);
        fill(&mut self.page_title, &other.page_title);
        fill(&mut self.post_text, &other.post_text);
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
}

/// A whole-site observation, e.g. an open directory listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteFinding {
    pub kind: String,
    pub url: String,
    pub detail: String,
}

/// Risk bands of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    Low,
    Medium,
    High,
}

impl Risk {
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
        }
    }

    /// The risk `as_str` names; `None` for any other text.
    pub fn parse(s: &str) -> Option<Risk> {
        [Risk::Low, Risk::Medium, Risk::High]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
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
    /// A small blurred grey JPEG, for reports that show thumbnails. Only
    /// set by analysis; [`crate::store::Store::picture`] leaves it out.
    pub thumbnail: Option<Vec<u8>>,
}

/// A personal detail found in or around a picture. Filled by the detectors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detail {
    pub kind: String,
    pub text: String,
    #[serde(rename = "where")]
    pub location: String,
    pub page_url: String,
    /// "staff" for names with a title (Mrs Patel): adults, not children.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// Verdicts per crawler agent: "allowed" or "disallowed".
pub type RobotsVerdicts = BTreeMap<String, String>;

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

/// What changed about an exposure between two runs: the `change_reasons`
/// vocabulary of the report (CONTRACT.md), each with its plain words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A page (or, on the same pages, another address) now shows it.
    CopyAdded,
    /// A page that showed it no longer does.
    CopyGone,
    /// No page links it any more, but its address still answers.
    NowUnlinked,
    DetailAdded,
    DetailGone,
    RiskUp,
    RiskDown,
}

impl ChangeKind {
    /// The words a reader of the report sees.
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::CopyAdded => "now also shown at",
            ChangeKind::CopyGone => "no longer shown at",
            ChangeKind::NowUnlinked => "no page links it, but it is still served at",
            ChangeKind::DetailAdded => "new detail next to it:",
            ChangeKind::DetailGone => "detail no longer next to it:",
            ChangeKind::RiskUp => "risk went up from",
            ChangeKind::RiskDown => "risk went down from",
        }
    }
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

/// What one run knew of an exposure, for comparing two runs.
pub struct Seen<'a, P: IntoIterator<Item = (&'a str, &'a str)>> {
    pub places: P,
    pub risk: Risk,
    pub details: &'a [Detail],
}

/// Why an exposure changed between `before` and `now`, empty when it did
/// not: the rule of change, in one place, for the closing and
/// `report --against` alike. Pages that began or stopped showing it are
/// `copy_added` / `copy_gone` by page; on the same pages, more addresses
/// are `copy_added` by address (a re-upload that replaces one is no
/// change); details by text; risk by its two levels.
pub fn change_reasons<'a, P, Q>(before: Seen<'a, P>, now: Seen<'a, Q>) -> Vec<ChangeReason>
where
    P: IntoIterator<Item = (&'a str, &'a str)>,
    Q: IntoIterator<Item = (&'a str, &'a str)>,
{
    use std::collections::BTreeSet;
    let split = |places: &mut dyn Iterator<Item = (&'a str, &'a str)>| {
        let mut pages = BTreeSet::new();
        let mut copies = BTreeSet::new();
        for (page, url) in places {
            pages.insert(page);
            copies.insert(url);
        }
        (pages, copies)
    };
    // A picture changes when other pages show it, or when it has more
    // copies than before; a re-upload that replaces the old address on the
    // same page is the same exposure, not a change.
    let (pages_before, copies_before) = split(&mut before.places.into_iter());
    let (pages_now, copies_now) = split(&mut now.places.into_iter());
    let reason = |kind, place: &str| ChangeReason {
        kind,
        place: place.to_string(),
    };
    let mut out: Vec<ChangeReason> = Vec::new();
    out.extend(
        pages_now
            .difference(&pages_before)
            .map(|p| reason(ChangeKind::CopyAdded, p)),
    );
    out.extend(
        pages_before
            .difference(&pages_now)
            .map(|p| reason(ChangeKind::CopyGone, p)),
    );
    if pages_before == pages_now && copies_now.len() > copies_before.len() {
        out.extend(
            copies_now
                .difference(&copies_before)
                .map(|u| reason(ChangeKind::CopyAdded, u)),
        );
    }
    if before.details != now.details {
        let key = |d: &'a Detail| {
            (
                d.kind.as_str(),
                d.text.as_str(),
                d.location.as_str(),
                d.page_url.as_str(),
            )
        };
        let was: BTreeSet<_> = before.details.iter().map(key).collect();
        let is: BTreeSet<_> = now.details.iter().map(key).collect();
        let texts = |from: &BTreeSet<_>, other: &BTreeSet<_>| -> BTreeSet<&'a str> {
            from.difference(other)
                .map(|k: &(&'a str, &'a str, &'a str, &'a str)| k.1)
                .collect()
        };
        out.extend(
            texts(&is, &was)
                .into_iter()
                .map(|t| reason(ChangeKind::DetailAdded, t)),
        );
        out.extend(
            texts(&was, &is)
                .into_iter()
                .map(|t| reason(ChangeKind::DetailGone, t)),
        );
        if !out
            .iter()
            .any(|r| matches!(r.kind, ChangeKind::DetailAdded | ChangeKind::DetailGone))
        {
            // Equal as sets but not as lists (a role or order): still said.
            out.push(reason(ChangeKind::DetailAdded, "details"));
        }
    }
    if now.risk != before.risk {
        let kind = if now.risk > before.risk {
            ChangeKind::RiskUp
        } else {
            ChangeKind::RiskDown
        };
        out.push(reason(
            kind,
            &format!("{} to {}", before.risk.as_str(), now.risk.as_str()),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(text: &str) -> Detail {
        Detail {
            kind: "person_name".into(),
            text: text.into(),
            location: "caption".into(),
            page_url: "https://s/a".into(),
            role: None,
        }
    }

    #[test]
    fn change_reasons_say_what_changed() {
        let a = [detail("Amelia Jones")];
        let b = [detail("Amelia Jones"), detail("Tom Hill")];
        let seen = |places: &'static [(&'static str, &'static str)], risk, details| Seen {
            places: places.iter().copied(),
            risk,
            details,
        };
        let one: &[(&str, &str)] = &[("https://s/a", "https://s/x.jpg")];
        let reupload: &[(&str, &str)] = &[("https://s/a", "https://s/x-1.jpg")];
        let two_pages: &[(&str, &str)] = &[
            ("https://s/a", "https://s/x.jpg"),
            ("https://s/b", "https://s/x.jpg"),
        ];
        let two_copies: &[(&str, &str)] = &[
            ("https://s/a", "https://s/x.jpg"),
            ("https://s/a", "https://s/x-300.jpg"),
        ];
        let cases = [
            (
                seen(one, Risk::Low, &a[..]),
                seen(reupload, Risk::Low, &a[..]),
                vec![],
            ),
            (
                seen(one, Risk::Low, &a[..]),
                seen(two_pages, Risk::Low, &a[..]),
                vec![(ChangeKind::CopyAdded, "https://s/b")],
            ),
            (
                seen(two_pages, Risk::Low, &a[..]),
                seen(one, Risk::Low, &a[..]),
                vec![(ChangeKind::CopyGone, "https://s/b")],
            ),
            (
                seen(one, Risk::Low, &a[..]),
                seen(two_copies, Risk::Low, &a[..]),
                vec![(ChangeKind::CopyAdded, "https://s/x-300.jpg")],
            ),
            (
                seen(one, Risk::Medium, &a[..]),
                seen(one, Risk::High, &b[..]),
                vec![
                    (ChangeKind::DetailAdded, "Tom Hill"),
                    (ChangeKind::RiskUp, "medium to high"),
                ],
            ),
            (
                seen(one, Risk::High, &b[..]),
                seen(one, Risk::Low, &a[..]),
                vec![
                    (ChangeKind::DetailGone, "Tom Hill"),
                    (ChangeKind::RiskDown, "high to low"),
                ],
            ),
        ];
        for (before, now, want) in cases {
            let got = change_reasons(before, now);
            let got: Vec<(ChangeKind, &str)> =
                got.iter().map(|r| (r.kind, r.place.as_str())).collect();
            assert_eq!(got, want);
        }
    }

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
