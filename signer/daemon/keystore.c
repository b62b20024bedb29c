#include "signer/daemon/keystore.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/digests.h"
#include "common/encoding.h"
#include "common/log.h"
#include "common/x509util.h"
#include "signer/daemon/algorithms.h"
#include "signer/daemon/files.h"
#include "signer/daemon/keymeta.h"

#define KEK_LEN 32
#define CRL_MAGIC "edgeca-signer-crl 1"

struct keystore {
	char *dir;
	char kek_path[4096];
	char keys_dir[4096];
	unsigned n_keys;   /* keys on disk */
	unsigned max_keys;
	unsigned char kek[KEK_LEN];
	char key_pass[2 * 32 + 1]; /* PKCS#8 passphrase derived from the KEK */
	unsigned char meta_mac_key[KEYMETA_MAC_KEY_LEN];
	unsigned char crl_mac_key[32]; /* keys/<id>.crl records */
	pthread_mutex_t lock;
	struct signer_key *keys;
};

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

static edgeca_err
load_or_create_kek(struct keystore *ks, struct edgeca_msg *msg)
{
	char path[PATH_BYTES];
	unsigned char *data = NULL;
	size_t len = 0;
	struct stat st;
	edgeca_err rc = EDGECA_ERR_INTERNAL;
	int fd;

	snprintf(path, sizeof(path), "%s", ks->kek_path);
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
	{
		unsigned char pass[32];
		if (derive(ks->kek, "edgeca-signer pkcs8 passphrase v1", pass) != 0 ||
		    derive(ks->kek, "edgeca-signer metadata mac v1", ks->meta_mac_key) != 0 ||
		    derive(ks->kek, "edgeca-signer crl number mac v1", ks->crl_mac_key) != 0) {
			edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot derive keys from the KEK");
			goto out;
		}
		hex_encode(pass, sizeof(pass), ks->key_pass);
		OPENSSL_cleanse(pass, sizeof(pass));
	}
	rc = EDGECA_OK;
out:
	if (data != NULL) {
		OPENSSL_cleanse(data, len);
		free(data);
	}
	return rc;
}

/* Counts the keys on disk (their metadata files). */
static unsigned
count_keys(const char *keys_dir)
{
	DIR *d = opendir(keys_dir);
	struct dirent *e;
	unsigned n = 0;

	while (d != NULL && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len > 5 && strcmp(e->d_name + len - 5, ".meta") == 0)
			n++;
	}
	if (d != NULL)
		closedir(d);
	return n;
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
	ks->dir = strdup(dir);
	if (ks->dir == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
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
	rc = load_or_create_kek(ks, msg);
	if (rc != EDGECA_OK)
		goto out;
	ks->n_keys = count_keys(ks->keys_dir);
	*out = ks;
	ks = NULL;
out:
	keystore_free(ks);
	return rc;
}

static void
key_free(struct signer_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	X509_free(k->cert);
	name_rules_free(k->policy.names);
	free(k);
}

void
keystore_free(struct keystore *ks)
{
	struct signer_key *k, *next;

	if (ks == NULL)
		return;
	for (k = ks->keys; k != NULL; k = next) {
		next = k->next;
		key_free(k);
	}
	OPENSSL_cleanse(ks->kek, sizeof(ks->kek));
	OPENSSL_cleanse(ks->key_pass, sizeof(ks->key_pass));
	OPENSSL_cleanse(ks->meta_mac_key, sizeof(ks->meta_mac_key));
	OPENSSL_cleanse(ks->crl_mac_key, sizeof(ks->crl_mac_key));
	pthread_mutex_destroy(&ks->lock);
	free(ks->dir);
	free(ks);
}

/* SHA-256 of the DER SubjectPublicKeyInfo, as hex. */
static int
spki_digest(EVP_PKEY *pk, char out[SHA256_HEX_BYTES])
{
	unsigned char *der = NULL, md[32];
	unsigned int md_len = sizeof(md);
	int len = i2d_PUBKEY(pk, &der), rc = -1;

	if (len > 0 && EVP_Digest(der, (size_t)len, md, &md_len, EVP_sha256(), NULL) == 1) {
		hex_encode(md, md_len, out);
		rc = 0;
	}
	OPENSSL_free(der);
	return rc;
}

