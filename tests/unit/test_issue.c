/* Unit tests of signer/issue in a scratch key store: self-signed roots,
 * certificates issued from CSRs under each template and policy, and CA
 * certificates signed elsewhere bound to a key (or refused). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/x509util.h"
#include "signer/daemon/issue.h"
#include "tests/support/certs.h"

#define DAY 86400
#define B(t) (1u << (t))

static char *dir;
static struct keystore *ks;
static struct signer_key *leaf_ca; /* client+ssl, 365 days; self-signed at t0 */
static struct signer_key *sub_ca;  /* all user templates, EC-P384, no path length */
static X509 *leaf_root, *sub_root;
static EVP_PKEY *dev_key;
static time_t t0;

static X509_NAME *
cn_name(const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)"Example", -1, -1,
	                           0);
	t_name_add_cn(n, cn, -1);
	return n;
}

static struct signer_key *
new_key(const char *alg, unsigned templates, int32_t path_length)
{
	struct signer_policy p = {templates, 365, path_length, NULL, "", NULL};
	struct signer_key *k = NULL;
	struct edgeca_msg msg;

	if (keystore_create(ks, alg, &p, &k, &msg) != EDGECA_OK)
		fail_msg("keystore_create: %s", msg.detail);
	return k;
}

static X509 *
self_sign(struct signer_key *k, const char *cn, edgeca_err want)
{
	X509_NAME *n = cn_name(cn);
	X509 *x = NULL;
	struct edgeca_msg msg;

	assert_int_equal(issue_self_signed(ks, k, n, t0 + 3650 * DAY, t0, &x, &msg), want);
	X509_NAME_free(n);
	return x;
}

static int
setup(void **state)
{
	struct edgeca_msg msg;

	t0 = time(NULL);
	dir = t_tmpdir();
	dev_key = t_key("EC-P256");
	if (dir == NULL || dev_key == NULL || keystore_open(dir, NULL, 100, &ks, &msg) != EDGECA_OK)
		return -1;
	leaf_ca = new_key("EC-P256", B(TPL_CLIENT) | B(TPL_SSL), -1);
	sub_ca = new_key("EC-P384", B(TPL_CLIENT) | B(TPL_SSL) | B(TPL_SUBORDINATE_CA), -1);
	leaf_root = self_sign(leaf_ca, "Leaf Root", EDGECA_OK);
	sub_root = self_sign(sub_ca, "Sub Root", EDGECA_OK);
	return leaf_root != NULL && sub_root != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	X509_free(leaf_root);
	X509_free(sub_root);
	EVP_PKEY_free(dev_key);
	keystore_free(ks);
	t_rmtree(dir);
	return 0;
}

static bool
ext_critical(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);

	return i >= 0 && X509_EXTENSION_get_critical(X509_get_ext(x, i));
}

static int
eku_count(X509 *x)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	int n = eku ? sk_ASN1_OBJECT_num(eku) : 0;

	EXTENDED_KEY_USAGE_free(eku);
	return n;
}

/* The certificate's serial: 17 bytes, positive, 0x01 then 128 random bits. */
static void
check_serial(X509 *x)
{
	const ASN1_INTEGER *s = X509_get0_serialNumber(x);
	BIGNUM *bn = ASN1_INTEGER_to_BN(s, NULL);

	assert_false(BN_is_negative(bn));
	assert_int_equal(BN_num_bytes(bn), 17);
	assert_int_equal(BN_num_bits(bn), 129);
	BN_free(bn);
}

static time_t
asn1_time(const ASN1_TIME *a)
{
	struct tm tm;

	assert_int_equal(ASN1_TIME_to_tm(a, &tm), 1);
	return timegm(&tm);
}

