-- OCSP (RFC 6960): each CA answers for the certificates its keys issued,
-- on or off per CA, with responses valid for validity_seconds, signed by
-- the issuing key or, with delegated_responder, by a responder key and
-- certificate of that key (id-kp-OCSPSigning, id-pkix-ocsp-nocheck) that
-- lives responder_validity_days and is renewed before its end.
ALTER TABLE cas ADD COLUMN ocsp_enabled boolean NOT NULL DEFAULT true;
ALTER TABLE cas ADD COLUMN ocsp_validity_seconds integer NOT NULL DEFAULT 3600
    CHECK (ocsp_validity_seconds BETWEEN 300 AND 604800);
ALTER TABLE cas ADD COLUMN ocsp_delegated_responder boolean NOT NULL DEFAULT false;
ALTER TABLE cas ADD COLUMN ocsp_responder_validity_days integer NOT NULL DEFAULT 7
    CHECK (ocsp_responder_validity_days BETWEEN 1 AND 30);

-- The responder of each CA key (a location's key, any generation) that
-- answers through a delegated responder: its signer key and certificate.
-- A renewal replaces the row; the key it replaces signs nothing more.
CREATE TABLE ocsp_responders (
    issuer_key_id text PRIMARY KEY,
    ca_id uuid NOT NULL REFERENCES cas (id),
    signer_key_id text NOT NULL UNIQUE,
    certificate_der bytea NOT NULL,
    not_before timestamptz NOT NULL,
    not_after timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (not_after > not_before)
);
