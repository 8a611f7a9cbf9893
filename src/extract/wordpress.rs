//! The WordPress media API (`/wp-json/wp/v2/media`): every upload with its
//! alt text, caption and every generated size, plus the untouched original,
//! which keeps the GPS position that resized copies lose.

use serde::Deserialize;
use url::Url;

use super::{clean_text, html_to_text, ImageRef};
use crate::model::{Context, FoundVia};
use crate::urls::resolve;

/// Items asked for per page (the API's maximum).
pub const PER_PAGE: u32 = 100;
/// Most pages of the listing read per run (10,000 uploads).
pub const MAX_PAGES: u32 = 100;

#[derive(Deserialize)]
struct Item {
    #[serde(default)]
    source_url: Option<String>,
    #[serde(default)]
    link: Option<String>,
    #[serde(default)]
    alt_text: Option<String>,
    #[serde(default)]
    mime_type: Option<String>,
    #[serde(default)]
    title: Option<Rendered>,
    #[serde(default)]
    caption: Option<Rendered>,
    #[serde(default)]
    description: Option<Rendered>,
    #[serde(default)]
    media_details: Option<Details>,
}

#[derive(Deserialize)]
struct Rendered {
    #[serde(default)]
    rendered: String,
}

#[derive(Deserialize)]
struct Details {
    #[serde(default)]
    sizes: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    original_image: Option<String>,
}

/// The key WordPress size variants of one upload share: `photo-300x200.jpg`,
/// `photo-scaled.jpg` and `photo.jpg` in one folder are one picture (WordPress
/// keeps file stems unique per folder by adding -1, -2). `None` for URLs that
/// are not in an uploads folder.
pub fn variant_key(url: &str) -> Option<String> {
    let u = Url::parse(url).ok()?;
    let path = u.path();
    if !path.contains("/wp-content/uploads/") {
        return None;
    }
    let (folder, file) = path.rsplit_once('/')?;
    let (stem, ext) = file.rsplit_once('.')?;
    let stem = upload_stem(stem);
    Some(format!(
        "{}{folder}/{stem}.{}",
        u.host_str()?,
        ext.to_ascii_lowercase()
    ))
}

/// A file stem without what WordPress appends to an upload's name.
fn upload_stem(stem: &str) -> &str {
    // Peel what WordPress appends to an upload's stem, in any order: a
    // size (`-300x200`), `-scaled` and `-rotated` (big uploads), and an edit
    // in the media editor (`-e` and the time in milliseconds:
    // `photo-e1603377145174.jpg`, `photo-e1603377145174-300x113.jpg`).
    let mut stem = stem;
    loop {
        let before = stem;
        for suffix in ["-scaled", "-rotated"] {
            if let Some(s) = stem.strip_suffix(suffix) {
                stem = s;
            }
        }
        if let Some((base, tail)) = stem.rsplit_once('-') {
            let is_size = tail.split_once('x').is_some_and(|(w, h)| {
                !w.is_empty()
                    && !h.is_empty()
                    && w.bytes().all(|b| b.is_ascii_digit())
                    && h.bytes().all(|b| b.is_ascii_digit())
            });
            let is_edit = tail.strip_prefix('e').is_some_and(|t| {
                (10..=13).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit())
            });
            if (is_size || is_edit) && !base.is_empty() {
                stem = base;
            }
        }
        if stem == before {
            break;
        }
    }
    stem
}

