//! The domain's words, each in one place: change, change reason, risk
//! reason, detail kind, where a detail was found, site finding kind,
//! found_via, robots verdict, role, run status and risk. Each word has its
//! name in the report and the database (the same string), its plain-English
//! label for the HTML report, and its conversions: serde and SQLite. A
//! value read back that a vocabulary does not know is an error, never a
//! default (STYLE 11). Plain data, no I/O.

use std::fmt;

/// A name read from the report, the database or the config that its
/// vocabulary does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {vocabulary} {value:?}")]
pub struct Unknown {
    pub vocabulary: &'static str,
    pub value: String,
}

/// Declares a vocabulary: an enum whose every word has its name (serde,
/// SQL, the report) and its label (the HTML report), both written once.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $word:literal => $label:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every word, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The word as the report and the database write it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $word, )+
                }
            }

            /// The words a reader of the HTML report sees.
            pub fn label(self) -> &'static str {
                match self {
                    $( $name::$variant => $label, )+
                }
            }

            /// The word `as_str` names, or [`Unknown`].
            pub fn parse(s: &str) -> Result<$name, Unknown> {
                match s {
                    $( $word => Ok($name::$variant), )+
                    other => Err(Unknown { vocabulary: $what, value: other.to_string() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = Unknown;
            fn from_str(s: &str) -> Result<Self, Unknown> {
                $name::parse(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                $name::parse(&s).map_err(serde::de::Error::custom)
            }
        }

        impl rusqlite::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(rusqlite::types::ToSqlOutput::Borrowed(
                    rusqlite::types::ValueRef::Text(self.as_str().as_bytes()),
                ))
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
                $name::parse(v.as_str()?)
                    .map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
            }
        }
    };
}

vocabulary! {
    /// How an exposure compares with the run before: the report's `change`.
    Change ("change") {
        New = "new" => "new",
        Unchanged = "unchanged" => "unchanged",
        Changed = "changed" => "changed",
        Resolved = "resolved" => "resolved",
    }
}

vocabulary! {
    /// What changed about an exposure between two runs: the
    /// `change_reasons[].kind` of the report (CONTRACT.md).
    ChangeKind ("change reason") {
        /// A page (or, on the same pages, another address) now shows it.
        CopyAdded = "copy_added" => "now also shown at",
        /// A page that showed it no longer does.
        CopyGone = "copy_gone" => "no longer shown at",
        /// No page links it any more, but its address still answers.
        NowUnlinked = "now_unlinked" => "no page links it, but it is still served at",
        DetailAdded = "detail_added" => "new detail next to it:",
        DetailGone = "detail_gone" => "detail no longer next to it:",
        RiskUp = "risk_up" => "risk went up from",
        RiskDown = "risk_down" => "risk went down from",
    }
}

vocabulary! {
    /// Why an exposure scores what it does: the report's `reasons`, each
    /// weighted by `risk.weights` (docs/risk.md).
    Reason ("reason") {
        WithdrawnPictureStillPublic = "withdrawn_picture_still_public" => "withdrawn from publication, but still public",
        ProtectedName = "protected_name" => "a name on the do-not-publish list",
        GpsInMetadata = "gps_in_metadata" => "GPS position in the file",
        AlreadyPublicWithName = "already_public_with_name" => "already public with a name",
        Faces = "faces" => "faces",
        AdultPortrait = "adult_portrait" => "an adult's named portrait",
        IdentifiableFace = "identifiable_face" => "a face large enough to recognise",
        FullNameNearby = "full_name_nearby" => "a child's full name next to it",
        IdentifierNearby = "identifier_nearby" => "a pupil or NI number next to it",
        PersonNamedInMetadata = "person_named_in_metadata" => "people named inside the file",
        DateOfBirthNearby = "date_of_birth_nearby" => "a date of birth next to it",
        FirstNameNearby = "first_name_nearby" => "a first name next to it",
        ContactDetailsNearby = "contact_details_nearby" => "contact details next to it",
        YearGroupNearby = "year_group_nearby" => "a year group or class next to it",
        AgeNearby = "age_nearby" => "an age next to it",
        LocationNamedNearby = "location_named_nearby" => "a named place next to it",
        AiCrawlersAllowed = "ai_crawlers_allowed" => "AI crawlers may take it",
        MultipleCopies = "multiple_copies" => "published more than once",
        PupilNamedNearby = "pupil_named_nearby" => "a pupil named next to it",
        StaffNamedNearby = "staff_named_nearby" => "staff named next to it",
        AuthorInMetadata = "author_in_metadata" => "photographer named in the file",
        HighResolution = "high_resolution" => "published at high resolution",
        SeveralFaces = "several_faces" => "a group of three or more people",
        UnlinkedOnly = "unlinked_only" => "reachable only through an open folder listing or the media API, which the school may not know are public",
        /// Not scored: its pages could not be read this run.
        NotSeenThisRun = "not_seen_this_run" => "not seen this run (page not fetched)",
        /// Not scored: no page links it, but its address still answers.
        UnlinkedButStillServed = "unlinked_but_still_served" => "no page links it, but it is still served",
    }
}