static int
key_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n != KEY_ID_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)id[i]) || isupper((unsigned char)id[i]))
			return 0;
	return 1;
}

static int
meta_write(const struct keystore *ks, const struct signer_key *k)
{
	struct buf b = {0};
	char path[PATH_BYTES];
	int rc = -1;

	if (keymeta_format(ks->meta_mac_key, k, &b) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/%s.meta", ks->keys_dir, k->id);
	rc = file_write_atomic(ks->keys_dir, path, b.data, b.len, 0600);
out:
	buf_free(&b);
	return rc;
}

static edgeca_err
key_load(struct keystore *ks, const char *id, struct signer_key **out, struct edgeca_msg *msg)
{
	struct signer_key *k = NULL;
	unsigned char *meta = NULL, *pem = NULL;
	size_t meta_len = 0, pem_len = 0;
	char path[PATH_BYTES];
	BIO *bio = NULL;
	edgeca_err rc;

	snprintf(path, sizeof(path), "%s/%s.meta", ks->keys_dir, id);
	if (file_read(path, 64 * 1024, &meta, &meta_len) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "key-not-found", "no signer key %s", id);
		goto out;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	snprintf(k->id, sizeof(k->id), "%s", id);
	if (keymeta_parse(ks->meta_mac_key, k, (char *)meta, meta_len) != 0) {
		log_error("key_load: key=%s: metadata is damaged or was altered", id);
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, "key-damaged",
		                 "the signer key's metadata failed its integrity check");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s.key", ks->keys_dir, id);
	/* Only an encrypted PKCS#8 file is a key of this store. */
	if (file_read(path, 64 * 1024, &pem, &pem_len) != 0 ||
	    strncmp((char *)pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----", 37) != 0 ||
	    (bio = BIO_new_mem_buf(pem, (int)pem_len)) == NULL ||
	    (k->pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, ks->key_pass)) == NULL) {
		log_openssl_errors("key_load");
		log_error("key_load: key=%s: private key cannot be read or decrypted", id);
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, "key-damaged",
		                 "the signer key cannot be decrypted");
		goto out;
	}
	{
		/* the key file must hold the key the metadata was written for */
		char digest[SHA256_HEX_BYTES];
		if (spki_digest(k->pkey, digest) != 0 || strcmp(digest, k->spki_sha256) != 0) {
			log_error("key_load: key=%s: the key file does not match its metadata", id);
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, "key-damaged",
			                 "the signer key file was replaced");
			goto out;
		}
	}
	*out = k;
	k = NULL;
	rc = EDGECA_OK;
out:
	key_free(k);
	BIO_free(bio);
	if (pem != NULL) {
		OPENSSL_cleanse(pem, pem_len);
		free(pem);
	}
	free(meta);
	return rc;
}

edgeca_err
keystore_get(struct keystore *ks, const char *id, struct signer_key **out,
             struct edgeca_msg *msg)
{
	struct signer_key *k, *loaded = NULL;
	edgeca_err rc = EDGECA_OK;

	*out = NULL;
	if (!key_id_valid(id))
		return edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "key-not-found",
		                   "no signer key %s", id);
	pthread_mutex_lock(&ks->lock);
	for (k = ks->keys; k != NULL; k = k->next)
		if (strcmp(k->id, id) == 0)
			break;
	if (k == NULL) {
		rc = key_load(ks, id, &loaded, msg);
		if (rc == EDGECA_OK) {
			loaded->next = ks->keys;
			ks->keys = loaded;
			k = loaded;
		}
	}
	pthread_mutex_unlock(&ks->lock);
	*out = k;
	return rc;
}

