//! PDF: the pictures a scraper extracts from a document, where each one is
//! on its page, and the text around it.
//!
//! The content stream of every page is interpreted far enough to know
//! where text and pictures are drawn (the graphics state's matrix, the text
//! matrix, `Do` of image and form XObjects, inline images, tiling
//! patterns). A picture's context is then the text nearest to it: the line
//! just under or over it (its caption), the lines for which it is the
//! nearest picture (nearby text, nearest first), and the rest of the page
//! (document text). Pictures are decoded only when asked for
//! ([`Pdf::payload`]), one at a time. Every count, depth and size is
//! bounded by [`DocLimits`].

use std::collections::{HashMap, HashSet};

use lopdf::content::Content;
use lopdf::{Dictionary, Document, Object, ObjectId, Stream};
use sha2::{Digest, Sha256};

use super::document::{DocInfo, DocLimits, DocPicture, OpenError, Payload, Skipped};
use crate::model::{Colour, Raster};

/// Text within this distance (points) of a picture can be its nearby text.
const NEAR: f32 = 110.0;
/// A caption sits at most this far (points) under or over its picture.
const CAPTION_GAP: f32 = 32.0;
/// Most characters of document text kept per picture.
const MAX_DOCUMENT_TEXT: usize = 2000;
/// Most characters of nearby text kept per picture.
const MAX_NEARBY_TEXT: usize = 600;
/// Most content-stream operations interpreted per page (forms included).
const MAX_OPERATIONS: usize = 2_000_000;
/// Most bytes one content stream (a page's, a form's or a pattern's) may
/// decompress to before it is interpreted: its operands are parsed into
/// objects many times their size, so this is far below the stream limit.
const MAX_CONTENT_STREAM: usize = 4 * 1024 * 1024;
/// Most content bytes interpreted per page, a form drawn many times counted
/// each time.
const MAX_PAGE_CONTENT: usize = 16 * 1024 * 1024;
/// Most text runs and pictures placed per page, and most bytes of text
/// kept per run and per page.
const MAX_RUNS: usize = 20_000;
const MAX_RUN_TEXT: usize = 1000;
const MAX_PAGE_TEXT: usize = 1 << 20;
const MAX_PLACED: usize = 500;
/// Most fonts read per page.
const MAX_FONTS: usize = 1000;
/// The deadline is looked at every this many operations.
const DEADLINE_EVERY: usize = 4096;

/// An opened PDF whose pictures are decoded on demand.
pub struct Pdf {
    doc: Document,
    limits: DocLimits,
}

/// Where one picture's samples are.
#[derive(Debug, Clone)]
pub enum Source {
    Object(ObjectId),
    Inline(Box<Stream>),
}

/// Axis-aligned box in default user space: x0, y0, x1, y1.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Rect(f32, f32, f32, f32);

impl Rect {
    fn gap(&self, o: &Rect) -> (f32, f32) {
        let dx = (o.0 - self.2).max(self.0 - o.2).max(0.0);
        let dy = (o.1 - self.3).max(self.1 - o.3).max(0.0);
        (dx, dy)
    }
    fn distance(&self, o: &Rect) -> f32 {
        let (dx, dy) = self.gap(o);
        dx.hypot(dy)
    }
    fn x_overlap(&self, o: &Rect) -> f32 {
        (self.2.min(o.2) - self.0.max(o.0)).max(0.0)
    }
}

