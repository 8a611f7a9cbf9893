//! `[crawl]`: how politely and how far a crawl goes.

use super::*;

/// How robots.txt is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RobotsMode {
    /// Crawl like a scraper does, and record what each crawler would be allowed.
    Evaluate,
    /// Skip what robots.txt disallows for our own user agent.
    Obey,
}

#[derive(Debug, Clone)]
pub struct CrawlSettings {
    pub user_agent: String,
    pub max_pages: u64,
    pub max_depth: u32,
    pub max_images: u64,
    pub concurrency: u32,
    pub per_host_delay: Duration,
    pub robots: RobotsMode,
    pub allow_private_addresses: bool,
    pub max_page_bytes: u64,
    pub max_image_bytes: u64,
    pub max_image_pixels: u64,
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    pub max_retries: u32,
    pub max_retry_after: Duration,
    pub max_query_variants: u32,
    pub max_run_time: Duration,
    /// A crawler list to use instead of the bundled `data/crawlers.toml`.
    pub crawlers_file: Option<PathBuf>,
    pub documents: DocumentSettings,
}

/// `[documents]`: PDF, Word, PowerPoint and OpenDocument files, read as a
/// scraper reads them, within these bounds.
#[derive(Debug, Clone)]
pub struct DocumentSettings {
    /// Off: documents are counted but not downloaded.
    pub read: bool,
    pub max_bytes: u64,
    pub max_pages: u32,
    pub max_pictures: u32,
    /// Forms inside forms (PDF) followed.
    pub max_depth: u32,
    /// What one stream or package entry (and one package in all) may
    /// decompress to: zip and Flate bombs stop here.
    pub max_decompressed_bytes: u64,
    pub max_time: Duration,
}

impl Default for DocumentSettings {
    fn default() -> Self {
        use defaults::*;
        DocumentSettings {
            read: true,
            max_bytes: DOCUMENT_MAX_BYTES,
            max_pages: DOCUMENT_MAX_PAGES as u32,
            max_pictures: DOCUMENT_MAX_PICTURES as u32,
            max_depth: DOCUMENT_MAX_DEPTH as u32,
            max_decompressed_bytes: DOCUMENT_MAX_DECOMPRESSED_BYTES,
            max_time: Duration::from_secs(DOCUMENT_MAX_SECS),
        }
    }
}

impl Default for CrawlSettings {
    fn default() -> Self {
        use defaults::*;
        CrawlSettings {
            user_agent: USER_AGENT.to_string(),
            max_pages: MAX_PAGES,
            max_depth: MAX_DEPTH,
            max_images: MAX_IMAGES,
            concurrency: CONCURRENCY,
            per_host_delay: Duration::from_millis(PER_HOST_DELAY_MS),
            robots: RobotsMode::Evaluate,
            allow_private_addresses: false,
            max_page_bytes: MAX_PAGE_BYTES,
            max_image_bytes: MAX_IMAGE_BYTES,
            max_image_pixels: MAX_IMAGE_PIXELS,
            request_timeout: Duration::from_secs(REQUEST_TIMEOUT_SECS),
            connect_timeout: Duration::from_secs(CONNECT_TIMEOUT_SECS),
            max_retries: MAX_RETRIES,
            max_retry_after: Duration::from_secs(MAX_RETRY_AFTER_SECS),
            max_query_variants: MAX_QUERY_VARIANTS,
            max_run_time: Duration::from_secs(MAX_RUN_SECS),
            crawlers_file: None,
            documents: DocumentSettings::default(),
        }
    }
}
