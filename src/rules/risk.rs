//! Risk: scores an exposure from what is known about it. Pure.
//!
//! The score is a base plus the weight of each reason found, capped at 100;
//! bands by two thresholds. Base, weights, thresholds and the largest side a
//! picture of people should be published at come from `[risk]` in the config
//! (defaults below; docs/risk.md explains them). Reasons come from the
//! personal details around and inside the picture (analysis::details), from
//! the faces in it (any face; a face at least 15% of the picture's width is
//! identifiable), how widely it is copied and whether AI crawlers may take it.

use std::collections::BTreeSet;

use crate::model::{
    Detail, DetailKind, PictureMetadata, Reason, Risk, RobotsVerdicts, Role, Verdict, Where,
};

/// Weight of each reason in the score.
pub const WEIGHTS: &[(Reason, u32)] = &[
    (Reason::WithdrawnPictureStillPublic, 100),
    (Reason::ProtectedName, 70),
    (Reason::GpsInMetadata, 45),
    (Reason::AlreadyPublicWithName, 30),
    (Reason::Faces, 15),
    (Reason::AdultPortrait, 5),
    (Reason::IdentifiableFace, 5),
    (Reason::FullNameNearby, 40),
    (Reason::IdentifierNearby, 40),
    (Reason::PersonNamedInMetadata, 35),
    (Reason::DateOfBirthNearby, 40),
    (Reason::FirstNameNearby, 15),
    (Reason::PupilNamedNearby, 15),
    (Reason::ContactDetailsNearby, 15),
    (Reason::YearGroupNearby, 10),
    (Reason::AgeNearby, 10),
    (Reason::LocationNamedNearby, 10),
    (Reason::AiCrawlersAllowed, 5),
    (Reason::MultipleCopies, 5),
    (Reason::StaffNamedNearby, 5),
    (Reason::AuthorInMetadata, 5),
    (Reason::HighResolution, 10),
    (Reason::SeveralFaces, 10),
    (Reason::UnlinkedOnly, 15),
];

/// From this many faces a picture is a group: in a school, mostly pupils.
pub const GROUP_FACES: u32 = 3;

/// Default base score of any publicly reachable picture.
pub const BASE: u32 = 10;
pub const HIGH_FROM: u32 = 70;
pub const MEDIUM_FROM: u32 = 50;
/// Default longest side (pixels) a picture with faces should be published at.
pub const MAX_PUBLISHED_SIDE: u32 = 1200;

/// How exposures are scored: `[risk]` in the config.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub base: u32,
    pub weights: std::collections::BTreeMap<Reason, u32>,
    pub high_from: u32,
    pub medium_from: u32,
    pub max_published_side: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            base: BASE,
            weights: WEIGHTS.iter().copied().collect(),
            high_from: HIGH_FROM,
            medium_from: MEDIUM_FROM,
            max_published_side: MAX_PUBLISHED_SIDE,
        }
    }
}

/// What the scorer looks at for one exposure.
pub struct Evidence<'a> {
    pub details: &'a [Detail],
    pub metadata: &'a [&'a PictureMetadata],
    pub copies: usize,
    /// Longest side of the largest publicly fetchable copy.
    pub largest_side: u32,
    pub verdicts: &'a [&'a RobotsVerdicts],
    /// Most faces found in any copy, if faces were looked for.
    pub faces: Option<u32>,
    /// Largest face width over picture width, across copies.
    pub largest_face: f32,
    /// A copy matches a picture in the takedown register.
    pub withdrawn: bool,
    /// A detected name is on the do-not-publish list.
    pub protected_name: bool,
    /// Every copy was found only where no page links it: an open folder
    /// listing or the WordPress media API.
    pub unlinked_only: bool,
}

/// A face this wide relative to the picture is large enough to recognise.
pub const IDENTIFIABLE_FACE: f32 = 0.15;