/// The name copies of one photo share on any site, across folders: the
/// host, the file's stem without WordPress's suffixes or a trailing `-1`,
/// `-2` (`photo.jpg`, `2021/09/photo-2-e1612888376581.jpg`), lower-cased,
/// and whether it is a JPEG. Only a hint: different pictures share names
/// ("logo.png"), so a pair it points at is checked by its pixels
/// (`analysis::hash::crop`). `None` for addresses without a file name.
pub fn name_key(url: &str) -> Option<String> {
    let u = Url::parse(url).ok()?;
    let file = u.path().rsplit_once('/')?.1;
    let (stem, ext) = file.rsplit_once('.')?;
    let unmarked = unfingerprinted(stem);
    let built = unmarked.len() < stem.len();
    let stem = unmarked;
    // Every picture Hugo makes from one source file, in whatever format
    // (a post's WebP cover and its JPEG share card), is that file's, and so
    // is the source itself when the build publishes it fingerprinted.
    if let Some(source) = hugo_source(stem).or(built.then_some(stem)) {
        return Some(format!("{}/{}.hugo", u.host_str()?, source.to_lowercase()));
    }
    let stem = upload_stem(stem);
    let stem = match stem.rsplit_once('-') {
        Some((base, n))
            if !base.is_empty()
                && (1..=2).contains(&n.len())
                && n.bytes().all(|b| b.is_ascii_digit()) =>
        {
            base
        }
        _ => stem,
    };
    if stem.is_empty() {
        return None;
    }
    let jpeg = matches!(ext.to_ascii_lowercase().as_str(), "jpg" | "jpeg" | "jpe");
    Some(format!(
        "{}/{}.{}",
        u.host_str()?,
        stem.to_lowercase(),
        if jpeg { "jpeg" } else { "other" }
    ))
}

/// A stem without a build tool's content fingerprint: `logo.78446fe5...`
/// (Hugo's `resources.Fingerprint`, webpack's `[name].[contenthash]`), a
/// dot and 16 or more hex digits.
fn unfingerprinted(stem: &str) -> &str {
    match stem.rsplit_once('.') {
        Some((base, hash))
            if !base.is_empty()
                && hash.len() >= 16
                && hash.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            base
        }
        _ => stem,
    }
}

/// The source file's stem of a picture Hugo processed (resized, cropped,
/// converted): `img_0204_hu_d33cc80d2b6a0a7e` (Hugo 0.123 and later) or
/// `photo_hu3d03a01dcc18bc5be0e67db3d8d209a6_1234_600x0_resize_q75_box`
/// (earlier): the stem before `_hu_` and 16 hex digits, or before `_hu` and
/// 32.
fn hugo_source(stem: &str) -> Option<&str> {
    let hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
    let (base, tail) = stem.rsplit_once("_hu")?;
    let new = tail
        .strip_prefix('_')
        .is_some_and(|t| t.len() == 16 && hex(t));
    let old = tail.get(..32).is_some_and(hex) && tail.as_bytes().get(32) == Some(&b'_');
    (!base.is_empty() && (new || old)).then_some(base)
}

/// What one page of the media listing gives.
#[derive(Debug, Default)]
pub struct MediaPage {
    /// (page the upload belongs to, picture), every size of every upload.
    pub pictures: Vec<(String, ImageRef)>,
    /// Uploaded documents' addresses.
    pub documents: Vec<String>,
}

/// The URL of page `page` (1-based) of the media listing on a site.
pub fn listing_url(site: &Url, page: u32) -> Url {
    let mut u = site
        .join("/wp-json/wp/v2/media")
        .expect("static path joins");
    u.query_pairs_mut()
        .append_pair("per_page", &PER_PAGE.to_string())
        .append_pair("page", &page.to_string());
    u
}

