-- A picture inside a PDF or Office document: the page or slide it is on
-- (1-based). The sighting's page_url is then the document's address.
ALTER TABLE sightings ADD COLUMN document_page INTEGER;
