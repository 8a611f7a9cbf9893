-- A site's sightings share a handful of robots verdict maps (a verdict per
-- crawler agent), yet each sighting stored its own copy as JSON: about 350
-- bytes of every sighting row with the 14 bundled crawlers. The distinct
-- maps are now stored once and sightings point at theirs.
CREATE TABLE verdict_maps (
    id       INTEGER PRIMARY KEY,
    verdicts TEXT    NOT NULL UNIQUE      -- verdict per crawler agent, JSON
);
INSERT INTO verdict_maps (verdicts) SELECT DISTINCT robots FROM sightings;
ALTER TABLE sightings ADD COLUMN verdicts_id INTEGER REFERENCES verdict_maps(id);
UPDATE sightings SET verdicts_id = (SELECT id FROM verdict_maps WHERE verdicts = sightings.robots);
ALTER TABLE sightings DROP COLUMN robots;
