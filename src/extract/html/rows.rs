//! Rows of pictures with a line of names spaced out under them: how people
//! lay out a staff page in a CMS editor without a table or cards. A row of
//! photos sits on one line, and the next line holds one name per photo,
//! pushed apart with non-breaking spaces so each stands under its photo:
//!
//! ```text
//! [photo] [photo] [photo]
//! Mrs May &nbsp; &nbsp; &nbsp; Mrs Green &nbsp; &nbsp; Mr Hale
//! ```
//!
//! Read as a block of text, every name is near every photo. Read as a
//! browser draws it, each photo has one. This module reads it the second
//! way, in one pass over the page: lines are cut where a browser starts a
//! new line (block elements and `<br>`), and a line of only pictures
//! followed by a line of exactly as many spaced-out parts gives picture `i`
//! part `i`. When the counts differ nothing is decided here and the usual
//! nearby text applies.

use std::collections::HashMap;

use ego_tree::iter::Edge;
use ego_tree::NodeId;
use scraper::Html;

use super::{is_other_picture, NOT_NEARBY};

/// Longest part of a names line that is read as one picture's caption, in
/// characters: a name and a role ("Mrs Wileman, Teaching Assistant"), not
/// a sentence.
const MAX_PART_CHARS: usize = 80;
/// Text kept per line; a longer line is a paragraph, not a names line.
const MAX_LINE_BYTES: usize = 2000;

#[derive(Default)]
struct Line {
    pictures: Vec<NodeId>,
    text: String,
}

impl Line {
    fn is_empty(&self) -> bool {
        self.pictures.is_empty() && self.text.trim().is_empty()
    }
}

/// Each picture of a row that has a names line under it (or over it, when
/// no other row is above), with its own part of that line.
pub(super) fn row_captions(doc: &Html) -> HashMap<NodeId, String> {
    let lines = lines(doc);
    let mut out = HashMap::new();
    let is_row = |l: &Line| l.pictures.len() >= 2 && l.text.trim().is_empty();
    let names = |l: &Line| (l.pictures.is_empty()).then(|| parts(&l.text)).flatten();
    for (i, line) in lines.iter().enumerate() {
        if !is_row(line) {
            continue;
        }
        let below = lines.get(i + 1).and_then(names);
        // Names over the row only when no row above could own them.
        let above = || {
            let before = i.checked_sub(1).map(|j| &lines[j])?;
            let row_above = i.checked_sub(2).is_some_and(|j| is_row(&lines[j]));
            (!row_above).then(|| names(before)).flatten()
        };
        let fits = |p: &Vec<String>| p.len() == line.pictures.len();
        let Some(parts) = below.filter(fits).or_else(|| above().filter(fits)) else {
            continue;
        };
        for (id, part) in line.pictures.iter().zip(parts) {
            out.insert(*id, part);
        }
    }
    out
}

/// Ends the line being read: kept when it holds anything.
fn brk(cur: &mut Line, lines: &mut Vec<Line>) {
    if cur.is_empty() {
        cur.text.clear();
    } else {
        lines.push(std::mem::take(cur));
    }
}

/// The page cut into lines as a browser would break them, leaving out
/// page furniture. Empty lines are dropped.
fn lines(doc: &Html) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut cur = Line::default();
    let mut skipping = 0usize;
    for edge in doc.root_element().traverse() {
        match edge {
            Edge::Open(node) => {
                if let Some(e) = node.value().as_element() {
                    if skipping > 0 || NOT_NEARBY.contains(&e.name()) {
                        skipping += 1;
                    } else if super::super::WORD_BREAKS.contains(&e.name()) {
                        brk(&mut cur, &mut lines);
                    } else if is_other_picture(e) {
                        cur.pictures.push(node.id());
                    }
                } else if let Some(t) = node.value().as_text() {
                    if skipping == 0 && cur.text.len() < MAX_LINE_BYTES {
                        cur.text.push_str(t);
                    }
                }
            }
            Edge::Close(node) => {
                if let Some(e) = node.value().as_element() {
                    if skipping > 0 {
                        skipping -= 1;
                    } else if super::super::WORD_BREAKS.contains(&e.name()) {
                        brk(&mut cur, &mut lines);
                    }
                }
            }
        }
    }
    brk(&mut cur, &mut lines);
    lines
}

