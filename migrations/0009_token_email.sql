-- An API token may carry the e-mail address of the person or team behind
-- it. Lifecycle e-mails reach the addresses of valid pki_admin tokens as
-- well as the CA's own. The CHECK is the form the server's validator
-- (model/email.c) accepts for every address it stores: at most 254 bytes,
-- one '@' with something before it and a '.' after it, no spaces,
-- control characters, commas, quotes or angle brackets.

ALTER TABLE api_tokens ADD COLUMN email text;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_email_form
    CHECK (email IS NULL
           OR (octet_length(email) <= 254
               AND email ~ '^[^@,<>"\x01-\x20\x7f]+@[^@,<>"\x01-\x20\x7f]*\.[^@,<>"\x01-\x20\x7f]*$'));
