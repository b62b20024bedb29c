/* Unit tests of common/x509_cache: a hit returns the same certificate
 * object, what is returned stays valid after the cache lets it go, bad
 * DER is refused and not kept, and threads sharing it through evictions
 * always get the certificate they asked for (ASan build: no use after
 * free). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>

#include "common/x509_cache.h"
#include "tests/support/certs.h"

/* More certificates than the cache has slots, so threads evict each
 * other's entries. */
#define N_CERTS 600
#define N_THREADS 4
#define ROUNDS 3000

struct cert {
	unsigned char *der;
	size_t len;
	X509 *x;
};

static struct cert certs[N_CERTS];

static int
setup(void **state)
{
	EVP_PKEY *k = t_key("EC-P256");
	time_t now = time(NULL);

	(void)state;
	for (int i = 0; k != NULL && i < N_CERTS; i++) {
		char cn[32];
		int n;
		snprintf(cn, sizeof(cn), "cache test %d", i);
		certs[i].x = t_ca_cert(k, cn, -1, now, now + 3600);
		n = certs[i].x ? i2d_X509(certs[i].x, &certs[i].der) : -1;
		if (n <= 0)
			break;
		certs[i].len = (size_t)n;
	}
	EVP_PKEY_free(k);
	return certs[N_CERTS - 1].der ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	x509_cache_clear();
	for (int i = 0; i < N_CERTS; i++) {
		X509_free(certs[i].x);
		OPENSSL_free(certs[i].der);
	}
	return 0;
}

static void
test_hit_returns_the_same_object(void **state)
{
	X509 *a, *b;

	(void)state;
	x509_cache_clear();
	a = x509_cache_get(certs[0].der, certs[0].len);
	b = x509_cache_get(certs[0].der, certs[0].len);
	assert_non_null(a);
	assert_ptr_equal(a, b);
	assert_int_equal(X509_cmp(a, certs[0].x), 0);
	X509_free(a);
	X509_free(b);
}

/* A caller's reference outlives the cache entry. */
static void
test_reference_outlives_clear(void **state)
{
	X509 *a;

	(void)state;
	a = x509_cache_get(certs[1].der, certs[1].len);
	assert_non_null(a);
	x509_cache_clear();
	assert_int_equal(X509_cmp(a, certs[1].x), 0);
	assert_non_null(X509_get_subject_name(a));
	X509_free(a);
}

static void
test_bad_der_refused(void **state)
{
	unsigned char *copy = malloc(certs[2].len + 1);

	(void)state;
	assert_non_null(copy);
	memcpy(copy, certs[2].der, certs[2].len);
	copy[certs[2].len] = 0;
	assert_null(x509_cache_get(copy, certs[2].len + 1)); /* trailing byte */
	assert_null(x509_cache_get(copy, certs[2].len - 1)); /* truncated */
	assert_null(x509_cache_get(copy, 0));
	assert_null(x509_cache_get(NULL, 10));
	/* the good certificate behind the same bytes is still served */
	{
		X509 *x = x509_cache_get(copy, certs[2].len);
		assert_non_null(x);
		assert_int_equal(X509_cmp(x, certs[2].x), 0);
		X509_free(x);
	}
	free(copy);
}

static void *
hammer(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	long wrong = 0;

	for (int r = 0; r < ROUNDS; r++) {
		int i = (int)(rand_r(&seed) % N_CERTS);
		X509 *x = x509_cache_get(certs[i].der, certs[i].len);
		if (x == NULL || X509_cmp(x, certs[i].x) != 0 ||
		    X509_NAME_cmp(X509_get_subject_name(x), X509_get_subject_name(certs[i].x)) != 0)
			wrong++;
		X509_free(x);
	}
	return (void *)wrong;
}

static void
test_threads_through_evictions(void **state)
{
	pthread_t t[N_THREADS];

	(void)state;
	for (uintptr_t i = 0; i < N_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, (void *)(i + 1)), 0);
	for (int i = 0; i < N_THREADS; i++) {
		void *wrong = NULL;
		assert_int_equal(pthread_join(t[i], &wrong), 0);
		assert_int_equal((long)(intptr_t)wrong, 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_returns_the_same_object),
		cmocka_unit_test(test_reference_outlives_clear),
		cmocka_unit_test(test_bad_der_refused),
		cmocka_unit_test(test_threads_through_evictions),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