/// A line's parts, where it is spaced out: cut at each run of white space
/// that holds a non-breaking space and is at least two wide (a browser
/// collapses ordinary spaces, so only those make a visible gap). `None`
/// when the line is not spaced out or a part is too long to be a caption.
fn parts(text: &str) -> Option<Vec<String>> {
    if text.len() >= MAX_LINE_BYTES {
        return None;
    }
    let mut parts = Vec::new();
    let mut part = String::new();
    let mut gap = String::new();
    let flush_gap = |part: &mut String, gap: &mut String, parts: &mut Vec<String>| {
        if gap.chars().count() >= 2 && gap.contains('\u{a0}') {
            let p = super::clean_text(part);
            if !p.is_empty() {
                parts.push(p);
            }
            part.clear();
        } else if !gap.is_empty() {
            part.push(' ');
        }
        gap.clear();
    };
    for c in text.chars() {
        if c.is_whitespace() {
            gap.push(c);
        } else {
            if !gap.is_empty() {
                flush_gap(&mut part, &mut gap, &mut parts);
            }
            part.push(c);
        }
    }
    let last = super::clean_text(&part);
    if !last.is_empty() {
        parts.push(last);
    }
    let captions = parts.len() >= 2
        && parts
            .iter()
            .all(|p| p.chars().count() <= MAX_PART_CHARS && p.chars().any(char::is_alphabetic));
    captions.then_some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn captions(html: &str) -> Vec<(String, String)> {
        let doc = Html::parse_document(html);
        let map = row_captions(&doc);
        let mut out: Vec<(String, String)> = map
            .into_iter()
            .map(|(id, part)| {
                let el = scraper::ElementRef::wrap(doc.tree.get(id).unwrap()).unwrap();
                (el.value().attr("src").unwrap().to_string(), part)
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn a_spaced_names_line_under_a_row_of_photos_gives_each_photo_its_name() {
        let got = captions(
            r#"<div><h3><a href="/a.jpg"><img src="/a.jpg"></a>&nbsp;&nbsp;<img src="/b.jpg">
               <span>&nbsp; </span><img src="/c.jpg"></h3>
               <h3><span>&nbsp; Mrs Amber Lane&nbsp; &nbsp;&nbsp; Mr Oswin Hale, Teaching Assistant
               &nbsp;&nbsp;Miss Tamsin Vey</span></h3></div>"#,
        );
        assert_eq!(
            got,
            [
                ("/a.jpg".into(), "Mrs Amber Lane".into()),
                ("/b.jpg".into(), "Mr Oswin Hale, Teaching Assistant".into()),
                ("/c.jpg".into(), "Miss Tamsin Vey".into()),
            ]
        );
    }

    #[test]
    fn names_over_a_row_count_only_when_no_row_above_owns_them() {
        // Names first, then the row: they are the row's.
        let got = captions(
            r#"<p>Mrs Amber Lane&nbsp;&nbsp;&nbsp;Mr Oswin Hale</p>
               <p><img src="/a.jpg"> <img src="/b.jpg"></p>"#,
        );
        assert_eq!(got.len(), 2, "{got:?}");
        // Row, names, row with no names of its own: the second row does
        // not take the first row's names.
        let got = captions(
            r#"<p><img src="/a.jpg"> <img src="/b.jpg"></p>
               <p>Mrs Amber Lane&nbsp;&nbsp;&nbsp;Mr Oswin Hale</p>
               <p><img src="/c.jpg"> <img src="/d.jpg"></p>"#,
        );
        let srcs: Vec<&str> = got.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(srcs, ["/a.jpg", "/b.jpg"]);
    }

    #[test]
    fn lines_that_do_not_fit_the_row_decide_nothing() {
        // Three names under two photos: which is whose is not known.
        assert!(captions(
            r#"<p><img src="/a.jpg"><img src="/b.jpg"></p>
               <p>Mrs Lane&nbsp;&nbsp;Mr Hale&nbsp;&nbsp;Miss Vey</p>"#
        )
        .is_empty());
        // Ordinary spaces (even many in the source) are one space on screen.
        assert!(captions(
            "<p><img src=\"/a.jpg\"><img src=\"/b.jpg\"></p>\n<p>Our class enjoying\n      the trip</p>"
        )
        .is_empty());
        // A sentence is not a caption.
        let long = "word ".repeat(30);
        assert!(captions(&format!(
            "<p><img src=\"/a.jpg\"><img src=\"/b.jpg\"></p><p>{long}&nbsp;&nbsp;Mr Hale</p>"
        ))
        .is_empty());
        // Text between the pictures makes them not a bare row.
        assert!(captions(
            r#"<p><img src="/a.jpg"> Mrs Lane <img src="/b.jpg"> Mr Hale</p>
               <p>Mrs Lane&nbsp;&nbsp;Mr Hale</p>"#
        )
        .is_empty());
    }
}
