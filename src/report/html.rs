//! The HTML report for the Data Protection Officer: one self-contained file
//! (no scripts, no remote assets, no pictures) that opens offline and prints
//! well. Summary first, a trend chart over the last runs (inline SVG), then
//! exposures riskiest first with their evidence, site findings, and what the
//! run could not see. Everything quoted from the web is escaped.

use std::fmt::Write;

use super::json::{Exposure, ExposureSource, Head, TrendPoint};
use super::WriteError;
use crate::model::{Change, Risk};
use crate::store::{Store, StoreError};

/// The report's Content-Security-Policy: no script at all, no request to
/// anywhere (a report opened from a mail or a share must not call out, nor
/// be turned into a page that does by text from the site), its one style
/// sheet by hash and embedded thumbnails as `data:` pictures only.
fn content_security_policy() -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let style = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(STYLE));
    format!(
        "default-src 'none'; style-src 'sha256-{style}'; img-src data:; \
         base-uri 'none'; form-action 'none'"
    )
}

/// Escapes text for HTML element content and attribute values; control
/// characters are shown as text (the report may be printed to a terminal).
pub fn esc(s: &str) -> String {
    let s = crate::printable::escape_controls(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A link only for http(s) URLs; anything else is shown as text.
fn link(url: &str) -> String {
    if url.starts_with("http://") || url.starts_with("https://") {
        format!("<a href=\"{0}\">{0}</a>", esc(url))
    } else {
        esc(url)
    }
}

const STYLE: &str = "pre.fix{white-space:pre-wrap;margin:0}
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:2px solid #ddd}
.meta{color:#555}.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{border:1px solid #ccc;border-radius:6px;padding:.6rem 1rem;min-width:8rem}
.card b{font-size:1.6rem;display:block}.high{color:#a4000f}.medium{color:#9a5b00}.low{color:#2d6a2d}
.badge{display:inline-block;padding:0 .5rem;border-radius:4px;color:#fff;font-weight:600}.badge.high{background:#a4000f}.badge.medium{background:#b86e00}.badge.low{background:#3c7d3c}
.exp{border:1px solid #ccc;border-radius:6px;padding:.8rem 1rem;margin:1rem 0;break-inside:avoid}
.thumb{float:right;max-width:96px;max-height:96px;margin:0 0 .5rem 1rem;border-radius:4px}
table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{border-top:1px solid #eee;padding:.25rem .4rem;text-align:left;vertical-align:top;word-break:break-all}
.small{font-size:.85rem;color:#555}@media print{a{color:inherit;text-decoration:none}.exp{page-break-inside:avoid}body{margin:0}}";

/// Writes the HTML report, its exposures read from `source` as they are
/// written; with `thumbnails`, each exposure's stored blurred thumbnail is
/// looked up on the way.
pub fn write(
    r: &Head,
    source: &mut dyn ExposureSource,
    thumbnails: Option<&Store>,
    out: &mut dyn std::io::Write,
) -> Result<(), WriteError> {
    let mut h = String::with_capacity(64 * 1024);
    let _ = write!(
        h,
        "<!doctype html><html lang=\"en-GB\"><head><meta charset=\"utf-8\"><meta name=\"robots\" content=\"noindex, nofollow, noai, noimageai\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\
         <title>exposure-audit report, run {id}</title><style>{STYLE}</style></head><body>\
         <h1>What a scraper can take: exposure report</h1>\
         <p class=\"meta\">Run {id} ({status}), started {start}, finished {end}; {pages} pages and {images} pictures fetched, {errors} fetch errors. \
         Compared with run {prev}. Generated {gen}.</p>",
        csp = content_security_policy(),
        id = r.run.id,
        status = r.run.status,
        start = esc(&r.run.started_at),
        end = esc(r.run.finished_at.as_deref().unwrap_or("-")),
        pages = r.run.pages_fetched,
        images = r.run.images_fetched,
        errors = r.run.fetch_errors,
        prev = r.run.previous_run_id.map_or("(none: first run)".to_string(), |p| p.to_string()),
        gen = esc(&r.generated_at),
    );
    if r.run.status != crate::model::RunStatus::Complete {
        h.push_str("<p><b>This run is partial:</b> some pages or pictures could not be fetched (listed at the end). Pictures on those pages are not reported as resolved.</p>");
    }

    h.push_str("<h2>Summary</h2><div class=\"cards\">");
    // Cards count what is public now; resolved pictures have their own card.
    let _ = write!(
        h,
        "<div class=\"card\"><b>{}</b>pictures exposed now</div>",
        r.open_by_risk.values().sum::<usize>()
    );
    for risk in [Risk::High, Risk::Medium, Risk::Low] {
        let n = r.open_by_risk.get(risk.as_str()).copied().unwrap_or(0);
        let _ = write!(h, "<div class=\"card {risk}\"><b>{n}</b>{risk} risk</div>");
    }
    let since = r
        .run
        .previous_run_id
        .map_or("first run".to_string(), |p| format!("since run {p}"));
    for change in [Change::New, Change::Changed, Change::Resolved] {
        let n = r
            .summary
            .by_change
            .get(change.as_str())
            .copied()
            .unwrap_or(0);
        let _ = write!(h, "<div class=\"card\"><b>{n}</b>{change} ({since})</div>");
    }
    if r.summary.unseen > 0 {
        let _ = write!(
            h,
            "<div class=\"card medium\"><b>{}</b>not looked at this run (pages failed)</div>",
            r.summary.unseen
        );
    }
    h.push_str("</div>");
    if r.trend.len() > 1 {
        h.push_str("<h2>Trend</h2>");
        h.push_str(&trend_svg(&r.trend));
    }

    h.push_str("<h2>Exposed pictures, riskiest first</h2>");
    if r.summary.exposures == 0 {
        h.push_str("<p>No pictures were found.</p>");
    }
    let mut any_thumbnail = false;
    while let Some(mut batch) = source.next_batch()? {
        for e in &mut batch {
            if let Some(store) = thumbnails {
                add_thumbnail(e, store)?;
            }
            any_thumbnail |= e.thumbnail.is_some();
            exposure(&mut h, e);
        }
        out.write_all(h.as_bytes())?;
        h.clear();
    }

    h.push_str("<h2>Site findings</h2>");
    if r.site_findings.is_empty() {
        h.push_str("<p>None.</p>");
    } else {
        h.push_str("<table><tr><th>finding</th><th>where</th><th>what it means</th><th>how to fix it</th></tr>");
        for f in &r.site_findings {
            let status = match f.change {
                Change::Resolved => " <b class=\"low\">(fixed since the last run)</b>",
                Change::New => " <b>(new)</b>",
                _ => "",
            };
            let fix = f
                .fix
                .as_deref()
                .map(|x| format!("<pre class=\"fix\">{}</pre>", esc(x)))
                .unwrap_or_default();
            let _ = write!(
                h,
                "<tr><td>{}{status}</td><td>{}</td><td>{}</td><td>{fix}</td></tr>",
                esc(&f.kind.as_str().replace('_', " ")),
                link(&f.url),
                esc(&f.detail)
            );
        }
        h.push_str("</table>");
    }

    h.push_str("<h2>What this run could not see</h2>");
    if r.summary.unseen > 0 {
        let _ = write!(
            h,
            "<p>{} picture(s) were not looked at because the pages they were on could not be fetched. They are kept as they were last seen and are not counted as removed.</p>",
            r.summary.unseen
        );
    }
    if r.unseen.is_empty() {
        h.push_str("<p>Every page and picture found was fetched.</p>");
    } else {
        h.push_str("<table><tr><th>address</th><th>why</th></tr>");
        for u in &r.unseen {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td></tr>",
                esc(&u.url),
                esc(&u.error)
            );
        }
        h.push_str("</table>");
    }
    let pictures = if any_thumbnail {
        "Pictures are shown only as small blurred thumbnails (report.thumbnails = true)."
    } else {
        "Pictures are deliberately not included."
    };
    let _ = writeln!(
        h,
        "<p class=\"small\">The report holds personal data about children: keep it as private as the audit database. {pictures}</p></body></html>"
    );
    out.write_all(h.as_bytes())?;
    Ok(())
}

/// Adds an exposure's stored blurred thumbnail, for `report.thumbnails`.
pub fn add_thumbnail(e: &mut Exposure, store: &Store) -> Result<(), StoreError> {
    use base64::Engine;
    for o in &e.occurrences {
        if let Some(jpeg) = store.thumbnail(&o.sha256)? {
            e.thumbnail = Some(format!(
                "data:image/jpeg;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(jpeg)
            ));
            break;
        }
    }
    Ok(())
}

fn exposure(h: &mut String, e: &Exposure) {
    let _ = write!(
        h,
        "<div class=\"exp\"><p><span class=\"badge {risk}\">{risk}</span> <b>score {score}</b>, {change}{since} <span class=\"small\">{id}</span></p>",
        risk = e.risk,
        score = e.score,
        change = e.change,
        since = e.first_seen_at.as_deref().map(|s| format!(", first seen {}", esc(s))).unwrap_or_default()
            + if !e.seen_this_run && e.change != Change::Resolved {
                ", <b>not looked at this run</b> (its pages failed; shown where it was last seen)"
            } else {
                ""
            },
        id = esc(&e.id),
    );
    if !e.change_reasons.is_empty() {
        let what: Vec<String> = e
            .change_reasons
            .iter()
            .map(|r| esc(&r.sentence()))
            .collect();
        let _ = write!(
            h,
            "<p class=\"changed\">What changed: {}.</p>",
            what.join("; ")
        );
    }
    if !e.reasons.is_empty() {
        let reasons: Vec<String> = e.reasons.iter().map(|r| esc(r.label())).collect();
        let _ = write!(h, "<p>Why: {}.</p>", reasons.join("; "));
    }
    if let Some(uri) = &e.thumbnail {
        let _ = write!(
            h,
            "<img class=\"thumb\" src=\"{}\" alt=\"blurred thumbnail\">",
            esc(uri)
        );
    }
    let faces = e
        .image
        .faces
        .map_or("not analysed".to_string(), |f| f.to_string());
    let _ = write!(
        h,
        "<p class=\"small\">{} x {} pixels, faces: {faces}",
        e.image.width, e.image.height
    );
    if let Some(g) = e.image.metadata.gps {
        let _ = write!(h, ", GPS {:.5}, {:.5}", g.lat, g.lon);
    }
    if let Some(a) = &e.image.metadata.author {
        let _ = write!(h, ", photographer {}", esc(a));
    }
    h.push_str("</p>");
    if !e.details.is_empty() {
        h.push_str("<table><tr><th>detail</th><th>text</th><th>found in</th><th>page</th></tr>");
        for d in &e.details {
            let role = d.role.map(|r| format!(" ({r})")).unwrap_or_default();
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}{role}</td><td>{}</td><td>{}</td></tr>",
                esc(&d.kind.as_str().replace('_', " ")),
                esc(&d.text),
                d.location,
                link(&d.page_url)
            );
        }
        h.push_str("</table>");
    }
    let _ = write!(h, "<p class=\"small\">{} cop{} found:</p><table><tr><th>page</th><th>picture address</th><th>how found</th><th>text with it</th><th>AI crawlers allowed</th></tr>", e.occurrences.len(), if e.occurrences.len() == 1 { "y" } else { "ies" });
    for o in &e.occurrences {
        let allowed: Vec<&str> = o
            .robots
            .iter()
            .filter(|(a, v)| *a != "*" && **v == crate::model::Verdict::Allowed)
            .map(|(a, _)| a.as_str())
            .collect();
        let c = &o.context;
        let text: Vec<String> = [
            ("alt", &c.alt),
            ("caption", &c.caption),
            ("title", &c.title),
        ]
        .into_iter()
        .filter_map(|(k, v)| {
            v.as_deref()
                .map(|v| format!("{k}: {}", crate::extract::truncate_chars(v, 200)))
        })
        .collect();
        let denied: Vec<&str> = o
            .robots
            .iter()
            .filter(|(a, v)| *a != "*" && **v != crate::model::Verdict::Allowed)
            .map(|(a, _)| a.as_str())
            .collect();
        let ai = match (allowed.is_empty(), denied.is_empty()) {
            (true, _) => "none".to_string(),
            (false, true) => "all".to_string(),
            _ if allowed.len() > denied.len() => format!("all but {}", denied.join(", ")),
            _ => allowed.join(", "),
        };
        let _ = write!(
            h,
            "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            link(&o.page_url),
            if o.seen_this_run {
                ""
            } else {
                " <b>(the page could not be read this run: as it was last read)</b>"
            },
            link(&o.image_url),
            esc(o.found_via),
            esc(&text.join(" / ")),
            esc(&ai)
        );
    }
    h.push_str("</table></div>");
}

/// Stacked bars of open exposures by risk, one per run.
fn trend_svg(points: &[TrendPoint]) -> String {
    let (w, hgt, pad) = (640.0f64, 180.0f64, 24.0f64);
    let max = points
        .iter()
        .map(|p| p.high + p.medium + p.low)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let bar = (w - 2.0 * pad) / points.len() as f64;
    let mut s = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{}\" role=\"img\" aria-label=\"open exposures by risk over the last runs\">", hgt + 30.0);
    for (i, p) in points.iter().enumerate() {
        let x = pad + i as f64 * bar + bar * 0.15;
        let mut y = hgt;
        for (n, colour) in [
            (p.low, "#3c7d3c"),
            (p.medium, "#b86e00"),
            (p.high, "#a4000f"),
        ] {
            let hh = n as f64 / max * (hgt - pad);
            y -= hh;
            let _ = write!(s, "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{hh:.1}\" fill=\"{colour}\"><title>run {}: {n}</title></rect>", bar * 0.7, p.run_id);
        }
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
            x + bar * 0.35,
            hgt + 14.0,
            p.run_id
        );
    }
    let _ = write!(s, "<text x=\"{pad}\" y=\"{}\" font-size=\"11\">run (bars: high, medium, low; tallest {max})</text></svg>", hgt + 28.0);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_text_cannot_inject_markup() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(link("javascript:alert(1)"), "javascript:alert(1)");
        assert!(link("https://s/a?b=<c>").contains("href=\"https://s/a?b=&lt;c&gt;\""));
    }
}
