/* Unit tests of what a failure shows API callers: the status and problem
 * type of each edgeca_err (api/listen/status.c), the signer's slugs only
 * when the API documents them, and no PostgreSQL wording in a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "api/listen/status.h"
#include "common/error.h"
#include "model/store/db.h"

static void
test_statuses(void **state)
{
	(void)state;
	assert_int_equal(api_status_of(EDGECA_ERR_MALFORMED), 400);
	assert_int_equal(api_status_of(EDGECA_ERR_INVALID), 422);
	assert_int_equal(api_status_of(EDGECA_ERR_UNAUTHENTICATED), 401);
	assert_int_equal(api_status_of(EDGECA_ERR_NOT_PERMITTED), 403);
	assert_int_equal(api_status_of(EDGECA_ERR_NOT_FOUND), 404);
	assert_int_equal(api_status_of(EDGECA_ERR_CONFLICT), 409);
	assert_int_equal(api_status_of(EDGECA_ERR_OVERSIZED), 413);
	assert_int_equal(api_status_of(EDGECA_ERR_FORMAT_UNSUPPORTED), 415);
	assert_int_equal(api_status_of(EDGECA_ERR_FORMAT_UNAVAILABLE), 406);
	assert_int_equal(api_status_of(EDGECA_ERR_THROTTLED), 429);
	assert_int_equal(api_status_of(EDGECA_ERR_UNAVAILABLE), 503);
	assert_int_equal(api_status_of(EDGECA_ERR_INTERNAL), 500);
	assert_int_equal(api_status_of((edgeca_err)999), 500);
	assert_string_equal(api_status_title(EDGECA_ERR_FORMAT_UNAVAILABLE), "Not Acceptable");
}

static void
test_own_slugs_shown(void **state)
{
	struct edgeca_msg msg = {0};

	(void)state;
	assert_string_equal(api_slug_of(NULL, EDGECA_ERR_OVERSIZED), "payload-too-large");
	edgeca_fail(&msg, EDGECA_ERR_CONFLICT, NULL, "x");
	assert_string_equal(api_slug_of(&msg, EDGECA_ERR_CONFLICT), "conflict");
	edgeca_fail(&msg, EDGECA_ERR_CONFLICT, "crl-session", "x");
	assert_string_equal(api_slug_of(&msg, EDGECA_ERR_CONFLICT), "crl-session");
}

static void
test_signer_slugs_filtered(void **state)
{
	struct edgeca_msg msg = {0};

	(void)state;
	/* documented: shown */
	edgeca_fail(&msg, EDGECA_ERR_INVALID, "name-not-allowed", "the name is not allowed");
	msg.type_internal = true;
	assert_string_equal(api_slug_of(&msg, EDGECA_ERR_INVALID), "name-not-allowed");
	/* what the signer says of edgeca's own requests: the code's default */
	edgeca_fail(&msg, EDGECA_ERR_CONFLICT, "crl-session", "no CRL session");
	msg.type_internal = true;
	assert_string_equal(api_slug_of(&msg, EDGECA_ERR_CONFLICT), "conflict");
	edgeca_fail(&msg, EDGECA_ERR_NOT_FOUND, "key-not-found", "no key");
	msg.type_internal = true;
	assert_string_equal(api_slug_of(&msg, EDGECA_ERR_NOT_FOUND), "not-found");
	edgeca_fail(&msg, EDGECA_ERR_INVALID, "policy-invalid", "bad policy");
	msg.type_internal = true;
	assert_string_equal(api_slug_of(&msg, EDGECA_ERR_INVALID), "invalid-request");
	/* a new failure is the caller's own again */
	edgeca_fail(&msg, EDGECA_ERR_NOT_FOUND, "key-not-found", "no key");
	assert_false(msg.type_internal);
}

/* A database that cannot be reached: the message says so in edgeca's
 * words; PostgreSQL's (host names, socket paths, its own sentences) only
 * go to the log. */
static void
test_no_postgresql_text(void **state)
{
	struct edgeca_msg msg = {0};
	PGconn *c = NULL;

	(void)state;
	assert_int_equal(db_connect("host=/nonexistent-edgeca-socket-dir port=1 connect_timeout=2",
	                            &c, &msg),
	                 EDGECA_ERR_UNAVAILABLE);
	assert_null(c);
	assert_string_equal(msg.type, "database-unavailable");
	assert_string_equal(msg.detail, "cannot connect to the database");
	assert_null(strstr(msg.detail, "nonexistent"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_statuses),
		cmocka_unit_test(test_own_slugs_shown),
		cmocka_unit_test(test_signer_slugs_filtered),
		cmocka_unit_test(test_no_postgresql_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
