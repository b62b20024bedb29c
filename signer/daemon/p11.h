/* The signer's PKCS#11 token back end: CA keys generated (or imported)
 * inside a token, an HSM or SoftHSM2, never leaving it. The EVP_PKEYs it
 * hands out carry the real public key and sign through C_Sign, so
 * X509_sign, X509_REQ_sign and EVP_PKEY_sign work on them unchanged.
 * Only the signer daemon calls it (its key store). */
#ifndef EDGECA_SIGNER_P11_H
#define EDGECA_SIGNER_P11_H

#include <openssl/evp.h>

#include "common/error.h"

struct p11_token;

struct p11_settings {
	const char *module;      /* path of the PKCS#11 module (.so) */
	const char *token_label; /* the token's label, as the token reports it */
	const char *pin_file;    /* the user PIN, the signer's own file, 0600 or 0400 */
};

/* Loads the module, finds the one token whose label is token_label, logs
 * in with the PIN of pin_file and opens a pool of sessions.
 * Returns: EDGECA_OK; EDGECA_ERR_UNAVAILABLE (module not loadable, no such
 * token, token refuses); EDGECA_ERR_INVALID (bad PIN file, wrong PIN,
 * ambiguous label), with msg set.
 * Ownership: *out is the caller's (p11_close).
 * The signer opens one token: a second p11_open of a module already
 * initialised in the process shares its login, so its PIN is not checked. */
edgeca_err p11_open(const struct p11_settings *s, struct p11_token **out,
                    struct edgeca_msg *msg);

/* Gives up the caller's hold on the token. The session pool, the login
 * and the module stay until the last key of this token is freed too.
 * Accepts NULL. */
void p11_close(struct p11_token *t);

/* Generates a key pair inside the token under key_id (32 lower-case hex
 * digits, the token's CKA_ID), algorithm one of signer/daemon/algorithms.c.
 * The private key is sensitive, not extractable and may only sign.
 * Returns: EDGECA_OK; EDGECA_ERR_INVALID (bad id or algorithm);
 * EDGECA_ERR_CONFLICT (the id is taken); EDGECA_ERR_UNAVAILABLE (the token
 * fails), with msg set.
 * Ownership: *out is the caller's (EVP_PKEY_free); it holds the token. */
edgeca_err p11_generate(struct p11_token *t, const char *key_id, const char *algorithm,
                        EVP_PKEY **out, struct edgeca_msg *msg);

/* Finds the key pair stored under key_id and checks that its private key
 * is sensitive and not extractable.
 * Returns: EDGECA_OK; EDGECA_ERR_NOT_FOUND (slug key-not-found);
 * EDGECA_ERR_INVALID (bad id); EDGECA_ERR_NOT_PERMITTED (the key could
 * leave the token); EDGECA_ERR_UNAVAILABLE, with msg set.
 * Ownership: *out is the caller's (EVP_PKEY_free); it holds the token. */
edgeca_err p11_find(struct p11_token *t, const char *key_id, EVP_PKEY **out,
                    struct edgeca_msg *msg);

/* Puts the existing private key priv (EC P-256/P-384 or RSA) and its public
 * key into the token under key_id, sensitive and not extractable, to adopt
 * a CA key made elsewhere. priv is only read.
 * Returns: as p11_generate.
 * Ownership: *out is the caller's (EVP_PKEY_free); it holds the token. */
edgeca_err p11_import(struct p11_token *t, const char *key_id, EVP_PKEY *priv, EVP_PKEY **out,
                      struct edgeca_msg *msg);

/* Destroys every object of the token stored under key_id, the private key
 * and the public key (C_DestroyObject): the key can never sign again,
 * through this signer or any other. EVP_PKEYs made before for the key
 * fail to sign from then on.
 * Returns: EDGECA_OK (also when the token held no object of that id,
 * *destroyed 0); EDGECA_ERR_INVALID (bad id); EDGECA_ERR_UNAVAILABLE (the
 * token fails), with msg set. *destroyed counts the objects destroyed. */
edgeca_err p11_destroy(struct p11_token *t, const char *key_id, unsigned *destroyed,
                       struct edgeca_msg *msg);

#endif
