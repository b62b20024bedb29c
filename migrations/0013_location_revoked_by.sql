-- Who revoked a CA location, shown with the reason and time in the CA's
-- view and in the certificates the location issued (status
-- issuer_revoked).
ALTER TABLE ca_locations ADD COLUMN revoked_by text;
ALTER TABLE ca_locations ADD CONSTRAINT ca_locations_revoked_by_needs_revocation
    CHECK (revoked_by IS NULL OR status = 'revoked');

-- Locations revoked before: the actor of the latest audit row that
-- revoked them (ca.revoke or ca.revoke_location list the locations they
-- revoked); none when no row names them.
UPDATE ca_locations l SET revoked_by = (
    SELECT a.actor FROM audit_events a
     WHERE a.object_type = 'ca' AND a.object_id = l.ca_id::text
       AND a.action IN ('ca.revoke', 'ca.revoke_location')
       AND l.name = ANY (string_to_array(a.details->>'locations', ','))
     ORDER BY a.id DESC LIMIT 1)
 WHERE l.status = 'revoked';
