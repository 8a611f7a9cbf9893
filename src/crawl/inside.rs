//! Pictures inside documents: a fetched PDF or Office file is opened on
//! the analysis pool, its pictures decoded and analysed one at a time, and
//! each becomes an image record at the document's address with its page
//! and place (`newsletter.pdf#page=2&image=1`). No picture inside a
//! document is fetched: its bytes came with the document.

use super::*;
use crate::extract::document::{DocLimits, Format, OpenError, Opened, Payload};
use crate::model::{Context, Picture};

/// A document's pictures as read, and what was left out of it.
type Read = (Vec<(DocSight, Option<Picture>)>, Vec<(&'static str, u32)>);

impl Crawl {
    /// Reads one document's pictures; the error says why the document as a
    /// whole could not be read (not a PDF, encrypted, a bomb).
    pub(super) async fn read_document(
        self: &Arc<Self>,
        url: &Url,
        format: Format,
        body: Vec<u8>,
    ) -> Result<(Vec<DocSight>, Vec<(&'static str, u32)>), OpenError> {
        let d = &self.settings.documents;
        let _slot = self
            .analysis_slots
            .acquire()
            .await
            .expect("semaphore never closes");
        let limits = DocLimits {
            max_pages: d.max_pages,
            max_pictures: d.max_pictures,
            max_depth: d.max_depth,
            max_decompressed: d.max_decompressed_bytes,
            max_pixels: self.settings.max_image_pixels,
            deadline: Some(Instant::now() + d.max_time),
        };
        let me = self.clone();
        let address = url.to_string();
        let read = analysis::pool::run(move || me.read_on_pool(&address, format, &body, limits))
            .await
            .ok_or_else(|| OpenError::Unreadable("the analysis threads stopped".into()))??;
        let (pictures, skipped) = read;
        let mut sights = Vec::with_capacity(pictures.len());
        for (sight, picture) in pictures {
            if let Some(p) = picture {
                let fresh = self
                    .known_pictures
                    .lock()
                    .expect("known pictures lock")
                    .insert(analysis::hash::sha256_key(&p.sha256));
                if fresh {
                    self.record(Record::Picture(p)).await;
                }
            }
            self.record_inside(&sight, Some(200)).await;
            sights.push(sight);
        }
        Ok((sights, skipped))
    }

    /// A document unchanged since the last run (304): its pictures are
    /// recorded again as they were.
    pub(super) async fn replay_document(&self, sights: &[DocSight]) {
        for s in sights {
            self.record_inside(s, Some(304)).await;
        }
    }

    async fn record_inside(&self, s: &DocSight, status: Option<u16>) {
        if s.sha256.is_some() {
            self.counters.images_fetched.fetch_add(1, Ordering::Relaxed);
        }
        self.record(Record::Image(ImageRecord {
            url: s.url.clone(),
            status,
            error: s.error.clone(),
            sha256: s.sha256.clone(),
            bytes: s.bytes,
            ..ImageRecord::default()
        }))
        .await;
    }

    /// The blocking part, on an analysis thread: open, list, decode and
    /// analyse one picture at a time.
    fn read_on_pool(
        &self,
        address: &str,
        format: Format,
        body: &[u8],
        limits: DocLimits,
    ) -> Result<Read, OpenError> {
        let failed =
            || OpenError::Unreadable(format!("the {} reader failed on this file", format.name()));
        let opened = match std::panic::catch_unwind(|| Opened::open(format, body, limits)) {
            Ok(o) => o?,
            Err(_) => return Err(failed()),
        };
        let listed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| opened.pictures()));
        let Ok((info, pictures, mut skipped)) = listed else {
            return Err(failed());
        };
        for e in &skipped.errors {
            tracing::debug!(document = %address, error = %e, "part of a document not read");
        }
        if !skipped.errors.is_empty() {
            skipped.add("document parts unreadable", skipped.errors.len() as u32);
        }
        let metadata = info.text();
        let hash_limits = HashLimits {
            max_pixels: self.settings.max_image_pixels,
        };
        let mut seen: HashSet<String> = HashSet::new();
        let mut out = Vec::new();
        for p in pictures {
            if limits.past_deadline() {
                skipped.add("documents.max_secs", 1);
                continue;
            }
            let mut sight = DocSight {
                url: format!("{address}#page={}&image={}", p.page, p.index),
                page: p.page,
                context: Context {
                    alt: p.alt.clone(),
                    caption: p.caption.clone(),
                    nearby_text: p.nearby_text.clone(),
                    document_text: p.document_text.clone(),
                    page_title: info.title.clone(),
                    document_metadata: metadata.clone(),
                    ..Context::default()
                },
                sha256: None,
                error: None,
                bytes: 0,
            };
            let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                opened.payload(&p.source)
            }))
            .unwrap_or_else(|_| Err("the reader failed on this picture".into()));
            let payload = match payload {
                Ok(x) => x,
                Err(e) => {
                    if e.starts_with("not decoded") {
                        skipped.add("document pictures not decoded", 1);
                    }
                    sight.error = Some(e);
                    out.push((sight, None));
                    continue;
                }
            };
            let (sha, bytes) = match &payload {
                Payload::Encoded(b) => (analysis::hash::sha256_hex(b), b.len() as u64),
                Payload::Raster(r) => (r.sha256.clone(), r.data.len() as u64),
            };
            // The same picture twice in one document is one sighting.
            if !seen.insert(sha.clone()) {
                skipped.add("document pictures repeated", 1);
                continue;
            }
            sight.bytes = bytes;
            let known = self
                .known_pictures
                .lock()
                .expect("known pictures lock")
                .contains(&analysis::hash::sha256_key(&sha));
            if known {
                sight.sha256 = Some(sha);
                out.push((sight, None));
                continue;
            }
            let analysed = match payload {
                Payload::Encoded(b) => analysis::analyse(&b, hash_limits),
                Payload::Raster(r) => analysis::analyse_raster(&r, hash_limits),
            };
            match analysed {
                // An Office package does not say a picture's size before it
                // is decoded: icons and bullets are left out here, as a
                // PDF's are when listed.
                Ok(picture)
                    if picture.width.min(picture.height)
                        < crate::extract::document::MIN_PICTURE_SIDE =>
                {
                    skipped.add("document decoration", 1);
                }
                Ok(picture) => {
                    sight.sha256 = Some(picture.sha256.clone());
                    out.push((sight, Some(picture)));
                }
                Err(e) => {
                    sight.error = Some(e.to_string());
                    out.push((sight, None));
                }
            }
        }
        Ok((out, skipped.counts.into_iter().collect()))
    }
}
