-- The last CRL number each CA location reserved belongs to the CRL code,
-- which alone writes it: a table of its own instead of a column of
-- ca_locations, which only the CA code writes. Numbers only grow: a
-- reservation takes the larger of this and the highest number in
-- crl_history, plus one. A location that never made a CRL has no row.

CREATE TABLE crl_numbers (
    ca_id uuid NOT NULL,
    location text NOT NULL,
    last_number bigint NOT NULL CHECK (last_number > 0),
    PRIMARY KEY (ca_id, location),
    FOREIGN KEY (ca_id, location) REFERENCES ca_locations (ca_id, name)
);

INSERT INTO crl_numbers (ca_id, location, last_number)
    SELECT ca_id, name, crl_last_number FROM ca_locations WHERE crl_last_number > 0;

ALTER TABLE ca_locations DROP COLUMN crl_last_number;
