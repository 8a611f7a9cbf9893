//! Asking again for picture addresses no page links any more.

use super::*;

impl Crawl {
    /// Fetches picture addresses again that earlier runs saw but no page links
    /// any more: a scraper that kept the address still gets the picture.
    /// Returns the sha256 of each that still answered with a picture.
    pub async fn refetch_unlinked(
        self: &Arc<Self>,
        urls: Vec<String>,
        source: &str,
    ) -> Vec<String> {
        let mut tasks = JoinSet::new();
        let mut out = Vec::new();
        for url in urls {
            while tasks.len() >= self.settings.concurrency as usize {
                if let Some(Ok(r)) = tasks.join_next().await {
                    out.extend(r);
                }
            }
            let me = self.clone();
            let source = source.to_string();
            tasks.spawn(async move { me.fetch_image(url, source).await.sha256 });
        }
        while let Some(r) = tasks.join_next().await {
            if let Ok(r) = r {
                out.extend(r);
            }
        }
        out
    }
}
