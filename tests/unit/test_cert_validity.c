/* Unit tests of model/certificate's cert_resolve_validity: notAfter from
 * validity_days, not_after or the CA's maximum, against policy and issuer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "model/cert/certificate.h"

#define DAY 86400
static const time_t now = 1800000000; /* 2027-01-15T08:00:00Z; the function is pure */

struct result {
	edgeca_err rc;
	time_t not_after;
	char warning[512];
	struct edgeca_msg msg;
};

/* days: CA_FIELD_UNSET or a value; until: 0 for "not given". */
static struct result
resolve(long days, time_t until, int max_days, time_t issuer_na)
{
	struct cert_issue_req req;
	struct result r;

	cert_issue_req_init(&req);
	req.validity_days = days;
	req.has_not_after = until != 0;
	req.not_after = until;
	memset(&r, 0, sizeof(r));
	r.not_after = -1;
	r.rc = cert_resolve_validity(&req, max_days, issuer_na, now, &r.not_after, r.warning,
	                             sizeof(r.warning), &r.msg);
	return r;
}

static void
expect(struct result r, edgeca_err rc, const char *slug)
{
	assert_int_equal(r.rc, rc);
	assert_string_equal(r.msg.type, slug);
	assert_true(r.msg.detail[0] != '\0');
}

static void
test_days(void **state)
{
	struct result r;

	r = resolve(30, 0, 365, now + 1000 * DAY);
	assert_int_equal(r.rc, EDGECA_OK);
	assert_int_equal(r.not_after, now + 30 * DAY);
	assert_string_equal(r.warning, "");
	r = resolve(365, 0, 365, now + 1000 * DAY); /* exactly the maximum */
	assert_int_equal(r.rc, EDGECA_OK);
	assert_int_equal(r.not_after, now + 365 * DAY);
	r = resolve(100, 0, 365, now + 100 * DAY); /* ends with the issuer */
	assert_int_equal(r.rc, EDGECA_OK);
	expect(resolve(366, 0, 365, now + 1000 * DAY), EDGECA_ERR_INVALID,
	       "validity-exceeds-policy");
	expect(resolve(101, 0, 365, now + 100 * DAY), EDGECA_ERR_INVALID, "validity-exceeds-issuer");
	expect(resolve(0, 0, 365, now + 1000 * DAY), EDGECA_ERR_INVALID, "invalid-field");
	expect(resolve(-5, 0, 365, now + 1000 * DAY), EDGECA_ERR_INVALID, "invalid-field");
}

static void
test_not_after(void **state)
{
	struct result r;

	r = resolve(CA_FIELD_UNSET, now + 10 * DAY + 5, 365, now + 1000 * DAY);
	assert_int_equal(r.rc, EDGECA_OK);
	assert_int_equal(r.not_after, now + 10 * DAY + 5);
	assert_string_equal(r.warning, "");
	r = resolve(CA_FIELD_UNSET, now + 50 * DAY, 365, now + 50 * DAY);
	assert_int_equal(r.rc, EDGECA_OK);
	expect(resolve(CA_FIELD_UNSET, now + 50 * DAY + 1, 365, now + 50 * DAY), EDGECA_ERR_INVALID,
	       "validity-exceeds-issuer");
	expect(resolve(CA_FIELD_UNSET, now + 365 * DAY + 1, 365, now + 1000 * DAY),
	       EDGECA_ERR_INVALID, "validity-exceeds-policy");
	expect(resolve(CA_FIELD_UNSET, now, 365, now + 1000 * DAY), EDGECA_ERR_INVALID,
	       "invalid-field");
	expect(resolve(CA_FIELD_UNSET, now - DAY, 365, now + 1000 * DAY), EDGECA_ERR_INVALID,
	       "invalid-field");
	/* Both given. */
	expect(resolve(30, now + 30 * DAY, 365, now + 1000 * DAY), EDGECA_ERR_INVALID,
	       "invalid-field");
}

static void
test_default_maximum(void **state)
{
	struct result r;
	char when[32];
	time_t issuer_na = now + 100 * DAY + 3600;
	struct tm tm;

	r = resolve(CA_FIELD_UNSET, 0, 365, now + 1000 * DAY);
	assert_int_equal(r.rc, EDGECA_OK);
	assert_int_equal(r.not_after, now + 365 * DAY);
	assert_string_equal(r.warning, "");
	/* The maximum would outlive the issuer: shortened, with a warning that
	 * says when the issuer expires. */
	r = resolve(CA_FIELD_UNSET, 0, 365, issuer_na);
	assert_int_equal(r.rc, EDGECA_OK);
	assert_int_equal(r.not_after, issuer_na);
	assert_true(r.warning[0] != '\0');
	gmtime_r(&issuer_na, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	assert_non_null(strstr(r.warning, when));
	assert_non_null(strstr(r.warning, "365"));
}

static void
test_issuer_expired(void **state)
{
	expect(resolve(CA_FIELD_UNSET, 0, 365, now), EDGECA_ERR_CONFLICT, "ca-expired");
	expect(resolve(CA_FIELD_UNSET, 0, 365, now - DAY), EDGECA_ERR_CONFLICT, "ca-expired");
	expect(resolve(10, 0, 365, now - 1), EDGECA_ERR_CONFLICT, "ca-expired");
	expect(resolve(CA_FIELD_UNSET, now + DAY, 365, now - 1), EDGECA_ERR_CONFLICT, "ca-expired");
}

static void
test_small_warning_buffer(void **state)
{
	struct cert_issue_req req;
	struct edgeca_msg msg;
	char warning[16];
	time_t na = 0;

	cert_issue_req_init(&req);
	memset(warning, 'x', sizeof(warning));
	assert_int_equal(cert_resolve_validity(&req, 365, now + DAY, now, &na, warning, 12, &msg),
	                 EDGECA_OK);
	assert_true(strlen(warning) > 0 && strlen(warning) < 12);
	assert_int_equal(warning[12], 'x');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_days),
		cmocka_unit_test(test_not_after),
		cmocka_unit_test(test_default_maximum),
		cmocka_unit_test(test_issuer_expired),
		cmocka_unit_test(test_small_warning_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
