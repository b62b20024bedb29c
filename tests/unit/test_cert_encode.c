/* Unit tests of model/cert/download: each form of an issued certificate
 * holds that certificate (and its chain, in order), and a chain that does
 * not decode or a certificate without DER is an error, not a short file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/pem.h>
#include <openssl/pkcs7.h>

#include "common/encoding.h"
#include "model/cert/download.h"
#include "tests/support/certs.h"

#define N_CERTS 3

struct fixture {
	X509 *x[N_CERTS]; /* leaf-most first */
	unsigned char *der[N_CERTS];
	int len[N_CERTS];
	char *chain_pem;  /* x[1] then x[2] */
	struct certificate cert;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	time_t now = time(NULL);
	char *p1 = NULL, *p2 = NULL;

	if (f == NULL)
		return -1;
	for (int i = 0; i < N_CERTS; i++) {
		EVP_PKEY *k = t_key("EC-P256");
		char cn[16];
		snprintf(cn, sizeof(cn), "cert %d", i);
		f->x[i] = k ? t_ca_cert(k, cn, -1, now, now + 3600) : NULL;
		EVP_PKEY_free(k);
		f->len[i] = f->x[i] ? i2d_X509(f->x[i], &f->der[i]) : -1;
		if (f->len[i] <= 0)
			return -1;
	}
	p1 = pem_encode("CERTIFICATE", f->der[1], (size_t)f->len[1]);
	p2 = pem_encode("CERTIFICATE", f->der[2], (size_t)f->len[2]);
	if (p1 == NULL || p2 == NULL || (f->chain_pem = malloc(strlen(p1) + strlen(p2) + 1)) == NULL)
		return -1;
	strcpy(f->chain_pem, p1);
	strcat(f->chain_pem, p2);
	free(p1);
	free(p2);
	snprintf(f->cert.serial, sizeof(f->cert.serial), "0a1b");
	f->cert.der = f->der[0];
	f->cert.der_len = (size_t)f->len[0];
	f->cert.chain_pem = f->chain_pem;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < N_CERTS; i++) {
		X509_free(f->x[i]);
		OPENSSL_free(f->der[i]);
	}
	free(f->chain_pem);
	free(f);
	return 0;
}

static unsigned char *
encode(const struct certificate *c, enum cert_format fmt, size_t *len)
{
	struct edgeca_msg msg = {0};
	unsigned char *out = NULL;

	assert_int_equal(cert_encode(c, fmt, &out, len, &msg), EDGECA_OK);
	assert_non_null(out);
	return out;
}

/* The PEM blocks of text, in order, as certificates. */
static STACK_OF(X509) *
read_pem(const unsigned char *text, size_t len)
{
	BIO *b = BIO_new_mem_buf(text, (int)len);
	STACK_OF(X509) *sk = sk_X509_new_null();
	X509 *x;

	assert_non_null(b);
	assert_non_null(sk);
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		assert_true(sk_X509_push(sk, x) > 0);
	BIO_free(b);
	return sk;
}

static void
assert_certs(const struct fixture *f, STACK_OF(X509) *sk, int n)
{
	assert_int_equal(sk_X509_num(sk), n);
	for (int i = 0; i < n; i++)
		assert_int_equal(X509_cmp(sk_X509_value(sk, i), f->x[i]), 0);
}

static void
test_pem_and_chain(void **state)
{
	struct fixture *f = *state;
	STACK_OF(X509) *sk;
	unsigned char *out;
	size_t len;

	out = encode(&f->cert, CERT_FORMAT_PEM, &len);
	sk = read_pem(out, len);
	assert_certs(f, sk, 1);
	sk_X509_pop_free(sk, X509_free);
	free(out);
	out = encode(&f->cert, CERT_FORMAT_PEM_CHAIN, &len);
	sk = read_pem(out, len);
	assert_certs(f, sk, 3);
	/* the chain goes out as it is stored, after the leaf's block */
	assert_true(len > strlen(f->chain_pem));
	assert_memory_equal(out + len - strlen(f->chain_pem), f->chain_pem, strlen(f->chain_pem));
	sk_X509_pop_free(sk, X509_free);
	free(out);
}

static void
test_der(void **state)
{
	struct fixture *f = *state;
	unsigned char *out;
	size_t len;

	out = encode(&f->cert, CERT_FORMAT_DER, &len);
	assert_int_equal(len, (size_t)f->len[0]);
	assert_memory_equal(out, f->der[0], len);
	free(out);
}

static void
test_pkcs7(void **state)
{
	struct fixture *f = *state;
	const unsigned char *p;
	struct certificate root_issued;
	unsigned char *out;
	PKCS7 *p7;
	size_t len;

	out = encode(&f->cert, CERT_FORMAT_PKCS7, &len);
	p = out;
	p7 = d2i_PKCS7(NULL, &p, (long)len);
	assert_non_null(p7);
	assert_ptr_equal(p, out + len);
	assert_certs(f, p7->d.sign->cert, 3);
	PKCS7_free(p7);
	free(out);
	/* no chain: the certificate alone */
	root_issued = f->cert;
	root_issued.chain_pem = NULL;
	out = encode(&root_issued, CERT_FORMAT_PKCS7, &len);
	p = out;
	p7 = d2i_PKCS7(NULL, &p, (long)len);
	assert_non_null(p7);
	assert_certs(f, p7->d.sign->cert, 1);
	PKCS7_free(p7);
	free(out);
}

static void
test_refusals(void **state)
{
	struct fixture *f = *state;
	struct edgeca_msg msg = {0};
	struct certificate c = f->cert;
	unsigned char *out = (unsigned char *)"untouched";
	size_t len = 99;

	c.chain_pem = "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n";
	assert_int_equal(cert_encode(&c, CERT_FORMAT_PKCS7, &out, &len, &msg), EDGECA_ERR_INTERNAL);
	assert_null(out);
	assert_int_equal(len, 0);
	c = f->cert;
	c.der = NULL;
	c.der_len = 0;
	for (int fmt = CERT_FORMAT_PEM; fmt <= CERT_FORMAT_PKCS7; fmt++) {
		assert_int_equal(cert_encode(&c, (enum cert_format)fmt, &out, &len, &msg),
		                 EDGECA_ERR_INTERNAL);
		assert_null(out);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pem_and_chain),
		cmocka_unit_test(test_der),
		cmocka_unit_test(test_pkcs7),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
