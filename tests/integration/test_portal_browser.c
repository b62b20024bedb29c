/* The portal (/ui/) in a real browser: runs tests/browser/portal.mjs with
 * Node, which drives Debian's headless Chromium (playwright-core) through
 * issue 18's walk-through against a real instance, as a pki_admin and as an
 * auditor; any console error, page error or CSP violation fails it.
 * Chromium trusts the instance by the SHA-256 of its server key's
 * SubjectPublicKeyInfo (--ignore-certificate-errors-spki-list, computed
 * here from <data dir>/tls/server.pem): only that key, no other certificate
 * error is ignored, and no NSS database has to be made. Screenshots go to
 * $EDGECA_SCREENSHOTS when set (docs/screenshots), else the test's work
 * directory. A tree without ui/ runs the stand-in instead (Chromium loads
 * /healthz with the key pinned, and is refused without the pin); with ui/
 * the whole flow must pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/process.h"

static struct instance in;
static char auditor[128];

static const struct fixture fx = {
	.in = &in,
	.name = "portal_browser",
	.tokens = {
		{"auditor", "portal-browser-auditor", auditor, sizeof(auditor)},
	},
};

/* The base64 SHA-256 of the SubjectPublicKeyInfo of the first certificate
 * in pem_path, what Chromium's --ignore-certificate-errors-spki-list takes;
 * into out (at least 45 bytes). Returns 0, or -1 when it cannot be read. */
static int
spki_sha256_base64(const char *pem_path, char *out, size_t out_len)
{
	FILE *f = NULL;
	X509 *cert = NULL;
	unsigned char *der = NULL, digest[SHA256_DIGEST_LENGTH];
	int der_len, rc = -1;

	if (out_len < 4 * ((SHA256_DIGEST_LENGTH + 2) / 3) + 1)
		goto out;
	f = fopen(pem_path, "r");
	if (f == NULL)
		goto out;
	cert = PEM_read_X509(f, NULL, NULL, NULL);
	if (cert == NULL)
		goto out;
	der_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
	if (der_len <= 0)
		goto out;
	if (SHA256(der, (size_t)der_len, digest) == NULL)
		goto out;
	if (EVP_EncodeBlock((unsigned char *)out, digest, sizeof(digest)) <= 0)
		goto out;
	rc = 0;
out:
	OPENSSL_free(der);
	X509_free(cert);
	if (f != NULL)
		fclose(f);
	return rc;
}

static int
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void
test_portal_in_chromium(void **state)
{
	char *script = NULL, *ui = NULL, *modules = NULL, *server_pem = NULL, *shots = NULL;
	const char *src = getenv("EDGECA_TEST_SRC_DIR"), *work = getenv("EDGECA_TEST_WORK");
	const char *mode;
	char spki[64];

	(void)state;
	assert_non_null(src);
	assert_non_null(work);
	assert_true(access("/usr/bin/chromium", X_OK) == 0); /* scripts/test installs it */
	xasprintf(&modules, "%s/tests/browser/node_modules/playwright-core", src);
	if (!exists(modules))
		fail_msg("%s is missing: run npm ci in tests/browser (scripts/test does)", modules);
	xasprintf(&script, "%s/tests/browser/portal.mjs", src);
	xasprintf(&ui, "%s/ui/index.html", src);
	mode = exists(ui) ? "flow" : "standin";
	xasprintf(&server_pem, "%s/tls/server.pem", in.data_dir);
	assert_int_equal(spki_sha256_base64(server_pem, spki, sizeof(spki)), 0);
	if (getenv("EDGECA_SCREENSHOTS") != NULL && getenv("EDGECA_SCREENSHOTS")[0] != '\0')
		xasprintf(&shots, "%s", getenv("EDGECA_SCREENSHOTS"));
	else
		xasprintf(&shots, "%s/screenshots", work);

	/* Node and Chromium would inherit the sanitizers' preload settings:
	 * process_node_env removes them. page.request runs in Node, not in
	 * Chromium: it verifies the server against the service CA. */
	assert_int_equal(process_node_env(&in, auditor), 0);
	assert_int_equal(setenv("EDGECA_SPKI", spki, 1), 0);
	assert_int_equal(setenv("EDGECA_CSR", corpus_path("rsa2048-san.csr"), 1), 0);
	assert_int_equal(setenv("EDGECA_CSR_CN", "my-iot-device2", 1), 0);
	assert_int_equal(setenv("EDGECA_SCREENSHOTS", shots, 1), 0);
	assert_int_equal(setenv("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1", 1), 0);
	assert_int_equal(process_run_node(script, mode), 0);
	free(shots);
	free(server_pem);
	free(ui);
	free(script);
	free(modules);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_portal_in_chromium),
	};

	return fixture_run_tests(tests, &fx);
}
