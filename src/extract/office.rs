//! Word, PowerPoint and OpenDocument packages: zip files of XML and
//! pictures. A picture's context is its alt text (`descr`, `svg:desc`),
//! its caption (the paragraph beside it styled as a caption), the
//! paragraphs around it (nearby text, nearest first) and the rest of the
//! document or slide; the package's properties (creator, last modified by,
//! title) are the document's metadata. Every entry is read under the
//! decompression bound, and the package as a whole under it too.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Cursor, Read};

use quick_xml::events::{BytesStart, Event};

use super::document::{DocInfo, DocLimits, DocPicture, Format, Skipped};

/// Most entries a package may have.
const MAX_ENTRIES: usize = 20_000;
/// Most headers, footers, layouts and masters read per package.
const MAX_ASIDES: usize = 200;
/// Paragraphs on each side of a picture that are its nearby text.
const AROUND: usize = 2;
/// Most characters of document text kept per picture.
const MAX_DOCUMENT_TEXT: usize = 2000;
/// Most characters of a picture's caption and of its nearby text (a slide's
/// whole text is nearby; one paragraph may be any length).
const MAX_NEARBY_TEXT: usize = 600;

pub struct Office {
    format: Format,
    zip: std::cell::RefCell<zip::ZipArchive<Cursor<Vec<u8>>>>,
    limits: DocLimits,
    /// Decompressed bytes read so far, across entries.
    read: std::cell::Cell<u64>,
}

/// One thing in a document's flow: a paragraph or a picture.
#[derive(Debug)]
enum Item {
    Para {
        text: String,
        caption: bool,
    },
    Picture {
        target: String,
        alt: Option<String>,
    },
    /// A page or slide starts.
    Page,
    /// A part read apart from the body (a Word header or footer, a slide
    /// layout or master, an OpenDocument master page): its pictures are
    /// first shown on `page`, and text is not taken across its edges.
    Part {
        page: u32,
    },
    /// Where Word's own layout started a page when the file was last saved
    /// (`w:lastRenderedPageBreak`). Word writes one after each explicit page
    /// break too, so when a document has them, they alone count.
    RenderedPage,
}

impl Office {
    pub fn open(format: Format, bytes: &[u8], limits: DocLimits) -> Result<Office, String> {
        let zip = zip::ZipArchive::new(Cursor::new(bytes.to_vec()))
            .map_err(|e| format!("not a readable {} package: {e}", format.name()))?;
        if zip.len() > MAX_ENTRIES {
            return Err(format!("a package of {} entries", zip.len()));
        }
        Ok(Office {
            format,
            zip: std::cell::RefCell::new(zip),
            limits,
            read: std::cell::Cell::new(0),
        })
    }

    /// One entry's bytes, under the bounds.
    fn entry(&self, name: &str) -> Result<Vec<u8>, String> {
        let mut zip = self.zip.borrow_mut();
        let file = zip
            .by_name(name)
            .map_err(|_| format!("{name} is not in the package"))?;
        if file.encrypted() {
            return Err("an encrypted package".into());
        }
        let left = self.limits.max_decompressed.saturating_sub(self.read.get());
        if file.size() > left {
            return Err(format!(
                "{name} unpacks to {} bytes, over documents.max_decompressed_bytes",
                file.size()
            ));
        }
        let mut out = Vec::new();
        file.take(left + 1)
            .read_to_end(&mut out)
            .map_err(|e| format!("{name}: {e}"))?;
        if out.len() as u64 > left {
            return Err(format!(
                "{name} unpacks to more than documents.max_decompressed_bytes"
            ));
        }
        self.read.set(self.read.get() + out.len() as u64);
        Ok(out)
    }

    fn names(&self) -> Vec<String> {
        self.zip
            .borrow()
            .file_names()
            .filter_map(|n| n.ok().map(std::borrow::Cow::into_owned))
            .collect()
    }

