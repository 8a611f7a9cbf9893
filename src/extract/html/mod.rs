//! HTML extraction: every picture a scraper takes from a page, with the text
//! around it, and the page's links, stylesheets, feeds and robots meta.
//! Pure: bytes and a base URL in, plain data out.

use scraper::{ElementRef, Html, Selector};
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;
use url::Url;

mod rows;

use super::{clean_text, element_text, is_picture_url, truncate_chars, ImageRef};
use crate::model::{Context, FoundVia};
use crate::urls::resolve;

/// Longest caption, title or listing-row text kept per sighting, in characters.
const NEARBY_CHARS: usize = 300;
/// Longest nearby-text window: the text of the nearest block around a
/// picture. Staff and committee pages put a photo beside a paragraph and
/// then the list of the people in it, which a scraper keeps with it.
const NEARBY_BLOCK_CHARS: usize = 800;
/// About the most characters read of a title, heading or link text.
const TEXT_CHARS: usize = 1000;
/// Most sightings kept from one page (hostile pages can list millions).
const MAX_IMAGES_PER_PAGE: usize = 5000;
/// Most nodes the search for pictures' text may step through on one page,
/// over all its pictures: a gallery of 50,000 pictures in one box with no
/// text would otherwise be read again for each of them (minutes of CPU).
/// A real page's pictures take a small part of it.
const CONTEXT_STEPS: u64 = 20_000_000;

thread_local! {
    /// What is left of [`CONTEXT_STEPS`] for the page being read.
    static CONTEXT_BUDGET: std::cell::Cell<u64> = const { std::cell::Cell::new(CONTEXT_STEPS) };
}

/// Takes one step of the page's budget for pictures' text: false once it
/// is spent, and the walk stops with what it has.
fn step() -> bool {
    CONTEXT_BUDGET.with(|b| {
        let left = b.get();
        b.set(left.saturating_sub(1));
        left > 0
    })
}
/// Most characters of page furniture kept for page-wide details.
const FURNITURE_CHARS: usize = 4000;
/// Most links kept from one page.
const MAX_LINKS_PER_PAGE: usize = 5000;

/// Lazy-load attributes used by WordPress plugins, lazysizes, lozad and themes.
const LAZY_ATTRS: &[&str] = &[
    "data-src",
    "data-lazy-src",
    "data-original",
    "data-lazy",
    "data-url",
    "data-full",
    "data-full-url",
    "data-large-file",
    "data-orig-file",
    "data-medium-file",
    "data-bg",
    "data-background",
    "data-background-image",
    "data-image",
    "data-hi-res",
];
const LAZY_SRCSET_ATTRS: &[&str] = &["data-srcset", "data-lazy-srcset"];

/// What one page yields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PageExtract {
    pub title: Option<String>,
    pub images: Vec<ImageRef>,
    pub links: Vec<String>,
    pub stylesheets: Vec<String>,
    pub feeds: Vec<String>,
    /// `<meta name="robots">` (and robot-specific meta) directives, lower-cased.
    pub robots_meta: Vec<String>,
    /// The page is served by WordPress (so its media API is worth asking).
    pub wordpress: bool,
    /// The page looks like an automatic directory listing.
    pub directory_listing: bool,
    /// Text of the page's furniture (footer, header, nav, aside): where
    /// page-wide details such as the school address or staff contacts live.
    #[serde(default)]
    pub furniture_text: Option<String>,
    /// The search for pictures' nearby text spent this page's budget
    /// ([`CONTEXT_STEPS`]): the pictures it reached last have less of their
    /// text than a reader sees. Recorded as the page's error.
    #[serde(default)]
    pub context_cut: bool,
}

macro_rules! sel {
    ($name:ident, $css:expr) => {
        static $name: LazyLock<Selector> =
            LazyLock::new(|| Selector::parse($css).expect("valid selector"));
    };
}
sel!(TITLE, "title");
sel!(IMG, "img");
sel!(ARTICLE, "article");
sel!(SOURCE, "picture source");
sel!(STYLED, "[style]");
sel!(STYLE_EL, "style");
sel!(META, "meta");
sel!(LINK, "link");
sel!(A, "a[href]");
sel!(VIDEO, "video[poster]");
sel!(FIGCAPTION, "figcaption");
sel!(LAZY_ANY, "[data-src], [data-lazy-src], [data-original], [data-bg], [data-background], [data-background-image], [data-srcset], [data-lazy-srcset], [data-full-url], [data-orig-file], [data-large-file], [data-image], [data-hi-res], [data-url], [data-full], [data-lazy], [data-medium-file]");
sel!(H1, "h1");
sel!(FURNITURE, "footer, header, aside, [role=contentinfo]");
sel!(LD_JSON, "script[type=\"application/ld+json\"]");
sel!(NOSCRIPT, "noscript");

