//! Risk: scores an exposure from what is known about it. Pure.
//!
//! The score adds weights for each reason found; the bands are high (70 and
//! above), medium (40 to 69) and low. This version scores what the crawl and
//! the metadata reader establish (GPS, people named in metadata, copies,
//! AI-crawler access); faces and personal details in the surrounding text
//! add their reasons through the same table when their detectors land.

use crate::model::{Detail, PictureMetadata, Risk, RobotsVerdicts};

/// Weight of each reason in the score.
pub const WEIGHTS: &[(&str, u32)] = &[
    ("gps_in_metadata", 45),
    ("person_named_in_metadata", 30),
    ("author_in_metadata", 5),
    ("ai_crawlers_allowed", 10),
    ("multiple_copies", 10),
    ("large_original_exposed", 5),
];

/// Base score of any publicly reachable picture.
const BASE: u32 = 10;
pub const HIGH_FROM: u32 = 70;
pub const MEDIUM_FROM: u32 = 40;

/// What the scorer looks at for one exposure.
pub struct Evidence<'a> {
    pub metadata: &'a [&'a PictureMetadata],
    pub copies: usize,
    pub largest_pixels: u64,
    pub verdicts: &'a [&'a RobotsVerdicts],
    /// Where the exposure was seen, for the details' page_url.
    pub first_page: &'a str,
}

/// Score, band, reasons and the details that justify them.
pub fn assess(e: &Evidence<'_>) -> (u32, Risk, Vec<String>, Vec<Detail>) {
    let mut reasons: Vec<&str> = Vec::new();
    let mut details = Vec::new();
    for m in e.metadata {
        if let Some(gps) = m.gps {
            if !reasons.contains(&"gps_in_metadata") {
                reasons.push("gps_in_metadata");
                details.push(Detail {
                    kind: "gps_location".into(),
                    text: format!("{:.5}, {:.5}", gps.lat, gps.lon),
                    location: "metadata".into(),
                    page_url: e.first_page.to_string(),
                });
            }
        }
        for p in &m.people {
            if !reasons.contains(&"person_named_in_metadata") {
                reasons.push("person_named_in_metadata");
            }
            let d = Detail {
                kind: "metadata_person".into(),
                text: p.clone(),
                location: "metadata".into(),
                page_url: e.first_page.to_string(),
            };
            if !details.contains(&d) {
                details.push(d);
            }
        }
        if m.author.is_some() && !reasons.contains(&"author_in_metadata") {
            reasons.push("author_in_metadata");
        }
    }
    let ai_allowed = e.verdicts.iter().any(|v| {
        v.iter()
            .any(|(agent, verdict)| agent != "*" && verdict == "allowed")
    });
    if ai_allowed {
        reasons.push("ai_crawlers_allowed");
    }
    if e.copies > 1 {
        reasons.push("multiple_copies");
    }
    if e.largest_pixels >= 4_000_000 {
        reasons.push("large_original_exposed");
    }
    let score = BASE
        + reasons
            .iter()
            .map(|r| WEIGHTS.iter().find(|(n, _)| n == r).map_or(0, |(_, w)| *w))
            .sum::<u32>();
    let score = score.min(100);
    let risk = if score >= HIGH_FROM {
        Risk::High
    } else if score >= MEDIUM_FROM {
        Risk::Medium
    } else {
        Risk::Low
    };
    (
        score,
        risk,
        reasons.into_iter().map(String::from).collect(),
        details,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Gps;

    #[test]
    fn gps_and_names_make_high_risk() {
        let m = PictureMetadata {
            gps: Some(Gps {
                lat: 51.5,
                lon: -0.12,
            }),
            people: vec!["Amelia Jones".into()],
            ..Default::default()
        };
        let v: RobotsVerdicts = [("GPTBot".to_string(), "allowed".to_string())].into();
        let (score, risk, reasons, details) = assess(&Evidence {
            metadata: &[&m],
            copies: 1,
            largest_pixels: 1000,
            verdicts: &[&v],
            first_page: "http://s/",
        });
        assert_eq!(risk, Risk::High, "{score} {reasons:?}");
        assert!(reasons.contains(&"gps_in_metadata".to_string()));
        assert_eq!(details.len(), 2);
        assert!(details
            .iter()
            .any(|d| d.kind == "metadata_person" && d.text == "Amelia Jones"));
    }

    #[test]
    fn bare_picture_is_low() {
        let m = PictureMetadata::default();
        let (score, risk, reasons, details) = assess(&Evidence {
            metadata: &[&m],
            copies: 1,
            largest_pixels: 1000,
            verdicts: &[],
            first_page: "http://s/",
        });
        assert_eq!((score, risk), (BASE, Risk::Low));
        assert!(reasons.is_empty() && details.is_empty());
    }
}
