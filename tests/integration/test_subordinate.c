/* Subordinate CAs end to end: root -> subordinate (two locations) ->
 * device, chained internally at creation or later, chained to an external
 * root made with the openssl command line (and every wrong upload refused
 * with its reason), path length and validity limits at the API and at the
 * signer's socket, the iot_edge_ca template, chains as PEM and PKCS#7, and
 * the AIA/CDP URLs with the public issuer certificate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "common/timeutil.h"
#include "signer/protocol.h"
#include "tests/integration/harness.h"
#include "tests/integration/http.h"
#include "tests/integration/pki.h"

#define PUBLIC_URL "https://ca.example.test:8443"

static const char *signer_raw(const char *key, int op, const unsigned char *der, size_t len);

static struct instance in;
static char root_id[64];
static X509 *root_cert;

static int
setup(void **state)
{
	struct http_response r;

	http_set_test_name("subordinate");
	in.extra_env[0] = "EDGECA_PUBLIC_URL=" PUBLIC_URL;
	instance_start(&in);
	assert_int_equal(http_post_json(&in, "/api/v1/cas", in.admin_token,
	                                "{\"common_name\": \"Fleet Root\", \"validity_days\": 3650, "
	                                "\"issuance\": {\"template\": \"subordinate_ca\"}}", &r),
	                 201);
	snprintf(root_id, sizeof(root_id), "%s", http_json_str(&r, "id"));
	root_cert = pem_cert(http_json_str(&r, "certificate_pem"));
	assert_non_null(root_cert);
	http_response_free(&r);
	return 0;
}

static int
teardown(void **state)
{
	X509_free(root_cert);
	instance_destroy(&in);
	return 0;
}

static void
xasprintf(char **out, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(out, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
}

/* POSTs a JSON body; expects want; returns the answer (caller frees). */
static struct http_response
post(const char *path, const char *body, long want)
{
	struct http_response r;
	long got = http_post_json(&in, path, in.admin_token, body, &r);

	if (got != want)
		fail_msg("POST %s: expected %ld, got %ld: %.*s", path, want, got, (int)r.body_len,
		         r.body);
	return r;
}

/* The certificate of a location in a CA answer. */
static X509 *
location_cert(const struct http_response *r, const char *name)
{
	json_t *loc;
	size_t i;

	json_array_foreach(json_object_get(r->json, "locations"), i, loc)
		if (strcmp(json_string_value(json_object_get(loc, "name")), name) == 0)
			return pem_cert(json_string_value(json_object_get(loc, "certificate_pem")));
	fail_msg("no location %s", name);
	return NULL;
}

/* Issues a device certificate from location (NULL: default) of ca. */
static X509 *
issue_device(const char *ca, const char *location, const char *cn, char *chain_out,
             size_t chain_len)
{
	char path[128], *csr = make_csr("EC-P256", cn, NULL, NULL), *text;
	json_t *j = location ? json_pack("{s:s, s:s}", "csr", csr, "location", location)
	                     : json_pack("{s:s}", "csr", csr);
	struct http_response r;
	X509 *x;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca);
	text = json_dumps(j, 0);
	r = post(path, text, 201);
	if (location != NULL)
		assert_string_equal(http_json_str(&r, "location"), location);
	x = pem_cert(http_json_str(&r, "certificate_pem"));
	if (chain_out != NULL)
		snprintf(chain_out, chain_len, "%s", http_json_str(&r, "chain_pem"));
	http_response_free(&r);
	json_decref(j);
	free(text);
	free(csr);
	return x;
}

static bool
has_url(X509 *x, int nid, const char *want)
{
	int idx = X509_get_ext_by_NID(x, nid, -1);
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;
	bool found;

	if (idx < 0) {
		BIO_free(b);
		return false;
	}
	X509V3_EXT_print(b, X509_get_ext(x, idx), 0, 0);
	n = BIO_get_mem_data(b, &data);
	found = memmem(data, (size_t)n, want, strlen(want)) != NULL;
	BIO_free(b);
	return found;
}