edgeca_err
keystore_create(struct keystore *ks, const char *algorithm, const struct signer_policy *p,
                struct signer_key **out, struct edgeca_msg *msg)
{
	struct signer_key *k = NULL;
	unsigned char rnd[KEY_ID_LEN / 2];
	char path[PATH_BYTES];
	BIO *bio = NULL;
	char *pem = NULL;
	long pem_len;
	const struct key_algorithm *alg = key_algorithm_find(algorithm);
	edgeca_err rc;

	*out = NULL;
	if (alg == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "unsupported-key-algorithm",
		                   "the key algorithm %s is not supported", algorithm);
	rc = policy_validate(p, msg);
	if (rc != EDGECA_OK)
		return rc;
	/* A bound on what a misbehaving caller can make the signer store. */
	pthread_mutex_lock(&ks->lock);
	if (ks->n_keys >= ks->max_keys)
		rc = edgeca_fail(msg, EDGECA_ERR_CONFLICT, "key-limit-reached",
		                 "the signer holds %u keys, its limit", ks->max_keys);
	else
		ks->n_keys++; /* reserved; given back below if creation fails */
	pthread_mutex_unlock(&ks->lock);
	if (rc != EDGECA_OK)
		return rc;
	k = calloc(1, sizeof(*k));
	if (k == NULL || RAND_bytes(rnd, sizeof(rnd)) != 1) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot allocate a key");
		goto out;
	}
	hex_encode(rnd, sizeof(rnd), k->id);
	snprintf(k->algorithm, sizeof(k->algorithm), "%s", algorithm);
	k->policy = *p;
	k->policy.names = NULL;
	if (p->names != NULL && (k->policy.names = name_rules_dup(p->names)) == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (alg->param != NULL)
		k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, alg->type, alg->param);
	else
		k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, alg->type, alg->bits);
	if (k->pkey == NULL || spki_digest(k->pkey, k->spki_sha256) != 0) {
		log_openssl_errors("keystore_create");
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "key generation failed");
		goto out;
	}
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL ||
	    PEM_write_bio_PKCS8PrivateKey(bio, k->pkey, EVP_aes_256_cbc(), ks->key_pass,
	                                  (int)strlen(ks->key_pass), NULL, NULL) != 1 ||
	    (pem_len = BIO_get_mem_data(bio, &pem)) <= 0) {
		log_openssl_errors("keystore_create");
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot encrypt the new key");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s.key", ks->keys_dir, k->id);
	if (file_write_atomic(ks->keys_dir, path, pem, (size_t)pem_len, 0600) != 0 ||
	    meta_write(ks, k) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot store the new key: %s",
		                 strerror(errno));
		goto out;
	}
	pthread_mutex_lock(&ks->lock);
	k->next = ks->keys;
	ks->keys = k;
	pthread_mutex_unlock(&ks->lock);
	log_info("keystore_create: key=%s algorithm=%s", k->id, algorithm);
	*out = k;
	k = NULL;
	rc = EDGECA_OK;
out:
	if (k != NULL || rc != EDGECA_OK) {
		key_free(k);
		pthread_mutex_lock(&ks->lock);
		ks->n_keys--;
		pthread_mutex_unlock(&ks->lock);
	}
	BIO_free(bio);
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

	if (X509_check_private_key(cert, key->pkey) != 1)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "certificate-key-mismatch",
		                   "the certificate's public key is not this key's");
	pthread_mutex_lock(&ks->lock);
	if (key->cert != NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_CONFLICT, "key-already-certified",
		                 "this key already has a CA certificate");
		goto out;
	}
	if (X509_up_ref(cert) != 1) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	key->cert = cert;
	if (meta_write(ks, key) != 0) {
		key->cert = NULL;
		X509_free(cert);
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot store the key's certificate");
		goto out;
	}
out:
	pthread_mutex_unlock(&ks->lock);
	return rc;
}

/* The record of a key's last CRL number: its lines and an HMAC over them
 * under a key of its own, so a metadata file cannot pass for one. */