static void
test_self_signed(void **state)
{
	X509 *roots[] = {leaf_root, sub_root};
	const ASN1_OCTET_STRING *ski, *aki;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len;

	for (int i = 0; i < 2; i++) {
		X509 *x = roots[i];
		assert_int_equal(X509_get_version(x), X509_VERSION_3);
		assert_int_equal(X509_verify(x, X509_get0_pubkey(x)), 1);
		assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
		assert_true(X509_get_extension_flags(x) & EXFLAG_CA);
		assert_true(ext_critical(x, NID_basic_constraints));
		assert_true(ext_critical(x, NID_key_usage));
		assert_int_equal(X509_get_key_usage(x), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
		ski = X509_get0_subject_key_id(x);
		aki = X509_get0_authority_key_id(x);
		assert_non_null(ski);
		assert_non_null(aki);
		assert_int_equal(ASN1_OCTET_STRING_cmp(ski, aki), 0);
		assert_int_equal(X509_pubkey_digest(x, EVP_sha1(), md, &md_len), 1);
		assert_int_equal(ASN1_STRING_length(ski), md_len);
		assert_memory_equal(ASN1_STRING_get0_data(ski), md, md_len);
		check_serial(x);
		assert_int_equal(asn1_time(X509_get0_notBefore(x)), t0 - ISSUE_BACKDATE_SECONDS);
		assert_int_equal(asn1_time(X509_get0_notAfter(x)), t0 + 3650 * DAY);
	}
	/* A leaf-only policy shows as pathlen 0; a CA template without a
	 * path length as no constraint. */
	assert_int_equal(X509_get_pathlen(leaf_root), 0);
	assert_int_equal(X509_get_pathlen(sub_root), -1);
	assert_int_equal(X509_get_signature_nid(sub_root), NID_ecdsa_with_SHA384);
	assert_int_equal(X509_get_signature_nid(leaf_root), NID_ecdsa_with_SHA256);
}

static void
test_self_signed_refusals(void **state)
{
	struct signer_key *k = new_key("EC-P256", B(TPL_SUBORDINATE_CA), 2);
	X509_NAME *none = X509_NAME_new();
	struct edgeca_msg msg;
	X509 *x = NULL;

	assert_null(self_sign(leaf_ca, "Again", EDGECA_ERR_CONFLICT)); /* once per key */
	assert_int_equal(issue_self_signed(ks, k, none, t0 + DAY, t0, &x, &msg),
	                 EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "invalid-subject");
	X509_NAME_free(none);
	none = cn_name("Short");
	assert_int_equal(issue_self_signed(ks, k, none, t0 + 3600, t0, &x, &msg),
	                 EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "validity-invalid");
	assert_int_equal(issue_self_signed(ks, k, none, t0 + 3601, t0, &x, &msg), EDGECA_OK);
	assert_int_equal(X509_get_pathlen(x), 2); /* the policy's path length */
	X509_free(x);
	X509_NAME_free(none);
}

/* Issues a certificate valid until not_after for req (freed) under
 * template tpl by key k at now; expects want and, when given, slug. The
 * certificate is returned as a relying party sees it: decoded from the
 * DER the signer sends. */
static X509 *
issue_until(struct signer_key *k, enum tpl_id tpl, X509_REQ *req, time_t now, time_t not_after,
            edgeca_err want, const char *slug)
{
	struct issue_params ip = {.tpl = tpl_get(tpl), .not_after = not_after, .path_length = -1};
	struct edgeca_msg msg;
	X509 *x = (X509 *)1;

	assert_non_null(req);
	edgeca_msg_clear(&msg);
	assert_int_equal(issue_certificate(ks, k, &ip, req, now, &x, &msg), want);
	if (slug != NULL)
		assert_string_equal(msg.type, slug);
	if (want != EDGECA_OK)
		assert_null(x);
	X509_REQ_free(req);
	if (x != NULL) {
		unsigned char *der = NULL;
		int len = i2d_X509(x, &der);
		X509 *decoded = x509_from_der(der, (size_t)len);
		assert_non_null(decoded);
		OPENSSL_free(der);
		X509_free(x);
		x = decoded;
	}
	return x;
}

static X509 *
issue(struct signer_key *k, enum tpl_id tpl, X509_REQ *req, time_t now, edgeca_err want,
      const char *slug)
{
	return issue_until(k, tpl, req, now, now + 30 * DAY, want, slug);
}

/* The SANs of x as one "DNS:a,IP:b" string (empty when none). */
static void
sans_of(X509 *x, char *out, size_t n)
{
	char **v = NULL;

	assert_int_equal(x509_san_strings(x, &v), 0);
	out[0] = '\0';
	for (char **p = v; *p; p++)
		snprintf(out + strlen(out), n - strlen(out), "%s%s", p == v ? "" : ",", *p);
	strv_free(v);
}

static void
test_client_template(void **state)
{
	X509_REQ *req = t_csr(dev_key, "device-0001", "DNS:device-0001.example", "critical,CA:TRUE");
	X509_NAME *want = X509_NAME_dup(X509_REQ_get_subject_name(req));
	X509 *x = issue(leaf_ca, TPL_CLIENT, req, t0 + 100, EDGECA_OK, NULL);
	EVP_PKEY *rsa = t_key("RSA-2048");
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len;

	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x), want), 0);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(leaf_root)),
	                 0);
	assert_int_equal(X509_verify(x, X509_get0_pubkey(leaf_root)), 1);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), dev_key), 1);
	check_serial(x);
	/* The CSR asked CA:TRUE and a SAN: the client template gives neither. */
	assert_false(X509_get_extension_flags(x) & EXFLAG_CA);
	assert_true(ext_critical(x, NID_basic_constraints));
	assert_true(ext_critical(x, NID_key_usage));
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_CLIENT);
	assert_int_equal(eku_count(x), 1);
	assert_int_equal(X509_get_ext_by_NID(x, NID_subject_alt_name, -1), -1);
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x),
	                                       X509_get0_subject_key_id(leaf_root)), 0);
	assert_int_equal(X509_pubkey_digest(x, EVP_sha1(), md, &md_len), 1);
	assert_memory_equal(ASN1_STRING_get0_data(X509_get0_subject_key_id(x)), md, md_len);
	assert_int_equal(asn1_time(X509_get0_notBefore(x)), t0 + 100 - ISSUE_BACKDATE_SECONDS);
	assert_int_equal(asn1_time(X509_get0_notAfter(x)), t0 + 100 + 30 * DAY);
	X509_free(x);
	X509_NAME_free(want);

	/* RSA subject keys also get keyEncipherment. */
	x = issue(leaf_ca, TPL_CLIENT, t_csr(rsa, "rsa-device", NULL, NULL), t0, EDGECA_OK, NULL);
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
	X509_free(x);
	EVP_PKEY_free(rsa);
}

