//! The rules of change and of carrying, in one place and pure: how an
//! exposure compares between two runs (new, unchanged, changed with its
//! reasons, resolved), and what becomes of one the run did not see. The
//! closing of a run (audit.rs) and `report --against` (report/json.rs) both
//! call these; neither decides a change itself. Scoring is `risk`'s.

use crate::model::{Change, ChangeKind, ChangeReason, Detail, Reason, Risk};

/// What one run knew of an exposure, for comparing two runs.
pub struct Seen<'a, P: IntoIterator<Item = (&'a str, &'a str)>> {
    pub places: P,
    pub risk: Risk,
    pub details: &'a [Detail],
}

/// Why an exposure changed between `before` and `now`, empty when it did
/// not: the rule of change, in one place, for the closing and
/// `report --against` alike. Pages that began or stopped showing it are
/// `copy_added` / `copy_gone` by page; on the same pages, more addresses
/// are `copy_added` by address (a re-upload that replaces one is no
/// change); details by text; risk by its two levels.
pub fn change_reasons<'a, P, Q>(before: Seen<'a, P>, now: Seen<'a, Q>) -> Vec<ChangeReason>
where
    P: IntoIterator<Item = (&'a str, &'a str)>,
    Q: IntoIterator<Item = (&'a str, &'a str)>,
{
    use std::collections::BTreeSet;
    let split = |places: &mut dyn Iterator<Item = (&'a str, &'a str)>| {
        let mut pages = BTreeSet::new();
        let mut copies = BTreeSet::new();
        for (page, url) in places {
            pages.insert(page);
            copies.insert(url);
        }
        (pages, copies)
    };
    // A picture changes when other pages show it, or when it has more
    // copies than before; a re-upload that replaces the old address on the
    // same page is the same exposure, not a change.
    let (pages_before, copies_before) = split(&mut before.places.into_iter());
    let (pages_now, copies_now) = split(&mut now.places.into_iter());
    let reason = |kind, place: &str| ChangeReason {
        kind,
        place: place.to_string(),
    };
    let mut out: Vec<ChangeReason> = Vec::new();
    out.extend(
        pages_now
            .difference(&pages_before)
            .map(|p| reason(ChangeKind::CopyAdded, p)),
    );
    out.extend(
        pages_before
            .difference(&pages_now)
            .map(|p| reason(ChangeKind::CopyGone, p)),
    );
    if pages_before == pages_now && copies_now.len() > copies_before.len() {
        out.extend(
            copies_now
                .difference(&copies_before)
                .map(|u| reason(ChangeKind::CopyAdded, u)),
        );
    }
    if before.details != now.details {
        let key = |d: &'a Detail| {
            (
                d.kind.as_str(),
                d.text.as_str(),
                d.location.as_str(),
                d.page_url.as_str(),
            )
        };
        let was: BTreeSet<_> = before.details.iter().map(key).collect();
        let is: BTreeSet<_> = now.details.iter().map(key).collect();
        let texts = |from: &BTreeSet<_>, other: &BTreeSet<_>| -> BTreeSet<&'a str> {
            from.difference(other)
                .map(|k: &(&'a str, &'a str, &'a str, &'a str)| k.1)
                .collect()
        };
        out.extend(
            texts(&is, &was)
                .into_iter()
                .map(|t| reason(ChangeKind::DetailAdded, t)),
        );
        out.extend(
            texts(&was, &is)
                .into_iter()
                .map(|t| reason(ChangeKind::DetailGone, t)),
        );
        if !out
            .iter()
            .any(|r| matches!(r.kind, ChangeKind::DetailAdded | ChangeKind::DetailGone))
        {
            // Equal as sets but not as lists (a role or order): still said.
            out.push(reason(ChangeKind::DetailAdded, "details"));
        }
    }
    if now.risk != before.risk {
        let kind = if now.risk > before.risk {
            ChangeKind::RiskUp
        } else {
            ChangeKind::RiskDown
        };
        out.push(reason(
            kind,
            &format!("{} to {}", before.risk.as_str(), now.risk.as_str()),
        ));
    }
    out
}

