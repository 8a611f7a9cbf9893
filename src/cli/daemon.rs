//! `daemon` and `status`.

use super::*;

pub(super) async fn daemon_cmd(config: Config, path: &Path) -> Exit {
    use crate::daemon::{AuditRunner, Daemon, DaemonError, SystemClock};
    if config.schedule.is_none() {
        eprintln!("exposure-audit: {}", DaemonError::NoSchedule);
        return Exit::Usage;
    }
    // Held until the daemon stops: `status` reads it, a second daemon is refused.
    let _daemon_lock = match crate::audit::DaemonLock::acquire(&config.storage.database) {
        Ok(lock) => lock,
        Err(e) => {
            eprintln!("exposure-audit: {e}");
            return Exit::Usage;
        }
    };
    let control = match crate::daemon::signals() {
        Ok(rx) => rx,
        Err(e) => {
            eprintln!("exposure-audit: cannot listen for signals: {e}");
            return Exit::Failed;
        }
    };
    tracing::info!(config = %path.display(), "daemon started");
    match Daemon::new(config, path, SystemClock, AuditRunner)
        .run(control)
        .await
    {
        Ok(report) => {
            tracing::info!(runs = report.runs.len(), "daemon stopped");
            Exit::Ok
        }
        Err(e) => {
            eprintln!("exposure-audit: {e}");
            match e {
                DaemonError::Store(_) => Exit::Failed,
                _ => Exit::Usage,
            }
        }
    }
}

pub(super) fn status_cmd(config: &Config) -> Exit {
    let now = chrono::Utc::now();
    match &config.schedule {
        Some(s) => match crate::daemon::next_due(s, now) {
            Some(next) => println!(
                "schedule:       {} ({}): next audit {}",
                s.cron,
                s.timezone,
                next.with_timezone(&s.tz).format("%a %Y-%m-%d %H:%M %Z")
            ),
            None => println!(
                "schedule:       {} ({}): never falls due",
                s.cron, s.timezone
            ),
        },
        None => println!("schedule:       none ([schedule] is not set; the daemon will not start)"),
    }
    let db = &config.storage.database;
    if crate::audit::DaemonLock::is_held(db) {
        println!("daemon:         running (it holds this database)");
    } else {
        println!("daemon:         not running on this database");
    }
    if !db.exists() {
        println!("last run:       none (no database at {})", db.display());
        println!("alerts pending: 0");
        return Exit::Ok;
    }
    let store = match Store::open(db) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("exposure-audit: {e}");
            return Exit::Usage;
        }
    };
    let result = store
        .runs()
        .and_then(|runs| Ok((runs, store.pending_alerts()?)));
    match result {
        Ok((runs, (pending, next, last_error))) => {
            match runs.first() {
                Some(r) => println!(
                    "last run:       {} started {}, {}: {} pages, {} pictures, {} fetch errors",
                    r.id,
                    r.started_at,
                    r.status.as_str(),
                    r.pages_fetched,
                    r.images_fetched,
                    r.fetch_errors
                ),
                None => println!("last run:       none"),
            }
            match (pending, next) {
                (0, _) => println!("alerts pending: 0"),
                (n, Some(next)) => println!("alerts pending: {n}, next attempt {next}"),
                (n, None) => println!("alerts pending: {n}"),
            }
            if let (true, Some(e)) = (pending > 0, last_error) {
                println!("last delivery error: {e}");
            }
            Exit::Ok
        }
        Err(e) => {
            eprintln!("exposure-audit: {e}");
            Exit::Failed
        }
    }
}
