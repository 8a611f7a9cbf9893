//! Incident lookup: does a picture (say, a manipulated image sent to the
//! school in a blackmail attempt) derive from anything the school ever
//! published? Every matching exposure across all runs, with first and last
//! seen, where, and with what details, plus an evidence export. Reads the
//! store; never touches the network.

use std::path::Path;

use serde::Serialize;

use crate::analysis::hash::{phash_and_mirror, sha256_hex};
use crate::analysis::HashLimits;
use crate::group::{BkTree, SAME_PICTURE_MAX_DISTANCE};
use crate::model::{phash_hex, Detail, Picture};
use crate::store::{Store, StoreError};

#[derive(Debug, Serialize)]
pub struct Lookup {
    pub file: String,
    pub sha256: String,
    pub phash: String,
    pub matches: Vec<Match>,
}

#[derive(Debug, Serialize)]
pub struct Match {
    pub exposure_id: String,
    /// Hamming distance of the closest stored copy (0 = same picture).
    pub distance: u32,
    /// The file is a mirror image of the published picture.
    pub mirrored: bool,
    pub first_seen: Option<(i64, String)>,
    pub last_seen: Option<(i64, String)>,
    pub risk: Option<&'static str>,
    pub details: Vec<Detail>,
    pub places: Vec<Place>,
    /// The stored analysis of every published copy (evidence).
    pub copies: Vec<StoredCopy>,
}

#[derive(Debug, Serialize)]
pub struct Place {
    pub page_url: String,
    pub image_url: String,
    pub found_via: String,
    pub last_run: i64,
}

#[derive(Debug, Serialize)]
pub struct StoredCopy {
    pub sha256: String,
    pub phash: String,
    pub width: u32,
    pub height: u32,
    pub format: String,
    pub faces: Option<u32>,
    pub metadata: crate::model::PictureMetadata,
}

#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    #[error("{0}: {1}")]
    Picture(String, crate::analysis::AnalysisError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Looks `file` up in everything the store has ever seen.
pub fn lookup(
    store: &Store,
    file: &Path,
    max_pixels: u64,
    max_bytes: u64,
) -> Result<Lookup, LookupError> {
    let name = file.display().to_string();
    let bytes = crate::analysis::read_picture_file(file, max_bytes)
        .map_err(|e| LookupError::Read(name.clone(), e))?;
    let (hash, mirror) = phash_and_mirror(&bytes, HashLimits { max_pixels })
        .map_err(|e| LookupError::Picture(name.clone(), e))?;
    let pictures = store.all_picture_hashes()?;
    let mut tree = BkTree::new();
    for (i, (_, h)) in pictures.iter().enumerate() {
        tree.insert(*h, i);
    }
    let of_picture = store.known_picture_exposures(&pictures, |id| Some(id.to_string()))?;
    // Best (distance, mirrored) per exposure.
    let mut best: std::collections::BTreeMap<String, (u32, bool)> =
        std::collections::BTreeMap::new();
    for (query, mirrored) in [(hash, false), (mirror, true)] {
        for (i, d) in tree.find(query, SAME_PICTURE_MAX_DISTANCE) {
            let Some(exp) = &of_picture[i] else {
                continue;
            };
            let e = best.entry(exp.clone()).or_insert((d, mirrored));
            if d < e.0 {
                *e = (d, mirrored);
            }
        }
    }
    let assignments: Vec<(String, &str)> = pictures
        .iter()
        .zip(&of_picture)
        .filter_map(|((sha, _), e)| Some((crate::model::digest_hex(sha), e.as_deref()?)))
        .collect();
    let mut matches = Vec::new();
    for (exposure_id, (distance, mirrored)) in best {
        let span = store.exposure_span(&exposure_id)?;
        let latest = store.latest_assessment(&exposure_id)?;
        let mut copies = Vec::new();
        for (sha, _) in assignments.iter().filter(|(_, e)| *e == exposure_id) {
            if let Some(p) = store.picture(sha)? {
                copies.push(stored(p));
            }
        }
        matches.push(Match {
            distance,
            mirrored,
            first_seen: span.as_ref().map(|s| s.0.clone()),
            last_seen: span.map(|s| s.1),
            risk: latest.as_ref().map(|(_, a)| a.risk.as_str()),
            details: latest.map(|(_, a)| a.details).unwrap_or_default(),
            places: store
                .exposure_places(&exposure_id)?
                .into_iter()
                .map(|(page_url, image_url, found_via, last_run)| Place {
                    page_url,
                    image_url,
                    found_via,
                    last_run,
                })
                .collect(),
            copies,
            exposure_id,
        });
    }
    matches.sort_by_key(|m| (m.distance, m.exposure_id.clone()));
    Ok(Lookup {
        file: name,
        sha256: sha256_hex(&bytes),
        phash: phash_hex(hash),
        matches,
    })
}

fn stored(p: Picture) -> StoredCopy {
    StoredCopy {
        phash: phash_hex(p.phash),
        sha256: p.sha256,
        width: p.width,
        height: p.height,
        format: p.format,
        faces: p.faces,
        metadata: p.metadata,
    }
}

/// Plain-language answer.
pub fn render_text(l: &Lookup) -> String {
    if l.matches.is_empty() {
        return format!(
            "{}: no match in anything this school has published (as far as the audits saw).\n",
            l.file
        );
    }
    let mut s = format!(
        "{}: derives from {} published picture(s)\n",
        l.file,
        l.matches.len()
    );
    for m in &l.matches {
        s.push_str(&format!(
            "- {} ({}{}), risk {}, first seen {} (run {}), last seen {} (run {})\n",
            m.exposure_id,
            if m.distance == 0 {
                "same picture".to_string()
            } else {
                format!("{} bits apart", m.distance)
            },
            if m.mirrored { ", mirrored" } else { "" },
            m.risk.unwrap_or("-"),
            m.first_seen.as_ref().map_or("-", |f| f.1.as_str()),
            m.first_seen.as_ref().map_or(0, |f| f.0),
            m.last_seen.as_ref().map_or("-", |f| f.1.as_str()),
            m.last_seen.as_ref().map_or(0, |f| f.0),
        ));
        for p in m.places.iter().take(20) {
            s.push_str(&format!(
                "    {} on {} ({}, last run {})\n",
                p.image_url, p.page_url, p.found_via, p.last_run
            ));
        }
        let names: Vec<String> = m
            .details
            .iter()
            .map(|d| format!("{}: {}", d.kind, d.text))
            .collect();
        if !names.is_empty() {
            s.push_str(&format!("    details: {}\n", names.join("; ")));
        }
    }
    s
}
