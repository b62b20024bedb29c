/* Adopting an existing CA: an outside PKI made with the openssl command
 * line (a self-signed root and an intermediate under it), each key sealed
 * by `edgeca-signer import-key` against the instance's signer state (one
 * from an encrypted PKCS#8 file, one from a plain one), both imported
 * through POST /api/v1/cas; then each issues, one revokes and publishes a
 * CRL signed by the imported key, and a device enrolls over EST under the
 * intermediate. Refused: a certificate of another key, an end-entity
 * certificate, one without keyCertSign, a record sealed under another
 * KEK, a policy other than the key's, garbage, a key imported twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/encoding.h"
#include "tests/integration/est_client.h"
#include "tests/integration/external_root.h"
#include "tests/integration/public_crl.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"

/* the policy both keys are sealed with, and the CAs ask for */
#define POLICY_ARGS "--templates client,ssl --max-validity-days 365"
#define ISSUANCE "{\"template\": \"client\", \"allowed_templates\": [\"client\", \"ssl\"], " \
                 "\"max_validity_days\": 365}"
/* fleet:correct horse battery */
#define BASIC "authorization: Basic ZmxlZXQ6Y29ycmVjdCBob3JzZSBiYXR0ZXJ5"

static struct instance in;
static char dir[64];      /* the outside PKI's files */
static char *root_pem, *int_pem;
static char root_id[64], int_id[64];

/* The outside CA as an operator has it: keys as PKCS#8 PEM (the root's
 * encrypted under a passphrase), certificates made by openssl. */
static void
make_outside_pki(void)
{
	char path[128];

	snprintf(dir, sizeof(dir), "/tmp/edgeca-import-test-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pass", dir);
	write_text(path, "legacy root secret\n");
	snprintf(path, sizeof(path), "%s/ca.ext", dir);
	write_text(path, EXTERNAL_CA_EXT);
	shell("cd %s && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
	      "-out root.key 2>/dev/null && "
	      "openssl pkcs8 -topk8 -v2 aes-256-cbc -in root.key -out root-enc.pem "
	      "-passout file:pass && "
	      "openssl req -x509 -key root.key -out root.pem -days 3650 "
	      "-subj '/C=DE/O=Acme/CN=Acme Legacy Root' "
	      "-addext basicConstraints=critical,CA:TRUE "
	      "-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null && "
	      "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out int.key "
	      "2>/dev/null && "
	      "openssl req -new -key int.key -subj '/O=Acme/CN=Acme Legacy Issuing' -out int.csr && "
	      "openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial "
	      "-days 1000 -extfile ca.ext -extensions v3 -out int.pem 2>/dev/null",
	      dir);
	/* refusals: another key's CA certificate, an end-entity certificate
	 * and a CA certificate without keyCertSign, the last two of the
	 * root's key */
	shell("cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	      "-keyout other.key -out other.pem -days 365 -subj '/CN=Other Root' "
	      "-addext basicConstraints=critical,CA:TRUE "
	      "-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null && "
	      "openssl req -x509 -key root.key -out ee.pem -days 365 -subj '/CN=Not A CA' "
	      "-addext basicConstraints=critical,CA:FALSE "
	      "-addext keyUsage=critical,digitalSignature 2>/dev/null && "
	      "openssl req -x509 -key root.key -out nosign.pem -days 365 -subj '/CN=No Sign' "
	      "-addext basicConstraints=critical,CA:TRUE "
	      "-addext keyUsage=critical,cRLSign,digitalSignature 2>/dev/null && "
	      "head -c 32 /dev/urandom > other.kek && chmod 600 other.kek",
	      dir);
}

static char *
file_text(const char *name)
{
	char path[160];
	char *text;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	text = read_file(path, NULL);
	assert_non_null(text);
	return text;
}

/* Runs import-key on key (a file of dir) as the operator does on the
 * signer's machine, with the KEK of the instance's signer unless kek is
 * given; the record's base64 line, key_id (33 bytes) its id. */
static char *
import_key(const char *key, const char *pass, const char *kek, const char *out, char *key_id)
{
	char *record, *id, *kek_arg = NULL, *pass_arg = NULL;
	size_t n;

	if (kek != NULL)
		xasprintf(&kek_arg, "--kek-file %s/%s", dir, kek);
	else
		xasprintf(&kek_arg, "--state-dir %s/signer", in.data_dir);
	if (pass != NULL)
		xasprintf(&pass_arg, "--passphrase-file %s/%s", dir, pass);
	shell("%s/edgeca-signer import-key %s --key %s/%s %s " POLICY_ARGS
	      " --out %s/%s > %s/%s.id",
	      getenv("EDGECA_TEST_BIN_DIR"), kek_arg, dir, key, pass_arg ? pass_arg : "", dir, out,
	      dir, out);
	record = file_text(out);
	n = strlen(record);
	assert_true(n > 100 && record[n - 1] == '\n' && strchr(record, '\n') == record + n - 1);
	record[n - 1] = '\0';
	{
		char name[80];
		snprintf(name, sizeof(name), "%s.id", out);
		id = file_text(name);
		assert_int_equal(strlen(id), 33);
		memcpy(key_id, id, 32);
		key_id[32] = '\0';
		free(id);
	}
	free(kek_arg);
	free(pass_arg);
	return record;
}

