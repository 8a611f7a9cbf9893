//! Extraction: turns fetched documents (HTML pages, sitemaps, directory
//! listings, the WordPress media API, feeds) into picture references with
//! their context, and into more places to look. One format per file; every
//! function here is pure, bounded, and knows nothing of HTTP or storage.

pub mod document;
pub mod feed;
pub mod html;
pub mod listing;
pub mod office;
pub mod pdf;
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
    has_picture_extension(url.path())
}

/// Does this path or file name end like a picture file ("a/b.JPG",
/// "K_Clayton.jpg")?
pub fn has_picture_extension(path: &str) -> bool {
    !path.ends_with('/')
        && path
            .rsplit_once('.')
            .is_some_and(|(_, e)| PICTURE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
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

/// At most `n` characters of `s`, cut between words: half a word at the
/// end ("... Team advisor: Beverley H") would read as another word, or a
/// name's initial. A word longer than [`LONGEST_WORD_KEPT`] (a URL) is cut
/// where it is.
pub fn truncate_chars(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, c)) => {
            let kept = &s[..i];
            let mid_word =
                c.is_alphanumeric() && kept.chars().next_back().is_some_and(char::is_alphanumeric);
            if mid_word {
                if let Some(space) = kept.rfind(char::is_whitespace) {
                    let word = s[space..].split_whitespace().next().unwrap_or_default();
                    let whole = kept[..space].trim_end();
                    if word.chars().count() <= LONGEST_WORD_KEPT && !whole.is_empty() {
                        return whole.to_string();
                    }
                }
            }
            kept.trim_end().to_string()
        }
        None => s.to_string(),
    }
}

/// Longest part-word [`truncate_chars`] drops to end on a whole word.
const LONGEST_WORD_KEPT: usize = 40;

/// Elements a browser lays out as their own block or line: where one
/// starts or ends, words are apart even with no space in the source
/// (`Amelia Jones<br>Year 4`, `<p>Sheldon</p><p>https://...</p>`).
const WORD_BREAKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "caption",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "option",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
];

/// The text of an element as a reader sees it: words kept apart at line
/// breaks and block ends, white space collapsed, elements named in `skip`
/// (with all they hold) left out, and no more than about `limit`
/// characters read. Every HTML-to-text path goes through it.
pub fn element_text(el: scraper::ElementRef<'_>, limit: usize, skip: &[&str]) -> String {
    element_text_until(el, limit, skip, |_| false, || true).0
}

/// [`element_text`] that stops before the first element `stop` picks (and
/// says whether one did), or when `go_on` says no more steps may be taken
/// (a caller's budget of work, one step per node).
pub fn element_text_until(
    el: scraper::ElementRef<'_>,
    limit: usize,
    skip: &[&str],
    mut stop: impl FnMut(&scraper::node::Element) -> bool,
    mut go_on: impl FnMut() -> bool,
) -> (String, bool) {
    use ego_tree::iter::Edge;
    let mut s = String::new();
    let mut skipping = 0usize;
    for edge in el.traverse() {
        if !go_on() {
            break;
        }
        match edge {
            Edge::Open(node) => {
                if let Some(e) = node.value().as_element() {
                    if skipping > 0 || skip.contains(&e.name()) {
                        skipping += 1;
                    } else if stop(e) {
                        return (clean_text(&s), true);
                    } else if WORD_BREAKS.contains(&e.name()) {
                        s.push(' ');
                    }
                } else if let Some(t) = node.value().as_text() {
                    if skipping == 0 {
                        s.push_str(t);
                        if s.len() > limit.saturating_mul(4) {
                            break;
                        }
                    }
                }
            }
            Edge::Close(node) => {
                if let Some(e) = node.value().as_element() {
                    if skipping > 0 {
                        skipping -= 1;
                    } else if WORD_BREAKS.contains(&e.name()) {
                        s.push(' ');
                    }
                }
            }
        }
    }
    (clean_text(&s), false)
}

/// Text content of an HTML fragment (captions in APIs and feeds are HTML),
/// as [`element_text`] reads it.
pub fn html_to_text(fragment: &str) -> String {
    let doc = scraper::Html::parse_fragment(fragment);
    element_text(doc.root_element(), usize::MAX / 8, &[])
}

/// The text an XML entity or character reference stands for (`amp`,
/// `#233`, `#x2019`), or `None` for one that is not predefined.
pub fn xml_reference(name: &str) -> Option<String> {
    if let Some(c) = quick_xml::escape::resolve_predefined_entity(name) {
        return Some(c.to_string());
    }
    let num = name.strip_prefix('#')?;
    let code = match num.strip_prefix(['x', 'X']) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => num.parse().ok(),
    };
    code.and_then(char::from_u32).map(String::from)
}

#[cfg(test)]
mod tests {
    use super::truncate_chars;

    #[test]
    fn text_is_cut_between_words() {
        let t = "Early Help Team advisor: Beverley Hooper: beverley@example.org";
        assert_eq!(truncate_chars(t, 35), "Early Help Team advisor: Beverley");
        assert_eq!(truncate_chars(t, 34), "Early Help Team advisor: Beverley");
        assert_eq!(truncate_chars(t, 200), t);
        assert_eq!(truncate_chars("Amelia Jones", 7), "Amelia");
        // A word that ends at the limit is whole.
        assert_eq!(truncate_chars("Amelia Jones, Year 6", 12), "Amelia Jones");
        // A long word (a URL) is cut where it is; a single word too.
        let url = format!("see {}", "x".repeat(60));
        assert_eq!(truncate_chars(&url, 30).chars().count(), 30);
        assert_eq!(truncate_chars("Beverley", 3), "Bev");
        // A leading space is not a place to cut at.
        assert_eq!(truncate_chars(" Beverley", 3), " Be");
    }

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

    /// Issue 21, item 5: words stay apart at line breaks and block ends.
    #[test]
    fn words_stay_apart_at_line_breaks_and_blocks() {
        assert_eq!(
            html_to_text("William Wallace Barbour Sheldon<br><a href='https://x.example/'>https://x.example/</a>"),
            "William Wallace Barbour Sheldon https://x.example/"
        );
        assert_eq!(
            html_to_text("<p>Well done Amelia Jones<br>Year 4 relay team</p><p>Next</p>"),
            "Well done Amelia Jones Year 4 relay team Next"
        );
        assert_eq!(html_to_text("<li>Tom</li><li>Ann</li>"), "Tom Ann");
        assert_eq!(
            html_to_text("Am<b>elia</b>"),
            "Amelia",
            "inline elements join"
        );
    }
}
