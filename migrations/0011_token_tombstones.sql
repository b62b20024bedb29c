-- A deleted API token keeps its row, marked deleted: its name stays
-- taken. Certificates and audit entries name their requester by the
-- token's name ("token:<name>"), and a requester may revoke what that name
-- requested; a new token under a deleted token's name would inherit
-- those certificates. A deleted token never authenticates and is not
-- listed.

ALTER TABLE api_tokens ADD COLUMN deleted_at timestamptz;
ALTER TABLE api_tokens ADD COLUMN deleted_by text;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_deleted_by
    CHECK ((deleted_at IS NULL) = (deleted_by IS NULL));
