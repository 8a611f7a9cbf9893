//! RSS/Atom feeds, the WordPress media API and the social platforms' JSON.
#![no_main]
use libfuzzer_sys::fuzz_target;
use exposure_audit::extract::{feed, social, wordpress};

fuzz_target!(|data: &[u8]| {
    let base = url::Url::parse("https://social.example/").unwrap();
    let _ = feed::parse(data, &base);
    let _ = wordpress::parse(data, &base);
    let _ = social::mastodon_statuses_url(&base, data);
    let link = std::str::from_utf8(data).ok();
    let _ = social::mastodon(data, &base, link, None);
    let _ = social::bluesky(data, &base, None);
    for page in [social::facebook(data, &base, None), social::instagram(data, &base, None)] {
        if let Ok(p) = page {
            if let Some(next) = p.next {
                assert!(next.starts_with("https://social.example/"), "{next}");
            }
        }
    }
});
