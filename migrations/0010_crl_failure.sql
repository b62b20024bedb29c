-- crl_generation_failed notifications: a location's key could not publish
-- its CRL. Such a notification names the key (generation), what failed
-- (error, one line) and the nextUpdate of the CRL the key was serving
-- (crl_next_update, NULL when it had none yet). Its not_after is that
-- nextUpdate, or the notAfter of the key's certificate when there was no
-- CRL: one incident (until a CRL of the key is made again) is one row of
-- the UNIQUE key, whatever the number of instances and retries.

ALTER TABLE notifications ADD COLUMN generation integer CHECK (generation > 0);
ALTER TABLE notifications ADD COLUMN error text
    CHECK (char_length(error) BETWEEN 1 AND 512 AND error !~ '[\u0001-\u001f\u007f-\u009f]');
ALTER TABLE notifications ADD COLUMN crl_next_update timestamptz;
ALTER TABLE notifications ADD CONSTRAINT notifications_crl_failure_detail
    CHECK (kind <> 'crl_generation_failed' OR (generation IS NOT NULL AND error IS NOT NULL));
