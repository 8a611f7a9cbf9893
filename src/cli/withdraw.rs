//! `withdraw` and `withdrawn`: the takedown register.

use super::*;

pub(super) fn withdraw_cmd(config: &Config, target: &str, reason: &str) -> Exit {
    if reason.trim().is_empty() {
        eprintln!("exposure-audit: --reason must say why the picture must not be public");
        return Exit::Usage;
    }
    let result = Store::open_for_edit(&config.storage.database)
        .map_err(crate::takedown::TakedownError::from)
        .and_then(|store| {
            crate::takedown::withdraw(
                &store,
                target,
                reason,
                (config.crawl.max_image_pixels, config.crawl.max_image_bytes),
                &crate::audit::now(),
            )
        });
    match result {
        Ok(id) => {
            println!(
                "withdrawn #{id}: {target}; every later audit flags any copy of it as high risk"
            );
            Exit::Ok
        }
        Err(e) => {
            eprintln!("exposure-audit: {e}");
            match e {
                crate::takedown::TakedownError::Store(_) => Exit::Failed,
                _ => Exit::Usage,
            }
        }
    }
}

pub(super) fn withdrawn_cmd(config: &Config, format: CheckFormat) -> Exit {
    let db = &config.storage.database;
    if !db.exists() {
        eprintln!(
            "exposure-audit: no database at {}: the register is empty",
            db.display()
        );
        return Exit::Usage;
    }
    let list = match Store::open(db).and_then(|s| crate::takedown::status(&s)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("exposure-audit: {e}");
            return Exit::Failed;
        }
    };
    match format {
        CheckFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&list).expect("register serialises")
        ),
        CheckFormat::Text => {
            if list.is_empty() {
                println!("The takedown register is empty.");
            }
            for s in &list {
                let status = match (s.checked_run, s.still_public_at.is_empty()) {
                    (None, _) => "not checked yet (no audit stored)".to_string(),
                    (Some(run), true) => format!("not seen in run {run}"),
                    (Some(run), false) => format!(
                        "STILL PUBLIC in run {run} at {}",
                        s.still_public_at.join(", ")
                    ),
                };
                let line = format!(
                    "#{} {} ({}), withdrawn {}: {status}",
                    s.entry.id, s.entry.what, s.entry.reason, s.entry.added_at
                );
                println!("{}", escape_controls(&line));
            }
        }
    }
    Exit::Ok
}