vocabulary! {
    /// A personal detail's kind: the report's `details[].kind`.
    DetailKind ("detail kind") {
        PersonName = "person_name" => "name",
        Email = "email" => "email address",
        Phone = "phone" => "phone number",
        PostalAddress = "postal_address" => "postal address",
        DateOfBirth = "date_of_birth" => "date of birth",
        Age = "age" => "age",
        YearGroup = "year_group" => "year group or class",
        GpsLocation = "gps_location" => "GPS position",
        MetadataPerson = "metadata_person" => "person named in the file",
        LocationName = "location_name" => "named place",
        PupilNumber = "pupil_number" => "pupil number",
        NiNumber = "ni_number" => "National Insurance number",
    }
}

impl DetailKind {
    /// A detail that names a person.
    pub fn names_a_person(self) -> bool {
        matches!(self, DetailKind::PersonName | DetailKind::MetadataPerson)
    }
}

vocabulary! {
    /// Where a detail was found: the report's `details[].where`.
    Where ("detail place") {
        Alt = "alt" => "alt text",
        Caption = "caption" => "caption",
        Title = "title" => "title",
        Filename = "filename" => "file name",
        NearbyText = "nearby_text" => "text near it",
        PageTitle = "page_title" => "page title",
        PostText = "post_text" => "post text",
        Metadata = "metadata" => "the file's metadata",
        DocumentText = "document_text" => "document text",
    }
}

vocabulary! {
    /// Who a named person is, when the text says: `details[].role`.
    Role ("role") {
        Staff = "staff" => "staff",
        Pupil = "pupil" => "pupil",
    }
}

vocabulary! {
    /// A whole-site finding's kind: the report's `site_findings[].kind`.
    FindingKind ("site finding kind") {
        DirectoryListing = "directory_listing" => "an open directory listing",
        MediaApiExposed = "media_api_exposed" => "the WordPress media library is public",
        RobotsAllowsAiCrawlers = "robots_allows_ai_crawlers" => "robots.txt lets AI crawlers take pictures",
        SitemapListsImages = "sitemap_lists_images" => "the sitemap lists pictures",
        FeedListsImages = "feed_lists_images" => "a feed lists pictures",
        RobotsListsSitemap = "robots_lists_sitemap" => "robots.txt names a sitemap",
        PageWidePersonalDetail = "page_wide_personal_detail" => "a personal detail on every page",
        /// Not a problem: what the site runs on (Server header, WordPress),
        /// which the fixes are written for.
        SiteSoftware = "site_software" => "what the site runs on",
    }
}

vocabulary! {
    /// How a picture was found: the report's `found_via`.
    FoundVia ("found_via") {
        Img = "img" => "<img>",
        Srcset = "srcset" => "srcset",
        Picture = "picture" => "<picture>",
        Css = "css" => "CSS background",
        Lazy = "lazy" => "lazy-loading attribute",
        OgImage = "og_image" => "social preview (og:image)",
        Link = "link" => "link",
        Sitemap = "sitemap" => "sitemap",
        MediaApi = "media_api" => "WordPress media API",
        DirectoryListing = "directory_listing" => "open directory listing",
        Feed = "feed" => "feed",
        Api = "api" => "platform API",
        Document = "document" => "inside a document",
    }
}

