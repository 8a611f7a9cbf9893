//! Open directory listings (Apache, nginx, IIS styles).
#![no_main]
use libfuzzer_sys::fuzz_target;
use exposure_audit::extract::{html, listing};

fuzz_target!(|data: &[u8]| {
    let base = url::Url::parse("https://school.example/wp-content/uploads/").unwrap();
    let e = html::extract(data, &base);
    if listing::is_listing(data, &e) {
        let (pictures, folders) = listing::entries(&base, &e);
        for f in folders {
            // Never a way up or out of the listing.
            assert!(f.starts_with(base.as_str()), "{f}");
        }
        let _ = pictures;
    }
});
