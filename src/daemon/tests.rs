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
        new_exposures: &crate::model::ExposureList::default(),
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
            let h = start(cfg, &path, base, Duration::from_mins(10));
            tokio::time::sleep(Duration::from_hours(5544)).await;
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
            let h = start(cfg, &path, base, Duration::from_hours(1));
            tokio::time::sleep(Duration::from_hours(840)).await;
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
            let h = start(cfg, &path, base, Duration::from_mins(150));
            tokio::time::sleep(Duration::from_hours(10)).await;
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
            let h = start(cfg, &path, base, Duration::from_mins(1));
            tokio::time::sleep(Duration::from_hours(48)).await;
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
            let h = start(cfg, &path, base, Duration::from_hours(4));
            // An invalid config is refused; the old schedule stays.
            std::fs::write(&path, "[schedule]\ncron = \"61 3 * * *\"\n").unwrap();
            h.control.send(Control::Reload).await.unwrap();
            tokio::time::sleep(Duration::from_mins(61)).await;
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
            let h = start(cfg, &path, base, Duration::from_mins(30));
            tokio::time::sleep(Duration::from_hours(73)).await;
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
            tokio::time::sleep(Duration::from_hours(504)).await;
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
            let h = start(cfg, &path, base, Duration::from_mins(1));
            config(dir.path(), "0 5 * * *");
            h.control.send(Control::Reload).await.unwrap();
            tokio::time::sleep(Duration::from_hours(24)).await;
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
