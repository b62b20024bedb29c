/* Unit tests of the crl.delta rules (model/ca/settings.c): off and 60
 * minutes by default, 5 to 1440 minutes, only beside CRLs, turned off
 * with them, at creation (ca_settings_resolve) and on update
 * (ca_crl_apply). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "model/ca/ca.h"

static const time_t now = 1800000000;

static struct ca *
resolve(int delta_enabled, long interval, edgeca_err want, struct edgeca_msg *msg)
{
	struct ca_create_req r;
	struct ca *ca = NULL;
	time_t na = 0;

	ca_create_req_init(&r);
	r.common_name = "Delta Root CA";
	r.crl_delta_enabled = delta_enabled;
	r.crl_delta_interval_minutes = interval;
	assert_int_equal(ca_settings_resolve(&r, "default", now, &ca, &na, msg), want);
	return ca;
}

static void
test_creation(void **state)
{
	struct edgeca_msg msg;
	struct ca *ca = resolve(-1, CA_FIELD_UNSET, EDGECA_OK, &msg);

	assert_false(ca->crl_delta_enabled);
	assert_int_equal(ca->crl_delta_interval_minutes, 60);
	ca_free(ca);
	ca = resolve(1, 5, EDGECA_OK, &msg);
	assert_true(ca->crl_delta_enabled);
	assert_int_equal(ca->crl_delta_interval_minutes, 5);
	ca_free(ca);
	ca = resolve(1, 1440, EDGECA_OK, &msg);
	assert_int_equal(ca->crl_delta_interval_minutes, 1440);
	ca_free(ca);
	for (long bad = 4; bad <= 1441; bad += 1437) {
		assert_null(resolve(1, bad, EDGECA_ERR_INVALID, &msg));
		assert_string_equal(msg.type, "invalid-field");
		assert_non_null(strstr(msg.detail, "crl.delta.interval_minutes"));
	}
}

static void
test_update(void **state)
{
	struct edgeca_msg msg;
	struct ca *ca = resolve(-1, CA_FIELD_UNSET, EDGECA_OK, &msg);
	struct ca_crl_req r;

	/* on, alone: the interval stays */
	ca_crl_req_init(&r);
	r.delta_enabled = 1;
	assert_int_equal(ca_crl_apply(&r, ca, &msg), EDGECA_OK);
	assert_true(ca->crl_delta_enabled);
	assert_int_equal(ca->crl_delta_interval_minutes, 60);
	/* CRLs off turn deltas off */
	ca_crl_req_init(&r);
	r.enabled = 0;
	assert_int_equal(ca_crl_apply(&r, ca, &msg), EDGECA_OK);
	assert_false(ca->crl_enabled);
	assert_false(ca->crl_delta_enabled);
	/* deltas without CRLs are refused */
	ca_crl_req_init(&r);
	r.delta_enabled = 1;
	assert_int_equal(ca_crl_apply(&r, ca, &msg), EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "invalid-field");
	assert_non_null(strstr(msg.detail, "crl.delta.enabled"));
	/* both at once are fine */
	r.enabled = 1;
	r.delta_interval_minutes = 15;
	assert_int_equal(ca_crl_apply(&r, ca, &msg), EDGECA_OK);
	assert_true(ca->crl_enabled && ca->crl_delta_enabled);
	assert_int_equal(ca->crl_delta_interval_minutes, 15);
	ca_free(ca);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_creation),
		cmocka_unit_test(test_update),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
