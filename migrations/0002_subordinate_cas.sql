-- Subordinate CAs: a CA is chained to an internal parent CA (whose signer
-- key signs each location's certificate) or to an external root (which
-- signs each location's CSR elsewhere). Locations keep their CSR and the
-- chain above their certificate.

ALTER TABLE cas ADD COLUMN parent_ca_id uuid REFERENCES cas (id);
ALTER TABLE cas ADD COLUMN chaining text NOT NULL DEFAULT 'self'
    CHECK (chaining IN ('self', 'internal', 'external', 'pending'));
-- a root signs itself; a subordinate is chained, or waits to be
ALTER TABLE cas ADD CONSTRAINT cas_root_is_self CHECK ((kind = 'root') = (chaining = 'self'));
ALTER TABLE cas ADD CONSTRAINT cas_internal_has_parent
    CHECK ((chaining = 'internal') = (parent_ca_id IS NOT NULL));
ALTER TABLE cas ADD CONSTRAINT cas_not_own_parent CHECK (parent_ca_id <> id);

ALTER TABLE ca_locations ADD COLUMN csr_der bytea;
-- the certificates above this location's certificate, leaf-most first (PEM)
ALTER TABLE ca_locations ADD COLUMN chain_pem text NOT NULL DEFAULT '';
-- the parent CA's location whose key signed this one (internal chaining)
ALTER TABLE ca_locations ADD COLUMN parent_location text;
ALTER TABLE ca_locations ADD CONSTRAINT ca_locations_pending_has_csr
    CHECK (status <> 'pending_chaining' OR csr_der IS NOT NULL);

CREATE INDEX cas_by_parent ON cas (parent_ca_id);
