-- Name rules of a CA's issuance policy (issuance.name_rules): what the
-- leaf certificates of the CA may name, in the text form every signer key
-- of the CA carries (signer/PROTOCOL.md, NAME_RULES). NULL: no rules, as
-- for every CA made before. Set at creation and never changed, like the
-- rest of the issuance policy bound into the keys.
ALTER TABLE cas ADD COLUMN issuance_name_rules text
    CHECK (length(issuance_name_rules) BETWEEN 1 AND 16384);

-- The database refuses a change, as the signer does for the keys.
CREATE FUNCTION cas_name_rules_unchanged() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.issuance_name_rules IS DISTINCT FROM OLD.issuance_name_rules THEN
        RAISE EXCEPTION 'a CA''s name rules never change (they are bound into its signer keys)';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER cas_name_rules_unchanged BEFORE UPDATE OF issuance_name_rules ON cas
    FOR EACH ROW EXECUTE FUNCTION cas_name_rules_unchanged();
