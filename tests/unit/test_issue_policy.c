/* Unit tests of model/issue_policy: the issuing location, and the path
 * length edgeca asks for when it chains a subordinate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/issue_policy.h"
#include "unit_helpers.h"

/* A CA of id, default template tpl, allowed templates allowed (NULL-
 * terminated), one location of status loc_status: enough for the rules. */
struct test_ca {
	struct ca ca;
	struct ca_location loc;
	char *allowed[8];
};

static void
make_ca(struct test_ca *t, const char *tpl, const char *const *allowed, const char *loc_status)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->ca.id, sizeof(t->ca.id), "2b1f5876-73f0-4518-af2d-d81abd34d2bd");
	snprintf(t->ca.status, sizeof(t->ca.status), "active");
	snprintf(t->ca.template, sizeof(t->ca.template), "%s", tpl);
	for (int i = 0; allowed[i] != NULL && i < 7; i++)
		t->allowed[i] = (char *)allowed[i];
	t->ca.allowed_templates = t->allowed;
	t->ca.path_length = -1;
	snprintf(t->loc.name, sizeof(t->loc.name), "default");
	snprintf(t->loc.status, sizeof(t->loc.status), "%s", loc_status);
	t->ca.locations = &t->loc;
	t->ca.n_locations = 1;
}

static void
test_issue_location(void **state)
{
	static const char *const allowed[] = {"client", NULL};
	const struct ca_location *loc;
	struct edgeca_msg msg;
	struct test_ca t;

	(void)state;
	make_ca(&t, "client", allowed, "active");
	assert_int_equal(issue_location(&t.ca, NULL, &loc, &msg), EDGECA_OK);
	assert_ptr_equal(loc, &t.loc);
	assert_int_equal(issue_location(&t.ca, "default", &loc, &msg), EDGECA_OK);
	assert_int_equal(issue_location(&t.ca, "elsewhere", &loc, &msg), EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "location-not-active");
	assert_null(loc);
	make_ca(&t, "client", allowed, "revoked");
	assert_int_equal(issue_location(&t.ca, "default", &loc, &msg), EDGECA_ERR_CONFLICT);
	assert_string_equal(msg.type, "location-revoked");
	snprintf(t.ca.status, sizeof(t.ca.status), "revoked");
	assert_int_equal(issue_location(&t.ca, NULL, &loc, &msg), EDGECA_ERR_CONFLICT);
	assert_string_equal(msg.type, "ca-revoked");
	make_ca(&t, "client", allowed, "pending_chaining");
	snprintf(t.ca.status, sizeof(t.ca.status), "pending_chaining");
	assert_int_equal(issue_location(&t.ca, NULL, &loc, &msg), EDGECA_ERR_CONFLICT);
	assert_string_equal(msg.type, "ca-not-active");
}

/* A subordinate that may sign no CA template gets pathlen 0 from its
 * parent; one that may keeps the most the parent allows; a path_length
 * given at creation is what it asked for. */
static void
test_child_path_length(void **state)
{
	static const char *const client[] = {"client", NULL};
	static const char *const devices[] = {"client", "ssl", NULL};
	static const char *const edge[] = {"client", "iot_edge_ca", NULL};
	static const char *const sub[] = {"subordinate_ca", NULL};
	struct test_ca t;

	(void)state;
	make_ca(&t, "client", client, "active");
	assert_int_equal(issue_child_path_length(&t.ca), 0);
	make_ca(&t, "ssl", devices, "active");
	assert_int_equal(issue_child_path_length(&t.ca), 0);
	make_ca(&t, "client", edge, "active");
	assert_int_equal(issue_child_path_length(&t.ca), -1);
	make_ca(&t, "subordinate_ca", sub, "active");
	assert_int_equal(issue_child_path_length(&t.ca), -1);
	t.ca.path_length = 2;
	assert_int_equal(issue_child_path_length(&t.ca), 2);
	make_ca(&t, "client", client, "active");
	t.ca.path_length = 0;
	assert_int_equal(issue_child_path_length(&t.ca), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_location),
		cmocka_unit_test(test_child_path_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