type Matrix = [f32; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `a` then `b`.
fn mul(a: &Matrix, b: &Matrix) -> Matrix {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

fn apply(m: &Matrix, x: f32, y: f32) -> (f32, f32) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

/// The box the unit square lands on under `m`: where an image is drawn.
fn unit_box(m: &Matrix) -> Rect {
    let pts = [
        apply(m, 0.0, 0.0),
        apply(m, 1.0, 0.0),
        apply(m, 0.0, 1.0),
        apply(m, 1.0, 1.0),
    ];
    let mut r = Rect(f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for (x, y) in pts {
        r.0 = r.0.min(x);
        r.1 = r.1.min(y);
        r.2 = r.2.max(x);
        r.3 = r.3.max(y);
    }
    r
}

/// A run of text drawn at one place.
#[derive(Debug, Clone)]
struct Run {
    rect: Rect,
    size: f32,
    text: String,
}

/// A picture drawn on a page, before its context is known.
struct Placed {
    source: Source,
    rect: Option<Rect>,
    width: u32,
    height: u32,
}

impl Pdf {
    /// Opens a PDF. An encrypted one opens when its user password is empty;
    /// any other is refused, as a scraper without the password sees it.
    pub fn open(bytes: &[u8], limits: DocLimits) -> Result<Pdf, OpenError> {
        let options = lopdf::LoadOptions {
            max_decompressed_size: Some(limits.max_decompressed as usize),
            ..Default::default()
        };
        let doc = Document::load_mem_with_options(bytes, options)
            .map_err(|e| format!("not a readable PDF: {e}"))?;
        if doc.trailer.get(b"Encrypt").is_ok() && doc.encryption_state.is_none() {
            return Err(OpenError::Protected);
        }
        Ok(Pdf { doc, limits })
    }

    /// The document's properties and its pictures with their context.
    pub fn pictures(&self) -> (DocInfo, Vec<DocPicture<Source>>, Skipped) {
        let info = self.info();
        let mut skipped = Skipped::default();
        let mut out = Vec::new();
        let mut objects_seen: HashSet<ObjectId> = HashSet::new();
        let pages = self.doc.get_pages();
        for (n, (page_no, page_id)) in pages.iter().enumerate() {
            if n as u32 >= self.limits.max_pages {
                skipped.add("documents.max_pages", (pages.len() - n) as u32);
                break;
            }
            if self.limits.past_deadline() {
                skipped.add("documents.max_secs", (pages.len() - n) as u32);
                break;
            }
            let (runs, mut placed, error) = self.layout(*page_id);
            if let Some(e) = error {
                skipped.add_error(format!("page {page_no}: {e}"));
                if placed.is_empty() {
                    // Where the pictures are drawn is not known, but a
                    // scraper still takes the page's pictures.
                    placed = self.listed_pictures(*page_id);
                }
            }
            let lines = lines(runs);
            let mut kept: Vec<Placed> = Vec::new();
            for p in placed {
                if p.width.min(p.height) < super::document::MIN_PICTURE_SIDE {
                    skipped.add("document decoration", 1);
                    continue;
                }
                if let Source::Object(id) = &p.source {
                    // The same picture object on every page (a logo): once.
                    if !objects_seen.insert(*id) {
                        skipped.add("document pictures repeated", 1);
                        continue;
                    }
                }
                kept.push(p);
            }
            let rects: Vec<Option<Rect>> = kept.iter().map(|p| p.rect).collect();
            let nearest = Nearest::of(&rects, &lines);
            for (i, p) in kept.into_iter().enumerate() {
                if out.len() as u32 >= self.limits.max_pictures {
                    skipped.add("documents.max_pictures", 1);
                    continue;
                }
                let (caption, nearby, rest) = context_of(i, &rects, &lines, &nearest);
                out.push(DocPicture {
                    page: *page_no,
                    index: (i + 1) as u32,
                    width: p.width,
                    height: p.height,
                    alt: None,
                    caption,
                    nearby_text: nearby,
                    document_text: rest,
                    source: p.source,
                });
            }
        }
        (info, out, skipped)
    }

    /// Decodes one picture: a JPEG as its own bytes, anything else as samples.
    pub fn payload(&self, source: &Source) -> Result<Payload, String> {
        let stream: &Stream = match source {
            Source::Object(id) => self
                .doc
                .get_object(*id)
                .and_then(Object::as_stream)
                .map_err(|e| e.to_string())?,
            Source::Inline(s) => s,
        };
        self.decode_image(stream, matches!(source, Source::Inline(_)))
    }

    fn info(&self) -> DocInfo {
        let mut info = DocInfo::default();
        let get = |d: &Dictionary, k: &[u8]| -> Option<String> {
            let o = d.get(k).ok()?;
            let o = match o {
                Object::Reference(id) => self.doc.get_object(*id).ok()?,
                o => o,
            };
            let s = lopdf::decode_text_string(o).ok()?;
            let s = super::clean_text(&s);
            (!s.is_empty()).then(|| super::truncate_chars(&s, 300))
        };
        if let Some(d) = self
            .doc
            .trailer
            .get(b"Info")
            .ok()
            .and_then(|o| self.doc.dereference(o).ok())
            .and_then(|(_, o)| o.as_dict().ok())
        {
            info.title = get(d, b"Title");
            info.author = get(d, b"Author");
            info.creator = get(d, b"Creator");
            info.subject = get(d, b"Subject");
        }
        // XMP: the creators and title a scraper's metadata reader shows.
        if let Some(xmp) = self
            .doc
            .catalog()
            .ok()
            .and_then(|c| c.get(b"Metadata").ok())
            .and_then(|o| o.as_reference().ok())
            .and_then(|id| self.doc.get_object(id).ok())
            .and_then(|o| o.as_stream().ok())
            .and_then(|s| s.decompressed_content_with_limit(1 << 20).ok())
        {
            let x = super::document::xmp_fields(&xmp);
            if info.title.is_none() {
                info.title = x.title;
            }
            for c in x.creators {
                if info.author.as_deref() != Some(c.as_str()) {
                    info.people.push(c);
                }
            }
        }
        info
    }

    /// The text runs and pictures of one page, in user space, and the
    /// error that stopped the walk early, if one did: what was found before
    /// it is kept.
    fn layout(&self, page_id: ObjectId) -> (Vec<Run>, Vec<Placed>, Option<String>) {
        let mut walker = Walker {
            pdf: self,
            runs: Vec::new(),
            placed: Vec::new(),
            operations: 0,
            content_bytes: 0,
            text_bytes: 0,
            fonts: Vec::new(),
            font_at: HashMap::new(),
            patterns: HashSet::new(),
        };
        let resources = self.page_resources(page_id);
        let walked = self
            .doc
            .get_page_content_with_limit(page_id, MAX_CONTENT_STREAM)
            .map_err(|e| format!("page content: {e}"))
            .and_then(|content| walker.walk(&content, &resources, IDENTITY, 0));
        let error = walked
            .and_then(|()| walker.patterns_in(&resources, 0))
            .err();
        (walker.runs, walker.placed, error)
    }

    /// The picture XObjects a page's resources name, where they are drawn
    /// not known: what is listed when the page's drawing cannot be followed.
    fn listed_pictures(&self, page_id: ObjectId) -> Vec<Placed> {
        let mut out = Vec::new();
        for res in self.page_resources(page_id) {
            let Ok(xobjects) = self.dict_in(&res, b"XObject") else {
                continue;
            };
            for (_, o) in xobjects {
                let Ok(id) = o.as_reference() else { continue };
                let Ok(stream) = self.doc.get_object(id).and_then(Object::as_stream) else {
                    continue;
                };
                if stream.dict.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Image")
                    && out.len() < MAX_PLACED
                {
                    let (width, height) = self.dimensions(&stream.dict);
                    out.push(Placed {
                        source: Source::Object(id),
                        rect: None,
                        width,
                        height,
                    });
                }
            }
        }
        out
    }

    /// A picture's width and height as its dictionary gives them (directly
    /// or by reference); 0 when missing or out of range.
    fn dimensions(&self, dict: &Dictionary) -> (u32, u32) {
        let dim = |k: &[u8]| {
            dict.get(k)
                .ok()
                .map(|o| self.resolve(o))
                .and_then(|o| o.as_i64().ok())
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(0)
        };
        (dim(b"Width"), dim(b"Height"))
    }

    /// A page's resource dictionaries, nearest first.
    fn page_resources(&self, page_id: ObjectId) -> Vec<Dictionary> {
        let Ok((direct, ids)) = self.doc.get_page_resources(page_id) else {
            return Vec::new();
        };
        let mut out: Vec<Dictionary> = direct.cloned().into_iter().collect();
        for id in ids {
            if let Ok(d) = self.doc.get_dictionary(id) {
                out.push(d.clone());
            }
        }
        out
    }

    /// A form's or pattern's own resources, else its parent's.
    fn resources_of(&self, dict: &Dictionary, parent: &[Dictionary]) -> Vec<Dictionary> {
        match dict
            .get(b"Resources")
            .ok()
            .and_then(|o| self.doc.dereference(o).ok())
            .and_then(|(_, o)| o.as_dict().ok())
        {
            Some(d) => vec![d.clone()],
            None => parent.to_vec(),
        }
    }

    fn dict_in<'a>(&'a self, res: &'a Dictionary, key: &[u8]) -> Result<&'a Dictionary, String> {
        let o = res.get(key).map_err(|e| e.to_string())?;
        let (_, o) = self.doc.dereference(o).map_err(|e| e.to_string())?;
        o.as_dict().map_err(|e| e.to_string())
    }

    /// An XObject by name in the nearest resources that have it.
    fn xobject(&self, resources: &[Dictionary], name: &[u8]) -> Option<(ObjectId, &Stream)> {
        for res in resources {
            if let Ok(x) = self.dict_in(res, b"XObject") {
                if let Ok(id) = x.get(name).and_then(Object::as_reference) {
                    let s = self.doc.get_object(id).and_then(Object::as_stream).ok()?;
                    return Some((id, s));
                }
            }
        }
        None
    }

    /// An inline image's colour space named in the resources (`/CS /Cs1`)
    /// is replaced by what the resources say it is.
    fn named_colour_space(&self, dict: &mut Dictionary, resources: &[Dictionary]) {
        let key: &[u8] = if dict.has(b"CS") {
            b"CS"
        } else {
            b"ColorSpace"
        };
        let Ok(Object::Name(name)) = dict.get(key) else {
            return;
        };
        let device = [
            b"DeviceGray".as_slice(),
            b"G",
            b"DeviceRGB",
            b"RGB",
            b"DeviceCMYK",
            b"CMYK",
            b"Indexed",
            b"I",
        ];
        if device.contains(&name.as_slice()) {
            return;
        }
        let name = name.clone();
        let found = resources.iter().find_map(|res| {
            self.dict_in(res, b"ColorSpace")
                .ok()
                .and_then(|d| d.get(&name).ok())
                .map(|o| self.resolve(o).clone())
        });
        if let Some(cs) = found {
            dict.set(key.to_vec(), cs);
        }
    }

    /// Feeds what an object says, not how it is stored, to a hash: a
    /// reference is followed (so a re-saved file's renumbered objects hash
    /// alike), a stream is its dictionary and raw bytes.
    fn identity(&self, o: &Object, h: &mut Sha256, depth: u32) {
        if depth > 4 {
            return;
        }
        let o = self.resolve(o);
        match o {
            Object::Null => h.update(b"n"),
            Object::Boolean(b) => h.update(if *b { b"t" } else { b"f" }),
            Object::Integer(i) => h.update(format!("i{i}")),
            Object::Real(r) => h.update(format!("r{r}")),
            Object::Name(n) => {
                h.update(b"/");
                h.update(n);
            }
            Object::String(s, _) => {
                h.update(format!("s{}:", s.len()));
                h.update(s);
            }
            Object::Array(a) => {
                h.update(format!("[{}", a.len()));
                for v in a {
                    self.identity(v, h, depth + 1);
                }
            }
            Object::Dictionary(d) => self.identity_dict(d, h, depth),
            Object::Stream(s) => {
                self.identity_dict(&s.dict, h, depth);
                h.update(format!("b{}:", s.content.len()));
                h.update(&s.content);
            }
            Object::Reference(_) => h.update(b"R"),
        }
    }

    fn identity_dict(&self, d: &Dictionary, h: &mut Sha256, depth: u32) {
        let mut keys: Vec<(&Vec<u8>, &Object)> = d.iter().collect();
        keys.sort_by(|a, b| a.0.cmp(b.0));
        h.update(format!("<{}", keys.len()));
        for (k, v) in keys {
            h.update(k);
            self.identity(v, h, depth + 1);
        }
    }

    fn resolve<'a>(&'a self, o: &'a Object) -> &'a Object {
        self.doc.dereference(o).map_or(o, |(_, o)| o)
    }

    fn decode_image(&self, stream: &Stream, inline: bool) -> Result<Payload, String> {
        let dict = &stream.dict;
        let key = |long: &'static [u8], short: &'static [u8]| {
            dict.get(long)
                .or_else(|_| {
                    if inline {
                        dict.get(short)
                    } else {
                        dict.get(long)
                    }
                })
                .ok()
                .map(|o| self.resolve(o))
        };
        let width = key(b"Width", b"W")
            .and_then(|o| o.as_i64().ok())
            .unwrap_or(0);
        let height = key(b"Height", b"H")
            .and_then(|o| o.as_i64().ok())
            .unwrap_or(0);
        let (width, height) = (
            u32::try_from(width).map_err(|_| "bad picture width")?,
            u32::try_from(height).map_err(|_| "bad picture height")?,
        );
        if width == 0 || height == 0 {
            return Err("zero-sized picture".into());
        }
        if u64::from(width) * u64::from(height) > self.limits.max_pixels {
            return Err(format!(
                "picture of {width} x {height} pixels exceeds the {}-pixel limit",
                self.limits.max_pixels
            ));
        }
        if key(b"ImageMask", b"IM").and_then(|o| o.as_bool().ok()) == Some(true) {
            return Err("a stencil mask, not a picture".into());
        }
        let filters: Vec<Vec<u8>> = match key(b"Filter", b"F") {
            Some(Object::Name(n)) => vec![long_filter(n)],
            Some(Object::Array(a)) => a
                .iter()
                .filter_map(|o| o.as_name().ok().map(long_filter))
                .collect(),
            _ => Vec::new(),
        };
        let cap = self.limits.max_decompressed as usize;
        let last = filters.last().map(Vec::as_slice);
        // What comes before the picture codec (rarely anything).
        let pre = |n: usize| -> Result<Vec<u8>, String> {
            if n == 0 {
                return Ok(stream.content.clone());
            }
            let mut s = stream.clone();
            let names: Vec<Object> = filters[..n]
                .iter()
                .map(|f| Object::Name(f.clone()))
                .collect();
            s.dict.set("Filter", Object::Array(names));
            s.dict.remove(b"DecodeParms");
            s.decompressed_content_with_limit(cap)
                .map_err(|e| e.to_string())
        };
        match last {
            Some(b"DCTDecode") => {
                let bytes = pre(filters.len() - 1)?;
                return Ok(Payload::Encoded(bytes));
            }
            Some(b"JPXDecode") => {
                let bytes = pre(filters.len() - 1)?;
                return jpx(&bytes, self.limits.max_pixels).map(Payload::Raster);
            }
            Some(f @ (b"CCITTFaxDecode" | b"JBIG2Decode")) => {
                return Err(format!(
                    "not decoded: {} (a black-and-white scan)",
                    String::from_utf8_lossy(f)
                ));
            }
            _ => {}
        }
        let mut s = stream.clone();
        if inline {
            // Inline images abbreviate their filter names.
            if !filters.is_empty() {
                s.dict.set(
                    "Filter",
                    Object::Array(filters.iter().map(|f| Object::Name(f.clone())).collect()),
                );
            }
            if let Ok(p) = dict.get(b"DP") {
                s.dict.set("DecodeParms", p.clone());
            }
        }
        let data = if filters.is_empty() {
            stream.content.clone()
        } else {
            s.decompressed_content_with_limit(cap)
                .map_err(|e| format!("cannot decompress the picture: {e}"))?
        };
        let colour = match key(b"ColorSpace", b"CS") {
            Some(cs) => self.colour(cs, 0)?,
            None => Colour::Grey,
        };
        let bits = key(b"BitsPerComponent", b"BPC")
            .and_then(|o| o.as_i64().ok())
            .unwrap_or(8);
        let bits = match bits {
            1 | 2 | 4 | 8 | 16 => bits as u8,
            b => return Err(format!("{b} bits per component")),
        };
        let inverted = match key(b"Decode", b"D") {
            Some(Object::Array(a)) => a.first().and_then(|o| o.as_float().ok()) == Some(1.0),
            _ => false,
        };
        let alpha = if inline {
            None
        } else {
            self.transparency(dict)
        };
        // The same samples under another colour space are another picture.
        let mut h = Sha256::new();
        h.update(&stream.content);
        for k in [
            b"ColorSpace".as_slice(),
            b"CS",
            b"BitsPerComponent",
            b"BPC",
            b"Decode",
            b"D",
            b"SMask",
            b"Mask",
        ] {
            if let Ok(v) = dict.get(k) {
                h.update(k);
                self.identity(v, &mut h, 0);
            }
        }
        Ok(Payload::Raster(Raster {
            width,
            height,
            colour,
            bits,
            data,
            inverted,
            alpha,
            sha256: hex::encode(h.finalize()),
        }))
    }

    /// A picture's transparency as 8-bit alpha: its soft mask (`SMask`,
    /// grey samples of any depth) or its stencil mask (`Mask`, one bit a
    /// sample, 1 masking out unless its `Decode` is `[1 0]`). A colour-key
    /// `Mask` (an array of sample ranges) is not applied.
    fn transparency(&self, dict: &Dictionary) -> Option<(u32, u32, Vec<u8>)> {
        let stream = |k: &[u8]| {
            dict.get(k)
                .ok()
                .and_then(|o| o.as_reference().ok())
                .and_then(|id| self.doc.get_object(id).ok())
                .and_then(|o| o.as_stream().ok())
        };
        if let Some(m) = stream(b"SMask") {
            let bits = m
                .dict
                .get(b"BitsPerComponent")
                .and_then(Object::as_i64)
                .unwrap_or(8);
            return self.mask_samples(m, bits, false);
        }
        let m = stream(b"Mask")?;
        let flipped = matches!(
            m.dict.get(b"Decode").and_then(Object::as_array),
            Ok(a) if a.first().and_then(|o| o.as_float().ok()) == Some(1.0)
        );
        // A stencil sample of 1 is masked out: alpha 0.
        self.mask_samples(m, 1, !flipped)
    }

    /// A mask's samples, unpacked to one byte each (0..=255).
    fn mask_samples(&self, m: &Stream, bits: i64, invert: bool) -> Option<(u32, u32, Vec<u8>)> {
        let w = u32::try_from(self.resolve(m.dict.get(b"Width").ok()?).as_i64().ok()?).ok()?;
        let h = u32::try_from(self.resolve(m.dict.get(b"Height").ok()?).as_i64().ok()?).ok()?;
        if !matches!(bits, 1 | 2 | 4 | 8 | 16)
            || u64::from(w) * u64::from(h) > self.limits.max_pixels
        {
            return None;
        }
        let data = m
            .decompressed_content_with_limit(self.limits.max_decompressed as usize)
            .ok()?;
        let bits = bits as usize;
        let row_bytes = (w as usize * bits).div_ceil(8);
        if data.len() < row_bytes * h as usize {
            return None;
        }
        let max = (1u32 << bits.min(8)) - 1;
        let mut out = Vec::with_capacity(w as usize * h as usize);
        for row in data.chunks_exact(row_bytes).take(h as usize) {
            for x in 0..w as usize {
                let v = match bits {
                    8 => row[x],
                    16 => row[2 * x],
                    b => {
                        let bit = x * b;
                        let v = (u32::from(row[bit / 8]) >> (8 - b - bit % 8)) & max;
                        (v * 255 / max) as u8
                    }
                };
                out.push(if invert { 255 - v } else { v });
            }
        }
        Some((w, h, out))
    }

    fn colour(&self, cs: &Object, depth: u32) -> Result<Colour, String> {
        if depth > 4 {
            return Err("colour space nested too deep".into());
        }
        let cs = self.resolve(cs);
        let named = |n: &[u8]| -> Option<Colour> {
            Some(match n {
                b"DeviceGray" | b"G" | b"CalGray" => Colour::Grey,
                b"DeviceRGB" | b"RGB" | b"CalRGB" => Colour::Rgb,
                b"DeviceCMYK" | b"CMYK" => Colour::Cmyk,
                _ => return None,
            })
        };
        match cs {
            Object::Name(n) => named(n).ok_or_else(|| {
                // A named colour space in the page resources: not followed.
                format!("colour space {}", String::from_utf8_lossy(n))
            }),
            Object::Array(a) => {
                let head = a.first().and_then(|o| o.as_name().ok()).unwrap_or_default();
                match head {
                    b"ICCBased" => {
                        let n = a
                            .get(1)
                            .map(|o| self.resolve(o))
                            .and_then(|o| o.as_stream().ok())
                            .and_then(|s| s.dict.get(b"N").ok())
                            .and_then(|o| o.as_i64().ok())
                            .unwrap_or(3);
                        Ok(match n {
                            1 => Colour::Grey,
                            4 => Colour::Cmyk,
                            _ => Colour::Rgb,
                        })
                    }
                    b"Indexed" | b"I" => {
                        let base =
                            self.colour(a.get(1).ok_or("Indexed without a base")?, depth + 1)?;
                        let lookup = match a.get(3).map(|o| self.resolve(o)) {
                            Some(Object::String(s, _)) => s.clone(),
                            Some(Object::Stream(s)) => s
                                .decompressed_content_with_limit(1 << 20)
                                .map_err(|e| e.to_string())?,
                            _ => return Err("Indexed without a palette".into()),
                        };
                        Ok(Colour::Indexed {
                            base: Box::new(base),
                            palette: lookup,
                        })
                    }
                    b"CalRGB" => Ok(Colour::Rgb),
                    b"CalGray" => Ok(Colour::Grey),
                    b"Lab" => Ok(Colour::Lab),
                    b"Separation" => Ok(Colour::Ink),
                    b"DeviceN" => {
                        let n = a
                            .get(1)
                            .and_then(|o| self.resolve(o).as_array().ok())
                            .map_or(1, Vec::len);
                        Ok(Colour::Inks(u8::try_from(n.clamp(1, 32)).unwrap_or(1)))
                    }
                    other => named(other)
                        .ok_or_else(|| format!("colour space {}", String::from_utf8_lossy(other))),
                }
            }
            _ => Err("no colour space".into()),
        }
    }
}

/// Full filter names for an inline image's abbreviations.
fn long_filter(n: &[u8]) -> Vec<u8> {
    match n {
        b"Fl" => b"FlateDecode".to_vec(),
        b"DCT" => b"DCTDecode".to_vec(),
        b"AHx" => b"ASCIIHexDecode".to_vec(),
        b"A85" => b"ASCII85Decode".to_vec(),
        b"LZW" => b"LZWDecode".to_vec(),
        b"RL" => b"RunLengthDecode".to_vec(),
        b"CCF" => b"CCITTFaxDecode".to_vec(),
        other => other.to_vec(),
    }
}

/// Decodes a JPEG 2000 picture into 8-bit samples (hayro-jpeg2000).
fn jpx(bytes: &[u8], max_pixels: u64) -> Result<Raster, String> {
    let settings = hayro_jpeg2000::DecodeSettings::default();
    let image = hayro_jpeg2000::Image::new(bytes, &settings)
        .map_err(|e| format!("cannot decode JPEG 2000: {e:?}"))?;
    let (w, h) = (image.width(), image.height());
    if u64::from(w) * u64::from(h) > max_pixels {
        return Err(format!(
            "picture of {w} x {h} pixels exceeds the {max_pixels}-pixel limit"
        ));
    }
    let mut ctx = hayro_jpeg2000::DecoderContext::default();
    let decoded = image
        .decode(&mut ctx)
        .map_err(|e| format!("cannot decode JPEG 2000: {e:?}"))?;
    let data = decoded.data_u8();
    let pixels = (w as usize) * (h as usize);
    let per_pixel = data.len().checked_div(pixels).unwrap_or(0);
    let comps = per_pixel.saturating_sub(usize::from(image.has_alpha()));
    let colour = match comps {
        1 | 2 => Colour::Grey,
        3 => Colour::Rgb,
        4 => Colour::Cmyk,
        n => return Err(format!("JPEG 2000 with {n} components")),
    };
    let keep = usize::from(colour.components());
    // Alpha, when there is one, is dropped: rare in a PDF's JPEG 2000.
    let data = if per_pixel == keep {
        data
    } else {
        data.chunks_exact(per_pixel)
            .flat_map(|p| p[..keep].to_vec())
            .collect()
    };
    let mut hsh = Sha256::new();
    hsh.update(bytes);
    Ok(Raster {
        width: w,
        height: h,
        colour,
        bits: 8,
        data,
        inverted: false,
        alpha: None,
        sha256: hex::encode(hsh.finalize()),
    })
}

/// What the walk needs of a font: how its bytes read as text, and how far
/// each glyph moves the pen (its widths), so that words drawn in pieces are
/// joined and words drawn apart are not.
struct Font<'a> {
    encoding: Option<lopdf::Encoding<'a>>,
    widths: Widths,
    /// Character codes are two bytes (a composite, Type0, font).
    two_byte: bool,
}

/// Glyph widths in thousandths of the font size, by character code.
#[derive(Default)]
struct Widths {
    /// A simple font's `FirstChar` and `Widths`.
    first: u32,
    simple: Vec<f32>,
    /// A composite font's `W` array, as (first, last, width) ranges.
    ranges: Vec<(u32, u32, f32)>,
    /// A code not listed: `MissingWidth`, `DW`, or an average glyph.
    default: f32,
}

/// Most widths kept per font: a hostile `W` array stays small.
const MAX_WIDTHS: usize = 65_536;

impl Widths {
    fn of(&self, code: u32) -> f32 {
        if let Some(w) = code
            .checked_sub(self.first)
            .and_then(|i| self.simple.get(i as usize))
        {
            return *w;
        }
        // Ranges are sorted by their first code: the last one starting at
        // or before `code`.
        let i = self.ranges.partition_point(|r| r.0 <= code);
        match i.checked_sub(1).map(|i| self.ranges[i]) {
            Some((_, last, w)) if code <= last => w,
            _ => self.default,
        }
    }
}

impl<'a> Font<'a> {
    /// A font whose dictionary is not at hand: its bytes as Latin-1, each
    /// glyph of average width.
    const LATIN1: Font<'a> = Font {
        encoding: None,
        widths: Widths {
            first: 0,
            simple: Vec::new(),
            ranges: Vec::new(),
            default: 500.0,
        },
        two_byte: false,
    };

    /// Reads a font dictionary. Nothing in it is trusted: a missing or
    /// broken entry leaves the average glyph width of 500.
    fn read(pdf: &'a Pdf, d: &'a Dictionary) -> Font<'a> {
        let num = |o: &Object| pdf.resolve(o).as_float().ok();
        let array = |d: &'a Dictionary, k: &[u8]| -> Option<&'a Vec<Object>> {
            d.get(k)
                .ok()
                .map(|o| pdf.resolve(o))
                .and_then(|o| o.as_array().ok())
        };
        let two_byte = d.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Type0");
        let mut widths = Widths {
            default: 500.0,
            ..Widths::default()
        };
        if two_byte {
            let descendant = array(d, b"DescendantFonts")
                .and_then(|a| a.first())
                .map(|o| pdf.resolve(o))
                .and_then(|o| o.as_dict().ok());
            if let Some(cid) = descendant {
                widths.default = cid.get(b"DW").ok().and_then(num).unwrap_or(1000.0);
                // [c [w1 w2 ...]] or [first last w].
                let w = array(cid, b"W").map(Vec::as_slice).unwrap_or_default();
                let mut i = 0;
                while i < w.len() && widths.ranges.len() < MAX_WIDTHS {
                    let Some(start) = num(&w[i]).map(|v| v.max(0.0) as u32) else {
                        break;
                    };
                    match w.get(i + 1).map(|o| pdf.resolve(o)) {
                        Some(Object::Array(list)) => {
                            for (k, v) in list.iter().take(MAX_WIDTHS).enumerate() {
                                let c = start.saturating_add(k as u32);
                                widths.ranges.push((c, c, num(v).unwrap_or(widths.default)));
                            }
                            i += 2;
                        }
                        Some(o) => {
                            let (Some(last), Some(v)) =
                                (o.as_float().ok(), w.get(i + 2).and_then(num))
                            else {
                                break;
                            };
                            widths.ranges.push((start, last.max(0.0) as u32, v));
                            i += 3;
                        }
                        None => break,
                    }
                }
                widths.ranges.sort_by_key(|r| r.0);
            }
        } else {
            // Type3 widths are in glyph space, scaled by the font matrix.
            let scale = array(d, b"FontMatrix")
                .and_then(|m| m.first())
                .and_then(num)
                .map_or(1.0, |a| a * 1000.0);
            widths.first = d
                .get(b"FirstChar")
                .ok()
                .and_then(num)
                .map_or(0, |v| v.max(0.0) as u32);
            widths.simple = array(d, b"Widths")
                .map(|a| {
                    a.iter()
                        .take(256)
                        .map(|o| num(o).unwrap_or(0.0) * scale)
                        .collect()
                })
                .unwrap_or_default();
            if let Some(m) = d
                .get(b"FontDescriptor")
                .ok()
                .map(|o| pdf.resolve(o))
                .and_then(|o| o.as_dict().ok())
                .and_then(|fd| fd.get(b"MissingWidth").ok())
                .and_then(num)
                .filter(|m| *m > 0.0)
            {
                widths.default = m;
            }
        }
        let encoding = d
            .get_font_encoding_with_limit(&pdf.doc, pdf.limits.max_decompressed as usize)
            .ok();
        Font {
            encoding,
            widths,
            two_byte,
        }
    }

    /// The text of a string and its width in thousandths of the font size,
    /// character and word spacing (in text space units, at `size`) added.
    fn show(&self, bytes: &[u8], size: f32, char_space: f32, word_space: f32) -> (String, f32) {
        let text = match &self.encoding {
            Some(enc) => Document::decode_text(enc, bytes).unwrap_or_default(),
            // No usable encoding: the bytes as Latin-1, which is what most
            // simple fonts of office software write.
            None => bytes
                .iter()
                .map(|&b| {
                    if b.is_ascii_graphic() || b == b' ' {
                        b as char
                    } else {
                        ' '
                    }
                })
                .collect(),
        };
        let per_em = if size.abs() > 0.001 {
            1000.0 / size
        } else {
            0.0
        };
        let mut width = 0.0f32;
        if self.two_byte {
            for pair in bytes.chunks(2) {
                let code = pair.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b));
                width += self.widths.of(code) + char_space * per_em;
            }
        } else {
            for &b in bytes {
                width += self.widths.of(u32::from(b)) + char_space * per_em;
                if b == b' ' {
                    width += word_space * per_em;
                }
            }
        }
        (text, width)
    }
}

