-- edgeca schema, version 1: CAs and their locations, issued certificates,
-- API tokens and the audit trail. The constraints here are the last line of
-- defence: the database refuses what the code must never do.

CREATE TABLE cas (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigserial NOT NULL UNIQUE,
    kind text NOT NULL CHECK (kind IN ('root', 'subordinate')),
    status text NOT NULL CHECK (status IN ('active', 'pending_chaining', 'disabled', 'revoked')),
    common_name text NOT NULL CHECK (char_length(common_name) BETWEEN 1 AND 64),
    friendly_name text NOT NULL CHECK (char_length(friendly_name) BETWEEN 1 AND 200),
    organization text CHECK (char_length(organization) BETWEEN 1 AND 64),
    organizational_unit text CHECK (char_length(organizational_unit) BETWEEN 1 AND 64),
    country text CHECK (country ~ '^[A-Z]{2}$'),
    subject text NOT NULL,
    key_algorithm text NOT NULL
        CHECK (key_algorithm IN ('EC-P256', 'EC-P384', 'RSA-2048', 'RSA-3072', 'RSA-4096')),
    lifecycle_notification_emails text[] NOT NULL DEFAULT '{}',
    lifecycle_action text NOT NULL CHECK (lifecycle_action IN ('notify', 'auto_renew')),
    lifecycle_threshold_percent integer NOT NULL
        CHECK (lifecycle_threshold_percent BETWEEN 1 AND 99),
    crl_enabled boolean NOT NULL,
    crl_validity_days integer NOT NULL CHECK (crl_validity_days BETWEEN 1 AND 365),
    crl_overlap_hours integer NOT NULL CHECK (crl_overlap_hours >= 0),
    crl_distribution_point text,
    issuance_template text NOT NULL,
    issuance_allowed_templates text[] NOT NULL,
    issuance_max_validity_days integer NOT NULL
        CHECK (issuance_max_validity_days BETWEEN 1 AND 36500),
    path_length integer CHECK (path_length BETWEEN 0 AND 16),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL,
    CHECK (issuance_template = ANY (issuance_allowed_templates)),
    CHECK (crl_overlap_hours < crl_validity_days * 24),
    CHECK (kind <> 'root' OR lifecycle_action = 'notify')
);

-- Each CA has one or more locations; each location has its own signer key
-- and its own CA certificate with the CA's subject.
CREATE TABLE ca_locations (
    ca_id uuid NOT NULL REFERENCES cas (id),
    name text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    position integer NOT NULL CHECK (position >= 0),
    status text NOT NULL CHECK (status IN ('active', 'pending_chaining', 'revoked')),
    signer_key_id text NOT NULL UNIQUE,
    certificate_der bytea,
    serial text CHECK (serial ~ '^[0-9a-f]{1,64}$'),
    not_before timestamptz,
    not_after timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ca_id, name),
    UNIQUE (ca_id, position),
    CHECK (status <> 'active'
           OR (certificate_der IS NOT NULL AND serial IS NOT NULL
               AND not_before IS NOT NULL AND not_after > not_before))
);

CREATE TABLE certificates (
    id bigserial PRIMARY KEY,
    ca_id uuid NOT NULL,
    location text NOT NULL,
    serial text NOT NULL CHECK (serial ~ '^[0-9a-f]{1,64}$'),
    subject text NOT NULL,
    common_name text,
    subject_alt_names text[] NOT NULL DEFAULT '{}',
    key_algorithm text NOT NULL,
    template text NOT NULL,
    status text NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'revoked')),
    not_before timestamptz NOT NULL,
    not_after timestamptz NOT NULL,
    requester text NOT NULL,
    certificate_der bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (ca_id, location) REFERENCES ca_locations (ca_id, name),
    -- serial numbers are never reused by an issuer
    UNIQUE (ca_id, serial),
    CHECK (not_after > not_before)
);
CREATE INDEX certificates_by_ca ON certificates (ca_id, id);
CREATE INDEX certificates_by_cn ON certificates (ca_id, common_name, id);
CREATE INDEX certificates_by_expiry ON certificates (ca_id, not_after);

-- Tokens are stored as SHA-256 digests of 256-bit random secrets.
CREATE TABLE api_tokens (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigserial NOT NULL UNIQUE,
    name text NOT NULL UNIQUE CHECK (char_length(name) BETWEEN 1 AND 100),
    role text NOT NULL CHECK (role IN ('pki_admin', 'requester', 'auditor')),
    token_hash bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    expires_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL
);

CREATE TABLE audit_events (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL,
    action text NOT NULL,
    object_type text NOT NULL,
    object_id text NOT NULL,
    details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_by_object ON audit_events (object_type, object_id);

-- The audit trail is append-only.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
