-- Certificate search across CAs (GET /api/v1/certificates): one index per
-- sort key, each with id last so that keyset pages on (key, id) walk it in
-- order, and a GIN index on the SANs for the san filter. Names and serials
-- are indexed as the search sorts them: common names by their bytes
-- (COLLATE "C", which also makes a common-name prefix an index range),
-- serials by number (hex padded to 64 digits). The SANs were stored as a
-- text array from the start ("DNS:x", "IP:y"), so nothing needs a backfill.

CREATE INDEX certificates_search_issued ON certificates (created_at, id);
CREATE INDEX certificates_search_ca_issued ON certificates (ca_id, created_at, id);
CREATE INDEX certificates_search_expires ON certificates (not_after, id);
CREATE INDEX certificates_search_cn
    ON certificates ((coalesce(common_name, '') COLLATE "C"), id);
CREATE INDEX certificates_search_serial
    ON certificates ((lpad(serial, 64, '0') COLLATE "C"), id);
CREATE INDEX certificates_search_sans ON certificates USING gin (subject_alt_names);