/// The content-stream interpreter: positions of text and pictures.
struct Walker<'a> {
    pdf: &'a Pdf,
    runs: Vec<Run>,
    placed: Vec<Placed>,
    operations: usize,
    /// Content bytes interpreted on this page so far.
    content_bytes: usize,
    /// Bytes of text kept on this page so far.
    text_bytes: usize,
    /// Fonts read so far, and where each is in `fonts` by its object
    /// (a font written directly into the resources, rare, by its name).
    fonts: Vec<Font<'a>>,
    font_at: HashMap<FontKey, usize>,
    /// Pattern objects walked on this page: one used by many forms once.
    patterns: HashSet<ObjectId>,
}

#[derive(PartialEq, Eq, Hash)]
enum FontKey {
    Object(ObjectId),
    Direct(Vec<u8>),
}

/// The text state a `q` saves and a `Q` restores, with the matrix.
#[derive(Clone, Copy)]
struct TextState {
    font: Option<usize>,
    size: f32,
    leading: f32,
    scale: f32,
    rise: f32,
    char_space: f32,
    word_space: f32,
}

impl Default for TextState {
    fn default() -> Self {
        TextState {
            font: None,
            size: 1.0,
            leading: 0.0,
            scale: 1.0,
            rise: 0.0,
            char_space: 0.0,
            word_space: 0.0,
        }
    }
}