/// The reason a detail gives, `role` being the role its person is known by.
fn reason_of(d: &Detail, role: Option<Role>) -> Reason {
    match d.kind {
        DetailKind::PersonName if role == Some(Role::Staff) => Reason::StaffNamedNearby,
        DetailKind::PersonName if d.text.contains(' ') => Reason::FullNameNearby,
        DetailKind::PersonName => Reason::FirstNameNearby,
        DetailKind::MetadataPerson => Reason::PersonNamedInMetadata,
        DetailKind::GpsLocation => Reason::GpsInMetadata,
        DetailKind::DateOfBirth => Reason::DateOfBirthNearby,
        DetailKind::Email | DetailKind::Phone | DetailKind::PostalAddress => {
            Reason::ContactDetailsNearby
        }
        DetailKind::YearGroup => Reason::YearGroupNearby,
        DetailKind::Age => Reason::AgeNearby,
        DetailKind::LocationName => Reason::LocationNamedNearby,
        DetailKind::PupilNumber | DetailKind::NiNumber => Reason::IdentifierNearby,
    }
}

/// The roles the exposure's details give people, by lower-cased name and
/// by the first word of a full name; a pupil wins over staff when both are
/// said. Built once, so an exposure with many names costs one pass.
#[derive(Default)]
struct Roles {
    /// Every name said with a role, whole.
    names: std::collections::HashMap<String, Role>,
    /// The first words of full names said with a role.
    firsts: std::collections::HashMap<String, Role>,
}

impl Roles {
    fn of<'a>(details: impl Iterator<Item = &'a Detail>) -> Roles {
        let mut r = Roles::default();
        let note = |map: &mut std::collections::HashMap<String, Role>, key: String, role| {
            let at = map.entry(key).or_insert(role);
            if role == Role::Pupil {
                *at = Role::Pupil;
            }
        };
        for d in details {
            let Some(role) = d.role.filter(|_| d.kind == DetailKind::PersonName) else {
                continue;
            };
            let name = d.text.to_lowercase();
            if let Some((first, _)) = name.split_once(' ') {
                note(&mut r.firsts, first.to_string(), role);
            }
            note(&mut r.names, name, role);
        }
        r
    }

    /// The role of the person `d` names: its own, else what another
    /// mention gives ("jo-smith.jpg", whose file name says no role, is the
    /// "Jo Smith - Teacher" of the caption; "Lisa" further down the page
    /// the "Lisa Hastings, Manager" above).
    fn role(&self, d: &Detail) -> Option<Role> {
        if d.kind != DetailKind::PersonName || d.role.is_some() {
            return d.role;
        }
        let name = d.text.to_lowercase();
        let whole = self.names.get(&name).copied();
        // "Jane" of "Jane Smith" (with a role). Not the other way: a full
        // name does not take the role of a first name said alone, which
        // may be someone else's ("Oliver, our caretaker" and a pupil
        // "Oliver Bennett").
        let first = if name.contains(' ') {
            None
        } else {
            self.firsts.get(&name).copied()
        };
        if whole == Some(Role::Pupil) || first == Some(Role::Pupil) {
            Some(Role::Pupil)
        } else {
            whole.or(first)
        }
    }
}

/// The role of the person each of an exposure's details names: its own,
/// else what another mention of the same person gives. Roles come from
/// mentions next to the picture; a name elsewhere in a document may also
/// take them from the rest of the document (a newsletter's "Oliver Reed,
/// Chair of Governors" does not make the "Oliver" of a caption an adult).
fn roles_of(details: &[Detail]) -> Vec<Option<Role>> {
    let near = Roles::of(details.iter().filter(|d| d.location != Where::DocumentText));
    let anywhere = Roles::of(details.iter());
    details
        .iter()
        .map(|d| {
            if d.location == Where::DocumentText {
                anywhere.role(d)
            } else {
                near.role(d)
            }
        })
        .collect()
}