static void
test_ssl_template(void **state)
{
	char sans[512];
	X509 *x;

	x = issue(leaf_ca, TPL_SSL,
	          t_csr(dev_key, "dev1.example.com",
	                "DNS:alt.example.com,IP:10.0.0.1,IP:2001:db8::1,email:a@example.com,"
	                "URI:https://example.com/",
	                NULL),
	          t0, EDGECA_OK, NULL);
	sans_of(x, sans, sizeof(sans));
	assert_string_equal(sans, "DNS:dev1.example.com,DNS:alt.example.com,IP:10.0.0.1,"
	                          "IP:2001:db8::1");
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_SERVER | XKU_SSL_CLIENT);
	assert_int_equal(eku_count(x), 2);
	assert_false(ext_critical(x, NID_subject_alt_name)); /* the subject is not empty */
	assert_false(X509_get_extension_flags(x) & EXFLAG_CA);
	X509_free(x);
	/* The CN already among the SANs (any case) is not repeated. */
	x = issue(leaf_ca, TPL_SSL, t_csr(dev_key, "dev1.example.com", "DNS:DEV1.example.com", NULL),
	          t0, EDGECA_OK, NULL);
	sans_of(x, sans, sizeof(sans));
	assert_string_equal(sans, "DNS:DEV1.example.com");
	X509_free(x);
	/* An IP address as CN becomes an IP SAN, first. */
	x = issue(leaf_ca, TPL_SSL, t_csr(dev_key, "fe80::1", "IP:10.0.0.2", NULL), t0, EDGECA_OK,
	          NULL);
	sans_of(x, sans, sizeof(sans));
	assert_string_equal(sans, "IP:fe80::1,IP:10.0.0.2");
	X509_free(x);
	/* a server certificate needs a host name: none at all is refused */
	assert_null(issue(leaf_ca, TPL_SSL, t_csr(dev_key, "Device One", NULL, NULL), t0,
	                  EDGECA_ERR_INVALID, "csr-no-host-name"));
	x = issue(leaf_ca, TPL_SSL, t_csr(dev_key, "device_42", NULL, NULL), t0, EDGECA_OK, NULL);
	sans_of(x, sans, sizeof(sans));
	assert_string_equal(sans, "DNS:device_42");
	X509_free(x);
	/* A SAN that is no host name is refused. */
	issue(leaf_ca, TPL_SSL, t_csr(dev_key, "dev1", "DNS:bad name", NULL), t0,
	      EDGECA_ERR_INVALID, "csr-invalid-san");
}

