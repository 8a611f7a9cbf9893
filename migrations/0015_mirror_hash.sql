-- The perceptual hash of a picture's mirror image: a re-post flipped left
-- to right is the same photo (no 64-bit hash survives a flip). NULL for
-- pictures analysed before it was kept.
ALTER TABLE pictures ADD COLUMN phash_mirror TEXT;
