//! Robots: what each crawler would really be allowed to take. Models each
//! crawler's behaviour from `data/crawlers.toml` (does it read robots.txt,
//! which X-Robots-Tag directives does it honour) and evaluates robots.txt
//! with texting_robots, which matches agent names literally (`img2dataset`
//! is not cut to `img`). Pure: robots.txt bodies in, verdicts out.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use texting_robots::Robot;

use crate::model::{RobotsVerdicts, Verdict};

/// The product token exposure-audit itself answers to in robots.txt.
pub const OWN_AGENT: &str = "exposure-audit";

const BUNDLED: &str = include_str!("../data/crawlers.toml");

/// One crawler's behaviour.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crawler {
    pub agent: String,
    pub operator: String,
    pub purpose: String,
    pub reads_robots_txt: bool,
    #[serde(default)]
    pub honours_tags: Vec<String>,
    pub source: String,
    /// Whether the page's own robots directives stop it taking the page's
    /// pictures (false for tools that are handed picture URLs directly).
    #[serde(default = "yes")]
    pub tags_from_page: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CrawlerFile {
    crawler: Vec<Crawler>,
}

/// Loads the crawler list: the bundled one, or the file the config names.
pub fn crawlers(path: Option<&Path>) -> Result<Vec<Crawler>, String> {
    let (text, name) = match path {
        Some(p) => (
            std::fs::read_to_string(p)
                .map_err(|e| format!("cannot read crawlers file {}: {e}", p.display()))?,
            p.display().to_string(),
        ),
        None => (
            BUNDLED.to_string(),
            "bundled data/crawlers.toml".to_string(),
        ),
    };
    let file: CrawlerFile = toml::from_str(&text).map_err(|e| format!("{name}: {e}"))?;
    Ok(file.crawler)
}

/// What robots.txt said for one host.
pub enum HostRobots {
    /// 4xx: no rules, everything allowed (RFC 9309 2.3.1.3).
    Missing,
    /// 5xx or no answer: a crawler that reads robots.txt must assume
    /// everything is disallowed (RFC 9309 2.3.1.4).
    Unreachable,
    /// Rules compiled per crawler agent, plus our own.
    Rules {
        per_agent: BTreeMap<String, Robot>,
        own: Option<Robot>,
        sitemaps: Vec<String>,
    },
}

impl HostRobots {
    /// Builds the rules from a robots.txt answer.
    pub fn from_response(
        status: Option<u16>,
        body: Option<&[u8]>,
        crawlers: &[Crawler],
    ) -> HostRobots {
        match (status, body) {
            (Some(200..=299), Some(body)) => {
                // Rules past 500 KiB may be ignored (RFC 9309 2.5).
                let body = &body[..body.len().min(500 * 1024)];
                let per_agent = crawlers
                    .iter()
                    .filter_map(|c| {
                        Robot::new(&c.agent, body)
                            .ok()
                            .map(|r| (c.agent.clone(), r))
                    })
                    .collect();
                let own = Robot::new(OWN_AGENT, body).ok();
                let sitemaps = own.as_ref().map(|r| r.sitemaps.clone()).unwrap_or_default();
                HostRobots::Rules {
                    per_agent,
                    own,
                    sitemaps,
                }
            }
            (Some(400..=499), _) => HostRobots::Missing,
            _ => HostRobots::Unreachable,
        }
    }

    /// Sitemap lines of robots.txt.
    pub fn sitemaps(&self) -> &[String] {
        match self {
            HostRobots::Rules { sitemaps, .. } => sitemaps,
            _ => &[],
        }
    }

    /// May exposure-audit itself fetch `url` (for `robots = "obey"`)?
    pub fn own_allowed(&self, url: &str) -> bool {
        match self {
            HostRobots::Rules { own: Some(r), .. } => r.allowed(url),
            HostRobots::Rules { own: None, .. } | HostRobots::Missing => true,
            HostRobots::Unreachable => false,
        }
    }

    fn robots_txt_allows(&self, agent: &str, url: &str) -> bool {
        match self {
            HostRobots::Rules { per_agent, .. } => {
                per_agent.get(agent).is_none_or(|r| r.allowed(url))
            }
            HostRobots::Missing => true,
            HostRobots::Unreachable => false,
        }
    }
}

/// Parses X-Robots-Tag or meta robots values into (agent or None, directive).
pub fn parse_directives(values: &[&str]) -> Vec<(Option<String>, String)> {
    let mut out = Vec::new();
    for value in values {
        let mut agent: Option<String> = None;
        for part in value.split(',') {
            let part = part.trim().to_ascii_lowercase();
            if part.is_empty() {
                continue;
            }
            // "googlebot: noindex, nofollow" scopes what follows to one agent.
            let directive = match part.split_once(':') {
                Some((a, d))
                    if !matches!(
                        a.trim(),
                        "max-snippet"
                            | "max-image-preview"
                            | "max-video-preview"
                            | "unavailable_after"
                    ) =>
                {
                    agent = Some(a.trim().to_string());
                    d.trim().to_string()
                }
                _ => part,
            };
            if !directive.is_empty() {
                out.push((agent.clone(), directive));
            }
        }
    }
    out
}