/// One page of the listing: each upload's picture URLs with its context and
/// the page it belongs to, and the addresses of the documents it lists
/// (PDF, Word, PowerPoint, OpenDocument uploads), which a scraper reads for
/// their pictures. `Err` when the body is not a media listing.
pub fn parse(body: &[u8], base: &Url) -> Result<MediaPage, String> {
    let items: Vec<Item> =
        serde_json::from_slice(body).map_err(|e| format!("not a WordPress media listing: {e}"))?;
    let mut out = Vec::new();
    let mut documents = Vec::new();
    for item in items {
        let mime = item.mime_type.as_deref().unwrap_or("image/");
        if crate::fetch::is_read_document(Some(mime)) {
            if let Some(u) = item.source_url.as_deref().and_then(|s| resolve(base, s)) {
                documents.push(u.to_string());
            }
            continue;
        }
        if !mime.starts_with("image/") {
            continue;
        }
        let Some(source) = item.source_url.as_deref().and_then(|s| resolve(base, s)) else {
            continue;
        };
        let page = item
            .link
            .as_deref()
            .and_then(|l| resolve(base, l))
            .unwrap_or_else(|| source.clone());
        let text = |r: &Option<Rendered>| {
            r.as_ref()
                .map(|r| html_to_text(&r.rendered))
                .filter(|t| !t.is_empty())
        };
        let context = Context {
            alt: item
                .alt_text
                .as_deref()
                .map(clean_text)
                .filter(|t| !t.is_empty()),
            caption: text(&item.caption),
            title: text(&item.title),
            nearby_text: text(&item.description),
            ..Context::default()
        };
        let mut urls = vec![source.clone()];
        if let Some(details) = &item.media_details {
            if let Some(sizes) = &details.sizes {
                for size in sizes.values() {
                    if let Some(u) = size
                        .get("source_url")
                        .and_then(|v| v.as_str())
                        .and_then(|s| resolve(base, s))
                    {
                        urls.push(u);
                    }
                }
            }
            // WordPress 5.3+ scales big uploads to "-scaled" and keeps the
            // original beside it under this file name.
            if let Some(orig) = details
                .original_image
                .as_deref()
                .filter(|o| !o.contains('/'))
            {
                if let Ok(u) = source.join(orig) {
                    urls.push(u);
                }
            }
        }
        urls.sort();
        urls.dedup();
        for u in urls {
            out.push((
                page.to_string(),
                ImageRef {
                    url: u.to_string(),
                    found_via: FoundVia::MediaApi,
                    context: context.clone(),
                },
            ));
        }
    }
    Ok(MediaPage {
        pictures: out,
        documents,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_share_a_name_key_across_folders() {
        let k = |u: &str| name_key(u).unwrap();
        let a = k("https://s.example/wp-content/uploads/2021/05/VB_20_Photo_V1-2.jpg");
        assert_eq!(
            a,
            k("https://s.example/wp-content/uploads/2021/09/VB_20_Photo_V1-2-e1612888376581.jpeg")
        );
        assert_eq!(
            a,
            k("https://s.example/wp-content/uploads/2021/05/vb_20_photo_v1-1024x459.jpg")
        );
        assert_eq!(
            k("https://s.example/images/index/farm.jpg"),
            k("https://s.example/images/farm/farm.JPG")
        );
        // A JPEG and a PNG of one name are not pointed at each other.
        assert_ne!(
            k("https://s.example/a/logo.jpg"),
            k("https://s.example/b/logo.png")
        );
        assert_ne!(
            a,
            k("https://other.example/wp-content/uploads/2021/05/VB_20_Photo_V1-2.jpg")
        );
        assert_eq!(name_key("https://s.example/"), None);
    }

    /// Hugo's processed pictures of one source share its name, whatever
    /// their format; a fingerprint is not part of the name.
    #[test]
    fn hugo_copies_of_one_source_share_a_name_key() {
        let k = |u: &str| name_key(u).unwrap();
        let cover = k("https://s.example/i/blog/img_0204_hu_d33cc80d2b6a0a7e.84f942a6eed8629c3de61776aea5caae.webp");
        assert_eq!(
            cover,
            k("https://s.example/i/blog/img_0204_hu_16625c787edf7a38.4fc09bd2d4bcb2360e09a35835367985.jpeg")
        );
        assert_eq!(
            k("https://s.example/p/photo_hu3d03a01dcc18bc5be0e67db3d8d209a6_1234_600x0_resize_q75_box.jpg"),
            k("https://s.example/p/photo_hu3d03a01dcc18bc5be0e67db3d8d209a6_1234_1200x600_fill_q75_box_smart1.webp")
        );
        assert_ne!(
            cover,
            k("https://s.example/i/blog/img_0205_hu_20092e156f41bc03.webp")
        );
        // Not Hugo's: a name with "_hu" in it, and a short hex tail.
        assert_eq!(
            k("https://s.example/a/shoe_hut.jpg"),
            "s.example/shoe_hut.jpeg"
        );
        // The source, published fingerprinted, and what Hugo made of it.
        assert_eq!(
            k("https://s.example/i/trail.b26c6fbbf4f1f25c2e4c4375733124fa.webp"),
            k("https://s.example/i/trail_hu_d60c1e9fc689eebf.f906cf4bbb827873920e4abad11c3477.jpeg")
        );
        assert_eq!(
            k("https://s.example/a/team.2024.jpg"),
            "s.example/team.2024.jpeg"
        );
    }

    #[test]
    fn size_variants_share_a_key() {
        let k = |u: &str| variant_key(u);
        let orig = k("https://s.example/wp-content/uploads/2026/06/relay.jpg").unwrap();
        assert_eq!(
            k("https://s.example/wp-content/uploads/2026/06/relay-150x150.jpg").unwrap(),
            orig
        );
        assert_eq!(
            k("https://s.example/wp-content/uploads/2026/06/relay-scaled.jpg").unwrap(),
            orig
        );
        assert_eq!(
            k("https://s.example/wp-content/uploads/2026/06/relay-1024x683.JPG").unwrap(),
            orig
        );
        // An edit in the media editor, and the sizes of the edit.
        assert_eq!(
            k("https://s.example/wp-content/uploads/2026/06/relay-e1603377145174.jpg").unwrap(),
            orig
        );
        assert_eq!(
            k("https://s.example/wp-content/uploads/2026/06/relay-e1603377145174-300x113.jpg")
                .unwrap(),
            orig
        );
        assert_eq!(
            k("https://s.example/wp-content/uploads/2026/06/relay-scaled-e1603377145174.jpg")
                .unwrap(),
            orig
        );
        assert_ne!(
            k("https://s.example/wp-content/uploads/2026/06/relay-e2.jpg").unwrap(),
            orig
        );
        assert_ne!(
            k("https://s.example/wp-content/uploads/2026/06/relay-1.jpg").unwrap(),
            orig
        );
        assert_ne!(
            k("https://s.example/wp-content/uploads/2026/05/relay.jpg").unwrap(),
            orig
        );
        assert_ne!(
            k("https://s.example/wp-content/uploads/2026/06/relay-team.jpg").unwrap(),
            orig
        );
        assert_eq!(k("https://s.example/images/relay-150x150.jpg"), None);
    }

    #[test]
    fn every_size_and_the_original() {
        let body = br#"[{"id":7,"link":"https://s.example/news/sports/relay/","mime_type":"image/jpeg",
          "alt_text":"Relay","title":{"rendered":"relay"},"caption":{"rendered":"<p>Amelia Jones (Year 4)</p>"},
          "source_url":"https://s.example/wp-content/uploads/2026/06/relay-scaled.jpg",
          "media_details":{"original_image":"relay.jpg","sizes":{
            "thumbnail":{"source_url":"https://s.example/wp-content/uploads/2026/06/relay-150x150.jpg"},
            "large":{"source_url":"https://s.example/wp-content/uploads/2026/06/relay-1024x683.jpg"}}}},
          {"id":8,"mime_type":"application/pdf","source_url":"https://s.example/x.pdf"}]"#;
        let media = parse(body, &Url::parse("https://s.example/").unwrap()).unwrap();
        // The PDF upload is a document to read, not a picture.
        assert_eq!(media.documents, vec!["https://s.example/x.pdf"]);
        let items = media.pictures;
        let urls: Vec<&str> = items.iter().map(|(_, i)| i.url.as_str()).collect();
        assert_eq!(
            urls,
            vec![
                "https://s.example/wp-content/uploads/2026/06/relay-1024x683.jpg",
                "https://s.example/wp-content/uploads/2026/06/relay-150x150.jpg",
                "https://s.example/wp-content/uploads/2026/06/relay-scaled.jpg",
                "https://s.example/wp-content/uploads/2026/06/relay.jpg",
            ]
        );
        assert_eq!(items[0].0, "https://s.example/news/sports/relay/");
        assert_eq!(
            items[0].1.context.caption.as_deref(),
            Some("Amelia Jones (Year 4)")
        );
        assert!(parse(
            b"{\"code\":\"rest_no_route\"}",
            &Url::parse("https://s.example/").unwrap()
        )
        .is_err());
    }
}
