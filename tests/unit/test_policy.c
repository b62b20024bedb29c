/* Unit tests of signer/policy: validation of a key's issuance policy and
 * policy_check_issue against issuer certificates built with OpenSSL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "signer/daemon/policy.h"
#include "tests/support/certs.h"

#define DAY 86400
#define B(t) (1u << (t))

static EVP_PKEY *key;
static const time_t now = 1800000000; /* 2027-01-15, fixed: no clock in these tests */

static int
setup(void **state)
{
	key = t_key("EC-P256");
	return key == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	EVP_PKEY_free(key);
	return 0;
}

static edgeca_err
validate(unsigned templates, uint32_t days, int32_t path_length, struct edgeca_msg *msg)
{
	struct signer_policy p = {templates, days, path_length, NULL, "", NULL};

	edgeca_msg_clear(msg);
	return policy_validate(&p, msg);
}

static void
test_validate(void **state)
{
	struct edgeca_msg msg;

	assert_int_equal(validate(B(TPL_CLIENT), 365, -1, &msg), EDGECA_OK);
	assert_int_equal(validate(B(TPL_CLIENT) | B(TPL_SSL), 1, 0, &msg), EDGECA_OK);
	assert_int_equal(validate(B(TPL_SUBORDINATE_CA), POLICY_MAX_VALIDITY_DAYS, 16, &msg),
	                 EDGECA_OK);
	assert_int_equal(validate(B(TPL_SUBORDINATE_CA), 365, -1, &msg), EDGECA_OK);
	assert_int_equal(validate(0, 365, -1, &msg), EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "policy-invalid");
	assert_int_equal(validate(B(TPL_COUNT_), 365, -1, &msg), EDGECA_ERR_INVALID);
	assert_int_equal(validate(B(TPL_CLIENT), 0, -1, &msg), EDGECA_ERR_INVALID);
	assert_int_equal(validate(B(TPL_CLIENT), POLICY_MAX_VALIDITY_DAYS + 1, -1, &msg),
	                 EDGECA_ERR_INVALID);
	assert_int_equal(validate(B(TPL_CLIENT), 365, -2, &msg), EDGECA_ERR_INVALID);
	assert_int_equal(validate(B(TPL_CLIENT), 365, 17, &msg), EDGECA_ERR_INVALID);
	/* pathlen 0 and a CA template contradict each other. */
	assert_int_equal(validate(B(TPL_CLIENT) | B(TPL_SUBORDINATE_CA), 365, 0, &msg),
	                 EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "policy-invalid");
}

/* policy_check_issue with an issuer of the given pathlen and validity. */
static edgeca_err
check(unsigned templates, int32_t policy_pathlen, enum tpl_id tpl, int issuer_pathlen,
      time_t issuer_nb, time_t issuer_na, time_t not_after, struct edgeca_msg *msg)
{
	struct signer_policy p = {templates, 365, policy_pathlen, NULL, "", NULL};
	X509 *issuer = t_ca_cert(key, "Issuing CA", issuer_pathlen, issuer_nb, issuer_na);
	edgeca_err rc;

	assert_non_null(issuer);
	edgeca_msg_clear(msg);
	rc = policy_check_issue(&p, issuer, tpl_get(tpl), not_after, now, msg);
	X509_free(issuer);
	return rc;
}

static void
expect(edgeca_err rc, const struct edgeca_msg *msg, edgeca_err want, const char *slug)
{
	assert_int_equal(rc, want);
	assert_string_equal(msg->type, slug);
	assert_true(msg->detail[0] != '\0');
}

static void
test_check_allowed(void **state)
{
	struct edgeca_msg msg;
	unsigned leaf = B(TPL_CLIENT) | B(TPL_SSL), all = leaf | B(TPL_SUBORDINATE_CA);
	time_t nb = now - DAY, na = now + 3650 * DAY;

	assert_int_equal(check(leaf, 0, TPL_CLIENT, 0, nb, na, now + 30 * DAY, &msg), EDGECA_OK);
	assert_int_equal(check(leaf, -1, TPL_SSL, -1, nb, na, now + 365 * DAY, &msg), EDGECA_OK);
	assert_int_equal(check(all, -1, TPL_SUBORDINATE_CA, -1, nb, na, now + DAY, &msg), EDGECA_OK);
	assert_int_equal(check(all, 2, TPL_SUBORDINATE_CA, 1, nb, na, now + DAY, &msg), EDGECA_OK);
	/* Up to the issuer's own notAfter, exactly. */
	assert_int_equal(check(leaf, -1, TPL_CLIENT, -1, nb, now + 10 * DAY, now + 10 * DAY, &msg),
	                 EDGECA_OK);
}

