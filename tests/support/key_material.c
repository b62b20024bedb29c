/* Private key forms of a signer key, from its sealed record, for leak
 * checks. */
#include "tests/support/key_material.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tests/support/harness.h"

/* The file store's label for the PKCS#8 passphrase of key files (before
 * version 2 of the signer protocol). */
#define PASSPHRASE_LABEL "edgeca-signer pkcs8 passphrase v1"
/* The signer's label for the record key (signer/daemon/keyrecord.c). */
#define RECORD_KEY_LABEL "edgeca-signer sealed record key v1"
#define KEK_LEN 32

static void
add_secret(struct key_material *km, const char *form, unsigned char *bytes, size_t len)
{
	assert_non_null(bytes);
	assert_true(len >= 16); /* shorter would match by chance */
	assert_true(km->n < KEY_MATERIAL_MAX);
	km->secret[km->n].form = form;
	km->secret[km->n].bytes = bytes;
	km->secret[km->n].len = len;
	km->n++;
}

/* A private BIGNUM parameter of key, big-endian without leading zeros. */
static void
add_bn(struct key_material *km, EVP_PKEY *key, const char *param, const char *form)
{
	BIGNUM *bn = NULL;
	unsigned char *bytes;
	int len;

	if (EVP_PKEY_get_bn_param(key, param, &bn) != 1)
		fail_msg("key %s: no %s", km->key_id, form);
	len = BN_num_bytes(bn);
	bytes = OPENSSL_malloc((size_t)len);
	assert_non_null(bytes);
	assert_int_equal(BN_bn2bin(bn, bytes), len);
	BN_clear_free(bn);
	add_secret(km, form, bytes, (size_t)len);
}

/* The private key inside a sealed key record (signer/PROTOCOL.md,
 * "Sealed key records"), opened here the way the format says, with the
 * record key derived from <state_dir>/kek: the test's own reading of the
 * format, not the signer's code. */
static EVP_PKEY *
record_key(const char *state_dir, const unsigned char *rec, size_t len)
{
	const size_t head = 4 + 1 + 8 + 4 + 12 + 4;
	unsigned char key[32], *plain = NULL;
	unsigned int key_len = sizeof(key);
	char path[512];
	size_t kek_len = 0, meta_len, ct_len;
	const unsigned char *p;
	char *kek;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	EVP_PKEY *pk = NULL;
	int n = 0;

	snprintf(path, sizeof(path), "%s/kek", state_dir);
	kek = read_file(path, &kek_len);
	assert_int_equal(kek_len, KEK_LEN);
	assert_non_null(HMAC(EVP_sha256(), kek, KEK_LEN, (const unsigned char *)RECORD_KEY_LABEL,
	                     strlen(RECORD_KEY_LABEL), key, &key_len));
	assert_true(len > head + 4 + 16);
	assert_memory_equal(rec, "ESKR\x01", 5);
	meta_len = (size_t)rec[head - 4] << 24 | (size_t)rec[head - 3] << 16 |
	           (size_t)rec[head - 2] << 8 | rec[head - 1];
	p = rec + head + meta_len;
	ct_len = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
	assert_int_equal(head + meta_len + 4 + ct_len + 16, len);
	plain = malloc(ct_len);
	assert_non_null(plain);
	assert_non_null(c);
	assert_int_equal(EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, rec + 17), 1);
	assert_int_equal(EVP_DecryptUpdate(c, NULL, &n, rec, (int)(head + meta_len)), 1);
	assert_int_equal(EVP_DecryptUpdate(c, plain, &n, p + 4, (int)ct_len), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)(rec + len - 16)),
	                 1);
	if (EVP_DecryptFinal_ex(c, plain + n, &n) != 1)
		fail_msg("the record of the key does not open under the signer's KEK");
	p = plain;
	pk = d2i_AutoPrivateKey(NULL, &p, (long)ct_len);
	assert_non_null(pk);
	OPENSSL_cleanse(plain, ct_len);
	free(plain);
	OPENSSL_cleanse(kek, kek_len);
	free(kek);
	OPENSSL_cleanse(key, sizeof(key));
	EVP_CIPHER_CTX_free(c);
	return pk;
}

