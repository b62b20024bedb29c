/* Unit tests of the API listener's request checks: the EDGECA_CORS_ORIGINS
 * list (api/listen/cors.h), and the query parameters each route of
 * api_routes[] takes with the dispatcher's refusal of unknown and repeated
 * ones (api/rest/query.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "api/listen/cors.h"
#include "api/rest/handlers.h"
#include "api/rest/query.h"
#include "api/rest/routes.h"
#include "server/config.h"

/* The first route of api_routes[] that handler serves. */
static const struct api_route *
route(api_handler handler)
{
	for (size_t i = 0; i < api_routes_count; i++)
		if (api_routes[i].handler == handler)
			return &api_routes[i];
	fail_msg("no route is served by this handler");
	return NULL;
}

/* Parses list; expects it refused with a detail naming what. */
static void
origins_refused(const char *list, const char *what)
{
	struct cors_origins *c = (struct cors_origins *)1;
	struct edgeca_msg msg = {0};

	if (cors_origins_parse(list, &c, &msg) != EDGECA_ERR_INVALID)
		fail_msg("EDGECA_CORS_ORIGINS=%s was accepted", list);
	assert_null(c);
	assert_non_null(strstr(msg.detail, "EDGECA_CORS_ORIGINS"));
	if (strstr(msg.detail, what) == NULL)
		fail_msg("%s: the detail \"%s\" does not name %s", list, msg.detail, what);
	edgeca_msg_clear(&msg);
}

static struct cors_origins *
origins(const char *list)
{
	struct cors_origins *c = NULL;
	struct edgeca_msg msg = {0};

	if (cors_origins_parse(list, &c, &msg) != EDGECA_OK)
		fail_msg("EDGECA_CORS_ORIGINS=%s: %s", list, msg.detail);
	return c;
}

static void
test_origins_parsed(void **state)
{
	struct cors_origins *c;

	(void)state;
	/* none: no CORS */
	assert_null(origins(NULL));
	assert_null(origins(""));
	assert_null(origins("  "));
	assert_null(cors_origin_allowed(NULL, "https://portal.example.com"));

	c = origins(" https://portal.example.com ,http://localhost:3000,https://[2001:db8::1]:8443");
	assert_false(c->any);
	assert_int_equal(c->n, 3);
	assert_string_equal(cors_origin_allowed(c, "https://portal.example.com"),
	                    "https://portal.example.com");
	assert_string_equal(cors_origin_allowed(c, "http://localhost:3000"), "http://localhost:3000");
	assert_non_null(cors_origin_allowed(c, "https://[2001:db8::1]:8443"));
	/* exact: no prefix, suffix, other scheme, other port or case */
	assert_null(cors_origin_allowed(c, "https://portal.example.com.evil.example"));
	assert_null(cors_origin_allowed(c, "https://portal.example.co"));
	assert_null(cors_origin_allowed(c, "http://portal.example.com"));
	assert_null(cors_origin_allowed(c, "http://localhost:3001"));
	assert_null(cors_origin_allowed(c, "https://Portal.example.com"));
	assert_null(cors_origin_allowed(c, "null"));
	assert_null(cors_origin_allowed(c, NULL));
	cors_origins_free(c);

	c = origins("*");
	assert_true(c->any);
	assert_string_equal(cors_origin_allowed(c, "https://anything.example"), "*");
	assert_null(cors_origin_allowed(c, NULL));
	cors_origins_free(c);
	cors_origins_free(NULL);
}

static void
test_origins_refused(void **state)
{
	(void)state;
	origins_refused("portal.example.com", "portal.example.com");
	origins_refused("https://portal.example.com/", "https://portal.example.com/");
	origins_refused("https://portal.example.com/app", "/app");
	origins_refused("ftp://portal.example.com", "ftp://");
	origins_refused("https://Portal.example.com", "Portal");
	origins_refused("HTTPS://portal.example.com", "HTTPS");
	origins_refused("https://", "https://");
	origins_refused("https://portal.example.com:0", ":0");
	origins_refused("https://portal.example.com:65536", "65536");
	origins_refused("https://portal.example.com:", "portal");
	origins_refused("https://-portal.example.com", "-portal");
	origins_refused("https://user@portal.example.com", "user@");
	origins_refused("https://[zz::1]", "zz::1");
	origins_refused("null", "null");
	origins_refused("https://a.example, ,https://b.example", "\"\"");
	origins_refused("*, https://portal.example.com", "\"*\"");
	origins_refused(",", "no origin");
}

static void
test_origins_capped(void **state)
{
	char list[40 * 32], *p = list;

	(void)state;
	for (int i = 0; i <= CORS_ORIGINS_MAX; i++)
		p += sprintf(p, "%shttps://p%d.example", i > 0 ? "," : "", i);
	origins_refused(list, "more than");
	p[-1] = '\0';
	*strrchr(list, ',') = '\0';
	cors_origins_free(origins(list));
}

static const char *cors_env;

static const char *
fake_getenv(const char *name)
{
	return strcmp(name, "EDGECA_CORS_ORIGINS") == 0 ? cors_env : NULL;
}