static void
test_check_refused(void **state)
{
	struct edgeca_msg msg;
	unsigned leaf = B(TPL_CLIENT) | B(TPL_SSL), all = leaf | B(TPL_SUBORDINATE_CA);
	time_t nb = now - DAY, na = now + 3650 * DAY;
	struct signer_policy p = {leaf, 365, -1, NULL, "", NULL};

	expect(check(B(TPL_CLIENT), -1, TPL_SSL, -1, nb, na, now + DAY, &msg), &msg,
	       EDGECA_ERR_NOT_PERMITTED, "template-not-allowed");
	expect(check(leaf, -1, TPL_SUBORDINATE_CA, -1, nb, na, now + DAY, &msg), &msg,
	       EDGECA_ERR_NOT_PERMITTED, "template-not-allowed");
	/* A CA template under an issuer whose certificate says pathlen 0, or
	 * whose policy does. */
	expect(check(all, -1, TPL_SUBORDINATE_CA, 0, nb, na, now + DAY, &msg), &msg,
	       EDGECA_ERR_NOT_PERMITTED, "path-length-exceeded");
	expect(check(all, 0, TPL_SUBORDINATE_CA, -1, nb, na, now + DAY, &msg), &msg,
	       EDGECA_ERR_NOT_PERMITTED, "path-length-exceeded");
	/* pathlen 0 still lets the CA issue leaves. */
	assert_int_equal(check(all, -1, TPL_CLIENT, 0, nb, na, now + DAY, &msg), EDGECA_OK);
	/* The policy allows 365 days: one second more is refused. */
	assert_int_equal(check(leaf, -1, TPL_CLIENT, -1, nb, na, now + 365 * DAY, &msg), EDGECA_OK);
	expect(check(leaf, -1, TPL_CLIENT, -1, nb, na, now + 365 * DAY + 1, &msg), &msg,
	       EDGECA_ERR_NOT_PERMITTED, "validity-exceeds-policy");
	expect(check(leaf, -1, TPL_CLIENT, -1, nb, now + 10 * DAY, now + 10 * DAY + 1, &msg), &msg,
	       EDGECA_ERR_NOT_PERMITTED, "validity-exceeds-issuer");
	expect(check(leaf, -1, TPL_CLIENT, -1, nb, na, now - 1, &msg), &msg, EDGECA_ERR_INVALID,
	       "validity-invalid");
	expect(check(leaf, -1, TPL_CLIENT, -1, nb, na, now, &msg), &msg, EDGECA_ERR_INVALID,
	       "validity-invalid");
	/* An issuer that expired, or is not valid yet. */
	expect(check(leaf, -1, TPL_CLIENT, -1, now - 10 * DAY, now - 1, now + DAY, &msg), &msg,
	       EDGECA_ERR_CONFLICT, "ca-expired");
	expect(check(leaf, -1, TPL_CLIENT, -1, now + 1, na, now + DAY, &msg), &msg,
	       EDGECA_ERR_CONFLICT, "ca-expired");
	/* A key without a CA certificate cannot issue at all. */
	edgeca_msg_clear(&msg);
	expect(policy_check_issue(&p, NULL, tpl_get(TPL_CLIENT), now + DAY, now, &msg), &msg,
	       EDGECA_ERR_CONFLICT, "ca-not-active");
}

/* dps_verification: any CA made through the API may sign one (whatever
 * templates its policy lists), for at most 2 days; the service CA's key
 * (tls_server only) may not. */
static void
test_check_dps_verification(void **state)
{
	struct edgeca_msg msg;
	time_t nb = now - DAY, na = now + 3650 * DAY;

	assert_int_equal(check(B(TPL_CLIENT), -1, TPL_DPS_VERIFICATION, -1, nb, na, now + DAY,
	                       &msg), EDGECA_OK);
	assert_int_equal(check(B(TPL_SUBORDINATE_CA), -1, TPL_DPS_VERIFICATION, -1, nb, na,
	                       now + 2 * DAY, &msg), EDGECA_OK);
	expect(check(B(TPL_CLIENT), -1, TPL_DPS_VERIFICATION, -1, nb, na, now + 2 * DAY + 1, &msg),
	       &msg, EDGECA_ERR_NOT_PERMITTED, "validity-exceeds-policy");
	expect(check(B(TPL_TLS_SERVER), -1, TPL_DPS_VERIFICATION, -1, nb, na, now + DAY, &msg),
	       &msg, EDGECA_ERR_NOT_PERMITTED, "template-not-allowed");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_check_allowed),
		cmocka_unit_test(test_check_refused),
		cmocka_unit_test(test_check_dps_verification),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