    /// The slides' parts in the deck's order (`p:sldIdLst` of
    /// ppt/presentation.xml through its relationships); empty when the
    /// package does not say.
    fn slide_order(&self) -> Vec<String> {
        let (Ok(xml), Ok(rels)) = (
            self.entry("ppt/presentation.xml"),
            self.entry("ppt/_rels/presentation.xml.rels"),
        ) else {
            return Vec::new();
        };
        let rels = relationships(&rels, "ppt/presentation.xml");
        let mut out = Vec::new();
        let mut reader = quick_xml::Reader::from_reader(xml.as_slice());
        let mut buf = Vec::new();
        for _ in 0..MAX_ENTRIES {
            match reader.read_event_into(&mut buf) {
                Ok(Event::Empty(e) | Event::Start(e)) if e.local_name().as_ref() == "sldId" => {
                    let rid = e
                        .attributes()
                        .flatten()
                        .find_map(|a| a.key.as_ref().ends_with(":id").then(|| a.value.to_string()));
                    if let Some(target) = rid.and_then(|r| rels.get(&r)) {
                        out.push(target.clone());
                    }
                }
                Ok(Event::Eof) | Err(_) => break,
                _ => {}
            }
            buf.clear();
        }
        out
    }

    /// Reads one part's paragraphs and pictures into the flow. A part that
    /// is missing or over the bounds is a recorded error.
    fn read_part(
        &self,
        part: &str,
        rels: &HashMap<String, String>,
        flow: &mut Vec<Item>,
        skipped: &mut Skipped,
    ) {
        if self.limits.past_deadline() {
            skipped.add("documents.max_secs", 1);
            return;
        }
        match self.entry(part) {
            Ok(xml) => read_flow(&xml, self.format, rels, flow, self.limits.max_depth),
            // Styles are optional in a package; a listed part is not.
            Err(_) if part == "styles.xml" => {}
            Err(e) => skipped.add_error(e),
        }
    }

    pub fn payload(&self, name: &str) -> Result<Vec<u8>, String> {
        self.entry(name)
    }

    pub fn pictures(&self) -> (DocInfo, Vec<DocPicture<String>>, Skipped) {
        let mut skipped = Skipped::default();
        let info = self.info();
        let parts: Vec<(String, Option<String>)> = match self.format {
            Format::Docx => vec![(
                "word/document.xml".into(),
                Some("word/_rels/document.xml.rels".into()),
            )],
            Format::Pptx => {
                let mut slides: Vec<(u32, String)> = self
                    .names()
                    .into_iter()
                    .filter_map(|n| {
                        let num = n
                            .strip_prefix("ppt/slides/slide")?
                            .strip_suffix(".xml")?
                            .parse()
                            .ok()?;
                        Some((num, n))
                    })
                    .collect();
                slides.sort();
                // The deck's order is presentation.xml's list, which need
                // not follow the file names (a moved slide keeps its file).
                let order = self.slide_order();
                if !order.is_empty() {
                    slides.sort_by_key(|(num, n)| {
                        (
                            order.iter().position(|o| o == n).unwrap_or(usize::MAX),
                            *num,
                        )
                    });
                }
                slides
                    .into_iter()
                    .map(|(num, n)| (n, Some(format!("ppt/slides/_rels/slide{num}.xml.rels"))))
                    .collect()
            }
            Format::Odt | Format::Odp => vec![("content.xml".into(), None)],
            Format::Pdf => Vec::new(),
        };
        let mut flow: Vec<Item> = Vec::new();
        // Parts read apart from the body, with the page they first show on
        // and whether their text is the document's (a Word header's is; a
        // slide master's placeholders, "Click to edit", are not).
        let mut asides: Vec<(String, u32, bool)> = Vec::new();
        let mut slide = 0u32;
        for (part, rels) in parts {
            if self.limits.past_deadline() {
                skipped.add("documents.max_secs", 1);
                break;
            }
            let rels = rels.and_then(|r| self.entry(&r).ok());
            let rels = rels.map(|xml| related(&xml, &part)).unwrap_or_default();
            match self.format {
                Format::Docx => asides.extend(
                    rels.iter()
                        .filter(|r| r.2 == "header" || r.2 == "footer")
                        .map(|r| (r.1.clone(), 1, true)),
                ),
                Format::Pptx => {
                    slide += 1;
                    asides.extend(
                        rels.iter()
                            .filter(|r| r.2 == "slideLayout")
                            .map(|r| (r.1.clone(), slide, false)),
                    );
                    flow.push(Item::Page);
                }
                Format::Odt | Format::Odp => {
                    asides.push(("styles.xml".into(), 1, self.format == Format::Odt));
                }
                Format::Pdf => {}
            }
            let rels: HashMap<String, String> = rels.into_iter().map(|(i, t, _)| (i, t)).collect();
            self.read_part(&part, &rels, &mut flow, &mut skipped);
        }
        // A slide layout's master is first shown where the layout is.
        let mut seen: HashSet<String> = HashSet::new();
        let mut k = 0;
        while k < asides.len().min(MAX_ASIDES) {
            let (part, page, text) = asides[k].clone();
            k += 1;
            if !seen.insert(part.clone()) {
                continue;
            }
            let rels = self
                .entry(&rels_of(&part))
                .ok()
                .map(|xml| related(&xml, &part))
                .unwrap_or_default();
            if self.format == Format::Pptx {
                // A layout's master, and a master's every layout (one no
                // slide uses is still in the package a scraper unzips).
                asides.extend(
                    rels.iter()
                        .filter(|r| r.2 == "slideMaster" || r.2 == "slideLayout")
                        .map(|r| (r.1.clone(), page, false)),
                );
            }
            let rels: HashMap<String, String> = rels.into_iter().map(|(i, t, _)| (i, t)).collect();
            flow.push(Item::Part { page });
            let mut part_flow = Vec::new();
            self.read_part(&part, &rels, &mut part_flow, &mut skipped);
            flow.extend(
                part_flow
                    .into_iter()
                    .filter(|i| text || matches!(i, Item::Picture { .. })),
            );
        }
        let pictures = self.place(&flow, &mut skipped);
        (info, pictures, skipped)
    }

