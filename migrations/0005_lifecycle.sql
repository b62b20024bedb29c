-- CA lifecycle notifications: a webhook per CA (its HMAC secret stored
-- encrypted under the server's key file, AES-256-GCM: 12-byte nonce,
-- ciphertext, 16-byte tag), the notifications due for each CA location and
-- one delivery job per channel. The UNIQUE key of notifications is what
-- makes several server instances create each notification exactly once.

ALTER TABLE cas ADD COLUMN lifecycle_webhook_url text
    CHECK (lifecycle_webhook_url ~ '^https?://[^[:space:],"\\]+$'
           AND char_length(lifecycle_webhook_url) <= 1024);
ALTER TABLE cas ADD COLUMN lifecycle_webhook_secret bytea
    CHECK (octet_length(lifecycle_webhook_secret) > 28);
ALTER TABLE cas ADD CONSTRAINT cas_webhook_has_secret
    CHECK ((lifecycle_webhook_url IS NULL) = (lifecycle_webhook_secret IS NULL));

CREATE TABLE notifications (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigserial NOT NULL UNIQUE,
    ca_id uuid NOT NULL,
    location text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('threshold_reached', 'reminder_90', 'reminder_95',
                                       'reminder_99', 'expired', 'renewed',
                                       'renewal_failed', 'crl_generation_failed')),
    -- the location's notAfter this notification is about: a renewed
    -- certificate has its own notifications
    not_after timestamptz NOT NULL,
    due_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (ca_id, location) REFERENCES ca_locations (ca_id, name),
    UNIQUE (ca_id, location, kind, not_after)
);
CREATE INDEX notifications_by_ca ON notifications (ca_id, seq);

CREATE TABLE notification_deliveries (
    id bigserial PRIMARY KEY,
    notification_id uuid NOT NULL REFERENCES notifications (id),
    channel text NOT NULL CHECK (channel IN ('email', 'webhook')),
    recipients text[],
    url text,
    state text NOT NULL
        CHECK (state IN ('pending', 'sending', 'delivered', 'failed', 'not_configured')),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- the instance sending it, until claim_expires_at: after that (a
    -- crashed instance) another one may claim it again
    claimed_by text,
    claim_expires_at timestamptz,
    last_error text,
    delivered_at timestamptz,
    UNIQUE (notification_id, channel),
    CHECK ((channel = 'email') = (recipients IS NOT NULL)),
    CHECK ((channel = 'webhook') = (url IS NOT NULL)),
    CHECK ((claimed_by IS NULL) = (claim_expires_at IS NULL)),
    CHECK (state <> 'sending' OR claimed_by IS NOT NULL),
    CHECK ((state = 'delivered') = (delivered_at IS NOT NULL))
);
CREATE INDEX notification_deliveries_claimable ON notification_deliveries (next_attempt_at)
    WHERE state IN ('pending', 'sending');
