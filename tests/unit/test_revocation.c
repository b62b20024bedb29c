/* Unit tests of model/revocation's pure decisions: which reasons one may
 * revoke with, what a revocation or a release does to each stored state,
 * and who may revoke a certificate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "model/revoke/revocation.h"

static void
test_reasons(void **state)
{
	const char *ok[] = {"unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
	                    "superseded", "cessationOfOperation", "certificateHold",
	                    "privilegeWithdrawn", "aACompromise"};
	const char *bad[] = {"removeFromCRL", "", "keycompromise", "KeyCompromise", "hold",
	                     "unspecified ", "8"};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_true(revocation_reason_valid(ok[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(revocation_reason_valid(bad[i]));
	assert_false(revocation_reason_valid(NULL));
}

/* Every stored state against every kind of request. */
static void
test_decide(void **state)
{
	struct edgeca_msg msg = {0};
	bool change = true;

	/* valid: any reason revokes */
	assert_int_equal(revocation_decide(false, "", "keyCompromise", &change, &msg), EDGECA_OK);
	assert_true(change);
	assert_int_equal(revocation_decide(false, "", "certificateHold", &change, &msg), EDGECA_OK);
	assert_true(change);
	/* the same reason again: nothing to do */
	assert_int_equal(revocation_decide(true, "superseded", "superseded", &change, &msg),
	                 EDGECA_OK);
	assert_false(change);
	assert_int_equal(revocation_decide(true, "certificateHold", "certificateHold", &change,
	                                   &msg), EDGECA_OK);
	assert_false(change);
	/* a hold becomes permanent */
	assert_int_equal(revocation_decide(true, "certificateHold", "keyCompromise", &change, &msg),
	                 EDGECA_OK);
	assert_true(change);
	/* a permanent revocation keeps its reason, also against a hold */
	assert_int_equal(revocation_decide(true, "keyCompromise", "superseded", &change, &msg),
	                 EDGECA_ERR_CONFLICT);
	assert_false(change);
	assert_string_equal(msg.type, "certificate-already-revoked");
	assert_int_equal(revocation_decide(true, "unspecified", "certificateHold", &change, &msg),
	                 EDGECA_ERR_CONFLICT);
	assert_false(change);
}

static void
test_decide_release(void **state)
{
	struct edgeca_msg msg = {0};

	assert_int_equal(revocation_decide_release(true, "certificateHold", &msg), EDGECA_OK);
	assert_int_equal(revocation_decide_release(false, "", &msg), EDGECA_ERR_CONFLICT);
	assert_string_equal(msg.type, "certificate-not-revoked");
	assert_int_equal(revocation_decide_release(true, "keyCompromise", &msg),
	                 EDGECA_ERR_CONFLICT);
	assert_string_equal(msg.type, "certificate-not-on-hold");
}

static struct principal
who(enum role role, const char *actor)
{
	struct principal p;

	memset(&p, 0, sizeof(p));
	p.role = role;
	snprintf(p.actor, sizeof(p.actor), "%s", actor);
	return p;
}

static void
test_may_act(void **state)
{
	struct principal admin = who(ROLE_PKI_ADMIN, "token:admin");
	struct principal req = who(ROLE_REQUESTER, "token:line-3");
	struct principal aud = who(ROLE_AUDITOR, "token:line-3");
	struct principal none = who(ROLE_NONE, "token:line-3");
	struct edgeca_msg msg = {0};

	assert_int_equal(revocation_may_act(&admin, "token:line-3", &msg), EDGECA_OK);
	assert_int_equal(revocation_may_act(&admin, "est:issued:1:x", &msg), EDGECA_OK);
	assert_int_equal(revocation_may_act(&req, "token:line-3", &msg), EDGECA_OK);
	assert_int_equal(revocation_may_act(&req, "token:line-4", &msg), EDGECA_ERR_NOT_PERMITTED);
	assert_int_equal(revocation_may_act(&req, "token:line-33", &msg), EDGECA_ERR_NOT_PERMITTED);
	assert_int_equal(revocation_may_act(&req, "", &msg), EDGECA_ERR_NOT_PERMITTED);
	/* an auditor may not, even for what its name requested */
	assert_int_equal(revocation_may_act(&aud, "token:line-3", &msg), EDGECA_ERR_NOT_PERMITTED);
	assert_int_equal(revocation_may_act(&none, "token:line-3", &msg), EDGECA_ERR_NOT_PERMITTED);
	assert_string_equal(msg.type, "forbidden");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_decide_release),
		cmocka_unit_test(test_may_act),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