static void
test_internal_two_locations(void **state)
{
	char chain[8192], root_url[256], sub_url[256], sub_id[64], path[256];
	STACK_OF(X509) *untrusted;
	struct http_response r;
	X509 *west, *east, *leaf;
	const char *locs[] = {"westeurope", "eastus"};
	char *body;

	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Fleet Issuing CA\", "
	                "\"parent_ca_id\": \"%s\", \"locations\": [\"westeurope\", \"eastus\"], "
	                "\"validity_days\": 730}", root_id);
	r = post("/api/v1/cas", body, 201);
	free(body);
	snprintf(sub_id, sizeof(sub_id), "%s", http_json_str(&r, "id"));
	assert_string_equal(http_json_str(&r, "status"), "active");
	assert_string_equal(http_json_str(&r, "chaining"), "internal");
	assert_string_equal(http_json_str(&r, "parent_ca_id"), root_id);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "issuance"),
	                                                      "template")), "ssl");
	west = location_cert(&r, "westeurope");
	east = location_cert(&r, "eastus");
	http_response_free(&r);
	/* two keys, one subject, both signed by the root as CAs */
	assert_int_not_equal(EVP_PKEY_eq(X509_get0_pubkey(west), X509_get0_pubkey(east)), 1);
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(west), X509_get_subject_name(east)), 0);
	for (int i = 0; i < 2; i++) {
		X509 *sub = i == 0 ? west : east;
		STACK_OF(X509) *none = sk_X509_new_null();
		time_t na;
		assert_int_equal(verify_chain(sub, none, root_cert), X509_V_OK);
		assert_int_equal(X509_check_ca(sub), 1);
		assert_true(ext_critical(sub, NID_basic_constraints));
		assert_int_equal(X509_get_key_usage(sub), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
		assert_int_equal(asn1_time_to_time_t(X509_get0_notAfter(sub), &na), 0);
		assert_true(na > time(NULL) + 729 * 86400 && na <= time(NULL) + 730 * 86400);
		/* the parent's CRL and certificate URLs */
		snprintf(root_url, sizeof(root_url), PUBLIC_URL "/ca/%s/default.crt", root_id);
		assert_true(has_url(sub, NID_info_access, root_url));
		snprintf(root_url, sizeof(root_url), PUBLIC_URL "/crl/%s/default.crl", root_id);
		assert_true(has_url(sub, NID_crl_distribution_points, root_url));
		sk_X509_free(none);
	}
	/* each location signs when selected; the chain verifies like
	 * openssl verify -CAfile root -untrusted sub leaf */
	for (int i = 0; i < 2; i++) {
		X509 *sub = i == 0 ? west : east;
		leaf = issue_device(sub_id, locs[i], "fleet-device-7", chain, sizeof(chain));
		untrusted = pem_certs(chain);
		assert_int_equal(sk_X509_num(untrusted), 2); /* the location's CA, then the root */
		assert_int_equal(X509_cmp(sk_X509_value(untrusted, 0), sub), 0);
		assert_int_equal(verify_chain(leaf, untrusted, root_cert), X509_V_OK);
		assert_int_equal(X509_check_issued(sub, leaf), X509_V_OK);
		snprintf(sub_url, sizeof(sub_url), PUBLIC_URL "/ca/%s/%s.crt", sub_id, locs[i]);
		assert_true(has_url(leaf, NID_info_access, sub_url));
		sk_X509_pop_free(untrusted, X509_free);
		X509_free(leaf);
	}
	/* the default location is the first */
	leaf = issue_device(sub_id, NULL, "fleet-device-8", NULL, 0);
	assert_int_equal(X509_check_issued(west, leaf), X509_V_OK);
	X509_free(leaf);
	/* the AIA URL's path is served, publicly, as DER */
	snprintf(path, sizeof(path), "/ca/%s/eastus.crt", sub_id);
	assert_int_equal(http_get(&in, path, NULL, &r), 200);
	assert_string_equal(r.content_type, "application/pkix-cert");
	{
		const unsigned char *p = r.body;
		X509 *served = d2i_X509(NULL, &p, (long)r.body_len);
		assert_int_equal(X509_cmp(served, east), 0);
		X509_free(served);
	}
	http_response_free(&r);
	snprintf(path, sizeof(path), "/ca/%s/nowhere.crt", sub_id);
	http_expect(404, "not-found", http_get(&in, path, NULL, &r), &r);
	/* the CA's chain is its first active location's */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/chain", sub_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	untrusted = pem_certs((const char *)r.body);
	assert_int_equal(sk_X509_num(untrusted), 2);
	assert_int_equal(X509_cmp(sk_X509_value(untrusted, 0), west), 0);
	sk_X509_pop_free(untrusted, X509_free);
	http_response_free(&r);
	/* the chain, as PEM and as certs-only PKCS#7 */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/locations/eastus/chain", sub_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	assert_string_equal(r.content_type, "application/pem-certificate-chain");
	untrusted = pem_certs((const char *)r.body);
	assert_int_equal(sk_X509_num(untrusted), 2);
	assert_int_equal(X509_cmp(sk_X509_value(untrusted, 0), east), 0);
	assert_int_equal(X509_cmp(sk_X509_value(untrusted, 1), root_cert), 0);
	sk_X509_pop_free(untrusted, X509_free);
	http_response_free(&r);
	{
		const char *accept[] = {"Accept: application/pkcs7-mime", NULL};
		const unsigned char *p;
		PKCS7 *p7;
		assert_int_equal(http_call_h(&in, "GET", path, in.admin_token, NULL, NULL, 0, accept,
		                             &r), 200);
		assert_string_equal(r.content_type, "application/pkcs7-mime");
		p = r.body;
		p7 = d2i_PKCS7(NULL, &p, (long)r.body_len);
		assert_non_null(p7);
		assert_int_equal(sk_X509_num(p7->d.sign->cert), 2);
		PKCS7_free(p7);
		http_response_free(&r);
	}
	X509_free(west);
	X509_free(east);
}

