-- Delta CRLs (RFC 5280 5.2.4) as a CA setting: each key that publishes a
-- CRL also publishes a delta CRL on a short cycle, listing what changed
-- since its current (base) CRL. Base CRLs and new certificates then name
-- the delta's URL in a Freshest CRL extension.

ALTER TABLE cas ADD COLUMN crl_delta_enabled boolean NOT NULL DEFAULT false;
ALTER TABLE cas ADD COLUMN crl_delta_interval_minutes integer NOT NULL DEFAULT 60
    CHECK (crl_delta_interval_minutes BETWEEN 5 AND 1440);
ALTER TABLE cas ADD CONSTRAINT cas_crl_delta_needs_crl
    CHECK (NOT crl_delta_enabled OR crl_enabled);

-- A key's current delta CRL: base_number is the crl_number of the CRL in
-- crls it was made against; snapshot, as for crls, the one its entries
-- were read in. Delta and base CRLs share the location's numbers.
CREATE TABLE delta_crls (
    ca_id uuid NOT NULL,
    location text NOT NULL,
    generation integer NOT NULL,
    crl_number bigint NOT NULL CHECK (crl_number > 0),
    base_number bigint NOT NULL CHECK (base_number > 0 AND base_number < crl_number),
    this_update timestamptz NOT NULL,
    next_update timestamptz NOT NULL,
    entries bigint NOT NULL CHECK (entries >= 0),
    snapshot pg_snapshot NOT NULL,
    der bytea NOT NULL,
    sha256 bytea NOT NULL CHECK (octet_length(sha256) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ca_id, location, generation),
    FOREIGN KEY (ca_id, location) REFERENCES ca_locations (ca_id, name),
    CHECK (next_update > this_update)
);

-- Whether a complete CRL names the key's delta CRL (Freshest CRL): one
-- that does not match the CA's setting is due at once, so that turning
-- deltas on (or off) reaches relying parties without waiting for the
-- CRL's next cycle.
ALTER TABLE crls ADD COLUMN freshest boolean NOT NULL DEFAULT false;

-- Every delta CRL published is in crl_history too (numbers are never
-- reused), with the base it refers to; complete CRLs have none.
ALTER TABLE crl_history ADD COLUMN delta_base bigint CHECK (delta_base > 0);

-- A delta CRL reads the certificates of one key whose revocation state
-- changed after its base CRL's snapshot: an index on the key and the
-- change's transaction finds those few among a million revoked ones
-- without touching the rest. It replaces the index on (ca_id, location,
-- crl_change_xid), whose queries (when a CRL is due) name the key too.
DROP INDEX certificates_crl_change;
CREATE INDEX certificates_crl_change ON certificates (ca_id, location, issuer_key_id,
                                                      crl_change_xid)
    WHERE crl_change_xid IS NOT NULL;