/// An exposure's change in a run against another: new (only `now` has
/// it, or `before` had it resolved), resolved (`now` has it resolved, or
/// only `before` has it), else changed with its reasons or unchanged.
/// `None` when neither run has it. `now_resolved` is whether `now`
/// reported it resolved.
pub fn change_between<'a, P, Q>(
    now: Option<(Seen<'a, Q>, bool)>,
    before: Option<Seen<'a, P>>,
) -> Option<(Change, Vec<ChangeReason>)>
where
    P: IntoIterator<Item = (&'a str, &'a str)>,
    Q: IntoIterator<Item = (&'a str, &'a str)>,
{
    Some(match (now, before) {
        (Some(_), None) => (Change::New, Vec::new()),
        (Some((_, true)) | None, Some(_)) => (Change::Resolved, Vec::new()),
        (Some((now, false)), Some(before)) => {
            let why = change_reasons(before, now);
            if why.is_empty() {
                (Change::Unchanged, why)
            } else {
                (Change::Changed, why)
            }
        }
        (None, None) => return None,
    })
}

/// What the run decided of an exposure it did not see, from the run
/// before: the change, and the reasons and change reasons to replace its
/// carried ones with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carried {
    pub change: Change,
    /// Reasons the run adds in front (unlinked) or behind (unseen).
    pub reasons: Vec<Reason>,
    pub change_reasons: Vec<ChangeReason>,
}

/// The rule of carrying. `covered`: every page it was last seen on was
/// looked at this run. `still_served`: the addresses of it that no page
/// links but that still answer. A page it was on that failed or was
/// skipped leaves it as it was, unseen; looked at everywhere and still
/// served is `changed` (a scraper who kept the address still gets it);
/// looked at everywhere and gone is resolved.
pub fn carry(covered: bool, still_served: &[&str]) -> Carried {
    if !covered {
        return Carried {
            change: Change::Unchanged,
            reasons: vec![Reason::NotSeenThisRun],
            change_reasons: Vec::new(),
        };
    }
    if !still_served.is_empty() {
        let mut served: Vec<&str> = still_served.to_vec();
        served.sort_unstable();
        served.dedup();
        return Carried {
            change: Change::Changed,
            reasons: vec![Reason::UnlinkedButStillServed],
            change_reasons: served
                .into_iter()
                .map(|u| ChangeReason {
                    kind: ChangeKind::NowUnlinked,
                    place: u.to_string(),
                })
                .collect(),
        };
    }
    Carried {
        change: Change::Resolved,
        reasons: Vec::new(),
        change_reasons: Vec::new(),
    }
}

