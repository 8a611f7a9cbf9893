-- exposure-audit schema, version 1. Append-only once released: change the
-- schema with a new numbered file, never by editing this one.

-- One row per audit run; everything a run saw hangs off it.
CREATE TABLE runs (
    id             INTEGER PRIMARY KEY,
    started_at     TEXT    NOT NULL,
    finished_at    TEXT,
    status         TEXT    NOT NULL
                   CHECK (status IN ('running', 'complete', 'partial', 'failed', 'interrupted')),
    pages_fetched  INTEGER NOT NULL DEFAULT 0,
    images_fetched INTEGER NOT NULL DEFAULT 0,
    fetch_errors   INTEGER NOT NULL DEFAULT 0,
    bytes_fetched  INTEGER NOT NULL DEFAULT 0,
    error          TEXT
);

-- Every document fetched (HTML page, robots.txt, sitemap, feed, media API,
-- directory listing, stylesheet), with its outcome. A failure is a row too.
CREATE TABLE pages (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    source        TEXT    NOT NULL,
    url           TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    status        INTEGER,            -- HTTP status; NULL when no response came
    error         TEXT,               -- why it failed or was skipped
    etag          TEXT,
    last_modified TEXT,
    content_hash  TEXT,               -- sha256 of the body
    bytes         INTEGER NOT NULL DEFAULT 0,
    robots        TEXT,               -- X-Robots-Tag and <meta name=robots>, lower-cased
    extract       TEXT,               -- what was extracted (JSON), reused on 304
    fetched_at    TEXT    NOT NULL
);
CREATE INDEX pages_run ON pages(run_id);
CREATE INDEX pages_url ON pages(url, kind, id);

-- Analysis of picture bytes, content-addressed: identical bytes are analysed once.
CREATE TABLE pictures (
    sha256      TEXT    PRIMARY KEY,
    phash       TEXT    NOT NULL,     -- 16 hex digits, Median + DCT 8x8
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    format      TEXT    NOT NULL,
    bytes       INTEGER NOT NULL,
    metadata    TEXT    NOT NULL,     -- PictureMetadata as JSON
    analysed_at TEXT    NOT NULL
);

-- Every picture URL fetched in a run, with its outcome.
CREATE TABLE images (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    url           TEXT    NOT NULL,
    status        INTEGER,
    error         TEXT,
    etag          TEXT,
    last_modified TEXT,
    sha256        TEXT    REFERENCES pictures(sha256),
    bytes         INTEGER NOT NULL DEFAULT 0,
    x_robots_tag  TEXT,
    fetched_at    TEXT    NOT NULL
);
CREATE INDEX images_run ON images(run_id, url);
CREATE INDEX images_url ON images(url, id);

-- Every place a picture was seen in a run.
CREATE TABLE sightings (
    id         INTEGER PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    source     TEXT    NOT NULL,
    page_url   TEXT    NOT NULL,
    image_url  TEXT    NOT NULL,
    found_via  TEXT    NOT NULL,
    context    TEXT    NOT NULL,      -- Context as JSON
    robots     TEXT    NOT NULL       -- verdict per crawler agent, JSON
);
CREATE INDEX sightings_run ON sightings(run_id, image_url);

-- One picture, across all its copies and all runs. The id never changes.
CREATE TABLE exposures (
    id           TEXT    PRIMARY KEY,
    phash        TEXT    NOT NULL,
    first_run_id INTEGER NOT NULL REFERENCES runs(id),
    first_seen_at TEXT   NOT NULL
);

-- Which exposure each picture belonged to in a run.
CREATE TABLE run_pictures (
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    sha256      TEXT    NOT NULL REFERENCES pictures(sha256),
    exposure_id TEXT    NOT NULL REFERENCES exposures(id),
    PRIMARY KEY (run_id, sha256)
);

-- Each exposure's assessment in a run.
CREATE TABLE run_exposures (
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    exposure_id TEXT    NOT NULL REFERENCES exposures(id),
    risk        TEXT    NOT NULL CHECK (risk IN ('low', 'medium', 'high')),
    score       INTEGER NOT NULL,
    reasons     TEXT    NOT NULL,     -- JSON array
    details     TEXT    NOT NULL,     -- JSON array of Detail
    change      TEXT    NOT NULL CHECK (change IN ('new', 'unchanged', 'changed', 'resolved')),
    PRIMARY KEY (run_id, exposure_id)
);

CREATE TABLE site_findings (
    id     INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    kind   TEXT    NOT NULL,
    url    TEXT    NOT NULL,
    detail TEXT    NOT NULL
);
CREATE INDEX site_findings_run ON site_findings(run_id);
