-- Reports read a run's exposures a batch at a time (riskiest first), so
-- they look pictures up by exposure and addresses by picture. Both indexes
-- carry the column the report wants next, so no table row is read for it.
CREATE INDEX run_pictures_exposure ON run_pictures(exposure_id, run_id, sha256);
CREATE INDEX images_sha ON images(run_id, sha256, url);
