//! Open directory listings (Apache and nginx autoindex, IIS directory
//! browsing): a folder that lists its files hands a scraper every picture in
//! it, linked or not.

use url::Url;

use super::html::PageExtract;
use super::ImageRef;
use crate::model::FoundVia;

/// Is this document an automatic directory listing?
pub fn is_listing(body: &[u8], extract: &PageExtract) -> bool {
    if extract.directory_listing {
        return true;
    }
    // IIS: "<title>host - /path/</title>" and a parent link.
    let head = &body[..body.len().min(8192)];
    let text = String::from_utf8_lossy(head);
    text.contains("[To Parent Directory]")
}

/// The pictures a listing shows and its sub-folders (never its parent or
/// anything outside it, so a listing that links upward cannot loop).
pub fn entries(listing_url: &Url, extract: &PageExtract) -> (Vec<ImageRef>, Vec<String>) {
    let folder = folder_of(listing_url);
    let pictures = extract
        .images
        .iter()
        .filter(|i| i.found_via == FoundVia::Link && i.url.starts_with(folder.as_str()))
        .map(|i| ImageRef {
            url: i.url.clone(),
            found_via: FoundVia::DirectoryListing,
            context: i.context.clone(),
        })
        .collect();
    let subfolders = extract
        .links
        .iter()
        .filter_map(|l| Url::parse(l).ok())
        .filter(|u| u.query().is_none() && u.path().ends_with('/'))
        .map(|u| u.to_string())
        .filter(|u| u.len() > folder.len() && u.starts_with(folder.as_str()))
        .collect();
    (pictures, subfolders)
}

/// The documents a listing shows (PDF, Word, PowerPoint, OpenDocument),
/// inside its folder: a scraper takes them as it takes the pictures.
pub fn documents(listing_url: &Url, extract: &PageExtract) -> Vec<String> {
    const DOCUMENTS: &[&str] = &[".pdf", ".docx", ".pptx", ".ppsx", ".odt", ".odp"];
    let folder = folder_of(listing_url);
    extract
        .links
        .iter()
        .filter(|l| l.len() > folder.len() && l.starts_with(folder.as_str()))
        .filter(|l| {
            let path = l.split(['?', '#']).next().unwrap_or(l).to_ascii_lowercase();
            DOCUMENTS.iter().any(|e| path.ends_with(e))
        })
        .cloned()
        .collect()
}

/// The folder a URL is in, with a trailing slash and no query.
pub fn folder_of(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    let path = u.path().to_string();
    let dir = match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "/",
    };
    u.set_path(dir);
    u.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::html;

    #[test]
    fn apache_listing_children_only() {
        let base = Url::parse("http://s.example/uploads/2026/").unwrap();
        let body = br#"<html><head><title>Index of /uploads/2026</title></head><body><h1>Index of /uploads/2026</h1>
            <a href="/uploads/">Parent Directory</a><a href="06/">06/</a><a href="a.jpg">a.jpg</a>
            <a href="?C=N;O=D">Name</a><a href="/other/b.jpg">b</a></body></html>"#;
        let e = html::extract(body, &base);
        assert!(is_listing(body, &e));
        let (pics, subs) = entries(&base, &e);
        assert_eq!(
            pics.iter().map(|p| p.url.as_str()).collect::<Vec<_>>(),
            vec!["http://s.example/uploads/2026/a.jpg"]
        );
        assert_eq!(subs, vec!["http://s.example/uploads/2026/06/"]);
    }

    /// Issue 18, case 8: a listing's copy has no caption, and its text is
    /// its own row only, in table, `<pre>` and IIS listings alike.
    #[test]
    fn a_listed_picture_has_its_own_row_as_text() {
        let base = Url::parse("http://s.example/uploads/").unwrap();
        let apache = br#"<html><head><title>Index of /uploads</title></head><body><h1>Index of /uploads</h1><table>
            <tr><th>Name</th><th>Last modified</th><th>Size</th></tr>
            <tr><td><a href="olivia-brown.jpg">olivia-brown.jpg</a></td><td>2026-05-01 10:00</td><td>120K</td></tr>
            <tr><td><a href="harry-patel.jpg">harry-patel.jpg</a></td><td>2026-05-02 11:00</td><td>98K</td></tr>
            </table></body></html>"#;
        let nginx = br#"<html><head><title>Index of /uploads/</title></head><body><h1>Index of /uploads/</h1><hr><pre><a href="../">../</a>
<a href="olivia-brown.jpg">olivia-brown.jpg</a>       01-May-2026 10:00   120K
<a href="harry-patel.jpg">harry-patel.jpg</a>        02-May-2026 11:00    98K
</pre><hr></body></html>"#;
        let iis = br#"<html><head><title>s.example - /uploads/</title></head><body><H1>s.example - /uploads/</H1><hr><pre><A HREF="/">[To Parent Directory]</A><br><br> 5/1/2026 10:00 AM 122880 <A HREF="/uploads/olivia-brown.jpg">olivia-brown.jpg</A><br> 5/2/2026 11:00 AM 100352 <A HREF="/uploads/harry-patel.jpg">harry-patel.jpg</A><br></pre><hr></body></html>"#;
        for (style, body, row) in [
            (
                &"apache",
                &apache[..],
                "olivia-brown.jpg 2026-05-01 10:00 120K",
            ),
            (
                &"nginx",
                &nginx[..],
                "olivia-brown.jpg 01-May-2026 10:00 120K",
            ),
            (
                &"iis",
                &iis[..],
                "5/1/2026 10:00 AM 122880 olivia-brown.jpg",
            ),
        ] {
            let e = html::extract(body, &base);
            assert!(is_listing(body, &e), "{style}");
            let (pics, _) = entries(&base, &e);
            assert_eq!(pics.len(), 2, "{style}");
            let olivia = &pics[0].context;
            assert_eq!(olivia.caption, None, "{style}");
            assert_eq!(olivia.nearby_text.as_deref(), Some(row), "{style}");
        }
    }

    #[test]
    fn folder_of_file_and_folder() {
        assert_eq!(
            folder_of(&Url::parse("http://s/a/b/c.jpg?x=1").unwrap()),
            "http://s/a/b/"
        );
        assert_eq!(
            folder_of(&Url::parse("http://s/a/b/").unwrap()),
            "http://s/a/b/"
        );
    }
}
