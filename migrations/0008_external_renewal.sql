-- Renewal of subordinate CAs chained to an external root: a location
-- waits, while it keeps issuing with its current key, for the external
-- root to sign the CSR of a new key the signer made. The pending renewal
-- is all four columns or none of them, and only an active location has
-- one (revoking a location drops it).

ALTER TABLE ca_locations ADD COLUMN renewal_signer_key_id text UNIQUE;
ALTER TABLE ca_locations ADD COLUMN renewal_csr_der bytea;
ALTER TABLE ca_locations ADD COLUMN renewal_requested_at timestamptz;
ALTER TABLE ca_locations ADD COLUMN renewal_requested_by text;
ALTER TABLE ca_locations ADD CONSTRAINT ca_locations_renewal_complete
    CHECK ((renewal_signer_key_id IS NULL) = (renewal_csr_der IS NULL)
           AND (renewal_signer_key_id IS NULL) = (renewal_requested_at IS NULL)
           AND (renewal_signer_key_id IS NULL) = (renewal_requested_by IS NULL));
ALTER TABLE ca_locations ADD CONSTRAINT ca_locations_renewal_when_active
    CHECK (renewal_signer_key_id IS NULL OR status = 'active');
ALTER TABLE ca_locations ADD CONSTRAINT ca_locations_renewal_new_key
    CHECK (renewal_signer_key_id <> signer_key_id);

-- A requested renewal is notified with the CSR to be signed: the one of
-- that request, even when the e-mail is retried after the upload.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('threshold_reached', 'reminder_90', 'reminder_95', 'reminder_99',
                    'expired', 'renewed', 'renewal_failed', 'renewal_requested',
                    'crl_generation_failed'));
ALTER TABLE notifications ADD COLUMN csr_der bytea;
ALTER TABLE notifications ADD CONSTRAINT notifications_csr_of_renewal_request
    CHECK ((kind = 'renewal_requested') = (csr_der IS NOT NULL));
