/* CRL signing end to end against the real edgeca-signer process (of this
 * build) in a scratch directory, through the client the server uses
 * (signer_crl_sign): CRLs that OpenSSL parses and verifies with the CA's
 * key, with the issuer, number, AKI, times and entries asked for, for
 * every key type, and their signature log lines. No database needed. The
 * timing of a million-entry CRL is bench/crl_sign.c. */
#include "test_crl_signer.h"

#include "signer/daemon/keystore.h"

static void
test_empty_and_full_crls(void **state)
{
	char key[65];
	X509 *ca = make_ca("EC-P256", "client,subordinate_ca", "CRL Root", key);
	struct buf body = {0};
	struct edgeca_msg msg;
	struct want_entry *want;
	time_t now = time(NULL);
	size_t entries_len;

	/* no entries: no revokedCertificates at all (RFC 5280 5.1.2.6) */
	if (sign(key, 1, now, now + 86400, &body, &msg) != EDGECA_OK)
		fail_msg("empty CRL: %s", msg.detail);
	check_crl(body.data, body.len, ca, 1, now, now + 86400, NULL, 0, NID_ecdsa_with_SHA256);
	check_log(key, 1, 0, body.data, body.len);
	{
		/* after nextUpdate comes [0] crlExtensions directly */
		const unsigned char *p = body.data, *c, *v, *end;
		size_t l, vl;
		assert_int_equal(der_read(&p, body.data + body.len, DER_SEQUENCE, &c, &l), 0);
		p = c;
		assert_int_equal(der_read(&p, c + l, DER_SEQUENCE, &c, &l), 0);
		p = c;
		end = c + l;
		assert_int_equal(der_read(&p, end, DER_INTEGER, &v, &vl), 0);
		assert_int_equal(der_read(&p, end, DER_SEQUENCE, &v, &vl), 0);
		assert_int_equal(der_read(&p, end, DER_SEQUENCE, &v, &vl), 0);
		assert_int_equal(der_read(&p, end, DER_UTC_TIME, &v, &vl), 0);
		assert_int_equal(der_read(&p, end, DER_UTC_TIME, &v, &vl), 0);
		assert_int_equal(der_peek(p, end), DER_CONTEXT_0);
	}
	buf_free(&body);

	/* a few thousand entries: several CRL_ENTRIES chunks */
	want = make_entries(3000, &body);
	entries_len = body.len;
	assert_true(entries_len > 2 * SIGNER_MAX_CRL_ENTRIES);
	if (sign(key, 2, now, now + 7 * 86400, &body, &msg) != EDGECA_OK)
		fail_msg("CRL of 3000: %s", msg.detail);
	check_crl(body.data, body.len, ca, 2, now, now + 7 * 86400, want, 3000,
	          NID_ecdsa_with_SHA256);
	check_log(key, 2, entries_len, body.data, body.len);
	free(want);
	buf_free(&body);
	X509_free(ca);
}

/* P-384 keys sign with SHA-384, RSA keys with SHA-256 and PKCS#1 v1.5. */
static void
test_algorithms(void **state)
{
	static const struct {
		const char *alg;
		int nid;
	} cases[] = {{"EC-P384", NID_ecdsa_with_SHA384}, {"RSA-2048", NID_sha256WithRSAEncryption}};
	time_t now = time(NULL);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char key[65];
		X509 *ca = make_ca(cases[i].alg, "client", "Algorithm Root", key);
		struct buf body = {0};
		struct edgeca_msg msg;
		struct want_entry *want = make_entries(50, &body);
		size_t entries_len = body.len;

		if (sign(key, 100 + i, now, now + 3600, &body, &msg) != EDGECA_OK)
			fail_msg("%s: %s", cases[i].alg, msg.detail);
		check_crl(body.data, body.len, ca, 100 + i, now, now + 3600, want, 50, cases[i].nid);
		check_log(key, 100 + i, entries_len, body.data, body.len);
		free(want);
		buf_free(&body);
		X509_free(ca);
	}
}


/* A CA certificate for req's key signed by an outside root: keyUsage ku,
 * and a subject key identifier only when ski. */
static X509 *
outside_ca_cert(EVP_PKEY *root_key, X509 *root, X509_REQ *req, const char *ku, bool ski)
{
	X509 *x = X509_new();
	X509V3_CTX ctx;
	const char *names[] = {"critical,CA:TRUE", ku, "hash"};
	const int nids[] = {NID_basic_constraints, NID_key_usage, NID_subject_key_identifier};

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 7), 1);
	assert_int_equal(X509_set_issuer_name(x, X509_get_subject_name(root)), 1);
	assert_int_equal(X509_set_subject_name(x, X509_REQ_get_subject_name(req)), 1);
	assert_int_equal(X509_set_pubkey(x, X509_REQ_get0_pubkey(req)), 1);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), time(NULL) - 60));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), time(NULL) + 86400 * 30));
	X509V3_set_ctx(&ctx, root, x, NULL, NULL, 0);
	for (int i = 0; i < (ski ? 3 : 2); i++) {
		X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nids[i], names[i]);
		assert_non_null(ex);
		assert_int_equal(X509_add_ext(x, ex, -1), 1);
		X509_EXTENSION_free(ex);
	}
	assert_true(X509_sign(x, root_key, EVP_sha256()) > 0);
	return x;
}

/* A signer key whose CA certificate comes from an outside root; refused:
 * the slug the signer's install must answer (NULL: it takes it). */
