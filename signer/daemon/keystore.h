/* The signer's key store: keys in memory, each with its policy and, once
 * it has one, its CA certificate; outside the signer only as sealed key
 * records (signer/daemon/keyrecord.h) that the server stores in
 * PostgreSQL and hands back. Keys are created here or loaded from their
 * record, and cached for the life of the process. The KEK comes from a
 * file that every signer of a deployment shares (mode 0600, created on
 * first run). Keys of the file store of earlier versions (keys/<id>.key
 * and .meta) are upgraded one by one through keystore_migrate_next. The
 * number of the last CRL each key signed stays in this signer's state
 * directory (keys/<id>.crl). Only the signer links this module; nothing
 * in it returns a private key to a caller. */
#ifndef EDGECA_SIGNER_KEYSTORE_H
#define EDGECA_SIGNER_KEYSTORE_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/digests.h"
#include "common/error.h"
#include "signer/daemon/p11.h"
#include "signer/daemon/policy.h"

#define KEY_ID_LEN 32
/* The slug of the answer that asks the server for a key's record. */
#define KEY_RECORD_NEEDED "key-record-needed"

struct keystore;
struct ocsp_key_cache;

struct signer_key {
	char id[KEY_ID_LEN + 1];
	char algorithm[16];
	char spki_sha256[SHA256_HEX_BYTES]; /* binds the private key to its metadata */
	EVP_PKEY *pkey;
	struct signer_policy policy;
	X509 *cert; /* guarded by the keystore lock; use keystore_key_cert() */
	/* 1 when created, one more with its certificate; guarded by the lock */
	uint32_t record_version;
	/* the private key lives in the store's PKCS#11 token (pkey signs
	 * through it); its record then holds no key material */
	bool in_token;
	/* The last CRL number signed (0: none), once read from keys/<id>.crl;
	 * guarded by the keystore lock. */
	uint64_t crl_last;
	int crl_loaded;
	/* what OCSP_SIGN needs of the key and its CA, made on first use
	 * (signer/daemon/ocsp.h); immutable once set */
	struct ocsp_key_cache *ocsp;
	struct signer_key *next;
};

/* Opens the store in dir. The KEK lives in kek_path, or dir/kek when NULL
 * (a path outside dir keeps backups of dir from holding both). At most
 * max_keys keys are held at once. */
edgeca_err keystore_open(const char *dir, const char *kek_path, unsigned max_keys,
                         struct keystore **out, struct edgeca_msg *msg);
void keystore_free(struct keystore *ks);

/* From now on keys are generated in token (taken: keystore_free closes
 * it), and records of token keys open: the store of a signer started
 * with EDGECA_KEY_STORE=pkcs11. */
void keystore_use_token(struct keystore *ks, struct p11_token *token);

/* Generates a key ("EC-P256", "EC-P384", "RSA-2048", "RSA-3072",
 * "RSA-4096") bound to policy p, in the token when the store has one,
 * holds it and returns it (borrowed, valid until keystore_free). Its
 * record is keystore_seal's to make. */
edgeca_err keystore_create(struct keystore *ks, const char *algorithm,
                           const struct signer_policy *p, struct signer_key **out,
                           struct edgeca_msg *msg);

/* Adopts an existing private key (pkey: the caller keeps its reference;
 * EC P-256, EC P-384 or RSA 2048, 3072 or 4096 bits, else
 * unsupported-key-algorithm) under a new id with policy p, held like a
 * created key: how an operator's existing CA key becomes an edgeca key
 * (edgeca-signer import-key). */
edgeca_err keystore_import(struct keystore *ks, EVP_PKEY *pkey, const struct signer_policy *p,
                           struct signer_key **out, struct edgeca_msg *msg);

/* Finds a key held by id (borrowed). EDGECA_ERR_NOT_FOUND, slug
 * key-record-needed, when the store does not hold it (its record must be
 * loaded first); key-not-found when id is not a key id. */
edgeca_err keystore_get(struct keystore *ks, const char *id, struct signer_key **out,
                        struct edgeca_msg *msg);

/* The key's sealed record as it is now, appended to rec, and its version. */
edgeca_err keystore_seal(struct keystore *ks, struct signer_key *key, struct buf *rec,
                         uint32_t *version, struct edgeca_msg *msg);

/* Opens the record of key id (it must be that key's: key-record-mismatch)
 * and holds the key. A key held already takes from a newer version of
 * its record only the CA certificate it did not have; an older or equal
 * version changes nothing. */
edgeca_err keystore_load(struct keystore *ks, const char *id, const unsigned char *rec,
                         size_t len, struct edgeca_msg *msg);

/* Upgrade from the file store. after: NULL, or the id this returned last,
 * whose record the server has stored now: its files move to
 * keys/migrated/. Then finds the next key still in files (ids in order,
 * above after), reads it with every check of the file store, holds it and
 * returns it (borrowed); *out NULL when none is left. A key that cannot
 * be read is logged and left where it is. */
edgeca_err keystore_migrate_next(struct keystore *ks, const char *after,
                                 struct signer_key **out, struct edgeca_msg *msg);

/* The key's CA certificate with a new reference (X509_free it), or NULL. */
X509 *keystore_key_cert(struct keystore *ks, struct signer_key *key);

/* Binds a CA certificate to a key: the certificate's public key must be
 * the key's. The same certificate again is no change; another one, once
 * the key has one, is refused (key-already-certified). The record version
 * grows by one. */
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

/* Destroys a held key: in a PKCS#11 token its objects first (a token
 * that fails leaves the key held and answers UNAVAILABLE), then the
 * private key in memory (EVP_PKEY_free clears it). From then on the id
 * answers key-destroyed (NOT_FOUND) to keystore_get and keystore_load.
 * The caller has made sure that no other thread uses key meanwhile; the
 * struct itself stays until keystore_free, its pkey NULL, and counts
 * towards max_keys until then. Policy (what the key signed, the service
 * CA's key) is the caller's to check. */
edgeca_err keystore_destroy(struct keystore *ks, struct signer_key *key, struct edgeca_msg *msg);

/* True when algorithm names a key type the signer generates. */
int keystore_algorithm_known(const char *algorithm);

#endif
