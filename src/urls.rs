//! Addresses: resolving and normalising URLs so two spellings of one
//! address compare equal, and the compact sets a crawl keeps of the
//! addresses it met. Pure; used by the parsers (extract), the crawl's scope
//! and analysis alike, so none of them depends on the others' rules.

use std::collections::HashSet;

use url::Url;

/// Resolves `raw` against `base` and normalises it; `None` for anything that
/// is not an http(s) URL with a host.
pub fn resolve(base: &Url, raw: &str) -> Option<Url> {
    let raw = raw.trim();
    if raw.is_empty()
        || raw.starts_with("data:")
        || raw.starts_with("javascript:")
        || raw.starts_with("mailto:")
    {
        return None;
    }
    let url = base.join(raw).ok()?;
    normalise(url)
}

/// Normalises a URL so that two spellings of one address compare equal:
/// no fragment, no default port, lower-case host (done by `url`), unreserved
/// characters decoded and other escapes upper-cased, no empty query.
pub fn normalise(mut url: Url) -> Option<Url> {
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    url.set_fragment(None);
    if url.query() == Some("") {
        url.set_query(None);
    }
    let path = normalise_escapes(url.path());
    if path != url.path() {
        url.set_path(&path);
    }
    if let Some(q) = url.query() {
        let q2 = normalise_escapes(q);
        if q2 != q {
            url.set_query(Some(&q2));
        }
    }
    Some(url)
}

fn normalise_escapes(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && b[i + 1].is_ascii_hexdigit()
            && b[i + 2].is_ascii_hexdigit()
        {
            let hex = [b[i + 1], b[i + 2]];
            let v =
                u8::from_str_radix(std::str::from_utf8(&hex).expect("hex digits are ASCII"), 16)
                    .expect("two hex digits");
            if v.is_ascii_alphanumeric() || matches!(v, b'-' | b'.' | b'_' | b'~') {
                out.push(v);
            } else {
                out.push(b'%');
                out.extend(hex.iter().map(u8::to_ascii_uppercase));
            }
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// A set kept as 64-bit fingerprints (SipHash with fixed keys): 8 bytes
/// a member instead of its strings, for the sets a crawl keeps of every
/// address it met. Two of 100,000 members share a fingerprint with a
/// chance of 3e-10 (the later one would be taken as seen).
#[derive(Debug, Default)]
pub struct Fingerprints(HashSet<u64>);

impl Fingerprints {
    pub fn of(key: impl std::hash::Hash) -> u64 {
        use std::hash::Hasher;
        let mut h = std::hash::DefaultHasher::new();
        key.hash(&mut h);
        h.finish()
    }

    /// Adds `key`; false if it was in already.
    pub fn insert(&mut self, key: impl std::hash::Hash) -> bool {
        self.0.insert(Self::of(key))
    }

    pub fn contains(&self, key: impl std::hash::Hash) -> bool {
        self.0.contains(&Self::of(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn fingerprints_know_a_member_however_it_is_held() {
        let mut set = Fingerprints::default();
        let owned = String::from("https://s/a.jpg");
        assert!(set.insert(owned.as_str()));
        assert!(!set.insert(&owned), "a String and its str are one member");
        assert!(set.contains("https://s/a.jpg"));
        assert!(!set.contains("https://s/b.jpg"));
        assert!(set.insert(("https://s/", owned.as_str())));
        assert!(set.contains((String::from("https://s/"), owned.clone())));
    }

    #[test]
    fn normalises_spellings_of_one_address() {
        let base = u("http://School.Example:80/news/");
        let a = resolve(&base, "../a%7Eb/%2fc?#frag").unwrap();
        assert_eq!(a.as_str(), "http://school.example/a~b/%2Fc");
        let b = resolve(&base, "HTTP://school.example/a~b/%2Fc").unwrap();
        assert_eq!(a, b);
        assert!(resolve(&base, "javascript:alert(1)").is_none());
        assert!(resolve(&base, "mailto:x@y.z").is_none());
        assert!(resolve(&base, "ftp://x/").is_none());
        assert_eq!(
            resolve(&base, "https://x.example:443/p").unwrap().as_str(),
            "https://x.example/p"
        );
    }
}
