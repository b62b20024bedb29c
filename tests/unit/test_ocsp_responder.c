/* OCSP responder keys end to end against the real edgeca-signer process
 * (of this build), through the client the server uses: made for one CA
 * key, certified by it with the ocsp_responder template, installed only
 * with a certificate fit for it, signing responses of that CA that
 * OpenSSL verifies with the CA as trust anchor, and nothing else; after
 * a restart of the signer both keys come back from their records. */
#include "test_crl_signer.h"
#include "tests/support/ocsp_data.h"

/* A CSR of key for "CN=<cn>" made by the signer. */
static void
key_csr(const char *key, const char *cn, unsigned char **der, size_t *len)
{
	X509_NAME *name = X509_NAME_new();
	unsigned char *name_der = NULL;
	struct edgeca_msg msg = {0};
	int name_len;

	assert_int_equal(t_name_add_cn(name, cn, -1), 1);
	name_len = i2d_X509_NAME(name, &name_der);
	assert_true(name_len > 0);
	if (signer_csr_create(pool, key, name_der, (size_t)name_len, der, len, &msg) != EDGECA_OK)
		fail_msg("signer_csr_create: %s", msg.detail);
	OPENSSL_free(name_der);
	X509_NAME_free(name);
}

static X509 *
issue(const char *ca_key, const char *tpl, const unsigned char *csr, size_t csr_len,
      time_t not_after)
{
	struct signer_issue_opts opts = {.path_length = -1,
	                                 .crl_url = "http://pki.example/crl/1.crl",
	                                 .aia_url = "http://pki.example/ca/1.crt",
	                                 .ocsp_url = "http://pki.example/ocsp"};
	struct signer_issued out = {0};
	struct edgeca_msg msg = {0};
	X509 *cert;

	if (signer_issue(pool, ca_key, tpl, csr, csr_len, not_after, &opts, &out, &msg) !=
	    EDGECA_OK)
		fail_msg("signer_issue %s: %s", tpl, msg.detail);
	cert = x509_from_der(out.der, out.der_len);
	assert_non_null(cert);
	signer_issued_free(&out);
	return cert;
}

static void
install(const char *key, X509 *cert, edgeca_err want, const char *type)
{
	unsigned char *der = NULL;
	size_t len = 0;
	struct edgeca_msg msg = {0};
	edgeca_err rc;

	assert_int_equal(x509_der(cert, &der, &len), 0);
	rc = signer_cert_install(pool, key, der, len, &msg);
	if (rc != want || (type != NULL && strcmp(msg.type, type) != 0))
		fail_msg("install: expected %d %s, got %d %s (%s)", want, type ? type : "", rc,
		         msg.type, msg.detail);
	OPENSSL_free(der);
}

/* What the ocsp_responder template writes. */
static void
check_responder_cert(X509 *cert)
{
	int crit = -1;
	AUTHORITY_INFO_ACCESS *aia;
	ASN1_BIT_STRING *ku = X509_get_ext_d2i(cert, NID_key_usage, &crit, NULL);

	assert_non_null(ku);
	assert_int_equal(crit, 1);
	assert_int_equal(X509_get_key_usage(cert), KU_DIGITAL_SIGNATURE);
	assert_int_equal(X509_get_extended_key_usage(cert), XKU_OCSP_SIGN);
	assert_int_equal(X509_check_ca(cert), 0);
	assert_true(X509_get_ext_by_NID(cert, NID_id_pkix_OCSP_noCheck, -1) >= 0);
	assert_int_equal(X509_get_ext_by_NID(cert, NID_crl_distribution_points, -1), -1);
	aia = X509_get_ext_d2i(cert, NID_info_access, NULL, NULL);
	assert_non_null(aia);
	assert_int_equal(sk_ACCESS_DESCRIPTION_num(aia), 1);
	assert_int_equal(OBJ_obj2nid(sk_ACCESS_DESCRIPTION_value(aia, 0)->method),
	                 NID_ad_ca_issuers);
	AUTHORITY_INFO_ACCESS_free(aia);
	ASN1_BIT_STRING_free(ku);
}

static edgeca_err
sign_with(const char *key, const struct rd_spec *s, struct buf *tbs, struct buf *basic,
          struct edgeca_msg *msg)
{
	tbs->len = 0;
	basic->len = 0;
	assert_int_equal(rd_build(s, tbs), 0);
	edgeca_msg_clear(msg);
	return signer_ocsp_sign(pool, key, tbs->data, tbs->len, basic, msg);
}

