-- The 256-bit detail hash of a picture (analysis::hash::detail_hash), as 64
-- hex digits: it checks a pHash match, so that staff portraits on one
-- backdrop are not one exposure (docs/hashing.md). NULL for pictures
-- analysed before it was kept; their matches are not checked.
ALTER TABLE pictures ADD COLUMN phash_detail TEXT;
