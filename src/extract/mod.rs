//! Extraction: turns fetched documents (HTML pages, sitemaps, directory
//! listings, the WordPress media API, feeds) into picture references with
//! their context, and into more places to look. One format per file; every
//! function here is pure, bounded, and knows nothing of HTTP or storage.

pub mod feed;
pub mod html;
pub mod listing;
pub mod sitemap;
pub mod social;
pub mod wordpress;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::model::{Context, FoundVia};

/// A picture reference found in a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRef {
    pub url: String,
    pub found_via: FoundVia,
    pub context: Context,
}

/// File endings of raster pictures a scraper collects.
const PICTURE_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "jpe", "png", "gif", "webp", "avif", "bmp", "tif", "tiff", "heic", "heif",
];

/// Does this URL's path end like a picture file?
pub fn is_picture_url(url: &Url) -> bool {
    let path = url.path();
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    !path.ends_with('/') && PICTURE_EXTENSIONS.contains(&ext.as_str())
}

/// Collapses white space and trims.
pub fn clean_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(4096));
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// At most `n` characters of `s`, cut on a character boundary.
pub fn truncate_chars(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => s[..i].to_string(),
        None => s.to_string(),
    }
}

/// Text content of an HTML fragment (captions in APIs and feeds are HTML).
pub fn html_to_text(fragment: &str) -> String {
    let doc = scraper::Html::parse_fragment(fragment);
    clean_text(&doc.root_element().text().collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picture_urls() {
        for (u, yes) in [
            ("http://a/x.JPG", true),
            ("http://a/x.jpeg?w=300", true),
            ("http://a/x.webp", true),
            ("http://a/x.html", false),
            ("http://a/jpg/", false),
            ("http://a/x.svg", false),
        ] {
            assert_eq!(is_picture_url(&Url::parse(u).unwrap()), yes, "{u}");
        }
    }

    #[test]
    fn text_helpers() {
        assert_eq!(clean_text("  a \n\t b  "), "a b");
        assert_eq!(truncate_chars("héllo", 2), "hé");
        assert_eq!(
            html_to_text("<p>Amelia &amp; <b>Tom</b></p>"),
            "Amelia & Tom"
        );
    }
}
