/* Inside the key store (keystore.c, keystore_files.c): the store itself
 * and what its two files share. Nothing else includes this. */
#ifndef EDGECA_SIGNER_KEYSTORE_INT_H
#define EDGECA_SIGNER_KEYSTORE_INT_H

#include <pthread.h>

#include "common/buf.h"
#include "signer/daemon/keymeta.h"
#include "signer/daemon/keyrecord.h"
#include "signer/daemon/keystore.h"

#define KEK_LEN 32

struct keystore {
	char kek_path[PATH_BYTES];
	char keys_dir[PATH_BYTES - 128]; /* room for "/migrated/<id>.meta" */
	unsigned n_keys; /* held */
	unsigned max_keys;
	unsigned char kek[KEK_LEN];
	struct keyrecord_keys rk;
	char key_pass[2 * 32 + 1]; /* the file store's PKCS#8 passphrase */
	unsigned char meta_mac_key[KEYMETA_MAC_KEY_LEN];
	unsigned char crl_mac_key[32]; /* keys/<id>.crl records */
	pthread_mutex_t lock;
	struct signer_key *keys;
	/* keys destroyed (KEY_DESTROY): no private key any more, kept so
	 * that their id answers key-destroyed and a CRL session begun before
	 * finds its key (freed with the store) */
	struct signer_key *destroyed;
	/* ids of keys found in the file store at open, in order */
	char (*legacy)[KEY_ID_LEN + 1];
	size_t n_legacy;
	struct p11_token *token; /* NULL: keys are made in software */
};

void ks_key_free(struct signer_key *k);
/* SHA-256 of the DER SubjectPublicKeyInfo, as hex. Returns 0 or -1. */
int ks_spki_digest(EVP_PKEY *pk, char out[SHA256_HEX_BYTES]);
int ks_key_id_valid(const char *id);
/* The held key of that id, or NULL (lock held). */
struct signer_key *ks_find(struct keystore *ks, const char *id);
/* The destroyed key of that id, or NULL (lock held). */
struct signer_key *ks_find_destroyed(struct keystore *ks, const char *id);
/* Holds k (lock held); key-limit-reached when max_keys are held. */
edgeca_err ks_hold(struct keystore *ks, struct signer_key *k, struct edgeca_msg *msg);

/* signer_key.c: the three above. keystore_files.c: the file store of
 * earlier versions and the CRL number records. */
/* Lists keys/<id>.meta into ks->legacy, in order. Returns 0 or -1. */
int files_list(struct keystore *ks);
/* Reads keys/<id>.key and .meta with every check. */
edgeca_err files_read_key(struct keystore *ks, const char *id, struct signer_key **out,
                          struct edgeca_msg *msg);
/* Moves the key's files to keys/migrated/. Returns 0 or -1. */
int files_retire(struct keystore *ks, const char *id);

#endif
