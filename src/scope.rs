//! Scope: which URLs a crawl may visit. URL normalisation and dedupe, the
//! allowed-hosts rule for pages, the query-variant bound against calendar
//! traps, and the refusal of private, loopback and link-local addresses.
//! Pure functions and plain state; no I/O.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::Url;

use crate::urls::Fingerprints;

/// True for addresses a crawler must not be steered to: loopback, private,
/// link-local (cloud metadata), unspecified, CGNAT, multicast, broadcast,
/// unique-local IPv6, and IPv4-mapped or -compatible forms of those.
pub fn is_private_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private_v4(v4);
            }
            let seg = v6.segments();
            // IPv4-compatible (::a.b.c.d, deprecated) and NAT64 well-known prefix.
            if seg[..6] == [0, 0, 0, 0, 0, 0] && !v6.is_loopback() && !v6.is_unspecified() {
                return is_private_v4(Ipv4Addr::new(
                    (seg[6] >> 8) as u8,
                    seg[6] as u8,
                    (seg[7] >> 8) as u8,
                    seg[7] as u8,
                ));
            }
            if seg[0] == 0x64 && seg[1] == 0xff9b {
                return is_private_v4(Ipv4Addr::new(
                    (seg[6] >> 8) as u8,
                    seg[6] as u8,
                    (seg[7] >> 8) as u8,
                    seg[7] as u8,
                ));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (seg[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (seg[0] & 0xffc0) == 0xfec0 // site-local fec0::/10
                || v6 == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) // AWS metadata over IPv6
        }
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || o[0] == 0 // 0.0.0.0/8
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // CGNAT 100.64/10
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking 198.18/15
        || o[0] >= 240 // reserved
}

/// The literal IP of a URL's host, if it is one.
pub fn literal_ip(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        url::Host::Domain(_) => None,
    }
}

/// Decides whether addresses may be fetched: hosts named in the config are
/// always allowed; others may not be private unless the config says so.
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    pub named_hosts: HashSet<String>,
    pub allow_private: bool,
}

impl AddressPolicy {
    pub fn new(named_hosts: impl IntoIterator<Item = String>, allow_private: bool) -> Self {
        AddressPolicy {
            named_hosts: named_hosts
                .into_iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            allow_private,
        }
    }

    /// May this host resolve to private addresses?
    pub fn private_ok(&self, host: &str) -> bool {
        self.allow_private
            || self
                .named_hosts
                .contains(&host.trim_matches(['[', ']']).to_ascii_lowercase())
    }

    /// Checks a URL whose host is an IP literal (DNS names are checked when
    /// they resolve, by the fetcher's resolver).
    pub fn check_url(&self, url: &Url) -> Result<(), String> {
        let host = url.host_str().unwrap_or_default();
        if let Some(ip) = literal_ip(url) {
            if is_private_ip(ip) && !self.private_ok(host) {
                return Err(format!("refused: {ip} is a private, loopback or link-local address not named in the config"));
            }
        }
        Ok(())
    }
}

/// Why a URL was not added to the frontier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    Seen,
    OffSite,
    TooDeep,
    QueryVariants,
    PageLimit,
}

/// The crawl frontier's bookkeeping: seen URLs, depth and trap bounds.
#[derive(Debug)]
pub struct Frontier {
    allowed_hosts: HashSet<String>,
    seen: Fingerprints,
    query_variants: HashMap<(String, String), u32>,
    max_depth: u32,
    max_pages: u64,
    max_query_variants: u32,
    admitted: u64,
    /// How many URLs each bound turned away, for the report.
    pub skipped: HashMap<&'static str, u64>,
}

impl Frontier {
    pub fn new(
        allowed_hosts: &[String],
        max_depth: u32,
        max_pages: u64,
        max_query_variants: u32,
    ) -> Self {
        Frontier {
            allowed_hosts: allowed_hosts
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            seen: Fingerprints::default(),
            query_variants: HashMap::new(),
            max_depth,
            max_pages,
            max_query_variants,
            admitted: 0,
            skipped: HashMap::new(),
        }
    }

    pub fn is_allowed_host(&self, url: &Url) -> bool {
        url.host_str()
            .is_some_and(|h| self.allowed_hosts.contains(h))
    }

