//! RSS and Atom feeds (feed-rs): each entry's pictures (Media RSS content and
//! thumbnails, image enclosures, `<img>` in the entry's HTML) with the entry's
//! title and text as their context.

use url::Url;

use super::{html, html_to_text, truncate_chars, ImageRef};
use crate::model::{Context, FoundVia};
use crate::urls::resolve;

/// Most characters of an entry's text kept as context.
const POST_TEXT_CHARS: usize = 1000;
/// Most entries read from one feed.
const MAX_ENTRIES: usize = 2000;

/// The pictures of a feed, each with the page (entry link) it belongs to.
pub fn parse(body: &[u8], feed_url: &Url) -> Result<FeedPage, String> {
    let feed = feed_rs::parser::parse(body).map_err(|e| format!("not an RSS or Atom feed: {e}"))?;
    let mut out = Vec::new();
    let mut documents = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for entry in feed.entries.into_iter().take(MAX_ENTRIES) {
        // Enclosed documents (a newsletter PDF with the post): read as
        // linked documents are.
        let enclosed = entry
            .media
            .iter()
            .flat_map(|m| m.content.iter())
            .filter(|c| crate::fetch::is_read_document(c.content_type.as_ref().map(AsRef::as_ref)))
            .filter_map(|c| c.url.as_ref().map(ToString::to_string))
            .chain(
                entry
                    .links
                    .iter()
                    .filter(|l| {
                        l.rel.as_deref() == Some("enclosure")
                            && crate::fetch::is_read_document(l.media_type.as_deref())
                    })
                    .filter_map(|l| resolve(feed_url, &l.href).map(|u| u.to_string())),
            );
        for d in enclosed {
            if !documents.contains(&d) && documents.len() < MAX_ENTRIES {
                documents.push(d);
            }
        }
        let page = entry
            .links
            .iter()
            .find_map(|l| resolve(feed_url, &l.href))
            .unwrap_or_else(|| feed_url.clone());
        let title = entry
            .title
            .as_ref()
            .map(|t| html_to_text(&t.content))
            .filter(|t| !t.is_empty());
        let body_html = entry
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .or_else(|| entry.summary.as_ref().map(|s| s.content.clone()))
            .unwrap_or_default();
        let post_text = Some(truncate_chars(&html_to_text(&body_html), POST_TEXT_CHARS))
            .filter(|t| !t.is_empty());
        let base_ctx = Context {
            title: title.clone(),
            post_text: post_text.clone(),
            ..Context::default()
        };
        let mut push = |url: &str, ctx: Context| {
            if let Some(u) = resolve(&page, url) {
                let r = ImageRef {
                    url: u.to_string(),
                    found_via: FoundVia::Feed,
                    context: ctx,
                };
                if seen.insert((page.to_string(), r.url.clone())) {
                    out.push((page.to_string(), r));
                }
            }
        };
        for media in &entry.media {
            let mut ctx = base_ctx.clone();
            ctx.caption = media
                .description
                .as_ref()
                .map(|d| html_to_text(&d.content))
                .filter(|t| !t.is_empty());
            for c in &media.content {
                let is_image = c
                    .content_type
                    .as_ref()
                    .is_none_or(|t| t.to_string().starts_with("image/"));
                if let (true, Some(u)) = (is_image, &c.url) {
                    push(u.as_str(), ctx.clone());
                }
            }
            for t in &media.thumbnails {
                push(&t.image.uri, ctx.clone());
            }
        }
        if !body_html.is_empty() {
            let inner = html::extract(body_html.as_bytes(), &page);
            for img in inner.images {
                let mut ctx = img.context.clone();
                ctx.page_title = None;
                ctx.merge_missing(&base_ctx);
                push(&img.url, ctx);
            }
        }
    }
    Ok(FeedPage {
        pictures: out,
        documents,
    })
}

/// What a feed gives: (post, picture) pairs, and the documents its posts
/// enclose.
#[derive(Debug, Default)]
pub struct FeedPage {
    pub pictures: Vec<(String, ImageRef)>,
    pub documents: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_with_media_and_inline_images() {
        let rss = br#"<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">
<channel><title>News</title><link>https://s.example/</link>
<item><title>Sports day</title><link>https://s.example/news/sports/</link>
<description><![CDATA[<p>Well done Amelia!</p><img src="/up/relay.jpg" alt="Relay">]]></description>
<media:content url="https://s.example/up/medal.jpg" medium="image" type="image/jpeg"/>
</item>
<item><title>Cup final</title><link>https://s.example/news/sports/</link>
<enclosure url="https://s.example/up/cup.png" type="image/png" length="10"/>
</item>
<item><title>Newsletter</title><link>https://s.example/news/newsletter-12/</link>
<enclosure url="https://s.example/up/newsletter-12.pdf" type="application/pdf" length="10"/>
</item></channel></rss>"#;
        let feed = parse(rss, &Url::parse("https://s.example/feed/").unwrap()).unwrap();
        // The enclosed newsletter is a document to read, not a picture.
        assert_eq!(
            feed.documents,
            vec!["https://s.example/up/newsletter-12.pdf"]
        );
        let items = feed.pictures;
        let urls: Vec<&str> = items.iter().map(|(_, i)| i.url.as_str()).collect();
        assert!(urls.contains(&"https://s.example/up/relay.jpg"), "{urls:?}");
        assert!(urls.contains(&"https://s.example/up/medal.jpg"), "{urls:?}");
        assert!(urls.contains(&"https://s.example/up/cup.png"), "{urls:?}");
        assert!(items
            .iter()
            .all(|(p, _)| p == "https://s.example/news/sports/"));
        let relay = items
            .iter()
            .find(|(_, i)| i.url.ends_with("relay.jpg"))
            .unwrap();
        assert_eq!(relay.1.context.alt.as_deref(), Some("Relay"));
        assert_eq!(relay.1.context.title.as_deref(), Some("Sports day"));
        assert!(relay
            .1
            .context
            .post_text
            .as_deref()
            .unwrap()
            .contains("Amelia"));
    }

    #[test]
    fn not_a_feed() {
        assert!(parse(b"<html></html>", &Url::parse("https://s.example/").unwrap()).is_err());
    }
}

#[cfg(test)]
mod youtube_tests {
    use super::*;

    #[test]
    fn youtube_channel_feed_gives_video_thumbnails() {
        let atom = br#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/">
 <title>Hollybrook Primary</title>
 <entry><id>yt:video:abc</id><title>Carol concert</title>
  <link rel="alternate" href="https://www.youtube.com/watch?v=abc"/>
  <published>2026-12-01T10:00:00+00:00</published>
  <media:group><media:title>Carol concert</media:title>
   <media:content url="https://www.youtube.com/v/abc?version=3" type="application/x-shockwave-flash" width="640" height="390"/>
   <media:thumbnail url="https://i1.ytimg.com/vi/abc/hqdefault.jpg" width="480" height="360"/>
   <media:description>Year 2 sing for their families</media:description></media:group>
 </entry></feed>"#;
        let items = parse(
            atom,
            &Url::parse("https://www.youtube.com/feeds/videos.xml?channel_id=x").unwrap(),
        )
        .unwrap()
        .pictures;
        assert_eq!(items.len(), 1, "{items:?}");
        assert_eq!(items[0].0, "https://www.youtube.com/watch?v=abc");
        assert_eq!(items[0].1.url, "https://i1.ytimg.com/vi/abc/hqdefault.jpg");
        assert_eq!(
            items[0].1.context.caption.as_deref(),
            Some("Year 2 sing for their families")
        );
    }
}
