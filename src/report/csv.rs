//! The CSV report: one row per copy of a picture, for spreadsheets. Cells
//! that a spreadsheet would run as a formula are neutralised.

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
];

/// Writes the report as CSV (RFC 4180), its exposures read from `source`
/// as they are written.
pub fn write(
    source: &mut dyn ExposureSource,
    w: &mut dyn std::io::Write,
) -> Result<(), WriteError> {
    let mut out = String::new();
    push_row(&mut out, HEADER.iter().map(|s| s.to_string()));
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
                    ]
                    .into_iter(),
                );
            }
        }
        w.write_all(out.as_bytes())?;
        out.clear();
    }
    w.write_all(out.as_bytes())?;
    Ok(())
}

fn push_row(out: &mut String, cells: impl Iterator<Item = String>) {
    let mut first = true;
    for c in cells {
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(&cell(&c));
    }
    out.push_str("\r\n");
}

/// Quotes a cell, prefixes `'` to one a spreadsheet would treat as a
/// formula, and shows control characters (terminal escapes) as text.
fn cell(s: &str) -> String {
    let s = crate::printable::escape_controls(s);
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) || s.starts_with('\'') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_and_quotes_are_neutralised() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("-1"), "\"'-1\"");
        assert_eq!(cell("Amy\x1b[2J"), "Amy\\x1b[2J");
    }
}