    /// Pictures of the flow with their page and context.
    fn place(&self, flow: &[Item], skipped: &mut Skipped) -> Vec<DocPicture<String>> {
        let slides = matches!(self.format, Format::Pptx | Format::Odp);
        let mut out: Vec<DocPicture<String>> = Vec::new();
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
        let rendered = flow.iter().any(|i| matches!(i, Item::RenderedPage));
        // Pages: slides start one; in Word a page break does.
        let mut page = u32::from(!slides);
        let mut starts: Vec<usize> = vec![0];
        let mut page_of: Vec<u32> = Vec::with_capacity(flow.len());
        // Which part (body 0, then each header or master) an item is in.
        let mut part = 0usize;
        let mut part_of: Vec<usize> = Vec::with_capacity(flow.len());
        for (i, item) in flow.iter().enumerate() {
            if let Item::Part { page: first } = item {
                part += 1;
                page = *first;
            }
            part_of.push(part);
            let starts_page = if rendered {
                matches!(item, Item::RenderedPage)
            } else {
                matches!(item, Item::Page)
            };
            if starts_page {
                page += 1;
                starts.push(i);
            }
            page_of.push(page.max(1));
        }
        let paras: Vec<(usize, &str, bool)> = flow
            .iter()
            .enumerate()
            .filter_map(|(i, it)| match it {
                Item::Para { text, caption } => Some((i, text.as_str(), *caption)),
                _ => None,
            })
            .collect();
        let mut index_on_page: BTreeMap<u32, u32> = BTreeMap::new();
        for (i, item) in flow.iter().enumerate() {
            let Item::Picture { target, alt } = item else {
                continue;
            };
            if !seen.insert(target.as_str()) {
                skipped.add("document pictures repeated", 1);
                continue;
            }
            if out.len() as u32 >= self.limits.max_pictures {
                skipped.add("documents.max_pictures", 1);
                continue;
            }
            let p = page_of[i];
            // On a slide, its text is what is around the picture; in a text
            // document, the paragraphs before and after it.
            let same_page = |j: usize| part_of[j] == part_of[i] && (!slides || page_of[j] == p);
            let after: Vec<&(usize, &str, bool)> = paras
                .iter()
                .filter(|(j, _, _)| *j > i && same_page(*j))
                .collect();
            let before: Vec<&(usize, &str, bool)> = paras
                .iter()
                .rev()
                .filter(|(j, _, _)| *j < i && same_page(*j))
                .collect();
            let caption = after
                .first()
                .filter(|c| c.2)
                .or_else(|| before.first().filter(|c| c.2))
                .map(|c| super::truncate_chars(c.1, MAX_NEARBY_TEXT));
            let mut near: Vec<&str> = Vec::new();
            let mut near_len = 0usize;
            let mut used: Vec<usize> = Vec::new();
            for k in 0..AROUND.max(if slides { usize::MAX } else { 0 }) {
                let mut any = false;
                for side in [&after, &before] {
                    if let Some(q) = side.get(k) {
                        any = true;
                        if caption.as_deref() != Some(q.1) && near_len < MAX_NEARBY_TEXT {
                            near_len += q.1.len() + 1;
                            near.push(q.1);
                        }
                        used.push(q.0);
                    }
                }
                if !any {
                    break;
                }
            }
            let mut rest = String::new();
            if !slides {
                for (j, t, _) in &paras {
                    if used.contains(j) || rest.len() + t.len() > MAX_DOCUMENT_TEXT {
                        continue;
                    }
                    if !rest.is_empty() {
                        rest.push('\n');
                    }
                    rest.push_str(t);
                }
            }
            let idx = index_on_page.entry(p).or_default();
            *idx += 1;
            out.push(DocPicture {
                page: p,
                index: *idx,
                width: 0,
                height: 0,
                alt: alt.clone(),
                caption,
                nearby_text: (!near.is_empty())
                    .then(|| super::truncate_chars(&near.join("\n"), MAX_NEARBY_TEXT)),
                document_text: (!rest.is_empty()).then_some(rest),
                source: target.clone(),
            });
        }
        let _ = starts;
        out
    }