impl<'a> Walker<'a> {
    /// Pictures inside the tiling patterns of some resources (a page's or
    /// a form's): where they are drawn is not followed, but they are on
    /// this page. Each pattern is walked once a page.
    fn patterns_in(&mut self, resources: &[Dictionary], depth: u32) -> Result<(), String> {
        let pdf: &'a Pdf = self.pdf;
        for res in resources {
            let Ok(patterns) = pdf.dict_in(res, b"Pattern") else {
                continue;
            };
            for (_, p) in patterns {
                let Ok(id) = p.as_reference() else { continue };
                if !self.patterns.insert(id) {
                    continue;
                }
                let Ok(stream) = pdf.doc.get_object(id).and_then(Object::as_stream) else {
                    continue;
                };
                if stream
                    .dict
                    .get(b"PatternType")
                    .and_then(Object::as_i64)
                    .ok()
                    != Some(1)
                {
                    continue;
                }
                let inner = pdf.resources_of(&stream.dict, resources);
                let bytes = stream
                    .decompressed_content_with_limit(MAX_CONTENT_STREAM)
                    .map_err(|e| format!("pattern: {e}"))?;
                let before = self.placed.len();
                self.walk(&bytes, &inner, IDENTITY, depth + 1)?;
                for p in &mut self.placed[before..] {
                    p.rect = None;
                }
            }
        }
        Ok(())
    }

