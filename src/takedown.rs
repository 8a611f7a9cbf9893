//! The takedown register: pictures that must not be public (consent
//! withdrawn, a safeguarding concern). `withdraw` records one by file or by
//! an address an audit already fetched; every later run flags any perceptual
//! copy of it as high risk (`withdrawn_picture_still_public`); `withdrawn`
//! lists the register with each picture's status in the latest run. Reads
//! and writes the store only.

use std::path::Path;

use serde::Serialize;

use crate::analysis::hash::{phash_only, sha256_hex};
use crate::analysis::HashLimits;
use crate::group::SAME_PICTURE_MAX_DISTANCE;
use crate::store::{Store, StoreError, Withdrawn};

#[derive(Debug, thiserror::Error)]
pub enum TakedownError {
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    #[error("{0}: {1}")]
    Picture(String, crate::analysis::AnalysisError),
    #[error("no audit has fetched {0}: pass the picture file instead")]
    UnknownUrl(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Records `target` (a file, or a picture address an audit fetched).
pub fn withdraw(
    store: &Store,
    target: &str,
    reason: &str,
    (max_pixels, max_bytes): (u64, u64),
    now: &str,
) -> Result<i64, TakedownError> {
    let (hash, sha) = if target.starts_with("http://") || target.starts_with("https://") {
        let sha = store
            .latest_sha_of_url(target)?
            .ok_or_else(|| TakedownError::UnknownUrl(target.to_string()))?;
        let picture = store
            .picture(&sha)?
            .ok_or_else(|| TakedownError::UnknownUrl(target.to_string()))?;
        (picture.phash, sha)
    } else {
        let bytes = crate::analysis::read_picture_file(Path::new(target), max_bytes)
            .map_err(|e| TakedownError::Read(target.to_string(), e))?;
        let hash = phash_only(&bytes, HashLimits { max_pixels })
            .map_err(|e| TakedownError::Picture(target.to_string(), e))?;
        (hash, sha256_hex(&bytes))
    };
    Ok(store.add_withdrawn(target, reason, hash, Some(&sha), now)?)
}

/// A register entry and where it still is.
#[derive(Debug, Serialize)]
pub struct Status {
    #[serde(flatten)]
    pub entry: Withdrawn,
    /// The latest run checked, if any run is stored.
    pub checked_run: Option<i64>,
    /// Addresses where a copy was seen in that run.
    pub still_public_at: Vec<String>,
}

/// The register with each entry's status in the latest reportable run.
pub fn status(store: &Store) -> Result<Vec<Status>, StoreError> {
    let latest = store.latest_reportable_run()?.map(|r| r.id);
    let run_pictures = match latest {
        Some(run) => store.run_picture_exposures(run)?,
        None => Vec::new(),
    };
    let mut out = Vec::new();
    for entry in store.withdrawn()? {
        let hash = u64::from_str_radix(&entry.phash, 16).unwrap_or(0);
        let mut places = Vec::new();
        for (sha, exposure) in &run_pictures {
            let Some(p) = store.picture(sha)? else {
                continue;
            };
            if (p.phash ^ hash).count_ones() <= SAME_PICTURE_MAX_DISTANCE {
                places.extend(
                    store
                        .exposure_places(exposure)?
                        .into_iter()
                        .filter(|pl| Some(pl.3) == latest)
                        .map(|pl| pl.1),
                );
            }
        }
        places.sort();
        places.dedup();
        out.push(Status {
            entry,
            checked_run: latest,
            still_public_at: places,
        });
    }
    Ok(out)
}
