-- Seeds an edgeca database for the search and portal benchmarks (see
-- bench/seed.sh, which runs it): :cas CAs cloned from the template CA
-- :'template' (a real CA made through the API, so that every column a CA
-- needs is filled as edgeca fills it), then :certs certificates spread
-- over them, in one transaction. Reproducible: the random numbers come
-- from a fixed seed.
--
-- The clones are root CAs named "Bench CA 0002" ... with one location
-- each, its key id made up: they render in GET /api/v1/cas and
-- GET /api/v1/cas/{id} as any CA does, but cannot sign, so their CRLs,
-- OCSP and EST are off (the scheduler finds nothing to do for them).
--
-- The certificates, in the shape of a fleet: CAs are used unevenly (the
-- first ones by far the most), issued over the last two years, valid for
-- 90, 365, 365 or 730 days (so some have expired), common names with
-- shared prefixes ("sensor-p12-0001234": five device kinds, 40 plants),
-- two DNS SANs and, for three in four, an IP SAN; 3 % revoked; templates
-- client and ssl; requesters the admin token, a portal token and EST
-- clients of each plant. Their DER is a placeholder byte: the search
-- reads columns, never the certificate.
\set ON_ERROR_STOP on
BEGIN;
SELECT setseed(0.17);

INSERT INTO cas
SELECT (jsonb_populate_record(NULL::cas, to_jsonb(t) || jsonb_build_object(
    'id', gen_random_uuid(),
    'seq', nextval(pg_get_serial_sequence('cas', 'seq')),
    'common_name', 'Bench CA ' || lpad(i::text, 4, '0'),
    'friendly_name', 'Bench CA ' || lpad(i::text, 4, '0'),
    'subject', 'CN=Bench CA ' || lpad(i::text, 4, '0'),
    'created_at', now() - interval '800 days' + i * interval '1 minute',
    'est_enabled', false, 'est_label', NULL, 'est_default', false,
    'crl_enabled', false, 'crl_delta_enabled', false, 'ocsp_enabled', false))).*
FROM cas t, generate_series(2, :cas) AS i
WHERE t.id = :'template';

INSERT INTO ca_locations
SELECT (jsonb_populate_record(NULL::ca_locations, to_jsonb(l) || jsonb_build_object(
    'ca_id', c.id,
    'signer_key_id', md5(c.id::text || l.name)))).*
FROM ca_locations l
JOIN cas c ON c.friendly_name LIKE 'Bench CA %' AND c.id <> l.ca_id
WHERE l.ca_id = :'template';

CREATE TEMP TABLE bench_issuers AS
SELECT row_number() OVER (ORDER BY c.seq) AS k, c.id AS ca_id, l.name AS location,
       l.signer_key_id
FROM cas c JOIN ca_locations l ON l.ca_id = c.id AND l.position = 0
WHERE c.id = :'template' OR c.friendly_name LIKE 'Bench CA %';

INSERT INTO certificates (ca_id, location, serial, subject, common_name, subject_alt_names,
    key_algorithm, template, status, not_before, not_after, requester, certificate_der,
    created_at, revoked_at, revocation_reason, revoked_by, issuer_key_id)
SELECT b.ca_id, b.location, '4' || substr(md5(g.i::text), 2), 'CN=' || g.cn, g.cn,
    ARRAY['DNS:' || g.cn || '.p' || g.plant || '.fleet.example', 'DNS:' || g.cn || '.local']
        || CASE WHEN g.i % 4 <> 0 THEN ARRAY['IP:10.' || (g.i >> 16) % 256 || '.' ||
                                             (g.i >> 8) % 256 || '.' || g.i % 256]
                ELSE '{}'::text[] END,
    CASE WHEN g.i % 7 = 0 THEN 'RSA-2048' ELSE 'EC-P256' END,
    CASE WHEN g.i / 7 % 10 = 0 THEN 'ssl' ELSE 'client' END,
    CASE WHEN g.revoked THEN 'revoked' ELSE 'valid' END,
    g.issued, g.issued + g.days * interval '1 day',
    CASE WHEN g.i % 5 = 0 THEN 'token:admin' WHEN g.i % 5 = 1 THEN 'token:portal'
         ELSE 'est:tls:' || g.plant END,
    '\x00', g.issued,
    CASE WHEN g.revoked THEN g.issued + (now() - g.issued) * g.r2 END,
    CASE WHEN g.revoked THEN (ARRAY['keyCompromise', 'superseded', 'cessationOfOperation',
                                    'unspecified'])[1 + g.i % 4] END,
    CASE WHEN g.revoked THEN 'token:admin' END,
    b.signer_key_id
FROM (SELECT i, (ARRAY['sensor', 'gateway', 'camera', 'meter', 'plc'])[1 + i % 5] || '-p' ||
             lpad((i / 5 % 40)::text, 2, '0') || '-' || lpad(i::text, 7, '0') AS cn,
             i / 5 % 40 AS plant,
             1 + floor((SELECT count(*) FROM bench_issuers) * power(random(), 2.5))::int AS k,
             now() - random() * interval '730 days' AS issued,
             (ARRAY[90, 365, 365, 730])[1 + floor(random() * 4)::int] AS days,
             random() < 0.03 AS revoked, random() AS r2
      FROM generate_series(1, :certs) AS i) g
JOIN bench_issuers b ON b.k = g.k;
COMMIT;
-- as autovacuum leaves a table after a bulk load (statistics, visibility
-- map for index-only scans)
VACUUM ANALYZE cas;
VACUUM ANALYZE ca_locations;
VACUUM ANALYZE certificates;
