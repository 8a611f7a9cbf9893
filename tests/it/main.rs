//! Integration tests: one binary (each tests/*.rs file links the whole crate),
//! real HTTP servers on 127.0.0.1, real SQLite files in temporary folders.

mod support;

mod alerts_daemon;
mod changes;
mod cli;
mod copies;
mod crash;
mod demo_site;
mod documents;
mod gone_pages;
mod hostile;
mod hostile_review;
mod names;
mod report_browser;
mod run_status;
mod scope_and_robots;
mod social;
mod social_recorded;
mod unseen_site;
