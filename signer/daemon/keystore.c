#include "signer/daemon/keystore.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/encoding.h"
#include "common/log.h"
#include "common/x509util.h"
#include "signer/daemon/algorithms.h"
#include "signer/daemon/files.h"
#include "signer/daemon/keystore_int.h"

int
keystore_algorithm_known(const char *algorithm)
{
	return key_algorithm_find(algorithm) != NULL;
}

static int
derive(const unsigned char kek[KEK_LEN], const char *label, unsigned char out[32])
{
	unsigned int len = 32;

	return HMAC(EVP_sha256(), kek, KEK_LEN, (const unsigned char *)label, strlen(label), out,
	            &len) == NULL ? -1 : 0;
}

/* The KEK file: created on first run, then read; it must be the signer's
 * own with mode 0600 and exactly KEK_LEN bytes. */
static edgeca_err
kek_file(struct keystore *ks, struct edgeca_msg *msg)
{
	const char *path = ks->kek_path;
	unsigned char *data = NULL;
	size_t len = 0;
	struct stat st;
	edgeca_err rc = EDGECA_ERR_INTERNAL;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		unsigned char fresh[KEK_LEN];
		int ok = RAND_priv_bytes(fresh, sizeof(fresh)) == 1 &&
		         write(fd, fresh, sizeof(fresh)) == (ssize_t)sizeof(fresh) && fsync(fd) == 0;
		OPENSSL_cleanse(fresh, sizeof(fresh));
		close(fd);
		if (!ok) {
			unlink(path);
			return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot create %s", path);
		}
		log_info("keystore_open: created a new key-encryption key in %s", path);
	} else if (errno != EEXIST) {
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot create %s: %s", path,
		                   strerror(errno));
	}
	if (stat(path, &st) != 0)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot read %s: %s", path,
		                   strerror(errno));
	if ((st.st_mode & 077) != 0 || st.st_uid != geteuid())
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
		                   "%s must belong to the signer's user with mode 0600 (found uid %d, "
		                   "mode %o)", path, (int)st.st_uid, (unsigned)(st.st_mode & 0777));
	if (file_read(path, KEK_LEN, &data, &len) != 0 || len != KEK_LEN) {
		edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "%s must hold exactly %d bytes", path,
		            KEK_LEN);
		goto out;
	}
	memcpy(ks->kek, data, KEK_LEN);
	rc = EDGECA_OK;
out:
	if (data != NULL) {
		OPENSSL_cleanse(data, len);
		free(data);
	}
	return rc;
}

/* Everything the store derives from the KEK. */
static edgeca_err
kek_derive(struct keystore *ks, struct edgeca_msg *msg)
{
	unsigned char pass[32];
	char id[2 * KEYRECORD_KEK_ID_LEN + 1];
	edgeca_err rc = EDGECA_OK;

	if (derive(ks->kek, "edgeca-signer pkcs8 passphrase v1", pass) != 0 ||
	    derive(ks->kek, "edgeca-signer metadata mac v1", ks->meta_mac_key) != 0 ||
	    derive(ks->kek, "edgeca-signer crl number mac v1", ks->crl_mac_key) != 0 ||
	    keyrecord_keys_derive(ks->kek, &ks->rk) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot derive keys from the KEK");
	} else {
		hex_encode(pass, sizeof(pass), ks->key_pass);
		hex_encode(ks->rk.kek_id, KEYRECORD_KEK_ID_LEN, id);
		log_info("keystore_open: KEK %s (its id; every signer of one deployment shows the "
		         "same)", id);
	}
	OPENSSL_cleanse(pass, sizeof(pass));
	return rc;
}

edgeca_err
keystore_open(const char *dir, const char *kek_path, unsigned max_keys, struct keystore **out,
              struct edgeca_msg *msg)
{
	struct keystore *ks = NULL;
	edgeca_err rc;

