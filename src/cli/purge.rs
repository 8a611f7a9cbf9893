//! `purge`: retention by hand.

use super::*;

pub(super) fn purge_cmd(config: &Config) -> Exit {
    let db = &config.storage.database;
    if !db.exists() {
        eprintln!("exposure-audit: no database at {}", db.display());
        return Exit::Usage;
    }
    match Store::open_for_edit(db)
        .and_then(|mut s| s.purge(config.storage.keep_runs, &crate::audit::now()))
    {
        Ok(c) => {
            println!(
                "purged {} run(s) older than the newest {}: {} sightings, {} pages, {} picture addresses, {} delivered alerts; metadata cleared from {} pictures no kept run saw",
                c.runs, config.storage.keep_runs, c.sightings, c.pages, c.images, c.alerts, c.pictures
            );
            Exit::Ok
        }
        Err(e) => {
            eprintln!("exposure-audit: {e}");
            Exit::Failed
        }
    }
}
