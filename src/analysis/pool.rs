//! Picture analysis on a fixed set of threads, one per core. Each thread
//! keeps its own face detector (the 6 MB model and its working buffers:
//! `faces` holds it thread-locally), so a fixed pool bounds that memory.
//! On tokio's blocking pool, which grows to hundreds of threads while page
//! parsing also uses it, every thread that once analysed a picture kept a
//! detector: 202 MiB by the end of a 20,000-page crawl.

use std::sync::{mpsc, Arc, Mutex, OnceLock};

use super::{AnalysisError, HashLimits};
use crate::model::Picture;

type Job = Box<dyn FnOnce() + Send>;

static POOL: OnceLock<mpsc::Sender<Job>> = OnceLock::new();

fn pool() -> &'static mpsc::Sender<Job> {
    POOL.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let threads = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        for i in 0..threads {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("analysis-{i}"))
                .spawn(move || loop {
                    let job = match rx.lock() {
                        Ok(r) => r.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                })
                .expect("spawn an analysis thread");
        }
        tx
    })
}

/// Analyses a picture's bytes on the pool, off the async runtime.
pub async fn analyse(bytes: Vec<u8>, limits: HashLimits) -> Result<Picture, AnalysisError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(super::analyse(&bytes, limits));
    });
    if pool().send(job).is_err() {
        return Err(AnalysisError::Decode("the analysis threads stopped".into()));
    }
    rx.await
        .unwrap_or_else(|_| Err(AnalysisError::Decode("the analysis thread stopped".into())))
}

/// Runs any analysis job on the pool (a document's pictures, read one
/// after another on one thread), off the async runtime.
pub async fn run<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(f());
    });
    pool().send(job).ok()?;
    rx.await.ok()
}
