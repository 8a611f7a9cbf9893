//! `[[sources]]`: each source kind, its keys and its checks.

use super::*;

/// One configured source of pictures.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub kind: SourceKind,
    /// How far back a platform source pages (ignored by other kinds).
    pub api: ApiLimits,
}

/// Paging bounds of a platform source: `max_pages` pages of posts, and no
/// posts older than `since`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiLimits {
    pub max_pages: u32,
    pub since: Option<chrono::NaiveDate>,
}

impl Default for ApiLimits {
    fn default() -> Self {
        ApiLimits {
            max_pages: defaults::API_MAX_PAGES,
            since: None,
        }
    }
}

#[derive(Debug, Clone)]
pub enum SourceKind {
    Website {
        start_urls: Vec<Url>,
        allowed_hosts: Vec<String>,
    },
    Feed {
        url: Url,
    },
    Page {
        url: Url,
    },
    Mastodon {
        base_url: Url,
        account: String,
    },
    Bluesky {
        base_url: Url,
        account: String,
    },
    FacebookPage {
        base_url: Url,
        page_id: String,
        token_env: String,
    },
    Instagram {
        base_url: Url,
        account_id: String,
        token_env: String,
    },
}

impl SourceKind {
    pub fn label(&self) -> &'static str {
        match self {
            SourceKind::Website { .. } => "website",
            SourceKind::Feed { .. } => "feed",
            SourceKind::Page { .. } => "page",
            SourceKind::Mastodon { .. } => "mastodon",
            SourceKind::Bluesky { .. } => "bluesky",
            SourceKind::FacebookPage { .. } => "facebook_page",
            SourceKind::Instagram { .. } => "instagram",
        }
    }

    /// The hosts named by this source: always allowed, even on private ranges.
    pub fn named_hosts(&self) -> Vec<String> {
        let urls: Vec<&Url> = match self {
            SourceKind::Website {
                start_urls,
                allowed_hosts,
            } => {
                let mut hosts: Vec<String> = allowed_hosts.clone();
                hosts.extend(
                    start_urls
                        .iter()
                        .filter_map(|u| u.host_str().map(str::to_string)),
                );
                return hosts;
            }
            SourceKind::Feed { url } | SourceKind::Page { url } => vec![url],
            SourceKind::Mastodon { base_url, .. }
            | SourceKind::Bluesky { base_url, .. }
            | SourceKind::FacebookPage { base_url, .. }
            | SourceKind::Instagram { base_url, .. } => vec![base_url],
        };
        urls.iter()
            .filter_map(|u| u.host_str().map(str::to_string))
            .collect()
    }
}

