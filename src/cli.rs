//! The command line (CONTRACT.md): argument parsing, the commands as
//! functions a test can call, and the exit-code mapping. Prints for people;
//! the work is in the library modules.

use std::io::{IsTerminal, Write};

use crate::printable::escape_controls;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};

use crate::audit::{self, AuditSummary};
use crate::config::{defaults, Config, SourceKind};
use crate::crawl::Progress;
use crate::model::{Change, Risk};
use crate::report;
use crate::store::{RunStatus, Store};

/// Exit codes of CONTRACT.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The command did what was asked; an audit run is complete.
    Ok = 0,
    /// The run failed, or an unexpected error stopped the command.
    Failed = 1,
    /// Bad config, arguments or database, or no such run: the message says what to fix.
    Usage = 2,
    /// The audit finished but some fetches failed.
    Partial = 3,
    /// `check-photo`: the picture is not fine to post under the policy.
    Unsafe = 4,
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e as u8)
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "exposure-audit",
    version,
    about = "Shows a school what a web scraper can take from its public presence"
)]
pub struct Args {
    /// Config file.
    #[arg(long, global = true, default_value = defaults::CONFIG_PATH)]
    pub config: PathBuf,
    /// More log output (-v debug, -vv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one audit now over every configured source and print a summary.
    Audit,
    /// Print the exposure report of a stored run.
    Report {
        /// Run id, or "latest" (the latest complete or partial run).
        #[arg(long, default_value = "latest")]
        run: String,
        /// Compare with this run instead of the run before it.
        #[arg(long)]
        against: Option<i64>,
        /// HTML only: embed small blurred thumbnails (also `report.thumbnails`).
        #[arg(long)]
        thumbnails: bool,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// Write to this file (created private to the user) instead of stdout.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Validate the config and say what would be audited.
    CheckConfig,
    /// Serve the bundled demo school website on 127.0.0.1, audit it, and write reports.
    Demo {
        /// Folder for the demo database and reports.
        #[arg(long, default_value = "demo-output")]
        output: PathBuf,
    },
    /// Check a picture before posting it: metadata, faces, names in the caption,
    /// size, and copies already public with names. Exit 0 fine to post, 4 not.
    CheckPhoto {
        /// The picture file.
        file: PathBuf,
        /// The caption it would be posted with.
        #[arg(long)]
        caption: Option<String>,
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
    },
    /// Does this picture derive from anything the school published? Every
    /// matching exposure across all runs, with where, when and what details.
    Lookup {
        /// The picture (for instance one received in an incident).
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
        /// Also write the evidence (lookup.json with the stored analyses) to this folder.
        #[arg(long)]
        export: Option<PathBuf>,
    },
    /// Add a picture that must not be public to the takedown register: every
    /// later run flags any copy of it as high risk.
    Withdraw {
        /// The picture file, or a picture address an audit fetched.
        target: String,
        /// Why (kept in the register), e.g. "consent withdrawn".
        #[arg(long)]
        reason: String,
    },
    /// List the takedown register and where each picture is still public.
    Withdrawn {
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
    },
    /// List stored runs with their status and counts, newest first.
    Runs,
    /// Run audits on the configured schedule until SIGTERM or SIGINT; SIGHUP
    /// reloads the config. Delivers alerts.
    Daemon,
    /// The next scheduled audit, the last run and its result, alerts pending.
    Status,
    /// Add a name to the do-not-publish list: any picture shown with it is
    /// flagged (reason protected_name). Only a salted hash of the name is
    /// stored. Give `-` to read names from standard input, one per line
    /// (keeps them out of the shell history).
    ProtectName {
        name: String,
        /// Take the name off the list.
        #[arg(long)]
        remove: bool,
    },
    /// Purge the sightings and details of runs older than the newest
    /// `storage.keep_runs` (the daemon does it after each run).
    Purge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Json,
    Csv,
    Html,
}

/// Starts tracing on stderr: human-readable, or one JSON object per line
/// with `[logging] format = "json"`; RUST_LOG overrides the level.
pub fn init_tracing(verbose: u8, format: crate::config::LogFormat) {
    let default = match verbose {
        0 => "exposure_audit=info,warn",
        1 => "exposure_audit=debug,info",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = match format {
        crate::config::LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        crate::config::LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
    };
}

/// Runs a parsed command line.
pub async fn run(args: Args) -> Exit {
    match args.command {
        Command::Audit => match load(&args.config) {
            Ok(config) => audit_cmd(&config).await,
            Err(e) => e,
        },
        Command::Report {
            run,
            against,
            thumbnails,
            format,
            output,
        } => match load(&args.config) {
            Ok(config) => report_cmd(
                &config.storage.database,
                &run,
                against,
                (format, thumbnails || config.report.thumbnails),
                output.as_deref(),
            ),
            Err(e) => e,
        },
        Command::ProtectName { name, remove } => match load(&args.config) {
            Ok(config) => protect_name_cmd(&config, &name, remove),
            Err(e) => e,
        },
        Command::Purge => match load(&args.config) {
            Ok(config) => purge_cmd(&config),
            Err(e) => e,
        },
        Command::CheckConfig => match load(&args.config) {
            Ok(config) => {
                print!("{}", describe(&config));
                for w in privacy_warnings(&config, &args.config) {
                    println!("warning: {w}");
                }
                Exit::Ok
            }
            Err(e) => e,
        },
        Command::Demo { output } => demo_cmd(&output).await,
        Command::Runs => match load(&args.config) {
            Ok(config) => runs_cmd(&config),
            Err(e) => e,
        },
        Command::Withdraw { target, reason } => match load(&args.config) {
            Ok(config) => withdraw_cmd(&config, &target, &reason),
            Err(e) => e,
        },
        Command::Withdrawn { format } => match load(&args.config) {
            Ok(config) => withdrawn_cmd(&config, format),
            Err(e) => e,
        },
        Command::Lookup {
            file,
            format,
            export,
        } => match load(&args.config) {
            Ok(config) => lookup_cmd(&config, &file, format, export.as_deref()),
            Err(e) => e,
        },
        Command::CheckPhoto {
            file,
            caption,
            format,
        } => match load(&args.config) {
            Ok(config) => check_photo_cmd(&config, &file, caption.as_deref(), format),
            Err(e) => e,
        },
        Command::Daemon => match load(&args.config) {
            Ok(config) => daemon_cmd(config, &args.config).await,
            Err(e) => e,
        },
        Command::Status => match load(&args.config) {
            Ok(config) => status_cmd(&config),
            Err(e) => e,
        },
    }
}

fn lookup_cmd(config: &Config, file: &Path, format: CheckFormat, export: Option<&Path>) -> Exit {
    let db = &config.storage.database;
    if !db.exists() {
        eprintln!(
            "exposure-audit: no database at {}: nothing has been audited to look up",
            db.display()
        );
        return Exit::Usage;
    }
    let result = Store::open(db)
        .map_err(crate::lookup::LookupError::from)
        .and_then(|store| {
            let c = &config.crawl;
            crate::lookup::lookup(&store, file, c.max_image_pixels, c.max_image_bytes)
        });
    let l = match result {
        Ok(l) => l,
        Err(e) => {
            eprintln!("exposure-audit: {e}");
            return match e {
                crate::lookup::LookupError::Store(_) => Exit::Failed,
                _ => Exit::Usage,
            };
        }
    };
    let json = serde_json::to_string_pretty(&l).expect("lookup serialises");
    match format {
        CheckFormat::Text => print!("{}", escape_controls(&crate::lookup::render_text(&l))),
        CheckFormat::Json => println!("{json}"),
    }
    if let Some(dir) = export {
        let path = dir.join("lookup.json");
        if let Err(e) = crate::private_file::write_private(&path, json.as_bytes()) {
            eprintln!("exposure-audit: cannot write {}: {e}", path.display());
            return Exit::Failed;
        }
        eprintln!("evidence written to {}", path.display());
    }
    Exit::Ok
}

async fn daemon_cmd(config: Config, path: &Path) -> Exit {
    use crate::daemon::{AuditRunner, Daemon, DaemonError, SystemClock};
    if config.schedule.is_none() {
        eprintln!("exposure-audit: {}", DaemonError::NoSchedule);
        return Exit::Usage;
    }
    // Held until the daemon stops: `status` reads it, a second daemon is refused.
    let _daemon_lock = match audit::DaemonLock::acquire(&config.storage.database) {
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

fn status_cmd(config: &Config) -> Exit {
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
    if audit::DaemonLock::is_held(db) {
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

fn runs_cmd(config: &Config) -> Exit {
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

fn withdraw_cmd(config: &Config, target: &str, reason: &str) -> Exit {
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
                &audit::now(),
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

fn protect_name_cmd(config: &Config, name: &str, remove: bool) -> Exit {
    use std::io::BufRead;
    let names: Vec<String> = if name == "-" {
        std::io::stdin()
            .lock()
            .lines()
            .map_while(Result::ok)
            .filter(|l| !l.trim().is_empty())
            .collect()
    } else {
        vec![name.to_string()]
    };
    let store = match Store::open_for_edit(&config.storage.database) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("exposure-audit: {e}");
            return Exit::Usage;
        }
    };
    let (mut changed, mut unchanged) = (0, 0);
    for n in &names {
        let result = if remove {
            crate::protect::unprotect(&store, n)
        } else {
            crate::protect::protect(&store, n, &audit::now())
        };
        match result {
            Ok(true) => changed += 1,
            Ok(false) => unchanged += 1,
            Err(e) => {
                eprintln!("exposure-audit: {e}");
                return match e {
                    crate::protect::ProtectError::Empty => Exit::Usage,
                    crate::protect::ProtectError::Store(_) => Exit::Failed,
                };
            }
        }
    }
    // The names themselves are not echoed: they may be in a terminal log.
    if remove {
        println!("{changed} name(s) taken off the do-not-publish list; {unchanged} were not on it");
    } else {
        println!(
            "{changed} name(s) added to the do-not-publish list (stored as salted hashes); {unchanged} were on it already"
        );
    }
    Exit::Ok
}

fn purge_cmd(config: &Config) -> Exit {
    let db = &config.storage.database;
    if !db.exists() {
        eprintln!("exposure-audit: no database at {}", db.display());
        return Exit::Usage;
    }
    match Store::open_for_edit(db)
        .and_then(|mut s| s.purge(config.storage.keep_runs, &audit::now()))
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

fn withdrawn_cmd(config: &Config, format: CheckFormat) -> Exit {
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

fn check_photo_cmd(
    config: &Config,
    file: &Path,
    caption: Option<&str>,
    format: CheckFormat,
) -> Exit {
    match crate::check_photo::check(config, file, caption) {
        Ok(v) => {
            match format {
                CheckFormat::Text => {
                    print!("{}", escape_controls(&crate::check_photo::render_text(&v)));
                }
                CheckFormat::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&v).expect("verdict serialises")
                ),
            }
            if v.safe_to_post {
                Exit::Ok
            } else {
                Exit::Unsafe
            }
        }
        Err(e) => {
            eprintln!("exposure-audit: {e}");
            match e {
                crate::check_photo::CheckError::Store(_) => Exit::Failed,
                _ => Exit::Usage,
            }
        }
    }
}

fn load(path: &Path) -> Result<Config, Exit> {
    Config::load(path).map_err(|e| {
        eprintln!("exposure-audit: {e}");
        Exit::Usage
    })
}

/// What `check-config` prints: what would be audited, and how.
pub fn describe(config: &Config) -> String {
    let mut s = String::from("config is valid\n");
    s.push_str(&format!(
        "database: {}\n",
        config.storage.database.display()
    ));
    let c = &config.crawl;
    s.push_str(&format!(
        "crawl: up to {} pages per source, depth {}, {} requests in flight, {} ms between requests to one host, robots {:?}\n",
        c.max_pages,
        c.max_depth,
        c.concurrency,
        c.per_host_delay.as_millis(),
        c.robots
    ));
    for src in &config.sources {
        let what = match &src.kind {
            SourceKind::Website {
                start_urls,
                allowed_hosts,
            } => format!(
                "from {} on {}",
                start_urls
                    .iter()
                    .map(|u| u.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                allowed_hosts.join(", ")
            ),
            SourceKind::Feed { url } | SourceKind::Page { url } => url.to_string(),
            SourceKind::Mastodon { base_url, account }
            | SourceKind::Bluesky { base_url, account } => format!(
                "{account} at {base_url}, up to {} pages of posts{}",
                src.api.max_pages,
                src.api
                    .since
                    .map(|d| format!(" since {d}"))
                    .unwrap_or_default()
            ),
            SourceKind::FacebookPage {
                page_id: id,
                token_env,
                base_url,
            }
            | SourceKind::Instagram {
                account_id: id,
                token_env,
                base_url,
            } => {
                let token = if std::env::var_os(token_env).is_some() {
                    "set"
                } else {
                    "NOT SET in this environment"
                };
                format!(
                    "{id} at {base_url}, token from ${token_env} ({token}), up to {} pages of posts{}",
                    src.api.max_pages,
                    src.api.since.map(|d| format!(" since {d}")).unwrap_or_default()
                )
            }
        };
        s.push_str(&format!(
            "source \"{}\" ({}): {what}\n",
            src.name,
            src.kind.label()
        ));
    }
    if config.sources.is_empty() {
        s.push_str("warning: no [[sources]]: an audit would have nothing to look at\n");
    }
    if let Some(a) = &config.alerts {
        let mut channels = Vec::new();
        if a.smtp_url.is_some() {
            channels.push(format!("email to {} recipient(s)", a.to.len()));
            let user = a
                .smtp_url
                .as_deref()
                .and_then(|u| url::Url::parse(u).ok())
                .is_some_and(|u| !u.username().is_empty());
            let has_password = std::env::var_os(crate::alerts::SMTP_PASSWORD_ENV).is_some()
                || std::env::var_os(crate::alerts::SMTP_PASSWORD_FILE_ENV).is_some();
            if user && !has_password {
                s.push_str(&format!(
                    "warning: alerts.smtp_url names a user but neither {} nor {} is set in this environment\n",
                    crate::alerts::SMTP_PASSWORD_ENV,
                    crate::alerts::SMTP_PASSWORD_FILE_ENV
                ));
            }
        }
        if let Some(var) = &a.webhook_url_env {
            channels.push(format!("webhook from ${var}"));
            if std::env::var_os(var).is_none() {
                s.push_str(&format!(
                    "warning: alerts.webhook_url_env names {var}, which is not set in this environment\n"
                ));
            }
        }
        s.push_str(&format!(
            "alerts: {} at risk {} and above, {}\n",
            channels.join(" and "),
            a.min_risk.as_str(),
            if a.include_details {
                "with names and other details (include_details = true)"
            } else {
                "without personal details"
            }
        ));
    }
    if let Some(sch) = &config.schedule {
        let next = crate::daemon::next_due(sch, chrono::Utc::now())
            .map(|t| {
                t.with_timezone(&sch.tz)
                    .format("%a %Y-%m-%d %H:%M %Z")
                    .to_string()
            })
            .unwrap_or_else(|| "never".into());
        s.push_str(&format!(
            "schedule: \"{}\" in {}: next audit {next}\n",
            sch.cron, sch.timezone
        ));
    }
    s
}

/// What `check-config` warns about the auditor's own data protection: a
/// database others can read, a config file others can change, and values
/// that look like secrets written into the config.
pub fn privacy_warnings(config: &Config, config_path: &Path) -> Vec<String> {
    let mut out = Vec::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| {
            std::fs::metadata(p)
                .ok()
                .map(|m| m.permissions().mode() & 0o777)
        };
        let db = &config.storage.database;
        if let Some(m) = mode(db).filter(|m| m & 0o077 != 0) {
            out.push(format!(
                "the database {} can be read by other users (mode {m:o}); it holds children's personal data: chmod 600 it",
                db.display()
            ));
        }
        let dir = db
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if db.exists() {
            if let Some(m) = mode(dir).filter(|m| m & 0o007 != 0) {
                out.push(format!(
                    "the database's folder {} is open to all users (mode {m:o}): chmod 700 it",
                    dir.display()
                ));
            }
        }
        if let Some(m) = mode(config_path).filter(|m| m & 0o022 != 0) {
            out.push(format!(
                "the config file {} can be changed by other users (mode {m:o}): chmod go-w it",
                config_path.display()
            ));
        }
    }
    let text = std::fs::read_to_string(config_path).unwrap_or_default();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim().trim_matches('"'));
        let looks_like_token = value.len() >= 32
            && !value.contains(['/', ':', ' ', '.'])
            && value.chars().any(|c| c.is_ascii_lowercase())
            && value.chars().any(|c| c.is_ascii_uppercase())
            && value.chars().any(|c| c.is_ascii_digit());
        let webhook = [
            "hooks.slack.com",
            "webhook.office.com",
            "discord.com/api/webhooks",
        ]
        .iter()
        .any(|h| value.contains(h));
        if (key.ends_with("_env") && looks_like_token) || webhook {
            out.push(format!(
                "line {} (`{key}`) looks like a secret written into the config: put it in an environment variable and name the variable here",
                n + 1
            ));
        }
    }
    out
}

struct Bar(indicatif::ProgressBar);

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
struct LogLines(std::sync::Mutex<std::time::Instant>);

impl Progress for LogLines {
    fn update(&self, pages: u64, images: u64, errors: u64) {
        let mut last = self.0.lock().expect("progress lock");
        if last.elapsed() >= std::time::Duration::from_secs(30) {
            *last = std::time::Instant::now();
            tracing::info!(pages, pictures = images, errors, "crawling");
        }
    }
}

fn progress() -> Arc<dyn Progress> {
    if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Arc::new(Bar(bar))
    } else {
        Arc::new(LogLines(std::sync::Mutex::new(std::time::Instant::now())))
    }
}

async fn audit_cmd(config: &Config) -> Exit {
    match audit::run(config, progress()).await {
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
                audit::AuditError::Store(
                    crate::store::StoreError::Open { .. }
                    | crate::store::StoreError::Migrate { .. },
                )
                | audit::AuditError::Busy(_) => Exit::Usage,
                audit::AuditError::Store(s) if s.is_locked() => Exit::Usage,
                _ => Exit::Failed,
            }
        }
    }
}

fn exit_for(status: RunStatus) -> Exit {
    match status {
        RunStatus::Complete => Exit::Ok,
        RunStatus::Partial => Exit::Partial,
        _ => Exit::Failed,
    }
}

/// The summary printed after a run.
pub fn summary_text(s: &AuditSummary) -> String {
    let n = |r: Risk| s.by_risk.get(&r).copied().unwrap_or(0);
    let c = |k: Change| s.by_change.get(&k).copied().unwrap_or(0);
    let mut out = format!(
        "Run {} {} in {:.1} s: {} pages and {} pictures fetched, {} fetch errors, {} KiB received\n",
        s.run_id,
        s.status.as_str(),
        s.elapsed.as_secs_f64(),
        s.counts.pages_fetched,
        s.counts.images_fetched,
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
        out.push_str(&format!("Limit {k} left {v} URL(s) unvisited\n"));
    }
    if let Some(kib) = peak_memory_kib() {
        out.push_str(&format!("Peak memory: {} MiB\n", kib.div_ceil(1024)));
    }
    out
}

/// This process's peak resident memory (Linux's VmHWM), if known.
pub fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Renders the report of a stored run.
pub fn render_report(db: &Path, run: &str, format: Format) -> Result<String, (Exit, String)> {
    let mut out = Vec::new();
    write_report(db, run, None, (format, false), &mut out)?;
    Ok(String::from_utf8(out).expect("reports are UTF-8"))
}

/// Writes the report of a stored run ("latest" or an id) to `out`, compared
/// with `against` or else the run before it. The exposures are read from
/// the store as they are written: against the run before, a batch or two
/// ahead on a thread of their own; against another run, twice (the first
/// time to count the summary).
pub fn write_report(
    db: &Path,
    run: &str,
    against: Option<i64>,
    (format, thumbnails): (Format, bool),
    out: &mut dyn Write,
) -> Result<(), (Exit, String)> {
    let (store, row) = open_run(db, run)?;
    let thumbs = (thumbnails && format == Format::Html).then_some(&store);
    store
        .read_snapshot(|| write_run_report(&store, &row, against, (format, thumbs), out))
        .map_err(|e| (Exit::Failed, e.to_string()))?
}

fn write_run_report(
    store: &Store,
    row: &crate::store::RunRow,
    against: Option<i64>,
    (format, thumbs): (Format, Option<&Store>),
    out: &mut dyn Write,
) -> Result<(), (Exit, String)> {
    let failed = |e: report::WriteError| (Exit::Failed, e.to_string());
    match against {
        None => {
            let (head, mut ahead) = report::json::open_read_ahead(
                store.path(),
                row,
                &audit::now(),
                report::json::BATCH,
            )
            .map_err(|e| (Exit::Failed, e.to_string()))?;
            write_format(&head, &mut ahead, format, thumbs, out).map_err(failed)
        }
        Some(b) => {
            let base = against_run(store, b)?;
            let (head, mut compared) = report::json::open_against(store, row, &base, &audit::now())
                .map_err(|e| (Exit::Failed, e.to_string()))?;
            write_format(&head, &mut compared, format, thumbs, out).map_err(failed)
        }
    }
}

fn write_format(
    head: &report::json::Head,
    source: &mut dyn report::json::ExposureSource,
    format: Format,
    thumbnails: Option<&Store>,
    out: &mut dyn Write,
) -> Result<(), report::WriteError> {
    match format {
        Format::Json => report::json::write(head, source, out),
        Format::Csv => report::csv::write(source, out),
        Format::Html => report::html::write(head, source, thumbnails, out),
    }
}

/// Opens the database and finds a run ("latest" or an id) whose details
/// are still there.
fn open_run(db: &Path, run: &str) -> Result<(Store, crate::store::RunRow), (Exit, String)> {
    if !db.exists() {
        return Err((
            Exit::Usage,
            format!(
                "no database at {}: run `exposure-audit audit` first",
                db.display()
            ),
        ));
    }
    let store = Store::open(db).map_err(|e| (Exit::Usage, e.to_string()))?;
    let row = if run == "latest" {
        store.latest_reportable_run()
    } else {
        let id: i64 = run.parse().map_err(|_| {
            (
                Exit::Usage,
                format!("--run takes a run id or `latest`, not `{run}`"),
            )
        })?;
        store.run(id)
    }
    .map_err(|e| (Exit::Failed, e.to_string()))?
    .ok_or_else(|| (Exit::Usage, format!("no such run: {run}")))?;
    not_purged(&store, &row)?;
    Ok((store, row))
}

/// Refuses a run whose details retention removed.
fn not_purged(store: &Store, row: &crate::store::RunRow) -> Result<(), (Exit, String)> {
    if let Some(when) = store
        .purged_at(row.id)
        .map_err(|e| (Exit::Failed, e.to_string()))?
    {
        return Err((
            Exit::Usage,
            format!(
                "run {} was purged on {when} (storage.keep_runs); its details are gone",
                row.id
            ),
        ));
    }
    Ok(())
}

/// Builds the report of a stored run ("latest" or an id) in memory,
/// compared with `against` or else the run before it.
pub fn build_report(
    db: &Path,
    run: &str,
    against: Option<i64>,
) -> Result<report::Report, (Exit, String)> {
    let (store, row) = open_run(db, run)?;
    match against {
        None => {
            report::build(&store, &row, &audit::now()).map_err(|e| (Exit::Failed, e.to_string()))
        }
        Some(b) => {
            let base = against_run(&store, b)?;
            report::json::build_against(&store, &row, &base, &audit::now())
                .map_err(|e| (Exit::Failed, e.to_string()))
        }
    }
}

/// The run a report is compared with, if it exists and was not purged.
fn against_run(store: &Store, against: i64) -> Result<crate::store::RunRow, (Exit, String)> {
    let base = store
        .run(against)
        .map_err(|e| (Exit::Failed, e.to_string()))?
        .ok_or_else(|| (Exit::Usage, format!("no such run: {against}")))?;
    not_purged(store, &base)?;
    Ok(base)
}

/// One report in one format, in memory.
pub fn render(rep: report::Report, format: Format) -> String {
    let report::Report { head, exposures } = rep;
    let mut out = Vec::new();
    write_format(
        &head,
        &mut report::json::InMemory(Some(exposures)),
        format,
        None,
        &mut out,
    )
    .expect("writing to memory does not fail");
    String::from_utf8(out).expect("reports are UTF-8")
}

fn report_cmd(
    db: &Path,
    run: &str,
    against: Option<i64>,
    options: (Format, bool),
    output: Option<&Path>,
) -> Exit {
    let written = match output {
        Some(path) => report_to_file(db, run, against, options, path),
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            write_report(db, run, against, options, &mut w).and_then(|()| {
                w.flush()
                    .map_err(|e| (Exit::Failed, format!("cannot write the report: {e}")))
            })
        }
    };
    match written {
        Ok(()) => Exit::Ok,
        Err((exit, msg)) => {
            eprintln!("exposure-audit: {msg}");
            exit
        }
    }
}

