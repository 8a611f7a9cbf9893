//! The do-not-publish list of names (`exposure-audit protect-name`): names
//! of children whose pictures must never appear with their name, stored
//! only as salted SHA-256 hashes of the normalised name. A run hashes every
//! name it detects (and each run of one to three words inside it) with the
//! same salt and flags a match with reason `protected_name`.
//!
//! The salt is random per database, so the hashes cannot be compared with
//! another database's or looked up in a precomputed table; a name list is
//! small, so someone holding the database can still test guesses. The list
//! protects names from casual reading of the database, not from a
//! determined attacker who already holds it.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

use crate::store::{Store, StoreError};

/// Longest run of words inside a detected name that is tried.
const MAX_WORDS: usize = 3;

/// Lower case, letters only (hyphens and apostrophes join words), single
/// spaces. `None` when no letters are left.
pub fn normalise(name: &str) -> Option<String> {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_alphabetic() {
                c.to_lowercase().next().unwrap_or(c)
            } else if c == '-' || c == '\'' || c == '\u{2019}' {
                '-'
            } else {
                ' '
            }
        })
        .collect();
    let words: Vec<&str> = cleaned
        .split_whitespace()
        .map(|w| w.trim_matches('-'))
        .filter(|w| !w.is_empty())
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// The salted hash of a normalised name.
pub fn hash(salt: &str, normalised: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update([0u8]);
    h.update(normalised.as_bytes());
    hex::encode(h.finalize())
}

/// Adds a name; false if it was on the list already.
pub fn protect(store: &Store, name: &str, now: &str) -> Result<bool, ProtectError> {
    let n = normalise(name).ok_or(ProtectError::Empty)?;
    Ok(store.add_protected_name(&hash(&store.name_salt()?, &n), now)?)
}

/// Removes a name; false if it was not on the list.
pub fn unprotect(store: &Store, name: &str) -> Result<bool, ProtectError> {
    let n = normalise(name).ok_or(ProtectError::Empty)?;
    Ok(store.remove_protected_name(&hash(&store.name_salt()?, &n))?)
}

#[derive(Debug, thiserror::Error)]
pub enum ProtectError {
    #[error("a name needs at least one letter")]
    Empty,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Matches detected names against the list.
pub struct Matcher {
    salt: String,
    hashes: HashSet<String>,
}

impl Matcher {
    pub fn load(store: &Store) -> Result<Matcher, StoreError> {
        let hashes = store.protected_name_hashes()?;
        let salt = if hashes.is_empty() {
            String::new()
        } else {
            store.name_salt()?
        };
        Ok(Matcher { salt, hashes })
    }

    /// Whether the text, or a run of up to three of its words, is a
    /// protected name.
    pub fn matches(&self, text: &str) -> bool {
        if self.hashes.is_empty() {
            return false;
        }
        let Some(n) = normalise(text) else {
            return false;
        };
        let words: Vec<&str> = n.split(' ').collect();
        (1..=MAX_WORDS.min(words.len())).any(|len| {
            words
                .windows(len)
                .any(|w| self.hashes.contains(&hash(&self.salt, &w.join(" "))))
        }) || self.hashes.contains(&hash(&self.salt, &n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalise_to_one_form() {
        assert_eq!(
            normalise("  Amelia  JONES ").as_deref(),
            Some("amelia jones")
        );
        assert_eq!(normalise("Zoë O’Brien").as_deref(), Some("zoë o-brien"));
        assert_eq!(
            normalise("Mary-Jane Smith,").as_deref(),
            Some("mary-jane smith")
        );
        assert_eq!(normalise("123 !"), None);
    }

    #[test]
    fn detected_names_match_protected_ones_through_the_salted_hash() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        assert!(protect(&store, "Amelia Jones", "t").unwrap());
        assert!(
            !protect(&store, "amelia   jones", "t").unwrap(),
            "same name twice"
        );
        // Only hashes are stored.
        let hashes = store.protected_name_hashes().unwrap();
        assert_eq!(hashes.len(), 1);
        assert!(hashes
            .iter()
            .all(|h| h.len() == 64 && !h.contains("amelia")));
        let m = Matcher::load(&store).unwrap();
        assert!(m.matches("Amelia Jones"));
        assert!(m.matches("AMELIA JONES (Year 4)"));
        assert!(m.matches("Amelia Jones-"));
        assert!(!m.matches("Amelia"));
        assert!(!m.matches("Amelia Johnson"));
        assert!(unprotect(&store, "Amelia Jones").unwrap());
        assert!(!Matcher::load(&store).unwrap().matches("Amelia Jones"));
    }
}