/* The setting is read and checked with the others, at start-up and by
 * check-config. */
static void
test_config_setting(void **state)
{
	struct edgeca_config c;
	struct edgeca_msg msg = {0};

	(void)state;
	assert_true(config_var_known("EDGECA_CORS_ORIGINS"));
	cors_env = NULL;
	assert_int_equal(config_load(&c, fake_getenv, &msg), EDGECA_OK);
	assert_null(c.cors_origins); /* none by default */
	config_free(&c);
	cors_env = "https://portal.example.com";
	assert_int_equal(config_load(&c, fake_getenv, &msg), EDGECA_OK);
	assert_non_null(cors_origin_allowed(c.cors_origins, "https://portal.example.com"));
	config_free(&c);
	cors_env = "https://portal.example.com/";
	assert_int_equal(config_load(&c, fake_getenv, &msg), EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "invalid-configuration");
	assert_non_null(strstr(msg.detail, "EDGECA_CORS_ORIGINS"));
	assert_null(c.cors_origins);
	edgeca_msg_clear(&msg);
}

static void
test_query_table(void **state)
{
	(void)state;
	assert_true(api_query_takes(route(api_certificates_list), "common_name"));
	assert_true(api_query_takes(route(api_certificates_list), "expires_before"));
	assert_false(api_query_takes(route(api_certificates_list), "comon_name"));
	assert_false(api_query_takes(route(api_certificates_list), "ca_id")); /* a path parameter */
	assert_true(api_query_takes(route(api_cas_list), "cursor"));
	assert_false(api_query_takes(route(api_cas_list), "status"));
	assert_true(api_query_takes(route(api_audit_list), "object_type"));
	assert_true(api_query_takes(route(api_cas_crl_get), "delta"));
	assert_true(api_query_takes(route(api_certificates_issue), "validity_days"));
	assert_true(api_query_takes(route(api_cas_iotedge_config), "id_scope"));
	/* a route without a query list takes none */
	assert_false(api_query_takes(route(api_cas_get), "limit"));
	assert_false(api_query_takes(route(api_health_healthz), ""));
	assert_true(api_query_ignored(route(api_public_crl)));
	assert_true(api_query_ignored(route(api_public_ca_certificate)));
	assert_false(api_query_ignored(route(api_cas_crl_get)));
}

/* api_query_refused on target for handler's route; want: NULL (accepted) or the
 * text the detail must hold. */
static void
query(const char *target, api_handler handler, const char *want)
{
	char detail[128] = "";
	int refused = api_query_refused(target, route(handler), detail, sizeof(detail));

	if (want == NULL && refused)
		fail_msg("%s refused: %s", target, detail);
	if (want != NULL && (!refused || strstr(detail, want) == NULL))
		fail_msg("%s: want a refusal naming %s, got %d \"%s\"", target, want, refused, detail);
}

static void
test_query_refused(void **state)
{
	char longname[300];

	(void)state;
	query("/api/v1/cas/x/certificates", api_certificates_list, NULL);
	query("/api/v1/cas/x/certificates?", api_certificates_list, NULL);
	query("/api/v1/cas/x/certificates?common_name=a&status=valid&limit=2&cursor=c",
	      api_certificates_list, NULL);
	query("/api/v1/cas/x/certificates?&&common_name=a&", api_certificates_list, NULL);
	query("/x?comm%6Fn_name=a", api_certificates_list, NULL);
	query("/x?comon_name=a", api_certificates_list, "unknown query parameter comon_name");
	query("/x?limit", api_cas_get, "unknown query parameter limit");
	query("/x?ca_id=a", api_cas_get, "ca_id");
	query("/x?limit=1&limit=2", api_cas_list, "limit is given more than once");
	query("/x?limit=1&cursor=c&lim%69t=2", api_cas_list, "limit is given more than once");
	query("/x?cursor=a&limit=1&cursor", api_cas_list, "cursor is given more than once");
	/* a list parameter may repeat; the others of its operation may not */
	query("/x?ca_id=a&ca_id=b&status=valid", api_cert_search, NULL);
	query("/x?ca_id=a&sort=serial&sort=-serial", api_cert_search, "sort is given more than once");
	query("/x?li+mit=1", api_cas_list, "li mit");
	query("/x?a%0Ab=1", api_cas_list, "a?b");
	/* a value may hold anything; only names are checked */
	query("/x?cursor=limit%3D1%26limit=2", api_cas_list, NULL);
	memset(longname, 'n', sizeof(longname) - 1);
	memcpy(longname, "/x?", 3);
	longname[sizeof(longname) - 1] = '\0';
	query(longname, api_cas_list, "...");
	/* public files ignore queries */
	query("/crl/x/default.crl?nocache=1&nocache=2", api_public_crl, NULL);
	query(NULL, api_cas_list, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_origins_parsed),
		cmocka_unit_test(test_origins_refused),
		cmocka_unit_test(test_origins_capped),
		cmocka_unit_test(test_config_setting),
		cmocka_unit_test(test_query_table),
		cmocka_unit_test(test_query_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