/* An IP address as CN is written as an iPAddress SAN under ssl, never as a
 * dNSName (RFC 5280 4.2.1.6). */
static void
test_ssl_ip_cn_as_ip_san(void **state)
{
	char sans[512] = "";
	X509 *x;

	x = issue(leaf_ca, TPL_SSL, t_csr(dev_key, "192.0.2.10", NULL, NULL), t0, EDGECA_OK, NULL);
	sans_of(x, sans, sizeof(sans));
	X509_free(x);
	assert_string_equal(sans, "IP:192.0.2.10");
	x = issue(leaf_ca, TPL_SSL, t_csr(dev_key, "2001:db8::7", NULL, NULL), t0, EDGECA_OK, NULL);
	sans_of(x, sans, sizeof(sans));
	X509_free(x);
	assert_string_equal(sans, "IP:2001:db8::7");
}

static void
test_subordinate_and_policy(void **state)
{
	struct signer_key *bare = new_key("EC-P256", B(TPL_CLIENT), -1);
	EVP_PKEY *weak = t_key("RSA-1024");
	X509 *x;

	x = issue(sub_ca, TPL_SUBORDINATE_CA, t_csr(dev_key, "Issuing CA", NULL, NULL), t0,
	          EDGECA_OK, NULL);
	assert_true(X509_get_extension_flags(x) & EXFLAG_CA);
	assert_int_equal(X509_get_key_usage(x), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_int_equal(eku_count(x), 0);
	assert_int_equal(X509_verify(x, X509_get0_pubkey(sub_root)), 1);
	assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA384);
	X509_free(x);
	issue(leaf_ca, TPL_SUBORDINATE_CA, t_csr(dev_key, "Issuing CA", NULL, NULL), t0,
	      EDGECA_ERR_NOT_PERMITTED, "template-not-allowed");
	issue(leaf_ca, TPL_TLS_SERVER, t_csr(dev_key, "server", NULL, NULL), t0,
	      EDGECA_ERR_NOT_PERMITTED, "template-not-allowed");
	/* The policy allows 365 days; notAfter must be in the future. */
	X509_free(issue_until(leaf_ca, TPL_CLIENT, t_csr(dev_key, "d", NULL, NULL), t0,
	                      t0 + 365 * DAY, EDGECA_OK, NULL));
	issue_until(leaf_ca, TPL_CLIENT, t_csr(dev_key, "d", NULL, NULL), t0, t0 + 366 * DAY,
	            EDGECA_ERR_NOT_PERMITTED, "validity-exceeds-policy");
	issue_until(leaf_ca, TPL_CLIENT, t_csr(dev_key, "d", NULL, NULL), t0, t0 - 1,
	            EDGECA_ERR_INVALID, "validity-invalid");
	/* A key without a certificate cannot issue; the CSR is checked again. */
	issue(bare, TPL_CLIENT, t_csr(dev_key, "d", NULL, NULL), t0, EDGECA_ERR_CONFLICT,
	      "ca-not-active");
	issue(leaf_ca, TPL_CLIENT, t_csr(weak, "d", NULL, NULL), t0, EDGECA_ERR_INVALID,
	      "csr-weak-key");
	issue(leaf_ca, TPL_CLIENT, t_csr(dev_key, NULL, NULL, NULL), t0, EDGECA_ERR_INVALID,
	      "csr-missing-common-name");
	EVP_PKEY_free(weak);
}

static void
test_not_before_clamped(void **state)
{
	/* 55 s after the root's notBefore (t0 - 60): backdating by 60 s would
	 * precede the issuer, so notBefore is the issuer's. */
	X509 *x = issue(leaf_ca, TPL_CLIENT, t_csr(dev_key, "early", NULL, NULL), t0 - 55, EDGECA_OK,
	                NULL);

	assert_int_equal(asn1_time(X509_get0_notBefore(x)), t0 - ISSUE_BACKDATE_SECONDS);
	X509_free(x);
}

/* A CA certificate issued by a constrained issuer carries a path length
 * one below the tighter of the issuer's certificate and the key's policy;
 * with no constraint anywhere it carries none; at 0 nothing is issued. */
