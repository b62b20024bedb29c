-- Idempotency-Key on the API's POSTs that create (docs/clients.md): a
-- key is reserved (state running) before its request runs, so that two
-- servers on this database never both run it, and holds the first 2xx
-- answer for 24 hours. Keys are per token: principal is the token's id.
-- The answer's body is sealed (AES-256-GCM under the server's key file,
-- as webhook secrets are: it may hold a new token's secret); its status
-- and the headers replayed with it are plain.
CREATE TABLE idempotency_keys (
    principal text NOT NULL CHECK (length(principal) BETWEEN 1 AND 100),
    key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    -- who holds the reservation: finishing or releasing needs it, so a
    -- request whose reservation was taken over cannot write another's row
    claim uuid NOT NULL DEFAULT gen_random_uuid(),
    fingerprint bytea NOT NULL CHECK (octet_length(fingerprint) = 32),
    state text NOT NULL CHECK (state IN ('running', 'done')),
    status integer CHECK (status BETWEEN 200 AND 299),
    content_type text,
    location text,
    etag text,
    body bytea CHECK (octet_length(body) >= 28),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, key),
    CHECK ((state = 'done') = (status IS NOT NULL AND body IS NOT NULL))
);

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
