-- Retention: runs whose sightings, pages, findings and details were purged.
-- Their run_exposures rows stay (risk and change, for the trend), without
-- details; exposures keep their hashes and first and last seen, for lookup.
ALTER TABLE runs ADD COLUMN purged_at TEXT;

-- Values the database keeps about itself (the salt of protected names).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The do-not-publish list: salted SHA-256 hashes of normalised names, never
-- the names themselves.
CREATE TABLE protected_names (
    id       INTEGER PRIMARY KEY,
    hash     TEXT    NOT NULL UNIQUE,
    added_at TEXT    NOT NULL
);