    fn info(&self) -> DocInfo {
        let mut info = DocInfo::default();
        let (part, fields): (&str, &[(&str, u8)]) = match self.format {
            Format::Odt | Format::Odp => (
                "meta.xml",
                &[
                    ("initial-creator", 0),
                    ("creator", 1),
                    ("title", 2),
                    ("subject", 3),
                ],
            ),
            _ => (
                "docProps/core.xml",
                &[
                    ("creator", 0),
                    ("lastModifiedBy", 1),
                    ("title", 2),
                    ("subject", 3),
                ],
            ),
        };
        let Ok(xml) = self.entry(part) else {
            return info;
        };
        let mut reader = quick_xml::Reader::from_reader(xml.as_slice());
        let mut current: Option<u8> = None;
        let mut buf = Vec::new();
        loop {
            match reader.read_event_into(&mut buf) {
                Ok(Event::Start(e)) => {
                    current = fields
                        .iter()
                        .find(|(n, _)| e.local_name().as_ref() == *n)
                        .map(|(_, k)| *k);
                }
                Ok(Event::End(_)) => current = None,
                Ok(Event::Text(t)) => {
                    let v = super::clean_text(&t.xml10_content());
                    if !v.is_empty() {
                        let v = Some(super::truncate_chars(&v, 300));
                        match current {
                            Some(0) => info.author = v,
                            Some(1) => info.last_modified_by = v,
                            Some(2) => info.title = v,
                            Some(3) => info.subject = v,
                            _ => {}
                        }
                    }
                }
                Ok(Event::Eof) | Err(_) => break,
                _ => {}
            }
            buf.clear();
        }
        if info.last_modified_by == info.author {
            info.last_modified_by = None;
        }
        info
    }
}

/// Relationship ids to package paths, from a `.rels` part beside `part`.
fn relationships(xml: &[u8], part: &str) -> HashMap<String, String> {
    related(xml, part)
        .into_iter()
        .map(|(id, target, _)| (id, target))
        .collect()
}

