-- Revocation and CRLs. A certificate is revoked with an RFC 5280 reason;
-- certificateHold alone can be released. Each CA location publishes one
-- current CRL, signed by the signer with that location's key; its number
-- only ever grows.

ALTER TABLE certificates ADD COLUMN revoked_at timestamptz;
ALTER TABLE certificates ADD COLUMN revocation_reason text
    CHECK (revocation_reason IN ('unspecified', 'keyCompromise', 'cACompromise',
                                 'affiliationChanged', 'superseded', 'cessationOfOperation',
                                 'certificateHold', 'privilegeWithdrawn', 'aACompromise'));
ALTER TABLE certificates ADD COLUMN invalidity_date timestamptz;
ALTER TABLE certificates ADD COLUMN revoked_by text;
-- The transaction that last changed the certificate's revocation state.
-- A CRL made from a snapshot in which that transaction is not visible is
-- out of date: this is how the scheduler finds work without revocations
-- ever writing to a row other than their own certificate's.
ALTER TABLE certificates ADD COLUMN crl_change_xid xid8;
-- ... and when: a new CRL waits until the oldest change it lacks is
-- EDGECA_CRL_DELAY_MS old, so that a burst of revocations makes one CRL.
ALTER TABLE certificates ADD COLUMN crl_change_at timestamptz;
ALTER TABLE certificates ADD CONSTRAINT certificates_crl_change_complete
    CHECK ((crl_change_xid IS NULL) = (crl_change_at IS NULL));
ALTER TABLE certificates ADD CONSTRAINT certificates_revocation_complete
    CHECK ((status = 'revoked') = (revoked_at IS NOT NULL AND revocation_reason IS NOT NULL));
ALTER TABLE certificates ADD CONSTRAINT certificates_invalidity_needs_revocation
    CHECK (invalidity_date IS NULL OR status = 'revoked');

-- CRL entries: the revoked certificates of one issuer location, with
-- everything an entry needs, so that a CRL is read from the index alone.
CREATE INDEX certificates_revoked ON certificates (ca_id, location, not_after)
    INCLUDE (serial, revoked_at, revocation_reason, invalidity_date)
    WHERE status = 'revoked';
CREATE INDEX certificates_crl_change ON certificates (ca_id, location, crl_change_xid)
    WHERE crl_change_xid IS NOT NULL;

-- A CA location's current CRL.
CREATE TABLE crls (
    ca_id uuid NOT NULL,
    location text NOT NULL,
    crl_number bigint NOT NULL CHECK (crl_number > 0),
    this_update timestamptz NOT NULL,
    next_update timestamptz NOT NULL,
    entries bigint NOT NULL CHECK (entries >= 0),
    -- the snapshot the entries were read in (see crl_change_xid)
    snapshot pg_snapshot NOT NULL,
    der bytea NOT NULL,
    sha256 bytea NOT NULL CHECK (octet_length(sha256) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ca_id, location),
    FOREIGN KEY (ca_id, location) REFERENCES ca_locations (ca_id, name),
    CHECK (next_update > this_update)
);

-- CRL bodies are random serials and signatures: compressing tens of
-- megabytes that do not compress only costs time.
ALTER TABLE crls ALTER COLUMN der SET STORAGE EXTERNAL;

-- The last CRL number handed out for a location: spent before the signer
-- signs, so a failure leaves a gap and never a number used twice.
ALTER TABLE ca_locations ADD COLUMN crl_last_number bigint NOT NULL DEFAULT 0
    CHECK (crl_last_number >= 0);

-- Every CRL ever published, without its body: numbers are never reused.
CREATE TABLE crl_history (
    ca_id uuid NOT NULL,
    location text NOT NULL,
    crl_number bigint NOT NULL CHECK (crl_number > 0),
    this_update timestamptz NOT NULL,
    next_update timestamptz NOT NULL,
    entries bigint NOT NULL,
    sha256 bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL,
    PRIMARY KEY (ca_id, location, crl_number),
    FOREIGN KEY (ca_id, location) REFERENCES ca_locations (ca_id, name)
);

-- A location's certificate, revoked by its parent, keeps the reason here.
ALTER TABLE ca_locations ADD COLUMN revoked_at timestamptz;
ALTER TABLE ca_locations ADD COLUMN revocation_reason text
    CHECK (revocation_reason IN ('unspecified', 'keyCompromise', 'cACompromise',
                                 'affiliationChanged', 'superseded', 'cessationOfOperation',
                                 'privilegeWithdrawn', 'aACompromise'));
ALTER TABLE ca_locations ADD CONSTRAINT ca_locations_revocation_complete
    CHECK ((status = 'revoked') = (revoked_at IS NOT NULL AND revocation_reason IS NOT NULL));
