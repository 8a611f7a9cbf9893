//! The fix that goes with each site finding: what to do in plain words and,
//! where there is one, the exact snippet to paste, written for the server
//! and CMS the audit saw (the run's `site_software` findings: Server
//! headers, WordPress signs) and naming the paths it found. Pure.

use std::collections::BTreeSet;

use crate::model::{FindingKind, SiteFinding};

/// A web server family a snippet is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Server {
    Apache,
    Nginx,
    Iis,
}

/// What the audit saw the site run on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Software {
    /// Servers the Server headers named; empty when none was named (a
    /// proxy hides it), and then every server's snippet is given.
    pub servers: BTreeSet<Server>,
    pub wordpress: bool,
}

impl Software {
    /// From a run's `site_software` findings ("server: nginx/1.24.0;
    /// WordPress", written by the crawl).
    pub fn of(findings: &[SiteFinding]) -> Software {
        let mut out = Software::default();
        for f in findings
            .iter()
            .filter(|f| f.kind == FindingKind::SiteSoftware)
        {
            let d = f.detail.to_ascii_lowercase();
            let (servers, cms) = d.split_once(';').unwrap_or((&d, ""));
            if servers.contains("nginx") {
                out.servers.insert(Server::Nginx);
            }
            // LiteSpeed reads Apache's .htaccess.
            if servers.contains("apache") || servers.contains("litespeed") {
                out.servers.insert(Server::Apache);
            }
            if servers.contains("iis") {
                out.servers.insert(Server::Iis);
            }
            out.wordpress |= cms.trim() == "wordpress";
        }
        out
    }

    fn has(&self, s: Server) -> bool {
        self.servers.is_empty() || self.servers.contains(&s)
    }
}

/// The path part of an address ("/wp-content/uploads/2026/06/"), or "/".
fn path_of(url: &str) -> String {
    url::Url::parse(url).map_or_else(|_| "/".into(), |u| u.path().to_string())
}

