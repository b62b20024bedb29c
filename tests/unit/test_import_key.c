/* edgeca-signer import-key's reading of an operator's key: encrypted
 * PKCS#8 with the right, a wrong and no passphrase, plain PKCS#8, the
 * traditional EC form, a public key only, other PEM and an unsupported
 * curve; and the record it seals, opened by another key store holding
 * the same KEK. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "signer/daemon/import.h"
#include "signer/daemon/keystore.h"
#include "tests/support/certs.h"

static char *dir;

static int
setup(void **state)
{
	(void)state;
	dir = t_tmpdir();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	t_rmtree(dir);
	return 0;
}

/* The PEM text a writer makes of key (malloc'ed). */
enum pem_form { FORM_PKCS8_ENCRYPTED, FORM_PKCS8, FORM_TRADITIONAL, FORM_PUBLIC };

static char *
pem_of(EVP_PKEY *key, enum pem_form form, const char *pass)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *text;
	long len;
	int ok = 0;

	assert_non_null(b);
	switch (form) {
	case FORM_PKCS8_ENCRYPTED:
		ok = PEM_write_bio_PKCS8PrivateKey(b, key, EVP_aes_256_cbc(), NULL, 0, NULL,
		                                   (void *)pass);
		break;
	case FORM_PKCS8: ok = PEM_write_bio_PKCS8PrivateKey(b, key, NULL, NULL, 0, NULL, NULL); break;
	case FORM_TRADITIONAL:
		ok = PEM_write_bio_PrivateKey_traditional(b, key, NULL, NULL, 0, NULL, NULL);
		break;
	case FORM_PUBLIC: ok = PEM_write_bio_PUBKEY(b, key); break;
	}
	assert_int_equal(ok, 1);
	len = BIO_get_mem_data(b, &data);
	text = strndup(data, (size_t)len);
	assert_non_null(text);
	BIO_free(b);
	return text;
}

static void
expect_refused(const char *pem, const char *pass, const char *slug)
{
	struct edgeca_msg msg = {0};
	EVP_PKEY *got = NULL;

	assert_int_not_equal(import_read_key(pem, strlen(pem), pass, &got, &msg), EDGECA_OK);
	assert_null(got);
	assert_string_equal(msg.type, slug);
}

static void
expect_read(EVP_PKEY *key, const char *pem, const char *pass)
{
	struct edgeca_msg msg = {0};
	EVP_PKEY *got = NULL;

	if (import_read_key(pem, strlen(pem), pass, &got, &msg) != EDGECA_OK)
		fail_msg("import_read_key: %s", msg.detail);
	assert_int_equal(EVP_PKEY_eq(key, got), 1);
	EVP_PKEY_free(got);
}

static void
test_pkcs8_encrypted(void **state)
{
	EVP_PKEY *key = t_key("EC-P256");
	char *pem = pem_of(key, FORM_PKCS8_ENCRYPTED, "right horse");

	(void)state;
	assert_non_null(strstr(pem, "BEGIN ENCRYPTED PRIVATE KEY"));
	expect_read(key, pem, "right horse");
	expect_refused(pem, "wrong horse", "key-passphrase-wrong");
	expect_refused(pem, NULL, "key-passphrase-needed");
	free(pem);
	EVP_PKEY_free(key);
}

static void
test_plain_forms(void **state)
{
	EVP_PKEY *ec = t_key("EC-P384"), *rsa = t_key("RSA-2048");
	char *p8 = pem_of(rsa, FORM_PKCS8, NULL), *trad = pem_of(ec, FORM_TRADITIONAL, NULL);

	(void)state;
	assert_non_null(strstr(p8, "BEGIN PRIVATE KEY"));
	assert_non_null(strstr(trad, "BEGIN EC PRIVATE KEY"));
	expect_read(rsa, p8, NULL);
	expect_read(rsa, p8, "ignored"); /* a passphrase for a plain key changes nothing */
	expect_read(ec, trad, NULL);
	free(p8);
	free(trad);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
}

