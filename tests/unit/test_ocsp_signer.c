/* OCSP signing end to end against the real edgeca-signer process (of this
 * build), through the client the server uses (signer_ocsp_sign,
 * signer_ocsp_key_create): responses of CA keys and of responder keys
 * that OpenSSL's OCSP_basic_verify accepts with the CA as trust anchor,
 * and every ResponseData the signer must refuse. No database needed. */
#include "test_crl_signer.h"
#include "tests/support/ocsp_data.h"

/* Signs the ResponseData of s with key; the slug of a refusal in type. */
static edgeca_err
sign_spec(const char *key, const struct rd_spec *s, struct buf *tbs, struct buf *basic,
          char type[48])
{
	struct edgeca_msg msg = {0};
	edgeca_err rc;

	tbs->len = 0;
	assert_int_equal(rd_build(s, tbs), 0);
	rc = signer_ocsp_sign(pool, key, tbs->data, tbs->len, basic, &msg);
	snprintf(type, 48, "%s", msg.type);
	return rc;
}

static void
expect_refusal(const char *key, const unsigned char *der, size_t len, edgeca_err code,
               const char *type, const char *what)
{
	struct edgeca_msg msg = {0};
	struct buf basic = {0};
	edgeca_err rc = signer_ocsp_sign(pool, key, der, len, &basic, &msg);

	if (rc != code || strcmp(msg.type, type) != 0)
		fail_msg("%s: expected %d %s, got %d %s (%s)", what, code, type, rc, msg.type,
		         msg.detail);
	if (getenv("OCSP_TEST_VERBOSE"))
		print_message("%s: %s\n", what, msg.detail);
	assert_int_equal(basic.len, 0);
	buf_free(&basic);
}

static void
expect_spec_refused(const char *key, const struct rd_spec *s, const char *what)
{
	struct buf tbs = {0};

	assert_int_equal(rd_build(s, &tbs), 0);
	expect_refusal(key, tbs.data, tbs.len, EDGECA_ERR_INVALID, "ocsp-response-invalid", what);
	buf_free(&tbs);
}

/* Good responses of CA keys of every type, every status, every CertID
 * hash, with and without a nonce, up to 64 entries. */
static void
test_ca_key_signs(void **state)
{
	static const struct {
		const char *alg;
		int nid;
	} algs[] = {{"EC-P256", NID_ecdsa_with_SHA256},
	            {"EC-P384", NID_ecdsa_with_SHA384},
	            {"RSA-2048", NID_sha256WithRSAEncryption}};
	time_t now = time(NULL);

	for (size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
		char key[65], type[48];
		X509 *ca = make_ca(algs[a].alg, "client,ssl", "OCSP Root", key);
		struct rd_spec s = rd_default(ca, ca, now);
		struct buf tbs = {0}, basic = {0};
		const unsigned char *p;
		OCSP_BASICRESP *bs;

		if (sign_spec(key, &s, &tbs, &basic, type) != EDGECA_OK)
			fail_msg("%s: %s", algs[a].alg, type);
		assert_true(basic_verifies(basic.data, basic.len, tbs.data, tbs.len, ca,
		                           V_OCSP_CERTSTATUS_GOOD, false));
		p = basic.data;
		bs = d2i_OCSP_BASICRESP(NULL, &p, (long)basic.len);
		assert_non_null(bs);
		assert_int_equal(OBJ_obj2nid(OCSP_resp_get0_tbs_sigalg(bs)->algorithm), algs[a].nid);
		OCSP_BASICRESP_free(bs);
		/* the variants, each verified */
		for (int v = 0; v < 7; v++) {
			struct rd_spec t = s;
			int want = V_OCSP_CERTSTATUS_GOOD;
			switch (v) {
			case 0: t.status = want = V_OCSP_CERTSTATUS_REVOKED, t.reason = 1; break;
			case 1: t.status = want = V_OCSP_CERTSTATUS_REVOKED, t.reason = -1; break;
			case 2: t.status = want = V_OCSP_CERTSTATUS_UNKNOWN; break;
			case 3: t.md = EVP_sha256(), t.nonce_len = 32; break;
			case 4: t.md = EVP_sha384(), t.nonce_len = 1; break;
			case 5: t.md = EVP_sha512(), t.next_update = now + 7 * 86400; break;
			case 6: t.entries = OCSP_MAX_RESPONSES_TEST; break;
			}
			basic.len = 0;
			if (sign_spec(key, &t, &tbs, &basic, type) != EDGECA_OK)
				fail_msg("%s variant %d: %s", algs[a].alg, v, type);
			if (!basic_verifies(basic.data, basic.len, tbs.data, tbs.len, ca, want, false))
				fail_msg("%s variant %d does not verify", algs[a].alg, v);
		}
		buf_free(&tbs);
		buf_free(&basic);
		X509_free(ca);
	}
}