	*out = NULL;
	ks = calloc(1, sizeof(*ks));
	if (ks == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	pthread_mutex_init(&ks->lock, NULL);
	snprintf(ks->keys_dir, sizeof(ks->keys_dir), "%s/keys", dir);
	if (kek_path != NULL)
		snprintf(ks->kek_path, sizeof(ks->kek_path), "%s", kek_path);
	else
		snprintf(ks->kek_path, sizeof(ks->kek_path), "%s/kek", dir);
	ks->max_keys = max_keys;
	if (mkdir(ks->keys_dir, 0700) != 0 && errno != EEXIST) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot create %s: %s",
		                 ks->keys_dir, strerror(errno));
		goto out;
	}
	if ((rc = kek_file(ks, msg)) != EDGECA_OK || (rc = kek_derive(ks, msg)) != EDGECA_OK)
		goto out;
	if (files_list(ks) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot list %s: %s", ks->keys_dir,
		                 strerror(errno));
		goto out;
	}
	if (ks->n_legacy > 0)
		log_info("keystore_open: %zu keys in files under %s; they move to sealed records "
		         "as the server asks", ks->n_legacy, ks->keys_dir);
	*out = ks;
	ks = NULL;
out:
	keystore_free(ks);
	return rc;
}

void
keystore_free(struct keystore *ks)
{
	struct signer_key *k, *next;

	if (ks == NULL)
		return;
	for (k = ks->keys; k != NULL; k = next) {
		next = k->next;
		ks_key_free(k);
	}
	for (k = ks->destroyed; k != NULL; k = next) {
		next = k->next;
		ks_key_free(k);
	}
	OPENSSL_cleanse(ks->kek, sizeof(ks->kek));
	OPENSSL_cleanse(&ks->rk, sizeof(ks->rk));
	OPENSSL_cleanse(ks->key_pass, sizeof(ks->key_pass));
	OPENSSL_cleanse(ks->meta_mac_key, sizeof(ks->meta_mac_key));
	OPENSSL_cleanse(ks->crl_mac_key, sizeof(ks->crl_mac_key));
	pthread_mutex_destroy(&ks->lock);
	free(ks->legacy);
	p11_close(ks->token);
	free(ks);
}

struct signer_key *
ks_find(struct keystore *ks, const char *id)
{
	struct signer_key *k;

	for (k = ks->keys; k != NULL; k = k->next)
		if (strcmp(k->id, id) == 0)
			break;
	return k;
}

edgeca_err
ks_hold(struct keystore *ks, struct signer_key *k, struct edgeca_msg *msg)
{
	if (ks->n_keys >= ks->max_keys)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "key-limit-reached",
		                   "the signer holds %u keys, its limit", ks->max_keys);
	k->next = ks->keys;
	ks->keys = k;
	ks->n_keys++;
	return EDGECA_OK;
}

edgeca_err
keystore_get(struct keystore *ks, const char *id, struct signer_key **out,
             struct edgeca_msg *msg)
{
	edgeca_err rc = EDGECA_OK;

	*out = NULL;
	if (!ks_key_id_valid(id))
		return edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "key-not-found",
		                   "no signer key %s", id);
	pthread_mutex_lock(&ks->lock);
	*out = ks_find(ks, id);
	if (*out == NULL && ks_find_destroyed(ks, id) != NULL)
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "key-destroyed",
		                 "key %s was destroyed", id);
	pthread_mutex_unlock(&ks->lock);
	if (*out == NULL && rc == EDGECA_OK)
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, KEY_RECORD_NEEDED,
		                 "the signer does not hold key %s yet: load its record", id);
	return rc;
}

void
keystore_use_token(struct keystore *ks, struct p11_token *token)
{
	p11_close(ks->token);
	ks->token = token;
}

/* A fresh random key id. Returns 0 or -1. */
static int
new_id(char id[KEY_ID_LEN + 1])
{
	unsigned char rnd[KEY_ID_LEN / 2];

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -1;
	hex_encode(rnd, sizeof(rnd), id);
	return 0;
}

/* A new key id of algorithm with policy p around pkey (taken; in the
 * store's token when in_token), held. */
static edgeca_err
hold_new(struct keystore *ks, const char *id, const char *algorithm, EVP_PKEY *pkey,
         bool in_token, const struct signer_policy *p, struct signer_key **out,
         struct edgeca_msg *msg)
{
	struct signer_key *k = calloc(1, sizeof(*k));
	edgeca_err rc;

