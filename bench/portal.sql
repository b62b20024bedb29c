-- Gives the portal benchmark (bench/portal.sh) something real on every
-- page after bench/seed.sql: an audit trail of :events events in the
-- shape of a busy instance (issuances and revocations of the seeded
-- certificates, CA and token changes, by the admin, the portal and EST
-- clients), :per_cert of them about the certificate :'cert_ca'/:'cert_serial'
-- (whose page the benchmark opens), and a lifecycle notification of each
-- kind for the first :notified CAs, with e-mail and webhook deliveries in
-- every state. Reproducible: the random numbers come from a fixed seed.
SELECT setseed(0.18);

INSERT INTO audit_events (at, actor, action, object_type, object_id, details)
SELECT now() - (random() * interval '730 days'),
       (ARRAY['token:admin', 'token:portal', 'est:plant-07', 'est:plant-21'])[1 + (g % 4)],
       (ARRAY['certificate.issue', 'certificate.issue', 'certificate.issue',
              'certificate.revoke', 'ca.create', 'ca.update', 'token.create'])[1 + (g % 7)],
       CASE WHEN g % 7 < 4 THEN 'certificate' WHEN g % 7 < 6 THEN 'ca' ELSE 'token' END,
       CASE WHEN g % 7 < 4 THEN c.ca_id::text || '/' || c.serial ELSE c.ca_id::text END,
       jsonb_build_object('bench', true, 'n', g)
FROM generate_series(1, :events) AS g
JOIN certificates c ON c.id = 1 + (g * 7919) % (SELECT max(id) FROM certificates);

INSERT INTO audit_events (at, actor, action, object_type, object_id, details)
SELECT now() - (g * interval '1 hour'), 'token:admin',
       (ARRAY['certificate.download', 'certificate.revoke', 'certificate.unrevoke'])[1 + (g % 3)],
       'certificate', :'cert_ca' || '/' || :'cert_serial', jsonb_build_object('bench', true)
FROM generate_series(1, :per_cert) AS g;

INSERT INTO notifications (ca_id, location, kind, not_after, due_at, created_at)
SELECT l.ca_id, l.name, k.kind, now() + interval '30 days', now() - k.n * interval '1 day',
       now() - k.n * interval '1 day'
FROM (SELECT ca_id, name FROM ca_locations WHERE position = 0 ORDER BY ca_id LIMIT :notified) l
CROSS JOIN (VALUES (1, 'threshold_reached'), (2, 'reminder_90'), (3, 'reminder_95'),
                   (4, 'reminder_99')) AS k (n, kind);

INSERT INTO notification_deliveries (notification_id, channel, recipients, url, state,
                                     attempts, last_error, delivered_at)
SELECT n.id, ch.channel,
       CASE WHEN ch.channel = 'email' THEN ARRAY['pki-team@example.com'] END,
       CASE WHEN ch.channel = 'webhook' THEN 'https://hooks.example.com/edgeca' END,
       s.state, s.attempts, s.last_error,
       CASE WHEN s.state = 'delivered' THEN n.created_at + interval '1 minute' END
FROM notifications n
CROSS JOIN (VALUES ('email'), ('webhook')) AS ch (channel)
JOIN (VALUES (0, 'delivered', 1, NULL), (1, 'failed', 8, 'connection refused'),
             (2, 'pending', 2, 'timeout')) AS s (k, state, attempts, last_error)
  ON s.k = (n.seq + length(ch.channel)) % 3;

ANALYZE audit_events;
ANALYZE notifications;
ANALYZE notification_deliveries;
