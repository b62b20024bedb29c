/* CA keys in a PKCS#11 token, a real SoftHSM2 token the test makes: the
 * signer started with --key-store pkcs11 (EDGECA_KEY_STORE=pkcs11 in
 * scripts/run) generates a CA's key inside the token, non-extractable;
 * the key's sealed record in PostgreSQL holds its policy and no key
 * material; the CA issues, revokes and signs CRLs through the token, also
 * after the signer restarts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pwd.h>

#include "common/x509util.h"
#include "signer/daemon/p11.h"
#include "tests/support/certs.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/ocsp_data.h"
#include "tests/support/pki.h"
#include "tests/support/signer_wire.h"

#define MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define LABEL "edgeca-it"

static struct instance in;
static char ca_id[64];
static char *dir;
static char conf_env[800], pin_file[300], module_arg[] = MODULE, label_arg[] = LABEL;

/* Makes the token (its own directory and configuration) and the PIN file,
 * the signer user's when the signer drops to it. */
static void
make_token(void)
{
	char path[400], cmd[700];
	struct passwd *pw = geteuid() == 0 ? getpwnam("edgeca-signer") : NULL;
	FILE *f;

	dir = t_tmpdir();
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/tokens", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(cmd, sizeof(cmd), "%s/softhsm2.conf", dir);
	f = fopen(cmd, "w");
	assert_non_null(f);
	fprintf(f, "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n",
	        path);
	fclose(f);
	snprintf(conf_env, sizeof(conf_env), "SOFTHSM2_CONF=%s", cmd);
	assert_int_equal(setenv("SOFTHSM2_CONF", cmd, 1), 0);
	snprintf(cmd, sizeof(cmd), "softhsm2-util --init-token --free --label %s --pin 4321 "
	                           "--so-pin 8765 >/dev/null", LABEL);
	assert_int_equal(system(cmd), 0);
	snprintf(pin_file, sizeof(pin_file), "%s/pin", dir);
	f = fopen(pin_file, "w");
	assert_non_null(f);
	fputs("4321", f);
	fclose(f);
	assert_int_equal(chmod(pin_file, 0600), 0);
	if (pw != NULL) {
		snprintf(cmd, sizeof(cmd), "chown -R edgeca-signer: '%s' && chmod 0755 '%s'", dir, dir);
		assert_int_equal(system(cmd), 0);
	}
	in.extra_env[0] = conf_env;
	in.signer_args[0] = "--key-store";
	in.signer_args[1] = "pkcs11";
	in.signer_args[2] = "--pkcs11-module";
	in.signer_args[3] = module_arg;
	in.signer_args[4] = "--pkcs11-token-label";
	in.signer_args[5] = label_arg;
	in.signer_args[6] = "--pkcs11-pin-file";
	in.signer_args[7] = pin_file;
}

static void
remove_token(void)
{
	t_rmtree(dir);
}

static const struct fixture fx = {
	.in = &in,
	.name = "pkcs11_store",
	.ca_json = "{\"common_name\": \"Token Root\", \"key_algorithm\": \"EC-P256\", "
	           "\"issuance\": {\"template\": \"client\", \"max_validity_days\": 90}}",
	.ca_id = ca_id,
	.before = make_token,
	.after = remove_token,
};

/* Issues a client certificate for cn under the CA and checks it verifies
 * with the CA certificate; returns its serial (malloc'ed). */
static char *
issue_verified(const char *cn)
{
	char path[160], *csr = make_csr("EC-P256", cn, NULL, NULL), *serial;
	struct http_response r, ca;
	X509 *leaf, *root;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca_id);
	assert_int_equal(http_call(&in, "POST", path, in.admin_token, "application/pkcs10", csr,
	                           strlen(csr), &r), 201);
	leaf = pem_cert(http_json_str(&r, "certificate_pem"));
	snprintf(path, sizeof(path), "/api/v1/cas/%s", ca_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &ca), 200);
	root = pem_cert(http_json_str(&ca, "certificate_pem"));
	assert_non_null(leaf);
	assert_non_null(root);
	assert_int_equal(X509_verify(leaf, X509_get0_pubkey(root)), 1);
	serial = strdup(http_json_str(&r, "serial_number"));
	X509_free(leaf);
	X509_free(root);
	http_response_free(&r);
	http_response_free(&ca);
	free(csr);
	return serial;
}