/* Every ResponseData the signer must not sign. */
static void
test_refusals(void **state)
{
	char key[65], other_key[65];
	X509 *ca = make_ca("EC-P256", "client", "OCSP Refusing Root", key);
	X509 *other = make_ca("EC-P256", "client", "OCSP Other Root", other_key);
	time_t now = time(NULL);
	struct rd_spec good = rd_default(ca, ca, now), s;
	struct buf tbs = {0}, bad = {0};
	unsigned char *tbs_cert = NULL;
	int tbs_cert_len;

	s = good, s.responder = other;
	expect_spec_refused(key, &s, "another key's responderID");
	s = good, s.by_name = true;
	expect_spec_refused(key, &s, "responderID byName");
	s = good, s.issuer = other;
	expect_spec_refused(key, &s, "another CA's issuer hashes");
	s = good, s.md = EVP_md5();
	expect_spec_refused(key, &s, "an MD5 CertID");
	s = good, s.extra_extension = true;
	expect_spec_refused(key, &s, "an extension besides the nonce");
	s = good, s.extra_extension = true, s.nonce_len = 8;
	expect_spec_refused(key, &s, "a nonce and another extension");
	s = good, s.single_extension = true;
	expect_spec_refused(key, &s, "a singleExtension");
	s = good, s.nonce_len = 33;
	expect_spec_refused(key, &s, "a nonce of 33 bytes");
	s = good, s.entries = OCSP_MAX_RESPONSES_TEST + 1;
	expect_spec_refused(key, &s, "65 entries");
	s = good, s.entries = 0;
	expect_spec_refused(key, &s, "no entry");
	s = good, s.next_update = now + 7 * 86400 + 1;
	expect_spec_refused(key, &s, "nextUpdate too far");
	s = good, s.next_update = now;
	expect_spec_refused(key, &s, "nextUpdate not after thisUpdate");
	s = good, s.this_update = now - 3600;
	expect_spec_refused(key, &s, "thisUpdate an hour ago");
	s = good, s.produced = now + 3600;
	expect_spec_refused(key, &s, "producedAt an hour ahead");
	s = good, s.status = V_OCSP_CERTSTATUS_REVOKED, s.reason = 7;
	expect_spec_refused(key, &s, "reason 7");
	s = good, s.status = V_OCSP_CERTSTATUS_REVOKED, s.reason = 11;
	expect_spec_refused(key, &s, "reason 11");
	s = good, s.version = true;
	expect_spec_refused(key, &s, "an explicit version");

	/* not strict DER, or not a ResponseData at all */
	assert_int_equal(rd_build(&good, &tbs), 0);
	assert_int_equal(buf_append(&bad, tbs.data, tbs.len), 0);
	assert_int_equal(buf_append(&bad, "\x00", 1), 0);
	expect_refusal(key, bad.data, bad.len, EDGECA_ERR_MALFORMED, "ocsp-response-malformed",
	               "trailing bytes");
	{
		/* the same content under a two-octet length, then an indefinite one */
		size_t hdr = tbs.data[1] < 0x80 ? 2 : 2 + (tbs.data[1] & 0x7fu), n = tbs.len - hdr;
		unsigned char h[4] = {0x30, 0x82, (unsigned char)(n >> 8), (unsigned char)n};
		assert_true(n < 256);
		bad.len = 0;
		assert_int_equal(buf_append(&bad, h, 4), 0);
		assert_int_equal(buf_append(&bad, tbs.data + hdr, n), 0);
		expect_refusal(key, bad.data, bad.len, EDGECA_ERR_MALFORMED,
		               "ocsp-response-malformed", "a length not in its shortest form");
		bad.len = 0;
		assert_int_equal(buf_append(&bad, "\x30\x80", 2), 0);
		assert_int_equal(buf_append(&bad, tbs.data + hdr, n), 0);
		assert_int_equal(buf_append(&bad, "\x00\x00", 2), 0);
		expect_refusal(key, bad.data, bad.len, EDGECA_ERR_MALFORMED,
		               "ocsp-response-malformed", "an indefinite length");
	}
	expect_refusal(key, tbs.data, tbs.len - 1, EDGECA_ERR_MALFORMED, "ocsp-response-malformed",
	               "a truncated ResponseData");
	tbs_cert_len = i2d_re_X509_tbs(ca, &tbs_cert);
	assert_true(tbs_cert_len > 0);
	expect_refusal(key, tbs_cert, (size_t)tbs_cert_len, EDGECA_ERR_MALFORMED,
	               "ocsp-response-malformed", "a TBSCertificate");
	expect_refusal(key, (const unsigned char *)"\x30\x00", 2, EDGECA_ERR_MALFORMED,
	               "ocsp-response-malformed", "an empty SEQUENCE");
	/* a good one still goes through: nothing above changed the key */
	bad.len = 0;
	{
		struct edgeca_msg msg = {0};
		if (signer_ocsp_sign(pool, key, tbs.data, tbs.len, &bad, &msg) != EDGECA_OK)
			fail_msg("good response after the refusals: %s", msg.detail);
		assert_true(basic_verifies(bad.data, bad.len, tbs.data, tbs.len, ca,
		                           V_OCSP_CERTSTATUS_GOOD, false));
	}
	OPENSSL_free(tbs_cert);
	buf_free(&tbs);
	buf_free(&bad);
	X509_free(ca);
	X509_free(other);
}

