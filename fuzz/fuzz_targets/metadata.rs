//! Picture metadata (EXIF, XMP, IPTC) and the whole analysis, on any bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use exposure_audit::analysis::{hash, metadata};

fuzz_target!(|data: &[u8]| {
    if let Ok(format) = image::guess_format(data) {
        let _ = metadata::read(data, format);
    }
    for format in [image::ImageFormat::Jpeg, image::ImageFormat::Png, image::ImageFormat::WebP] {
        let _ = metadata::read(data, format);
    }
    // Small pixel budget: the point is the parsers, not big decodes.
    let _ = hash::analyse(data, hash::HashLimits { max_pixels: 4_000_000 });
});
