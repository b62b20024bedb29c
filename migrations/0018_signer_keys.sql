-- Sealed key records: every signer key as the signer sealed it (its
-- private key encrypted and authenticated under the KEK that only signers
-- hold, its policy and CA certificate authenticated with it; see "Sealed
-- key records" in signer/PROTOCOL.md). The server stores them and hands
-- them back to any signer of the deployment; it cannot open or change
-- them. A record only grows in version: 1 when the key is made, 2 once it
-- has its CA certificate.

CREATE TABLE signer_keys (
    key_id text PRIMARY KEY CHECK (key_id ~ '^[0-9a-f]{32}$'),
    record_version integer NOT NULL CHECK (record_version > 0),
    record bytea NOT NULL CHECK (octet_length(record) BETWEEN 64 AND 49152),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