	*out = NULL;
	if (k == NULL) {
		EVP_PKEY_free(pkey);
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	k->pkey = pkey;
	k->in_token = in_token;
	snprintf(k->id, sizeof(k->id), "%s", id);
	snprintf(k->algorithm, sizeof(k->algorithm), "%s", algorithm);
	k->record_version = 1;
	k->policy = *p;
	k->policy.names = NULL;
	if (k->policy.ocsp_ca_cert != NULL && X509_up_ref(k->policy.ocsp_ca_cert) != 1)
		k->policy.ocsp_ca_cert = NULL;
	if ((p->names != NULL && (k->policy.names = name_rules_dup(p->names)) == NULL) ||
	    k->policy.ocsp_ca_cert != p->ocsp_ca_cert) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (ks_spki_digest(k->pkey, k->spki_sha256) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot digest the public key");
		goto out;
	}
	pthread_mutex_lock(&ks->lock);
	rc = ks_hold(ks, k, msg);
	pthread_mutex_unlock(&ks->lock);
	if (rc != EDGECA_OK)
		goto out;
	*out = k;
	k = NULL;
out:
	ks_key_free(k);
	return rc;
}

edgeca_err
keystore_create(struct keystore *ks, const char *algorithm, const struct signer_policy *p,
                struct signer_key **out, struct edgeca_msg *msg)
{
	const struct key_algorithm *alg = key_algorithm_find(algorithm);
	char id[KEY_ID_LEN + 1];
	EVP_PKEY *pkey = NULL;
	edgeca_err rc;

	*out = NULL;
	if (alg == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "unsupported-key-algorithm",
		                   "the key algorithm %s is not supported", algorithm);
	if ((rc = policy_validate(p, msg)) != EDGECA_OK)
		return rc;
	if (new_id(id) != 0)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot make a key id");
	if (ks->token != NULL) {
		/* a token that fails is unavailable, not a bad request */
		if ((rc = p11_generate(ks->token, id, algorithm, &pkey, msg)) != EDGECA_OK)
			return rc == EDGECA_ERR_INVALID ? EDGECA_ERR_INTERNAL : rc;
	} else if (alg->param != NULL) {
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, alg->type, alg->param);
	} else {
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, alg->type, alg->bits);
	}
	if (pkey == NULL) {
		log_openssl_errors("keystore_create");
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "key generation failed");
	}
	rc = hold_new(ks, id, algorithm, pkey, ks->token != NULL, p, out, msg);
	if (rc == EDGECA_OK)
		log_info("keystore_create: key=%s algorithm=%s%s", id, algorithm,
		         ks->token != NULL ? " in the PKCS#11 token" : "");
	return rc;
}

edgeca_err
keystore_import(struct keystore *ks, EVP_PKEY *pkey, const struct signer_policy *p,
                struct signer_key **out, struct edgeca_msg *msg)
{
	char algorithm[16] = "", curve[32] = "", id[KEY_ID_LEN + 1];
	edgeca_err rc;

	*out = NULL;
	if (EVP_PKEY_is_a(pkey, "EC") &&
	    EVP_PKEY_get_utf8_string_param(pkey, "group", curve, sizeof(curve), NULL) == 1) {
		if (strcmp(curve, "prime256v1") == 0 || strcmp(curve, "P-256") == 0)
			snprintf(algorithm, sizeof(algorithm), "EC-P256");
		else if (strcmp(curve, "secp384r1") == 0 || strcmp(curve, "P-384") == 0)
			snprintf(algorithm, sizeof(algorithm), "EC-P384");
	} else if (EVP_PKEY_is_a(pkey, "RSA")) {
		snprintf(algorithm, sizeof(algorithm), "RSA-%d", EVP_PKEY_get_bits(pkey));
	}
	ERR_clear_error();
	if (key_algorithm_find(algorithm) == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "unsupported-key-algorithm",
		                   "the key is not one of EC P-256, EC P-384, RSA 2048, 3072 or "
		                   "4096 bits");
	{
		BIGNUM *priv = NULL;
		int has = EVP_PKEY_get_bn_param(pkey, "priv", &priv) == 1 ||
		          EVP_PKEY_get_bn_param(pkey, "d", &priv) == 1;
		BN_clear_free(priv);
		ERR_clear_error();
		if (!has)
			return edgeca_fail(msg, EDGECA_ERR_INVALID, "key-not-private",
			                   "the key holds no private part");
	}
	if ((rc = policy_validate(p, msg)) != EDGECA_OK)
		return rc;
	if (new_id(id) != 0 || EVP_PKEY_up_ref(pkey) != 1)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	rc = hold_new(ks, id, algorithm, pkey, false, p, out, msg);
	if (rc == EDGECA_OK)
		log_info("keystore_import: key=%s algorithm=%s adopted", (*out)->id, algorithm);
	return rc;
}