/// Public base URLs of the platforms, used when `base_url` is not set.
mod platform {
    pub const BLUESKY: &str = "https://public.api.bsky.app";
    pub const GRAPH: &str = "https://graph.facebook.com";
}
impl Ctx<'_> {
    pub(super) fn source(&self, i: usize, s: &RawSource) -> Result<Source, ConfigError> {
        let key = |k: &str| format!("sources[{i}].{k}");
        let kind = s.kind.get_ref().as_str();
        let name = match &s.name {
            Some(n) if n.get_ref().trim().is_empty() => {
                return Err(self.at(n, format!("key `{}` must not be empty", key("name"))))
            }
            Some(n) => n.get_ref().clone(),
            None => format!("{kind} {}", i + 1),
        };
        let required =
            |v: &Option<Spanned<String>>, k: &str| -> Result<Spanned<String>, ConfigError> {
                match v {
                    Some(v) if !v.get_ref().trim().is_empty() => Ok(v.clone()),
                    Some(v) => Err(self.at(v, format!("key `{}` must not be empty", key(k)))),
                    None => Err(self.at(
                        &s.kind,
                        format!("key `{}` is required for kind = \"{kind}\"", key(k)),
                    )),
                }
            };
        // Keys that belong to other kinds are mistakes worth reporting.
        let allowed: &[&str] = match kind {
            "website" => &["start_urls", "allowed_hosts"],
            "feed" | "page" => &["url"],
            "mastodon" | "bluesky" => &["base_url", "account", "max_pages", "since"],
            "facebook_page" => &["base_url", "page_id", "token_env", "max_pages", "since"],
            "instagram" => &["base_url", "account_id", "token_env", "max_pages", "since"],
            other => {
                return Err(self.at(
                    &s.kind,
                    format!(
                        "key `{}`: unknown kind `{other}`; expected one of website, feed, page, mastodon, bluesky, facebook_page, instagram",
                        key("kind")
                    ),
                ))
            }
        };
        let present: [(&str, Option<Range<usize>>); 10] = [
            ("max_pages", s.max_pages.as_ref().map(toml::Spanned::span)),
            ("since", s.since.as_ref().map(toml::Spanned::span)),
            ("start_urls", s.start_urls.as_ref().map(toml::Spanned::span)),
            (
                "allowed_hosts",
                s.allowed_hosts.as_ref().map(toml::Spanned::span),
            ),
            ("url", s.url.as_ref().map(toml::Spanned::span)),
            ("base_url", s.base_url.as_ref().map(toml::Spanned::span)),
            ("account", s.account.as_ref().map(toml::Spanned::span)),
            ("page_id", s.page_id.as_ref().map(toml::Spanned::span)),
            ("account_id", s.account_id.as_ref().map(toml::Spanned::span)),
            ("token_env", s.token_env.as_ref().map(toml::Spanned::span)),
        ];
        for (k, span) in present {
            if let Some(span) = span {
                if !allowed.contains(&k) {
                    return Err(self.err(
                        Some(span),
                        format!("key `{}` does not apply to kind = \"{kind}\"", key(k)),
                    ));
                }
            }
        }
        let base_url = |default: Option<&str>| -> Result<Url, ConfigError> {
            match (&s.base_url, default) {
                (Some(b), _) => self.url(b, &key("base_url")),
                (None, Some(d)) => Ok(Url::parse(d).expect("platform default URL parses")),
                (None, None) => Err(self.at(
                    &s.kind,
                    format!(
                        "key `{}` is required for kind = \"{kind}\"",
                        key("base_url")
                    ),
                )),
            }
        };
        let token_env = || -> Result<String, ConfigError> {
            let t = required(&s.token_env, "token_env")?;
            let valid = t
                .get_ref()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(self.at(
                    &t,
                    format!("key `{}` names an environment variable (letters, digits, _), not the token itself", key("token_env")),
                ));
            }
            Ok(t.into_inner())
        };
        let kind = match kind {
            "website" => {
                let Some(starts) = &s.start_urls else {
                    return Err(self.at(
                        &s.kind,
                        format!(
                            "key `{}` is required for kind = \"website\"",
                            key("start_urls")
                        ),
                    ));
                };
                if starts.get_ref().is_empty() {
                    return Err(self.at(
                        starts,
                        format!("key `{}` must list at least one URL", key("start_urls")),
                    ));
                }
                let start_urls = starts
                    .get_ref()
                    .iter()
                    .map(|u| self.url(u, &key("start_urls")))
                    .collect::<Result<Vec<_>, _>>()?;
                let allowed_hosts = if let Some(h) = &s.allowed_hosts {
                    if let Some(bad) = h
                        .get_ref()
                        .iter()
                        .find(|h| h.is_empty() || h.contains(['/', ':', ' ']))
                    {
                        return Err(self.at(
                            h,
                            format!("key `{}`: `{bad}` is not a host name (write www.example.org, no scheme or path)", key("allowed_hosts")),
                        ));
                    }
                    h.get_ref().iter().map(|h| h.to_ascii_lowercase()).collect()
                } else {
                    let mut hosts: Vec<String> = start_urls
                        .iter()
                        .filter_map(|u| u.host_str().map(str::to_string))
                        .collect();
                    hosts.dedup();
                    hosts
                };
                SourceKind::Website {
                    start_urls,
                    allowed_hosts,
                }
            }
            "feed" => SourceKind::Feed {
                url: self.url(&required(&s.url, "url")?, &key("url"))?,
            },
            "page" => SourceKind::Page {
                url: self.url(&required(&s.url, "url")?, &key("url"))?,
            },
            "mastodon" => SourceKind::Mastodon {
                base_url: base_url(None)?,
                account: required(&s.account, "account")?.into_inner(),
            },
            "bluesky" => SourceKind::Bluesky {
                base_url: base_url(Some(platform::BLUESKY))?,
                account: required(&s.account, "account")?.into_inner(),
            },
            "facebook_page" => SourceKind::FacebookPage {
                base_url: base_url(Some(platform::GRAPH))?,
                page_id: required(&s.page_id, "page_id")?.into_inner(),
                token_env: token_env()?,
            },
            "instagram" => SourceKind::Instagram {
                base_url: base_url(Some(platform::GRAPH))?,
                account_id: required(&s.account_id, "account_id")?.into_inner(),
                token_env: token_env()?,
            },
            _ => unreachable!("kinds were checked above"),
        };
        let api = ApiLimits {
            max_pages: self.number(
                s.max_pages.as_ref(),
                &key("max_pages"),
                1,
                10_000,
                u64::from(defaults::API_MAX_PAGES),
            )? as u32,
            since: match &s.since {
                None => None,
                Some(d) => Some(
                    chrono::NaiveDate::parse_from_str(d.get_ref(), "%Y-%m-%d").map_err(|_| {
                        self.at(
                            d,
                            format!(
                                "key `{}`: `{}` is not a date like 2025-09-01",
                                key("since"),
                                d.get_ref()
                            ),
                        )
                    })?,
                ),
            },
        };
        Ok(Source { name, kind, api })
    }
}
