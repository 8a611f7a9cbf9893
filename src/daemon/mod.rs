//! The scheduled daemon: runs audits on `[schedule] cron` in its time zone,
//! one at a time, delivers alerts from the outbox, reloads its config on
//! request and stops cleanly.
//!
//! The loop only knows time through a [`Clock`] and audits through a
//! [`Runner`], so the tests (with a clock that follows tokio's paused
//! time) drive it through weeks of paused time and a
//! clock change without waiting. Signals arrive as [`Control`] messages
//! (see [`signals`]).
//!
//! Rules:
//! - A run that falls due while another is in progress is skipped and
//!   logged, never queued.
//! - After downtime, a missed run is run once at start (when the last
//!   finished run started before the latest due time), not replayed.
//! - Stop: no new work, the run in progress is cancelled (fetches dropped,
//!   what was analysed already committed, the run marked interrupted), and
//!   the daemon returns within [`SHUTDOWN_GRACE`].
//! - Reload: the new config is validated first; an invalid one is refused
//!   with a log line and the old one kept. A reload during a run is applied
//!   when the run ends.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::audit::{AuditError, AuditSummary};
use crate::config::{Config, ScheduleSettings};
use crate::store::{RunStatus, Store, StoreError};

/// Longest sleep between two looks at the clock, so a changed system clock
/// or a due alert retry is noticed.
const MAX_NAP: Duration = Duration::from_mins(1);
/// How long a cancelled run may take to close before the daemon exits anyway.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// What the daemon is told from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// SIGTERM or SIGINT.
    Stop,
    /// SIGHUP.
    Reload,
}

