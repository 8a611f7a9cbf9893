-- A run's counts by what was fetched: `pages_fetched` counts HTML pages
-- from now on; documents (PDF, Word, ...) and other files (sitemaps, feeds,
-- stylesheets, API pages) apart. 0 in earlier runs, whose pages_fetched
-- counted all of them.
ALTER TABLE runs ADD COLUMN documents_fetched INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN other_fetched INTEGER NOT NULL DEFAULT 0;
