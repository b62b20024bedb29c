-- An API token may be limited to a list of CAs: a factory line's
-- requester token then issues from its line's CA only. ca_scoped false
-- means every CA (and the token has no rows below); ca_scoped true means
-- only the CAs listed in api_token_cas. A scoped token without rows can
-- act on no CA at all: the server never writes one (an empty list is
-- refused), and reading one fails closed. The foreign keys keep every
-- listed id a CA; the primary key keeps each listed once.

ALTER TABLE api_tokens ADD COLUMN ca_scoped boolean NOT NULL DEFAULT false;

CREATE TABLE api_token_cas (
    token_id uuid NOT NULL REFERENCES api_tokens (id),
    ca_id uuid NOT NULL REFERENCES cas (id),
    PRIMARY KEY (token_id, ca_id)
);
CREATE INDEX api_token_cas_by_ca ON api_token_cas (ca_id);
