//! `runs`: the stored runs.

use super::*;

pub(super) fn runs_cmd(config: &Config) -> Exit {
    let db = &config.storage.database;
    if !db.exists() {
        eprintln!(
            "exposure-audit: no database at {}: run `exposure-audit audit` first",
            db.display()
        );
        return Exit::Usage;
    }
    match Store::open(db).and_then(|s| s.runs()) {
        Ok(runs) => {
            println!(
                "{:>5}  {:<20}  {:<11}  {:>6}  {:>8}  {:>6}",
                "run", "started", "status", "pages", "pictures", "errors"
            );
            for r in runs {
                println!(
                    "{:>5}  {:<20}  {:<11}  {:>6}  {:>8}  {:>6}",
                    r.id,
                    r.started_at,
                    r.status.as_str(),
                    r.pages_fetched,
                    r.images_fetched,
                    r.fetch_errors
                );
            }
            Exit::Ok
        }
        Err(e) => {
            eprintln!("exposure-audit: {e}");
            Exit::Failed
        }
    }
}