/// The fix for finding `f` on a site running `sw`, if there is one.
pub fn fix_for(f: &SiteFinding, sw: &Software) -> Option<String> {
    let mut s = String::new();
    match f.kind {
        FindingKind::DirectoryListing => {
            let folder = path_of(&f.url);
            s.push_str("Turn off directory listings for the site, or at least this folder.\n");
            if sw.has(Server::Apache) {
                s.push_str(&format!(
                    "Apache (.htaccess in {folder}, or the site config):\n    Options -Indexes\n"
                ));
            }
            if sw.has(Server::Nginx) {
                s.push_str(&format!(
                    "nginx (in the server block):\n    location {folder} {{ autoindex off; }}\n"
                ));
            }
            if sw.has(Server::Iis) {
                s.push_str(&format!("IIS (web.config in {folder}):\n    <system.webServer><directoryBrowse enabled=\"false\" /></system.webServer>\n"));
            }
        }
        FindingKind::MediaApiExposed => s.push_str("Stop the WordPress REST API listing the media library to anonymous visitors: use a plugin that limits the REST API to logged-in users (for example \"Disable REST API\"), or add to the theme's functions.php or a small plugin:\n    add_filter('rest_endpoints', function ($endpoints) {\n        if (!is_user_logged_in()) {\n            unset($endpoints['/wp/v2/media'], $endpoints['/wp/v2/media/(?P<id>[\\d]+)']);\n        }\n        return $endpoints;\n    });"),
        FindingKind::SitemapListsImages => {
            s.push_str("Leave pictures out of the XML sitemap: they help search engines and scrapers alike.");
            if sw.wordpress {
                s.push_str(" Yoast SEO:\n    add_filter('wpseo_xml_sitemap_img', '__return_false');\nOther sitemap plugins have a setting to exclude images.");
            } else {
                s.push_str(" In the tool that writes the sitemap, turn off image entries (<image:image>).");
            }
        }
        FindingKind::FeedListsImages => {
            if sw.wordpress {
                s.push_str("Publish feeds without pictures: in WordPress, Settings > Reading > \"For each post in a feed, include\": Excerpt, and avoid featured images in feeds.");
            } else {
                s.push_str("Publish the feed without pictures: in the tool that writes it, give a summary of each item without its images.");
            }
        }
        FindingKind::RobotsAllowsAiCrawlers => {
            s.push_str("Ask AI and dataset crawlers to stay away from pictures. robots.txt (read by most of them):\n");
            // The crawlers that read robots.txt, from the bundled list (data/crawlers.toml).
            let crawlers = crate::robots::crawlers(None).unwrap_or_default();
            for c in crawlers.iter().filter(|c| c.reads_robots_txt && c.agent != "*") {
                s.push_str(&format!("    User-agent: {}\n", c.agent));
            }
            s.push_str("    Disallow: /\nTools that ignore robots.txt (img2dataset) honour a header on the pictures themselves.\n");
            let uploads = if sw.wordpress {
                "the uploads folder, /wp-content/uploads/"
            } else {
                "the folder the pictures are in"
            };
            if sw.has(Server::Apache) {
                s.push_str(&format!("Apache (.htaccess in {uploads}):\n    <IfModule mod_headers.c>\n        Header set X-Robots-Tag \"noai, noimageai\"\n    </IfModule>\n"));
            }
            if sw.has(Server::Nginx) {
                if sw.wordpress {
                    s.push_str("nginx:\n    location /wp-content/uploads/ { add_header X-Robots-Tag \"noai, noimageai\"; }\n");
                } else {
                    s.push_str("nginx (every picture, wherever it is):\n    location ~* \\.(jpe?g|png|gif|webp|avif)$ { add_header X-Robots-Tag \"noai, noimageai\"; }\n");
                }
            }
            if sw.has(Server::Iis) {
                s.push_str(&format!("IIS (web.config in {uploads}):\n    <system.webServer><httpProtocol><customHeaders><add name=\"X-Robots-Tag\" value=\"noai, noimageai\" /></customHeaders></httpProtocol></system.webServer>\n"));
            }
            s.push_str("Neither stops a scraper that ignores both: publish fewer, smaller, unnamed pictures.");
        }
        FindingKind::PageWidePersonalDetail => s.push_str("Check that this detail is meant to be on every page (a school's own address and office contacts usually are); keep pupils' details and staff's personal contacts out of headers, footers and sidebars."),
        FindingKind::RobotsListsSitemap | FindingKind::SiteSoftware => return None,
    }
    Some(s.trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(kind: FindingKind, url: &str) -> SiteFinding {
        SiteFinding {
            kind,
            url: url.into(),
            detail: String::new(),
        }
    }

    fn software(detail: &str) -> Software {
        Software::of(&[SiteFinding {
            kind: FindingKind::SiteSoftware,
            url: "https://s".into(),
            detail: detail.into(),
        }])
    }

    #[test]
    fn every_finding_kind_has_a_fix_but_the_informational_ones() {
        for &k in FindingKind::ALL {
            assert_eq!(
                fix_for(&finding(k, "https://s/up/"), &Software::default()).is_some(),
                !matches!(
                    k,
                    FindingKind::RobotsListsSitemap | FindingKind::SiteSoftware
                ),
                "{k}"
            );
        }
        let unknown = Software::default();
        let robots = fix_for(
            &finding(FindingKind::RobotsAllowsAiCrawlers, "https://s"),
            &unknown,
        )
        .unwrap();
        assert!(robots.contains("User-agent: GPTBot"));
        let listing = fix_for(
            &finding(FindingKind::DirectoryListing, "https://s/up/"),
            &unknown,
        )
        .unwrap();
        for each in ["Options -Indexes", "autoindex off", "directoryBrowse"] {
            assert!(
                listing.contains(each),
                "no server named: every snippet ({each})"
            );
        }
    }

    #[test]
    fn snippets_are_for_the_server_and_cms_seen_with_the_paths_found() {
        let nginx = software("server: nginx/1.24.0; not WordPress");
        assert_eq!(nginx.servers, [Server::Nginx].into());
        assert!(!nginx.wordpress);
        let listing = fix_for(
            &finding(FindingKind::DirectoryListing, "https://s/files/2026/"),
            &nginx,
        )
        .unwrap();
        assert!(
            listing.contains("location /files/2026/ { autoindex off; }"),
            "{listing}"
        );
        assert!(
            !listing.contains("Options -Indexes") && !listing.contains("IIS"),
            "{listing}"
        );
        let robots = fix_for(
            &finding(FindingKind::RobotsAllowsAiCrawlers, "https://s"),
            &nginx,
        )
        .unwrap();
        assert!(!robots.contains("wp-content"), "not WordPress: {robots}");
        assert!(robots.contains("location ~*"), "{robots}");
        let sitemap = fix_for(
            &finding(FindingKind::SitemapListsImages, "https://s/sitemap.xml"),
            &nginx,
        )
        .unwrap();
        assert!(!sitemap.contains("Yoast"), "{sitemap}");

        let wp = software("server: Apache/2.4.57 (Debian); WordPress");
        assert_eq!(wp.servers, [Server::Apache].into());
        assert!(wp.wordpress);
        let robots = fix_for(
            &finding(FindingKind::RobotsAllowsAiCrawlers, "https://s"),
            &wp,
        )
        .unwrap();
        assert!(
            robots.contains("/wp-content/uploads/") && robots.contains("Header set"),
            "{robots}"
        );
        assert!(!robots.contains("nginx"), "{robots}");
        let sitemap = fix_for(
            &finding(FindingKind::SitemapListsImages, "https://s/sitemap.xml"),
            &wp,
        )
        .unwrap();
        assert!(sitemap.contains("Yoast"), "{sitemap}");
    }
}
