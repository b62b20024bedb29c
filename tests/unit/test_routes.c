/* Unit tests of the API listener's route table (api/rest/routes.c): each
 * route states there whether it needs the signer, honours
 * Idempotency-Key, negotiates by Accept and which query parameters it
 * takes. Checked here against the table itself and against
 * openapi/openapi.yaml, so that a route added with a property forgotten
 * fails a test instead of misbehaving. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/rest/query.h"
#include "api/rest/routes.h"

/* The OpenAPI description as JSON; YAML is read by the same python3 and
 * PyYAML as tests/openapi/check_contract.py. */
static json_t *spec;

static int
spec_load(void **state)
{
	const char *src = getenv("EDGECA_TEST_SRC_DIR");
	char cmd[1024];
	json_error_t err;
	FILE *f;
	int rc;

	(void)state;
	if (src == NULL || strchr(src, '\'') != NULL)
		return -1;
	snprintf(cmd, sizeof(cmd),
	         "/usr/bin/python3 -c 'import json, sys, yaml; "
	         "json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout, default=str)' "
	         "'%s/openapi/openapi.yaml'",
	         src);
	f = popen(cmd, "r");
	if (f == NULL)
		return -1;
	spec = json_loadf(f, 0, &err);
	rc = pclose(f);
	if (spec == NULL || rc != 0) {
		fprintf(stderr, "openapi.yaml: %s (python3 exit %d)\n", err.text, rc);
		return -1;
	}
	return 0;
}

static int
spec_free(void **state)
{
	(void)state;
	json_decref(spec);
	spec = NULL;
	return 0;
}

/* The object a local $ref ("#/components/parameters/Limit") names, or
 * node itself when it is no reference. */
static json_t *
deref(json_t *node)
{
	const char *ref = json_string_value(json_object_get(node, "$ref"));
	char part[128];
	json_t *at = spec;

	if (ref == NULL)
		return node;
	assert_true(strncmp(ref, "#/", 2) == 0);
	for (const char *p = ref + 2; *p != '\0' && at != NULL;) {
		size_t n = strcspn(p, "/");
		assert_true(n < sizeof(part));
		memcpy(part, p, n);
		part[n] = '\0';
		at = json_object_get(at, part);
		p += n + (p[n] == '/');
	}
	assert_non_null(at);
	return deref(at);
}

/* The spec's operation for route, or NULL when it describes none: the
 * path with {name} for :name, the method in lower case. *params: its
 * parameters and those of its path, dereferenced (the caller's). */
static json_t *
operation(const struct api_route *r, json_t **params)
{
	char path[256], method[16];
	size_t n = 0, i;
	json_t *item, *op, *p;

	*params = NULL;
	for (const char *c = r->path; *c != '\0' && n + 2 < sizeof(path); c++) {
		if (*c != ':') {
			path[n++] = *c;
			continue;
		}
		path[n++] = '{';
		for (c++; *c != '\0' && *c != '/' && n + 2 < sizeof(path); c++)
			path[n++] = *c;
		path[n++] = '}';
		if (*c == '\0')
			break;
		path[n++] = *c;
	}
	path[n] = '\0';
	for (i = 0; r->method[i] != '\0' && i + 1 < sizeof(method); i++)
		method[i] = (char)(r->method[i] - 'A' + 'a');
	method[i] = '\0';
	item = json_object_get(json_object_get(spec, "paths"), path);
	op = json_object_get(item, method);
	if (op == NULL)
		return NULL;
	*params = json_array();
	assert_non_null(*params);
	json_array_foreach(json_object_get(item, "parameters"), i, p)
		assert_int_equal(json_array_append(*params, deref(p)), 0);
	json_array_foreach(json_object_get(op, "parameters"), i, p)
		assert_int_equal(json_array_append(*params, deref(p)), 0);
	return op;
}

static int
streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* True when params declare a parameter named name in where ("query",
 * "header"). */
static int
declares(json_t *params, const char *name, const char *where)
{
	size_t i;
	json_t *d;

	json_array_foreach(params, i, d) {
		if (streq(json_string_value(json_object_get(d, "name")), name) &&
		    streq(json_string_value(json_object_get(d, "in")), where))
			return 1;
	}
	return 0;
}

static int
listed(const char *const *names, const char *name)
{
	for (const char *const *n = names; n != NULL && *n != NULL; n++)
		if (strcmp(*n, name) == 0)
			return 1;
	return 0;
}

/* True when the route's path has the parameter :name. */
static int
path_param(const struct api_route *r, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = strchr(r->path, ':'); p != NULL; p = strchr(p + 1, ':'))
		if (strncmp(p + 1, name, n) == 0 && (p[n + 1] == '/' || p[n + 1] == '\0'))
			return 1;
	return 0;
}

static void
test_routes_unique(void **state)
{
	(void)state;
	assert_true(api_routes_count > 0);
	for (size_t i = 0; i < api_routes_count; i++)
		for (size_t k = i + 1; k < api_routes_count; k++)
			if (strcmp(api_routes[i].method, api_routes[k].method) == 0 &&
			    strcmp(api_routes[i].path, api_routes[k].path) == 0)
				fail_msg("%s %s is routed twice", api_routes[i].method,
				         api_routes[i].path);
}

/* Each property belongs to the methods it is meant for: Idempotency-Key
 * on POSTs, the signer gate on the POSTs that sign (no read waits for
 * the signer), Vary: Accept on GETs, ignored queries on public files. */
