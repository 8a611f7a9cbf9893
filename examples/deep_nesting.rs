//! Parse time of a page nested N elements deep, with and without the
//! flattening `extract::html::extract` applies first (docs/robustness.md).
//!
//!   cargo run --release --example deep_nesting -- 40000

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(40_000);
    let page = format!(
        "<html><body>{}<img src='/deep.jpg'>{}</body></html>",
        "<div>".repeat(n),
        "</div>".repeat(n)
    );
    let t = std::time::Instant::now();
    drop(scraper::Html::parse_document(&page));
    println!(
        "{n} levels, parsed as sent: {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let base = url::Url::parse("https://school.example/").unwrap();
    let t = std::time::Instant::now();
    let e = exposure_audit::extract::html::extract(page.as_bytes(), &base);
    println!(
        "{n} levels, flattened and extracted: {:.3} s, {} picture(s) found",
        t.elapsed().as_secs_f64(),
        e.images.len()
    );
}
