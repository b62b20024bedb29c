-- EST (RFC 7030): per CA, whether devices may enroll over EST, under which
-- template and validity, how the CSR's subject must relate to the client
-- certificate, optional HTTP Basic credentials (scrypt hash, never the
-- password) and the bootstrap trust anchors (e.g. a factory CA) whose
-- certificates may authenticate a first enrollment.

ALTER TABLE cas ADD COLUMN est_enabled boolean NOT NULL DEFAULT false;
-- RFC 7030 label: /.well-known/est/<label>/...
ALTER TABLE cas ADD COLUMN est_label text UNIQUE
    CHECK (est_label ~ '^[a-z0-9][a-z0-9._-]{0,31}$'
           AND est_label NOT IN ('cacerts', 'simpleenroll', 'simplereenroll', 'csrattrs',
                                 'serverkeygen', 'fullcmc'));
-- the CA served at /.well-known/est/... without a label
ALTER TABLE cas ADD COLUMN est_default boolean NOT NULL DEFAULT false;
ALTER TABLE cas ADD COLUMN est_template text NOT NULL DEFAULT 'client';
-- NULL: the CA's issuance_max_validity_days
ALTER TABLE cas ADD COLUMN est_validity_days integer
    CHECK (est_validity_days BETWEEN 1 AND 36500);
ALTER TABLE cas ADD COLUMN est_subject_policy text NOT NULL DEFAULT 'match_client_cert'
    CHECK (est_subject_policy IN ('match_client_cert', 'any'));
-- NULL: any key type the CA accepts; otherwise CSRs must have this one
ALTER TABLE cas ADD COLUMN est_key_algorithm text
    CHECK (est_key_algorithm IN ('EC-P256', 'EC-P384', 'RSA-2048', 'RSA-3072', 'RSA-4096'));
ALTER TABLE cas ADD COLUMN est_basic_username text
    CHECK (est_basic_username ~ '^[^:[:cntrl:]]{1,64}$');
ALTER TABLE cas ADD COLUMN est_basic_password_hash text
    CHECK (est_basic_password_hash LIKE '$scrypt$%');
ALTER TABLE cas ADD CONSTRAINT cas_est_basic_pair
    CHECK ((est_basic_username IS NULL) = (est_basic_password_hash IS NULL));
-- EST issues only what the CA's policy allows
ALTER TABLE cas ADD CONSTRAINT cas_est_template_allowed
    CHECK (NOT est_enabled OR est_template = ANY (issuance_allowed_templates));
ALTER TABLE cas ADD CONSTRAINT cas_est_default_enabled CHECK (NOT est_default OR est_enabled);
CREATE UNIQUE INDEX cas_one_est_default ON cas (est_default) WHERE est_default;

-- CAs made before EST existed serve it when their policy allows client
-- certificates, as new ones do by default.
UPDATE cas SET est_enabled = true WHERE 'client' = ANY (issuance_allowed_templates);

CREATE TABLE ca_est_anchors (
    ca_id uuid NOT NULL REFERENCES cas (id),
    sha256 bytea NOT NULL CHECK (octet_length(sha256) = 32),
    position integer NOT NULL CHECK (position >= 0),
    subject text NOT NULL,
    not_after timestamptz NOT NULL,
    certificate_der bytea NOT NULL,
    PRIMARY KEY (ca_id, sha256),
    UNIQUE (ca_id, position)
);
