-- Sign-in sessions of the portal (docs/clients.md, "Sessions"): an API
-- token exchanged for a cookie. Neither the cookie's secret nor the CSRF
-- token is stored: only their SHA-256 digests. A session acts as its
-- token, so deleting the token (row removed) ends its sessions with it;
-- a token deleted with a tombstone, or expired, is refused at each use.
CREATE TABLE api_sessions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    token_id uuid NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    cookie_hash bytea NOT NULL UNIQUE CHECK (octet_length(cookie_hash) = 32),
    csrf_hash bytea NOT NULL CHECK (octet_length(csrf_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    ended_at timestamptz,
    CHECK (expires_at > created_at)
);

CREATE INDEX api_sessions_token ON api_sessions (token_id);
CREATE INDEX api_sessions_expires ON api_sessions (expires_at);
