//! Word, PowerPoint and OpenDocument packages: a hostile zip (bombs, deep
//! XML, broken relationships) is an error or a bounded list of pictures.
#![no_main]
use exposure_audit::extract::document::{DocLimits, Format, Opened};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = DocLimits {
        max_pages: 20,
        max_pictures: 20,
        max_depth: 4,
        max_decompressed: 4 << 20,
        max_pixels: 4_000_000,
        // No deadline, on purpose: an input that is slow without one is
        // what libFuzzer's -timeout (fuzz/run.sh) is there to find.
        deadline: None,
    };
    for format in [Format::Docx, Format::Pptx, Format::Odt, Format::Odp] {
        if let Ok(doc) = Opened::open(format, data, limits) {
            let (_, pictures, _) = doc.pictures();
            for p in pictures {
                let _ = doc.payload(&p.source);
            }
        }
    }
});