static X509 *
outside_ca(EVP_PKEY *root_key, X509 *root, const char *ku, bool ski, const char *refused,
           char key[65])
{
	struct edgeca_msg msg = {0};
	X509_NAME *name = X509_NAME_new();
	unsigned char *name_der = NULL, *csr_der = NULL, *cert_der = NULL;
	const unsigned char *p;
	size_t csr_len = 0;
	int name_len, cert_len;
	X509_REQ *req;
	X509 *cert;

	assert_int_equal(signer_key_create(pool, "EC-P256", "client", 365, -1, NULL, key, &msg),
	                 EDGECA_OK);
	assert_int_equal(t_name_add_cn(name, "Outside Sub", -1), 1);
	name_len = i2d_X509_NAME(name, &name_der);
	assert_int_equal(signer_csr_create(pool, key, name_der, (size_t)name_len, &csr_der,
	                                   &csr_len, &msg), EDGECA_OK);
	p = csr_der;
	req = d2i_X509_REQ(NULL, &p, (long)csr_len);
	assert_non_null(req);
	cert = outside_ca_cert(root_key, root, req, ku, ski);
	cert_len = i2d_X509(cert, &cert_der);
	if (refused == NULL &&
	    signer_cert_install(pool, key, cert_der, (size_t)cert_len, &msg) != EDGECA_OK)
		fail_msg("signer_cert_install: %s", msg.detail);
	if (refused != NULL) {
		assert_int_equal(signer_cert_install(pool, key, cert_der, (size_t)cert_len, &msg),
		                 EDGECA_ERR_INVALID);
		assert_string_equal(msg.type, refused);
	}
	OPENSSL_free(cert_der);
	X509_REQ_free(req);
	free(csr_der);
	OPENSSL_free(name_der);
	X509_NAME_free(name);
	return cert;
}

/* Binds cert to key in the signer's store with the signer stopped, as a
 * key certified before the signer refused such certificates. */
static void
bind_behind_signer(const char *key, X509 *cert)
{
	struct edgeca_msg msg = {0};
	struct keystore *ks = NULL;
	struct signer_key *k = NULL;

	struct buf rec = {0};
	uint32_t version = 0;

	stop_signer();
	if (record_store_get(key, &rec) != 0)
		fail_msg("bind_behind_signer: no record of %s", key);
	if (keystore_open(state_dir, NULL, 1000, &ks, &msg) != EDGECA_OK ||
	    keystore_load(ks, key, rec.data, rec.len, &msg) != EDGECA_OK ||
	    keystore_get(ks, key, &k, &msg) != EDGECA_OK ||
	    keystore_set_cert(ks, k, cert, &msg) != EDGECA_OK ||
	    (rec.len = 0, keystore_seal(ks, k, &rec, &version, &msg)) != EDGECA_OK)
		fail_msg("bind_behind_signer: %s", msg.detail);
	record_store_put(key, version, rec.data, rec.len);
	buf_free(&rec);
	keystore_free(ks);
	start_signer();
}

/* CA certificates signed elsewhere: without cRLSign in their keyUsage
 * they sign no CRL; without an SKI the signer refuses them, and a key
 * that has one from before signs CRLs whose AKI is the key's RFC 5280
 * method 1 identifier. */
static void
test_outside_ca_certificates(void **state)
{
	char no_crl_sign[65], no_ski[65];
	EVP_PKEY *root_key = t_key("EC-P256");
	X509 *root = t_ca_cert(root_key, "Outside Root", -1, time(NULL) - 60,
	                       time(NULL) + 86400 * 365);
	struct edgeca_msg msg = {0};
	struct buf body = {0};
	time_t now = time(NULL);
	X509 *cert;

	assert_non_null(root);
	/* a CA certificate from elsewhere whose keyUsage lacks cRLSign */
	cert = outside_ca(root_key, root, "critical,keyCertSign", true, NULL, no_crl_sign);
	expect_refused(no_crl_sign, 1, now, now + 3600, &body, EDGECA_ERR_INVALID,
	               "crl-sign-not-allowed");
	X509_free(cert);
	/* one with cRLSign but no SKI: refused, and bound from before the
	 * AKI is the key's RFC 5280 method 1 id */
	cert = outside_ca(root_key, root, "critical,keyCertSign,cRLSign", false,
	                  "ca-certificate-no-ski", no_ski);
	assert_null(X509_get0_subject_key_id(cert));
	bind_behind_signer(no_ski, cert);
	assert_int_equal(sign(no_ski, 1, now, now + 3600, &body, &msg), EDGECA_OK);
	{
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int md_len = 0;
		ASN1_OCTET_STRING *id = ASN1_OCTET_STRING_new();
		assert_int_equal(X509_pubkey_digest(cert, EVP_sha1(), md, &md_len), 1);
		assert_int_equal(ASN1_OCTET_STRING_set(id, md, (int)md_len), 1);
		check_crl_aki(body.data, body.len, cert, 1, now, now + 3600, NULL, 0,
		              NID_ecdsa_with_SHA256, id);
		ASN1_OCTET_STRING_free(id);
	}
	buf_free(&body);
	X509_free(cert);
	X509_free(root);
	EVP_PKEY_free(root_key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_and_full_crls),
		cmocka_unit_test(test_algorithms),
		cmocka_unit_test(test_outside_ca_certificates),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, crl_signer_setup, crl_signer_teardown);
}
