//! Sitemaps: urlset and sitemapindex documents, gzip or plain, with Google's
//! image extension (image:image, image:loc, image:caption, image:title).

use std::io::Read;

use quick_xml::events::Event;
use quick_xml::Reader;
use url::Url;

use super::{clean_text, ImageRef};
use crate::model::{Context, FoundVia};
use crate::urls::resolve;

/// Most entries read from one sitemap (the protocol allows 50,000).
const MAX_ENTRIES: usize = 50_000;

/// What one sitemap document lists.
#[derive(Debug, Default, PartialEq)]
pub struct Sitemap {
    /// Child sitemaps of a sitemap index.
    pub sitemaps: Vec<String>,
    /// Page URLs, each with the pictures listed for it.
    pub pages: Vec<(String, Vec<ImageRef>)>,
}

/// Decompresses a gzip body up to `cap` bytes; plain bodies pass through.
pub fn maybe_gunzip(body: &[u8], cap: u64) -> Result<Vec<u8>, String> {
    if !body.starts_with(&[0x1f, 0x8b]) {
        return Ok(body.to_vec());
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .take(cap + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("gzip: {e}"))?;
    if out.len() as u64 > cap {
        return Err(format!(
            "decompressed sitemap larger than the {cap}-byte cap"
        ));
    }
    Ok(out)
}

/// Parses a sitemap; malformed XML ends the parse with what was read so far.
pub fn parse(body: &[u8], base: &Url) -> Result<Sitemap, String> {
    let text = String::from_utf8_lossy(body);
    let mut reader = Reader::from_str(&text);
    let mut out = Sitemap::default();
    let mut stack: Vec<String> = Vec::new();
    let mut page: Option<(String, Vec<ImageRef>)> = None;
    let mut image: Option<ImageRef> = None;
    let mut entries = 0usize;
    // Text arrives in pieces around entity references; it is used at the end tag.
    let mut content = String::new();
    loop {
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) if entries > 0 => {
                tracing::debug!(error = %e, "sitemap XML broken after {entries} entries");
                break;
            }
            Err(e) => return Err(format!("not a sitemap: {e}")),
        };
        match event {
            Event::Start(s) => {
                let name = local(s.name().as_ref());
                match name.as_str() {
                    "url" => page = Some((String::new(), Vec::new())),
                    "image" if page.is_some() => {
                        image = Some(ImageRef {
                            url: String::new(),
                            found_via: FoundVia::Sitemap,
                            context: Context::default(),
                        });
                    }
                    _ => {}
                }
                stack.push(name);
                content.clear();
                if stack.len() > 16 {
                    return Err("sitemap nested too deeply".into());
                }
            }
            Event::End(_) => {
                if !content.is_empty() {
                    handle_text(
                        &stack,
                        clean_text(&content),
                        base,
                        &mut page,
                        &mut image,
                        &mut out,
                        &mut entries,
                    );
                    content.clear();
                }
                let name = stack.pop().unwrap_or_default();
                match name.as_str() {
                    "url" => {
                        if let Some(p) = page.take() {
                            if !p.0.is_empty() || !p.1.is_empty() {
                                out.pages.push(p);
                                entries += 1;
                            }
                        }
                    }
                    "image" => {
                        if let (Some(img), Some(p)) = (image.take(), page.as_mut()) {
                            if !img.url.is_empty() && p.1.len() < 1000 {
                                p.1.push(img);
                            }
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(t) if content.len() < 64 * 1024 => content.push_str(&t.xml10_content()),
            Event::CData(t) if content.len() < 64 * 1024 => content.push_str(&t.into_inner()),
            Event::GeneralRef(r) => {
                let name = r.into_inner();
                if let Some(c) = quick_xml::escape::resolve_predefined_entity(&name) {
                    content.push_str(c);
                } else if let Some(num) = name.strip_prefix('#') {
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => num.parse().ok(),
                    };
                    if let Some(c) = code.and_then(char::from_u32) {
                        content.push(c);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        if entries >= MAX_ENTRIES {
            break;
        }
    }
    Ok(out)
}

fn handle_text(
    stack: &[String],
    text: String,
    base: &Url,
    page: &mut Option<(String, Vec<ImageRef>)>,
    image: &mut Option<ImageRef>,
    out: &mut Sitemap,
    entries: &mut usize,
) {
    let n = stack.len();
    let (Some(leaf), parent) = (stack.last(), n.checked_sub(2).map(|i| stack[i].as_str())) else {
        return;
    };
    match (parent, leaf.as_str()) {
        (Some("sitemap"), "loc") => {
            if let Some(u) = resolve(base, &text) {
                out.sitemaps.push(u.to_string());
                *entries += 1;
            }
        }
        (Some("url"), "loc") => {
            if let (Some(p), Some(u)) = (page.as_mut(), resolve(base, &text)) {
                p.0 = u.to_string();
            }
        }
        (Some("image"), "loc") => {
            if let (Some(i), Some(u)) = (image.as_mut(), resolve(base, &text)) {
                i.url = u.to_string();
            }
        }
        (Some("image"), "caption") => {
            if let Some(i) = image.as_mut() {
                i.context.caption = Some(text);
            }
        }
        (Some("image"), "title") => {
            if let Some(i) = image.as_mut() {
                i.context.title = Some(text);
            }
        }
        _ => {}
    }
}

fn local(name: &str) -> String {
    name.rsplit(':')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlset_with_images() {
        let xml = br#"<?xml version="1.0"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url><loc>https://s.example/news/sports-day/</loc>
    <image:image><image:loc>https://s.example/up/relay.jpg</image:loc><image:caption>Amelia &amp; Tom</image:caption></image:image>
  </url>
  <url><loc>https://s.example/about/</loc></url>
</urlset>"#;
        let s = parse(xml, &Url::parse("https://s.example/sitemap.xml").unwrap()).unwrap();
        assert_eq!(s.pages.len(), 2);
        assert_eq!(s.pages[0].0, "https://s.example/news/sports-day/");
        assert_eq!(s.pages[0].1[0].url, "https://s.example/up/relay.jpg");
        assert_eq!(
            s.pages[0].1[0].context.caption.as_deref(),
            Some("Amelia & Tom")
        );
        assert!(s.pages[1].1.is_empty());
    }

    #[test]
    fn index_and_gzip() {
        let xml = b"<sitemapindex><sitemap><loc>/post-sitemap.xml</loc></sitemap><sitemap><loc>/page-sitemap.xml.gz</loc></sitemap></sitemapindex>";
        let mut gz = Vec::new();
        {
            use std::io::Write;
            let mut enc = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::default());
            enc.write_all(xml).unwrap();
        }
        let plain = maybe_gunzip(&gz, 1 << 20).unwrap();
        let s = parse(
            &plain,
            &Url::parse("https://s.example/sitemap_index.xml").unwrap(),
        )
        .unwrap();
        assert_eq!(
            s.sitemaps,
            vec![
                "https://s.example/post-sitemap.xml",
                "https://s.example/page-sitemap.xml.gz"
            ]
        );
    }

    #[test]
    fn gzip_bomb_is_capped() {
        let mut gz = Vec::new();
        {
            use std::io::Write;
            let mut enc = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::best());
            enc.write_all(&vec![b' '; 10 << 20]).unwrap();
        }
        assert!(maybe_gunzip(&gz, 1 << 20).unwrap_err().contains("cap"));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse(
            b"\x00\x01<<<>>>",
            &Url::parse("https://s.example/").unwrap()
        )
        .map_or(true, |s| s.pages.is_empty()));
    }
}
