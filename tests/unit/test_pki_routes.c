/* Unit tests of the plain-HTTP PKI listener's route table (api/pki):
 * what it serves, 404 and 405 with the methods of Allow, path
 * parameters; and the public file names and caching rules both
 * listeners share (public_file.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "api/pki/pki.h"
#include "api/pki/public_file.h"

/* The route of method on path (NULL: none), *allowed as the matcher says. */
static const struct pki_route *
route(const char *method, const char *path, struct pki_request *r, unsigned *allowed)
{
	static char scratch[512];

	memset(r, 0, sizeof(*r));
	assert_true(strlen(path) < sizeof(scratch));
	return pki_route_match(method, path, scratch, r, allowed);
}

static void
test_served(void **state)
{
	struct pki_request r;
	unsigned allowed;
	const struct pki_route *rt;

	rt = route("GET", "/crl/0b1c/default.2.crl", &r, &allowed);
	assert_non_null(rt);
	assert_ptr_equal(rt->handler, pki_crl_get);
	assert_string_equal(pki_param(&r, "ca_id"), "0b1c");
	assert_string_equal(pki_param(&r, "file"), "default.2.crl");
	assert_null(pki_param(&r, "other"));
	rt = route("HEAD", "/ca/0b1c/eu.crt", &r, &allowed);
	assert_non_null(rt);
	assert_ptr_equal(rt->handler, pki_ca_certificate_get);
	assert_string_equal(pki_param(&r, "file"), "eu.crt");
}

static void
test_refused(void **state)
{
	const char *const absent[] = {"/", "", "/crl", "/crl/", "/crl/a", "/crl/a/", "/crl//b",
	                              "/crl/a/b/c", "/crl/a/b/", "//crl/a/b", "/api/v1/cas",
	                              "/healthz", "/ca/a", "/cax/a/b", "/cr/a/b"};
	struct pki_request r;
	unsigned allowed;

	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		if (route("GET", absent[i], &r, &allowed) != NULL)
			fail_msg("%s is served", absent[i]);
		assert_int_equal(allowed, 0);
		assert_int_equal(r.n_params, 0);
	}
	/* a path served, another method: 405 with GET and HEAD */
	assert_null(route("POST", "/crl/a/b.crl", &r, &allowed));
	assert_int_equal(allowed, PKI_GET | PKI_HEAD);
	assert_null(route("DELETE", "/ca/a/b.crt", &r, &allowed));
	assert_int_equal(allowed, PKI_GET | PKI_HEAD);
	assert_null(route("get", "/ca/a/b.crt", &r, &allowed)); /* methods are case-sensitive */
	assert_int_equal(allowed, PKI_GET | PKI_HEAD);
}

static void
test_public_files(void **state)
{
	char name[64];
	unsigned char der[] = {0x30, 0x00};
	struct ca_location loc = {.cert_der = der, .cert_len = 2, .generation = 3};
	size_t len = 0;

	assert_int_equal(public_file_generation("eu.crl", ".crl", name), 1);
	assert_string_equal(name, "eu");
	assert_int_equal(public_file_generation("eu.12.crl", ".crl", name), 12);
	assert_int_equal(public_file_generation("eu.1.crl", ".crl", name), 0);
	assert_int_equal(public_file_generation("eu.02.crl", ".crl", name), 0);
	assert_int_equal(public_file_generation("eu.crt", ".crl", name), 0);
	assert_int_equal(public_file_generation(".crl", ".crl", name), 0);
	assert_int_equal(public_file_generation(NULL, ".crl", name), 0);
	assert_ptr_equal(public_file_location_der(&loc, 3, &len), der);
	assert_int_equal(len, 2);
	assert_null(public_file_location_der(&loc, 2, &len));
	assert_int_equal(public_crl_max_age(1000, 2000), 0);
	assert_int_equal(public_crl_max_age(2100, 2000), 100);
	assert_int_equal(public_crl_max_age(100000, 2000), PUBLIC_CRL_MAX_AGE_S);
}

static void
test_not_modified(void **state)
{
	char date[40];

	assert_true(public_not_modified("\"abc\"", NULL, "\"abc\"", 0));
	assert_true(public_not_modified("\"x\", W/\"abc\"", NULL, "\"abc\"", 0));
	assert_true(public_not_modified("*", NULL, "\"abc\"", 0));
	assert_false(public_not_modified("\"abcd\"", NULL, "\"abc\"", 0));
	assert_false(public_not_modified(NULL, NULL, "\"abc\"", 0));
	public_http_date(1000000000, date);
	assert_string_equal(date, "Sun, 09 Sep 2001 01:46:40 GMT");
	assert_true(public_not_modified(NULL, date, "\"abc\"", 1000000000));
	assert_false(public_not_modified(NULL, date, "\"abc\"", 1000000001));
	/* If-None-Match decides when present */
	assert_false(public_not_modified("\"x\"", date, "\"abc\"", 1000000000));
	assert_false(public_not_modified(NULL, "yesterday", "\"abc\"", 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_served),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_public_files),
		cmocka_unit_test(test_not_modified),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
