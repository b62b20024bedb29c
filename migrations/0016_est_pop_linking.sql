-- RFC 7030 3.5 proof-of-possession linking, per CA: when true, a CSR sent
-- over EST must carry the TLS channel binding of its connection in its
-- challengePassword (checked whenever a CSR carries one, whatever this says).
ALTER TABLE cas ADD COLUMN est_require_pop_linking boolean NOT NULL DEFAULT false;