/// Wall-clock time as the schedule sees it.
pub trait Clock {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Carries out one audit.
pub trait Runner {
    fn audit(
        &self,
        config: &Config,
        cancel: CancellationToken,
    ) -> impl Future<Output = Result<AuditSummary, AuditError>>;
}

/// The real audit, with progress as log lines.
pub struct AuditRunner;

impl Runner for AuditRunner {
    fn audit(
        &self,
        config: &Config,
        cancel: CancellationToken,
    ) -> impl Future<Output = Result<AuditSummary, AuditError>> {
        crate::audit::run_until(config, std::sync::Arc::new(crate::crawl::Quiet), cancel)
    }
}

/// The next time the schedule falls due strictly after `after`.
pub fn next_due(schedule: &ScheduleSettings, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let local = after.with_timezone(&schedule.tz);
    schedule
        .pattern
        .find_next_occurrence(&local, false)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The latest time the schedule fell due at or before `at`.
pub fn last_due(schedule: &ScheduleSettings, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let local = at.with_timezone(&schedule.tz);
    schedule
        .pattern
        .find_previous_occurrence(&local, true)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Why the daemon cannot start.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("the config has no [schedule] section: the daemon needs `schedule.cron` (for example \"0 3 * * Mon\")")]
    NoSchedule,
    #[error("`schedule.cron` = \"{0}\" never falls due")]
    NeverDue(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a daemon did before it stopped (for logs and tests).
#[derive(Debug, Default, Clone)]
pub struct DaemonReport {
    /// When each audit started, by the daemon's clock.
    pub runs: Vec<DateTime<Utc>>,
    /// Due times passed while a run was in progress, skipped.
    pub skipped: usize,
    /// Config reloads applied and refused.
    pub reloads: usize,
    pub refused_reloads: usize,
    /// The last run was cancelled by the stop.
    pub interrupted: bool,
}

pub struct Daemon<C: Clock, R: Runner> {
    config: Config,
    config_path: PathBuf,
    clock: C,
    runner: R,
    /// When the earliest undelivered alert is due, as the outbox says.
    alerts_due: Option<DateTime<Utc>>,
}

impl<C: Clock, R: Runner> Daemon<C, R> {
    pub fn new(config: Config, config_path: &Path, clock: C, runner: R) -> Self {
        Daemon {
            config,
            config_path: config_path.to_path_buf(),
            clock,
            runner,
            alerts_due: None,
        }
    }

    fn schedule(&self) -> Result<&ScheduleSettings, DaemonError> {
        self.config.schedule.as_ref().ok_or(DaemonError::NoSchedule)
    }

    fn next_after(&self, t: DateTime<Utc>) -> Result<DateTime<Utc>, DaemonError> {
        let s = self.schedule()?;
        next_due(s, t).ok_or_else(|| DaemonError::NeverDue(s.cron.clone()))
    }

    /// Whether a due time passed while nothing ran: the last run that ended
    /// (not interrupted) started before the latest due time.
    fn missed_run(&self, now: DateTime<Utc>) -> Result<bool, DaemonError> {
        let Some(due) = last_due(self.schedule()?, now) else {
            return Ok(false);
        };
        let store = Store::open(&self.config.storage.database)?;
        let last = store
            .runs()?
            .into_iter()
            .find(|r| !matches!(r.status, RunStatus::Interrupted | RunStatus::Running));
        Ok(match last {
            None => false,
            Some(r) => DateTime::parse_from_rfc3339(&r.started_at)
                .is_ok_and(|t| t.with_timezone(&Utc) < due),
        })
    }

    fn log_next(&self, next: DateTime<Utc>) {
        let tz = self.schedule().map_or(chrono_tz::UTC, |s| s.tz);
        tracing::info!(
            next = %next.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z"),
            "next audit scheduled"
        );
    }

    fn reload(&mut self, report: &mut DaemonReport) {
        match Config::load(&self.config_path) {
            Ok(c) if c.schedule.is_none() => {
                tracing::error!(
                    path = %self.config_path.display(),
                    "new config refused: it has no [schedule] section; keeping the old one"
                );
                report.refused_reloads += 1;
            }
            Ok(c) => {
                self.config = c;
                report.reloads += 1;
                tracing::info!(path = %self.config_path.display(), "config reloaded");
            }
            Err(e) => {
                tracing::error!(error = %e, "new config refused; keeping the old one");
                report.refused_reloads += 1;
            }
        }
    }

    /// Applies retention (`storage.keep_runs`) after a run.
    async fn purge(&self) {
        let db = self.config.storage.database.clone();
        let keep = self.config.storage.keep_runs;
        let now = self
            .clock
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let result = tokio::task::spawn_blocking(move || Store::open(&db)?.purge(keep, &now)).await;
        match result {
            Ok(Ok(c)) if c.runs > 0 => tracing::info!(
                runs = c.runs,
                sightings = c.sightings,
                keep_runs = keep,
                "purged old runs"
            ),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "cannot purge old runs"),
            Err(e) => tracing::error!(error = %e, "purge stopped"),
        }
    }

    /// Reads when the earliest undelivered alert is due.
    fn refresh_alerts_due(&mut self) {
        if self.config.alerts.is_none() {
            self.alerts_due = None;
            return;
        }
        self.alerts_due = Store::open(&self.config.storage.database)
            .and_then(|s| s.pending_alerts())
            .map_err(|e| tracing::error!(error = %e, "cannot read the alert outbox"))
            .ok()
            .and_then(|(_, next, _)| next)
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&Utc));
    }

    /// Delivers the alerts that are due. SQLite is blocking, so the pass
    /// runs on a blocking thread with its own small runtime for the network.
    async fn deliver_alerts(&mut self) {
        let Some(settings) = self.config.alerts.clone() else {
            return;
        };
        let now = self.clock.now();
        if self.alerts_due.is_none_or(|t| t > now) {
            return;
        }
        let db = self.config.storage.database.clone();
        let pass = tokio::task::spawn_blocking(move || -> Result<(), String> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            let store = Store::open(&db).map_err(|e| e.to_string())?;
            rt.block_on(crate::alerts::deliver_due(&store, &settings, now))
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
        .await;
        match pass {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "cannot deliver alerts"),
            Err(e) => tracing::error!(error = %e, "alert delivery stopped"),
        }
        self.refresh_alerts_due();
    }

