//! `audit`: one run now, with a progress bar on a terminal, and its summary.

use super::*;

pub(super) struct Bar(indicatif::ProgressBar);

impl Progress for Bar {
    fn update(&self, pages: u64, images: u64, errors: u64) {
        self.0
            .set_message(format!("{pages} pages, {images} pictures, {errors} errors"));
        self.0.tick();
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// Off a terminal (cron, systemd, CI): a plain log line at most every 30 s.
pub(super) struct LogLines(std::sync::Mutex<std::time::Instant>);

impl Progress for LogLines {
    fn update(&self, pages: u64, images: u64, errors: u64) {
        let mut last = self.0.lock().expect("progress lock");
        if last.elapsed() >= std::time::Duration::from_secs(30) {
            *last = std::time::Instant::now();
            tracing::info!(pages, pictures = images, errors, "crawling");
        }
    }
}

pub(super) fn progress() -> Arc<dyn Progress> {
    if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Arc::new(Bar(bar))
    } else {
        Arc::new(LogLines(std::sync::Mutex::new(std::time::Instant::now())))
    }
}

pub(super) async fn audit_cmd(config: &Config) -> Exit {
    match crate::audit::run(config, progress()).await {
        Ok(summary) => {
            print!("{}", summary_text(&summary));
            // Deliver this run's alerts (and any left over) now, so that a
            // cron job or systemd timer running `audit` alerts too.
            if let Some(settings) = &config.alerts {
                match Store::open(&config.storage.database) {
                    Ok(store) => {
                        match crate::alerts::deliver_due(&store, settings, chrono::Utc::now()).await {
                            Ok(d) if d.failed > 0 => println!(
                                "alerts: {} sent, {} not delivered (kept; retried by the next run or the daemon)",
                                d.sent, d.failed
                            ),
                            Ok(d) if d.sent > 0 => println!("alerts: {} sent", d.sent),
                            Ok(_) => {}
                            Err(e) => eprintln!("exposure-audit: cannot deliver alerts: {e}"),
                        }
                    }
                    Err(e) => eprintln!("exposure-audit: cannot deliver alerts: {e}"),
                }
            }
            exit_for(summary.status)
        }
        Err(e) => {
            eprintln!("exposure-audit: {e}");
            match e {
                crate::audit::AuditError::Store(
                    crate::store::StoreError::Open { .. }
                    | crate::store::StoreError::Migrate { .. },
                )
                | crate::audit::AuditError::Busy(_) => Exit::Usage,
                crate::audit::AuditError::Store(s) if s.is_locked() => Exit::Usage,
                _ => Exit::Failed,
            }
        }
    }
}

/// The summary printed after a run.
pub fn summary_text(s: &AuditSummary) -> String {
    let n = |r: Risk| s.by_risk.get(&r).copied().unwrap_or(0);
    let c = |k: Change| s.by_change.get(&k).copied().unwrap_or(0);
    let mut out = format!(
        "Run {} {} in {:.1} s: {} pages, {} documents, {} pictures and {} other files fetched, {} fetch errors, {} KiB received\n",
        s.run_id,
        s.status.as_str(),
        s.elapsed.as_secs_f64(),
        s.counts.pages_fetched,
        s.counts.documents_fetched,
        s.counts.images_fetched,
        s.counts.other_fetched,
        s.counts.fetch_errors,
        s.counts.bytes_fetched / 1024
    );
    out.push_str(&format!(
        "Exposures: {} (high {}, medium {}, low {}); new {}, changed {}, unchanged {}, resolved {}\n",
        s.exposures,
        n(Risk::High),
        n(Risk::Medium),
        n(Risk::Low),
        c(Change::New),
        c(Change::Changed),
        c(Change::Unchanged),
        c(Change::Resolved)
    ));
    for (name, why) in &s.failed_sources {
        out.push_str(&format!("Source \"{name}\" not audited: {why}\n"));
    }
    let mut skipped: Vec<_> = s.skipped.iter().filter(|(_, v)| **v > 0).collect();
    skipped.sort();
    for (k, v) in skipped {
        if let Some(what) = k.strip_prefix("document ") {
            // Not a bound: what documents held that is not reported.
            out.push_str(&format!("Documents: {v} {what} left out\n"));
        } else if k.starts_with("documents.") {
            out.push_str(&format!(
                "Limit {k} left {v} document page(s) or picture(s) unread\n"
            ));
        } else {
            out.push_str(&format!("Limit {k} left {v} URL(s) unvisited\n"));
        }
    }
    if let Some(kib) = peak_memory_kib() {
        out.push_str(&format!("Peak memory: {} MiB\n", kib.div_ceil(1024)));
    }
    out
}