/* POSTs an import; the answer's status. */
static long
post_import(const char *record, const char *cert, const char *chain, const char *extra_json,
            struct http_response *r)
{
	json_t *body = json_loads(extra_json ? extra_json : "{}", 0, NULL);
	json_t *im = json_pack("{s:s, s:s}", "key_record", record, "certificate_pem", cert);
	char *text;
	long status;

	assert_non_null(body);
	assert_non_null(im);
	if (chain != NULL)
		json_object_set_new(im, "chain_pem", json_string(chain));
	if (json_object_get(body, "issuance") == NULL)
		json_object_set_new(body, "issuance", json_loads(ISSUANCE, 0, NULL));
	json_object_set_new(body, "import", im);
	text = json_dumps(body, JSON_COMPACT);
	status = http_post_json(&in, "/api/v1/cas", in.admin_token, text, r);
	free(text);
	json_decref(body);
	return status;
}

static void
expect_refused(const char *record, const char *cert, const char *chain, const char *extra,
               long want, const char *slug)
{
	struct http_response r;

	http_expect(want, slug, post_import(record, cert, chain, extra, &r), &r);
}

static void
fixture_ready(void)
{
	make_outside_pki();
	root_pem = file_text("root.pem");
	int_pem = file_text("int.pem");
}

static void
fixture_after(void)
{
	free(root_pem);
	free(int_pem);
	if (dir[0])
		shell("rm -rf %s", dir);
}

static const struct fixture fx = {
	.in = &in,
	.name = "ca_import",
	.ready = fixture_ready,
	.after = fixture_after,
};

/* Issues under ca_id and checks the certificate is signed by the
 * imported key of cert_pem; returns it, its serial in serial. */
static X509 *
issue_under(const char *ca_id, const char *cert_pem, const char *cn, char serial[80])
{
	X509 *ca = pem_cert(cert_pem);
	EVP_PKEY *key = NULL;
	X509 *leaf = http_issue_cert(&in, ca_id, cn, &key, serial);

	assert_non_null(ca);
	assert_non_null(leaf);
	assert_int_equal(X509_verify(leaf, X509_get0_pubkey(ca)), 1);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(leaf), X509_get_subject_name(ca)), 0);
	EVP_PKEY_free(key);
	X509_free(ca);
	return leaf;
}

static void
test_import_root(void **state)
{
	char key_id[40], serial[80];
	char *record = import_key("root-enc.pem", "pass", NULL, "root.rec", key_id);
	struct http_response r;
	X509 *leaf, *root = pem_cert(root_pem);
	X509_CRL *crl;
	char *count;

	(void)state;
	assert_int_equal(post_import(record, root_pem, NULL, "{\"friendly_name\": \"Legacy\"}",
	                             &r), 201);
	snprintf(root_id, sizeof(root_id), "%s", http_json_str(&r, "id"));
	assert_string_equal(http_json_str(&r, "kind"), "root");
	assert_string_equal(http_json_str(&r, "chaining"), "self");
	assert_string_equal(http_json_str(&r, "status"), "active");
	assert_string_equal(http_json_str(&r, "common_name"), "Acme Legacy Root");
	assert_string_equal(json_string_value(json_object_get(http_location(&r, "default"),
	                                                      "status")), "active");
	assert_string_equal(http_json_str(&r, "certificate_pem"), root_pem);
	http_response_free(&r);
	count = instance_sql(&in, "SELECT count(*) FROM audit_events WHERE action = 'ca.import' "
	                          "AND object_id = '%s'", root_id);
	assert_string_equal(count, "1");
	free(count);
	count = instance_sql(&in, "SELECT record_version FROM signer_keys WHERE key_id = '%s'",
	                     key_id);
	assert_string_equal(count, "2"); /* the signer bound the certificate */
	free(count);

	/* it issues, revokes, and its CRL is signed by the imported key */
	leaf = issue_under(root_id, root_pem, "legacy-device-1", serial);
	http_revoke(&in, root_id, serial, "keyCompromise");
	crl = public_crl_wait_listing(&in, root_id, "default.crl", leaf);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(root)), 1);
	assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(root)), 0);

	/* the same key again: it is a CA's key already */
	expect_refused(record, root_pem, NULL, NULL, 409, "key-in-use");
	X509_CRL_free(crl);
	X509_free(leaf);
	X509_free(root);
	free(record);
}

