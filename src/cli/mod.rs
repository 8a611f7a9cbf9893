//! The command line (CONTRACT.md): argument parsing, the commands as
//! functions a test can call, and the exit-code mapping. Prints for people;
//! the work is in the library modules.

use std::io::{IsTerminal, Write};

use crate::printable::escape_controls;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};

use crate::audit::AuditSummary;
use crate::config::{defaults, Config, SourceKind};
use crate::crawl::Progress;
use crate::model::{Change, Risk};
use crate::store::{RunStatus, Store};

// One file per command.
mod audit;
mod check;
mod check_photo;
mod daemon;
mod demo;
mod lookup;
mod protect;
mod purge;
mod report;
mod runs;
mod withdraw;

pub use audit::*;
pub use check::*;
use check_photo::*;
use daemon::*;
pub use demo::*;
use lookup::*;
use protect::*;
use purge::*;
pub use report::*;
use runs::*;
use withdraw::*;

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
    // lopdf logs parts of the documents it reads (a font's dictionary, an
    // unreadable inline image, one line each, without bound): site text, so
    // it is off unless RUST_LOG asks for it.
    let default = match verbose {
        0 => "exposure_audit=info,warn,lopdf=off",
        1 => "exposure_audit=debug,info,lopdf=off",
        _ => "trace,lopdf=off",
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

fn load(path: &Path) -> Result<Config, Exit> {
    Config::load(path).map_err(|e| {
        eprintln!("exposure-audit: {e}");
        Exit::Usage
    })
}

fn exit_for(status: RunStatus) -> Exit {
    match status {
        RunStatus::Complete => Exit::Ok,
        RunStatus::Partial => Exit::Partial,
        _ => Exit::Failed,
    }
}

/// This process's peak resident memory (Linux's VmHWM), if known.
pub fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