static void
test_issued_ca_path_length(void **state)
{
	struct signer_key *two = new_key("EC-P256", B(TPL_SUBORDINATE_CA), 2);
	struct signer_key *one = new_key("EC-P256", B(TPL_SUBORDINATE_CA), 1);
	X509 *root2, *root1, *x;

	root2 = self_sign(two, "Pathlen Two Root", EDGECA_OK);
	root1 = self_sign(one, "Pathlen One Root", EDGECA_OK);
	x = issue(two, TPL_SUBORDINATE_CA, t_csr(dev_key, "Child of two", NULL, NULL), t0, EDGECA_OK,
	          NULL);
	assert_int_equal(X509_get_pathlen(x), 1);
	X509_free(x);
	x = issue(one, TPL_SUBORDINATE_CA, t_csr(dev_key, "Child of one", NULL, NULL), t0, EDGECA_OK,
	          NULL);
	assert_int_equal(X509_get_pathlen(x), 0);
	X509_free(x);
	x = issue(sub_ca, TPL_SUBORDINATE_CA, t_csr(dev_key, "Child of none", NULL, NULL), t0,
	          EDGECA_OK, NULL);
	assert_int_equal(X509_get_pathlen(x), -1);
	X509_free(x);
	X509_free(root2);
	X509_free(root1);
}

/* Subject attributes other than the CN are checked too: unknown types and
 * control or bidirectional characters are refused, never copied. */
static void
test_subject_attributes_checked(void **state)
{
	X509_REQ *req = t_csr(dev_key, "attr-device", NULL, NULL);

	X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "O", MBSTRING_UTF8,
	                           (const unsigned char *)"Evil\xe2\x80\xaemoc.knab", -1, -1, 0);
	X509_REQ_sign(req, dev_key, EVP_sha256());
	assert_null(issue(leaf_ca, TPL_CLIENT, req, t0, EDGECA_ERR_INVALID, "csr-invalid-subject"));
	req = t_csr(dev_key, "attr-device", NULL, NULL);
	X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "1.2.3.4.5", MBSTRING_UTF8,
	                           (const unsigned char *)"x", -1, -1, 0);
	X509_REQ_sign(req, dev_key, EVP_sha256());
	assert_null(issue(leaf_ca, TPL_CLIENT, req, t0, EDGECA_ERR_INVALID, "csr-invalid-subject"));
}

/* A DPS verification certificate carries the issuing CA's own public
 * key, not the CSR's, so nobody can authenticate with it; its subject is
 * one CN shaped like a verification code. */
static void
test_dps_verification(void **state)
{
	X509_REQ *req;
	X509 *x;
	char *cn = NULL;
	int count = 0;

	(void)state;
	x = issue_until(leaf_ca, TPL_DPS_VERIFICATION, t_csr(dev_key, "4E8B3F0A1C2D", NULL, NULL),
	                t0, t0 + DAY, EDGECA_OK, NULL);
	assert_non_null(x);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), X509_get0_pubkey(leaf_root)), 1);
	assert_int_not_equal(EVP_PKEY_eq(X509_get0_pubkey(x), dev_key), 1);
	assert_int_equal(X509_verify(x, X509_get0_pubkey(leaf_root)), 1);
	assert_int_equal(x509_name_common_name(X509_get_subject_name(x), &cn, &count), 0);
	assert_string_equal(cn, "4E8B3F0A1C2D");
	assert_int_equal(X509_check_ca(x), 0);
	assert_int_equal(eku_count(x), 0);
	free(cn);
	X509_free(x);
	/* no host names, no other attributes */
	assert_null(issue_until(leaf_ca, TPL_DPS_VERIFICATION,
	                        t_csr(dev_key, "victim.example.com", NULL, NULL), t0, t0 + DAY,
	                        EDGECA_ERR_INVALID, "invalid-subject"));
	req = t_csr(dev_key, "4E8B3F0A1C2D", NULL, NULL);
	X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "O", MBSTRING_UTF8,
	                           (const unsigned char *)"Example", -1, -1, 0);
	X509_REQ_sign(req, dev_key, EVP_sha256());
	assert_null(issue_until(leaf_ca, TPL_DPS_VERIFICATION, req, t0, t0 + DAY,
	                        EDGECA_ERR_INVALID, "invalid-subject"));
}

