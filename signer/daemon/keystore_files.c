/* The key store's files: the file store of earlier versions (keys/<id>.key
 * as encrypted PKCS#8 PEM and keys/<id>.meta under an HMAC), read once to
 * move each key into a sealed record, and the number of the last CRL each
 * key signed (keys/<id>.crl), which stays with this signer. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/encoding.h"
#include "common/log.h"
#include "signer/daemon/files.h"
#include "signer/daemon/keystore_int.h"

#define CRL_MAGIC "edgeca-signer-crl 1"

static int
id_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

int
files_list(struct keystore *ks)
{
	DIR *d = opendir(ks->keys_dir);
	struct dirent *e;
	size_t cap = 0;
	int rc = -1;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char id[KEY_ID_LEN + 1];

		if (len != KEY_ID_LEN + 5 || strcmp(e->d_name + KEY_ID_LEN, ".meta") != 0)
			continue;
		memcpy(id, e->d_name, KEY_ID_LEN);
		id[KEY_ID_LEN] = '\0';
		if (!ks_key_id_valid(id))
			continue;
		if (ks->n_legacy == cap) {
			size_t ncap = cap ? 2 * cap : 64;
			void *p = realloc(ks->legacy, ncap * sizeof(*ks->legacy));
			if (p == NULL)
				goto out;
			ks->legacy = p;
			cap = ncap;
		}
		memcpy(ks->legacy[ks->n_legacy++], id, sizeof(id));
	}
	if (ks->n_legacy > 0)
		qsort(ks->legacy, ks->n_legacy, sizeof(*ks->legacy), id_cmp);
	rc = 0;
out:
	closedir(d);
	return rc;
}

edgeca_err
files_read_key(struct keystore *ks, const char *id, struct signer_key **out,
               struct edgeca_msg *msg)
{
	struct signer_key *k = NULL;
	unsigned char *meta = NULL, *pem = NULL;
	size_t meta_len = 0, pem_len = 0;
	char path[PATH_BYTES], digest[SHA256_HEX_BYTES];
	BIO *bio = NULL;
	edgeca_err rc;

	*out = NULL;
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
		log_openssl_errors("files_read_key");
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, "key-damaged",
		                 "the signer key cannot be decrypted");
		goto out;
	}
	/* the key file must hold the key the metadata was written for */
	if (ks_spki_digest(k->pkey, digest) != 0 || strcmp(digest, k->spki_sha256) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, "key-damaged",
		                 "the signer key file was replaced");
		goto out;
	}
	k->record_version = k->cert != NULL ? 2 : 1;
	*out = k;
	k = NULL;
	rc = EDGECA_OK;
out:
	ks_key_free(k);
	BIO_free(bio);
	if (pem != NULL) {
		OPENSSL_cleanse(pem, pem_len);
		free(pem);
	}
	free(meta);
	return rc;
}

int
files_retire(struct keystore *ks, const char *id)
{
	static const char *const ext[] = {"key", "meta"};
	char dir[PATH_BYTES - 64], from[PATH_BYTES], to[PATH_BYTES];

	snprintf(dir, sizeof(dir), "%s/migrated", ks->keys_dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	for (size_t i = 0; i < 2; i++) {
		snprintf(from, sizeof(from), "%s/%s.%s", ks->keys_dir, id, ext[i]);
		snprintf(to, sizeof(to), "%s/%s.%s", dir, id, ext[i]);
		if (rename(from, to) != 0 && errno != ENOENT)
			return -1;
	}
	return 0;
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
