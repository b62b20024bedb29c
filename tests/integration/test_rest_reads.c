/* Reading through the REST API: CA certificate download (PEM and DER),
 * certificate lookup by serial, listing with filters and cursor pages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/x509.h>

#include "common/encoding.h"
#include "common/timeutil.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"

static struct instance in;
static char ca_id[64];
static char auditor[128];
static char serials[5][80];

/* Issues a certificate for cn and records its serial. */
static void
issue(const char *cn, int validity_days, char *serial_out)
{
	char path[128], *csr = make_csr("EC-P256", cn, NULL, NULL), *text;
	struct http_response r;
	json_t *j = json_pack("{s:s, s:i}", "csr", csr, "validity_days", validity_days);

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca_id);
	text = json_dumps(j, 0);
	assert_int_equal(http_post_json(&in, path, in.admin_token, text, &r), 201);
	snprintf(serial_out, 80, "%s", http_json_str(&r, "serial_number"));
	http_response_free(&r);
	json_decref(j);
	free(text);
	free(csr);
}

static void
fixture_ready(void)
{
	issue("reader-a", 10, serials[0]);
	issue("reader-b", 20, serials[1]);
	issue("reader-a", 30, serials[2]);
	issue("reader-c", 40, serials[3]);
	issue("reader-d", 50, serials[4]);
}

static const struct fixture fx = {
	.in = &in,
	.name = "rest_reads",
	.tokens = {
		{"auditor", "reader", auditor, sizeof(auditor)},
	},
	.ca_json = "{\"common_name\": \"Read Root\", \"issuance\": "
	           "{\"template\": \"client\"}}",
	.ca_id = ca_id,
	.ready = fixture_ready,
};

static void
test_ca_certificate_pem_and_der(void **state)
{
	struct http_response pem, der, bad;
	const char *accept_der[] = {"Accept: application/pkix-cert", NULL};
	const char *accept_json[] = {"Accept: application/json", NULL};
	char path[128];
	unsigned char *from_pem = NULL;
	X509 *x;
	int len;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificate", ca_id);
	assert_int_equal(http_get(&in, path, auditor, &pem), 200);
	assert_string_equal(pem.content_type, "application/x-pem-file");
	x = pem_cert((const char *)pem.body);
	assert_non_null(x);
	assert_int_equal(http_call_h(&in, "GET", path, auditor, NULL, NULL, 0, accept_der, &der),
	                 200);
	assert_string_equal(der.content_type, "application/pkix-cert");
	len = i2d_X509(x, &from_pem);
	assert_int_equal((size_t)len, der.body_len);
	assert_memory_equal(from_pem, der.body, der.body_len);
	assert_int_equal(http_call_h(&in, "GET", path, auditor, NULL, NULL, 0, accept_json, &bad),
	                 406);
	assert_string_equal(http_problem_type(&bad), "not-acceptable");
	http_response_free(&bad);
	{
		/* q-values decide; q=0 means "not this one" */
		const char *prefer_pem[] = {"Accept: application/pkix-cert;q=0.5, "
		                            "application/x-pem-file", NULL};
		const char *refuse_der[] = {"Accept: application/pkix-cert;q=0, */*;q=0.1", NULL};
		const char *wild_der[] = {"Accept: application/*;q=0.2, application/pkix-cert", NULL};
		assert_int_equal(http_call_h(&in, "GET", path, auditor, NULL, NULL, 0, prefer_pem, &bad),
		                 200);
		assert_string_equal(bad.content_type, "application/x-pem-file");
		http_response_free(&bad);
		assert_int_equal(http_call_h(&in, "GET", path, auditor, NULL, NULL, 0, refuse_der, &bad),
		                 200);
		assert_string_equal(bad.content_type, "application/x-pem-file");
		http_response_free(&bad);
		assert_int_equal(http_call_h(&in, "GET", path, auditor, NULL, NULL, 0, wild_der, &bad),
		                 200);
		assert_string_equal(bad.content_type, "application/pkix-cert");
	}
	OPENSSL_free(from_pem);
	X509_free(x);
	http_response_free(&pem);
	http_response_free(&der);
	http_response_free(&bad);
}