/// A part's relationships in order: id, package path and type (the last
/// word of its type URI: `image`, `header`, `slideLayout`).
fn related(xml: &[u8], part: &str) -> Vec<(String, String, String)> {
    let dir = part.rsplit_once('/').map_or("", |(d, _)| d);
    let mut out = Vec::new();
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Empty(e) | Event::Start(e)) if e.local_name().as_ref() == "Relationship" => {
                let (id, target, external) = (
                    attr(&e, "Id"),
                    attr(&e, "Target"),
                    attr(&e, "TargetMode").as_deref() == Some("External"),
                );
                let kind = attr(&e, "Type")
                    .and_then(|t| t.rsplit('/').next().map(str::to_string))
                    .unwrap_or_default();
                if let (Some(id), Some(t), false) = (id, target, external) {
                    if out.len() < MAX_ENTRIES {
                        out.push((id, join_path(dir, &t), kind));
                    }
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    out
}

/// Where a part's relationships are: `word/header1.xml` has
/// `word/_rels/header1.xml.rels`.
fn rels_of(part: &str) -> String {
    match part.rsplit_once('/') {
        Some((dir, file)) => format!("{dir}/_rels/{file}.rels"),
        None => format!("_rels/{part}.rels"),
    }
}

/// `dir` joined with a relative target (`../media/image1.png`).
fn join_path(dir: &str, target: &str) -> String {
    if let Some(abs) = target.strip_prefix('/') {
        return abs.to_string();
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for seg in target.split('/') {
        match seg {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            s => parts.push(s),
        }
    }
    parts.join("/")
}

fn attr(e: &BytesStart, local: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        (a.key.local_name().as_ref() == local)
            .then(|| a.value.to_string())
            .map(|v| {
                quick_xml::escape::unescape(&v).map_or(v.clone(), std::borrow::Cow::into_owned)
            })
    })
}

