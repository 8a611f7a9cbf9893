//! exposure-audit: shows a school what a web scraper can take from its public
//! presence, and tells it when that changes.
//!
//! The library does the work; `main.rs` only parses arguments, starts
//! tracing and maps results to exit codes. Data flows one way:
//! config -> crawl (fetch, scope, robots, extract) -> analysis -> store ->
//! group/risk/changes -> report. docs/architecture.md draws the rooms.

#![warn(clippy::pedantic)]
// Pedantic lints this code base does not follow, each for a reason:
#![allow(
    // Errors are typed enums whose variants say what failed and what to
    // check (STYLE 4); a `# Errors` section would repeat them.
    clippy::missing_errors_doc,
    // The few panics are invariants, each an `expect` that says why.
    clippy::missing_panics_doc,
    // Nearly every getter would carry it; callers that drop a value are
    // caught in review and by tests, not by attributes on 100 functions.
    clippy::must_use_candidate,
    clippy::return_self_not_must_use,
    // Doc comments are prose for people and name formats and keys in
    // plain words ("og:image", "X-Robots-Tag").
    clippy::doc_markdown,
    // The rooms of one module (store/, crawl/, cli/) share its imports by
    // `use super::*`, which is what makes them one module.
    clippy::wildcard_imports,
    // Pixel, byte and count arithmetic on values bounded before the cast
    // (decoders check sizes against the budget first); `as` reads plainer
    // than a try_from whose error cannot happen.
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap,
    // Text built line by line reads best as push_str(&format!(..)).
    clippy::format_push_string,
    // Names such as `tx`/`rx`, `w`/`h` and `x`/`y` are the domain's own.
    clippy::similar_names,
    clippy::many_single_char_names,
    // Long functions are the coordinator and the closing, each one story
    // told in order; their parts are named functions already.
    clippy::too_many_lines
)]

pub mod alerts;
pub mod analysis;
pub mod audit;
pub mod check_photo;
pub mod cli;
pub mod config;
pub mod crawl;
pub mod daemon;
pub mod demo;
pub mod extract;
pub mod fetch;
pub mod group;
pub mod lookup;
pub mod model;
pub mod printable;
pub mod private_file;
pub mod protect;
pub mod report;
pub mod robots;
pub mod rules;
pub mod scope;
pub mod store;
pub mod takedown;
pub mod tls;
pub mod urls;
pub mod vocab;

// The rules by their own names, as the rest of the code calls them.
pub use rules::{change, risk};