/* The openssl command line plays the external root. */
static void
sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Signs csr (PEM) with the external root's key as CA (or with extensions
 * ext), returning the PEM certificate. */
static char *
external_sign(const char *dir, const char *csr_pem, const char *ext, int days)
{
	char csr[256], out[256], extfile[256];

	snprintf(csr, sizeof(csr), "%s/req.csr", dir);
	snprintf(out, sizeof(out), "%s/signed.pem", dir);
	snprintf(extfile, sizeof(extfile), "%s/ext.cnf", dir);
	write_text(csr, csr_pem);
	write_text(extfile, ext);
	sh("openssl x509 -req -in %s -CA %s/root.pem -CAkey %s/root.key -CAcreateserial "
	   "-days %d -extfile %s -extensions v3 -out %s 2>/dev/null", csr, dir, dir, days,
	   extfile, out);
	return read_file(out, NULL);
}

static long
upload(const char *sub_id, const char *location, const char *pem, struct http_response *r)
{
	char path[256];

	snprintf(path, sizeof(path), "/api/v1/cas/%s/locations/%s/certificate", sub_id, location);
	return http_call(&in, "POST", path, in.admin_token, "application/pem-certificate-chain",
	                 pem, strlen(pem), r);
}

static void
expect_upload_refused(const char *sub_id, const char *location, const char *pem,
                      const char *slug)
{
	struct http_response r;

	http_expect(422, slug, upload(sub_id, location, pem, &r), &r);
}

