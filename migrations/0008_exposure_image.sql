-- What a report shows of each exposure's picture in a run (the largest
-- copy's hash and size, the most faces, the largest face, the metadata of
-- every copy merged), as JSON, written when the run is scored. A report then
-- reads one row per exposure instead of every copy's analysis. NULL in runs
-- scored before this column existed (the report works it out from the
-- copies) and in purged runs (it holds personal metadata).
ALTER TABLE run_exposures ADD COLUMN image TEXT;