    fn walk(
        &mut self,
        content: &[u8],
        resources: &[Dictionary],
        start: Matrix,
        depth: u32,
    ) -> Result<(), String> {
        if depth > self.pdf.limits.max_depth {
            return Err(format!(
                "forms nested deeper than documents.max_depth ({})",
                self.pdf.limits.max_depth
            ));
        }
        self.content_bytes += content.len();
        if self.content_bytes > MAX_PAGE_CONTENT {
            return Err(format!(
                "more than {} MiB of drawing instructions on one page",
                MAX_PAGE_CONTENT >> 20
            ));
        }
        // Inline images are taken out before lopdf reads the stream: its
        // parser stops the whole stream, silently, at one with a filter.
        let (lifted_content, inline) = lift_inline_images(content);
        let mut inline: Vec<Option<Stream>> = inline.into_iter().map(Some).collect();
        let content: &[u8] = &lifted_content;
        let mut ctm = start;
        let mut ts = TextState::default();
        let mut stack: Vec<(Matrix, TextState)> = Vec::new();
        let (mut tm, mut tlm) = (IDENTITY, IDENTITY);
        // One operation at a time: a page's operations are never all in memory.
        for op in Content::decode_iter(content) {
            let op = op.map_err(|e| format!("content stream: {e}"))?;
            self.operations += 1;
            if self.operations > MAX_OPERATIONS {
                return Err("too many drawing operations".into());
            }
            if self.operations.is_multiple_of(DEADLINE_EVERY) && self.pdf.limits.past_deadline() {
                return Err("the time for this document (documents.max_secs) ran out".into());
            }
            let num = |i: usize| {
                op.operands
                    .get(i)
                    .and_then(|o| o.as_float().ok())
                    .unwrap_or(0.0)
            };
            let six = || -> Matrix { [num(0), num(1), num(2), num(3), num(4), num(5)] };
            match op.operator.as_str() {
                "q" if stack.len() < 64 => stack.push((ctm, ts)),
                "Q" => (ctm, ts) = stack.pop().unwrap_or((start, ts)),
                "cm" => ctm = mul(&six(), &ctm),
                "BT" => {
                    tm = IDENTITY;
                    tlm = IDENTITY;
                }
                "Tf" => {
                    let name = op
                        .operands
                        .first()
                        .and_then(|o| o.as_name().ok())
                        .unwrap_or_default();
                    ts.font = self.font(resources, name);
                    ts.size = num(1);
                }
                "TL" => ts.leading = num(0),
                "Tz" => ts.scale = num(0) / 100.0,
                "Ts" => ts.rise = num(0),
                "Tc" => ts.char_space = num(0),
                "Tw" => ts.word_space = num(0),
                "Td" | "TD" => {
                    if op.operator == "TD" {
                        ts.leading = -num(1);
                    }
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, num(0), num(1)], &tlm);
                    tm = tlm;
                }
                "Tm" => {
                    tlm = six();
                    tm = tlm;
                }
                "T*" => {
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -ts.leading], &tlm);
                    tm = tlm;
                }
                "Tj" | "'" | "\"" | "TJ" => {
                    if op.operator == "\"" {
                        ts.word_space = num(0);
                        ts.char_space = num(1);
                    }
                    if op.operator != "Tj" && op.operator != "TJ" {
                        tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -ts.leading], &tlm);
                        tm = tlm;
                    }
                    let parts: Vec<&Object> = match op.operator.as_str() {
                        "TJ" => op
                            .operands
                            .first()
                            .and_then(|o| o.as_array().ok())
                            .map(|a| a.iter().collect())
                            .unwrap_or_default(),
                        "\"" => op.operands.get(2).into_iter().collect(),
                        _ => op.operands.first().into_iter().collect(),
                    };
                    // The pen's travel in thousandths of the font size.
                    let mut travel = 0.0f32;
                    let mut text = String::new();
                    for part in parts {
                        match part {
                            Object::String(bytes, _) => {
                                let (s, w) = match ts.font.and_then(|f| self.fonts.get(f)) {
                                    Some(f) => f.show(bytes, ts.size, ts.char_space, ts.word_space),
                                    None => Font::LATIN1.show(
                                        bytes,
                                        ts.size,
                                        ts.char_space,
                                        ts.word_space,
                                    ),
                                };
                                travel += w;
                                text.push_str(&s);
                            }
                            o => {
                                let n = o.as_float().unwrap_or(0.0);
                                travel -= n;
                                // A large move right is a word space.
                                if n < -180.0 && !text.ends_with(' ') {
                                    text.push(' ');
                                }
                            }
                        }
                    }
                    let m = mul(&tm, &ctm);
                    let (x, y) = apply(&m, 0.0, ts.rise);
                    let height = ts.size * m[3].hypot(m[1]).max(0.01);
                    let advance = travel / 1000.0 * ts.size * ts.scale;
                    let (x1, y1) = apply(&m, advance, ts.rise);
                    tm = mul(&[1.0, 0.0, 0.0, 1.0, advance, 0.0], &tm);
                    let text = super::truncate_chars(&super::clean_text(&text), MAX_RUN_TEXT);
                    if !text.is_empty()
                        && self.runs.len() < MAX_RUNS
                        && self.text_bytes < MAX_PAGE_TEXT
                    {
                        self.text_bytes += text.len();
                        self.runs.push(Run {
                            rect: Rect(x.min(x1), y.min(y1), x.max(x1), y.max(y1) + height * 0.8),
                            size: height,
                            text,
                        });
                    }
                }
                "Do" => {
                    let Some(name) = op.operands.first().and_then(|o| o.as_name().ok()) else {
                        continue;
                    };
                    let Some((id, stream)) = self.pdf.xobject(resources, name) else {
                        continue;
                    };
                    match stream.dict.get(b"Subtype").and_then(Object::as_name) {
                        Ok(b"Image") => {
                            let (width, height) = self.pdf.dimensions(&stream.dict);
                            if self.placed.len() < MAX_PLACED {
                                self.placed.push(Placed {
                                    source: Source::Object(id),
                                    rect: Some(unit_box(&ctm)),
                                    width,
                                    height,
                                });
                            }
                        }
                        Ok(b"Form") => {
                            let matrix = match stream.dict.get(b"Matrix").and_then(Object::as_array)
                            {
                                Ok(a) if a.len() == 6 => {
                                    let v: Vec<f32> =
                                        a.iter().map(|o| o.as_float().unwrap_or(0.0)).collect();
                                    [v[0], v[1], v[2], v[3], v[4], v[5]]
                                }
                                _ => IDENTITY,
                            };
                            let inner = self.pdf.resources_of(&stream.dict, resources);
                            let bytes = stream
                                .decompressed_content_with_limit(MAX_CONTENT_STREAM)
                                .map_err(|e| format!("form: {e}"))?;
                            self.walk(&bytes, &inner, mul(&matrix, &ctm), depth + 1)?;
                            if stream.dict.has(b"Resources") {
                                self.patterns_in(&inner, depth + 1)?;
                            }
                        }
                        _ => {}
                    }
                }
                INLINE_OPERATOR => {
                    let n = op
                        .operands
                        .first()
                        .and_then(|o| o.as_i64().ok())
                        .and_then(|n| usize::try_from(n).ok());
                    if let Some(mut s) = n.and_then(|n| inline.get_mut(n)).and_then(Option::take) {
                        self.pdf.named_colour_space(&mut s.dict, resources);
                        self.place_inline(s, &ctm);
                    }
                }
                // One the lifting above left (past its count), as lopdf read it.
                "BI" => {
                    if let Some(Object::Stream(s)) = op.operands.first() {
                        self.place_inline(s.clone(), &ctm);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn place_inline(&mut self, s: Stream, ctm: &Matrix) {
        let dim = |a: &[u8], b: &[u8]| {
            s.dict
                .get(a)
                .or_else(|_| s.dict.get(b))
                .and_then(Object::as_i64)
                .ok()
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(0)
        };
        let (w, h) = (dim(b"W", b"Width"), dim(b"H", b"Height"));
        if w.min(h) >= super::document::MIN_PICTURE_SIDE && self.placed.len() < MAX_PLACED {
            self.placed.push(Placed {
                source: Source::Inline(Box::new(s)),
                rect: Some(unit_box(ctm)),
                width: w,
                height: h,
            });
        }
    }

    /// The font `name` of the resources, read once per page by its
    /// object: two forms' `/F1` can be different fonts.
    fn font(&mut self, resources: &[Dictionary], name: &[u8]) -> Option<usize> {
        let pdf: &'a Pdf = self.pdf;
        let entry = resources.iter().find_map(|res| {
            pdf.dict_in(res, b"Font")
                .ok()
                .and_then(|fonts| fonts.get(name).ok())
                .cloned()
        })?;
        let key = match &entry {
            Object::Reference(id) => FontKey::Object(*id),
            _ => FontKey::Direct(name.to_vec()),
        };
        if let Some(&i) = self.font_at.get(&key) {
            return Some(i);
        }
        if self.fonts.len() >= MAX_FONTS {
            return None;
        }
        let font = match key {
            // A font by reference lives in the document, as long as the walk.
            FontKey::Object(id) => pdf
                .doc
                .get_dictionary(id)
                .map_or(Font::LATIN1, |d| Font::read(pdf, d)),
            // One written into a copied resource dictionary does not: read
            // as Latin-1 with average widths (rare).
            FontKey::Direct(_) => Font::LATIN1,
        };
        self.fonts.push(font);
        self.font_at.insert(key, self.fonts.len() - 1);
        Some(self.fonts.len() - 1)
    }
}

/// The operator an inline image is replaced by, with its place in the
/// lifted list as operand (letters only, so lopdf reads it as an operator).
const INLINE_OPERATOR: &str = "EAuditInlineImage";

/// Takes every inline image (`BI <dict> ID <data> EI`) out of a content
/// stream, leaving `N EAuditInlineImage` in its place, and returns them
/// parsed (abbreviated keys kept). Strings, hex strings and comments are
/// skipped, so "BI" inside text is text. An image whose `EI` is never found
/// ends the stream where it starts, as a reader would.
fn lift_inline_images(content: &[u8]) -> (std::borrow::Cow<'_, [u8]>, Vec<Stream>) {
    let is_ws = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | 0);
    let is_delim = |b: u8| is_ws(b) || b"()<>[]{}/%".contains(&b);
    let token_at = |i: usize, t: &[u8]| {
        content[i..].starts_with(t)
            && (i == 0 || is_delim(content[i - 1]))
            && content.get(i + t.len()).is_none_or(|&b| is_delim(b))
    };
    if memchr::memmem::find(content, b"BI").is_none() {
        return (std::borrow::Cow::Borrowed(content), Vec::new());
    }
    let mut out: Vec<u8> = Vec::with_capacity(content.len());
    let mut images: Vec<Stream> = Vec::new();
    let mut i = 0;
    let mut copied = 0;
    while i < content.len() {
        match content[i] {
            b'%' => {
                while i < content.len() && content[i] != b'\n' && content[i] != b'\r' {
                    i += 1;
                }
            }
            b'(' => {
                let mut level = 0u32;
                while i < content.len() {
                    match content[i] {
                        b'\\' => i += 1,
                        b'(' => level += 1,
                        b')' => {
                            level -= 1;
                            if level == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                i += 1;
            }
            b'<' if content.get(i + 1) != Some(&b'<') => {
                while i < content.len() && content[i] != b'>' {
                    i += 1;
                }
                i += 1;
            }
            b'B' if token_at(i, b"BI") && images.len() < MAX_PLACED => {
                let start = i;
                // The dictionary runs to the ID token.
                let mut j = i + 2;
                while j < content.len() && !token_at(j, b"ID") {
                    j += 1;
                }
                if j >= content.len() {
                    break;
                }
                let dict = inline_dict(&content[i + 2..j]);
                // One white-space byte after ID, then the data up to EI.
                let data_start = (j + 3).min(content.len());
                let mut k = data_start;
                let end = loop {
                    match memchr::memmem::find(&content[k..], b"EI") {
                        Some(f) => {
                            let at = k + f;
                            if at > data_start && is_ws(content[at - 1]) && token_at(at, b"EI") {
                                break Some(at);
                            }
                            k = at + 2;
                        }
                        None => break None,
                    }
                };
                let Some(end) = end else {
                    out.extend_from_slice(&content[copied..start]);
                    copied = content.len();
                    break;
                };
                let data = content[data_start..end - 1].to_vec();
                out.extend_from_slice(&content[copied..start]);
                out.extend_from_slice(format!(" {} {INLINE_OPERATOR} ", images.len()).as_bytes());
                images.push(Stream::new(dict, data));
                i = end + 2;
                copied = i;
            }
            _ => i += 1,
        }
    }
    if images.is_empty() && copied == 0 {
        return (std::borrow::Cow::Borrowed(content), images);
    }
    out.extend_from_slice(&content[copied.min(content.len())..]);
    (std::borrow::Cow::Owned(out), images)
}

/// An inline image's dictionary: `/W 64 /H 64 /CS /RGB /BPC 8 /F [/AHx /Fl]
/// /DP << /Predictor 15 >>`. What cannot be read is left out.
fn inline_dict(bytes: &[u8]) -> Dictionary {
    let mut tokens = InlineTokens { b: bytes, i: 0 };
    let mut dict = Dictionary::new();
    while let Some(Object::Name(key)) = tokens.object(0) {
        match tokens.object(0) {
            Some(v) => dict.set(key, v),
            None => break,
        }
    }
    dict
}

struct InlineTokens<'a> {
    b: &'a [u8],
    i: usize,
}

impl InlineTokens<'_> {
    fn object(&mut self, depth: u32) -> Option<Object> {
        let b = self.b;
        while self.i < b.len() && b[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
        let c = *b.get(self.i)?;
        let word_end = |mut j: usize| {
            while j < b.len() && !b[j].is_ascii_whitespace() && !b"/[]<>()".contains(&b[j]) {
                j += 1;
            }
            j
        };
        match c {
            b'/' => {
                let end = word_end(self.i + 1);
                let name = b[self.i + 1..end].to_vec();
                self.i = end;
                Some(Object::Name(name))
            }
            b'[' if depth < 4 => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    while self.i < b.len() && b[self.i].is_ascii_whitespace() {
                        self.i += 1;
                    }
                    if b.get(self.i) == Some(&b']') {
                        self.i += 1;
                        return Some(Object::Array(items));
                    }
                    items.push(self.object(depth + 1)?);
                }
            }
            b'<' if b.get(self.i + 1) == Some(&b'<') && depth < 4 => {
                self.i += 2;
                let mut d = Dictionary::new();
                loop {
                    while self.i < b.len() && b[self.i].is_ascii_whitespace() {
                        self.i += 1;
                    }
                    if b[self.i..].starts_with(b">>") {
                        self.i += 2;
                        return Some(Object::Dictionary(d));
                    }
                    let Some(Object::Name(k)) = self.object(depth + 1) else {
                        return None;
                    };
                    let v = self.object(depth + 1)?;
                    d.set(k, v);
                }
            }
            _ => {
                let end = word_end(self.i);
                if end == self.i {
                    return None;
                }
                let word = &b[self.i..end];
                self.i = end;
                let text = std::str::from_utf8(word).ok()?;
                match text {
                    "true" => Some(Object::Boolean(true)),
                    "false" => Some(Object::Boolean(false)),
                    t => t
                        .parse::<i64>()
                        .map(Object::Integer)
                        .ok()
                        .or_else(|| t.parse::<f32>().ok().map(Object::Real)),
                }
            }
        }
    }
}