static void
test_not_a_private_key(void **state)
{
	EVP_PKEY *key = t_key("EC-P256");
	char *pub = pem_of(key, FORM_PUBLIC, NULL), *p8 = pem_of(key, FORM_PKCS8, NULL);
	X509 *cert = t_ca_cert(key, "Some CA", -1, time(NULL) - 60, time(NULL) + 86400);
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *cert_pem;
	long len;

	(void)state;
	assert_non_null(cert);
	assert_int_equal(PEM_write_bio_X509(b, cert), 1);
	len = BIO_get_mem_data(b, &data);
	cert_pem = strndup(data, (size_t)len);
	expect_refused(pub, NULL, "key-format-unsupported");
	expect_refused(cert_pem, NULL, "key-format-unsupported");
	expect_refused("just some text\n", NULL, "key-format-unsupported");
	expect_refused("", NULL, "key-format-unsupported");
	/* the label is right, the body is not a key */
	p8[40] = p8[40] == 'A' ? 'B' : 'A';
	expect_refused(p8, NULL, "key-unreadable");
	free(cert_pem);
	free(pub);
	free(p8);
	BIO_free(b);
	X509_free(cert);
	EVP_PKEY_free(key);
}

static struct keystore *
open_store(const char *sub, const char *kek)
{
	struct edgeca_msg msg = {0};
	struct keystore *ks = NULL;
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	assert_int_equal(mkdir(path, 0700), 0);
	if (keystore_open(path, kek, 10, &ks, &msg) != EDGECA_OK)
		fail_msg("keystore_open: %s", msg.detail);
	return ks;
}

static void
test_unsupported_curve(void **state)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp521r1");
	char *pem = pem_of(key, FORM_PKCS8, NULL), id[KEY_ID_LEN + 1];
	struct signer_policy p = {1u << TPL_CLIENT, 365, -1, NULL, "", NULL};
	struct keystore *ks = open_store("curve", NULL);
	struct edgeca_msg msg = {0};
	struct buf rec = {0};

	(void)state;
	expect_read(key, pem, NULL); /* readable, but not a key the signer uses */
	assert_int_equal(import_key_seal(ks, pem, strlen(pem), NULL, &p, &rec, id, &msg),
	                 EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "unsupported-key-algorithm");
	assert_int_equal(rec.len, 0);
	free(pem);
	keystore_free(ks);
	EVP_PKEY_free(key);
}

static void
test_sealed_record_opens_elsewhere(void **state)
{
	EVP_PKEY *key = t_key("EC-P256");
	char *pem = pem_of(key, FORM_PKCS8_ENCRYPTED, "pw"), id[KEY_ID_LEN + 1], kek[512];
	struct signer_policy p = {1u << TPL_CLIENT | 1u << TPL_SSL, 365, 0, NULL, "", NULL};
	struct signer_policy bad = {1u << TPL_CLIENT, 0, -1, NULL, "", NULL};
	struct keystore *ks = open_store("a", NULL), *other;
	struct signer_key *held = NULL;
	struct edgeca_msg msg = {0};
	struct buf rec = {0};

	(void)state;
	assert_int_equal(import_key_seal(ks, pem, strlen(pem), "pw", &bad, &rec, id, &msg),
	                 EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "policy-invalid");
	if (import_key_seal(ks, pem, strlen(pem), "pw", &p, &rec, id, &msg) != EDGECA_OK)
		fail_msg("import_key_seal: %s", msg.detail);
	assert_int_equal(strlen(id), KEY_ID_LEN);
	/* the private key is not in the record in clear */
	assert_null(memmem(rec.data, rec.len, pem, 40));
	snprintf(kek, sizeof(kek), "%s/a/kek", dir);
	other = open_store("b", kek);
	if (keystore_load(other, id, rec.data, rec.len, &msg) != EDGECA_OK)
		fail_msg("keystore_load: %s", msg.detail);
	assert_int_equal(keystore_get(other, id, &held, &msg), EDGECA_OK);
	assert_int_equal(EVP_PKEY_eq(held->pkey, key), 1);
	assert_int_equal(held->policy.templates, p.templates);
	assert_int_equal(held->policy.max_validity_days, 365);
	assert_int_equal(held->policy.path_length, 0);
	assert_int_equal(held->record_version, 1);
	keystore_free(other);
	keystore_free(ks);
	buf_free(&rec);
	free(pem);
	EVP_PKEY_free(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkcs8_encrypted),
		cmocka_unit_test(test_plain_forms),
		cmocka_unit_test(test_not_a_private_key),
		cmocka_unit_test(test_unsupported_curve),
		cmocka_unit_test(test_sealed_record_opens_elsewhere),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