static void
test_external_root(void **state)
{
	const char *ca_ext = "[v3]\nbasicConstraints=critical,CA:TRUE,pathlen:0\n"
	                     "keyUsage=critical,keyCertSign,cRLSign\n"
	                     "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";
	char dir[] = "/tmp/edgeca-extroot-XXXXXX", path[256], sub_id[64], csr_eu[4096];
	char csr_us[4096], *body, *root_pem, *good, *bundle, *wrong;
	struct http_response r;
	X509 *leaf, *ext_root;
	STACK_OF(X509) *untrusted;

	assert_non_null(mkdtemp(dir));
	sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "
	   "%s/root.key -out %s/root.pem -days 3650 -subj '/CN=Offline Root' "
	   "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign"
	   " 2>/dev/null", dir, dir);
	snprintf(path, sizeof(path), "%s/root.pem", dir);
	root_pem = read_file(path, NULL);
	ext_root = pem_cert(root_pem);

	r = post("/api/v1/cas", "{\"kind\": \"subordinate\", \"common_name\": \"Offline-chained CA\", "
	         "\"organization\": \"Contoso\", \"locations\": [\"eu\", \"us\"]}", 201);
	snprintf(sub_id, sizeof(sub_id), "%s", http_json_str(&r, "id"));
	assert_string_equal(http_json_str(&r, "status"), "pending_chaining");
	assert_string_equal(http_json_str(&r, "chaining"), "pending");
	assert_non_null(json_string_value(json_object_get(
		json_array_get(json_object_get(r.json, "locations"), 0), "csr_pem")));
	http_response_free(&r);
	/* nothing is issued before a location is chained */
	{
		char *csr = make_csr("EC-P256", "too-early", NULL, NULL);
		snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", sub_id);
		http_expect(409, "ca-not-active", http_call(&in, "POST", path, in.admin_token,
		                                            "application/pkcs10", csr, strlen(csr),
		                                            &r), &r);
		free(csr);
	}
	/* one CSR per location */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/locations/eu/csr", sub_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	assert_string_equal(r.content_type, "application/pkcs10");
	snprintf(csr_eu, sizeof(csr_eu), "%.*s", (int)r.body_len, r.body);
	http_response_free(&r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/locations/us/csr", sub_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	snprintf(csr_us, sizeof(csr_us), "%.*s", (int)r.body_len, r.body);
	http_response_free(&r);
	assert_string_not_equal(csr_eu, csr_us);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/locations/mars/csr", sub_id);
	http_expect(404, "location-not-found", http_get(&in, path, in.admin_token, &r), &r);

	/* every wrong upload is refused with its reason */
	wrong = external_sign(dir, csr_us, ca_ext, 365); /* the other location's key */
	expect_upload_refused(sub_id, "eu", wrong, "certificate-key-mismatch");
	free(wrong);
	wrong = external_sign(dir, csr_eu, "[v3]\nbasicConstraints=critical,CA:FALSE\n"
	                      "keyUsage=critical,digitalSignature\n", 365);
	expect_upload_refused(sub_id, "eu", wrong, "not-a-ca-certificate");
	free(wrong);
	{
		/* the subject changed by the external CA */
		char csr_path[300], ext_path[300];
		snprintf(csr_path, sizeof(csr_path), "%s/req.csr", dir);
		snprintf(ext_path, sizeof(ext_path), "%s/ext.cnf", dir);
		write_text(csr_path, csr_eu);
		write_text(ext_path, ca_ext);
		sh("openssl x509 -req -in %s -CA %s/root.pem -CAkey %s/root.key -CAcreateserial "
		   "-days 30 -subj '/CN=Someone Else' -extfile %s -extensions v3 -out %s/other.pem "
		   "2>/dev/null", csr_path, dir, dir, ext_path, dir);
		snprintf(path, sizeof(path), "%s/other.pem", dir);
		wrong = read_file(path, NULL);
		expect_upload_refused(sub_id, "eu", wrong, "subject-mismatch");
		free(wrong);
	}
	wrong = external_sign(dir, csr_eu, ca_ext, -1); /* notAfter yesterday */
	expect_upload_refused(sub_id, "eu", wrong, "certificate-expired");
	free(wrong);
	good = external_sign(dir, csr_eu, ca_ext, 365);
	{
		/* a chain given must verify: here an unrelated root */
		char *stranger;
		sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "
		   "/dev/null -out %s/stranger.pem -days 30 -subj '/CN=Stranger' 2>/dev/null", dir);
		snprintf(path, sizeof(path), "%s/stranger.pem", dir);
		stranger = read_file(path, NULL);
		xasprintf(&bundle, "%s%s", good, stranger);
		expect_upload_refused(sub_id, "eu", bundle, "chain-does-not-verify");
		free(bundle);
		free(stranger);
	}
	{
		struct http_response bad;
		http_expect(400, "certificate-malformed", upload(sub_id, "eu", "not a certificate", &bad),
		            &bad);
		snprintf(path, sizeof(path), "/api/v1/cas/%s/locations/eu/certificate", sub_id);
		http_expect(415, "unsupported-media-type",
		            http_call(&in, "POST", path, in.admin_token, "application/json", "{}", 2,
		                      &bad), &bad);
	}
	/* the right certificate with its chain */
	xasprintf(&bundle, "%s%s", good, root_pem);
	assert_int_equal(upload(sub_id, "eu", bundle, &r), 200);
	assert_string_equal(http_json_str(&r, "status"), "active");
	assert_string_equal(http_json_str(&r, "chaining"), "external");
	http_response_free(&r);
	free(bundle);
	/* twice is a conflict */
	http_expect(409, "already-chained", upload(sub_id, "eu", good, &r), &r);
	/* a device certificate verifies up to the external root */
	{
		char chain[8192];
		leaf = issue_device(sub_id, "eu", "offline-device-1", chain, sizeof(chain));
		untrusted = pem_certs(chain);
		assert_int_equal(sk_X509_num(untrusted), 2);
		assert_int_equal(verify_chain(leaf, untrusted, ext_root), X509_V_OK);
		sk_X509_pop_free(untrusted, X509_free);
		X509_free(leaf);
	}
	/* the other location waits; it cannot now be chained to an internal parent */
	xasprintf(&body, "{\"parent_ca_id\": \"%s\"}", root_id);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/chain", sub_id);
	r = post(path, body, 409);
	http_response_free(&r);
	free(body);
	/* an upload whose database write never happened (the signer holds the
	 * certificate already) completes when the same certificate comes again */
	{
		char *us = external_sign(dir, csr_us, ca_ext, 365), key[65], sql[200];
		X509 *x = pem_cert(us);
		unsigned char *der = NULL;
		int len = i2d_X509(x, &der);
		PGconn *c = PQconnectdb(in.database_url);
		PGresult *res;

		snprintf(sql, sizeof(sql), "SELECT signer_key_id FROM ca_locations WHERE ca_id = '%s' "
		         "AND name = 'us'", sub_id);
		res = PQexec(c, sql);
		snprintf(key, sizeof(key), "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		PQfinish(c);
		assert_string_equal(signer_raw(key, SIGNER_OP_CERT_INSTALL, der, (size_t)len), "");
		assert_string_equal(signer_raw(key, SIGNER_OP_CERT_INSTALL, der, (size_t)len),
		                    "key-already-certified");
		http_expect(200, NULL, upload(sub_id, "us", us, &r), &r);
		OPENSSL_free(der);
		X509_free(x);
		free(us);
	}
	free(good);
	free(root_pem);
	X509_free(ext_root);
	sh("rm -rf %s", dir);
}