/// Reads paragraphs and pictures, in order, from a part's XML.
fn read_flow(
    xml: &[u8],
    format: Format,
    rels: &HashMap<String, String>,
    flow: &mut Vec<Item>,
    max_depth: u32,
) {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut text = String::new();
    let mut caption = false;
    let mut in_para = 0u32;
    let mut depth = 0u32;
    let mut too_deep = false;
    // The picture being read: its alt text, until its target is known.
    let mut alt: Option<String> = None;
    let mut in_desc = false;
    let mut desc = String::new();
    let para = "p";
    let push_para = |flow: &mut Vec<Item>, text: &mut String, caption: bool| {
        let t = super::clean_text(text);
        if !t.is_empty() && flow.len() < 200_000 {
            flow.push(Item::Para { text: t, caption });
        }
        text.clear();
    };
    loop {
        let ev = reader.read_event_into(&mut buf);
        match ev {
            Ok(Event::Start(ref e) | Event::Empty(ref e)) => {
                let empty = matches!(ev, Ok(Event::Empty(_)));
                if !empty {
                    depth += 1;
                    // Hostile nesting: the rest of the part is not read.
                    if depth > 64 * max_depth.max(1) {
                        too_deep = true;
                        break;
                    }
                }
                let name = e.local_name();
                let name = name.as_ref();
                match (format, name) {
                    (_, n) if n == para && !empty => {
                        in_para += 1;
                        if in_para == 1 {
                            text.clear();
                            caption = false;
                        }
                    }
                    (Format::Odt | Format::Odp, "h") if !empty => {
                        in_para += 1;
                        text.clear();
                        caption = false;
                    }
                    // Word: a paragraph's style, a page break.
                    (Format::Docx, "pStyle") => {
                        caption |= attr(e, "val")
                            .is_some_and(|v| v.to_ascii_lowercase().contains("caption"));
                    }
                    (Format::Docx, "lastRenderedPageBreak") => flow.push(Item::RenderedPage),
                    (Format::Docx, "br") if attr(e, "type").as_deref() == Some("page") => {
                        flow.push(Item::Page);
                    }
                    // The picture's alt text, then its reference.
                    (Format::Docx, "docPr") | (Format::Pptx, "cNvPr") => {
                        alt = attr(e, "descr")
                            .or_else(|| attr(e, "title"))
                            .map(|s| super::clean_text(&s))
                            .filter(|s| !s.is_empty());
                    }
                    // DrawingML's picture, or an older (VML) one: Word still
                    // writes `v:imagedata` for some pictures and headers.
                    (Format::Docx | Format::Pptx, "blip" | "imagedata") => {
                        let id = if name == "blip" {
                            attr(e, "embed")
                        } else {
                            attr(e, "id")
                        };
                        if let Some(t) = id.and_then(|id| rels.get(&id)) {
                            flow.push(Item::Picture {
                                target: t.clone(),
                                alt: alt.take(),
                            });
                        }
                    }
                    (Format::Odt | Format::Odp, "page") if !empty => flow.push(Item::Page),
                    (Format::Odt | Format::Odp, "frame") => alt = None,
                    (Format::Odt | Format::Odp, "desc" | "title") if !empty => {
                        in_desc = true;
                        desc.clear();
                    }
                    // A picture, or a master page's background fill.
                    (Format::Odt | Format::Odp, "image" | "fill-image") => {
                        if let Some(href) = attr(e, "href").filter(|h| !h.contains("://")) {
                            flow.push(Item::Picture {
                                target: href.trim_start_matches("./").to_string(),
                                alt: alt.clone(),
                            });
                        }
                    }
                    (Format::Odt | Format::Odp, "s" | "tab") | (Format::Docx, "tab") => {
                        text.push(' ');
                    }
                    _ => {}
                }
                if matches!(format, Format::Odt | Format::Odp) && name == para {
                    caption |= attr(e, "style-name").is_some_and(|v| {
                        let v = v.to_ascii_lowercase();
                        v.contains("caption") || v.contains("illustration")
                    });
                }
            }
            Ok(Event::End(ref e)) => {
                depth = depth.saturating_sub(1);
                let name = e.local_name();
                let name = name.as_ref();
                if (name == para || (matches!(format, Format::Odt | Format::Odp) && name == "h"))
                    && in_para > 0
                {
                    in_para -= 1;
                    if in_para == 0 {
                        push_para(flow, &mut text, caption);
                    }
                }
                if in_desc && matches!(name, "desc" | "title") {
                    in_desc = false;
                    let d = super::clean_text(&desc);
                    if !d.is_empty() {
                        // The description is read after the image element:
                        // it belongs to the picture just listed.
                        if let Some(Item::Picture { alt: a, .. }) = flow.last_mut() {
                            if a.is_none() || name == "desc" {
                                *a = Some(d.clone());
                            }
                        }
                        alt = Some(d);
                    }
                }
            }
            Ok(Event::Text(t)) => {
                let s = t.xml10_content();
                if in_desc {
                    desc.push_str(&s);
                } else if (in_para > 0 || format == Format::Pptx) && text.len() < 100_000 {
                    text.push_str(&s);
                }
            }
            Ok(Event::GeneralRef(r)) => {
                if let Some(c) = super::xml_reference(&r.into_inner()) {
                    if in_desc {
                        desc.push_str(&c);
                    } else {
                        text.push_str(&c);
                    }
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    let _ = too_deep;
    push_para(flow, &mut text, caption);
}

#[cfg(test)]
mod tests {
    use super::super::document::{Format, Opened, Payload, Skipped};
    use super::super::pdf::tests::{fixture, limits};
    use super::{Item, Office};

    fn open(name: &str, format: Format) -> Opened {
        let bytes = fixture(name);
        assert_eq!(Format::of(None, &bytes, name), Some(format), "{name}");
        Opened::open(format, &bytes, limits()).unwrap()
    }

    fn is_picture(doc: &Opened, p: &super::super::document::Place) {
        match doc.payload(p).unwrap() {
            Payload::Encoded(b) => assert!(image::guess_format(&b).is_ok()),
            Payload::Raster(_) => panic!("a package's picture is a file"),
        }
    }

    #[test]
    fn word_gives_each_picture_its_alt_text_caption_and_paragraphs() {
        let doc = open("letter.docx", Format::Docx);
        let (info, pictures, _) = doc.pictures();
        assert_eq!(info.author.as_deref(), Some("Heather Lewis"));
        assert_eq!(info.last_modified_by.as_deref(), Some("Paul Davies"));
        assert_eq!(pictures.len(), 1);
        let p = &pictures[0];
        assert_eq!(p.page, 1);
        assert_eq!(p.alt.as_deref(), Some("Mr Simon Price at the school gate"));
        assert_eq!(p.caption.as_deref(), Some("Mr Simon Price, Headteacher"));
        let near = p.nearby_text.as_deref().unwrap_or_default();
        assert!(near.contains("new headteacher"), "{near}");
        is_picture(&doc, &p.source);
    }

    #[test]
    fn slides_give_each_picture_its_slide_and_the_slide_text() {
        let doc = open("assembly.pptx", Format::Pptx);
        let (info, pictures, _) = doc.pictures();
        assert_eq!(info.author.as_deref(), Some("Ruth Morgan"));
        let pages: Vec<u32> = pictures.iter().map(|p| p.page).collect();
        assert_eq!(pages, [1, 2]);
        assert_eq!(
            pictures[0].alt.as_deref(),
            Some("Rhys Williams, Year 6, on the track")
        );
        let near = pictures[0].nearby_text.as_deref().unwrap_or_default();
        assert!(near.contains("Well done to Rhys Williams"), "{near}");
        assert!(!near.contains("science trip"), "{near}");
        for p in &pictures {
            is_picture(&doc, &p.source);
        }
    }

    /// A slide moved in the deck keeps its file name: the order is
    /// presentation.xml's, so the picture of the slide shown first is on
    /// slide 1.
    #[test]
    fn slides_are_numbered_in_the_decks_order_not_by_file_name() {
        use std::io::{Read, Write};
        let path = format!(
            "{}/tests/fixtures/documents/assembly.pptx",
            env!("CARGO_MANIFEST_DIR")
        );
        let mut src = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
        let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for i in 0..src.len() {
            let mut f = src.by_index(i).unwrap();
            let name = f.name().unwrap().into_owned();
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).unwrap();
            if name == "ppt/presentation.xml" {
                let text = String::from_utf8(bytes).unwrap().replace(
                    r#"<p:sldId id="256" r:id="rId7"/><p:sldId id="257" r:id="rId8"/>"#,
                    r#"<p:sldId id="257" r:id="rId8"/><p:sldId id="256" r:id="rId7"/>"#,
                );
                assert!(text.contains(r#"<p:sldIdLst><p:sldId id="257""#));
                bytes = text.into_bytes();
            }
            out.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            out.write_all(&bytes).unwrap();
        }
        let bytes = out.finish().unwrap().into_inner();
        let doc = Opened::open(Format::Pptx, &bytes, limits()).unwrap();
        let (_, pictures, _) = doc.pictures();
        let by_page: Vec<(u32, Option<&str>)> = pictures
            .iter()
            .map(|p| (p.page, p.alt.as_deref()))
            .collect();
        assert_eq!(
            by_page[1],
            (2, Some("Rhys Williams, Year 6, on the track")),
            "{by_page:?}"
        );
        assert_eq!(by_page[0].0, 1, "{by_page:?}");
    }

    /// Word writes w:lastRenderedPageBreak after an explicit page break as
    /// well: one break, one page, not two.
    #[test]
    fn a_word_page_break_is_counted_once() {
        let bytes = fixture("letter.docx");
        let office = Office::open(Format::Docx, &bytes, limits()).unwrap();
        let para = |t: &str| Item::Para {
            text: t.into(),
            caption: false,
        };
        let picture = || Item::Picture {
            target: "word/media/image1.png".into(),
            alt: None,
        };
        // Saved by Word: explicit break, then the rendered one.
        let flow = vec![
            para("one"),
            Item::Page,
            Item::RenderedPage,
            para("two"),
            picture(),
        ];
        let placed = office.place(&flow, &mut Skipped::default());
        assert_eq!(placed[0].page, 2);
        // Written by a library: explicit breaks only.
        let flow = vec![para("one"), Item::Page, para("two"), Item::Page, picture()];
        let placed = office.place(&flow, &mut Skipped::default());
        assert_eq!(placed[0].page, 3);
    }

    #[test]
    fn opendocument_text_and_slides() {
        let doc = open("class-news.odt", Format::Odt);
        let (info, pictures, _) = doc.pictures();
        assert_eq!(info.author.as_deref(), Some("Sian Roberts"));
        assert_eq!(pictures.len(), 1);
        assert_eq!(
            pictures[0].alt.as_deref(),
            Some("Owen Price with his model")
        );
        let near = pictures[0].nearby_text.as_deref().unwrap_or_default();
        assert!(near.contains("Owen Price built the best model"), "{near}");
        is_picture(&doc, &pictures[0].source);
        let doc = open("assembly.odp", Format::Odp);
        let (_, pictures, _) = doc.pictures();
        assert_eq!(pictures.len(), 1);
        assert_eq!(pictures[0].page, 1);
        assert_eq!(pictures[0].alt.as_deref(), Some("Megan Lloyd, Year 2"));
        let near = pictures[0].nearby_text.as_deref().unwrap_or_default();
        assert!(near.contains("Megan Lloyd read to the class"), "{near}");
    }

    #[test]
    fn a_zip_bomb_stops_at_the_decompression_bound() {
        let bytes = fixture("hostile/zip-bomb.docx");
        let doc = Opened::open(Format::Docx, &bytes, limits()).unwrap();
        let (_, pictures, skipped) = doc.pictures();
        assert!(pictures.is_empty());
        assert!(
            skipped
                .errors
                .iter()
                .any(|e| e.contains("max_decompressed_bytes")),
            "{skipped:?}"
        );
    }

    #[test]
    fn pictures_in_word_headers_and_footers_are_read_with_their_text() {
        let doc = open("letterhead.docx", Format::Docx);
        let (_, pictures, skipped) = doc.pictures();
        assert!(skipped.errors.is_empty(), "{skipped:?}");
        assert_eq!(pictures.len(), 2, "{pictures:?}");
        for p in &pictures {
            assert_eq!(p.page, 1);
            is_picture(&doc, &p.source);
        }
        let texts: Vec<String> = pictures
            .iter()
            .map(|p| p.nearby_text.clone().unwrap_or_default())
            .collect();
        assert!(texts[0].contains("Pengwern Primary School"), "{texts:?}");
        assert!(
            texts[1].contains("Mrs Cerys Hughes, Headteacher"),
            "{texts:?}"
        );
        // A header's text is not the footer picture's, nor the reverse.
        assert!(!texts[0].contains("Cerys"), "{texts:?}");
        assert!(!texts[1].contains("Pengwern"), "{texts:?}");
        assert_ne!(pictures[0].index, pictures[1].index);
    }

    #[test]
    fn a_slide_layouts_picture_is_shown_first_where_the_layout_is_used() {
        let doc = open("deck-with-master.pptx", Format::Pptx);
        let (_, pictures, skipped) = doc.pictures();
        assert!(skipped.errors.is_empty(), "{skipped:?}");
        assert_eq!(pictures.len(), 2, "{pictures:?}");
        // The layout no slide uses is reached through the master, which
        // slide 1's layout shows first.
        let pages: Vec<u32> = pictures.iter().map(|p| p.page).collect();
        assert_eq!(pages, vec![2, 1]);
        is_picture(&doc, &pictures[1].source);
        let p = &pictures[0];
        is_picture(&doc, &p.source);
        // A layout's placeholders are not text beside its picture, and the
        // slide's own text is not either: the picture is on every slide.
        assert_eq!(p.nearby_text, None);
        assert_eq!(p.caption, None);
    }

    #[test]
    fn an_older_vml_picture_in_a_word_header_is_read() {
        // Word writes VML (`v:imagedata r:id`) for some pictures, headers
        // saved by older versions among them.
        let xml = br#"<w:hdr xmlns:w="w" xmlns:v="v" xmlns:r="r"><w:p><w:r><w:pict><v:shape><v:imagedata r:id="rId2" o:title="logo"/></v:shape></w:pict></w:r><w:r><w:t>Park School</w:t></w:r></w:p></w:hdr>"#;
        let rels: std::collections::HashMap<String, String> =
            [("rId2".to_string(), "word/media/image3.png".to_string())].into();
        let mut flow = Vec::new();
        super::read_flow(xml, Format::Docx, &rels, &mut flow, 8);
        assert!(
            matches!(flow.first(), Some(Item::Picture { target, .. }) if target == "word/media/image3.png"),
            "{flow:?}"
        );
    }
}
