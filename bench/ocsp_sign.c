/* Benchmark, not a test: OCSP_SIGN round trips per second through the
 * real edgeca-signer of this build and the client the server uses
 * (signer_ocsp_sign), with 1, 2 and 4 client threads, for a CA key of
 * EC P-256 and of RSA-2048. Each response is one entry with a nonce,
 * checked in full by the signer as every one is. Built on request only:
 *   cmake --build build --target bench_ocsp_sign && build/tests/bench_ocsp_sign
 * BENCH_SECONDS sets each run's length (default 3). See docs/benchmarks.md. */
#include <pthread.h>

#include "tests/support/ocsp_data.h"
#include "tests/unit/test_crl_signer.h"

struct run {
	const char *key;
	const struct buf *tbs;
	double seconds;
	long done;
	int failed;
};

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *
worker(void *arg)
{
	struct run *r = arg;
	struct buf basic = {0};
	double end = now_s() + r->seconds;

	while (now_s() < end) {
		struct edgeca_msg msg = {0};
		if (signer_ocsp_sign(pool, r->key, r->tbs->data, r->tbs->len, &basic, &msg) !=
		    EDGECA_OK) {
			r->failed = 1;
			break;
		}
		r->done++;
	}
	buf_free(&basic);
	return NULL;
}

static void
bench_ocsp_sign(void **state)
{
	static const char *const algs[] = {"EC-P256", "RSA-2048"};
	const char *env = getenv("BENCH_SECONDS");
	double seconds = env && atof(env) > 0 ? atof(env) : 3.0;

	/* a pool with a connection per thread */
	signer_pool_free(pool);
	assert_int_equal(signer_pool_new(sock_path, 4, 10000, &pool, NULL), EDGECA_OK);
	for (size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
		char key[65];
		X509 *ca = make_ca(algs[a], "client", "Bench Root", key);
		struct rd_spec s = rd_default(ca, ca, time(NULL));
		struct buf tbs = {0}, basic = {0};
		struct edgeca_msg msg = {0};

		s.nonce_len = 16;
		assert_int_equal(rd_build(&s, &tbs), 0);
		assert_int_equal(signer_ocsp_sign(pool, key, tbs.data, tbs.len, &basic, &msg),
		                 EDGECA_OK);
		assert_true(basic_verifies(basic.data, basic.len, tbs.data, tbs.len, ca,
		                           V_OCSP_CERTSTATUS_GOOD, false));
		for (int threads = 1; threads <= 4; threads *= 2) {
			pthread_t t[4];
			struct run r[4];
			long total = 0;
			double t0 = now_s(), elapsed;
			for (int i = 0; i < threads; i++) {
				r[i] = (struct run){key, &tbs, seconds, 0, 0};
				assert_int_equal(pthread_create(&t[i], NULL, worker, &r[i]), 0);
			}
			for (int i = 0; i < threads; i++) {
				pthread_join(t[i], NULL);
				assert_int_equal(r[i].failed, 0);
				total += r[i].done;
			}
			elapsed = now_s() - t0;
			printf("OCSP_SIGN %s, %d thread%s: %ld in %.1f s = %.0f/s\n", algs[a], threads,
			       threads > 1 ? "s" : "", total, elapsed, (double)total / elapsed);
		}
		buf_free(&tbs);
		buf_free(&basic);
		X509_free(ca);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bench_ocsp_sign),
	};
	return cmocka_run_group_tests(tests, crl_signer_setup, crl_signer_teardown);
}
