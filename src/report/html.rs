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

/// The report's Content-Security-Policy: no script at all, its one style
/// sheet by hash, and pictures only from where they are published (the
/// origins of the pictures the runs saw) or, with `report.thumbnails`,
/// only embedded as `data:`. Text from the site cannot turn the report
/// into a page that runs code or calls anywhere else.
fn content_security_policy(img_src: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let style = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(STYLE));
    format!(
        "default-src 'none'; style-src 'sha256-{style}'; img-src {img_src}; \
         base-uri 'none'; form-action 'none'"
    )
}

/// The `img-src` of the policy: embedded thumbnails, or the pictures'
/// origins (none at all when there are none).
fn img_sources(r: &Head, embedded: bool) -> String {
    if embedded {
        return "data:".into();
    }
    let origins: Vec<&str> = r
        .picture_origins
        .iter()
        .map(String::as_str)
        // A source expression is a plain origin: nothing that could end it.
        .filter(|o| !o.contains([' ', ';', ',', '\'']))
        .collect();
    if origins.is_empty() {
        "'none'".into()
    } else {
        origins.join(" ")
    }
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
/// "newsletter-12.pdf, page 2": a document's file name and the page.
pub(crate) fn document_place(url: &str, page: u32) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let name = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path);
    let name = percent_encoding::percent_decode_str(name).decode_utf8_lossy();
    format!("{name}, page {page}")
}

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
.badge{display:inline-block;padding:0 .5rem;border-radius:4px;color:#fff;font-weight:600}.badge.high{background:#a4000f}.badge.medium{background:#8a5000}.badge.low{background:#3c7d3c}
.exp{border:1px solid #ccc;border-radius:6px;padding:.8rem 1rem;margin:1rem 0;break-inside:avoid}
.thumb{float:right;max-width:96px;max-height:96px;margin:0 0 .5rem 1rem;border-radius:4px}
.pic{float:right;max-width:160px;max-height:160px;margin:0 0 .5rem 1rem;border-radius:4px;background:#eee;font-size:.75rem;color:#555;object-fit:contain}
.page{break-inside:avoid;border-top:1px solid #ddd}.page h3{font-size:1rem;margin:.6rem 0 .2rem}ol.actions,ol.top{margin:.2rem 0 .6rem 1.2rem;padding:0}
table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{border-top:1px solid #eee;padding:.25rem .4rem;text-align:left;vertical-align:top;word-break:break-all}
.small{font-size:.85rem;color:#555}@media print{a{color:inherit;text-decoration:none}.exp,.head,tr{break-inside:avoid}body{margin:0;font-size:11px;max-width:none}table{font-size:9px}td,th{padding:1px 3px}.exp{padding:4px 6px;margin:4px 0}.pic{max-width:90px;max-height:90px}h2{margin-top:8px}p{margin:3px 0}}";

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
            meta http-equiv="Content-Security-Policy" content=(content_security_policy(&img_sources(r, thumbnails.is_some())));
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
            (r.run.pages_fetched) " pages, " (r.run.documents_fetched) " documents, "
            (r.run.images_fetched) " pictures and " (r.run.other_files_fetched) " other files fetched, "
            (r.run.fetch_errors) " fetch errors. Compared with run "
            (r.run.previous_run_id.map_or("(none: first run)".to_string(), |p| p.to_string()))
            ". Generated " (Site(&r.generated_at)) "."
        }
        @if r.run.status != RunStatus::Complete {
            p { b { "This run is partial:" } " some pages or pictures could not be fetched (listed at the end). Pictures on those pages are not reported as resolved." }
        }
        h2 { "Summary" }
        div.cards {
            div.card.high {
                b { (r.summary.named_or_identifiable) }
                "pictures show a named or identifiable child"
            }
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
    }
    .render_to(&mut h);
    // The riskiest exposures come first: the first batch gives the top
    // actions for the first screen.
    let mut batch = source.next_batch()?;
    let top: Vec<(&str, &super::actions::Action)> = batch
        .iter()
        .flatten()
        .filter(|e| e.change != Change::Resolved)
        .filter_map(|e| e.actions.first().map(|a| (e.id.as_str(), a)))
        .take(TOP_ACTIONS)
        .collect();
    html! {
        @if !top.is_empty() {
            h2 { "Start here" }
            ol.top {
                @for (id, a) in &top {
                    li { (Site(&a.what)) " " (link(&a.place)) " " a.small href={ "#" (id) } { "(the picture)" } }
                }
            }
        }
        nav.small { "Go to: " a href="#exposures" { "pictures" } " · " a href="#pages" { "page by page" } " · " a href="#findings" { "site findings" } " · " a href="#unseen" { "what this run could not see" } }
        @if r.trend.len() > 1 {
            h2 { "Trend" }
            (trend_svg(&r.trend))
        }
        h2 #exposures { "Exposed pictures, riskiest first" }
        @if r.summary.exposures == 0 {
            p { "No pictures were found." }
        }
    }
    .render_to(&mut h);
    drop(top);
    let mut any_thumbnail = false;
    let mut pages = Pages::default();
    while let Some(mut exposures) = batch.take() {
        for e in &mut exposures {
            if let Some(store) = thumbnails {
                add_thumbnail(e, store)?;
            }
            any_thumbnail |= e.thumbnail.is_some();
            exposure(e, thumbnails.is_some()).render_to(&mut h);
            pages.add(e);
        }
        out.write_all(h.as_bytes())?;
        h.clear();
        batch = source.next_batch()?;
    }
    pages.render().render_to(&mut h);
    let pictures = if any_thumbnail {
        "Pictures are shown only as small blurred thumbnails (report.thumbnails = true)."
    } else {
        "Pictures are deliberately not included."
    };
    html! {
        h2 #findings { "Site findings" }
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
        h2 #unseen { "What this run could not see" }
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

/// One exposure: what it is, why it matters, what to do, where it is.
/// With `embedded`, its picture is the stored blurred thumbnail; otherwise
/// its largest copy from its public address, loaded lazily without a
/// referrer (opened offline, the alt text stands in).
fn exposure(e: &Exposure, embedded: bool) -> Markup {
    let faces = e
        .image
        .faces
        .map_or("not analysed".to_string(), |f| f.to_string());
    let copies = e.occurrences.len();
    html! {
        div.exp id=(Site(&e.id)) {
            // What it is, why and what to do: kept on one printed page; a
            // long list of copies below it breaks between rows.
            div.head {
            @if let Some(uri) = &e.thumbnail {
                img.thumb src=(uri) alt="blurred thumbnail";
            } @else if let (false, Some(p)) = (embedded, &e.published) {
                @let (w, h) = fit(p.width, p.height, PICTURE_BOX);
                img.pic src=(Site(&p.url)) width=(w) height=(h) loading="lazy"
                    referrerpolicy="no-referrer"
                    alt={ "The picture as published at " (Site(&p.url)) " (loads from the school's site)" };
            }
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
            @if !e.actions.is_empty() {
                p { b { "What to do:" } }
                ol.actions {
                    @for a in &e.actions {
                        li { (Site(&a.what)) " " span.small { (a.kind.label()) ": " (link(&a.place)) } }
                    }
                }
            }
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
                            td { (d.kind.label()) }
                            td { (Site(&d.text)) @if let Some(role) = d.role { " (" (role) ")" } }
                            td { (d.location.label()) }
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
                            @if let Some(page) = o.document_page {
                                // "newsletter-12.pdf, page 2", opening at that page.
                                a href=(Site(&format!("{}#page={page}", o.page_url))) {
                                    (Site(&document_place(&o.page_url, page)))
                                }
                            } @else {
                                (link(&o.page_url))
                            }
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

/// Actions on the first screen.
const TOP_ACTIONS: usize = 5;
/// The longest side, in CSS pixels, of a picture shown in the report.
const PICTURE_BOX: u32 = 160;

/// `width` x `height` scaled to fit a `side` box, never enlarged.
fn fit(width: u32, height: u32, side: u32) -> (u32, u32) {
    let long = width.max(height).max(1);
    if long <= side {
        return (width.max(1), height.max(1));
    }
    let scale = |x: u32| ((u64::from(x) * u64::from(side)) / u64::from(long)).max(1) as u32;
    (scale(width), scale(height))
}

/// The page-by-page work list, gathered while the exposures are written:
/// for each page (or document, or post) the exposures on it, worst first,
/// and the actions that are done there. Holds a line per copy's page, not
/// the exposures.
#[derive(Default)]
struct Pages {
    pages: std::collections::HashMap<String, PageItems>,
}

#[derive(Default)]
struct PageItems {
    worst: u32,
    /// (exposure id, risk, score, actions to do on this page)
    items: Vec<(String, Risk, u32, Vec<String>)>,
}

impl Pages {
    fn add(&mut self, e: &Exposure) {
        if e.change == Change::Resolved {
            return;
        }
        let mut on: Vec<&str> = e.occurrences.iter().map(|o| o.page_url.as_str()).collect();
        on.sort_unstable();
        on.dedup();
        for page in on {
            let here: Vec<&str> = e
                .occurrences
                .iter()
                .filter(|o| o.page_url == page)
                .map(|o| o.image_url.as_str())
                .collect();
            let actions = e
                .actions
                .iter()
                .filter(|a| a.place == page || here.contains(&a.place.as_str()))
                .map(|a| {
                    if a.place == page {
                        a.what.clone()
                    } else {
                        format!("{} ({})", a.what, a.place)
                    }
                })
                .collect();
            let entry = self.pages.entry(page.to_string()).or_default();
            entry.worst = entry.worst.max(e.score);
            entry.items.push((e.id.clone(), e.risk, e.score, actions));
        }
    }

    fn render(self) -> Markup {
        let mut pages: Vec<(String, PageItems)> = self.pages.into_iter().collect();
        // Worst first; of pages with the same worst picture, the one with
        // more to change there.
        let todo = |p: &PageItems| p.items.iter().map(|i| i.3.len()).sum::<usize>();
        pages.sort_by(|(a, x), (b, y)| {
            (y.worst, todo(y))
                .cmp(&(x.worst, todo(x)))
                .then_with(|| a.cmp(b))
        });
        html! {
            h2 #pages { "Page by page" }
            p.small { "Each page, document or post with the pictures on it, worst first, and what to change there: the work list for whoever edits the site." }
            @if pages.is_empty() {
                p { "No page shows a picture that is still public." }
            }
            @for (page, items) in &pages {
                div.page {
                    h3 { (link(page)) }
                    ul {
                        @for (id, risk, score, actions) in &items.items {
                            li {
                                span class={ "badge " (risk) } { (risk) } " "
                                a href={ "#" (Site(id)) } { (Site(id)) } " (score " (score) ")"
                                @if !actions.is_empty() {
                                    ul.actions { @for a in actions { li { (Site(a)) } } }
                                }
                            }
                        }
                    }
                }
            }
        }
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
    let mut s = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{}\" role=\"img\" aria-label=\"open exposures by risk over the last runs\">", hgt + 46.0);
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
        // The run's date, as the store wrote it (RFC 3339): digits and dashes.
        let date: String = p
            .started_at
            .chars()
            .take(10)
            .filter(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\
             <text x=\"{:.1}\" y=\"{}\" font-size=\"9\" text-anchor=\"middle\">{date}</text>",
            x + bar * 0.35,
            hgt + 14.0,
            p.run_id,
            x + bar * 0.35,
            hgt + 26.0,
        );
    }
    let _ = write!(s, "<text x=\"{pad}\" y=\"{}\" font-size=\"11\">run and date (bars: high, medium, low; tallest {max})</text></svg>", hgt + 42.0);
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