    /// Admits a page URL at `depth` if every bound allows it.
    pub fn admit(&mut self, url: &Url, depth: u32) -> Result<(), Skip> {
        if !self.is_allowed_host(url) {
            return Err(Skip::OffSite);
        }
        if self.seen.contains(url.as_str()) {
            return Err(Skip::Seen);
        }
        let why = if depth > self.max_depth {
            Some(("max_depth", Skip::TooDeep))
        } else if self.admitted >= self.max_pages {
            Some(("max_pages", Skip::PageLimit))
        } else {
            None
        };
        if let Some((name, skip)) = why {
            *self.skipped.entry(name).or_default() += 1;
            self.seen.insert(url.as_str());
            return Err(skip);
        }
        if url.query().is_some() {
            let key = (
                url.host_str().unwrap_or_default().to_string(),
                url.path().to_string(),
            );
            let n = self.query_variants.entry(key).or_default();
            if *n >= self.max_query_variants {
                *self.skipped.entry("max_query_variants").or_default() += 1;
                self.seen.insert(url.as_str());
                return Err(Skip::QueryVariants);
            }
            *n += 1;
        }
        self.seen.insert(url.as_str());
        self.admitted += 1;
        Ok(())
    }

    /// Notes an address reached another way (where a redirect landed), so
    /// a link to it later is not fetched again; it counts no page.
    pub fn note_seen(&mut self, url: &Url) {
        self.seen.insert(url.as_str());
    }

    /// Was this URL admitted or turned away already?
    pub fn is_seen(&self, url: &Url) -> bool {
        self.seen.contains(url.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn private_forms_are_recognised() {
        for s in [
            "http://127.0.0.1/",
            "http://2130706433/",
            "http://0x7f.0.0.1/",
            "http://0.0.0.0/",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.1.2.3/",
            "http://192.168.0.1/",
            "http://172.16.5.4/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:169.254.169.254]/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://100.64.0.1/",
        ] {
            let url = u(s);
            let ip = literal_ip(&url).unwrap_or_else(|| panic!("{s} is a literal"));
            assert!(is_private_ip(ip), "{s} must be private");
            assert!(
                AddressPolicy::default().check_url(&url).is_err(),
                "{s} must be refused"
            );
        }
        for s in [
            "http://93.184.216.34/",
            "http://[2606:4700::1111]/",
            "http://8.8.8.8/",
        ] {
            assert!(!is_private_ip(literal_ip(&u(s)).unwrap()), "{s} is public");
        }
    }

    #[test]
    fn named_hosts_and_config_allow_private() {
        let policy = AddressPolicy::new(["127.0.0.1".to_string()], false);
        assert!(policy.check_url(&u("http://127.0.0.1:8080/")).is_ok());
        assert!(policy.check_url(&u("http://127.0.0.2/")).is_err());
        let open = AddressPolicy::new([], true);
        assert!(open.check_url(&u("http://10.0.0.1/")).is_ok());
    }

    #[test]
    fn frontier_bounds() {
        let mut f = Frontier::new(&["s.example".into()], 2, 100, 3);
        assert_eq!(f.admit(&u("http://other.example/"), 0), Err(Skip::OffSite));
        assert_eq!(f.admit(&u("http://s.example/"), 0), Ok(()));
        assert_eq!(f.admit(&u("http://s.example/"), 1), Err(Skip::Seen));
        assert_eq!(f.admit(&u("http://s.example/deep"), 3), Err(Skip::TooDeep));
        for m in 1..=3 {
            assert_eq!(
                f.admit(&u(&format!("http://s.example/cal?m={m}")), 1),
                Ok(())
            );
        }
        assert_eq!(
            f.admit(&u("http://s.example/cal?m=4"), 1),
            Err(Skip::QueryVariants)
        );
        assert_eq!(f.skipped["max_query_variants"], 1);
        let mut small = Frontier::new(&["s.example".into()], 5, 1, 3);
        assert_eq!(small.admit(&u("http://s.example/a"), 0), Ok(()));
        assert_eq!(
            small.admit(&u("http://s.example/b"), 0),
            Err(Skip::PageLimit)
        );
    }
}
