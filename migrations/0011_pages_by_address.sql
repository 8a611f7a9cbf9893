-- A page's sightings in a run: the report shows what a page this run could
-- not read showed when it was last read (issue 18, case 4).
CREATE INDEX sightings_page ON sightings(page_url, run_id);

-- A page is stored under its address after redirects; the address it was
-- asked for, when that differs, is kept so the next run finds its
-- validators and asks conditionally (issue 18, case 5).
ALTER TABLE pages ADD COLUMN requested_url TEXT;
CREATE INDEX pages_requested ON pages(requested_url, kind, id) WHERE requested_url IS NOT NULL;
