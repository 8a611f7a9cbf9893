//! exposure-audit: shows a school what a web scraper can take from its public
//! presence, and tells it when that changes.
//!
//! The library does the work; `main.rs` only parses arguments, starts
//! tracing and maps results to exit codes. Data flows one way:
//! config -> crawl (fetch, scope, robots, extract) -> analysis -> store ->
//! group/risk/changes -> report.

pub mod alerts;
pub mod analysis;
pub mod audit;
pub mod change;
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
pub mod risk;
pub mod robots;
pub mod scope;
pub mod store;
pub mod takedown;
pub mod tls;
pub mod urls;
pub mod vocab;
