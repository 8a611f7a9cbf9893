-- The largest side a picture of people should be published at, as the run
-- was scored with it (`risk.max_published_side`): the report's
-- "replace with a smaller copy" action names it. NULL in earlier runs: the
-- default then.
ALTER TABLE runs ADD COLUMN max_published_side INTEGER;
