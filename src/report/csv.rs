//! The CSV report: one row per copy of a picture, for spreadsheets, written
//! by the csv crate (RFC 4180, CRLF). Cells that a spreadsheet would run as
//! a formula are neutralised first, and control characters shown as text.

use super::json::ExposureSource;
use super::WriteError;

const HEADER: &[&str] = &[
    "exposure_id",
    "risk",
    "score",
    "change",
    "reasons",
    "source",
    "page_url",
    "image_url",
    "found_via",
    "alt",
    "caption",
    "width",
    "height",
    "gps",
    "details",
    "what_changed",
    "page_read_this_run",
    "actions",
    "in_document",
];

/// Writes the report as CSV (RFC 4180), its exposures read from `source`
/// as they are written.
pub fn write(
    source: &mut dyn ExposureSource,
    w: &mut dyn std::io::Write,
) -> Result<(), WriteError> {
    let mut out = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(w);
    push_row(
        &mut out,
        HEADER.iter().map(std::string::ToString::to_string),
    )?;
    while let Some(batch) = source.next_batch()? {
        for e in &batch {
            let gps = e
                .image
                .metadata
                .gps
                .map(|g| format!("{:.5} {:.5}", g.lat, g.lon))
                .unwrap_or_default();
            let details = e
                .details
                .iter()
                .map(|d| format!("{}: {}", d.kind, d.text))
                .collect::<Vec<_>>()
                .join("; ");
            let actions = e
                .actions
                .iter()
                .map(|a| format!("{} ({})", a.what, a.place))
                .collect::<Vec<_>>()
                .join("; ");
            let changed = e
                .change_reasons
                .iter()
                .map(crate::model::ChangeReason::sentence)
                .collect::<Vec<_>>()
                .join("; ");
            for o in &e.occurrences {
                push_row(
                    &mut out,
                    [
                        e.id.clone(),
                        e.risk.to_string(),
                        e.score.to_string(),
                        e.change.to_string(),
                        e.reasons
                            .iter()
                            .map(|r| r.as_str())
                            .collect::<Vec<_>>()
                            .join(" "),
                        o.source.clone(),
                        o.page_url.clone(),
                        o.image_url.clone(),
                        o.found_via.to_string(),
                        o.context.alt.clone().unwrap_or_default(),
                        o.context.caption.clone().unwrap_or_default(),
                        e.image.width.to_string(),
                        e.image.height.to_string(),
                        gps.clone(),
                        details.clone(),
                        changed.clone(),
                        if o.seen_this_run { "yes" } else { "no" }.to_string(),
                        actions.clone(),
                        o.document_page
                            .map(|p| super::html::document_place(&o.page_url, p))
                            .unwrap_or_default(),
                    ]
                    .into_iter(),
                )?;
            }
        }
        out.flush()?;
    }
    out.flush()?;
    Ok(())
}

fn push_row<W: std::io::Write>(
    out: &mut ::csv::Writer<W>,
    cells: impl Iterator<Item = String>,
) -> Result<(), WriteError> {
    out.write_record(cells.map(|c| cell(&c)))
        .map_err(|e| WriteError::Io(e.into()))
}

/// Prefixes `'` to a cell a spreadsheet would treat as a formula, and
/// shows control characters (terminal escapes) as text; quoting is the csv
/// writer's.
fn cell(s: &str) -> String {
    let s = crate::printable::escape_controls(s);
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_and_quotes_are_neutralised() {
        let row = |cells: &[&str]| {
            let mut w = ::csv::WriterBuilder::new()
                .terminator(::csv::Terminator::CRLF)
                .from_writer(Vec::new());
            push_row(&mut w, cells.iter().map(std::string::ToString::to_string)).unwrap();
            String::from_utf8(w.into_inner().unwrap()).unwrap()
        };
        assert_eq!(
            row(&["=HYPERLINK(\"x\")", "a,b", "plain", "-1", "Amy\x1b[2J"]),
            "\"'=HYPERLINK(\"\"x\"\")\",\"a,b\",plain,'-1,Amy\\x1b[2J\r\n"
        );
    }
}