void
key_material_load(const char *state_dir, const char *key_id, const unsigned char *record,
                  size_t record_len, struct key_material *km)
{
	EVP_PKEY *key;
	PKCS8_PRIV_KEY_INFO *p8;
	unsigned char *der = NULL;
	int len;

	memset(km, 0, sizeof(*km));
	snprintf(km->key_id, sizeof(km->key_id), "%s", key_id);
	key = record_key(state_dir, record, record_len);

	p8 = EVP_PKEY2PKCS8(key);
	assert_non_null(p8);
	len = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
	assert_true(len > 0);
	add_secret(km, "PKCS#8 DER", der, (size_t)len);
	der = NULL;
	len = i2d_PrivateKey(key, &der); /* the traditional (type-specific) form */
	assert_true(len > 0);
	add_secret(km, "traditional DER", der, (size_t)len);
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
		add_bn(km, key, OSSL_PKEY_PARAM_RSA_D, "RSA d");
		add_bn(km, key, OSSL_PKEY_PARAM_RSA_FACTOR1, "RSA p");
		add_bn(km, key, OSSL_PKEY_PARAM_RSA_FACTOR2, "RSA q");
	} else {
		add_bn(km, key, OSSL_PKEY_PARAM_PRIV_KEY, "private scalar");
	}

	PKCS8_PRIV_KEY_INFO_free(p8);
	EVP_PKEY_free(key);
}

void
key_material_write_legacy(const char *state_dir, const char *key_id, const unsigned char *record,
                          size_t len)
{
	const size_t head = 4 + 1 + 8 + 4 + 12 + 4;
	size_t meta_len = (size_t)record[head - 4] << 24 | (size_t)record[head - 3] << 16 |
	                  (size_t)record[head - 2] << 8 | record[head - 1];
	EVP_PKEY *key = record_key(state_dir, record, len);
	unsigned char mac[32];
	unsigned int mac_len = sizeof(mac);
	char path[600], pass[65], *kek;
	size_t kek_len = 0;
	struct stat kek_st;
	BIO *pem = BIO_new(BIO_s_mem());
	char *pem_data = NULL;
	long pem_len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/kek", state_dir);
	assert_int_equal(stat(path, &kek_st), 0);
	kek = read_file(path, &kek_len);
	assert_non_null(HMAC(EVP_sha256(), kek, KEK_LEN, (const unsigned char *)PASSPHRASE_LABEL,
	                     strlen(PASSPHRASE_LABEL), mac, &mac_len));
	for (size_t i = 0; i < sizeof(mac); i++)
		snprintf(pass + 2 * i, 3, "%02x", mac[i]);
	assert_non_null(pem);
	assert_int_equal(PEM_write_bio_PKCS8PrivateKey(pem, key, EVP_aes_256_cbc(), pass, 64, NULL,
	                                               NULL), 1);
	pem_len = BIO_get_mem_data(pem, &pem_data);
	snprintf(path, sizeof(path), "%s/keys/%s.key", state_dir, key_id);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(pem_data, 1, (size_t)pem_len, f), (size_t)pem_len);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(chown(path, kek_st.st_uid, kek_st.st_gid), 0);
	snprintf(path, sizeof(path), "%s/keys/%s.meta", state_dir, key_id);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(record + head, 1, meta_len, f), meta_len);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
	/* the signer's own, as it wrote them */
	assert_int_equal(chown(path, kek_st.st_uid, kek_st.st_gid), 0);
	BIO_free(pem);
	EVP_PKEY_free(key);
	OPENSSL_cleanse(kek, kek_len);
	OPENSSL_cleanse(pass, sizeof(pass));
	free(kek);
}

void
key_material_free(struct key_material *km)
{
	if (km == NULL)
		return;
	for (unsigned i = 0; i < km->n; i++)
		OPENSSL_clear_free(km->secret[i].bytes, km->secret[i].len);
	km->n = 0;
}

void
key_material_absent(const struct key_material *km, const unsigned char *data, size_t len,
                    const char *where)
{
	for (unsigned i = 0; i < km->n; i++)
		if (memmem(data, len, km->secret[i].bytes, km->secret[i].len) != NULL)
			fail_msg("%s carries the %s of key %s", where, km->secret[i].form, km->key_id);
}