/// Extracts pictures, links and hints from an HTML document.
pub fn extract(body: &[u8], base: &Url) -> PageExtract {
    CONTEXT_BUDGET.with(|b| b.set(CONTEXT_STEPS));
    let text = String::from_utf8_lossy(body);
    let text = flatten_deep_nesting(&text, MAX_NESTING);
    let doc = Html::parse_document(&text);
    let mut out = PageExtract::default();
    let base = doc
        .select(&Selector::parse("base[href]").expect("valid selector"))
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|h| base.join(h).ok())
        .unwrap_or_else(|| base.clone());
    out.title = doc
        .select(&TITLE)
        .next()
        .map(|t| element_text(t, TEXT_CHARS, &[]))
        .filter(|t| !t.is_empty());
    let page_title = out.title.clone();
    // Each picture's entry, and how many places on the page show it.
    let mut seen: std::collections::HashMap<(String, FoundVia), (usize, usize)> =
        std::collections::HashMap::new();
    let mut push = |out: &mut PageExtract, raw: &str, via: FoundVia, ctx: &Context| {
        let Some(url) = resolve(&base, raw) else {
            return;
        };
        match seen.entry((url.to_string(), via)) {
            // The same picture shown again on the page (one group photo
            // above each staff member's paragraph): each place's text is
            // beside it. Shown in many places, it is furniture (a
            // placeholder silhouette for every name on a staff list, an
            // icon), and none of their texts is its own.
            std::collections::hash_map::Entry::Occupied(mut at) => {
                let (i, places) = at.get_mut();
                *places += 1;
                let context = &mut out.images[*i].context;
                if *places > MAX_PLACES_WITH_TEXT {
                    context.nearby_text = None;
                } else {
                    join_context(context, ctx);
                }
            }
            std::collections::hash_map::Entry::Vacant(at) => {
                if out.images.len() >= MAX_IMAGES_PER_PAGE {
                    return;
                }
                at.insert((out.images.len(), 1));
                let mut context = ctx.clone();
                context.page_title.clone_from(&page_title);
                out.images.push(ImageRef {
                    url: url.to_string(),
                    found_via: via,
                    context,
                });
            }
        }
    };

    // A row of photos with a spaced-out line of names under it: each
    // photo's own name, as the page shows it (rows.rs).
    let rows = rows::row_captions(&doc);
    let row_caption = |el: ElementRef<'_>| {
        std::iter::once(el)
            .chain(el.select(&IMG))
            .find_map(|e| rows.get(&e.id()))
            .cloned()
    };
    for img in doc.select(&IMG) {
        let mut ctx = context_of(img);
        if let Some(part) = row_caption(img) {
            ctx.nearby_text = Some(part);
        }
        let el = img.value();
        if let Some(src) = el.attr("src") {
            if !is_placeholder(src) {
                push(&mut out, src, FoundVia::Img, &ctx);
            }
        }
        if let Some(srcset) = el.attr("srcset") {
            for cand in srcset_urls(srcset) {
                push(&mut out, cand, FoundVia::Srcset, &ctx);
            }
        }
    }
    for el in doc.select(&LAZY_ANY) {
        let ctx = context_of(el);
        for attr in LAZY_ATTRS {
            if let Some(v) = el.value().attr(attr) {
                for u in css_urls(v)
                    .into_iter()
                    .chain(std::iter::once(v.trim()))
                    .take(4)
                {
                    if looks_like_url(u) && !is_placeholder(u) {
                        push(&mut out, u, FoundVia::Lazy, &ctx);
                    }
                }
            }
        }
        for attr in LAZY_SRCSET_ATTRS {
            if let Some(v) = el.value().attr(attr) {
                for cand in srcset_urls(v) {
                    push(&mut out, cand, FoundVia::Lazy, &ctx);
                }
            }
        }
    }
    // Themes and page builders keep pictures in data-* attributes of their
    // own (Elementor's data-settings JSON, sliders' data-lazyload, ...): a
    // scraper that greps attributes for picture URLs finds them, so do we.
    for el in doc
        .root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
    {
        for (name, value) in el.value().attrs() {
            if !name.starts_with("data-")
                || LAZY_ATTRS.contains(&name)
                || LAZY_SRCSET_ATTRS.contains(&name)
                || value.len() > 16 * 1024
            {
                continue;
            }
            let tokens = picture_tokens(value);
            if tokens.is_empty() {
                continue;
            }
            let ctx = context_of(el);
            for t in tokens {
                push(&mut out, &t, FoundVia::Lazy, &ctx);
            }
        }
    }
    for source in doc.select(&SOURCE) {
        // Context comes from the picture's own <img>.
        let ctx = source
            .parent()
            .and_then(ElementRef::wrap)
            .and_then(|p| p.select(&IMG).next())
            .map(context_of)
            .unwrap_or_default();
        for attr in ["srcset", "data-srcset"] {
            if let Some(srcset) = source.value().attr(attr) {
                for cand in srcset_urls(srcset) {
                    push(&mut out, cand, FoundVia::Picture, &ctx);
                }
            }
        }
    }
    for el in doc.select(&STYLED) {
        if let Some(style) = el.value().attr("style") {
            let ctx = context_of(el);
            for u in css_urls(style) {
                push(&mut out, u, FoundVia::Css, &ctx);
            }
        }
    }
    let mut selector_lookups = 0usize;
    for el in doc.select(&STYLE_EL) {
        let css: String = el.text().collect();
        // A rule's background is shown on the elements its selector picks:
        // their text goes with the picture, as a scraper rendering the
        // page sees it ("Mrs Kate Morwenna, Chair" in the governor's card).
        // Each selector is matched against the whole page: a bounded number
        // of them per page, so a hostile stylesheet cannot cost rules x DOM.
        for (selectors, block) in css_rules(&css) {
            let ctx = selectors
                .split(',')
                .take(4)
                .find_map(|sel| {
                    if selector_lookups >= MAX_SELECTOR_LOOKUPS {
                        return None;
                    }
                    selector_lookups += 1;
                    rule_context(&doc, sel)
                })
                .unwrap_or_default();
            for u in css_urls(block) {
                push(&mut out, u, FoundVia::Css, &ctx);
            }
        }
    }
    for v in doc.select(&VIDEO) {
        if let Some(p) = v.value().attr("poster") {
            push(&mut out, p, FoundVia::Img, &context_of(v));
        }
    }

    // Lazy loaders put the real <img> in <noscript> for crawlers; the parser
    // keeps noscript content as text, so parse it again.
    for ns in doc.select(&NOSCRIPT) {
        let inner: String = ns.text().collect();
        if !inner.contains("<img") || inner.len() > 64 * 1024 {
            continue;
        }
        let frag = Html::parse_fragment(&inner);
        let outer = context_of(ns);
        for img in frag.select(&IMG) {
            let mut ctx = context_of(img);
            ctx.merge_missing(&outer);
            ctx.nearby_text.clone_from(&outer.nearby_text);
            if let Some(src) = img.value().attr("src") {
                push(&mut out, src, FoundVia::Img, &ctx);
            }
            if let Some(srcset) = img.value().attr("srcset") {
                for cand in srcset_urls(srcset) {
                    push(&mut out, cand, FoundVia::Srcset, &ctx);
                }
            }
        }
    }
    // Structured data (schema.org JSON-LD) names pictures for search engines
    // and scrapers alike.
    for script in doc.select(&LD_JSON) {
        let text: String = script.text().collect();
        if text.len() > 1 << 20 {
            continue;
        }
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
            let mut found = Vec::new();
            json_ld_images(&value, &Context::default(), 0, &mut found);
            for (u, ctx) in found.into_iter().take(200) {
                push(&mut out, &u, FoundVia::OgImage, &ctx);
            }
        }
    }

    let mut og_ctx = Context::default();
    let mut og_images = Vec::new();
    for m in doc.select(&META) {
        let el = m.value();
        let key = el
            .attr("property")
            .or_else(|| el.attr("name"))
            .unwrap_or_default()
            .to_ascii_lowercase();
        let content = el.attr("content").unwrap_or_default();
        match key.as_str() {
            "og:image"
            | "og:image:url"
            | "og:image:secure_url"
            | "twitter:image"
            | "twitter:image:src" => og_images.push(content.to_string()),
            "og:image:alt" | "twitter:image:alt" => og_ctx.alt = Some(clean_text(content)),
            "og:title" | "twitter:title" => og_ctx.title = Some(clean_text(content)),
            "og:description" | "twitter:description" | "description"
                if og_ctx.nearby_text.is_none() =>
            {
                og_ctx.nearby_text = Some(truncate_chars(&clean_text(content), NEARBY_CHARS));
            }
            "robots" | "googlebot" | "bingbot" => out.robots_meta.extend(
                content
                    .split(',')
                    .map(|d| d.trim().to_ascii_lowercase())
                    .filter(|d| !d.is_empty()),
            ),
            "generator" if content.to_ascii_lowercase().contains("wordpress") => {
                out.wordpress = true;
            }
            _ => {}
        }
    }
    // A page of one article (a blog post, a news item) is shared as that
    // article: its heading and byline are the share picture's text too.
    let mut articles = doc.select(&ARTICLE);
    if let (Some(article), None) = (articles.next(), articles.next()) {
        if let Some(head) = head_of(article, None) {
            let have = og_ctx.nearby_text.take().unwrap_or_default();
            og_ctx.nearby_text = Some(clean_text(&format!("{head} {have}")));
        }
    }
    for u in og_images {
        push(&mut out, &u, FoundVia::OgImage, &og_ctx);
    }

    for l in doc.select(&LINK) {
        let el = l.value();
        let rel = el.attr("rel").unwrap_or_default().to_ascii_lowercase();
        let Some(href) = el.attr("href") else {
            continue;
        };
        let ty = el.attr("type").unwrap_or_default().to_ascii_lowercase();
        if rel.split_whitespace().any(|r| r == "image_src") {
            push(&mut out, href, FoundVia::Link, &Context::default());
        } else if rel.split_whitespace().any(|r| r == "stylesheet") {
            if let Some(u) = resolve(&base, href) {
                out.stylesheets.push(u.to_string());
            }
        } else if rel.contains("alternate") && (ty.contains("rss") || ty.contains("atom")) {
            if let Some(u) = resolve(&base, href) {
                out.feeds.push(u.to_string());
            }
        } else if rel == "https://api.w.org/" {
            out.wordpress = true;
        }
    }

    let heading = doc
        .select(&H1)
        .next()
        .map(|h| element_text(h, TEXT_CHARS, &[]))
        .unwrap_or_default();
    out.directory_listing = out
        .title
        .as_deref()
        .unwrap_or_default()
        .starts_with("Index of /")
        || heading.starts_with("Index of /");
    // IIS directory browsing has no such title; its parent link says it.
    let listing = out.directory_listing
        || memchr::memmem::find(&body[..body.len().min(8192)], b"[To Parent Directory]").is_some();

    for a in doc.select(&A) {
        let href = a.value().attr("href").unwrap_or_default();
        let Some(url) = resolve(&base, href) else {
            continue;
        };
        if is_picture_url(&url) && listing {
            // A listing's entry has no caption (the link text is its file
            // name): its text is its own row, not the listing around it.
            let ctx = Context {
                nearby_text: Some(listing_row(a)).filter(|r| !r.is_empty()),
                ..Context::default()
            };
            push(&mut out, href, FoundVia::Link, &ctx);
        } else if is_picture_url(&url) {
            let mut ctx = context_of(a);
            if let Some(part) = row_caption(a) {
                ctx.nearby_text = Some(part);
            } else if a.select(&IMG).next().is_none() && element_text(a, 8, &[]).is_empty() {
                // An empty link (an editor's leftover) shows nothing: the
                // text around it is not beside any picture on screen.
                ctx.nearby_text = None;
            }
            if ctx.caption.is_none() {
                let text = element_text(a, TEXT_CHARS, &[]);
                if !text.is_empty() {
                    ctx.caption = Some(truncate_chars(&text, NEARBY_CHARS));
                }
            }
            push(&mut out, href, FoundVia::Link, &ctx);
        } else if out.links.len() < MAX_LINKS_PER_PAGE {
            out.links.push(url.to_string());
        }
    }
    out.links.dedup();
    out.stylesheets.dedup();
    out.feeds.dedup();

    if !out.wordpress {
        out.wordpress = out
            .images
            .iter()
            .any(|i| i.url.contains("/wp-content/uploads/"));
    }
    let mut furniture = String::new();
    for el in doc.select(&FURNITURE) {
        if furniture.len() > FURNITURE_CHARS {
            break;
        }
        furniture.push_str(&truncate_chars(
            &element_text(el, FURNITURE_CHARS, &[]),
            FURNITURE_CHARS,
        ));
        furniture.push_str(" . ");
    }
    out.furniture_text = Some(furniture).filter(|f| !f.trim_matches([' ', '.']).is_empty());
    out.context_cut = CONTEXT_BUDGET.with(std::cell::Cell::get) == 0;
    out
}