static int
crl_record(const struct keystore *ks, const char *id, uint64_t n, struct buf *b)
{
	unsigned char mac[32];
	unsigned int mac_len = sizeof(mac);
	char hex[SHA256_HEX_BYTES];

	if (buf_printf(b, "%s\nid %s\nlast_crl_number %" PRIu64 "\n", CRL_MAGIC, id, n) != 0 ||
	    HMAC(EVP_sha256(), ks->crl_mac_key, sizeof(ks->crl_mac_key), b->data, b->len, mac,
	         &mac_len) == NULL)
		return -1;
	hex_encode(mac, sizeof(mac), hex);
	return buf_printf(b, "hmac %s\n", hex);
}

/* Reads keys/<id>.crl into key (lock held): no file is no CRL yet; a file
 * is accepted only when it is exactly the record of its number. */
static edgeca_err
crl_load(struct keystore *ks, struct signer_key *key, struct edgeca_msg *msg)
{
	unsigned char *data = NULL;
	size_t len = 0, plen;
	struct buf expect = {0};
	char path[PATH_BYTES], prefix[128], *end;
	uint64_t n = 0;
	edgeca_err rc = EDGECA_ERR_INTERNAL;

	snprintf(path, sizeof(path), "%s/%s.crl", ks->keys_dir, key->id);
	if (file_read(path, 4096, &data, &len) != 0) {
		if (errno == ENOENT) {
			key->crl_last = 0;
			key->crl_loaded = 1;
			rc = EDGECA_OK;
		} else {
			edgeca_fail(msg, EDGECA_ERR_INTERNAL, "crl-state-damaged",
			            "the signer cannot read its CRL record for key %s", key->id);
		}
		goto out;
	}
	plen = (size_t)snprintf(prefix, sizeof(prefix), "%s\nid %s\nlast_crl_number ", CRL_MAGIC,
	                        key->id);
	errno = 0;
	if (len > plen && memcmp(data, prefix, plen) == 0 && data[plen] >= '0' &&
	    data[plen] <= '9')
		n = strtoull((char *)data + plen, &end, 10);
	if (n == 0 || errno != 0 || crl_record(ks, key->id, n, &expect) != 0 ||
	    expect.len != len || CRYPTO_memcmp(expect.data, data, len) != 0) {
		log_error("crl_load: key=%s: the CRL number record is damaged or was altered",
		          key->id);
		edgeca_fail(msg, EDGECA_ERR_INTERNAL, "crl-state-damaged",
		            "the signer's CRL number record of this key failed its integrity check");
		goto out;
	}
	key->crl_last = n;
	key->crl_loaded = 1;
	rc = EDGECA_OK;
out:
	buf_free(&expect);
	free(data);
	return rc;
}

edgeca_err
keystore_crl_last(struct keystore *ks, struct signer_key *key, uint64_t *last,
                  struct edgeca_msg *msg)
{
	edgeca_err rc = EDGECA_OK;

	pthread_mutex_lock(&ks->lock);
	if (!key->crl_loaded)
		rc = crl_load(ks, key, msg);
	*last = key->crl_last;
	pthread_mutex_unlock(&ks->lock);
	return rc;
}

edgeca_err
keystore_crl_advance(struct keystore *ks, struct signer_key *key, uint64_t n,
                     struct edgeca_msg *msg)
{
	struct buf b = {0};
	char path[PATH_BYTES];
	edgeca_err rc = EDGECA_OK;

	pthread_mutex_lock(&ks->lock);
	if (!key->crl_loaded && (rc = crl_load(ks, key, msg)) != EDGECA_OK)
		goto out;
	if (n <= key->crl_last) {
		rc = edgeca_fail(msg, EDGECA_ERR_CONFLICT, "crl-number-not-increasing",
		                 "CRL number %" PRIu64 " is not above %" PRIu64 ", the last this "
		                 "CA signed", n, key->crl_last);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s.crl", ks->keys_dir, key->id);
	if (crl_record(ks, key->id, n, &b) != 0 ||
	    file_write_atomic(ks->keys_dir, path, b.data, b.len, 0600) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
		                 "cannot store the CRL number: %s", strerror(errno));
		goto out;
	}
	key->crl_last = n;
out:
	pthread_mutex_unlock(&ks->lock);
	buf_free(&b);
	return rc;
}
