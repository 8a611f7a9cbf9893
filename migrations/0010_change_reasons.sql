-- Why an exposure is `changed` in a run (the report's `change_reasons`:
-- copy_added, copy_gone, now_unlinked, detail_added, detail_gone, risk_up,
-- risk_down, each with the address or detail concerned), as JSON, written
-- when the run is scored. NULL in runs scored before this column existed:
-- the report then gives none.
ALTER TABLE run_exposures ADD COLUMN change_reasons TEXT;