static void
test_keys_in_token(void **state)
{
	char key[65], *meta, *ct_len, *serial;
	struct p11_settings s = {MODULE, LABEL, NULL};
	struct p11_token *t = NULL;
	struct edgeca_msg msg = {0};
	EVP_PKEY *found = NULL;
	char pin_copy[300];
	FILE *f;

	wire_key_of(&in, ca_id, NULL, key);
	/* the record: the policy and the token's key id, no key material */
	meta = instance_sql(&in, "SELECT position('key_store pkcs11'::bytea in record) > 0 "
	                         "FROM signer_keys WHERE key_id = '%s'", key);
	assert_string_equal(meta, "t");
	free(meta);
	/* the ciphertext's length, after the 33-byte header and the metadata */
	ct_len = instance_sql(&in, "SELECT substring(record from 34 + ((get_byte(record, 29) << 24) "
	                           "| (get_byte(record, 30) << 16) | (get_byte(record, 31) << 8) | "
	                           "get_byte(record, 32)) for 4) = '\\x00000000'::bytea "
	                           "FROM signer_keys WHERE key_id = '%s'", key);
	assert_string_equal(ct_len, "t");
	free(ct_len);
	/* the token holds it, sensitive and never extractable (p11_find checks) */
	snprintf(pin_copy, sizeof(pin_copy), "%s/pin-test", dir);
	f = fopen(pin_copy, "w");
	assert_non_null(f);
	fputs("4321", f);
	fclose(f);
	assert_int_equal(chmod(pin_copy, 0600), 0);
	s.pin_file = pin_copy;
	if (p11_open(&s, &t, &msg) != EDGECA_OK)
		fail_msg("p11_open: %s", msg.detail);
	if (p11_find(t, key, &found, &msg) != EDGECA_OK)
		fail_msg("p11_find %s: %s", key, msg.detail);
	EVP_PKEY_free(found);
	p11_close(t);

	serial = issue_verified("token-device-1");
	free(serial);
}

static void
test_revoke_and_crl_through_token(void **state)
{
	char path[200], *serial = issue_verified("token-device-2");
	struct http_response r, ca;
	const unsigned char *p;
	X509_CRL *crl;
	X509 *root;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s/revoke", ca_id, serial);
	assert_int_equal(http_post_json(&in, path, in.admin_token, "{\"reason\": \"keyCompromise\"}",
	                                &r), 200);
	http_response_free(&r);
	/* a CRL made now, signed in the token, lists it */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/crl", ca_id);
	assert_int_equal(http_post_json(&in, path, in.admin_token, "{}", &r), 201);
	http_response_free(&r);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	p = r.body;
	crl = d2i_X509_CRL(NULL, &p, (long)r.body_len);
	assert_non_null(crl);
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 1);
	snprintf(path, sizeof(path), "/api/v1/cas/%s", ca_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &ca), 200);
	root = pem_cert(http_json_str(&ca, "certificate_pem"));
	assert_non_null(root);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(root)), 1);
	X509_free(root);
	X509_CRL_free(crl);
	http_response_free(&r);
	http_response_free(&ca);
	free(serial);
}

static void
test_signer_restart_finds_token_key(void **state)
{
	char *serial;

	instance_stop_signer(&in);
	instance_start_signer(&in);
	serial = issue_verified("token-device-3");
	free(serial);
}

/* An OCSP responder key of a token CA is made in the token too, and
 * signs there responses that verify against the CA. */