/// Verdicts for every crawler on one picture sighting.
///
/// `image_tags` are the picture response's X-Robots-Tag directives;
/// `page_tags` the page's (meta robots and X-Robots-Tag).
pub fn verdicts(
    crawlers: &[Crawler],
    host: &HostRobots,
    image_url: &str,
    image_tags: &[(Option<String>, String)],
    page_tags: &[(Option<String>, String)],
) -> RobotsVerdicts {
    let mut out = RobotsVerdicts::new();
    for c in crawlers {
        let agent = c.agent.to_ascii_lowercase();
        let applies = |tags: &[(Option<String>, String)]| {
            tags.iter().any(|(a, d)| {
                a.as_ref().is_none_or(|a| *a == agent) && c.honours_tags.iter().any(|h| h == d)
            })
        };
        let blocked_by_tag = applies(image_tags) || (c.tags_from_page && applies(page_tags));
        let blocked_by_txt = c.reads_robots_txt && !host.robots_txt_allows(&c.agent, image_url);
        let verdict = if blocked_by_tag || blocked_by_txt {
            Verdict::Disallowed
        } else {
            Verdict::Allowed
        };
        out.insert(c.agent.clone(), verdict);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(txt: &str) -> (Vec<Crawler>, HostRobots) {
        let c = crawlers(None).unwrap();
        let h = HostRobots::from_response(Some(200), Some(txt.as_bytes()), &c);
        (c, h)
    }

    #[test]
    fn bundled_list_has_the_issue_agents() {
        let c = crawlers(None).unwrap();
        for a in [
            "GPTBot",
            "ChatGPT-User",
            "OAI-SearchBot",
            "CCBot",
            "Google-Extended",
            "ClaudeBot",
            "anthropic-ai",
            "PerplexityBot",
            "Bytespider",
            "Applebot-Extended",
            "meta-externalagent",
            "Amazonbot",
            "img2dataset",
            "*",
        ] {
            assert!(c.iter().any(|x| x.agent == a), "{a} missing");
        }
    }

    #[test]
    fn img2dataset_is_not_cut_to_img_and_ignores_robots_txt() {
        let (c, h) = rules("User-agent: img2dataset\nDisallow: /\n\nUser-agent: GPTBot\nDisallow: /uploads/\n\nUser-agent: *\nAllow: /\n");
        let v = verdicts(&c, &h, "http://s.example/uploads/a.jpg", &[], &[]);
        assert_eq!(v["GPTBot"], Verdict::Disallowed);
        assert_eq!(v["CCBot"], Verdict::Allowed);
        // img2dataset never reads robots.txt, so the Disallow does not stop it.
        assert_eq!(v["img2dataset"], Verdict::Allowed);
        assert_eq!(v["Bytespider"], Verdict::Allowed);
        let noai = parse_directives(&["noai, noimageai"]);
        let v = verdicts(&c, &h, "http://s.example/uploads/a.jpg", &noai, &[]);
        assert_eq!(v["img2dataset"], Verdict::Disallowed);
        assert_eq!(v["CCBot"], Verdict::Allowed);
        // A page's meta tag does not reach img2dataset, which only sees picture URLs.
        let v = verdicts(&c, &h, "http://s.example/uploads/a.jpg", &[], &noai);
        assert_eq!(v["img2dataset"], Verdict::Allowed);
    }

    #[test]
    fn unreachable_and_missing_robots() {
        let c = crawlers(None).unwrap();
        let v = verdicts(&c, &HostRobots::Unreachable, "http://s/a.jpg", &[], &[]);
        assert_eq!(v["GPTBot"], Verdict::Disallowed);
        assert_eq!(v["img2dataset"], Verdict::Allowed);
        let v = verdicts(
            &c,
            &HostRobots::from_response(Some(404), None, &c),
            "http://s/a.jpg",
            &[],
            &[],
        );
        assert!(v.values().all(|x| *x == Verdict::Allowed));
    }

    #[test]
    fn agent_scoped_directives() {
        let d = parse_directives(&[
            "googlebot: noindex",
            "img2dataset: noai",
            "max-image-preview:large",
        ]);
        assert_eq!(d[0], (Some("googlebot".into()), "noindex".into()));
        assert_eq!(d[1], (Some("img2dataset".into()), "noai".into()));
        assert_eq!(d[2], (None, "max-image-preview:large".into()));
    }

    #[test]
    fn garbage_robots_is_harmless() {
        let (c, h) = rules("\u{0}\u{1}<<>>\nDisallow\nUser-agent\n::::\n");
        let v = verdicts(&c, &h, "http://s/a.jpg", &[], &[]);
        assert_eq!(v.len(), c.len());
        assert!(h.own_allowed("http://s/a.jpg"));
    }

    #[test]
    fn own_agent_obeys() {
        let (_, h) = rules("User-agent: exposure-audit\nDisallow: /private/\n");
        assert!(!h.own_allowed("http://s/private/x.html"));
        assert!(h.own_allowed("http://s/public/x.html"));
        assert_eq!(h.sitemaps(), &[] as &[String]);
        let (_, h) = rules("Sitemap: http://s/sitemap.xml\nUser-agent: *\nAllow: /\n");
        assert_eq!(h.sitemaps(), &["http://s/sitemap.xml".to_string()]);
    }
}