/// Gives each name with no role of its own the role another mention of
/// the same person on the exposure gives (as [`assess`] scores it), so the
/// report says what the score counted: `kate-morwenna.jpg` is the
/// governor the caption names.
pub fn carry_roles(details: &mut [Detail]) {
    let roles = roles_of(details);
    for (d, role) in details.iter_mut().zip(roles) {
        if d.role.is_none() {
            d.role = role;
        }
    }
}

/// Score, band and reasons (in order of weight).
pub fn assess(e: &Evidence<'_>, policy: &Policy) -> (u32, Risk, Vec<Reason>) {
    let roles = roles_of(e.details);
    // The rest of a document's page is not next to the picture: a name or
    // a phone number there (a newsletter's other items, its footer) is
    // listed as a detail but does not raise the score; a pupil number or
    // a date of birth anywhere on the page still does.
    let mut reasons: BTreeSet<Reason> = e
        .details
        .iter()
        .zip(&roles)
        .map(|(d, role)| (d, reason_of(d, *role)))
        .filter(|(d, r)| {
            d.location != Where::DocumentText
                || matches!(r, Reason::IdentifierNearby | Reason::DateOfBirthNearby)
        })
        .map(|(_, r)| r)
        .collect();
    if e.metadata.iter().any(|m| m.author.is_some()) {
        reasons.insert(Reason::AuthorInMetadata);
    }
    let ai_allowed = e.verdicts.iter().any(|v| {
        v.iter()
            .any(|(agent, verdict)| agent != "*" && *verdict == Verdict::Allowed)
    });
    if ai_allowed {
        reasons.insert(Reason::AiCrawlersAllowed);
    }
    if e.withdrawn {
        reasons.insert(Reason::WithdrawnPictureStillPublic);
    }
    if e.protected_name {
        reasons.insert(Reason::ProtectedName);
    }
    if e.copies > 1 {
        reasons.insert(Reason::MultipleCopies);
    }
    if e.faces.unwrap_or(0) >= GROUP_FACES {
        reasons.insert(Reason::SeveralFaces);
    }
    if e.unlinked_only {
        reasons.insert(Reason::UnlinkedOnly);
    }
    // A name the text says is a pupil's ("Gabriel (Grade 9)", "Year 6
    // pupil Amelia"): a named child, whatever else is known. On top of the
    // name's own weight, so a child's first name ranks over an unnamed
    // group and a child's full name over everything but GPS and the lists.
    if e.details.iter().zip(&roles).any(|(d, role)| {
        d.kind == DetailKind::PersonName
            && *role == Some(Role::Pupil)
            && d.location != Where::DocumentText
    }) {
        reasons.insert(Reason::PupilNamedNearby);
    }
    // An adult's portrait (staff named, no one else, at most one face):
    // its size is not what puts a child at risk.
    // Names next to it: the rest of a document's page is not (above).
    let names: Vec<Option<Role>> = e
        .details
        .iter()
        .zip(&roles)
        .filter(|(d, _)| d.kind == DetailKind::PersonName && d.location != Where::DocumentText)
        .map(|(_, role)| *role)
        .collect();
    let adults_only = !names.is_empty()
        && names.iter().all(|role| *role == Some(Role::Staff))
        && e.faces.unwrap_or(0) <= 1
        && !e.details.iter().any(|d| {
            matches!(
                d.kind,
                DetailKind::YearGroup | DetailKind::Age | DetailKind::DateOfBirth
            )
        });
    // Nor does its face weigh as a child's might, nor being recognisable:
    // an adult's named portrait is made to be recognised, usually with
    // consent. So any unnamed face (it may be a child's) ranks over an
    // adult's named portrait, and that over a picture with no face.
    if e.faces.unwrap_or(0) > 0 {
        if adults_only {
            reasons.insert(Reason::AdultPortrait);
        } else {
            reasons.insert(Reason::Faces);
            if e.largest_face >= IDENTIFIABLE_FACE {
                reasons.insert(Reason::IdentifiableFace);
            }
        }
    }
    if e.faces.unwrap_or(0) > 0 && e.largest_side > policy.max_published_side && !adults_only {
        reasons.insert(Reason::HighResolution);
    }
    // Nor is a contact beside it: a member of staff's work email or the
    // school's phone under their portrait is published on purpose. The
    // details are still listed.
    if adults_only {
        reasons.remove(&Reason::ContactDetailsNearby);
    }
    let weight = |r: Reason| policy.weights.get(&r).copied().unwrap_or(0);
    let score = (policy.base + reasons.iter().map(|r| weight(*r)).sum::<u32>()).min(100);
    let risk = if score >= policy.high_from {
        Risk::High
    } else if score >= policy.medium_from {
        Risk::Medium
    } else {
        Risk::Low
    };
    // Heaviest first; equal weights by name, so the order is the same on
    // every run.
    let mut ordered: Vec<Reason> = reasons.into_iter().collect();
    ordered.sort_by_key(|r| (std::cmp::Reverse(weight(*r)), r.as_str()));
    (score, risk, ordered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(kind: &str, text: &str, role: Option<Role>) -> Detail {
        Detail {
            kind: DetailKind::parse(kind).unwrap(),
            text: text.into(),
            location: crate::model::Where::Caption,
            page_url: "p".into(),
            role,
        }
    }

    fn score(details: &[Detail], ai: bool) -> (u32, Risk, Vec<Reason>) {
        let v: RobotsVerdicts = [(
            "GPTBot".to_string(),
            if ai {
                Verdict::Allowed
            } else {
                Verdict::Disallowed
            },
        )]
        .into();
        assess(
            &Evidence {
                details,
                metadata: &[],
                copies: 1,
                largest_side: 1000,
                verdicts: &[&v],
                faces: Some(0),
                largest_face: 0.0,
                withdrawn: false,
                protected_name: false,
                unlinked_only: false,
            },
            &Policy::default(),
        )
    }

    #[test]
    fn a_named_child_with_a_year_group_but_no_face_is_medium() {
        let (s, r, reasons) = score(
            &[
                d("person_name", "Amelia Jones", None),
                d("year_group", "Year 4", None),
            ],
            true,
        );
        assert_eq!(r, Risk::Medium, "{s} {reasons:?}");
        assert_eq!(reasons[0], Reason::FullNameNearby);
    }

    #[test]
    fn a_named_face_is_high() {
        let v: RobotsVerdicts = RobotsVerdicts::new();
        let (s, r, reasons) = assess(
            &Evidence {
                details: &[d("person_name", "Amelia Jones", None)],
                metadata: &[],
                copies: 1,
                largest_side: 4000,
                verdicts: &[&v],
                faces: Some(1),
                largest_face: 0.3,
                withdrawn: false,
                protected_name: false,
                unlinked_only: false,
            },
            &Policy::default(),
        );
        assert_eq!(r, Risk::High, "{s} {reasons:?}");
        assert!(reasons.contains(&Reason::IdentifiableFace));
        assert!(reasons.contains(&Reason::HighResolution));
    }

    /// The bands issue 3 asks for, on a typical site where some AI crawler
    /// may take every picture and pictures are published in several sizes.
    #[test]
    fn default_bands_match_the_policy_examples() {
        let typical: RobotsVerdicts = [("Bytespider".to_string(), Verdict::Allowed)].into();
        let band = |details: &[Detail], faces: u32, largest_face: f32| {
            assess(
                &Evidence {
                    details,
                    metadata: &[],
                    copies: 3,
                    largest_side: 1000,
                    verdicts: &[&typical],
                    faces: Some(faces),
                    largest_face,
                    withdrawn: false,
                    protected_name: false,
                    unlinked_only: false,
                },
                &Policy::default(),
            )
            .1
        };
        let full = d("person_name", "Amelia Jones", None);
        let first = d("person_name", "Amelia", None);
        let year = d("year_group", "Year 4", None);
        let gps = Detail {
            location: crate::model::Where::Metadata,
            ..d("gps_location", "51.5, -0.1", None)
        };
        let dob = d("date_of_birth", "3 May 2017", None);
        for face in [0.05, 0.3] {
            assert_eq!(
                band(std::slice::from_ref(&full), 1, face),
                Risk::High,
                "face with a full name"
            );
            assert_eq!(
                band(std::slice::from_ref(&gps), 1, face),
                Risk::High,
                "face with GPS"
            );
            assert_eq!(
                band(std::slice::from_ref(&dob), 1, face),
                Risk::High,
                "face with a date of birth"
            );
            assert_eq!(
                band(&[first.clone(), year.clone()], 1, face),
                Risk::Medium,
                "face with a first name and year group"
            );
            assert_eq!(band(&[], 1, face), Risk::Low, "a face alone");
        }
        assert_eq!(band(&[], 0, 0.0), Risk::Low, "no face, no details");
        let pupil = d("person_name", "Amelia", Some(Role::Pupil));
        assert_eq!(
            band(std::slice::from_ref(&pupil), 1, 0.05),
            Risk::Medium,
            "face with a pupil's first name"
        );
        assert_eq!(
            band(&[pupil, year], 1, 0.05),
            Risk::High,
            "face with a pupil's first name and year group"
        );
    }

    #[test]
    fn weights_come_from_the_policy() {
        let mut policy = Policy::default();
        policy.weights.insert(Reason::YearGroupNearby, 60);
        let v = RobotsVerdicts::new();
        let e = Evidence {
            details: &[d("year_group", "Year 4", None)],
            metadata: &[],
            copies: 1,
            largest_side: 100,
            verdicts: &[&v],
            faces: None,
            largest_face: 0.0,
            withdrawn: false,
            protected_name: false,
            unlinked_only: false,
        };
        assert_eq!(assess(&e, &Policy::default()).1, Risk::Low);
        assert_eq!(
            assess(&e, &policy),
            (70, Risk::High, vec![Reason::YearGroupNearby])
        );
    }

    #[test]
    fn gps_alone_is_medium_a_bare_picture_low_staff_low() {
        assert_eq!(
            score(&[d("gps_location", "51.5, -0.1", None)], false).1,
            Risk::Medium
        );
        assert_eq!(score(&[], false), (BASE, Risk::Low, vec![]));
        let (_, r, reasons) = score(&[d("person_name", "Mrs Patel", Some(Role::Staff))], false);
        assert_eq!((r, reasons), (Risk::Low, vec![Reason::StaffNamedNearby]));
    }

    /// Issue 19, point 4, as the real corpus showed it: three pupils in a
    /// photo only an open folder listing reaches scored low, and a
    /// governor's large, copied headshot scored medium. Children rank over
    /// adults, named over unnamed, unlinked copies are raised.
    #[test]
    fn children_rank_over_adults_and_unlinked_pictures_are_raised() {
        let ai: RobotsVerdicts = [("GPTBot".to_string(), Verdict::Allowed)].into();
        let score = |details: &[Detail], faces: u32, copies: usize, side: u32, unlinked: bool| {
            assess(
                &Evidence {
                    details,
                    metadata: &[],
                    copies,
                    largest_side: side,
                    verdicts: &[&ai],
                    faces: Some(faces),
                    largest_face: 0.3,
                    withdrawn: false,
                    protected_name: false,
                    unlinked_only: unlinked,
                },
                &Policy::default(),
            )
        };
        let governor = d("person_name", "Kate Morwenna", Some(Role::Staff));
        let pupil = d("person_name", "Amelia Jones", Some(Role::Pupil));
        let headshot = score(std::slice::from_ref(&governor), 1, 3, 2400, false);
        let group_unlinked = score(&[], 3, 1, 1600, true);
        let group_linked = score(&[], 3, 1, 1600, false);
        let named_child = score(std::slice::from_ref(&pupil), 1, 1, 800, false);
        assert_eq!(headshot.1, Risk::Low, "{headshot:?}");
        assert!(!headshot.2.contains(&Reason::HighResolution));
        assert!(
            matches!(group_unlinked.1, Risk::Medium | Risk::High),
            "{group_unlinked:?}"
        );
        assert!(group_unlinked.2.contains(&Reason::UnlinkedOnly));
        assert!(group_unlinked.2.contains(&Reason::SeveralFaces));
        assert_eq!(named_child.1, Risk::High, "{named_child:?}");
        assert!(named_child.2.contains(&Reason::PupilNamedNearby));
        // A child's first name, when the text says it is a pupil's, ranks
        // over an unnamed group on a page and over an adult's portrait; the
        // same first name with nothing saying whose ranks lower.
        let first = d("person_name", "Gabriel", Some(Role::Pupil));
        let named_first = score(std::slice::from_ref(&first), 1, 1, 800, false);
        let unknown_first = score(&[d("person_name", "Gabriel", None)], 1, 1, 800, false);
        assert!(
            named_first.0 > group_linked.0,
            "{named_first:?} {group_linked:?}"
        );
        assert!(named_first.0 > headshot.0);
        assert!(named_first.0 > unknown_first.0);
        assert!(!unknown_first.2.contains(&Reason::PupilNamedNearby));
        // A name with no role of its own (a file name's) is the person the
        // caption gives a role: a portrait named twice is still an adult's.
        let file_name = Detail {
            location: Where::Filename,
            ..d("person_name", "Kate Morwenna", None)
        };
        let first_later = d("person_name", "Kate", None);
        let twice = score(
            &[file_name.clone(), governor.clone(), first_later],
            1,
            3,
            2400,
            false,
        );
        assert_eq!(twice.0, headshot.0, "{twice:?} {headshot:?}");
        assert!(!twice.2.contains(&Reason::FullNameNearby));
        // Not the other way: a full name does not take the role of a
        // first name said alone, which may be another person's.
        let caretaker = d("person_name", "Oliver", Some(Role::Staff));
        let pupil_named = d("person_name", "Oliver Bennett", None);
        let both = score(&[caretaker, pupil_named], 1, 1, 800, false);
        assert!(both.2.contains(&Reason::FullNameNearby), "{both:?}");
        let file_name_alone = score(&[file_name], 1, 3, 2400, false);
        assert!(file_name_alone.2.contains(&Reason::FullNameNearby));
        // But not a role written elsewhere in a newsletter.
        let caption_first = d("person_name", "Kate", None);
        let newsletter_governor = Detail {
            location: Where::DocumentText,
            ..governor.clone()
        };
        let child = score(&[caption_first, newsletter_governor], 1, 1, 800, false);
        assert!(child.2.contains(&Reason::FirstNameNearby), "{child:?}");
        assert!(child.2.contains(&Reason::IdentifiableFace), "{child:?}");
        let order = [named_child.0, group_unlinked.0, group_linked.0, headshot.0];
        assert!(order.windows(2).all(|w| w[0] > w[1]), "{order:?}");
        // An adult's named portrait is made to be recognised: it gains
        // nothing for a large face, and ranks no higher than the same
        // portrait of someone unnamed.
        let email = d("email", "k.morwenna@school.example", None);
        let portrait = score(&[governor.clone(), email.clone()], 1, 1, 800, false);
        assert!(
            !portrait.2.contains(&Reason::ContactDetailsNearby),
            "{portrait:?}"
        );
        let child_contact = score(&[pupil.clone(), email.clone()], 1, 1, 800, false);
        assert!(child_contact.2.contains(&Reason::ContactDetailsNearby));
        // A staff name elsewhere in a newsletter does not make a child's
        // photo an adult's portrait.
        let far_staff = Detail {
            location: Where::DocumentText,
            ..governor.clone()
        };
        let newsletter = score(&[far_staff, email], 1, 1, 800, false);
        assert!(
            newsletter.2.contains(&Reason::IdentifiableFace),
            "{newsletter:?}"
        );
        assert!(newsletter.2.contains(&Reason::ContactDetailsNearby));
        let unnamed_face = score(&[], 1, 1, 800, false);
        assert!(
            !portrait.2.contains(&Reason::IdentifiableFace),
            "{portrait:?}"
        );
        assert!(unnamed_face.2.contains(&Reason::IdentifiableFace));
        assert!(!portrait.2.contains(&Reason::Faces), "{portrait:?}");
        assert!(portrait.2.contains(&Reason::AdultPortrait), "{portrait:?}");
        // Any unnamed face, even a small one, may be a child's: it ranks
        // over an adult's named portrait, and that over no face at all.
        let small_face = assess(
            &Evidence {
                details: &[],
                metadata: &[],
                copies: 1,
                largest_side: 800,
                verdicts: &[&ai],
                faces: Some(1),
                largest_face: 0.05,
                withdrawn: false,
                protected_name: false,
                unlinked_only: false,
            },
            &Policy::default(),
        );
        assert!(!small_face.2.contains(&Reason::IdentifiableFace));
        assert!(
            portrait.0 < small_face.0 && small_face.0 < unnamed_face.0,
            "{portrait:?} {small_face:?} {unnamed_face:?}"
        );
        let no_face = score(&[], 0, 1, 800, false);
        assert!(no_face.0 < portrait.0, "{no_face:?} {portrait:?}");
    }

    /// The report shows the role the score counts: a file name's name
    /// is the governor the caption names; a newsletter's staff name far
    /// away does not make a caption's first name an adult; a role carried
    /// once is not carried on (a child "Kate Jones" beside a governor
    /// "Kate Morwenna" and an alt "Kate" stays a child).
    #[test]
    fn roles_are_carried_to_the_details() {
        let file_name = Detail {
            location: Where::Filename,
            ..d("person_name", "Kate Morwenna", None)
        };
        let caption = d("person_name", "Kate Morwenna", Some(Role::Staff));
        let first = d("person_name", "Kate", None);
        let far = Detail {
            location: Where::DocumentText,
            ..d("person_name", "Oliver Reed", Some(Role::Staff))
        };
        let oliver = d("person_name", "Oliver", None);
        let child = d("person_name", "Kate Jones", None);
        let mut details = vec![file_name, caption, first, far, oliver, child];
        let (before, _, _) = score(&details, true);
        carry_roles(&mut details);
        let roles: Vec<Option<Role>> = details.iter().map(|d| d.role).collect();
        assert_eq!(
            roles,
            [
                Some(Role::Staff),
                Some(Role::Staff),
                Some(Role::Staff),
                Some(Role::Staff),
                None,
                None
            ]
        );
        // Scored the same before and after, and the child's full name
        // still scores as one.
        let (after, _, reasons) = score(&details, true);
        assert_eq!(after, before);
        assert!(reasons.contains(&Reason::FullNameNearby), "{reasons:?}");
    }

    /// A logo in a newsletter shares its page with the week's names; they
    /// are not next to it and do not make it high risk.
    #[test]
    fn names_elsewhere_on_a_document_page_do_not_raise_the_score() {
        let far = Detail {
            location: Where::DocumentText,
            ..d("person_name", "Amelia Jones", None)
        };
        let near = Detail {
            location: Where::Caption,
            ..far.clone()
        };
        let (s_far, _, r_far) = score(std::slice::from_ref(&far), false);
        let (s_near, _, _) = score(std::slice::from_ref(&near), false);
        assert!(!r_far.contains(&Reason::FullNameNearby), "{r_far:?}");
        assert_eq!(s_near - s_far, 40);
    }
}