static void
test_chain_later(void **state)
{
	char sub_id[64], path[128], *body;
	struct http_response r;
	X509 *leaf, *sub;

	r = post("/api/v1/cas", "{\"kind\": \"subordinate\", \"common_name\": \"Later CA\"}", 201);
	snprintf(sub_id, sizeof(sub_id), "%s", http_json_str(&r, "id"));
	http_response_free(&r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/chain", sub_id);
	r = post(path, "{}", 422);
	assert_string_equal(http_problem_type(&r), "missing-field");
	http_response_free(&r);
	r = post(path, "{\"parent_ca_id\": \"00000000-0000-0000-0000-000000000000\"}", 422);
	assert_string_equal(http_problem_type(&r), "parent-not-found");
	http_response_free(&r);
	xasprintf(&body, "{\"parent_ca_id\": \"%s\", \"validity_days\": 90}", root_id);
	r = post(path, body, 200);
	assert_string_equal(http_json_str(&r, "status"), "active");
	assert_string_equal(http_json_str(&r, "chaining"), "internal");
	sub = location_cert(&r, "default");
	http_response_free(&r);
	leaf = issue_device(sub_id, NULL, "later-device", NULL, 0);
	assert_int_equal(X509_check_issued(sub, leaf), X509_V_OK);
	/* a chained CA is not chained twice */
	r = post(path, body, 409);
	http_response_free(&r);
	free(body);
	X509_free(leaf);
	X509_free(sub);
}

/* Looks up the signer key of a CA's first location. */
static void
key_of(const char *ca_id, char key_id[65])
{
	char sql[200];
	PGconn *c = PQconnectdb(in.database_url);
	PGresult *res;

	snprintf(sql, sizeof(sql),
	         "SELECT signer_key_id FROM ca_locations WHERE ca_id = '%s' ORDER BY position",
	         ca_id);
	res = PQexec(c, sql);
	assert_true(PQntuples(res) >= 1);
	snprintf(key_id, 65, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(c);
}

/* One CERT_INSTALL (op) of der for key at the signer's socket; returns the
 * error type ("" when it succeeded). */
static const char *
signer_raw(const char *key, int op, const unsigned char *der, size_t len)
{
	static char type[65];
	struct sockaddr_un sa;
	struct signer_writer w;
	struct signer_msg reply;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", in.signer_socket);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	signer_writer_init(&w, (uint8_t)op);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key);
	signer_put_bytes(&w, SIGNER_TAG_CERTIFICATE, der, len);
	assert_int_equal(signer_writer_finish(&w), 0);
	assert_int_equal(signer_write_all(fd, w.b.data, w.b.len), 0);
	assert_int_equal(signer_read_msg(fd, &reply), 0);
	type[0] = '\0';
	if (reply.type == SIGNER_REPLY_ERROR)
		signer_get_str(&reply, SIGNER_TAG_ERROR_TYPE, type, sizeof(type));
	signer_msg_free(&reply);
	signer_writer_free(&w);
	close(fd);
	return type;
}

/* One ISSUE at the signer's socket, as a compromised server could send it;
 * returns the error type ("" when it signed). */
static void
signer_issue_raw(const char *key_id, const char *tpl, time_t not_after, char type[65])
{
	char *csr_pem = make_csr("EC-P256", "Raw Subordinate", NULL, NULL);
	BIO *b = BIO_new_mem_buf(csr_pem, -1);
	X509_REQ *req = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
	unsigned char *der = NULL;
	int len = i2d_X509_REQ(req, &der);
	struct sockaddr_un sa;
	struct signer_writer w;
	struct signer_msg reply;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", in.signer_socket);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	signer_writer_init(&w, SIGNER_OP_ISSUE);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key_id);
	signer_put_str(&w, SIGNER_TAG_TEMPLATE, tpl);
	signer_put_bytes(&w, SIGNER_TAG_CSR, der, (size_t)len);
	signer_put_u64(&w, SIGNER_TAG_NOT_AFTER, (uint64_t)not_after);
	assert_int_equal(signer_writer_finish(&w), 0);
	assert_int_equal(signer_write_all(fd, w.b.data, w.b.len), 0);
	assert_int_equal(signer_read_msg(fd, &reply), 0);
	type[0] = '\0';
	if (reply.type == SIGNER_REPLY_ERROR)
		signer_get_str(&reply, SIGNER_TAG_ERROR_TYPE, type, 65);
	signer_msg_free(&reply);
	signer_writer_free(&w);
	close(fd);
	OPENSSL_free(der);
	X509_REQ_free(req);
	BIO_free(b);
	free(csr_pem);
}

/* Sends one request frame of type with a key id and optional subject or
 * certificate; returns the reply (caller frees). */
static void
signer_request(int type, const char *key, const unsigned char *bytes, size_t len,
               uint16_t bytes_tag, struct signer_msg *reply)
{
	struct sockaddr_un sa;
	struct signer_writer w;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", in.signer_socket);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	signer_writer_init(&w, (uint8_t)type);
	if (type == SIGNER_OP_KEY_CREATE) {
		signer_put_str(&w, SIGNER_TAG_ALGORITHM, "EC-P256");
		signer_put_str(&w, SIGNER_TAG_TEMPLATES, "subordinate_ca");
		signer_put_u32(&w, SIGNER_TAG_MAX_VALIDITY_DAYS, 365);
	} else {
		signer_put_str(&w, SIGNER_TAG_KEY_ID, key);
		signer_put_bytes(&w, bytes_tag, bytes, len);
	}
	assert_int_equal(signer_writer_finish(&w), 0);
	assert_int_equal(signer_write_all(fd, w.b.data, w.b.len), 0);
	assert_int_equal(signer_read_msg(fd, reply), 0);
	signer_writer_free(&w);
	close(fd);
}

/* A signer key allowed to sign subordinate CAs whose own certificate, made
 * here by an outside CA, carries pathlen 0; key receives its id. */
static void
pathlen_zero_key(char key[65])
{
	EVP_PKEY *outside = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509_NAME *name = X509_NAME_new();
	unsigned char *der = NULL, *cert_der = NULL;
	const unsigned char *p;
	struct signer_msg reply;
	X509_REQ *req;
	X509 *cert = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int len;

	signer_request(SIGNER_OP_KEY_CREATE, NULL, NULL, 0, 0, &reply);
	assert_int_equal(reply.type, SIGNER_REPLY_OK);
	assert_int_equal(signer_get_str(&reply, SIGNER_TAG_KEY_ID, key, 65), 0);
	signer_msg_free(&reply);
	X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
	                           (const unsigned char *)"Pathlen Zero CA", -1, -1, 0);
	len = i2d_X509_NAME(name, &der);
	signer_request(SIGNER_OP_CSR_CREATE, key, der, (size_t)len, SIGNER_TAG_SUBJECT, &reply);
	assert_int_equal(reply.type, SIGNER_REPLY_OK);
	p = signer_msg_get(&reply, SIGNER_TAG_CSR)->val;
	req = d2i_X509_REQ(NULL, &p, signer_msg_get(&reply, SIGNER_TAG_CSR)->len);
	assert_non_null(req);
	signer_msg_free(&reply);
	/* the outside CA signs it as a CA with pathlen 0 */
	X509_set_version(cert, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 4242);
	X509_set_issuer_name(cert, name);
	X509_set_subject_name(cert, X509_REQ_get_subject_name(req));
	X509_set_pubkey(cert, X509_REQ_get0_pubkey(req));
	X509_gmtime_adj(X509_getm_notBefore(cert), -60);
	X509_gmtime_adj(X509_getm_notAfter(cert), 30 * 86400);
	X509V3_set_ctx(&ctx, NULL, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
	X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
	X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(cert, outside, EVP_sha256()) > 0);
	len = i2d_X509(cert, &cert_der);
	signer_request(SIGNER_OP_CERT_INSTALL, key, cert_der, (size_t)len, SIGNER_TAG_CERTIFICATE,
	               &reply);
	assert_int_equal(reply.type, SIGNER_REPLY_OK);
	signer_msg_free(&reply);
	OPENSSL_free(cert_der);
	OPENSSL_free(der);
	X509_free(cert);
	X509_REQ_free(req);
	X509_NAME_free(name);
	EVP_PKEY_free(outside);
}

static void
test_policy_limits(void **state)
{
	char path[128], short_root[64], a_id[64], key[65], type[65], *body, not_after[RFC3339_LEN];
	char *csr = make_csr("EC-P256", "not-for-a-root", NULL, NULL);
	struct http_response r;
	X509 *a_cert;

	/* a root that signs only subordinates refuses device certificates */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?template=client", root_id);
	http_expect(422, "template-not-allowed",
	            http_call(&in, "POST", path, in.admin_token, "application/pkcs10", csr,
	                      strlen(csr), &r), &r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?template=ssl", root_id);
	http_expect(422, "template-not-allowed",
	            http_call(&in, "POST", path, in.admin_token, "application/pkcs10", csr,
	                      strlen(csr), &r), &r);
	key_of(root_id, key);
	signer_issue_raw(key, "client", time(NULL) + 86400, type);
	assert_string_equal(type, "template-not-allowed");

	/* a child may not outlive its parent, nor exceed the parent's maximum */
	rfc3339_format(time(NULL) + 30 * 86400, not_after);
	xasprintf(&body, "{\"common_name\": \"Short Root\", \"not_after\": \"%s\", "
	          "\"path_length\": 1}", not_after);
	r = post("/api/v1/cas", body, 201);
	snprintf(short_root, sizeof(short_root), "%s", http_json_str(&r, "id"));
	http_response_free(&r);
	free(body);
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Too Long\", "
	         "\"parent_ca_id\": \"%s\", \"validity_days\": 60}", short_root);
	r = post("/api/v1/cas", body, 422);
	assert_string_equal(http_problem_type(&r), "validity-exceeds-issuer");
	http_response_free(&r);
	free(body);
	key_of(short_root, key);
	signer_issue_raw(key, "subordinate_ca", time(NULL) + 60 * 86400, type);
	assert_string_equal(type, "validity-exceeds-issuer");
	r = post("/api/v1/cas", "{\"common_name\": \"Policy Root\", \"issuance\": "
	         "{\"max_validity_days\": 400}}", 201);
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Too Long\", "
	         "\"parent_ca_id\": \"%s\", \"validity_days\": 401}", http_json_str(&r, "id"));
	http_response_free(&r);
	r = post("/api/v1/cas", body, 422);
	assert_string_equal(http_problem_type(&r), "validity-exceeds-policy");
	http_response_free(&r);
	free(body);

	/* path length: below the short root (pathlen 1) a CA gets pathlen 0, so
	 * one that would sign CAs itself is refused at once ... */
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Level One\", "
	          "\"parent_ca_id\": \"%s\", \"issuance\": {\"template\": \"subordinate_ca\"}}",
	          short_root);
	r = post("/api/v1/cas", body, 422);
	assert_string_equal(http_problem_type(&r), "path-length-conflict");
	http_response_free(&r);
	free(body);
	/* ... an issuing CA is fine, with pathlen 0 ... */
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Level One\", "
	          "\"parent_ca_id\": \"%s\"}", short_root);
	r = post("/api/v1/cas", body, 201);
	snprintf(a_id, sizeof(a_id), "%s", http_json_str(&r, "id"));
	a_cert = location_cert(&r, "default");
	assert_int_equal(X509_get_pathlen(a_cert), 0);
	http_response_free(&r);
	free(body);
	/* ... and a pathlen-0 parent gets no subordinate */
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Level Two\", "
	          "\"parent_ca_id\": \"%s\"}", a_id);
	r = post("/api/v1/cas", body, 422);
	assert_string_equal(http_problem_type(&r), "path-length-exceeded");
	http_response_free(&r);
	free(body);
	key_of(a_id, key);
	signer_issue_raw(key, "subordinate_ca", time(NULL) + 86400, type);
	assert_string_equal(type, "template-not-allowed");
	/* At the signer: a key whose policy allows subordinate_ca but whose
	 * certificate (signed elsewhere) says pathlen 0 still signs no CA. */
	pathlen_zero_key(key);
	signer_issue_raw(key, "subordinate_ca", time(NULL) + 86400, type);
	assert_string_equal(type, "path-length-exceeded");
	signer_issue_raw(key, "client", time(NULL) + 86400, type);
	assert_string_equal(type, "template-not-allowed");
	/* asking for more path length than the parent allows */
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Greedy\", \"path_length\": 3,"
	         " \"parent_ca_id\": \"%s\", \"issuance\": {\"template\": \"subordinate_ca\"}}",
	         short_root);
	r = post("/api/v1/cas", body, 422);
	assert_string_equal(http_problem_type(&r), "path-length-exceeded");
	http_response_free(&r);
	free(body);
	X509_free(a_cert);
	free(csr);
}

