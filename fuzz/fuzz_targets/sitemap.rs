//! Sitemaps, gzipped or not.
#![no_main]
use libfuzzer_sys::fuzz_target;
use exposure_audit::extract::sitemap;

fuzz_target!(|data: &[u8]| {
    let base = url::Url::parse("https://school.example/sitemap.xml").unwrap();
    if let Ok(plain) = sitemap::maybe_gunzip(data, 1 << 20) {
        assert!(plain.len() <= 1 << 20, "the cap holds");
        let _ = sitemap::parse(&plain, &base);
    }
});
