//! `report`: a stored run's report in JSON, HTML or CSV, against the run
//! before or any other, streamed to a file or standard output.

use super::*;

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

pub(super) fn write_run_report(
    store: &Store,
    row: &crate::store::RunRow,
    against: Option<i64>,
    (format, thumbs): (Format, Option<&Store>),
    out: &mut dyn Write,
) -> Result<(), (Exit, String)> {
    let failed = |e: crate::report::WriteError| (Exit::Failed, e.to_string());
    match against {
        None => {
            let (head, mut ahead) = crate::report::json::open_read_ahead(
                store.path(),
                row,
                &crate::audit::now(),
                crate::report::json::BATCH,
            )
            .map_err(|e| (Exit::Failed, e.to_string()))?;
            write_format(&head, &mut ahead, format, thumbs, out).map_err(failed)
        }
        Some(b) => {
            let base = against_run(store, b)?;
            let (head, mut compared) =
                crate::report::json::open_against(store, row, &base, &crate::audit::now())
                    .map_err(|e| (Exit::Failed, e.to_string()))?;
            write_format(&head, &mut compared, format, thumbs, out).map_err(failed)
        }
    }
}

pub(super) fn write_format(
    head: &crate::report::json::Head,
    source: &mut dyn crate::report::json::ExposureSource,
    format: Format,
    thumbnails: Option<&Store>,
    out: &mut dyn Write,
) -> Result<(), crate::report::WriteError> {
    match format {
        Format::Json => crate::report::json::write(head, source, out),
        Format::Csv => crate::report::csv::write(source, out),
        Format::Html => crate::report::html::write(head, source, thumbnails, out),
    }
}

/// Opens the database and finds a run ("latest" or an id) whose details
/// are still there.
pub(super) fn open_run(
    db: &Path,
    run: &str,
) -> Result<(Store, crate::store::RunRow), (Exit, String)> {
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
pub(super) fn not_purged(store: &Store, row: &crate::store::RunRow) -> Result<(), (Exit, String)> {
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
) -> Result<crate::report::Report, (Exit, String)> {
    let (store, row) = open_run(db, run)?;
    match against {
        None => crate::report::build(&store, &row, &crate::audit::now())
            .map_err(|e| (Exit::Failed, e.to_string())),
        Some(b) => {
            let base = against_run(&store, b)?;
            crate::report::json::build_against(&store, &row, &base, &crate::audit::now())
                .map_err(|e| (Exit::Failed, e.to_string()))
        }
    }
}

/// The run a report is compared with, if it exists and was not purged.
pub(super) fn against_run(
    store: &Store,
    against: i64,
) -> Result<crate::store::RunRow, (Exit, String)> {
    let base = store
        .run(against)
        .map_err(|e| (Exit::Failed, e.to_string()))?
        .ok_or_else(|| (Exit::Usage, format!("no such run: {against}")))?;
    not_purged(store, &base)?;
    Ok(base)
}

/// One report in one format, in memory.
pub fn render(rep: crate::report::Report, format: Format) -> String {
    let crate::report::Report { head, exposures } = rep;
    let mut out = Vec::new();
    write_format(
        &head,
        &mut crate::report::json::InMemory(Some(exposures)),
        format,
        None,
        &mut out,
    )
    .expect("writing to memory does not fail");
    String::from_utf8(out).expect("reports are UTF-8")
}

pub(super) fn report_cmd(
    db: &Path,
    run: &str,
    against: Option<i64>,
    options: (Format, bool),
    output: Option<&Path>,
) -> Exit {
    let written = if let Some(path) = output {
        report_to_file(db, run, against, options, path)
    } else {
        let stdout = std::io::stdout();
        let mut w = std::io::BufWriter::new(stdout.lock());
        write_report(db, run, against, options, &mut w).and_then(|()| {
            w.flush()
                .map_err(|e| (Exit::Failed, format!("cannot write the report: {e}")))
        })
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
