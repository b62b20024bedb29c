/* Delta CRLs and the Freshest CRL extension signed by the real
 * edgeca-signer (signer_crl_sign_opts): a complete CRL names its delta's
 * URL, a delta CRL carries a critical deltaCRLIndicator with its base's
 * number and may list removeFromCRL entries; and what the signer refuses:
 * a base number it has not signed (or not below the delta's own), both
 * extensions in one CRL, removeFromCRL in a complete CRL, an unusable URL. */
#include "test_crl_signer.h"

#define DELTA_URL "http://pki.example/crl/ca/default.delta.crl"

static edgeca_err
sign_opts(const char *key, uint64_t number, time_t tu, const char *freshest, uint64_t base,
          struct buf *body, struct edgeca_msg *msg)
{
	struct signer_crl_opts opts = {freshest, base};

	edgeca_msg_clear(msg);
	return signer_crl_sign_opts(pool, key, number, tu, tu + 3600, &opts, body, msg);
}

static X509_CRL *
parse_verified(const struct buf *body, X509 *ca)
{
	const unsigned char *p = body->data;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)body->len);

	assert_non_null(crl);
	assert_ptr_equal(p, body->data + body->len);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(ca)), 1);
	return crl;
}

/* A refusal with the slug expected, body untouched. */
static void
refused(const char *key, uint64_t number, const char *freshest, uint64_t base,
        struct buf *body, edgeca_err code, const char *type)
{
	struct edgeca_msg msg;
	size_t len = body->len;
	edgeca_err rc = sign_opts(key, number, time(NULL), freshest, base, body, &msg);

	if (rc != code || strcmp(msg.type, type) != 0)
		fail_msg("CRL %" PRIu64 " base %" PRIu64 ": expected %d %s, got %d %s (%s)", number,
		         base, code, type, rc, msg.type, msg.detail);
	assert_int_equal(body->len, len);
}

static void
test_base_and_delta(void **state)
{
	char key[65];
	X509 *ca = make_ca("EC-P256", "client", "Delta Root", key);
	struct buf body = {0};
	struct edgeca_msg msg;
	time_t now = time(NULL);
	X509_CRL *crl;
	STACK_OF(DIST_POINT) *dps;
	ASN1_INTEGER *base;
	int crit = -2;

	/* the base: Freshest CRL, non-critical, the delta's URL as fullName */
	if (sign_opts(key, 5, now, DELTA_URL, 0, &body, &msg) != EDGECA_OK)
		fail_msg("base CRL: %s", msg.detail);
	crl = parse_verified(&body, ca);
	dps = X509_CRL_get_ext_d2i(crl, NID_freshest_crl, &crit, NULL);
	assert_non_null(dps);
	assert_int_equal(crit, 0);
	assert_int_equal(sk_DIST_POINT_num(dps), 1);
	{
		DIST_POINT *dp = sk_DIST_POINT_value(dps, 0);
		GENERAL_NAME *gn;
		assert_non_null(dp->distpoint);
		assert_int_equal(dp->distpoint->type, 0);
		assert_int_equal(sk_GENERAL_NAME_num(dp->distpoint->name.fullname), 1);
		gn = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, 0);
		assert_int_equal(gn->type, GEN_URI);
		assert_string_equal((const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier),
		                    DELTA_URL);
	}
	assert_null(X509_CRL_get_ext_d2i(crl, NID_delta_crl, &crit, NULL));
	assert_int_equal(crit, -1);
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	X509_CRL_free(crl);
	buf_free(&body);

	/* the delta on base 5: critical indicator, a revocation and a
	 * released hold (removeFromCRL) */
	assert_int_equal(crl_delta_entry_append(&body, "4a01", now - 60, 1, 0), 0);
	assert_int_equal(crl_delta_entry_append(&body, "4a02", now - 30, 8, 0), 0);
	if (sign_opts(key, 6, now, NULL, 5, &body, &msg) != EDGECA_OK)
		fail_msg("delta CRL: %s", msg.detail);
	crl = parse_verified(&body, ca);
	base = X509_CRL_get_ext_d2i(crl, NID_delta_crl, &crit, NULL);
	assert_non_null(base);
	assert_int_equal(crit, 1);
	assert_int_equal(ASN1_INTEGER_get(base), 5);
	ASN1_INTEGER_free(base);
	assert_null(X509_CRL_get_ext_d2i(crl, NID_freshest_crl, &crit, NULL));
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 2);
	{
		X509_REVOKED *rv = sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), 1);
		ASN1_ENUMERATED *reason = X509_REVOKED_get_ext_d2i(rv, NID_crl_reason, NULL, NULL);
		assert_non_null(reason);
		assert_int_equal(ASN1_ENUMERATED_get(reason), 8);
		ASN1_ENUMERATED_free(reason);
	}
	X509_CRL_free(crl);
	buf_free(&body);
	X509_free(ca);
}

static void
test_delta_refusals(void **state)
{
	char key[65];
	X509 *ca = make_ca("EC-P256", "client", "Delta Refusals", key);
	struct buf body = {0}, removal = {0};
	struct edgeca_msg msg;

	/* a delta before any CRL: no base it could refer to */
	refused(key, 2, NULL, 1, &body, EDGECA_ERR_INVALID, "crl-delta-base-invalid");
	if (sign_opts(key, 10, time(NULL), NULL, 0, &body, &msg) != EDGECA_OK)
		fail_msg("CRL 10: %s", msg.detail);
	buf_free(&body);
	/* a base number this key has not signed yet (above its last, 10) */
	refused(key, 12, NULL, 11, &body, EDGECA_ERR_INVALID, "crl-delta-base-invalid");
	/* a base not below the delta's own number */
	refused(key, 11, NULL, 11, &body, EDGECA_ERR_INVALID, "crl-delta-base-invalid");
	/* a delta indicator beside a Freshest CRL: a CRL is one or the other */
	refused(key, 11, DELTA_URL, 10, &body, EDGECA_ERR_INVALID, "crl-delta-invalid");
	/* a Freshest CRL URL that is not a plain http(s) URL */
	refused(key, 11, "ldap://pki.example/delta", 0, &body, EDGECA_ERR_INVALID, "invalid-url");
	refused(key, 11, "http://pki.example/a b.crl", 0, &body, EDGECA_ERR_INVALID,
	        "invalid-url");
	/* removeFromCRL in a complete CRL: the entry is refused, with or
	 * without Freshest CRL */
	assert_int_equal(crl_entry_append(&removal, "4b01", time(NULL) - 5, 8, 0), -1);
	assert_int_equal(crl_delta_entry_append(&removal, "4b01", time(NULL) - 5, 8, 0), 0);
	refused(key, 11, NULL, 0, &removal, EDGECA_ERR_MALFORMED, "crl-entry-malformed");
	refused(key, 12, DELTA_URL, 0, &removal, EDGECA_ERR_MALFORMED, "crl-entry-malformed");
	/* ... and accepted in a delta on 10 */
	if (sign_opts(key, 13, time(NULL), NULL, 10, &removal, &msg) != EDGECA_OK)
		fail_msg("delta 13: %s", msg.detail);
	buf_free(&removal);
	/* numbers still only grow, deltas included */
	refused(key, 13, NULL, 0, &body, EDGECA_ERR_CONFLICT, "crl-number-not-increasing");
	buf_free(&body);
	X509_free(ca);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base_and_delta),
		cmocka_unit_test(test_delta_refusals),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, crl_signer_setup, crl_signer_teardown);
}
