/* Benchmark, not a test: the time edgeca takes to encode, sign (through
 * the real edgeca-signer of this build and the client the server uses,
 * signer_crl_sign) and parse and verify (OpenSSL) a CRL of 1,000,000
 * entries with 16-byte serials. Built on request only:
 *   cmake --build build --target bench_crl_sign && build/tests/bench_crl_sign
 * BENCH_KEY picks the CA key type (EC-P256, EC-P384, RSA-2048 ... RSA-4096).
 * See docs/benchmarks.md. */
#include "tests/unit/test_crl_signer.h"

static double
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* The time a CRL of a million entries takes with a key of type alg. */
static void
bench_million_entries(void **state)
{
	const char *env = getenv("BENCH_KEY"), *alg = env && *env ? env : "EC-P256";
	char key[65], (*serials)[33] = NULL;
	X509 *ca;
	struct buf body = {0};
	struct edgeca_msg msg;
	struct timespec t0;
	time_t now = time(NULL);
	double encode_ms, sign_ms, verify_ms;
	size_t entries_len;
	const unsigned char *p;
	X509_CRL *crl;

	ca = make_ca(alg, "client", "Big Root", key);
	/* 16-byte serials like edgeca's, as the database hands them over */
	serials = malloc(1000000 * sizeof(*serials));
	assert_non_null(serials);
	for (int i = 0; i < 1000000; i++)
		snprintf(serials[i], sizeof(serials[i]), "4%031x", i + 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* every reason a revocation can carry (7 is unused, 8 never listed) */
	for (int i = 0; i < 1000000; i++)
		assert_int_equal(crl_entry_append(&body, serials[i], now - 86400 + i % 86400,
		                                  i % 11 == 7 || i % 11 == 8 ? 1 : i % 11, 0), 0);
	encode_ms = ms_since(&t0);
	entries_len = body.len;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (sign(key, 1, now, now + 86400, &body, &msg) != EDGECA_OK)
		fail_msg("signer_crl_sign: %s", msg.detail);
	sign_ms = ms_since(&t0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	p = body.data;
	crl = d2i_X509_CRL(NULL, &p, (long)body.len);
	assert_non_null(crl);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(ca)), 1);
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 1000000);
	verify_ms = ms_since(&t0);
	printf("1,000,000 entries, %s: entries %zu bytes, CRL %zu bytes; encode %.0f ms, "
	              "signer_crl_sign %.0f ms (total %.0f ms); OpenSSL parse+verify %.0f ms\n",
	              alg, entries_len, body.len,
	              encode_ms, sign_ms, encode_ms + sign_ms, verify_ms);
	X509_CRL_free(crl);
	free(serials);
	buf_free(&body);
	X509_free(ca);
}

int
main(void)
{
	const struct CMUnitTest benches[] = {
		cmocka_unit_test(bench_million_entries),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(benches, crl_signer_setup, crl_signer_teardown);
}