edgeca_err
keystore_seal(struct keystore *ks, struct signer_key *key, struct buf *rec, uint32_t *version,
              struct edgeca_msg *msg)
{
	struct buf meta = {0};
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	unsigned char *der = NULL;
	int der_len = 0;
	edgeca_err rc = EDGECA_ERR_INTERNAL;

	pthread_mutex_lock(&ks->lock);
	*version = key->record_version;
	if (keymeta_format(ks->meta_mac_key, key, &meta) != 0)
		meta.len = 0;
	pthread_mutex_unlock(&ks->lock);
	if (meta.len == 0 ||
	    (!key->in_token && ((p8 = EVP_PKEY2PKCS8(key->pkey)) == NULL ||
	                        (der_len = i2d_PKCS8_PRIV_KEY_INFO(p8, &der)) <= 0))) {
		log_openssl_errors("keystore_seal");
		edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot encode the key for its record");
		goto out;
	}
	rc = keyrecord_seal(&ks->rk, *version, (const char *)meta.data, meta.len, der,
	                    (size_t)der_len, rec, msg);
out:
	if (der != NULL) {
		OPENSSL_cleanse(der, (size_t)der_len);
		OPENSSL_free(der);
	}
	PKCS8_PRIV_KEY_INFO_free(p8);
	buf_free(&meta);
	return rc;
}

/* The token's key of a record that says its key is in a PKCS#11 token
 * (the record then holds no key material). */
static edgeca_err
token_key(struct keystore *ks, struct signer_key *k, const struct keyrecord_opened *o,
          struct edgeca_msg *msg)
{
	edgeca_err rc;

	if (o->secret_len != 0)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "key-record-damaged",
		                   "the record of a token key holds key material");
	if (ks->token == NULL)
		return edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, "key-in-token",
		                   "key %s lives in a PKCS#11 token and this signer has none "
		                   "(EDGECA_KEY_STORE=pkcs11)", k->id);
	rc = p11_find(ks->token, k->id, &k->pkey, msg);
	if (rc == EDGECA_ERR_NOT_FOUND)
		return edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, "key-not-in-token",
		                   "the PKCS#11 token of this signer has no key %s: is it the "
		                   "deployment's token?", k->id);
	return rc;
}

/* The key an opened record holds, checked: its id, its metadata and a
 * private key that matches the metadata's public key digest. */
static edgeca_err
key_from_record(struct keystore *ks, const char *id, struct keyrecord_opened *o,
                struct signer_key **out, struct edgeca_msg *msg)
{
	struct signer_key *k = calloc(1, sizeof(*k));
	const unsigned char *p = o->secret;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	char digest[SHA256_HEX_BYTES];
	edgeca_err rc = EDGECA_OK;

	*out = NULL;
	if (k == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	snprintf(k->id, sizeof(k->id), "%s", id);
	k->record_version = o->version;
	if (o->version < 1 || keymeta_parse(ks->meta_mac_key, k, o->meta, o->meta_len) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "key-record-mismatch",
		                 "the record is not the record of key %s", id);
		goto out;
	}
	if (k->in_token && (rc = token_key(ks, k, o, msg)) != EDGECA_OK)
		goto out;
	if (!k->in_token &&
	    ((p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)o->secret_len)) == NULL ||
	     p != o->secret + o->secret_len || (k->pkey = EVP_PKCS82PKEY(p8)) == NULL))
		k->pkey = NULL;
	if (k->pkey == NULL || ks_spki_digest(k->pkey, digest) != 0 ||
	    strcmp(digest, k->spki_sha256) != 0) {
		log_openssl_errors("keystore_load");
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "key-record-damaged",
		                 "the record's private key does not match its metadata");
		goto out;
	}
	*out = k;
	k = NULL;
out:
	PKCS8_PRIV_KEY_INFO_free(p8);
	ks_key_free(k);
	return rc;
}

edgeca_err
keystore_load(struct keystore *ks, const char *id, const unsigned char *rec, size_t len,
              struct edgeca_msg *msg)
{
	struct keyrecord_opened o = {0};
	struct signer_key *k = NULL, *held;
	edgeca_err rc;