static void
test_certificate_by_serial(void **state)
{
	char path[256], upper[80], colons[160];
	struct http_response r;
	size_t o = 0;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s", ca_id, serials[1]);
	assert_int_equal(http_get(&in, path, auditor, &r), 200);
	assert_string_equal(http_json_str(&r, "serial_number"), serials[1]);
	assert_string_equal(http_json_str(&r, "common_name"), "reader-b");
	assert_non_null(http_json_str(&r, "certificate_pem"));
	assert_non_null(http_json_str(&r, "chain_pem"));
	assert_string_equal(http_json_str(&r, "requester"), "token:admin");
	http_response_free(&r);
	/* the serial as openssl prints it: upper case, or with colons */
	for (size_t i = 0; serials[1][i]; i++) {
		upper[i] = (char)(serials[1][i] >= 'a' ? serials[1][i] - 32 : serials[1][i]);
		upper[i + 1] = '\0';
		if (i > 0 && i % 2 == 0)
			colons[o++] = ':';
		colons[o++] = upper[i];
	}
	colons[o] = '\0';
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s", ca_id, upper);
	assert_int_equal(http_get(&in, path, auditor, &r), 200);
	http_response_free(&r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s", ca_id, colons);
	assert_int_equal(http_get(&in, path, auditor, &r), 200);
	http_response_free(&r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/0123456789abcdef", ca_id);
	assert_int_equal(http_get(&in, path, auditor, &r), 404);
	assert_string_equal(http_problem_type(&r), "certificate-not-found");
	http_response_free(&r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/not-hex", ca_id);
	assert_int_equal(http_get(&in, path, auditor, &r), 404);
	http_response_free(&r);
}

/* Walks every page of path with page size limit; returns the serials. */
static size_t
collect(const char *path, int limit, char out[][80], size_t max)
{
	char url[512], cursor[128] = "";
	size_t n = 0;

	for (int pages = 0; pages < 20; pages++) {
		struct http_response r;
		json_t *items, *item, *next;
		size_t i;

		snprintf(url, sizeof(url), "%s%slimit=%d%s%s", path, strchr(path, '?') ? "&" : "?",
		         limit, cursor[0] ? "&cursor=" : "", cursor);
		assert_int_equal(http_get(&in, url, auditor, &r), 200);
		items = json_object_get(r.json, "items");
		assert_true(json_array_size(items) <= (size_t)limit);
		json_array_foreach(items, i, item) {
			assert_null(json_object_get(item, "certificate_pem"));
			if (n < max)
				snprintf(out[n++], 80, "%s",
				         json_string_value(json_object_get(item, "serial_number")));
		}
		next = json_object_get(r.json, "next_cursor");
		if (json_is_null(next)) {
			http_response_free(&r);
			return n;
		}
		snprintf(cursor, sizeof(cursor), "%s", json_string_value(next));
		http_response_free(&r);
	}
	fail_msg("pagination did not end");
	return n;
}

static void
test_list_pages_and_filters(void **state)
{
	char path[256], got[10][80], when[RFC3339_LEN];
	struct http_response r;
	size_t n;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca_id);
	n = collect(path, 2, got, 10);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(got[i], serials[i]); /* issuance order, nothing twice */

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?common_name=reader-a", ca_id);
	n = collect(path, 1, got, 10);
	assert_int_equal(n, 2);
	assert_string_equal(got[0], serials[0]);
	assert_string_equal(got[1], serials[2]);

	rfc3339_format(time(NULL) + 25 * 86400, when);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?expires_before=%s", ca_id, when);
	n = collect(path, 100, got, 10);
	assert_int_equal(n, 2);

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?status=valid", ca_id);
	assert_int_equal(collect(path, 100, got, 10), 5);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?status=expired", ca_id);
	assert_int_equal(collect(path, 100, got, 10), 0);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?status=revoked", ca_id);
	assert_int_equal(collect(path, 100, got, 10), 0);

	/* bad parameters are refused, not ignored */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?status=bogus", ca_id);
	assert_int_equal(http_get(&in, path, auditor, &r), 400);
	http_response_free(&r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?limit=0", ca_id);
	assert_int_equal(http_get(&in, path, auditor, &r), 400);
	http_response_free(&r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?limit=1001", ca_id);
	assert_int_equal(http_get(&in, path, auditor, &r), 400);
	http_response_free(&r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?cursor=bm90LWEtY3Vyc29y", ca_id);
	assert_int_equal(http_get(&in, path, auditor, &r), 400);
	assert_string_equal(http_problem_type(&r), "invalid-cursor");
	http_response_free(&r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?expires_before=tomorrow", ca_id);
	assert_int_equal(http_get(&in, path, auditor, &r), 400);
	http_response_free(&r);
}

static void
test_list_cas(void **state)
{
	struct http_response r;
	char first[64];

	for (int i = 0; i < 3; i++) {
		char body[128];
		snprintf(body, sizeof(body), "{\"common_name\": \"Listed Root %d\"}", i);
		assert_int_equal(http_post_json(&in, "/api/v1/cas", in.admin_token, body, &r), 201);
		http_response_free(&r);
	}
	assert_int_equal(http_get(&in, "/api/v1/cas?limit=2", auditor, &r), 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "items")), 2);
	snprintf(first, sizeof(first), "%s",
	         json_string_value(json_object_get(json_array_get(json_object_get(r.json, "items"),
	                                                          0), "id")));
	assert_string_equal(first, ca_id); /* oldest first */
	{
		char url[256];
		struct http_response next;
		snprintf(url, sizeof(url), "/api/v1/cas?limit=2&cursor=%s",
		         json_string_value(json_object_get(r.json, "next_cursor")));
		assert_int_equal(http_get(&in, url, auditor, &next), 200);
		assert_int_equal(json_array_size(json_object_get(next.json, "items")), 2);
		assert_true(json_is_null(json_object_get(next.json, "next_cursor")));
		http_response_free(&next);
	}
	http_response_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ca_certificate_pem_and_der),
		cmocka_unit_test(test_certificate_by_serial),
		cmocka_unit_test(test_list_pages_and_filters),
		cmocka_unit_test(test_list_cas),
	};

	return fixture_run_tests(tests, &fx);
}