/// Most places on one page a picture may be shown in for their texts to be
/// its own: a group photo repeated beside each of five staff members'
/// paragraphs is theirs; a placeholder beside every name of a staff list
/// of eleven is no one's (both seen on the real corpus's tune sites).
const MAX_PLACES_WITH_TEXT: usize = 6;
/// Most nearby text kept for one picture shown several times on a page.
const JOINED_NEARBY_CHARS: usize = NEARBY_BLOCK_CHARS * 3;

/// Adds the context of another place a page shows a picture to the first
/// one's: its nearby text after the first's (up to
/// [`JOINED_NEARBY_CHARS`]), and whatever the first lacks.
fn join_context(first: &mut Context, again: &Context) {
    if let (Some(have), Some(more)) = (first.nearby_text.as_mut(), again.nearby_text.as_ref()) {
        if !have.contains(more.as_str())
            && have.chars().count() + more.chars().count() < JOINED_NEARBY_CHARS
        {
            have.push_str(" … ");
            have.push_str(more);
        }
    }
    first.merge_missing(again);
}

/// Picture URLs under `image`, `thumbnailUrl` and `contentUrl` keys of
/// JSON-LD, with the nearest `name`/`headline` and `caption`/`description`.
fn json_ld_images(
    v: &serde_json::Value,
    ctx: &Context,
    depth: usize,
    out: &mut Vec<(String, Context)>,
) {
    use serde_json::Value;
    if depth > 12 || out.len() >= 200 {
        return;
    }
    match v {
        Value::Array(items) => items
            .iter()
            .for_each(|i| json_ld_images(i, ctx, depth + 1, out)),
        Value::Object(map) => {
            let text = |k: &str| {
                map.get(k)
                    .and_then(Value::as_str)
                    .map(clean_text)
                    .filter(|s| !s.is_empty())
            };
            let mut here = ctx.clone();
            if let Some(t) = text("headline").or_else(|| text("name")) {
                here.title = Some(truncate_chars(&t, NEARBY_CHARS));
            }
            if let Some(c) = text("caption").or_else(|| text("description")) {
                here.caption = Some(truncate_chars(&c, NEARBY_CHARS));
            }
            let is_image_object = map.get("@type").and_then(Value::as_str) == Some("ImageObject");
            for (k, child) in map {
                let picture_key = matches!(k.as_str(), "image" | "thumbnailUrl" | "contentUrl")
                    || (is_image_object && k == "url");
                match child {
                    Value::String(u) if picture_key => out.push((u.clone(), here.clone())),
                    Value::Array(items) if picture_key => {
                        for i in items {
                            match i {
                                Value::String(u) => out.push((u.clone(), here.clone())),
                                other => json_ld_images(other, &here, depth + 1, out),
                            }
                        }
                    }
                    Value::Object(_) | Value::Array(_) => {
                        json_ld_images(child, &here, depth + 1, out);
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// The text a scraper keeps with an element: alt, title, figure caption,
/// and a bounded window of the nearest text around it.
fn context_of(el: ElementRef<'_>) -> Context {
    let attr = |name: &str| {
        el.value()
            .attr(name)
            .map(clean_text)
            .filter(|s| !s.is_empty())
    };
    let mut ctx = Context {
        alt: attr("alt"),
        title: attr("title"),
        ..Context::default()
    };
    let mut nearby = column_text(el);
    let mut whole_block = None;
    // The outermost box around the picture with no text of its own.
    let mut bare_box = None;
    for (depth, anc) in el.ancestors().filter_map(ElementRef::wrap).enumerate() {
        let name = anc.value().name();
        if name == "figure" && ctx.caption.is_none() {
            ctx.caption = anc
                .select(&FIGCAPTION)
                .next()
                .map(|c| truncate_chars(&element_text(c, NEARBY_CHARS, &[]), NEARBY_CHARS))
                .filter(|s| !s.is_empty());
        }
        if matches!(name, "body" | "html" | "main") || depth >= 4 {
            break;
        }
        if nearby.is_none() {
            let text = own_text_in(anc, el, NEARBY_BLOCK_CHARS);
            if text.chars().count() >= 3 {
                nearby = Some(text);
            } else if whole_block.is_none() {
                let text = bounded_text(anc, NEARBY_CHARS * 2);
                if text.chars().count() >= 3 {
                    whole_block = Some(truncate_chars(&text, NEARBY_CHARS));
                } else if holds_only(anc, el) {
                    bare_box = Some(anc);
                }
            }
        }
    }
    // A picture alone in its boxes: its caption is the paragraph that
    // follows them ("James Swain - Parent governor" under the photo). Not
    // for a picture that links to a page (a badge, a tile, a button): its
    // words are its link's.
    let links_away = || {
        std::iter::once(el)
            .chain(el.ancestors().filter_map(ElementRef::wrap))
            .any(|a| {
                a.value().name() == "a"
                    && a.value()
                        .attr("href")
                        .is_some_and(|h| !h.trim().is_empty() && !looks_like_picture(h))
            })
    };
    if nearby.is_none() && whole_block.is_none() && bare_box.is_some() && !links_away() {
        nearby = bare_box.and_then(|b| caption_after(b, el));
    }
    // A gallery whose one caption follows all its pictures: every picture
    // but the last has no text of its own, and the block's text is theirs.
    let mut nearby = nearby.or(whole_block);
    // A picture in an article (a class blog's post, a news item) is the
    // article's: its heading and byline ("Children in Need", "Daniel, 24
    // Nov 2023") are every one of its pictures' text, not only the first's.
    if let Some(head) = article_head(el) {
        let have = nearby.take().unwrap_or_default();
        nearby = Some(if have.contains(&head) {
            have
        } else {
            clean_text(&format!("{head} {have}"))
        });
    }
    if ctx.caption.is_none() {
        // Gallery plugins put captions in a sibling, not a figcaption.
        ctx.caption = el
            .value()
            .attr("data-caption")
            .map(clean_text)
            .filter(|s| !s.is_empty());
    }
    ctx.nearby_text = nearby;
    ctx
}

/// Deepest element nesting handed to the HTML parser. html5ever's tree
/// builder scans its stack of open elements for each new element, so a page
/// nested 100,000 deep costs seconds to minutes of CPU; real pages stay
/// under a few hundred levels.
const MAX_NESTING: usize = 512;

/// Drops start tags (and as many end tags) that would nest elements deeper
/// than `limit`, keeping all text and every other tag: a hostile page
/// nested 100,000 deep keeps its pictures and parses in linear time.
/// Elements the parser closes by itself (`p`, `li`, table cells, ...) and
/// void elements are not counted.
pub fn flatten_deep_nesting(html: &str, limit: usize) -> std::borrow::Cow<'_, str> {
    const NOT_COUNTED: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr", "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th",
        "thead", "tbody", "tfoot", "colgroup", "rb", "rt", "rp",
    ];
    let bytes = html.as_bytes();
    let mut depth = 0usize;
    let mut excess = 0usize;
    let mut out: Option<String> = None;
    let mut copied = 0usize;
    let mut i = 0usize;
    while let Some(off) = memchr_lt(&bytes[i..]) {
        let start = i + off;
        i = start + 1;
        let rest = &bytes[start + 1..];
        if rest.starts_with(b"!--") {
            // Comments hold no tags.
            match find(&rest[3..], b"-->") {
                Some(end) => i = start + 4 + end + 3,
                None => break,
            }
            continue;
        }
        let closing = rest.first() == Some(&b'/');
        let name_at = start + 1 + usize::from(closing);
        let name_len = bytes[name_at..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if name_len == 0 || !bytes[name_at].is_ascii_alphabetic() {
            continue;
        }
        let name = html[name_at..name_at + name_len].to_ascii_lowercase();
        let Some(end) = tag_end(&bytes[name_at + name_len..]) else {
            break;
        };
        let end = name_at + name_len + end + 1;
        i = end;
        if NOT_COUNTED.contains(&name.as_str()) {
            continue;
        }
        let self_closing = !closing && bytes[..end].ends_with(b"/>");
        let drop_tag = if closing {
            if excess > 0 {
                excess -= 1;
                true
            } else {
                depth = depth.saturating_sub(1);
                false
            }
        } else if self_closing {
            false
        } else if depth >= limit {
            excess += 1;
            true
        } else {
            depth += 1;
            false
        };
        if drop_tag {
            let o = out.get_or_insert_with(|| String::with_capacity(html.len()));
            o.push_str(&html[copied..start]);
            copied = end;
        }
        // Raw text elements: skip to their end tag.
        if !closing && matches!(name.as_str(), "script" | "style" | "textarea" | "title") {
            let close = format!("</{name}");
            match find_ci(&bytes[i..], close.as_bytes()) {
                Some(at) => i += at,
                None => break,
            }
        }
    }
    match out {
        None => std::borrow::Cow::Borrowed(html),
        Some(mut o) => {
            o.push_str(&html[copied..]);
            std::borrow::Cow::Owned(o)
        }
    }
}

fn memchr_lt(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'<')
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// Index of the `>` ending a tag, skipping quoted attribute values.
fn tag_end(b: &[u8]) -> Option<usize> {
    let mut quote: Option<u8> = None;
    for (i, &c) in b.iter().enumerate() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, b'"' | b'\'') => quote = Some(c),
            (None, b'>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// The row of a directory listing that holds link `a`: its table row
/// (Apache's and IIS's tables), or else its line (nginx and Apache `<pre>`
/// listings, IIS lines ended by `<br>`): name, date and size.
fn listing_row(a: ElementRef<'_>) -> String {
    if let Some(tr) = a
        .ancestors()
        .filter_map(ElementRef::wrap)
        .find(|e| e.value().name() == "tr")
    {
        return truncate_chars(&element_text(tr, NEARBY_CHARS, &[]), NEARBY_CHARS);
    }
    let piece = |node: ego_tree::NodeRef<'_, scraper::Node>| -> Option<String> {
        match node.value() {
            scraper::Node::Text(t) => Some(t.to_string()),
            scraper::Node::Element(e) if e.name() == "br" => None,
            scraper::Node::Element(_) => {
                ElementRef::wrap(node).map(|e| element_text(e, NEARBY_CHARS, &[]))
            }
            _ => Some(String::new()),
        }
    };
    let mut before = String::new();
    for sib in a.prev_siblings().take(16) {
        let Some(t) = piece(sib) else { break };
        if let Some(i) = t.rfind('\n') {
            before.insert_str(0, &t[i + 1..]);
            break;
        }
        before.insert_str(0, &t);
    }
    let mut after = String::new();
    for sib in a.next_siblings().take(16) {
        let Some(t) = piece(sib) else { break };
        if let Some(i) = t.find('\n') {
            after.push_str(&t[..i]);
            break;
        }
        after.push_str(&t);
    }
    let own = element_text(a, NEARBY_CHARS, &[]);
    truncate_chars(
        &clean_text(&format!("{before} {own} {after}")),
        NEARBY_CHARS,
    )
}

/// Page furniture (footer address, staff contact lists in the header,
/// menus, forms, scripts) is page-wide: never part of a picture's nearby
/// text, in [`bounded_text`] and [`own_text_in`] alike.
const NOT_NEARBY: &[&str] = &[
    "footer", "header", "nav", "aside", "form", "script", "style", "noscript", "template",
];

/// Most style rules read from one stylesheet.
const MAX_CSS_RULES: usize = 2000;
/// Most CSS selectors matched against one page to give backgrounds text.
const MAX_SELECTOR_LOOKUPS: usize = 200;

/// The rules of a stylesheet that hold a `url(`: their selector list and
/// declaration block. Comments are skipped, grouping rules (`@media`,
/// `@supports`, `@layer`, ...) are read inside, other at-rules (fonts,
/// imports) are skipped.
pub fn css_rules(css: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    css_rules_into(css, &mut out, 0);
    out
}

fn css_rules_into<'a>(css: &'a str, out: &mut Vec<(&'a str, &'a str)>, depth: u32) {
    let bytes = css.as_bytes();
    let mut i = 0;
    let mut start = 0;
    while i < bytes.len() && out.len() < MAX_CSS_RULES {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = css[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |e| i + 2 + e + 2);
                if css[start..i].trim().is_empty() {
                    start = end;
                }
                i = end;
            }
            b'}' | b';' if css[start..i].trim_start().starts_with('@') || bytes[i] == b'}' => {
                // An at-rule without a block (`@import ...;`), or a stray brace.
                i += 1;
                start = i;
            }
            b'{' => {
                // The matching close, counting nested blocks.
                let mut level = 0u32;
                let mut j = i;
                while j < bytes.len() {
                    match bytes[j] {
                        b'{' => level += 1,
                        b'}' => {
                            level -= 1;
                            if level == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                let selectors = css[start..i].trim();
                let block = &css[i + 1..j.min(bytes.len())];
                if let Some(at) = selectors.strip_prefix('@') {
                    let grouping = ["media", "supports", "layer", "container", "document"];
                    if depth < 4 && grouping.iter().any(|g| at.starts_with(g)) {
                        css_rules_into(block, out, depth + 1);
                    }
                } else if block.contains("url(") {
                    out.push((selectors, block));
                }
                i = j + 1;
                start = i;
            }
            _ => i += 1,
        }
    }
}

/// The context of the first elements a CSS selector picks on this page:
/// their own text, else the text around them. Pseudo-classes and
/// pseudo-elements (`:hover`, `::before`) are dropped first.
fn rule_context(doc: &Html, selector: &str) -> Option<Context> {
    let mut plain = String::with_capacity(selector.len());
    let mut chars = selector.trim().chars().peekable();
    while let Some(c) = chars.next() {
        if c == ':' {
            // Skip the pseudo's name and any (argument).
            while chars.peek() == Some(&':') {
                chars.next();
            }
            while chars
                .peek()
                .is_some_and(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
            {
                chars.next();
            }
            if chars.peek() == Some(&'(') {
                let mut level = 0;
                for c in chars.by_ref() {
                    match c {
                        '(' => level += 1,
                        ')' => {
                            level -= 1;
                            if level == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
            }
            continue;
        }
        plain.push(c);
    }
    let plain = plain.trim();
    if plain.is_empty() || matches!(plain, "html" | "body" | "*") {
        return None;
    }
    let sel = Selector::parse(plain).ok()?;
    doc.select(&sel).take(4).find_map(|el| {
        let own = bounded_text(el, NEARBY_BLOCK_CHARS * 2);
        let mut ctx = context_of(el);
        if own.chars().count() >= 3 {
            ctx.nearby_text = Some(truncate_chars(&own, NEARBY_BLOCK_CHARS));
        }
        ctx.nearby_text.is_some().then_some(ctx)
    })
}

/// The text of `block` that belongs to picture `el` in it: what follows the
/// picture up to the next picture (a grid of staff cards gives each photo
/// its own name, not its neighbours'), after what precedes it when no other
/// picture does (an article's opening paragraph). About `limit` characters;
/// page furniture skipped as in [`bounded_text`].
fn own_text_in(block: ElementRef<'_>, el: ElementRef<'_>, limit: usize) -> String {
    use ego_tree::iter::Edge;
    let mut before = String::new();
    let mut after = String::new();
    let mut passed = false;
    let mut other_before = false;
    let mut story = String::new();
    let mut skipping = 0usize;
    // Whether the block's text comes before each picture rather than after
    // it: text before its first picture and none after its last (a staff
    // grid of "name, photo, name, photo" with no card around each pair).
    let mut text_before_first = false;
    let mut pictures_seen = 0usize;
    for edge in block.traverse() {
        if !step() {
            break;
        }
        match edge {
            Edge::Open(node) => {
                if node.id() == el.id() {
                    passed = true;
                    pictures_seen += 1;
                    continue;
                }
                if let Some(e) = node.value().as_element() {
                    if skipping > 0 || NOT_NEARBY.contains(&e.name()) {
                        skipping += 1;
                    } else if is_other_picture(e) && !el.ancestors().any(|a| a.id() == node.id()) {
                        pictures_seen += 1;
                        if passed {
                            break;
                        }
                        // The text before a run of pictures with nothing
                        // between them is the run's story.
                        if before.trim().is_empty() {
                            before.clear();
                        } else {
                            story = std::mem::take(&mut before);
                        }
                        other_before = true;
                    } else if super::WORD_BREAKS.contains(&e.name()) {
                        if passed { &mut after } else { &mut before }.push(' ');
                    }
                } else if let Some(t) = node.value().as_text() {
                    if skipping == 0 {
                        if pictures_seen == 0 && !t.trim().is_empty() {
                            text_before_first = true;
                        }
                        let buf = if passed { &mut after } else { &mut before };
                        buf.push_str(t);
                        if after.len() > limit.saturating_mul(4) {
                            break;
                        }
                        if before.len() > limit.saturating_mul(8) {
                            let cut = before.len() - limit.saturating_mul(4);
                            let cut = (cut..before.len())
                                .find(|i| before.is_char_boundary(*i))
                                .unwrap_or(before.len());
                            before.drain(..cut);
                        }
                    }
                }
            }
            Edge::Close(node) => {
                if let Some(e) = node.value().as_element() {
                    if skipping > 0 {
                        skipping -= 1;
                    } else if super::WORD_BREAKS.contains(&e.name()) {
                        if passed { &mut after } else { &mut before }.push(' ');
                    }
                }
            }
        }
    }
    let text_leads = text_before_first && pictures_seen >= 2 && !text_after_last_picture(block);
    if text_leads {
        // Each picture's text is what comes just before it.
        return truncate_chars(&clean_text(&before), limit);
    }
    let after = truncate_chars(&clean_text(&after), limit);
    // A picture in a run of pictures that follows a story ("At Park on
    // Tuesday we welcomed ..." and then two photos) shares the story with
    // the run's first picture; a picture after another one's caption has
    // only its own text.
    let before = if other_before && before.trim().is_empty() && !story.trim().is_empty() {
        story
    } else if other_before {
        return after;
    } else {
        before
    };
    let before = clean_text(&before);
    // The end of what precedes it, at a word, then what follows.
    let keep = limit / 4;
    let n = before.chars().count();
    let tail: String = if n > keep {
        let t: String = before.chars().skip(n - keep).collect();
        t.split_once(' ')
            .map_or(t.clone(), |(_, rest)| rest.to_string())
    } else {
        before
    };
    clean_text(&format!("{tail} {after}"))
}

/// Most characters of an article's heading and byline.
const ARTICLE_HEAD_CHARS: usize = 200;

/// The heading and byline of the `<article>` around `el` (within six
/// levels): its text before its first paragraph or picture, when there is
/// some and it is short. A page that wraps everything in one article and
/// opens with a long text has no head.
fn article_head(el: ElementRef<'_>) -> Option<String> {
    let article = el
        .ancestors()
        .filter_map(ElementRef::wrap)
        .take(6)
        .find(|a| a.value().name() == "article")?;
    head_of(article, Some(el))
}

/// The text of `article` before its first paragraph or picture (or `el`),
/// when there is some and it is at most [`ARTICLE_HEAD_CHARS`].
fn head_of(article: ElementRef<'_>, el: Option<ElementRef<'_>>) -> Option<String> {
    use ego_tree::iter::Edge;
    let mut head = String::new();
    let mut skipping = 0usize;
    for edge in article.traverse() {
        if !step() {
            return None;
        }
        match edge {
            Edge::Open(node) => {
                if let Some(e) = node.value().as_element() {
                    if skipping > 0 || NOT_NEARBY.contains(&e.name()) {
                        skipping += 1;
                    } else if matches!(e.name(), "p" | "figure" | "ul" | "ol" | "table")
                        || el.is_some_and(|el| node.id() == el.id())
                        || is_other_picture(e)
                    {
                        break;
                    } else if super::WORD_BREAKS.contains(&e.name()) {
                        head.push(' ');
                    }
                } else if let Some(t) = node.value().as_text() {
                    if skipping == 0 {
                        head.push_str(t);
                        if head.len() > ARTICLE_HEAD_CHARS * 4 {
                            return None;
                        }
                    }
                }
            }
            Edge::Close(node) => {
                if let Some(e) = node.value().as_element() {
                    if skipping > 0 {
                        skipping -= 1;
                    } else if super::WORD_BREAKS.contains(&e.name()) {
                        head.push(' ');
                    }
                }
            }
        }
    }
    let head = clean_text(&head);
    (head.chars().count() >= 3 && head.chars().count() <= ARTICLE_HEAD_CHARS).then_some(head)
}

/// The text of the first block after `bare` (a box holding only a
/// picture), when that block holds text and no picture: the caption a page
/// writes under a photo. Empty boxes between them (a "clear: both") are
/// passed over; page furniture (a footer, a menu) ends the search, as does
/// another picture.
fn caption_after<'a>(bare: ElementRef<'a>, el: ElementRef<'a>) -> Option<String> {
    // Up through boxes that hold nothing else ("<div><div>photo</div></div>
    // <p>caption</p>"), at most three.
    let mut bare = bare;
    for _ in 0..3 {
        let alone = bare.next_siblings().all(|n| {
            n.value().as_text().is_some_and(|t| t.trim().is_empty())
                || ElementRef::wrap(n).is_some_and(|e| {
                    bounded_text(e, 8).is_empty()
                        && e.descendants().all(|d| {
                            step() && d.value().as_element().is_none_or(|x| !is_other_picture(x))
                        })
                })
        });
        let Some(parent) = bare.parent().and_then(ElementRef::wrap) else {
            break;
        };
        if !alone
            || matches!(parent.value().name(), "body" | "html" | "main")
            || bounded_text(parent, 8).chars().count() >= 3
            || !holds_only(parent, el)
        {
            break;
        }
        bare = parent;
    }
    // Names written above the photos ("name, photo, name, photo" with
    // nothing after the last photo): the block after a photo is the next
    // person's.
    if let Some(parent) = bare.parent().and_then(ElementRef::wrap) {
        if text_before_first_picture(parent) && !text_after_last_picture(parent) {
            return None;
        }
    }
    for sibling in bare.next_siblings().take(6) {
        if let Some(t) = sibling.value().as_text() {
            let t = clean_text(t);
            if t.chars().count() >= 3 {
                return Some(truncate_chars(&t, NEARBY_CHARS));
            }
            continue;
        }
        let Some(e) = ElementRef::wrap(sibling) else {
            continue;
        };
        let name = e.value().name();
        if matches!(name, "script" | "style" | "noscript" | "template") {
            continue;
        }
        // Page furniture, or a whole part of the page (a banner's next
        // sibling is the page's content, not its caption).
        if NOT_NEARBY.contains(&name) || matches!(name, "main" | "article" | "section") {
            return None;
        }
        let (text, picture) = text_up_to_picture(e, NEARBY_CHARS);
        if text.chars().count() >= 3 {
            return Some(truncate_chars(&text, NEARBY_CHARS));
        }
        if picture {
            return None;
        }
    }
    None
}

/// Whether a link's address ends like a picture file (a lightbox link to
/// the full-size photo), not a page.
fn looks_like_picture(href: &str) -> bool {
    super::has_picture_extension(href.split(['?', '#']).next().unwrap_or(href))
}

/// Whether `block` holds no picture but `el` (and the `<picture>` around
/// it).
fn holds_only(block: ElementRef<'_>, el: ElementRef<'_>) -> bool {
    // Past the page's budget: not known, so not alone.
    block.descendants().filter(|n| n.id() != el.id()).all(|n| {
        step()
            && match n.value().as_element() {
                Some(e) if is_other_picture(e) => {
                    e.name() == "picture" && el.ancestors().any(|a| a.id() == n.id())
                }
                _ => true,
            }
    })
}

/// Whether `block` has text before its first picture (page furniture
/// skipped).
fn text_before_first_picture(block: ElementRef<'_>) -> bool {
    let (text, _) = text_up_to_picture(block, 8);
    !text.is_empty()
}

/// The text of `block` up to its first picture (about `limit` characters,
/// page furniture skipped), and whether a picture ended it; within the
/// page's budget of steps.
fn text_up_to_picture(block: ElementRef<'_>, limit: usize) -> (String, bool) {
    super::element_text_until(block, limit, NOT_NEARBY, is_other_picture, step)
}

/// Whether any text follows the last picture in `block`: read backwards
/// from its end, so a gallery of thousands of pictures is not read again
/// for each of them. Past 10,000 nodes without an answer: yes (what a
/// block of pictures each followed by its text gives).
fn text_after_last_picture(block: ElementRef<'_>) -> bool {
    let mut node = block.last_child();
    let mut steps = 0usize;
    while let Some(n) = node {
        steps += 1;
        if steps > 10_000 {
            return true;
        }
        // Down to the last leaf first: reverse document order.
        if let Some(last) = n.last_child() {
            node = Some(last);
            continue;
        }
        let skipped = || {
            n.ancestors()
                .take_while(|a| a.id() != block.id())
                .filter_map(|a| a.value().as_element())
                .any(|e| NOT_NEARBY.contains(&e.name()))
        };
        if let Some(e) = n.value().as_element() {
            if is_other_picture(e) && !skipped() {
                return false;
            }
        } else if let Some(t) = n.value().as_text() {
            if !t.trim().is_empty() && !skipped() {
                return true;
            }
        }
        // The previous node: the previous sibling's subtree (read from its
        // end), or, when there is none, up until an ancestor has one.
        let mut up = n;
        node = loop {
            if let Some(p) = up.prev_sibling() {
                break Some(p);
            }
            match up.parent() {
                Some(parent) if parent.id() != block.id() => {
                    // The parent element itself comes before its children:
                    // a picture element (<picture>, <video>) is met here.
                    if let Some(e) = parent.value().as_element() {
                        if is_other_picture(e) {
                            return false;
                        }
                    }
                    up = parent;
                }
                _ => break None,
            }
        };
    }
    false
}

/// Whether an element is a picture of its own, for splitting a block's
/// text between pictures: not a placeholder that only holds space (a
/// framework's sizer, a lazy loader's blank: a `data:` address and nothing
/// else, or hidden from readers).
fn is_other_picture(e: &scraper::node::Element) -> bool {
    if !matches!(e.name(), "img" | "video" | "picture") {
        return false;
    }
    if e.attr("aria-hidden") == Some("true") || e.attr("role") == Some("presentation") {
        return false;
    }
    let src = e.attr("src").unwrap_or("").trim();
    let real = !src.is_empty() && !src.starts_with("data:");
    real || e.name() != "img"
        || e.attrs()
            .any(|(k, _)| k == "srcset" || k.starts_with("data-"))
}

/// A picture alone in a table cell whose text is in the same column of
/// the next row (an old-style staff table: a row of photos, a row of
/// names): that cell's text.
fn column_text(el: ElementRef<'_>) -> Option<String> {
    fn cells(r: ElementRef<'_>) -> Vec<ElementRef<'_>> {
        r.children()
            .take_while(|_| step())
            .filter_map(ElementRef::wrap)
            .filter(|c| matches!(c.value().name(), "td" | "th"))
            .collect()
    }
    let cell = el
        .ancestors()
        .filter_map(ElementRef::wrap)
        .take(4)
        .find(|a| matches!(a.value().name(), "td" | "th"))?;
    if bounded_text(cell, 8).chars().count() >= 3 {
        return None;
    }
    let row = ElementRef::wrap(cell.parent()?)?;
    if row.value().name() != "tr" {
        return None;
    }
    let column = cells(row).iter().position(|c| c.id() == cell.id())?;
    let next = row
        .next_siblings()
        .filter_map(ElementRef::wrap)
        .find(|r| r.value().name() == "tr")?;
    let below = *cells(next).get(column)?;
    // A row of more photos is not a row of names.
    if below.select(&IMG).next().is_some() {
        return None;
    }
    let text = bounded_text(below, NEARBY_BLOCK_CHARS);
    (text.chars().count() >= 3).then(|| truncate_chars(&text, NEARBY_BLOCK_CHARS))
}

/// Text of an element, collapsed, reading no more than about `limit` characters.
fn bounded_text(el: ElementRef<'_>, limit: usize) -> String {
    super::element_text_until(el, limit, NOT_NEARBY, |_| false, step).0
}

/// URLs in a srcset value: "a.jpg 1x, b.jpg 2x" or "a.jpg 300w, ...".
pub fn srcset_urls(srcset: &str) -> Vec<&str> {
    srcset
        .split(',')
        .filter_map(|c| c.split_whitespace().next())
        .filter(|u| !u.is_empty() && !is_placeholder(u))
        .take(64)
        .collect()
}

/// URLs inside `url(...)` in CSS, skipping fonts, data URIs and SVG.
pub fn css_urls(css: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = css;
    while let Some(i) = rest.find("url(") {
        rest = &rest[i + 4..];
        let Some(end) = rest.find(')') else { break };
        let u = rest[..end].trim().trim_matches(['"', '\'']).trim();
        rest = &rest[end..];
        let lower = u.to_ascii_lowercase();
        let path = lower.split(['?', '#']).next().unwrap_or_default();
        let font_or_vector = [".woff", ".woff2", ".ttf", ".eot", ".otf", ".svg", ".css"]
            .iter()
            .any(|e| path.ends_with(e));
        if !u.is_empty() && !lower.starts_with("data:") && !font_or_vector {
            out.push(u);
        }
        if out.len() >= 1000 {
            break;
        }
    }
    out
}

/// URL-like tokens in an attribute value (plain, JSON with escaped slashes,
/// CSS) whose path ends like a picture file.
fn picture_tokens(value: &str) -> Vec<String> {
    if !value.contains('.') {
        return Vec::new();
    }
    let unescaped = value.replace("\\/", "/");
    unescaped
        .split(|c: char| {
            c.is_whitespace()
                || matches!(
                    c,
                    '"' | '\'' | ',' | '(' | ')' | '{' | '}' | '[' | ']' | ';' | '|'
                )
        })
        .filter(|t| t.starts_with('/') || t.starts_with("http://") || t.starts_with("https://"))
        .filter(|t| super::has_picture_extension(t.split(['?', '#']).next().unwrap_or_default()))
        .take(20)
        .map(str::to_string)
        .collect()
}

fn looks_like_url(s: &str) -> bool {
    !s.is_empty()
        && !s.contains(char::is_whitespace)
        && (s.starts_with('/') || s.starts_with("http") || s.contains('.'))
}

/// Blank GIFs and data URIs that lazy loaders put in src until scrolled to.
fn is_placeholder(src: &str) -> bool {
    let s = src.trim();
    s.is_empty() || s.starts_with("data:") || s.starts_with('#')
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod deep_tests {
    #[test]
    fn deep_nesting_keeps_its_picture() {
        let page = format!(
            "<html><body>{}<img src='/deep.jpg'>{}</body></html>",
            "<div>".repeat(100_000),
            "</div>".repeat(100_000)
        );
        let base = url::Url::parse("http://s.example/").unwrap();
        let e = super::extract(page.as_bytes(), &base);
        let urls: Vec<&str> = e.images.iter().map(|i| i.url.as_str()).collect();
        assert_eq!(urls, ["http://s.example/deep.jpg"]);
    }

    #[test]
    fn flattening_keeps_text_and_shallow_pages_untouched() {
        let shallow =
            "<div><p>a<p>b<ul><li>x<li>y</ul><img src=a.jpg><br></div><script>if (a<b) {}</script>";
        assert!(matches!(
            super::flatten_deep_nesting(shallow, 3),
            std::borrow::Cow::Borrowed(_)
        ));
        let deep = "<div><div><div><span title='>'>t</span></div></div></div>";
        assert_eq!(
            super::flatten_deep_nesting(deep, 2),
            "<div><div>t</div></div>"
        );
        // Comments and unbalanced closes do not confuse it.
        let odd = "</div><!-- <div><div> --><div><div><div>z</div></div></div>";
        assert_eq!(
            super::flatten_deep_nesting(odd, 2),
            "</div><!-- <div><div> --><div><div>z</div></div>"
        );
    }
}