/// The reasons the run before gave a carried exposure, without those only
/// carrying gives (they are decided again).
pub fn scored_reasons(reasons: &mut Vec<Reason>) {
    reasons.retain(|r| !matches!(r, Reason::NotSeenThisRun | Reason::UnlinkedButStillServed));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(text: &str) -> Detail {
        Detail {
            kind: crate::model::DetailKind::PersonName,
            text: text.into(),
            location: crate::model::Where::Caption,
            page_url: "https://s/a".into(),
            role: None,
        }
    }

    #[test]
    fn change_reasons_say_what_changed() {
        let a = [detail("Amelia Jones")];
        let b = [detail("Amelia Jones"), detail("Tom Hill")];
        let seen = |places: &'static [(&'static str, &'static str)], risk, details| Seen {
            places: places.iter().copied(),
            risk,
            details,
        };
        let one: &[(&str, &str)] = &[("https://s/a", "https://s/x.jpg")];
        let reupload: &[(&str, &str)] = &[("https://s/a", "https://s/x-1.jpg")];
        let two_pages: &[(&str, &str)] = &[
            ("https://s/a", "https://s/x.jpg"),
            ("https://s/b", "https://s/x.jpg"),
        ];
        let two_copies: &[(&str, &str)] = &[
            ("https://s/a", "https://s/x.jpg"),
            ("https://s/a", "https://s/x-300.jpg"),
        ];
        let cases = [
            (
                seen(one, Risk::Low, &a[..]),
                seen(reupload, Risk::Low, &a[..]),
                vec![],
            ),
            (
                seen(one, Risk::Low, &a[..]),
                seen(two_pages, Risk::Low, &a[..]),
                vec![(ChangeKind::CopyAdded, "https://s/b")],
            ),
            (
                seen(two_pages, Risk::Low, &a[..]),
                seen(one, Risk::Low, &a[..]),
                vec![(ChangeKind::CopyGone, "https://s/b")],
            ),
            (
                seen(one, Risk::Low, &a[..]),
                seen(two_copies, Risk::Low, &a[..]),
                vec![(ChangeKind::CopyAdded, "https://s/x-300.jpg")],
            ),
            (
                seen(one, Risk::Medium, &a[..]),
                seen(one, Risk::High, &b[..]),
                vec![
                    (ChangeKind::DetailAdded, "Tom Hill"),
                    (ChangeKind::RiskUp, "medium to high"),
                ],
            ),
            (
                seen(one, Risk::High, &b[..]),
                seen(one, Risk::Low, &a[..]),
                vec![
                    (ChangeKind::DetailGone, "Tom Hill"),
                    (ChangeKind::RiskDown, "high to low"),
                ],
            ),
        ];
        for (before, now, want) in cases {
            let got = change_reasons(before, now);
            let got: Vec<(ChangeKind, &str)> =
                got.iter().map(|r| (r.kind, r.place.as_str())).collect();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn change_between_two_runs() {
        let one: &[(&str, &str)] = &[("https://s/a", "https://s/x.jpg")];
        let seen = |risk| Seen {
            places: one.iter().copied(),
            risk,
            details: &[],
        };
        let change = |now: Option<(Seen<'_, _>, bool)>, before| {
            change_between(now, before).map(|(c, why)| (c, why.len()))
        };
        assert_eq!(
            change(Some((seen(Risk::Low), false)), None),
            Some((Change::New, 0))
        );
        assert_eq!(
            change(Some((seen(Risk::Low), false)), Some(seen(Risk::Low))),
            Some((Change::Unchanged, 0))
        );
        assert_eq!(
            change(Some((seen(Risk::High), false)), Some(seen(Risk::Low))),
            Some((Change::Changed, 1))
        );
        assert_eq!(
            change(Some((seen(Risk::Low), true)), Some(seen(Risk::Low))),
            Some((Change::Resolved, 0))
        );
        assert_eq!(
            change(None, Some(seen(Risk::Low))),
            Some((Change::Resolved, 0))
        );
        assert_eq!(change(None, None), None);
    }

    #[test]
    fn carrying_keeps_the_unseen_changes_the_still_served_and_resolves_the_gone() {
        assert_eq!(carry(false, &["https://s/x.jpg"]).change, Change::Unchanged);
        assert_eq!(carry(false, &[]).reasons, [Reason::NotSeenThisRun]);
        let served = carry(
            true,
            &["https://s/y.jpg", "https://s/x.jpg", "https://s/y.jpg"],
        );
        assert_eq!(served.change, Change::Changed);
        assert_eq!(served.reasons, [Reason::UnlinkedButStillServed]);
        let places: Vec<(ChangeKind, &str)> = served
            .change_reasons
            .iter()
            .map(|r| (r.kind, r.place.as_str()))
            .collect();
        assert_eq!(
            places,
            [
                (ChangeKind::NowUnlinked, "https://s/x.jpg"),
                (ChangeKind::NowUnlinked, "https://s/y.jpg")
            ]
        );
        assert_eq!(carry(true, &[]).change, Change::Resolved);
        let mut reasons = vec![
            Reason::UnlinkedButStillServed,
            Reason::Faces,
            Reason::NotSeenThisRun,
        ];
        scored_reasons(&mut reasons);
        assert_eq!(reasons, [Reason::Faces]);
    }
}
