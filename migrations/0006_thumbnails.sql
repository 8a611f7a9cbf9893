-- A small, blurred, grey JPEG of each picture (96 pixels on the long side),
-- embedded in the HTML report only when thumbnails are switched on.
ALTER TABLE pictures ADD COLUMN thumbnail BLOB;
