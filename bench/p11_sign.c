/* Benchmark, not a test: certificates per second signed with X509_sign
 * through a PKCS#11 token (SoftHSM2, in a token of its own in a scratch
 * directory) next to the same with a software key, for EC P-256, EC P-384
 * and RSA-2048, with 1 and 2 signing threads. Each certificate is a copy
 * of one template (an EC P-256 subject key, a few extensions) with its own
 * serial, signed and encoded to DER, as the signer issues one. Built on
 * request only:
 *   cmake --build build --target bench_p11_sign && build/tests/bench_p11_sign
 * BENCH_SECONDS sets each run's length (default 3). See docs/benchmarks.md. */
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "signer/daemon/p11.h"
#include "tests/support/certs.h"

#define MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define UTIL "/usr/bin/softhsm2-util"

struct run {
	EVP_PKEY *ca;
	const X509 *tmpl;
	double seconds;
	atomic_bool stop;
	atomic_long done, failed;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
signer_thread(void *arg)
{
	struct run *r = arg;
	const EVP_MD *md = EVP_PKEY_get_bits(r->ca) == 384 ? EVP_sha384() : EVP_sha256();
	long serial = random();

	while (!atomic_load(&r->stop)) {
		X509 *x = X509_dup((X509 *)r->tmpl);
		unsigned char *der = NULL;

		if (x != NULL && ASN1_INTEGER_set(X509_get_serialNumber(x), ++serial) == 1 &&
		    X509_sign(x, r->ca, md) > 0 && i2d_X509(x, &der) > 0)
			atomic_fetch_add(&r->done, 1);
		else
			atomic_fetch_add(&r->failed, 1);
		OPENSSL_free(der);
		X509_free(x);
	}
	return NULL;
}

/* Certificates per second with ca on threads threads. */
static double
rate(EVP_PKEY *ca, const X509 *tmpl, int threads, double seconds)
{
	struct run r = {.ca = ca, .tmpl = tmpl, .seconds = seconds};
	pthread_t th[2];
	double t0 = now_s(), t;

	for (int i = 0; i < threads; i++)
		if (pthread_create(&th[i], NULL, signer_thread, &r) != 0)
			exit(1);
	while (now_s() - t0 < seconds)
		usleep(20000);
	atomic_store(&r.stop, true);
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	t = now_s() - t0;
	if (atomic_load(&r.failed) > 0) {
		fprintf(stderr, "bench_p11_sign: %ld signatures failed\n", atomic_load(&r.failed));
		exit(1);
	}
	return (double)atomic_load(&r.done) / t;
}

static X509 *
template_cert(void)
{
	EVP_PKEY *subject = t_key("EC-P256");
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX ctx;
	static const char *const exts[][2] = {
		{"basicConstraints", "critical,CA:FALSE"},
		{"keyUsage", "critical,digitalSignature"},
		{"extendedKeyUsage", "clientAuth"},
		{"subjectAltName", "DNS:device-0001.fleet.example"},
		{"subjectKeyIdentifier", "hash"},
	};

	if (subject == NULL || x == NULL || n == NULL ||
	    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	                               (const unsigned char *)"device-0001", -1, -1, 0) != 1 ||
	    X509_set_version(x, 2) != 1 || X509_set_subject_name(x, n) != 1 ||
	    X509_set_issuer_name(x, n) != 1 || X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400 * 365) == NULL ||
	    X509_set_pubkey(x, subject) != 1)
		exit(1);
	X509V3_set_ctx(&ctx, NULL, x, NULL, NULL, 0);
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		X509_EXTENSION *e = X509V3_EXT_conf(NULL, &ctx, exts[i][0], exts[i][1]);
		if (e == NULL || X509_add_ext(x, e, -1) != 1)
			exit(1);
		X509_EXTENSION_free(e);
	}
	/* signed once so that it encodes (X509_dup goes through DER) */
	if (X509_sign(x, subject, EVP_sha256()) <= 0)
		exit(1);
	X509_NAME_free(n);
	EVP_PKEY_free(subject);
	return x;
}

/* A SoftHSM2 token of its own under dir, and the PIN file. */
static struct p11_token *
open_token(const char *dir)
{
	char conf[600], text[1200], pin[600];
	struct p11_settings s = {MODULE, "edgeca-bench", pin};
	struct edgeca_msg msg = {0};
	struct p11_token *t = NULL;
	FILE *f;

	snprintf(text, sizeof(text), "%s/tokens", dir);
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", dir);
	snprintf(pin, sizeof(pin), "%s/pin", dir);
	if (mkdir(text, 0700) != 0 || (f = fopen(conf, "w")) == NULL)
		exit(1);
	fprintf(f, "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n",
	        text);
	fclose(f);
	setenv("SOFTHSM2_CONF", conf, 1);
	if (system(UTIL " --init-token --free --label edgeca-bench --pin 918273 "
	                "--so-pin 1234567 >/dev/null") != 0 ||
	    (f = fopen(pin, "w")) == NULL)
		exit(1);
	fputs("918273\n", f);
	fclose(f);
	chmod(pin, 0600);
	if (p11_open(&s, &t, &msg) != EDGECA_OK) {
		fprintf(stderr, "bench_p11_sign: %s\n", msg.detail);
		exit(1);
	}
	return t;
}

int
main(void)
{
	static const char *const algs[] = {"EC-P256", "EC-P384", "RSA-2048"};
	const char *env = getenv("BENCH_SECONDS");
	double seconds = env != NULL && atof(env) > 0 ? atof(env) : 3;
	char *dir = t_tmpdir();
	struct p11_token *t;
	X509 *tmpl = template_cert();

	if (access(MODULE, R_OK) != 0 || access(UTIL, X_OK) != 0 || dir == NULL) {
		fprintf(stderr, "bench_p11_sign: SoftHSM2 is not installed (package softhsm2)\n");
		return 1;
	}
	t = open_token(dir);
	printf("| CA key | threads | software certs/s | token certs/s | token / software |\n");
	printf("|---|---:|---:|---:|---:|\n");
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		struct edgeca_msg msg = {0};
		EVP_PKEY *soft = t_key(algs[i]), *hsm = NULL;
		char id[33];

		snprintf(id, sizeof(id), "%032zx", i + 1);
		if (soft == NULL || p11_generate(t, id, algs[i], &hsm, &msg) != EDGECA_OK) {
			fprintf(stderr, "bench_p11_sign: %s: %s\n", algs[i], msg.detail);
			return 1;
		}
		for (int threads = 1; threads <= 2; threads++) {
			double sw = rate(soft, tmpl, threads, seconds);
			double hw = rate(hsm, tmpl, threads, seconds);
			printf("| %s | %d | %.0f | %.0f | %.2f |\n", algs[i], threads, sw, hw, hw / sw);
			fflush(stdout);
		}
		EVP_PKEY_free(soft);
		EVP_PKEY_free(hsm);
	}
	X509_free(tmpl);
	p11_close(t);
	t_rmtree(dir);
	return 0;
}