vocabulary! {
    /// What robots rules let one crawler do with a picture.
    Verdict ("robots verdict") {
        Allowed = "allowed" => "allowed",
        Disallowed = "disallowed" => "disallowed",
    }
}

vocabulary! {
    /// What to do to lower an exposure's risk: the report's `actions[].kind`.
    ActionKind ("action") {
        /// Delete a copy the school must not publish (withdrawn, or no page
        /// links it but it is still served).
        DeleteCopy = "delete_copy" => "delete the copy",
        /// Remove the location or people tags from the file.
        StripMetadata = "strip_metadata" => "strip the file's metadata",
        /// Remove or shorten a name or detail in the alt text, caption,
        /// title or text of a page.
        EditText = "edit_text" => "edit the text",
        /// Upload the picture again under a name that is not a person's.
        RenameFile = "rename_file" => "rename the file",
        /// Turn off the open directory listing that shows the copy.
        CloseListing = "close_listing" => "close the directory listing",
        /// Delete the post, or ask the platform to remove it.
        RemovePost = "remove_post" => "remove the post",
        /// Publish a smaller copy instead of the large original.
        ReplaceSmaller = "replace_smaller" => "replace with a smaller copy",
    }
}

vocabulary! {
    /// How a run ended: the report's `run.status`.
    RunStatus ("run status") {
        Running = "running" => "running",
        Complete = "complete" => "complete",
        Partial = "partial" => "partial: something in the school's own scope could not be read",
        Failed = "failed" => "failed",
        /// Stopped before it closed (a crash, a kill); nothing of it is reported.
        Interrupted = "interrupted" => "interrupted",
    }
}

vocabulary! {
    /// Risk bands of the report, lowest first.
    Risk ("risk") {
        Low = "low" => "low",
        Medium = "medium" => "medium",
        High = "high" => "high",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_reads_back_as_itself_and_an_unknown_one_is_an_error() {
        fn check<T>(all: &[T], as_str: fn(T) -> &'static str, parse: fn(&str) -> Result<T, Unknown>)
        where
            T: Copy + PartialEq + std::fmt::Debug,
        {
            for &w in all {
                assert_eq!(parse(as_str(w)), Ok(w));
            }
            assert!(parse("no_such_word").is_err());
        }
        check(Change::ALL, Change::as_str, Change::parse);
        check(ChangeKind::ALL, ChangeKind::as_str, ChangeKind::parse);
        check(Reason::ALL, Reason::as_str, Reason::parse);
        check(DetailKind::ALL, DetailKind::as_str, DetailKind::parse);
        check(Where::ALL, Where::as_str, Where::parse);
        check(Role::ALL, Role::as_str, Role::parse);
        check(FindingKind::ALL, FindingKind::as_str, FindingKind::parse);
        check(FoundVia::ALL, FoundVia::as_str, FoundVia::parse);
        check(Verdict::ALL, Verdict::as_str, Verdict::parse);
        check(RunStatus::ALL, RunStatus::as_str, RunStatus::parse);
        check(Risk::ALL, Risk::as_str, Risk::parse);
        check(ActionKind::ALL, ActionKind::as_str, ActionKind::parse);
    }

    #[test]
    fn serde_and_sqlite_use_the_word_and_refuse_unknown_ones() {
        assert_eq!(
            serde_json::to_string(&Reason::FullNameNearby).unwrap(),
            "\"full_name_nearby\""
        );
        assert!(serde_json::from_str::<Risk>("\"severe\"").is_err());
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let back: Change = conn
            .query_row("SELECT ?1", [Change::Resolved], |r| r.get(0))
            .unwrap();
        assert_eq!(back, Change::Resolved);
        let bad: rusqlite::Result<Risk> = conn.query_row("SELECT 'severe'", [], |r| r.get(0));
        let err = bad.unwrap_err().to_string();
        assert!(err.contains("unknown risk \"severe\""), "{err}");
    }

    #[test]
    fn every_reason_and_finding_has_words_of_its_own() {
        // A label is words for a reader, never the raw name.
        for r in Reason::ALL {
            assert!(!r.label().contains('_'), "{r} reads raw in the report");
        }
        for f in FindingKind::ALL {
            assert!(!f.label().contains('_'), "{f} reads raw in the report");
        }
    }
}
