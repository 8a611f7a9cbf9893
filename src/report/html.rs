//! The HTML report for the Data Protection Officer: one self-contained file
//! (no scripts, no remote assets, no pictures) that opens offline and prints
//! well. Summary first, a trend chart over the last runs (inline SVG), then
//! exposures riskiest first with their evidence, site findings, and what the
//! run could not see. Built with maud, which escapes every value by
//! construction; text from the site goes through [`Site`], which also shows
//! control characters as text.

use maud::{html, Markup, PreEscaped, Render};

use super::json::{Exposure, ExposureSource, Head, TrendPoint};
use super::WriteError;
use crate::model::{Change, Risk, RunStatus, Verdict};
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

/// Text taken from the audited site or its files: escaped by maud, with
/// control characters shown as text (the report may be printed to a
/// terminal).
pub struct Site<'a>(pub &'a str);

impl Render for Site<'_> {
    fn render_to(&self, out: &mut String) {
        crate::printable::escape_controls(self.0)
            .as_ref()
            .render_to(out);
    }
}

/// Escapes text for HTML element content and attribute values, as the
/// report does; control characters are shown as text.
pub fn esc(s: &str) -> String {
    Site(s).render().into_string()
}

/// A link only for http(s) URLs; anything else is shown as text.
fn link(url: &str) -> Markup {
    html! {
        @if url.starts_with("http://") || url.starts_with("https://") {
            a href=(Site(url)) { (Site(url)) }
        } @else {
            (Site(url))
        }
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
    let since = r
        .run
        .previous_run_id
        .map_or("first run".to_string(), |p| format!("since run {p}"));
    // The document is streamed: its opening, each batch of exposures, then
    // the rest. The framing tags are written as they are; maud builds every
    // part that holds a value.
    let mut h = String::with_capacity(64 * 1024);
    h.push_str("<!doctype html><html lang=\"en-GB\">");
    html! {
        head {
            meta charset="utf-8";
            meta name="robots" content="noindex, nofollow, noai, noimageai";
            meta http-equiv="Content-Security-Policy" content=(content_security_policy());
            title { "exposure-audit report, run " (r.run.id) }
            style { (PreEscaped(STYLE)) }
        }
    }
    .render_to(&mut h);
    h.push_str("<body>");
    html! {
        h1 { "What a scraper can take: exposure report" }
        p.meta {
            "Run " (r.run.id) " (" (r.run.status) "), started " (Site(&r.run.started_at))
            ", finished " (Site(r.run.finished_at.as_deref().unwrap_or("-"))) "; "
            (r.run.pages_fetched) " pages and " (r.run.images_fetched) " pictures fetched, "
            (r.run.fetch_errors) " fetch errors. Compared with run "
            (r.run.previous_run_id.map_or("(none: first run)".to_string(), |p| p.to_string()))
            ". Generated " (Site(&r.generated_at)) "."
        }
        @if r.run.status != RunStatus::Complete {
            p { b { "This run is partial:" } " some pages or pictures could not be fetched (listed at the end). Pictures on those pages are not reported as resolved." }
        }
        h2 { "Summary" }
        div.cards {
            // Cards count what is public now; resolved pictures have their own card.
            div.card { b { (r.open_by_risk.values().sum::<usize>()) } "pictures exposed now" }
            @for risk in [Risk::High, Risk::Medium, Risk::Low] {
                div class={ "card " (risk) } {
                    b { (r.open_by_risk.get(risk.as_str()).copied().unwrap_or(0)) } (risk) " risk"
                }
            }
            @for change in [Change::New, Change::Changed, Change::Resolved] {
                div.card {
                    b { (r.summary.by_change.get(change.as_str()).copied().unwrap_or(0)) }
                    (change) " (" (since) ")"
                }
            }
            @if r.summary.unseen > 0 {
                div.card.medium { b { (r.summary.unseen) } "not looked at this run (pages failed)" }
            }
        }
        @if r.trend.len() > 1 {
            h2 { "Trend" }
            (trend_svg(&r.trend))
        }
        h2 { "Exposed pictures, riskiest first" }
        @if r.summary.exposures == 0 {
            p { "No pictures were found." }
        }
    }
    .render_to(&mut h);
    let mut any_thumbnail = false;
    while let Some(mut batch) = source.next_batch()? {
        for e in &mut batch {
            if let Some(store) = thumbnails {
                add_thumbnail(e, store)?;
            }
            any_thumbnail |= e.thumbnail.is_some();
            exposure(e).render_to(&mut h);
        }
        out.write_all(h.as_bytes())?;
        h.clear();
    }
    let pictures = if any_thumbnail {
        "Pictures are shown only as small blurred thumbnails (report.thumbnails = true)."
    } else {
        "Pictures are deliberately not included."
    };
    html! {
        h2 { "Site findings" }
        @if r.site_findings.is_empty() {
            p { "None." }
        } @else {
            table {
                tr { th { "finding" } th { "where" } th { "what it means" } th { "how to fix it" } }
                @for f in &r.site_findings {
                    tr {
                        td {
                            (f.kind.as_str().replace('_', " "))
                            @match f.change {
                                Change::Resolved => { " " b.low { "(fixed since the last run)" } }
                                Change::New => { " " b { "(new)" } }
                                _ => {}
                            }
                        }
                        td { (link(&f.url)) }
                        td { (Site(&f.detail)) }
                        td { @if let Some(fix) = &f.fix { pre.fix { (fix) } } }
                    }
                }
            }
        }
        h2 { "What this run could not see" }
        @if r.summary.unseen > 0 {
            p { (r.summary.unseen) " picture(s) were not looked at because the pages they were on could not be fetched. They are kept as they were last seen and are not counted as removed." }
        }
        @if r.unseen.is_empty() {
            p { "Every page and picture found was fetched." }
        } @else {
            table {
                tr { th { "address" } th { "why" } }
                @for u in &r.unseen {
                    tr { td { (Site(&u.url)) } td { (Site(&u.error)) } }
                }
            }
        }
        p.small { "The report holds personal data about children: keep it as private as the audit database. " (pictures) }
    }
    .render_to(&mut h);
    h.push_str("</body></html>\n");
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

fn exposure(e: &Exposure) -> Markup {
    let faces = e
        .image
        .faces
        .map_or("not analysed".to_string(), |f| f.to_string());
    let copies = e.occurrences.len();
    html! {
        div.exp {
            p {
                span class={ "badge " (e.risk) } { (e.risk) } " " b { "score " (e.score) } ", " (e.change)
                @if let Some(s) = &e.first_seen_at { ", first seen " (Site(s)) }
                @if !e.seen_this_run && e.change != Change::Resolved {
                    ", " b { "not looked at this run" } " (its pages failed; shown where it was last seen)"
                }
                " " span.small { (Site(&e.id)) }
            }
            @if !e.change_reasons.is_empty() {
                p.changed {
                    "What changed: "
                    @for (i, r) in e.change_reasons.iter().enumerate() {
                        @if i > 0 { "; " }
                        (Site(&r.sentence()))
                    }
                    "."
                }
            }
            @if !e.reasons.is_empty() {
                p {
                    "Why: "
                    @for (i, r) in e.reasons.iter().enumerate() {
                        @if i > 0 { "; " }
                        (r.label())
                    }
                    "."
                }
            }
            @if let Some(uri) = &e.thumbnail {
                img.thumb src=(uri) alt="blurred thumbnail";
            }
            p.small {
                (e.image.width) " x " (e.image.height) " pixels, faces: " (faces)
                @if let Some(g) = e.image.metadata.gps { (format!(", GPS {:.5}, {:.5}", g.lat, g.lon)) }
                @if let Some(a) = &e.image.metadata.author { ", photographer " (Site(a)) }
            }
            @if !e.details.is_empty() {
                table {
                    tr { th { "detail" } th { "text" } th { "found in" } th { "page" } }
                    @for d in &e.details {
                        tr {
                            td { (d.kind.as_str().replace('_', " ")) }
                            td { (Site(&d.text)) @if let Some(role) = d.role { " (" (role) ")" } }
                            td { (d.location) }
                            td { (link(&d.page_url)) }
                        }
                    }
                }
            }
            p.small { (copies) " cop" (if copies == 1 { "y" } else { "ies" }) " found:" }
            table {
                tr { th { "page" } th { "picture address" } th { "how found" } th { "text with it" } th { "AI crawlers allowed" } }
                @for o in &e.occurrences {
                    tr {
                        td {
                            (link(&o.page_url))
                            @if !o.seen_this_run {
                                " " b { "(the page could not be read this run: as it was last read)" }
                            }
                        }
                        td { (link(&o.image_url)) }
                        td { (o.found_via) }
                        td { (Site(&context_text(&o.context))) }
                        td { (ai_allowed(&o.robots)) }
                    }
                }
            }
        }
    }
}

/// The text a scraper collects with a copy: alt, caption and title, each
/// cut to 200 characters.
fn context_text(c: &crate::model::Context) -> String {
    [
        ("alt", &c.alt),
        ("caption", &c.caption),
        ("title", &c.title),
    ]
    .into_iter()
    .filter_map(|(k, v)| {
        v.as_deref()
            .map(|v| format!("{k}: {}", crate::extract::truncate_chars(v, 200)))
    })
    .collect::<Vec<_>>()
    .join(" / ")
}

/// Which AI crawlers may take a copy, in the fewest words.
fn ai_allowed(robots: &crate::model::RobotsVerdicts) -> String {
    let (allowed, denied): (Vec<&str>, Vec<&str>) = {
        let agents = robots.iter().filter(|(a, _)| *a != "*");
        let (a, d): (Vec<_>, Vec<_>) = agents.partition(|(_, v)| **v == Verdict::Allowed);
        (
            a.into_iter().map(|(a, _)| a.as_str()).collect(),
            d.into_iter().map(|(a, _)| a.as_str()).collect(),
        )
    };
    match (allowed.is_empty(), denied.is_empty()) {
        (true, _) => "none".to_string(),
        (false, true) => "all".to_string(),
        _ if allowed.len() > denied.len() => format!("all but {}", denied.join(", ")),
        _ => allowed.join(", "),
    }
}

/// Stacked bars of open exposures by risk, one per run.
fn trend_svg(points: &[TrendPoint]) -> PreEscaped<String> {
    use std::fmt::Write as _;
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
    // Numbers only: nothing from the site is in the chart.
    PreEscaped(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_text_cannot_inject_markup() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert('x')&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(esc("Amy\x1b[2J"), "Amy\\x1b[2J");
        assert_eq!(
            link("javascript:alert(1)").into_string(),
            "javascript:alert(1)"
        );
        assert!(link("https://s/a?b=<c>\"x")
            .into_string()
            .contains("href=\"https://s/a?b=&lt;c&gt;&quot;x\""));
    }
}
