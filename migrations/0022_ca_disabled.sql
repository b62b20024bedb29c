-- When, by whom and why a CA was disabled (POST /api/v1/cas/{id}/disable),
-- shown as the CA's `disabled` member while it is disabled. Set with the
-- status, cleared when the CA is enabled or leaves 'disabled' otherwise
-- (revoked). The reason has the API's limit: 1 to 200 characters.
ALTER TABLE cas ADD COLUMN disabled_at timestamptz;
ALTER TABLE cas ADD COLUMN disabled_by text;
ALTER TABLE cas ADD COLUMN disabled_reason text
    CHECK (char_length(disabled_reason) BETWEEN 1 AND 200);

-- CAs disabled before: the time and actor of the latest ca.disable audit
-- row that names them, with its reason; none when no row names them.
UPDATE cas c SET (disabled_at, disabled_by, disabled_reason) = (
    SELECT a.at, a.actor, a.details->>'reason'
      FROM audit_events a
     WHERE a.object_type = 'ca' AND a.object_id = c.id::text AND a.action = 'ca.disable'
     ORDER BY a.id DESC LIMIT 1)
 WHERE c.status = 'disabled';

-- Only a disabled CA has them; the time and the actor go together, and a
-- reason comes with them. A CA disabled with no audit row has none.
ALTER TABLE cas ADD CONSTRAINT cas_disabled_needs_status
    CHECK (status = 'disabled'
           OR (disabled_at IS NULL AND disabled_by IS NULL AND disabled_reason IS NULL));
ALTER TABLE cas ADD CONSTRAINT cas_disabled_at_by
    CHECK ((disabled_at IS NULL) = (disabled_by IS NULL)
           AND (disabled_reason IS NULL OR disabled_at IS NOT NULL));