/* An IoT Edge CA certificate's subject is one CN, "aziot-edge CA " and a
 * device id, whatever CSR a compromised server forwards: no other CA
 * subject gets CA:TRUE under this template. */
static void
test_iot_edge_ca_subject(void **state)
{
	static const char *const refused[] = {"Totally Not A CA", "aziot-edge CA ",
	                                      "aziot-edge CAdevice-1", "AZIOT-EDGE CA device-1",
	                                      "Evil Sub CA", NULL};
	struct signer_key *edge = new_key("EC-P256", B(TPL_CLIENT) | B(TPL_IOT_EDGE_CA), -1);
	X509 *root = self_sign(edge, "Edge Devices CA", EDGECA_OK), *x;
	X509_REQ *req;

	(void)state;
	x = issue(edge, TPL_IOT_EDGE_CA, t_csr(dev_key, "aziot-edge CA device-1", NULL, NULL), t0,
	          EDGECA_OK, NULL);
	assert_int_equal(X509_check_ca(x), 1);
	assert_int_equal(X509_get_pathlen(x), 0);
	X509_free(x);
	for (int i = 0; refused[i] != NULL; i++)
		assert_null(issue(edge, TPL_IOT_EDGE_CA, t_csr(dev_key, refused[i], NULL, NULL), t0,
		                  EDGECA_ERR_INVALID, "invalid-subject"));
	/* no CN, or another attribute beside the right CN */
	assert_null(issue(edge, TPL_IOT_EDGE_CA, t_csr(dev_key, NULL, NULL, NULL), t0,
	                  EDGECA_ERR_INVALID, NULL));
	req = t_csr(dev_key, "aziot-edge CA device-1", NULL, NULL);
	X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "O", MBSTRING_UTF8,
	                           (const unsigned char *)"Example", -1, -1, 0);
	X509_REQ_sign(req, dev_key, EVP_sha256());
	assert_null(issue(edge, TPL_IOT_EDGE_CA, req, t0, EDGECA_ERR_INVALID, "invalid-subject"));
	/* the rule is the Edge CA template's: a client certificate's CN is free */
	x = issue(edge, TPL_CLIENT, t_csr(dev_key, "Totally Not A CA", NULL, NULL), t0, EDGECA_OK,
	          NULL);
	assert_int_equal(X509_check_ca(x), 0);
	X509_free(x);
	X509_free(root);
}

/* A CA certificate for k's public key signed by an outside CA (its key
 * outside), valid from a minute before t0 for 60 days, with
 * basicConstraints bc and keyUsage ku (NULL: left out) and a subject key
 * identifier only when ski. */
static X509 *
outside_ca_cert(struct signer_key *k, EVP_PKEY *outside, const char *bc, const char *ku,
                bool ski)
{
	const char *values[] = {bc, ku, ski ? "hash" : NULL};
	const int nids[] = {NID_basic_constraints, NID_key_usage, NID_subject_key_identifier};
	X509 *x = X509_new();
	X509V3_CTX ctx;

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 77), 1);
	assert_int_equal(t_name_add_cn(X509_get_issuer_name(x), "Outside Root", -1), 1);
	assert_int_equal(t_name_add_cn(X509_get_subject_name(x), "Outside Sub", -1), 1);
	assert_int_equal(X509_set_pubkey(x, k->pkey), 1);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), t0 - 60));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), t0 + 60 * DAY));
	X509V3_set_ctx(&ctx, NULL, x, NULL, NULL, 0);
	for (int i = 0; i < 3; i++) {
		X509_EXTENSION *ex;
		if (values[i] == NULL)
			continue;
		ex = X509V3_EXT_conf_nid(NULL, &ctx, nids[i], values[i]);
		assert_non_null(ex);
		assert_int_equal(X509_add_ext(x, ex, -1), 1);
		X509_EXTENSION_free(ex);
	}
	assert_true(X509_sign(x, outside, EVP_sha256()) > 0);
	return x;
}

/* A key takes a certificate signed elsewhere only when it is a CA
 * certificate it can issue under: a keyUsage extension with keyCertSign
 * (OpenSSL reports every usage when there is none) and an SKI for the
 * AKI of what it issues. A refusal leaves the key without certificate. */
