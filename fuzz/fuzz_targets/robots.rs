//! robots.txt for every crawler in the bundled list, and X-Robots-Tag values.
#![no_main]
use libfuzzer_sys::fuzz_target;
use exposure_audit::robots;

fuzz_target!(|data: &[u8]| {
    let crawlers = robots::crawlers(None).unwrap();
    let host = robots::HostRobots::from_response(Some(200), Some(data), &crawlers);
    let _ = host.own_allowed("https://school.example/uploads/a.jpg");
    let _ = host.sitemaps();
    let text = String::from_utf8_lossy(data);
    let tags = robots::parse_directives(&[text.as_ref()]);
    let v = robots::verdicts(&crawlers, &host, "https://school.example/uploads/a.jpg", &tags, &tags);
    assert_eq!(v.len(), crawlers.len());
});