/// A line of text: runs on one baseline, side by side.
#[derive(Debug, Clone)]
struct Line {
    rect: Rect,
    text: String,
}

/// Joins consecutive runs on one baseline into lines.
fn lines(runs: Vec<Run>) -> Vec<Line> {
    let mut out: Vec<(Line, f32)> = Vec::new();
    for r in runs {
        if let Some((l, size)) = out.last_mut() {
            let same_line = (r.rect.1 - l.rect.1).abs() < 0.5 * size.max(r.size)
                && r.rect.0 >= l.rect.0 - size.max(1.0)
                && r.rect.0 - l.rect.2 < 3.0 * size.max(r.size);
            if same_line {
                if r.rect.0 - l.rect.2 > 0.15 * *size && !l.text.ends_with(' ') {
                    l.text.push(' ');
                }
                l.text.push_str(&r.text);
                l.rect.2 = l.rect.2.max(r.rect.2);
                l.rect.3 = l.rect.3.max(r.rect.3);
                l.rect.1 = l.rect.1.min(r.rect.1);
                continue;
            }
        }
        let size = r.size;
        out.push((
            Line {
                rect: r.rect,
                text: r.text,
            },
            size,
        ));
    }
    out.into_iter().map(|(l, _)| l).collect()
}

/// For each line, the two pictures nearest to it (index and distance):
/// worked out once a page, so placing every picture's text costs lines
/// times pictures, not that times pictures again.
struct Nearest(Vec<[(usize, f32); 2]>);

