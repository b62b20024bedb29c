-- issuance_shortened notifications: a CA location whose certificate
-- outlives the CA's issuance max_validity_days has come within that many
-- days of its notAfter. From then on every certificate it issues ends at
-- its notAfter, shorter than the CA's maximum: the time to renew it.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('threshold_reached', 'reminder_90', 'reminder_95', 'reminder_99',
                    'expired', 'renewed', 'renewal_failed', 'renewal_requested',
                    'crl_generation_failed', 'issuance_shortened'));
