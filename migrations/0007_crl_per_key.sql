-- A CRL per signer key: each key a location has had (its generation: 1
-- for the first, counting up with each renewal) publishes the CRL of the
-- certificates it issued, as long as they can be on one, at a URL of its
-- own that those certificates name.

ALTER TABLE ca_locations ADD COLUMN generation integer NOT NULL DEFAULT 1
    CHECK (generation > 0);
UPDATE ca_locations l SET generation = 1 + (SELECT count(*) FROM ca_location_history h
                                            WHERE h.ca_id = l.ca_id AND h.location = l.name);

-- The key that signed each certificate: the location's key when it was
-- stored (the first replaced after it, else the current one).
ALTER TABLE certificates ADD COLUMN issuer_key_id text;
UPDATE certificates x SET issuer_key_id = COALESCE(
    (SELECT h.signer_key_id FROM ca_location_history h
      WHERE h.ca_id = x.ca_id AND h.location = x.location AND h.replaced_at > x.created_at
      ORDER BY h.generation LIMIT 1),
    (SELECT l.signer_key_id FROM ca_locations l WHERE l.ca_id = x.ca_id AND l.name = x.location));
ALTER TABLE certificates ALTER COLUMN issuer_key_id SET NOT NULL;
-- A key's CRL entries, still read from the index alone.
DROP INDEX certificates_revoked;
CREATE INDEX certificates_revoked ON certificates (ca_id, location, issuer_key_id, not_after)
    INCLUDE (serial, revoked_at, revocation_reason, invalidity_date)
    WHERE status = 'revoked';

ALTER TABLE crls ADD COLUMN generation integer;
UPDATE crls r SET generation = l.generation FROM ca_locations l
 WHERE l.ca_id = r.ca_id AND l.name = r.location;
ALTER TABLE crls ALTER COLUMN generation SET NOT NULL;
ALTER TABLE crls DROP CONSTRAINT crls_pkey;
ALTER TABLE crls ADD PRIMARY KEY (ca_id, location, generation);

-- CRL numbers stay one sequence per location, whichever key signs.
ALTER TABLE crl_history ADD COLUMN generation integer;
UPDATE crl_history r SET generation = l.generation FROM ca_locations l
 WHERE l.ca_id = r.ca_id AND l.name = r.location;
ALTER TABLE crl_history ALTER COLUMN generation SET NOT NULL;
