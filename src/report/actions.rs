//! What to do about an exposure: the concrete actions that would lower its
//! risk, most effective first, each naming its place (the report's
//! `actions`). Pure: from the exposure as the report shows it and what is
//! known of each of its copies.
//!
//! Most effective first means by the default weight of the reason an
//! action takes away (docs/risk.md): a withdrawn picture still public,
//! then a location in the file, a child's full name, a date of birth or an
//! identifier next to it, then copies a scraper gets that no page shows,
//! then the rest.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::json::Exposure;
use crate::model::{ActionKind, ChangeKind, DetailKind, FoundVia, Reason, Role, Where};

/// One thing to do, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Action {
    pub kind: ActionKind,
    /// The page, post or file address to change.
    #[serde(rename = "where")]
    pub place: String,
    /// One plain sentence: what to change.
    pub what: String,
    /// How much of the score it takes away, for ordering (not written).
    #[serde(skip)]
    pub weight: u32,
}

/// What is known of one copy (by sha256) of an exposure's picture.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Copy {
    pub width: u32,
    pub height: u32,
    pub gps: bool,
    pub people: bool,
}

/// The actions for `e`, most effective first, each once.
/// `max_side` is `risk.max_published_side`.
pub fn for_exposure<S: std::hash::BuildHasher>(
    e: &Exposure,
    copies: &HashMap<String, Copy, S>,
    max_side: u32,
) -> Vec<Action> {
    let mut out: Vec<Action> = Vec::new();
    let mut push = |kind, place: &str, what: String, weight| {
        if !out
            .iter()
            .any(|a: &Action| a.kind == kind && a.place == place && a.what == what)
        {
            out.push(Action {
                kind,
                place: place.to_string(),
                what,
                weight,
            });
        }
    };
    let own: Vec<_> = e
        .occurrences
        .iter()
        .filter(|o| o.found_via != FoundVia::Api.as_str())
        .collect();
    let addresses: BTreeSet<&str> = own.iter().map(|o| o.image_url.as_str()).collect();
    // Documents this picture is inside, with the pages it is on.
    let mut documents: BTreeMap<&str, BTreeSet<u32>> = BTreeMap::new();
    for o in own
        .iter()
        .filter(|o| o.found_via == FoundVia::Document.as_str())
    {
        documents
            .entry(o.page_url.as_str())
            .or_default()
            .extend(o.document_page);
    }
    let in_document = |page: &str| -> Option<String> {
        let pages = documents.get(page)?;
        let name = page.rsplit('/').next().unwrap_or(page);
        Some(match pages.len() {
            0 => format!("in {name}"),
            1 => format!("in {name}, page {}", pages.iter().next().expect("one page")),
            _ => format!(
                "in {name}, pages {}",
                pages
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
    };

    // A picture on the takedown register: every copy goes.
    if e.reasons.contains(&Reason::WithdrawnPictureStillPublic) {
        for url in &addresses {
            push(
                ActionKind::DeleteCopy,
                url,
                "Delete this copy: the picture was withdrawn from publication and is still public."
                    .into(),
                100,
            );
        }
    }

    // Location and people inside the file, copy by copy.
    for o in &own {
        let Some(c) = copies.get(&o.sha256) else {
            continue;
        };
        let what = match (c.gps, c.people) {
            (true, true) => "Remove the GPS position and the people tags from the file (publish a copy without metadata).",
            (true, false) => "Remove the GPS position from the file (publish a copy without metadata).",
            (false, true) => "Remove the people tags from the file (publish a copy without metadata).",
            (false, false) => continue,
        };
        push(
            ActionKind::StripMetadata,
            &o.image_url,
            what.into(),
            if c.gps { 45 } else { 35 },
        );
    }

    // Names and details next to it, by page and place on the page.
    let mut by_place: BTreeMap<(&str, Where), (u32, Vec<&str>)> = BTreeMap::new();
    for d in &e.details {
        let weight = match d.kind {
            DetailKind::PersonName if d.role == Some(Role::Staff) => continue,
            DetailKind::PersonName if d.text.contains(' ') => 40,
            DetailKind::DateOfBirth | DetailKind::PupilNumber | DetailKind::NiNumber => 40,
            DetailKind::PersonName
            | DetailKind::Email
            | DetailKind::Phone
            | DetailKind::PostalAddress => 15,
            DetailKind::YearGroup | DetailKind::Age | DetailKind::LocationName => 10,
            // Inside the file: stripping the metadata is the action.
            DetailKind::GpsLocation | DetailKind::MetadataPerson => continue,
        };
        // A picture file's metadata is stripped as a whole (above); a
        // document's own properties are edited like its text.
        if d.location == Where::Metadata && !documents.contains_key(d.page_url.as_str()) {
            continue;
        }
        let entry = by_place
            .entry((d.page_url.as_str(), d.location))
            .or_insert((0, Vec::new()));
        entry.0 = entry.0.max(weight);
        if !entry.1.contains(&d.text.as_str()) {
            entry.1.push(&d.text);
        }
    }
    // Text beside a picture holds its caption too: what the caption or alt
    // action on the same page already says is not said twice.
    let elsewhere: Vec<(&str, Vec<&str>)> = by_place
        .iter()
        .filter(|((_, place), _)| *place != Where::NearbyText)
        .map(|((page, _), (_, texts))| (*page, texts.clone()))
        .collect();
    for ((page, place), (_, texts)) in &mut by_place {
        if *place == Where::NearbyText {
            texts.retain(|t| {
                !elsewhere
                    .iter()
                    .any(|(p, other)| p == page && other.contains(t))
            });
        }
    }
    by_place.retain(|_, (_, texts)| !texts.is_empty());
    for ((page, place), (weight, texts)) in by_place {
        let quoted = texts
            .iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(", ");
        if place == Where::Filename {
            for o in own.iter().filter(|o| o.page_url == page) {
                if crate::analysis::details::from_context(
                    &crate::model::Context::default(),
                    &o.image_url,
                    page,
                )
                .iter()
                .any(|d| texts.contains(&d.text.as_str()))
                {
                    push(
                        ActionKind::RenameFile,
                        &o.image_url,
                        format!("Upload the picture again under a file name without {quoted}, and delete this one."),
                        weight,
                    );
                }
            }
            continue;
        }
        if let Some(there) = in_document(page) {
            let what = match place {
                Where::Metadata => format!(
                    "Remove {quoted} from the document's properties (author, title), {there}, and publish it again."
                ),
                Where::DocumentText => format!(
                    "Remove or shorten {quoted} on the same page as the picture, {there}, or take the picture out of the document."
                ),
                _ => format!(
                    "Remove or shorten {quoted} beside the picture, {there}, and publish the document again."
                ),
            };
            push(ActionKind::EditText, page, what, weight);
            continue;
        }
        let (kind, what) = match place {
            Where::PostText => (
                ActionKind::EditText,
                format!("Remove or shorten {quoted} in the post's text."),
            ),
            Where::PageTitle => (
                ActionKind::EditText,
                format!("Remove {quoted} from the page's title."),
            ),
            Where::NearbyText => (
                ActionKind::EditText,
                format!("Remove or shorten {quoted} in the text beside the picture on this page."),
            ),
            other => (
                ActionKind::EditText,
                format!(
                    "Remove or shorten {quoted} in the {} on this page.",
                    other.label()
                ),
            ),
        };
        push(kind, page, what, weight);
    }

    // Copies a scraper gets that no page shows.
    for r in &e.change_reasons {
        if r.kind == ChangeKind::NowUnlinked {
            push(
                ActionKind::DeleteCopy,
                &r.place,
                "No page links this copy any more, but it is still served: delete the file.".into(),
                30,
            );
        }
    }
    let listings: BTreeSet<&str> = own
        .iter()
        .filter(|o| o.found_via == FoundVia::DirectoryListing.as_str())
        .map(|o| o.page_url.as_str())
        .collect();
    for folder in listings {
        push(
            ActionKind::CloseListing,
            folder,
            "Turn off the directory listing of this folder: it hands this picture to anyone who asks, linked or not.".into(),
            30,
        );
    }

    // Posts on a platform.
    for o in e
        .occurrences
        .iter()
        .filter(|o| o.found_via == FoundVia::Api.as_str())
    {
        push(
            ActionKind::RemovePost,
            &o.page_url,
            "Delete the post, or post the picture again without the details next to it.".into(),
            20,
        );
    }

    // Published larger than a picture of people needs to be.
    if e.reasons.contains(&Reason::HighResolution) {
        let largest = own
            .iter()
            .filter_map(|o| copies.get(&o.sha256).map(|c| (c, o)))
            .filter(|(c, _)| c.width.max(c.height) > max_side)
            .max_by_key(|(c, o)| {
                (
                    u64::from(c.width) * u64::from(c.height),
                    o.image_url.clone(),
                )
            });
        if let Some((c, o)) = largest {
            push(
                ActionKind::ReplaceSmaller,
                &o.image_url,
                format!(
                    "Replace the {} x {} px original with a copy no larger than {max_side} px on its long side.",
                    c.width, c.height
                ),
                10,
            );
        }
    }

    // Most effective first; equal weights in the order found.
    out.sort_by_key(|a| std::cmp::Reverse(a.weight));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Change, ChangeReason, Context, Detail, Risk};
    use crate::report::json::{Image, Occurrence};

    fn occurrence(page: &str, image: &str, via: FoundVia, sha: &str) -> Occurrence {
        Occurrence {
            source: "School website".into(),
            page_url: page.into(),
            image_url: image.into(),
            found_via: via.as_str(),
            document_page: None,
            context: Context::default(),
            robots: std::sync::Arc::default(),
            sha256: sha.into(),
            seen_this_run: true,
        }
    }

    fn detail(kind: DetailKind, text: &str, place: Where, page: &str) -> Detail {
        Detail {
            kind,
            text: text.into(),
            location: place,
            page_url: page.into(),
            role: None,
        }
    }

    fn exposure(
        reasons: Vec<Reason>,
        occurrences: Vec<Occurrence>,
        details: Vec<Detail>,
    ) -> Exposure {
        Exposure {
            id: "exp-1".into(),
            risk: Risk::High,
            score: 90,
            reasons,
            change: Change::Changed,
            change_reasons: Vec::new(),
            actions: Vec::new(),
            seen_this_run: true,
            first_seen_at: None,
            image: Image::default(),
            occurrences,
            details,
            thumbnail: None,
            published: None,
        }
    }

    #[test]
    fn each_action_names_its_place_most_effective_first() {
        let page = "https://s/news/sports-day/";
        let mut e = exposure(
            vec![
                Reason::GpsInMetadata,
                Reason::FullNameNearby,
                Reason::HighResolution,
            ],
            vec![
                occurrence(page, "https://s/up/amelia-jones.jpg", FoundVia::Img, "big"),
                occurrence(
                    page,
                    "https://s/up/amelia-jones-300x200.jpg",
                    FoundVia::Srcset,
                    "small",
                ),
                occurrence(
                    "https://s/up/",
                    "https://s/up/amelia-jones.jpg",
                    FoundVia::DirectoryListing,
                    "big",
                ),
                occurrence(
                    "https://social/@school/1",
                    "https://cdn/1.jpg",
                    FoundVia::Api,
                    "small",
                ),
            ],
            vec![
                detail(DetailKind::PersonName, "Amelia Jones", Where::Caption, page),
                detail(
                    DetailKind::PersonName,
                    "Amelia Jones",
                    Where::NearbyText,
                    page,
                ),
                detail(
                    DetailKind::PersonName,
                    "Amelia Jones",
                    Where::Filename,
                    page,
                ),
                detail(DetailKind::YearGroup, "Year 4", Where::Caption, page),
                detail(DetailKind::PersonName, "Mrs Patel", Where::Caption, page),
            ],
        );
        e.details[4].role = Some(Role::Staff);
        e.change_reasons = vec![ChangeReason {
            kind: ChangeKind::NowUnlinked,
            place: "https://s/up/old.jpg".into(),
        }];
        let copies: HashMap<String, Copy> = [
            (
                "big".to_string(),
                Copy {
                    width: 4000,
                    height: 3000,
                    gps: true,
                    people: false,
                },
            ),
            (
                "small".to_string(),
                Copy {
                    width: 300,
                    height: 200,
                    gps: false,
                    people: false,
                },
            ),
        ]
        .into();
        let got = for_exposure(&e, &copies, 1200);
        let kinds: Vec<(ActionKind, &str)> =
            got.iter().map(|a| (a.kind, a.place.as_str())).collect();
        assert_eq!(
            kinds,
            [
                (ActionKind::StripMetadata, "https://s/up/amelia-jones.jpg"),
                (ActionKind::EditText, page),
                (ActionKind::RenameFile, "https://s/up/amelia-jones.jpg"),
                (
                    ActionKind::RenameFile,
                    "https://s/up/amelia-jones-300x200.jpg"
                ),
                (ActionKind::DeleteCopy, "https://s/up/old.jpg"),
                (ActionKind::CloseListing, "https://s/up/"),
                (ActionKind::RemovePost, "https://social/@school/1"),
                (ActionKind::ReplaceSmaller, "https://s/up/amelia-jones.jpg"),
            ],
            "{got:#?}"
        );
        assert!(
            got[1].what.contains("\"Amelia Jones\", \"Year 4\""),
            "{}",
            got[1].what
        );
        assert!(got[1].what.contains("caption"), "{}", got[1].what);
        assert!(
            !got.iter().any(|a| a.what.contains("Patel")),
            "staff names stay"
        );
        assert!(got[7].what.contains("4000 x 3000") && got[7].what.contains("1200 px"));
    }

    #[test]
    fn a_withdrawn_picture_is_deleted_everywhere_first_and_a_plain_one_needs_nothing() {
        let e = exposure(
            vec![Reason::WithdrawnPictureStillPublic, Reason::Faces],
            vec![
                occurrence("https://s/a/", "https://s/x.jpg", FoundVia::Img, "a"),
                occurrence(
                    "https://s/b/",
                    "https://s/x-150x150.jpg",
                    FoundVia::Img,
                    "b",
                ),
            ],
            Vec::new(),
        );
        let got = for_exposure(&e, &HashMap::new(), 1200);
        assert_eq!(got.len(), 2);
        assert!(got.iter().all(|a| a.kind == ActionKind::DeleteCopy));
        let plain = exposure(
            vec![Reason::AiCrawlersAllowed],
            vec![occurrence(
                "https://s/",
                "https://s/hall.jpg",
                FoundVia::Img,
                "a",
            )],
            Vec::new(),
        );
        assert!(for_exposure(&plain, &HashMap::new(), 1200).is_empty());
    }
}