static void
test_props_fit_method(void **state)
{
	(void)state;
	for (size_t i = 0; i < api_routes_count; i++) {
		const struct api_route *r = &api_routes[i];
		int post = strcmp(r->method, "POST") == 0, get = strcmp(r->method, "GET") == 0;
		if ((r->props & ROUTE_IDEMPOTENT) && !post)
			fail_msg("%s %s: idempotent but not a POST", r->method, r->path);
		if ((r->props & ROUTE_SIGNER) && !post)
			fail_msg("%s %s: signer-bound but not a POST", r->method, r->path);
		if ((r->props & ROUTE_NEGOTIATED) && !get)
			fail_msg("%s %s: negotiated but not a GET", r->method, r->path);
		if ((r->props & ROUTE_ANY_QUERY) &&
		    (!get || r->access != ACCESS_PUBLIC || r->query != NULL))
			fail_msg("%s %s: ignores queries but is no public GET without a query list",
			         r->method, r->path);
		if ((r->props & ~(unsigned)(ROUTE_SIGNER | ROUTE_IDEMPOTENT | ROUTE_NEGOTIATED |
		                            ROUTE_ANY_QUERY)) != 0)
			fail_msg("%s %s: unknown property bits", r->method, r->path);
	}
}

/* A query list names each parameter once, its repeatable ones among
 * them, and no path parameter of the route. */
static void
test_query_lists(void **state)
{
	(void)state;
	for (size_t i = 0; i < api_routes_count; i++) {
		const struct api_route *r = &api_routes[i];
		if (r->query == NULL)
			continue;
		assert_non_null(r->query->names);
		if (r->query->names[0] == NULL)
			fail_msg("%s %s: an empty query list (NULL takes none)", r->method, r->path);
		for (const char *const *n = r->query->names; *n != NULL; n++) {
			if (listed(n + 1, *n))
				fail_msg("%s %s: %s listed twice", r->method, r->path, *n);
			if (path_param(r, *n))
				fail_msg("%s %s: %s is a path parameter", r->method, r->path, *n);
			assert_true(api_query_takes(r, *n));
		}
		for (const char *const *n = r->query->lists; n != NULL && *n != NULL; n++)
			if (!listed(r->query->names, *n))
				fail_msg("%s %s: repeatable %s is not taken", r->method, r->path, *n);
	}
}

/* The routes one handler serves behave alike: same properties, same
 * query parameters. */
static void
test_same_handler_alike(void **state)
{
	(void)state;
	for (size_t i = 0; i < api_routes_count; i++)
		for (size_t k = i + 1; k < api_routes_count; k++) {
			const struct api_route *a = &api_routes[i], *b = &api_routes[k];
			if (a->handler != b->handler)
				continue;
			if (a->props != b->props || a->query != b->query)
				fail_msg("%s %s and %s %s: one handler, different properties",
				         a->method, a->path, b->method, b->path);
		}
}

/* Idempotency-Key is honoured exactly where openapi.yaml declares it;
 * every API route is described there. */
static void
test_spec_idempotency(void **state)
{
	(void)state;
	for (size_t i = 0; i < api_routes_count; i++) {
		const struct api_route *r = &api_routes[i];
		json_t *params;
		int declared;
		if (operation(r, &params) == NULL) {
			if (strncmp(r->path, "/api/", 5) == 0)
				fail_msg("%s %s: not in openapi.yaml", r->method, r->path);
			continue;
		}
		declared = declares(params, "Idempotency-Key", "header");
		json_decref(params);
		if (declared != !!(r->props & ROUTE_IDEMPOTENT))
			fail_msg("%s %s: Idempotency-Key %s in openapi.yaml, %s in the route table",
			         r->method, r->path, declared ? "declared" : "absent",
			         (r->props & ROUTE_IDEMPOTENT) ? "honoured" : "not honoured");
	}
}

/* The query parameters openapi.yaml declares for an operation are exactly
 * those its route takes: one declared but not taken is refused with 400,
 * one taken but not declared is a parameter no generated client can send
 * (the path-level ones included). A negotiated route's 200 answer has more
 * than one media type to choose from. */
static void
test_spec_query(void **state)
{
	(void)state;
	for (size_t i = 0; i < api_routes_count; i++) {
		const struct api_route *r = &api_routes[i];
		json_t *params, *op = operation(r, &params), *d, *ok;
		size_t k;
		if (op == NULL)
			continue;
		json_array_foreach(params, k, d) {
			const char *name = json_string_value(json_object_get(d, "name"));
			if (!streq(json_string_value(json_object_get(d, "in")), "query"))
				continue;
			assert_non_null(name);
			if (!api_query_takes(r, name) && !api_query_ignored(r))
				fail_msg("%s %s: openapi.yaml declares ?%s, the route does not take it",
				         r->method, r->path, name);
		}
		for (const char *const *n = r->query != NULL ? r->query->names : NULL;
		     n != NULL && *n != NULL; n++)
			if (!declares(params, *n, "query"))
				fail_msg("%s %s: the route takes ?%s, openapi.yaml does not declare it",
				         r->method, r->path, *n);
		json_decref(params);
		if (!(r->props & ROUTE_NEGOTIATED))
			continue;
		ok = deref(json_object_get(json_object_get(op, "responses"), "200"));
		if (json_object_size(json_object_get(ok, "content")) < 2)
			fail_msg("%s %s: negotiated, but openapi.yaml has one media type", r->method,
			         r->path);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes_unique),
		cmocka_unit_test(test_props_fit_method),
		cmocka_unit_test(test_query_lists),
		cmocka_unit_test(test_same_handler_alike),
		cmocka_unit_test(test_spec_idempotency),
		cmocka_unit_test(test_spec_query),
	};

	return cmocka_run_group_tests(tests, spec_load, spec_free);
}
