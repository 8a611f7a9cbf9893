-- The takedown register: pictures that must not be public. Every later run
-- flags any perceptual copy of them.
CREATE TABLE withdrawn (
    id       INTEGER PRIMARY KEY,
    added_at TEXT    NOT NULL,
    what     TEXT    NOT NULL,   -- the file name or picture address given
    reason   TEXT    NOT NULL,
    phash    TEXT    NOT NULL,
    sha256   TEXT
);