static void
test_ocsp_responder_in_token(void **state)
{
	char key[65], rk[65], pin_copy[300];
	struct p11_settings s = {MODULE, LABEL, NULL};
	struct p11_token *t = NULL;
	struct edgeca_msg msg = {0};
	struct signer_writer w;
	struct signer_msg reply;
	EVP_PKEY *found = NULL;
	int fd = wire_connect(in.signer_socket);
	X509 *ca, *responder;
	struct rd_spec spec;
	struct buf tbs = {0};
	unsigned char *basic;
	size_t basic_len = 0;

	wire_key_of(&in, ca_id, NULL, key);
	signer_writer_init(&w, SIGNER_OP_KEY_INFO);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key);
	assert_int_equal(wire_exchange(fd, &w, &reply), 0);
	assert_int_equal(reply.type, SIGNER_REPLY_OK);
	ca = x509_from_der(signer_msg_get(&reply, SIGNER_TAG_CERTIFICATE)->val,
	                   signer_msg_get(&reply, SIGNER_TAG_CERTIFICATE)->len);
	assert_non_null(ca);
	signer_msg_free(&reply);
	responder = wire_ocsp_responder(fd, key, "EC-P256", rk);
	spec = rd_default(ca, responder, time(NULL));
	assert_int_equal(rd_build(&spec, &tbs), 0);
	basic = wire_ocsp_sign(fd, rk, &tbs, &basic_len, &reply);
	assert_true(basic_verifies(basic, basic_len, tbs.data, tbs.len, ca, V_OCSP_CERTSTATUS_GOOD,
	                           true));
	close(fd);
	/* the PIN file test_keys_in_token wrote */
	snprintf(pin_copy, sizeof(pin_copy), "%s/pin-test", dir);
	s.pin_file = pin_copy;
	if (p11_open(&s, &t, &msg) != EDGECA_OK)
		fail_msg("p11_open: %s", msg.detail);
	if (p11_find(t, rk, &found, &msg) != EDGECA_OK)
		fail_msg("p11_find %s: %s", rk, msg.detail);
	EVP_PKEY_free(found);
	p11_close(t);
	free(basic);
	buf_free(&tbs);
	X509_free(ca);
	X509_free(responder);
}

/* How many key objects, private and public, the token holds under key,
 * as pkcs11-tool lists them. */
static int
token_objects(const char *key)
{
	char cmd[600], line[512], id_line[80];
	int n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "pkcs11-tool --module %s --token-label %s --login --pin 4321 "
	         "--list-objects 2>/dev/null", MODULE, LABEL);
	snprintf(id_line, sizeof(id_line), "ID:");
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p) != NULL)
		if (strstr(line, id_line) != NULL && strstr(line, key) != NULL)
			n++;
	assert_int_equal(pclose(p), 0);
	return n;
}

/* Deleting a CA that made nothing destroys its key in the token, also
 * when the signer has not held the key since it restarted (the server
 * hands it the record it deleted); a key that issued stays. */
static void
test_deleted_ca_key_leaves_token(void **state)
{
	char gone_id[64], gone_key[65], key[65], path[160], type[65];
	struct http_response r;
	struct signer_writer w;
	struct signer_msg reply;
	int fd;

	(void)state;
	/* a subordinate never chained: a root signs its first CRLs when made */
	r = http_post_expect(&in, "/api/v1/cas", "{\"kind\": \"subordinate\", \"common_name\": "
	                     "\"Token Sub Gone\", \"key_algorithm\": \"EC-P256\"}", 201);
	snprintf(gone_id, sizeof(gone_id), "%s", http_json_str(&r, "id"));
	http_response_free(&r);
	wire_key_of(&in, gone_id, NULL, gone_key);
	assert_int_equal(token_objects(gone_key), 2);
	instance_stop_signer(&in);
	instance_start_signer(&in);
	snprintf(path, sizeof(path), "/api/v1/cas/%s", gone_id);
	http_call(&in, "DELETE", path, in.admin_token, NULL, NULL, 0, &r);
	http_expect(204, NULL, r.status, &r);
	assert_int_equal(token_objects(gone_key), 0);
	fd = wire_connect(in.signer_socket);
	signer_writer_init(&w, SIGNER_OP_KEY_INFO);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, gone_key);
	assert_int_equal(wire_exchange(fd, &w, &reply), 0);
	wire_expect_error(&reply, SIGNER_E_NOT_FOUND, "key-destroyed");

	/* the fixture's CA issued (again since the restart, so that this
	 * signer holds its key): its key is refused and stays in the token */
	free(issue_verified("token-device-5"));
	wire_key_of(&in, ca_id, NULL, key);
	signer_writer_init(&w, SIGNER_OP_KEY_DESTROY);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key);
	assert_int_equal(wire_exchange(fd, &w, &reply), 0);
	wire_error_type(&reply, type);
	assert_string_equal(type, "key-has-signed");
	close(fd);
	assert_int_equal(token_objects(key), 2);
	free(issue_verified("token-device-6"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_in_token),
		cmocka_unit_test(test_revoke_and_crl_through_token),
		cmocka_unit_test(test_signer_restart_finds_token_key),
		cmocka_unit_test(test_ocsp_responder_in_token),
		cmocka_unit_test(test_deleted_ca_key_leaves_token),
	};

	return fixture_run_tests(tests, &fx);
}
