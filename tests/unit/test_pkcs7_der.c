/* Unit tests of common/pkcs7_der: the certs-only PKCS#7 written from DER
 * must be exactly what OpenSSL writes for the same certificates, keep
 * their order, and refuse input that is not one DER SEQUENCE each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/pkcs7.h>

#include "common/pkcs7_der.h"
#include "tests/support/certs.h"

#define N_CERTS 3

struct fixture {
	X509 *x[N_CERTS];
	unsigned char *der[N_CERTS];
	struct der_span span[N_CERTS];
};

/* Certificates of different key types and sizes, so that lengths take
 * one, two and three octets in the headers around them. */
static int
setup(void **state)
{
	static const char *const algs[N_CERTS] = {"EC-P256", "RSA-2048", "RSA-4096"};
	struct fixture *f = calloc(1, sizeof(*f));
	time_t now = time(NULL);

	if (f == NULL)
		return -1;
	for (int i = 0; i < N_CERTS; i++) {
		EVP_PKEY *k = t_key(algs[i]);
		char cn[16];
		int n;
		snprintf(cn, sizeof(cn), "cert %d", i);
		f->x[i] = k ? t_ca_cert(k, cn, -1, now, now + 3600) : NULL;
		EVP_PKEY_free(k);
		n = f->x[i] ? i2d_X509(f->x[i], &f->der[i]) : -1;
		if (n <= 0)
			return -1;
		f->span[i] = (struct der_span){f->der[i], (size_t)n};
	}
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
	free(f);
	return 0;
}

/* OpenSSL's encoding of the same certs-only structure. */
static unsigned char *
openssl_pkcs7(X509 *const *x, size_t n, int *len)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	PKCS7 *p7 = NULL;
	unsigned char *der = NULL;

	for (size_t i = 0; sk != NULL && i < n; i++)
		if (!sk_X509_push(sk, x[i]))
			goto out;
	p7 = sk ? PKCS7_sign(NULL, NULL, sk, NULL, PKCS7_DETACHED | PKCS7_PARTIAL) : NULL;
	*len = p7 ? i2d_PKCS7(p7, &der) : -1;
out:
	PKCS7_free(p7);
	sk_X509_free(sk);
	return der;
}

static void
check_same_as_openssl(X509 *const *x, const struct der_span *span, size_t n)
{
	unsigned char *ours = NULL, *theirs;
	size_t len = 0;
	int their_len = 0;

	assert_int_equal(pkcs7_certs_only_der(span, n, &ours, &len), 0);
	theirs = openssl_pkcs7(x, n, &their_len);
	assert_non_null(theirs);
	assert_int_equal(len, (size_t)their_len);
	assert_memory_equal(ours, theirs, len);
	free(ours);
	OPENSSL_free(theirs);
}

static void
test_same_bytes_as_openssl(void **state)
{
	struct fixture *f = *state;

	for (size_t n = 1; n <= N_CERTS; n++)
		check_same_as_openssl(f->x, f->span, n);
	/* the small certificate alone, and after the big ones */
	check_same_as_openssl(&f->x[2], &f->span[2], 1);
	{
		X509 *x[N_CERTS] = {f->x[2], f->x[1], f->x[0]};
		struct der_span s[N_CERTS] = {f->span[2], f->span[1], f->span[0]};
		check_same_as_openssl(x, s, N_CERTS);
	}
}

/* OpenSSL reads the certificates back in the order given. */
static void
test_order_kept(void **state)
{
	struct fixture *f = *state;
	struct der_span s[N_CERTS] = {f->span[1], f->span[2], f->span[0]};
	X509 *want[N_CERTS] = {f->x[1], f->x[2], f->x[0]};
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	PKCS7 *p7;

	assert_int_equal(pkcs7_certs_only_der(s, N_CERTS, &der, &len), 0);
	p = der;
	p7 = d2i_PKCS7(NULL, &p, (long)len);
	assert_non_null(p7);
	assert_ptr_equal(p, der + len);
	assert_true(PKCS7_type_is_signed(p7));
	assert_int_equal(sk_X509_num(p7->d.sign->cert), N_CERTS);
	for (int i = 0; i < N_CERTS; i++)
		assert_int_equal(X509_cmp(sk_X509_value(p7->d.sign->cert, i), want[i]), 0);
	assert_int_equal(sk_PKCS7_SIGNER_INFO_num(p7->d.sign->signer_info), 0);
	PKCS7_free(p7);
	free(der);
}

/* No certificate: still a valid SignedData, with an empty set. */
static void
test_empty(void **state)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	PKCS7 *p7;

	(void)state;
	assert_int_equal(pkcs7_certs_only_der(NULL, 0, &der, &len), 0);
	p = der;
	p7 = d2i_PKCS7(NULL, &p, (long)len);
	assert_non_null(p7);
	assert_int_equal(sk_X509_num(p7->d.sign->cert), 0);
	PKCS7_free(p7);
	free(der);
}

static void
refused(const struct der_span *s)
{
	unsigned char *der = (unsigned char *)"untouched";
	size_t len = 99;

	assert_int_equal(pkcs7_certs_only_der(s, 1, &der, &len), -1);
	assert_null(der);
	assert_int_equal(len, 0);
}

static void
test_refuses_what_is_not_one_sequence(void **state)
{
	struct fixture *f = *state;
	const struct der_span c = f->span[0];
	unsigned char *copy = malloc(c.len + 1);
	static const unsigned char integer[] = {0x02, 0x01, 0x05};

	assert_non_null(copy);
	memcpy(copy, c.der, c.len);
	copy[c.len] = 0;
	refused(&(struct der_span){copy, c.len + 1});    /* a trailing byte */
	refused(&(struct der_span){copy, c.len - 1});    /* truncated */
	refused(&(struct der_span){integer, sizeof(integer)}); /* not a SEQUENCE */
	refused(&(struct der_span){NULL, 10});
	refused(&(struct der_span){copy, 0});
	copy[1] = 0x80; /* indefinite length: BER, not DER */
	refused(&(struct der_span){copy, c.len});
	free(copy);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_bytes_as_openssl),
		cmocka_unit_test(test_order_kept),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_refuses_what_is_not_one_sequence),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
