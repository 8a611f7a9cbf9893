//! Fetching one picture and handing its bytes to analysis.

use super::*;

impl Crawl {
    /// Fetches one picture and analyses it unless its bytes are known.
    pub(super) async fn fetch_image(self: Arc<Self>, url: String, source: String) -> ImageResult {
        let mut rec = ImageRecord {
            url: url.clone(),
            ..ImageRecord::default()
        };
        let out = |rec: ImageRecord, rules: Option<Arc<HostRobots>>| ImageResult {
            url: rec.url,
            x_robots_tag: rec.x_robots_tag,
            sha256: rec.sha256,
            rules,
        };
        let from_platform = self.platform_sources.contains(&source);
        let Ok(parsed) = Url::parse(&url) else {
            rec.error = Some("not a URL".into());
            self.record(Record::Image(rec.clone())).await;
            return out(rec, None);
        };
        // Fetched for every picture host: the verdicts need it anyway.
        let rules = self.robots_for(&parsed, &source).await;
        if self.settings.robots == RobotsMode::Obey && !rules.own_allowed(&url) {
            rec.error = Some("skipped: robots.txt disallows it for exposure-audit".into());
            self.record(Record::Image(rec.clone())).await;
            return out(rec, Some(rules));
        }
        let prev = self.history.image(&url);
        let validators = prev.as_ref().map(|p| Validators {
            etag: p.etag.clone(),
            last_modified: p.last_modified.clone(),
        });
        match self
            .fetcher
            .fetch(&parsed, BodyKind::Image, validators.as_ref())
            .await
        {
            Err(e) => {
                self.failed(&url, from_platform);
                rec.error = Some(e.to_string());
            }
            Ok(f) => {
                rec.status = Some(f.status);
                rec.etag.clone_from(&f.etag);
                rec.last_modified.clone_from(&f.last_modified);
                rec.x_robots_tag.clone_from(&f.x_robots_tag);
                if f.not_modified() {
                    rec.sha256 = prev.and_then(|p| p.payload.clone());
                    self.counters.images_fetched.fetch_add(1, Ordering::Relaxed);
                } else if f.ok() && f.skipped.is_some() {
                    // The headers said it is not a picture: not downloaded.
                    rec.error = Some(format!(
                        "not a picture: the server says it is {}",
                        f.content_type.as_deref().unwrap_or("something else")
                    ));
                    self.failed(&url, from_platform);
                } else if f.ok() {
                    let body = f.body.unwrap_or_default();
                    rec.bytes = body.len() as u64;
                    self.analyse(body, &mut rec, from_platform).await;
                } else {
                    rec.error = Some(format!("HTTP {}", f.status));
                    if !matches!(f.status, 404 | 410) {
                        self.failed(&url, from_platform);
                    }
                }
            }
        }
        self.record(Record::Image(rec.clone())).await;
        out(rec, Some(rules))
    }

    pub(super) async fn analyse(&self, body: Vec<u8>, rec: &mut ImageRecord, from_platform: bool) {
        let sha = analysis::hash::sha256_hex(&body);
        let known = self
            .known_pictures
            .lock()
            .expect("known pictures lock")
            .contains(&analysis::hash::sha256_key(&sha));
        if known {
            rec.sha256 = Some(sha);
            self.counters.images_fetched.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let _slot = self
            .analysis_slots
            .acquire()
            .await
            .expect("semaphore never closes");
        let limits = HashLimits {
            max_pixels: self.settings.max_image_pixels,
        };
        let analysed = analysis::pool::analyse(body, limits).await;
        match analysed {
            Ok(picture) => {
                let fresh = self
                    .known_pictures
                    .lock()
                    .expect("known pictures lock")
                    .insert(analysis::hash::sha256_key(&picture.sha256));
                rec.sha256 = Some(picture.sha256.clone());
                self.counters.images_fetched.fetch_add(1, Ordering::Relaxed);
                if fresh {
                    self.record(Record::Picture(picture)).await;
                }
            }
            Err(e) => {
                if !matches!(e, AnalysisError::NotAPicture(_)) {
                    self.failed(&rec.url, from_platform);
                }
                rec.error = Some(e.to_string());
            }
        }
    }
}
