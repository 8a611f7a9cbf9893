-- Faces per picture. NULL for pictures analysed before face detection
-- existed: those are analysed again when next fetched.
ALTER TABLE pictures ADD COLUMN faces INTEGER;
ALTER TABLE pictures ADD COLUMN largest_face REAL;
