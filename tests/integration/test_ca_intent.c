/* CA certificates only by intent: a subordinate edgeca chains that may
 * sign no CA template gets pathlen 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/x509v3.h>

#include "tests/integration/harness.h"
#include "tests/integration/http.h"
#include "tests/integration/pki.h"

static struct instance in;
static char root_id[64], edge_id[64];

static int
setup(void **state)
{
	char *body;

	(void)state;
	http_set_test_name("ca_intent");
	instance_start(&in);
	/* a root created with defaults: its template is subordinate_ca */
	http_create_ca(&in, "{\"common_name\": \"Default Root\"}", root_id);
	/* the issuing CA the README recommends for IoT Edge fleets */
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Edge Fleet CA\", "
	          "\"parent_ca_id\": \"%s\", \"issuance\": {\"template\": \"client\", "
	          "\"allowed_templates\": [\"client\", \"iot_edge_ca\"]}}", root_id);
	http_create_ca(&in, body, edge_id);
	free(body);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	instance_destroy(&in);
	return 0;
}

/* The pathLenConstraint of location name's certificate in a CA answer. */
static long
location_pathlen(const struct http_response *r, const char *name)
{
	X509 *x = http_location_cert(r, name);
	long n = X509_get_pathlen(x);

	X509_free(x);
	return n;
}

/* A subordinate edgeca chains (at creation, later with /chain, at
 * renewal) whose policy allows no CA template gets pathlen 0, as a root
 * does; one that may sign Edge CAs keeps the most its parent allows. */
static void
test_client_only_subordinate_gets_pathlen_0(void **state)
{
	char *body, path[160], pending_id[64];
	struct http_response r;

	(void)state;
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Client Only CA\", "
	          "\"parent_ca_id\": \"%s\", \"issuance\": {\"template\": \"client\"}}", root_id);
	r = http_post_expect(&in, "/api/v1/cas", body, 201);
	free(body);
	assert_int_equal(location_pathlen(&r, "default"), 0);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/renew", http_json_str(&r, "id"));
	http_response_free(&r);
	r = http_post_expect(&in, path, "{}", 200);
	assert_int_equal(location_pathlen(&r, "default"), 0);
	http_response_free(&r);
	/* chained after its creation */
	http_create_ca(&in, "{\"kind\": \"subordinate\", \"common_name\": \"Later Client CA\", "
	                    "\"issuance\": {\"template\": \"ssl\"}}", pending_id);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/chain", pending_id);
	xasprintf(&body, "{\"parent_ca_id\": \"%s\"}", root_id);
	r = http_post_expect(&in, path, body, 200);
	free(body);
	assert_int_equal(location_pathlen(&r, "default"), 0);
	http_response_free(&r);
	/* the Edge fleet CA may sign iot_edge_ca: unconstrained below this root */
	snprintf(path, sizeof(path), "/api/v1/cas/%s", edge_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	assert_int_equal(location_pathlen(&r, "default"), -1);
	http_response_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_only_subordinate_gets_pathlen_0),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
