//! HTML extraction: any bytes a page can send.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let base = url::Url::parse("https://school.example/news/").unwrap();
    let e = exposure_audit::extract::html::extract(data, &base);
    for img in &e.images {
        assert!(url::Url::parse(&img.url).is_ok(), "extracted a non-URL: {}", img.url);
    }
});
