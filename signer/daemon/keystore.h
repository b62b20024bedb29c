/* The signer's key store: private keys encrypted at rest (PKCS#8,
 * AES-256-CBC, PBKDF2) under a key-encryption key file created on first
 * run with mode 0600, each key with its policy and, once it has one, its
 * CA certificate in an HMAC-protected metadata file, and the number of
 * the last CRL it signed in another such file. Keys are loaded on
 * first use and cached for the life of the process. Only the signer
 * links this module; nothing in it returns a private key to a caller. */
#ifndef EDGECA_SIGNER_KEYSTORE_H
#define EDGECA_SIGNER_KEYSTORE_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdint.h>

#include "common/digests.h"
#include "common/error.h"
#include "signer/daemon/policy.h"

#define KEY_ID_LEN 32

struct keystore;

struct signer_key {
	char id[KEY_ID_LEN + 1];
	char algorithm[16];
	char spki_sha256[SHA256_HEX_BYTES]; /* binds the key file to its metadata */
	EVP_PKEY *pkey;
	struct signer_policy policy;
	X509 *cert; /* guarded by the keystore lock; use keystore_key_cert() */
	/* The last CRL number signed (0: none), once read from keys/<id>.crl;
	 * guarded by the keystore lock. */
	uint64_t crl_last;
	int crl_loaded;
	struct signer_key *next;
};

/* Opens the store in dir. The KEK lives in kek_path, or dir/kek when NULL
 * (a path outside dir keeps backups of dir from holding both). At most
 * max_keys keys are created. */
edgeca_err keystore_open(const char *dir, const char *kek_path, unsigned max_keys,
                         struct keystore **out, struct edgeca_msg *msg);
void keystore_free(struct keystore *ks);

/* Generates a key ("EC-P256", "EC-P384", "RSA-2048", "RSA-3072",
 * "RSA-4096") bound to policy p, stores it and returns it (borrowed, valid
 * until keystore_free). */
edgeca_err keystore_create(struct keystore *ks, const char *algorithm,
                           const struct signer_policy *p, struct signer_key **out,
                           struct edgeca_msg *msg);

/* Finds a key by id (borrowed). EDGECA_ERR_NOT_FOUND when unknown. */
edgeca_err keystore_get(struct keystore *ks, const char *id, struct signer_key **out,
                        struct edgeca_msg *msg);

/* The key's CA certificate with a new reference (X509_free it), or NULL. */
X509 *keystore_key_cert(struct keystore *ks, struct signer_key *key);

/* Binds a CA certificate to a key that has none yet; the certificate's
 * public key must be the key's. Persists before it takes effect. */
edgeca_err keystore_set_cert(struct keystore *ks, struct signer_key *key, X509 *cert,
                             struct edgeca_msg *msg);

/* The number of the last CRL the key signed, 0 when it signed none. An
 * altered or unreadable record refuses (crl-state-damaged): never a reset. */
edgeca_err keystore_crl_last(struct keystore *ks, struct signer_key *key, uint64_t *last,
                             struct edgeca_msg *msg);

/* Records that the key signs CRL number n: refused (CONFLICT,
 * crl-number-not-increasing) unless n is above the last one, which is
 * checked and replaced under one lock, so concurrent sessions cannot both
 * sign one number. Written to keys/<id>.crl (HMAC, fsync) before it
 * returns. */
edgeca_err keystore_crl_advance(struct keystore *ks, struct signer_key *key, uint64_t n,
                                struct edgeca_msg *msg);

/* True when algorithm names a key type the signer generates. */
int keystore_algorithm_known(const char *algorithm);

#endif
