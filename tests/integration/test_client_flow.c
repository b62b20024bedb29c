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

#include <cmocka.h>

#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/process.h"

static struct instance in;
static char auditor[128];

static const struct fixture fx = {
	.in = &in,
	.name = "client_flow",
	.tokens = {
		{"auditor", "client-flow-auditor", auditor, sizeof(auditor)},
	},
};

static void
test_generated_client_flow(void **state)
{
	char *spec = NULL, *flow = NULL, *exchanges = NULL;
	const char *src = getenv("EDGECA_TEST_SRC_DIR"), *bin = getenv("EDGECA_TEST_BIN_DIR");

	(void)state;
	assert_non_null(src);
	assert_non_null(bin);
	xasprintf(&spec, "%s/openapi/openapi.yaml", src);
	xasprintf(&flow, "%s/client/flow.js", bin);
	xasprintf(&exchanges, "%s", getenv("EDGECA_TEST_EXCHANGES") ? getenv("EDGECA_TEST_EXCHANGES") : "");
	assert_int_equal(process_node_env(&in, auditor), 0);
	assert_int_equal(setenv("EDGECA_SPEC", spec, 1), 0);
	assert_int_equal(setenv("EDGECA_CSR_JSON", corpus_path("ec-p256.csr"), 1), 0);
	assert_int_equal(setenv("EDGECA_CSR_RAW", corpus_path("rsa2048-san.csr"), 1), 0);
	if (exchanges[0] == '\0')
		assert_int_equal(unsetenv("EDGECA_TEST_EXCHANGES"), 0);
	assert_int_equal(process_run_node(flow, NULL), 0);
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