static void
test_iot_edge_ca_template(void **state)
{
	char sub_id[64], plain_id[64], path[128], *body, *csr, *text;
	struct http_response r;
	json_t *j;
	X509 *x;

	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Edge Issuing CA\", "
	         "\"parent_ca_id\": \"%s\", \"issuance\": {\"template\": \"ssl\", "
	         "\"allowed_templates\": [\"ssl\", \"iot_edge_ca\"]}}", root_id);
	r = post("/api/v1/cas", body, 201);
	snprintf(sub_id, sizeof(sub_id), "%s", http_json_str(&r, "id"));
	http_response_free(&r);
	free(body);
	csr = make_csr("EC-P256", "aziot-edge CA edge-device-1", NULL, NULL);
	j = json_pack("{s:s, s:s, s:i}", "csr", csr, "template", "iot_edge_ca", "validity_days", 90);
	text = json_dumps(j, 0);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", sub_id);
	r = post(path, text, 201);
	x = pem_cert(http_json_str(&r, "certificate_pem"));
	assert_int_equal(X509_check_ca(x), 1);
	assert_int_equal(X509_get_pathlen(x), 0);
	assert_int_equal(X509_get_key_usage(x), KU_KEY_CERT_SIGN | KU_DIGITAL_SIGNATURE);
	X509_free(x);
	http_response_free(&r);
	/* not in the policy of an ordinary issuing CA */
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Plain Issuing CA\", "
	         "\"parent_ca_id\": \"%s\"}", root_id);
	r = post("/api/v1/cas", body, 201);
	snprintf(plain_id, sizeof(plain_id), "%s", http_json_str(&r, "id"));
	http_response_free(&r);
	free(body);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", plain_id);
	r = post(path, text, 422);
	assert_string_equal(http_problem_type(&r), "template-not-allowed");
	http_response_free(&r);
	json_decref(j);
	free(text);
	free(csr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_internal_two_locations),
		cmocka_unit_test(test_external_root),
		cmocka_unit_test(test_chain_later),
		cmocka_unit_test(test_policy_limits),
		cmocka_unit_test(test_iot_edge_ca_template),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