	if (!ks_key_id_valid(id))
		return edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "key-not-found", "no signer key %s", id);
	if ((rc = keyrecord_open(&ks->rk, rec, len, &o, msg)) != EDGECA_OK ||
	    (rc = key_from_record(ks, id, &o, &k, msg)) != EDGECA_OK)
		goto out;
	pthread_mutex_lock(&ks->lock);
	held = ks_find(ks, id);
	if (held == NULL && ks_find_destroyed(ks, id) != NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "key-destroyed",
		                 "key %s was destroyed: its record no longer loads here", id);
	} else if (held == NULL) {
		if ((rc = ks_hold(ks, k, msg)) == EDGECA_OK) {
			log_info("keystore_load: key=%s loaded from its record (version %u%s)", id,
			         k->record_version, k->in_token ? ", in the PKCS#11 token" : "");
			k = NULL;
		}
	} else if (strcmp(held->spki_sha256, k->spki_sha256) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "key-record-mismatch",
		                 "the record is not the record of key %s", id);
	} else if (k->record_version > held->record_version) {
		if (held->cert == NULL && k->cert != NULL) {
			held->cert = k->cert;
			k->cert = NULL;
			log_info("keystore_load: key=%s has its CA certificate (record version %u)",
			         id, k->record_version);
		}
		held->record_version = k->record_version;
	}
	pthread_mutex_unlock(&ks->lock);
out:
	ks_key_free(k);
	keyrecord_opened_free(&o);
	return rc;
}

edgeca_err
keystore_migrate_next(struct keystore *ks, const char *after, struct signer_key **out,
                      struct edgeca_msg *msg)
{
	struct signer_key *k = NULL;
	edgeca_err rc = EDGECA_OK;
	size_t i = 0;

	*out = NULL;
	if (after != NULL) {
		pthread_mutex_lock(&ks->lock);
		k = ks_find(ks, after);
		pthread_mutex_unlock(&ks->lock);
		/* only a key this signer read from its files and returned */
		if (k != NULL && ks_key_id_valid(after) && files_retire(ks, after) == 0)
			log_info("keystore_migrate: key=%s is a sealed record now; its files are in "
			         "%s/migrated", after, ks->keys_dir);
		while (i < ks->n_legacy && strcmp(ks->legacy[i], after) <= 0)
			i++;
	}
	for (; i < ks->n_legacy && *out == NULL; i++) {
		struct edgeca_msg why = {0};
		const char *id = ks->legacy[i];

		pthread_mutex_lock(&ks->lock);
		*out = ks_find(ks, id);
		pthread_mutex_unlock(&ks->lock);
		if (*out != NULL)
			break; /* read already, by an earlier pass */
		if (files_read_key(ks, id, &k, &why) != EDGECA_OK) {
			log_error("keystore_migrate: key=%s stays in files: %s", id, why.detail);
			continue;
		}
		pthread_mutex_lock(&ks->lock);
		rc = ks_hold(ks, k, msg);
		pthread_mutex_unlock(&ks->lock);
		if (rc != EDGECA_OK) {
			ks_key_free(k);
			break;
		}
		*out = k;
	}
	return rc;
}

X509 *
keystore_key_cert(struct keystore *ks, struct signer_key *key)
{
	X509 *c = NULL;

	pthread_mutex_lock(&ks->lock);
	if (key->cert != NULL && X509_up_ref(key->cert) == 1)
		c = key->cert;
	pthread_mutex_unlock(&ks->lock);
	return c;
}

edgeca_err
keystore_set_cert(struct keystore *ks, struct signer_key *key, X509 *cert,
                  struct edgeca_msg *msg)
{
	edgeca_err rc = EDGECA_OK;

	if (EVP_PKEY_eq(X509_get0_pubkey(cert), key->pkey) != 1) {
		ERR_clear_error();
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "certificate-key-mismatch",
		                   "the certificate's public key is not this key's");
	}
	pthread_mutex_lock(&ks->lock);
	if (key->cert != NULL) {
		if (X509_cmp(key->cert, cert) != 0)
			rc = edgeca_fail(msg, EDGECA_ERR_CONFLICT, "key-already-certified",
			                 "this key already has a CA certificate");
		goto out;
	}
	if (X509_up_ref(cert) != 1) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	key->cert = cert;
	key->record_version++;
out:
	pthread_mutex_unlock(&ks->lock);
	return rc;
}
