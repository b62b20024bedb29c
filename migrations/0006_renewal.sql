-- Renewal of subordinate CAs: a location gets a new signer key and
-- certificate; the generation it replaces is kept here, since the
-- certificates it issued still chain to it until they expire.

CREATE TABLE ca_location_history (
    ca_id uuid NOT NULL,
    location text NOT NULL,
    -- 1 for the location's first certificate, counting up with each renewal
    generation integer NOT NULL CHECK (generation > 0),
    signer_key_id text NOT NULL UNIQUE,
    certificate_der bytea NOT NULL,
    serial text NOT NULL CHECK (serial ~ '^[0-9a-f]{1,64}$'),
    not_before timestamptz NOT NULL,
    not_after timestamptz NOT NULL,
    replaced_at timestamptz NOT NULL DEFAULT now(),
    replaced_by text NOT NULL,
    PRIMARY KEY (ca_id, location, generation),
    FOREIGN KEY (ca_id, location) REFERENCES ca_locations (ca_id, name),
    CHECK (not_after > not_before)
);
