//! The fix that goes with each site finding: what to do in plain words and,
//! where there is one, the exact snippet to paste. Pure lookup by kind.

use crate::model::FindingKind;

/// The fix for a finding of `kind`, if there is one.
pub fn fix_for(kind: FindingKind) -> Option<String> {
    Some(match kind {
        FindingKind::DirectoryListing => "Turn off directory listings for the site, or at least the uploads folder.\n\
             Apache (.htaccess in that folder, or the site config):\n    Options -Indexes\n\
             nginx (in the server or location block):\n    autoindex off;\n\
             IIS (web.config):\n    <system.webServer><directoryBrowse enabled=\"false\" /></system.webServer>"
            .to_string(),
        FindingKind::MediaApiExposed => "Stop the WordPress REST API listing the media library to anonymous visitors: use a plugin that limits the REST API to logged-in users (for example \"Disable REST API\"), or add to the theme's functions.php or a small plugin:\n    add_filter('rest_endpoints', function ($endpoints) {\n        if (!is_user_logged_in()) {\n            unset($endpoints['/wp/v2/media'], $endpoints['/wp/v2/media/(?P<id>[\\d]+)']);\n        }\n        return $endpoints;\n    });".to_string(),
        FindingKind::SitemapListsImages => "Leave pictures out of the XML sitemap: they help search engines and scrapers alike. Yoast SEO:\n    add_filter('wpseo_xml_sitemap_img', '__return_false');\nOther plugins have a setting to exclude images from sitemaps.".to_string(),
        FindingKind::FeedListsImages => "Publish feeds without pictures: in WordPress, Settings > Reading > \"For each post in a feed, include\": Excerpt, and avoid featured images in feeds.".to_string(),
        FindingKind::RobotsAllowsAiCrawlers => {
            let mut s = String::from(
                "Ask AI and dataset crawlers to stay away from pictures. robots.txt (read by most of them):\n",
            );
            // The crawlers that read robots.txt, from the bundled list (data/crawlers.toml).
            let crawlers = crate::robots::crawlers(None).unwrap_or_default();
            for c in crawlers.iter().filter(|c| c.reads_robots_txt && c.agent != "*") {
                s.push_str(&format!("    User-agent: {}\n", c.agent));
            }
            s.push_str("    Disallow: /\n");
            s.push_str("Tools that ignore robots.txt (img2dataset) honour a header on the pictures themselves.\nApache (.htaccess in the uploads folder):\n    <IfModule mod_headers.c>\n        Header set X-Robots-Tag \"noai, noimageai\"\n    </IfModule>\nnginx:\n    location /wp-content/uploads/ { add_header X-Robots-Tag \"noai, noimageai\"; }\nNeither stops a scraper that ignores both: publish fewer, smaller, unnamed pictures.");
            s
        }
        FindingKind::PageWidePersonalDetail => "Check that this detail is meant to be on every page (a school's own address and office contacts usually are); keep pupils' details and staff's personal contacts out of headers, footers and sidebars.".to_string(),
        FindingKind::RobotsListsSitemap => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_finding_kind_we_emit_has_a_fix_but_robots_sitemap_lines() {
        for &k in FindingKind::ALL {
            assert_eq!(
                fix_for(k).is_some(),
                k != FindingKind::RobotsListsSitemap,
                "{k}"
            );
        }
        assert!(fix_for(FindingKind::RobotsAllowsAiCrawlers)
            .unwrap()
            .contains("User-agent: GPTBot"));
        assert!(fix_for(FindingKind::DirectoryListing)
            .unwrap()
            .contains("Options -Indexes"));
    }
}
