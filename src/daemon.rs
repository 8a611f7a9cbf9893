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
const MAX_NAP: Duration = Duration::from_secs(60);
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
                .map(|t| t.with_timezone(&Utc) < due)
                .unwrap_or(false),
        })
    }

    fn log_next(&self, next: DateTime<Utc>) {
        let tz = self.schedule().map(|s| s.tz).unwrap_or(chrono_tz::UTC);
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
mod tests {
    use super::*;

    /// Wall-clock time that moves with tokio's clock: `base` plus the tokio time
    /// elapsed since creation. Under paused time, it jumps as tokio does.
    pub struct TokioClock {
        base: DateTime<Utc>,
        start: tokio::time::Instant,
    }

    impl TokioClock {
        pub fn starting_at(base: DateTime<Utc>) -> TokioClock {
            TokioClock {
                base,
                start: tokio::time::Instant::now(),
            }
        }
    }

    impl Clock for TokioClock {
        fn now(&self) -> DateTime<Utc> {
            self.base + chrono::Duration::from_std(self.start.elapsed()).expect("elapsed fits")
        }
    }

    use crate::store::RunCounts;
    use chrono::TimeZone;
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    /// An audit that takes `takes` of tokio time, records a run in the store
    /// and honours cancellation.
    struct FakeRunner {
        clock: Arc<TokioClock>,
        takes: Duration,
        started: Arc<Mutex<Vec<DateTime<Utc>>>>,
    }

    /// Closes a run as the real audit does, with one alert in the outbox.
    fn close_with_alert(store: &mut Store, id: i64, stamp: &str) {
        let alert = crate::store::NewAlert {
            channel: "email",
            subject: format!("run {id}"),
            body: format!("run {id} needs attention"),
            payload: String::new(),
        };
        let close = crate::store::RunClose {
            new_exposures: &Default::default(),
            assignments: &[],
            assessed: &[],
            status: RunStatus::Complete,
            counts: RunCounts::default(),
            error: None,
            alerts: std::slice::from_ref(&alert),
        };
        store.close_run(id, &close, stamp).unwrap();
    }

    impl Runner for FakeRunner {
        async fn audit(
            &self,
            config: &Config,
            cancel: CancellationToken,
        ) -> Result<AuditSummary, AuditError> {
            let now = self.clock.now();
            self.started.lock().unwrap().push(now);
            let mut store = Store::open(&config.storage.database)?;
            let stamp = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let id = store.begin_run(&stamp)?;
            let status = tokio::select! {
                () = tokio::time::sleep(self.takes) => RunStatus::Complete,
                () = cancel.cancelled() => RunStatus::Interrupted,
            };
            if status == RunStatus::Complete && config.alerts.is_some() {
                close_with_alert(&mut store, id, &stamp);
            } else {
                store.finish_run(id, status, RunCounts::default(), None, &stamp)?;
            }
            Ok(AuditSummary {
                run_id: id,
                status,
                counts: RunCounts::default(),
                exposures: 0,
                by_risk: HashMap::new(),
                by_change: HashMap::new(),
                failed_sources: Vec::new(),
                skipped: HashMap::new(),
                elapsed: self.takes,
            })
        }
    }

    impl Clock for Arc<TokioClock> {
        fn now(&self) -> DateTime<Utc> {
            self.as_ref().now()
        }
    }

    fn config(dir: &Path, cron: &str) -> (Config, PathBuf) {
        config_with(dir, cron, "")
    }

    fn config_with(dir: &Path, cron: &str, extra: &str) -> (Config, PathBuf) {
        let path = dir.join("config.toml");
        let text = format!(
            "[storage]\ndatabase = \"{}\"\n[[sources]]\nkind = \"website\"\nname = \"s\"\nstart_urls = [\"http://127.0.0.1:9/\"]\n[schedule]\ncron = \"{cron}\"\ntimezone = \"Europe/London\"\n{extra}",
            dir.join("db.sqlite").display()
        );
        std::fs::write(&path, text).unwrap();
        (Config::load(&path).unwrap(), path)
    }

    fn london(t: DateTime<Utc>) -> String {
        t.with_timezone(&chrono_tz::Europe::London)
            .format("%m-%d %H:%M %Z")
            .to_string()
    }

    struct Harness {
        clock: Arc<TokioClock>,
        started: Arc<Mutex<Vec<DateTime<Utc>>>>,
        control: mpsc::Sender<Control>,
        daemon: tokio::task::JoinHandle<Result<DaemonReport, DaemonError>>,
    }

    fn start(config: Config, path: &Path, base: DateTime<Utc>, takes: Duration) -> Harness {
        let clock = Arc::new(TokioClock::starting_at(base));
        let started = Arc::new(Mutex::new(Vec::new()));
        let runner = FakeRunner {
            clock: clock.clone(),
            takes,
            started: started.clone(),
        };
        let (control, rx) = mpsc::channel(4);
        let daemon = Daemon::new(config, path, clock.clone(), runner);
        let daemon = tokio::task::spawn_local(daemon.run(rx));
        Harness {
            clock,
            started,
            control,
            daemon,
        }
    }

    async fn stop(h: Harness) -> DaemonReport {
        h.control.send(Control::Stop).await.unwrap();
        h.daemon.await.unwrap().unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn weekly_and_daily_runs_keep_local_time_across_both_clock_changes() {
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async {
                let dir = tempfile::tempdir().unwrap();
                // Daily at 01:30 London from 20 March to 6 November 2027: the
                // clocks go forward on 28 March (01:30 does not exist) and
                // back on 31 October (01:30 happens twice).
                let (cfg, path) = config(dir.path(), "30 1 * * *");
                let base = Utc.with_ymd_and_hms(2027, 3, 20, 12, 0, 0).unwrap();
                let h = start(cfg, &path, base, Duration::from_secs(600));
                tokio::time::sleep(Duration::from_secs(231 * 86400)).await;
                assert!(h.clock.now() > Utc.with_ymd_and_hms(2027, 11, 6, 0, 0, 0).unwrap());
                let started = h.started.lock().unwrap().clone();
                let report = stop(h).await;
                assert_eq!(report.runs, started);
                assert_eq!(report.skipped, 0);
                let days: Vec<String> = started
                    .iter()
                    .map(|t| {
                        t.with_timezone(&chrono_tz::Europe::London)
                            .format("%F")
                            .to_string()
                    })
                    .collect();
                let mut unique = days.clone();
                unique.dedup();
                assert_eq!(
                    unique.len(),
                    days.len(),
                    "one run a day, even on 31 October"
                );
                assert_eq!(days.len(), 231, "every day from 21 March to 6 November");
                for t in &started {
                    let l = london(*t);
                    if l.starts_with("03-28") {
                        // 01:30 does not exist: the run is at the first minute after the gap.
                        assert_eq!(l, "03-28 02:00 BST");
                    } else {
                        assert!(l.contains(" 01:30 "), "{l}");
                    }
                }
                assert_eq!(london(started[0]), "03-21 01:30 GMT");
                assert!(started.iter().any(|t| london(*t) == "10-31 01:30 BST"));
            })
            .await;
    }

    #[tokio::test(start_paused = true)]
    async fn weekly_monday_run_is_on_mondays_at_three_local_time() {
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async {
                let dir = tempfile::tempdir().unwrap();
                let (cfg, path) = config(dir.path(), "0 3 * * Mon");
                let base = Utc.with_ymd_and_hms(2027, 3, 10, 12, 0, 0).unwrap();
                let h = start(cfg, &path, base, Duration::from_secs(3600));
                tokio::time::sleep(Duration::from_secs(5 * 7 * 86400)).await;
                let started = h.started.lock().unwrap().clone();
                stop(h).await;
                let local: Vec<String> = started.iter().map(|t| london(*t)).collect();
                assert_eq!(
                    local,
                    [
                        "03-15 03:00 GMT",
                        "03-22 03:00 GMT",
                        "03-29 03:00 BST",
                        "04-05 03:00 BST",
                        "04-12 03:00 BST"
                    ]
                );
            })
            .await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_run_that_overlaps_due_times_skips_them_instead_of_queueing() {
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async {
                let dir = tempfile::tempdir().unwrap();
                let (cfg, path) = config(dir.path(), "0 * * * *");
                let base = Utc.with_ymd_and_hms(2027, 1, 4, 9, 30, 0).unwrap();
                // Hourly schedule, each audit takes 150 minutes.
                let h = start(cfg, &path, base, Duration::from_secs(150 * 60));
                tokio::time::sleep(Duration::from_secs(10 * 3600)).await;
                let started = h.started.lock().unwrap().clone();
                let report = stop(h).await;
                let hours: Vec<String> = started
                    .iter()
                    .map(|t| t.format("%H:%M").to_string())
                    .collect();
                // 10:00 runs to 12:30; 11:00 and 12:00 are skipped; next 13:00.
                assert_eq!(hours[..4], ["10:00", "13:00", "16:00", "19:00"]);
                assert!(report.skipped >= 6, "{report:?}");
            })
            .await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_missed_run_is_run_once_at_start_and_not_replayed() {
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async {
                let dir = tempfile::tempdir().unwrap();
                let (cfg, path) = config(dir.path(), "0 3 * * *");
                // The last run was ten days ago; the daemon was down since.
                let store = Store::open(&cfg.storage.database).unwrap();
                let id = store.begin_run("2027-01-01T03:00:00Z").unwrap();
                store
                    .finish_run(
                        id,
                        RunStatus::Complete,
                        RunCounts::default(),
                        None,
                        "2027-01-01T03:20:00Z",
                    )
                    .unwrap();
                drop(store);
                let base = Utc.with_ymd_and_hms(2027, 1, 11, 12, 0, 0).unwrap();
                let h = start(cfg, &path, base, Duration::from_secs(60));
                tokio::time::sleep(Duration::from_secs(2 * 86400)).await;
                let started = h.started.lock().unwrap().clone();
                stop(h).await;
                let at: Vec<String> = started
                    .iter()
                    .map(|t| t.format("%d %H:%M").to_string())
                    .collect();
                assert_eq!(at, ["11 12:00", "12 03:00", "13 03:00"]);
            })
            .await;
    }

    #[tokio::test(start_paused = true)]
    async fn stop_cancels_the_run_in_progress_and_reload_keeps_a_valid_config() {
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async {
                let dir = tempfile::tempdir().unwrap();
                let (cfg, path) = config(dir.path(), "0 3 * * *");
                let base = Utc.with_ymd_and_hms(2027, 1, 11, 2, 0, 0).unwrap();
                let h = start(cfg, &path, base, Duration::from_secs(4 * 3600));
                // An invalid config is refused; the old schedule stays.
                std::fs::write(&path, "[schedule]\ncron = \"61 3 * * *\"\n").unwrap();
                h.control.send(Control::Reload).await.unwrap();
                tokio::time::sleep(Duration::from_secs(3600 + 60)).await;
                assert_eq!(
                    h.started.lock().unwrap().len(),
                    1,
                    "03:00 ran on the old schedule"
                );
                // Mid-run: stop cancels it and the daemon returns.
                let report = stop(h).await;
                assert!(report.interrupted);
                assert_eq!(report.refused_reloads, 1);
                let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
                let runs = store.runs().unwrap();
                assert_eq!(runs.len(), 1);
                assert_eq!(runs[0].status, RunStatus::Interrupted);
            })
            .await;
    }

    /// Counts the messages a real SMTP server accepts, by Message-ID.
    #[derive(Clone)]
    struct Inbox {
        current: Vec<u8>,
        ids: Arc<Mutex<Vec<String>>>,
    }

    impl mailin_embedded::Handler for Inbox {
        fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
            self.current.extend_from_slice(buf);
            Ok(())
        }

        fn data_end(&mut self) -> mailin_embedded::Response {
            let raw = std::mem::take(&mut self.current);
            let id = mail_parser::MessageParser::default()
                .parse(&raw)
                .and_then(|m| m.message_id().map(str::to_string))
                .unwrap_or_default();
            self.ids.lock().unwrap().push(id);
            mailin_embedded::response::OK
        }
    }

    #[tokio::test(start_paused = true)]
    async fn weeks_of_runs_deliver_each_alert_exactly_once_through_an_smtp_outage() {
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async {
                let dir = tempfile::tempdir().unwrap();
                // The mail server is down for the first days.
                let port = std::net::TcpListener::bind("127.0.0.1:0")
                    .unwrap()
                    .local_addr()
                    .unwrap()
                    .port();
                let (cfg, path) = config_with(
                    dir.path(),
                    "0 3 * * *",
                    &format!("[alerts]\nsmtp_url = \"smtp://127.0.0.1:{port}\"\nfrom = \"audit@school.example\"\nto = [\"comms@school.example\"]\n"),
                );
                let db = cfg.storage.database.clone();
                let base = Utc.with_ymd_and_hms(2027, 3, 1, 12, 0, 0).unwrap();
                let h = start(cfg, &path, base, Duration::from_secs(1800));
                tokio::time::sleep(Duration::from_secs(3 * 86400 + 3600)).await;
                let pending = Store::open(&db).unwrap().pending_alerts().unwrap();
                assert_eq!(pending.0, 3, "three runs, three alerts waiting");
                assert!(pending.2.unwrap().contains("SMTP"));

                let ids = Arc::new(Mutex::new(Vec::new()));
                let mut server = mailin_embedded::Server::new(Inbox {
                    current: Vec::new(),
                    ids: ids.clone(),
                });
                server.with_addr(("127.0.0.1", port)).unwrap();
                std::thread::spawn(move || {
                    let _ = server.serve();
                });
                while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                    std::thread::sleep(Duration::from_millis(20));
                }
                // Three more weeks with the server up.
                tokio::time::sleep(Duration::from_secs(21 * 86400)).await;
                let started = h.started.lock().unwrap().clone();
                stop(h).await;

                assert_eq!(started.len(), 24, "a run each day from 2 to 25 March");
                let mut ids = ids.lock().unwrap().clone();
                assert_eq!(ids.len(), started.len(), "one email per run: {ids:?}");
                ids.sort();
                ids.dedup();
                assert_eq!(ids.len(), started.len(), "no email twice");
                assert_eq!(Store::open(&db).unwrap().pending_alerts().unwrap().0, 0);
            })
            .await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_valid_reload_applies_the_new_schedule() {
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async {
                let dir = tempfile::tempdir().unwrap();
                let (cfg, path) = config(dir.path(), "0 3 * * *");
                let base = Utc.with_ymd_and_hms(2027, 1, 11, 1, 0, 0).unwrap();
                let h = start(cfg, &path, base, Duration::from_secs(60));
                config(dir.path(), "0 5 * * *");
                h.control.send(Control::Reload).await.unwrap();
                tokio::time::sleep(Duration::from_secs(86400)).await;
                let started = h.started.lock().unwrap().clone();
                let report = stop(h).await;
                assert_eq!(report.reloads, 1);
                let at: Vec<String> = started
                    .iter()
                    .map(|t| t.format("%d %H:%M").to_string())
                    .collect();
                assert_eq!(at, ["11 05:00"], "03:00 is no longer due");
            })
            .await;
    }
}
