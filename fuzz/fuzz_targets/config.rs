//! Config parsing: every error must be a ConfigError, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(e) = exposure_audit::config::Config::parse(text, std::path::Path::new("fuzz.toml")) {
            let _ = e.to_string();
        }
    }
});
