/* Private key forms of a signer key file, for leak checks. */
#include "tests/support/key_material.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tests/support/harness.h"

/* The signer's label for the PKCS#8 passphrase (signer/daemon/keystore.c). */
#define PASSPHRASE_LABEL "edgeca-signer pkcs8 passphrase v1"
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

/* The hex passphrase the signer encrypts its key files with. */
static void
passphrase(const char *state_dir, char pass[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char mac[32];
	unsigned int mac_len = sizeof(mac);
	char path[512];
	size_t len = 0;
	char *kek;

	snprintf(path, sizeof(path), "%s/kek", state_dir);
	kek = read_file(path, &len);
	assert_int_equal(len, KEK_LEN);
	assert_non_null(HMAC(EVP_sha256(), kek, KEK_LEN, (const unsigned char *)PASSPHRASE_LABEL,
	                     strlen(PASSPHRASE_LABEL), mac, &mac_len));
	for (size_t i = 0; i < sizeof(mac); i++) {
		pass[2 * i] = digits[mac[i] >> 4];
		pass[2 * i + 1] = digits[mac[i] & 15];
	}
	pass[64] = '\0';
	OPENSSL_cleanse(kek, len);
	OPENSSL_cleanse(mac, sizeof(mac));
	free(kek);
}

void
key_material_load(const char *state_dir, const char *key_id, struct key_material *km)
{
	char path[512], pass[65];
	char *pem;
	BIO *b;
	EVP_PKEY *key;
	PKCS8_PRIV_KEY_INFO *p8;
	unsigned char *der = NULL;
	int len;

	memset(km, 0, sizeof(*km));
	snprintf(km->key_id, sizeof(km->key_id), "%s", key_id);
	passphrase(state_dir, pass);
	snprintf(path, sizeof(path), "%s/keys/%s.key", state_dir, key_id);
	pem = read_file(path, NULL);
	b = BIO_new_mem_buf(pem, -1);
	assert_non_null(b);
	key = PEM_read_bio_PrivateKey(b, NULL, NULL, pass);
	if (key == NULL)
		fail_msg("%s cannot be decrypted", path);

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
	BIO_free(b);
	OPENSSL_cleanse(pem, strlen(pem));
	free(pem);
	OPENSSL_cleanse(pass, sizeof(pass));
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