/// Writes a report to a new file readable by its owner only, renamed into
/// place ([`crate::private_file`]): a failure leaves no half report, and
/// nothing already at `path` (or at a guessable temporary name) is written
/// through.
pub fn report_to_file(
    db: &Path,
    run: &str,
    against: Option<i64>,
    options: (Format, bool),
    path: &Path,
) -> Result<(), (Exit, String)> {
    let cannot = |e: std::io::Error| {
        (
            Exit::Failed,
            format!("cannot write {}: {e}", path.display()),
        )
    };
    crate::private_file::write_atomically(path, cannot, |w| {
        write_report(db, run, against, options, w)
    })
}

/// `demo`: serve the bundled site, audit it, write the reports.
pub async fn demo_cmd(output: &Path) -> Exit {
    let Some(site) = crate::demo::demo_site_dir() else {
        eprintln!(
            "exposure-audit: cannot find the demo site ({}); run `demo` from the source folder",
            crate::demo::DEMO_SITE
        );
        return Exit::Usage;
    };
    let server = match crate::demo::serve_site(site, crate::demo::DEMO_PORT).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("exposure-audit: cannot serve the demo site on 127.0.0.1: {e}");
            return Exit::Failed;
        }
    };
    let db = output.join("exposure-audit.db");
    let config_text = demo_config(&server.url(), &db);
    let config =
        Config::parse(&config_text, Path::new("<demo>")).expect("the demo config is valid");
    println!("Serving the demo school website at {}", server.url());
    let summary = match audit::run(&config, progress()).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("exposure-audit: {e}");
            return Exit::Failed;
        }
    };
    print!("{}", summary_text(&summary));
    for (name, format) in [
        ("report.html", Format::Html),
        ("report.json", Format::Json),
        ("report.csv", Format::Csv),
    ] {
        let run = summary.run_id.to_string();
        let path = output.join(name);
        if let Err((exit, msg)) = report_to_file(&db, &run, None, (format, false), &path) {
            eprintln!("exposure-audit: {msg}");
            return exit;
        }
    }
    println!(
        "Reports written to {}/ (report.html, report.json, report.csv); database {}",
        output.display(),
        db.display()
    );
    println!("Run `exposure-audit demo` again to see a second, conditional run of the same site.");
    exit_for(summary.status)
}

/// The demo's config: the bundled site on loopback, a local database.
pub fn demo_config(site_url: &str, db: &Path) -> String {
    format!(
        r#"[storage]
database = "{}"

[crawl]
per_host_delay_ms = 10
concurrency = 4

[[sources]]
kind = "website"
name = "Riverside Primary (demo)"
start_urls = ["{site_url}"]
"#,
        db.display().to_string().replace('\\', "/")
    )
}
