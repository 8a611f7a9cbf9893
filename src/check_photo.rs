//! The pre-publication check: runs the audit's analysis on one picture
//! before anyone posts it (metadata, faces, names and other details in the
//! caption and file name, size against the policy) and looks in the store
//! for a near-duplicate already public with a name elsewhere. Reads the
//! store; never touches the network.

use std::path::Path;

use serde::Serialize;

use crate::analysis::{self, details, HashLimits};
use crate::config::Config;
use crate::group::{BkTree, SAME_PICTURE_MAX_DISTANCE};
use crate::model::{Change, Detail, DetailKind, PictureMetadata, Reason, Risk, Where};
use crate::risk;
use crate::store::Store;

/// What the check found.
#[derive(Debug, Serialize)]
pub struct Verdict {
    pub file: String,
    pub safe_to_post: bool,
    pub risk: &'static str,
    pub score: u32,
    pub reasons: Vec<Reason>,
    pub width: u32,
    pub height: u32,
    pub faces: Option<u32>,
    pub largest_face: Option<f32>,
    pub metadata: PictureMetadata,
    pub details: Vec<Detail>,
    /// Published pictures this one is a copy of, with where and what names.
    pub already_public: Vec<PublicCopy>,
    /// What to do, in plain words.
    pub advice: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct PublicCopy {
    pub exposure_id: String,
    pub risk: &'static str,
    pub pages: Vec<String>,
    pub names: Vec<String>,
}

/// Why the check could not run.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    #[error("{0}: {1}")]
    Picture(String, analysis::AnalysisError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Checks `file` (with the caption it would be posted with) under `config`'s policy.
pub fn check(config: &Config, file: &Path, caption: Option<&str>) -> Result<Verdict, CheckError> {
    let name = file.display().to_string();
    let bytes = analysis::read_picture_file(file, config.crawl.max_image_bytes)
        .map_err(|e| CheckError::Read(name.clone(), e))?;
    let picture = analysis::analyse(
        &bytes,
        HashLimits {
            max_pixels: config.crawl.max_image_pixels,
        },
    )
    .map_err(|e| CheckError::Picture(name.clone(), e))?;
    let here = "(not yet published)";
    let mut found: Vec<Detail> = Vec::new();
    if let Some(c) = caption {
        found.extend(details::detect(c, Where::Caption, here));
    }
    let file_name = file
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    found.extend(details::from_context(
        &crate::model::Context::default(),
        &file_name,
        here,
    ));
    found.extend(details::from_metadata(&picture.metadata, here));

    let mut already_public = Vec::new();
    let mut withdrawn = false;
    let mut protected_name = false;
    if config.storage.database.exists() {
        let store = Store::open(&config.storage.database)?;
        let protected = crate::protect::Matcher::load(&store)?;
        protected_name = found
            .iter()
            .any(|d| d.kind.names_a_person() && protected.matches(&d.text));
        withdrawn = store.withdrawn()?.iter().any(|w| {
            // An entry whose hash does not read matches nothing (never
            // "0", which would match every plain picture).
            u64::from_str_radix(&w.phash, 16)
                .is_ok_and(|h| (h ^ picture.phash).count_ones() <= SAME_PICTURE_MAX_DISTANCE)
        });
        let known = store.known_exposures()?;
        let mut tree = BkTree::new();
        for (i, (_, h)) in known.iter().enumerate() {
            tree.insert(h, i);
        }
        let mut matches = tree.find(picture.phash, SAME_PICTURE_MAX_DISTANCE);
        matches.sort_by_key(|&(i, d)| (d, i));
        for (i, _) in matches.into_iter().take(5) {
            let id = known.id(i);
            let Some((run, assessment)) = store.latest_assessment(id)? else {
                continue;
            };
            if assessment.change == Change::Resolved {
                continue;
            }
            let mut pages: Vec<String> = store
                .occurrences(run)?
                .into_iter()
                .filter(|o| o.exposure_id == id)
                .map(|o| o.page_url)
                .collect();
            pages.sort();
            pages.dedup();
            let mut names: Vec<String> = assessment
                .details
                .iter()
                .filter(|d| d.kind.names_a_person() && d.role != Some(crate::model::Role::Staff))
                .map(|d| d.text.clone())
                .collect();
            names.sort();
            names.dedup();
            already_public.push(PublicCopy {
                exposure_id: id.to_string(),
                risk: assessment.risk.as_str(),
                pages,
                names,
            });
        }
    }

    let (score, risk, mut reasons) = risk::assess(
        &risk::Evidence {
            details: &found,
            metadata: &[&picture.metadata],
            copies: 1,
            largest_side: picture.width.max(picture.height),
            verdicts: &[],
            faces: picture.faces,
            largest_face: picture.largest_face.unwrap_or(0.0),
            withdrawn,
            protected_name,
            unlinked_only: false,
        },
        &config.risk,
    );
    // The details show the roles the score counted, as the audit's do.
    risk::carry_roles(&mut found);
    let named_elsewhere = already_public.iter().any(|p| !p.names.is_empty());
    let mut score = score;
    let mut risk = risk;
    if named_elsewhere {
        reasons.insert(0, Reason::AlreadyPublicWithName);
        score = (score
            + config
                .risk
                .weights
                .get(&Reason::AlreadyPublicWithName)
                .copied()
                .unwrap_or(0))
        .min(100);
        risk = if score >= config.risk.high_from {
            Risk::High
        } else if score >= config.risk.medium_from {
            Risk::Medium
        } else {
            Risk::Low
        };
    }
    let advice = advise(
        &picture,
        &found,
        &already_public,
        &reasons,
        config.risk.max_published_side,
    );
    Ok(Verdict {
        file: name,
        safe_to_post: risk == Risk::Low,
        risk: risk.as_str(),
        score,
        reasons,
        width: picture.width,
        height: picture.height,
        faces: picture.faces,
        largest_face: picture.largest_face,
        metadata: picture.metadata,
        details: found,
        already_public,
        advice,
    })
}

fn advise(
    p: &crate::model::Picture,
    found: &[Detail],
    public: &[PublicCopy],
    reasons: &[Reason],
    max_side: u32,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(g) = p.metadata.gps {
        out.push(format!("The file records where it was taken ({:.5}, {:.5}): remove the location data before posting.", g.lat, g.lon));
    }
    if !p.metadata.people.is_empty() {
        out.push(format!(
            "The file names the people in it ({}): remove the people tags.",
            p.metadata.people.join(", ")
        ));
    }
    let child_names: Vec<&str> = found
        .iter()
        .filter(|d| d.kind == DetailKind::PersonName && d.role != Some(crate::model::Role::Staff))
        .map(|d| d.text.as_str())
        .collect();
    if !child_names.is_empty() {
        out.push(format!("Names next to the picture ({}): post pictures without names, or names without pictures.", child_names.join(", ")));
    }
    for kind in [
        DetailKind::DateOfBirth,
        DetailKind::Age,
        DetailKind::YearGroup,
        DetailKind::Email,
        DetailKind::Phone,
        DetailKind::PostalAddress,
        DetailKind::PupilNumber,
        DetailKind::NiNumber,
        DetailKind::LocationName,
    ] {
        let texts: Vec<&str> = found
            .iter()
            .filter(|d| d.kind == kind)
            .map(|d| d.text.as_str())
            .collect();
        if !texts.is_empty() {
            out.push(format!(
                "{}: {}.",
                kind.as_str().replace('_', " "),
                texts.join(", ")
            ));
        }
    }
    if reasons.contains(&Reason::HighResolution) {
        out.push(format!(
            "{} x {} pixels with faces: resize to at most {max_side} pixels on the long side.",
            p.width, p.height
        ));
    }
    for c in public {
        if !c.names.is_empty() {
            out.push(format!(
                "This picture is already public with names ({}) at {}.",
                c.names.join(", "),
                c.pages.join(", ")
            ));
        }
    }
    if out.is_empty() {
        out.push(format!(
            "Nothing personal found{}.",
            if p.faces.unwrap_or(0) > 0 {
                " besides the faces themselves"
            } else {
                ""
            }
        ));
    }
    out
}

/// The plain-language form for the communications team.
pub fn render_text(v: &Verdict) -> String {
    let mut s = format!(
        "{}: {} (risk {}, score {})\n",
        v.file,
        if v.safe_to_post {
            "fine to post under the school's policy"
        } else {
            "NOT fine to post as it is"
        },
        v.risk,
        v.score
    );
    s.push_str(&format!(
        "  {} x {} pixels, {} face(s)\n",
        v.width,
        v.height,
        v.faces.map_or("unknown".to_string(), |f| f.to_string())
    ));
    for a in &v.advice {
        s.push_str(&format!("  - {a}\n"));
    }
    if !v.reasons.is_empty() {
        let names: Vec<&str> = v.reasons.iter().map(|r| r.as_str()).collect();
        s.push_str(&format!("  reasons: {}\n", names.join(", ")));
    }
    s
}