static void
test_import_intermediate_est(void **state)
{
	char key_id[40], serial[80], path[600];
	char *record = import_key("int.key", NULL, NULL, "int.rec", key_id);
	const char *headers[] = {"content-type: application/pkcs10", BASIC, NULL};
	struct est_tls tls = {NULL, NULL, NULL, NULL, 0};
	X509_REQ *csr = est_make_csr("est-device-1", false, NULL);
	unsigned char *der = NULL;
	int n = i2d_X509_REQ(csr, &der);
	char *b64 = base64_encode(der, (size_t)n, 64);
	STACK_OF(X509) *certs, *untrusted = sk_X509_new_null();
	X509 *root = pem_cert(root_pem), *inter = pem_cert(int_pem), *leaf;
	struct http_response r;

	(void)state;
	/* without its issuer it cannot be placed */
	expect_refused(record, int_pem, NULL, NULL, 422, "chain-required");
	assert_int_equal(post_import(record, int_pem, root_pem,
	                             "{\"est\": {\"subject_policy\": \"any\", \"basic_auth\": "
	                             "{\"username\": \"fleet\", \"password\": "
	                             "\"correct horse battery\"}}}", &r), 201);
	snprintf(int_id, sizeof(int_id), "%s", http_json_str(&r, "id"));
	assert_string_equal(http_json_str(&r, "kind"), "subordinate");
	assert_string_equal(http_json_str(&r, "chaining"), "external");
	assert_string_equal(http_json_str(&r, "status"), "active");
	http_response_free(&r);

	leaf = issue_under(int_id, int_pem, "legacy-device-2", serial);
	sk_X509_push(untrusted, inter);
	assert_int_equal(verify_chain(leaf, untrusted, root), X509_V_OK);
	X509_free(leaf);

	/* a device enrolls over EST */
	snprintf(path, sizeof(path), "/est/%s/default/.well-known/est/simpleenroll", int_id);
	assert_int_equal(est_request(&in, &tls, "POST", path, headers, b64, strlen(b64), &r), 200);
	certs = est_pkcs7_certs(&r);
	assert_non_null(certs);
	assert_int_equal(sk_X509_num(certs), 1);
	assert_int_equal(X509_verify(sk_X509_value(certs, 0), X509_get0_pubkey(inter)), 1);
	assert_int_equal(verify_chain(sk_X509_value(certs, 0), untrusted, root), X509_V_OK);
	http_response_free(&r);
	sk_X509_pop_free(certs, X509_free);
	sk_X509_pop_free(untrusted, X509_free);
	X509_free(root);
	X509_REQ_free(csr);
	OPENSSL_free(der);
	free(b64);
	free(record);
}

static void
test_import_refused(void **state)
{
	char key_id[40], other_id[40];
	char *record = import_key("root.key", NULL, NULL, "root2.rec", key_id);
	char *foreign = import_key("root.key", NULL, "other.kek", "foreign.rec", other_id);
	char *other = file_text("other.pem"), *ee = file_text("ee.pem");
	char *nosign = file_text("nosign.pem"), *count;

	(void)state;
	expect_refused(record, other, NULL, NULL, 422, "certificate-key-mismatch");
	expect_refused(record, ee, NULL, NULL, 422, "not-a-ca-certificate");
	expect_refused(record, nosign, NULL, NULL, 422, "not-a-ca-certificate");
	expect_refused(record, root_pem, NULL,
	               "{\"issuance\": {\"template\": \"client\", \"max_validity_days\": 90}}", 422,
	               "key-policy-mismatch");
	expect_refused(record, root_pem, NULL, "{\"common_name\": \"Renamed\"}", 422,
	               "invalid-field");
	/* the server cannot open a record; the signer refuses another KEK's,
	 * and nothing of it stays */
	expect_refused(foreign, root_pem, NULL, NULL, 422, "key-record-other-kek");
	count = instance_sql(&in, "SELECT count(*) FROM signer_keys WHERE key_id = '%s'", other_id);
	assert_string_equal(count, "0");
	free(count);
	/* a record altered in its clear metadata fails authentication */
	{
		unsigned char *raw = NULL;
		size_t len = 0;
		char *changed;
		assert_int_equal(base64_decode(record, strlen(record), false, &raw, &len), 0);
		raw[len - 20] ^= 1; /* in the ciphertext */
		changed = base64_encode(raw, len, 0);
		expect_refused(changed, root_pem, NULL, NULL, 422, "key-record-damaged");
		free(changed);
		free(raw);
	}
	expect_refused("bm90IGEga2V5IHJlY29yZA==", root_pem, NULL, NULL, 400,
	               "key-record-malformed");
	expect_refused("!!not base64!!", root_pem, NULL, NULL, 400, "key-record-malformed");
	expect_refused(record, "not a certificate", NULL, NULL, 400, "certificate-malformed");
	free(record);
	free(foreign);
	free(other);
	free(ee);
	free(nosign);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_import_refused),
		cmocka_unit_test(test_import_root),
		cmocka_unit_test(test_import_intermediate_est),
	};

	return fixture_run_tests(tests, &fx);
}
