/* The generated TypeScript client against a real instance: runs the flow
 * tests/client/build.sh compiled (client.typecheck, into <build>/client)
 * with Node, with the instance's URL, a pki_admin and an auditor token, the
 * service CA as Node's extra trust (TLS verified, never disabled) and two
 * CSRs of the corpus. The flow checks every answer against
 * openapi/openapi.yaml and records the exchanges for the conformance test;
 * the test fails when node exits non-zero, and shows its output then. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "tests/support/fixture.h"
#include "tests/support/harness.h"

static struct instance in;
static char auditor[128];

static const struct fixture fx = {
	.in = &in,
	.name = "client_flow",
	.tokens = {
		{"auditor", "client-flow-auditor", auditor, sizeof(auditor)},
	},
};

/* Runs cmd through the shell; returns its exit status (-1: it did not run
 * or did not exit), everything it wrote to stdout and stderr in *out
 * (malloc'ed, NUL-terminated). */
static int
run_capture(const char *cmd, char **out)
{
	FILE *p = NULL;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	int status, rc = -1;

	*out = NULL;
	p = popen(cmd, "r");
	if (p == NULL)
		goto out;
	for (;;) {
		if (cap - len < 4096) {
			char *grown = realloc(buf, cap + 65536);

			if (grown == NULL)
				goto out;
			buf = grown;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, p);
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	status = pclose(p);
	p = NULL;
	if (status != -1 && WIFEXITED(status))
		rc = WEXITSTATUS(status);
	*out = buf;
	buf = NULL;
out:
	if (p != NULL)
		pclose(p);
	free(buf);
	return rc;
}

static void
test_generated_client_flow(void **state)
{
	char *cmd = NULL, *output = NULL, *spec = NULL, *flow = NULL, *exchanges = NULL;
	const char *src = getenv("EDGECA_TEST_SRC_DIR"), *bin = getenv("EDGECA_TEST_BIN_DIR");
	int rc;

	(void)state;
	assert_non_null(src);
	assert_non_null(bin);
	xasprintf(&spec, "%s/openapi/openapi.yaml", src);
	xasprintf(&flow, "%s/client/flow.js", bin);
	xasprintf(&exchanges, "%s", getenv("EDGECA_TEST_EXCHANGES") ? getenv("EDGECA_TEST_EXCHANGES") : "");
	assert_int_equal(setenv("EDGECA_URL", in.base_url, 1), 0);
	assert_int_equal(setenv("EDGECA_TOKEN", in.admin_token, 1), 0);
	assert_int_equal(setenv("EDGECA_READONLY_TOKEN", auditor, 1), 0);
	assert_int_equal(setenv("EDGECA_SPEC", spec, 1), 0);
	assert_int_equal(setenv("EDGECA_CSR_JSON", corpus_path("ec-p256.csr"), 1), 0);
	assert_int_equal(setenv("EDGECA_CSR_RAW", corpus_path("rsa2048-san.csr"), 1), 0);
	assert_int_equal(setenv("NODE_EXTRA_CA_CERTS", in.ca_file, 1), 0);
	/* Node would inherit the sanitizers' preload settings of this test. */
	assert_int_equal(unsetenv("LD_PRELOAD"), 0);
	if (exchanges[0] == '\0')
		assert_int_equal(unsetenv("EDGECA_TEST_EXCHANGES"), 0);
	xasprintf(&cmd, "node '%s' 2>&1", flow);
	rc = run_capture(cmd, &output);
	print_message("%s", output ? output : "(no output)\n");
	if (rc != 0)
		print_message("node %s exited with %d\n", flow, rc);
	assert_int_equal(rc, 0);
	free(output);
	free(cmd);
	free(exchanges);
	free(flow);
	free(spec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_generated_client_flow),
	};

	return fixture_run_tests(tests, &fx);
}