/* The service CA's key (tls_server alone) signs no OCSP response and
 * gets no responder. */
static void
test_service_ca_refuses(void **state)
{
	char key[65], responder[65];
	X509 *ca = make_ca("EC-P256", "tls_server", "Service Root", key);
	struct rd_spec s = rd_default(ca, ca, time(NULL));
	struct buf tbs = {0};
	struct edgeca_msg msg = {0};

	assert_int_equal(rd_build(&s, &tbs), 0);
	expect_refusal(key, tbs.data, tbs.len, EDGECA_ERR_INVALID, "ocsp-not-allowed",
	               "the service CA's key");
	assert_int_equal(signer_ocsp_key_create(pool, key, "EC-P256", responder, &msg),
	                 EDGECA_ERR_INVALID); /* the client maps POLICY so */
	assert_string_equal(msg.type, "ocsp-not-allowed");
	buf_free(&tbs);
	X509_free(ca);
}

/* ISSUE's OCSP_URL: an AIA OCSP entry beside caIssuers. */
static void
test_issue_ocsp_url(void **state)
{
	char key[65];
	X509 *ca = make_ca("EC-P256", "client", "AIA Root", key);
	EVP_PKEY *k = t_key("EC-P256");
	X509_REQ *req = t_csr(k, "device-aia", NULL, NULL);
	size_t req_len = 0;
	unsigned char *req_der = t_req_der(req, &req_len);
	struct signer_issue_opts opts = {.path_length = -1,
	                                 .aia_url = "http://pki.example/ca/1.crt",
	                                 .ocsp_url = "http://pki.example/ocsp"};
	struct signer_issued out = {0};
	struct edgeca_msg msg = {0};
	AUTHORITY_INFO_ACCESS *aia;
	X509 *cert;
	int ocsp = 0, issuers = 0;

	if (signer_issue(pool, key, "client", req_der, req_len, time(NULL) + 86400, &opts, &out,
	                 &msg) != EDGECA_OK)
		fail_msg("issue: %s", msg.detail);
	cert = x509_from_der(out.der, out.der_len);
	assert_non_null(cert);
	aia = X509_get_ext_d2i(cert, NID_info_access, NULL, NULL);
	assert_non_null(aia);
	for (int i = 0; i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
		ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
		const char *uri = (const char *)ASN1_STRING_get0_data(ad->location->d.uniformResourceIdentifier);
		if (OBJ_obj2nid(ad->method) == NID_ad_OCSP) {
			ocsp++;
			assert_string_equal(uri, "http://pki.example/ocsp");
		} else if (OBJ_obj2nid(ad->method) == NID_ad_ca_issuers) {
			issuers++;
			assert_string_equal(uri, "http://pki.example/ca/1.crt");
		}
	}
	assert_int_equal(ocsp, 1);
	assert_int_equal(issuers, 1);
	AUTHORITY_INFO_ACCESS_free(aia);
	X509_free(cert);
	signer_issued_free(&out);
	opts.ocsp_url = "ftp://pki.example/ocsp";
	assert_int_equal(signer_issue(pool, key, "client", req_der, req_len, time(NULL) + 86400,
	                              &opts, &out, &msg), EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "invalid-url");
	free(req_der);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	X509_free(ca);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ca_key_signs),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_service_ca_refuses),
		cmocka_unit_test(test_issue_ocsp_url),
	};
	return cmocka_run_group_tests(tests, crl_signer_setup, crl_signer_teardown);
}