static void
test_responder_lifecycle(void **state)
{
	char ca_key[65], other_key[65], rk[65], rk2[65];
	X509 *ca = make_ca("EC-P384", "client,subordinate_ca", "Responder Root", ca_key);
	X509 *other = make_ca("EC-P256", "client", "Other Root", other_key);
	X509 *wrong, *foreign, *cert;
	unsigned char *csr = NULL, *name_der = NULL, *out_der = NULL;
	size_t csr_len = 0, out_len = 0;
	time_t now = time(NULL);
	struct edgeca_msg msg = {0};
	struct buf tbs = {0}, basic = {0}, crl = {0};
	struct rd_spec s;
	struct signer_issued issued = {0};

	if (signer_ocsp_key_create(pool, ca_key, "RSA-2048", rk, &msg) != EDGECA_OK)
		fail_msg("signer_ocsp_key_create: %s", msg.detail);
	key_csr(rk, "Responder Root OCSP", &csr, &csr_len);

	/* the template: at most 30 days, its extensions, no CRL or OCSP URL */
	assert_int_equal(signer_issue(pool, ca_key, "ocsp_responder", csr, csr_len,
	                              now + 31 * 86400, NULL, &issued, &msg),
	                 EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "validity-exceeds-policy");
	cert = issue(ca_key, "ocsp_responder", csr, csr_len, now + 7 * 86400);
	check_responder_cert(cert);

	/* before its certificate the key signs nothing */
	s = rd_default(ca, cert, now);
	assert_int_equal(sign_with(rk, &s, &tbs, &basic, &msg), EDGECA_ERR_CONFLICT);
	assert_string_equal(msg.type, "ca-not-active");

	/* certificates unfit for it are refused */
	wrong = issue(ca_key, "client", csr, csr_len, now + 86400);
	install(rk, wrong, EDGECA_ERR_INVALID, "ocsp-certificate-invalid");
	foreign = issue(other_key, "ocsp_responder", csr, csr_len, now + 86400);
	install(rk, foreign, EDGECA_ERR_INVALID, "ocsp-certificate-invalid");
	install(rk, cert, EDGECA_OK, NULL);

	/* it signs responses of its CA, with its certificate in certs */
	if (sign_with(rk, &s, &tbs, &basic, &msg) != EDGECA_OK)
		fail_msg("responder sign: %s", msg.detail);
	assert_true(basic_verifies(basic.data, basic.len, tbs.data, tbs.len, ca,
	                           V_OCSP_CERTSTATUS_GOOD, true));
	s.status = V_OCSP_CERTSTATUS_REVOKED, s.reason = 4, s.nonce_len = 16, s.md = EVP_sha256();
	if (sign_with(rk, &s, &tbs, &basic, &msg) != EDGECA_OK)
		fail_msg("responder sign, revoked: %s", msg.detail);
	assert_true(basic_verifies(basic.data, basic.len, tbs.data, tbs.len, ca,
	                           V_OCSP_CERTSTATUS_REVOKED, true));
	/* ... and of no other CA, and never under the CA's own id */
	s = rd_default(other, cert, now);
	assert_int_equal(sign_with(rk, &s, &tbs, &basic, &msg), EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "ocsp-response-invalid");
	s = rd_default(ca, ca, now);
	assert_int_equal(sign_with(rk, &s, &tbs, &basic, &msg), EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "ocsp-response-invalid");
	/* the other CA's key refuses a response naming this CA */
	s = rd_default(ca, other, now);
	assert_int_equal(sign_with(other_key, &s, &tbs, &basic, &msg), EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "ocsp-response-invalid");

	/* it issues, self-signs and signs CRLs never */
	assert_int_equal(signer_issue(pool, rk, "client", csr, csr_len, now + 86400, NULL, &issued,
	                              &msg), EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "ocsp-key-only");
	assert_int_equal(signer_issue(pool, rk, "ocsp_responder", csr, csr_len, now + 86400, NULL,
	                              &issued, &msg), EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "ocsp-key-only");
	{
		X509_NAME *n = X509_NAME_new();
		int l;
		assert_int_equal(t_name_add_cn(n, "Rogue Root", -1), 1);
		l = i2d_X509_NAME(n, &name_der);
		assert_int_equal(signer_self_sign(pool, rk, name_der, (size_t)l, now + 86400, &out_der,
		                                  &out_len, &msg), EDGECA_ERR_INVALID);
		assert_string_equal(msg.type, "ocsp-key-only");
		X509_NAME_free(n);
	}
	assert_int_equal(signer_crl_sign(pool, rk, 1, now, now + 3600, &crl, &msg),
	                 EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "ocsp-key-only");
	/* a responder has no responder */
	assert_int_equal(signer_ocsp_key_create(pool, rk, "EC-P256", rk2, &msg), EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "ocsp-not-allowed");

	/* a signer that starts afresh gets both keys from their records */
	stop_signer();
	start_signer();
	s = rd_default(ca, cert, time(NULL));
	if (sign_with(rk, &s, &tbs, &basic, &msg) != EDGECA_OK)
		fail_msg("responder sign after a restart: %s", msg.detail);
	assert_true(basic_verifies(basic.data, basic.len, tbs.data, tbs.len, ca,
	                           V_OCSP_CERTSTATUS_GOOD, true));
	if (signer_ocsp_key_create(pool, ca_key, "EC-P256", rk2, &msg) != EDGECA_OK)
		fail_msg("responder of a CA key not held: %s", msg.detail);

	OPENSSL_free(name_der);
	free(out_der);
	free(csr);
	buf_free(&tbs);
	buf_free(&basic);
	buf_free(&crl);
	X509_free(wrong);
	X509_free(foreign);
	X509_free(cert);
	X509_free(ca);
	X509_free(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_responder_lifecycle),
	};
	return cmocka_run_group_tests(tests, crl_signer_setup, crl_signer_teardown);
}