impl Nearest {
    fn of(rects: &[Option<Rect>], lines: &[Line]) -> Nearest {
        Nearest(
            lines
                .iter()
                .map(|l| {
                    let mut best = [(usize::MAX, f32::MAX); 2];
                    for (j, r) in rects.iter().enumerate() {
                        let Some(r) = r else { continue };
                        let d = r.distance(&l.rect);
                        if d < best[0].1 {
                            best[1] = best[0];
                            best[0] = (j, d);
                        } else if d < best[1].1 {
                            best[1] = (j, d);
                        }
                    }
                    best
                })
                .collect(),
        )
    }

    /// How far line `l` is from the nearest picture other than `i`.
    fn other_than(&self, l: usize, i: usize) -> f32 {
        let [a, b] = self.0[l];
        if a.0 == i {
            b.1
        } else {
            a.1
        }
    }
}

/// A picture's caption, nearby text and the rest of its page's text.
fn context_of(
    i: usize,
    rects: &[Option<Rect>],
    lines: &[Line],
    nearest: &Nearest,
) -> (Option<String>, Option<String>, Option<String>) {
    let join = |ls: &[&Line], max: usize| -> Option<String> {
        let mut s = String::new();
        for l in ls {
            if s.len() + l.text.len() > max {
                break;
            }
            if !s.is_empty() {
                s.push('\n');
            }
            s.push_str(&l.text);
        }
        (!s.is_empty()).then_some(s)
    };
    let Some(me) = rects[i] else {
        // Where the picture is drawn is not known: the page's text in
        // reading order is its context.
        let all: Vec<&Line> = lines.iter().collect();
        return (None, None, join(&all, MAX_DOCUMENT_TEXT));
    };
    let mut by_distance: Vec<(f32, usize)> = lines
        .iter()
        .enumerate()
        .map(|(n, l)| (me.distance(&l.rect), n))
        .collect();
    by_distance.sort_by(|a, b| a.0.total_cmp(&b.0));
    // The caption: the nearest line just under the picture, else just over
    // it, overlapping it across.
    let caption_like = |l: &Line, under: bool| {
        let (dx, dy) = me.gap(&l.rect);
        let side = if under {
            l.rect.3 <= me.1 + 1.0
        } else {
            l.rect.1 >= me.3 - 1.0
        };
        side && dx == 0.0
            && dy <= CAPTION_GAP
            && me.x_overlap(&l.rect) >= 0.5 * (l.rect.2 - l.rect.0).min(me.2 - me.0)
    };
    let mut near: Vec<&Line> = Vec::new();
    let mut rest: Vec<&Line> = Vec::new();
    for (d, n) in by_distance {
        // A line is near this picture when no other picture is clearly nearer to it.
        if d <= NEAR && d <= nearest.other_than(n, i) + 4.0 {
            near.push(&lines[n]);
        } else {
            rest.push(&lines[n]);
        }
    }
    let caption = near
        .iter()
        .position(|l| caption_like(l, true))
        .or_else(|| near.iter().position(|l| caption_like(l, false)))
        .map(|i| near.remove(i));
    (
        caption.map(|l| l.text.clone()),
        join(&near, MAX_NEARBY_TEXT),
        join(&rest, MAX_DOCUMENT_TEXT),
    )
}

#[cfg(test)]
#[path = "pdf_tests.rs"]
pub(crate) mod tests;