static void
test_install_refusals(void **state)
{
	static const struct {
		const char *bc, *ku;
		bool ski;
		const char *slug, *detail;
	} bad[] = {
		{"critical,CA:FALSE", "critical,keyCertSign,cRLSign", true, "not-a-ca-certificate",
		 "basicConstraints CA:TRUE"},
		{NULL, "critical,keyCertSign,cRLSign", true, "not-a-ca-certificate",
		 "basicConstraints CA:TRUE"},
		{"critical,CA:TRUE", NULL, true, "not-a-ca-certificate", "no keyUsage extension"},
		{"critical,CA:TRUE", "critical,digitalSignature,cRLSign", true,
		 "not-a-ca-certificate", "does not include keyCertSign"},
		{"critical,CA:TRUE", "critical,keyCertSign,cRLSign", false, "ca-certificate-no-ski",
		 "subjectKeyIdentifier=hash"},
	};
	EVP_PKEY *outside = t_key("EC-P256");
	struct signer_key *k = new_key("EC-P256", B(TPL_CLIENT), -1);
	struct edgeca_msg msg;
	X509 *x, *leaf;

	assert_non_null(outside);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		x = outside_ca_cert(k, outside, bad[i].bc, bad[i].ku, bad[i].ski);
		edgeca_msg_clear(&msg);
		assert_int_equal(issue_install_certificate(ks, k, x, t0, &msg), EDGECA_ERR_INVALID);
		assert_string_equal(msg.type, bad[i].slug);
		assert_non_null(strstr(msg.detail, bad[i].detail));
		assert_null(keystore_key_cert(ks, k));
		X509_free(x);
	}
	/* the right one is taken, and what the key issues names its SKI */
	x = outside_ca_cert(k, outside, "critical,CA:TRUE", "critical,keyCertSign,cRLSign", true);
	assert_int_equal(issue_install_certificate(ks, k, x, t0, &msg), EDGECA_OK);
	leaf = issue(k, TPL_CLIENT, t_csr(dev_key, "installed-device", NULL, NULL), t0, EDGECA_OK,
	             NULL);
	assert_non_null(leaf);
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(leaf),
	                                       X509_get0_subject_key_id(x)), 0);
	X509_free(leaf);
	X509_free(x);
	EVP_PKEY_free(outside);
}

/* A key bound to a CA certificate without SKI before uploads refused
 * those still issues: the AKI is the method 1 identifier of the CA's key,
 * what its CRLs carry too. */
static void
test_issuer_without_ski(void **state)
{
	EVP_PKEY *outside = t_key("EC-P256");
	struct signer_key *k = new_key("EC-P256", B(TPL_CLIENT), -1);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	struct edgeca_msg msg;
	X509 *x, *leaf;

	(void)state;
	x = outside_ca_cert(k, outside, "critical,CA:TRUE", "critical,keyCertSign,cRLSign", false);
	assert_non_null(x);
	assert_null(X509_get0_subject_key_id(x));
	assert_int_equal(keystore_set_cert(ks, k, x, &msg), EDGECA_OK); /* bound directly */
	leaf = issue(k, TPL_CLIENT, t_csr(dev_key, "older-device", NULL, NULL), t0, EDGECA_OK,
	             NULL);
	assert_non_null(leaf);
	assert_int_equal(X509_pubkey_digest(x, EVP_sha1(), md, &md_len), 1);
	assert_int_equal(ASN1_STRING_length(X509_get0_authority_key_id(leaf)), (int)md_len);
	assert_memory_equal(ASN1_STRING_get0_data(X509_get0_authority_key_id(leaf)), md, md_len);
	assert_int_equal(X509_check_issued(x, leaf), X509_V_OK);
	X509_free(leaf);
	X509_free(x);
	EVP_PKEY_free(outside);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self_signed),
		cmocka_unit_test(test_self_signed_refusals),
		cmocka_unit_test(test_client_template),
		cmocka_unit_test(test_ssl_template),
		cmocka_unit_test(test_ssl_ip_cn_as_ip_san),
		cmocka_unit_test(test_subordinate_and_policy),
		cmocka_unit_test(test_not_before_clamped),
		cmocka_unit_test(test_issued_ca_path_length),
		cmocka_unit_test(test_subject_attributes_checked),
		cmocka_unit_test(test_dps_verification),
		cmocka_unit_test(test_iot_edge_ca_subject),
		cmocka_unit_test(test_install_refusals),
		cmocka_unit_test(test_issuer_without_ski),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