    /// Runs until told to stop (or the control channel closes).
    pub async fn run(
        mut self,
        mut control: mpsc::Receiver<Control>,
    ) -> Result<DaemonReport, DaemonError> {
        let mut report = DaemonReport::default();
        let now = self.clock.now();
        let mut due = if self.missed_run(now)? {
            tracing::info!(
                "a scheduled audit was missed while the daemon was down; running it now"
            );
            now
        } else {
            self.next_after(now)?
        };
        self.log_next(due);
        self.refresh_alerts_due();
        loop {
            self.deliver_alerts().await;
            let now = self.clock.now();
            if now >= due {
                let (stopped, reload) = self.run_once(&mut control, &mut report).await;
                if stopped {
                    return Ok(report);
                }
                if reload {
                    self.reload(&mut report);
                }
                self.purge().await;
                self.refresh_alerts_due();
                self.deliver_alerts().await;
                let after = self.clock.now();
                let mut next = self.next_after(due)?;
                let mut skipped = 0;
                while next <= after {
                    skipped += 1;
                    next = self.next_after(next)?;
                }
                if skipped > 0 {
                    tracing::warn!(
                        skipped,
                        "scheduled audits fell due while one was running; skipped, not queued"
                    );
                    report.skipped += skipped;
                }
                due = next;
                self.log_next(due);
                continue;
            }
            let wake = self.alerts_due.map_or(due, |a| a.min(due));
            let nap = (wake - now).to_std().unwrap_or_default().min(MAX_NAP);
            tokio::select! {
                () = tokio::time::sleep(nap) => {}
                c = control.recv() => match c {
                    Some(Control::Reload) => {
                        self.reload(&mut report);
                        self.refresh_alerts_due();
                        due = self.next_after(self.clock.now())?;
                        self.log_next(due);
                    }
                    Some(Control::Stop) | None => {
                        tracing::info!("stopping");
                        return Ok(report);
                    }
                },
            }
        }
    }

    /// One audit, watching for control messages. Returns (stopped, reload wanted).
    async fn run_once(
        &mut self,
        control: &mut mpsc::Receiver<Control>,
        report: &mut DaemonReport,
    ) -> (bool, bool) {
        report.runs.push(self.clock.now());
        tracing::info!("scheduled audit starting");
        let cancel = CancellationToken::new();
        let audit = self.runner.audit(&self.config, cancel.clone());
        tokio::pin!(audit);
        let mut stop_by: Option<tokio::time::Instant> = None;
        let mut reload = false;
        let result = loop {
            tokio::select! {
                r = &mut audit => break Some(r),
                c = control.recv(), if stop_by.is_none() => match c {
                    Some(Control::Reload) => {
                        tracing::info!("config reload requested; applying it when this audit ends");
                        reload = true;
                    }
                    Some(Control::Stop) | None => {
                        tracing::info!("stopping: cancelling the audit in progress");
                        cancel.cancel();
                        stop_by = Some(tokio::time::Instant::now() + SHUTDOWN_GRACE);
                    }
                },
                () = async {
                    match stop_by {
                        Some(t) => tokio::time::sleep_until(t).await,
                        None => std::future::pending().await,
                    }
                } => break None,
            }
        };
        match result {
            Some(Ok(s)) => {
                report.interrupted = s.status == RunStatus::Interrupted;
                tracing::info!(
                    run = s.run_id,
                    status = s.status.as_str(),
                    exposures = s.exposures,
                    "scheduled audit ended"
                );
            }
            Some(Err(AuditError::Busy(db))) => {
                tracing::warn!(database = %db, "another audit holds the database; this scheduled audit is skipped");
            }
            Some(Err(e)) => tracing::error!(error = %e, "scheduled audit failed"),
            None => {
                report.interrupted = true;
                tracing::error!(
                    grace_secs = SHUTDOWN_GRACE.as_secs(),
                    "the cancelled audit did not close in time; it will be marked interrupted at the next start"
                );
            }
        }
        (stop_by.is_some(), reload)
    }
}

/// Turns SIGTERM and SIGINT into [`Control::Stop`] and SIGHUP into
/// [`Control::Reload`].
#[cfg(unix)]
pub fn signals() -> std::io::Result<mpsc::Receiver<Control>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    let (tx, rx) = mpsc::channel(8);
    tokio::spawn(async move {
        loop {
            let c = tokio::select! {
                _ = term.recv() => Control::Stop,
                _ = int.recv() => Control::Stop,
                _ = hup.recv() => Control::Reload,
            };
            if tx.send(c).await.is_err() {
                break;
            }
        }
    });
    Ok(rx)
}

#[cfg(test)]
mod tests;
