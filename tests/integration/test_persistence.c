/* Durability and key custody: certificates read back identically after the
 * server and the signer restart; keys stay encrypted at rest under a 0600
 * KEK; every signature is in the signer's log and every issuance in the
 * audit trail, in the database that holds the certificate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/key_material.h"
#include "tests/support/pki.h"

static struct instance in;
static char ca_id[64];
static char serials[3][80];
static char pems[3][4096];

static const struct fixture fx = {
	.in = &in,
	.name = "persistence",
	.ca_json = "{\"common_name\": \"Durable Root\", \"key_algorithm\": "
	           "\"RSA-2048\", \"issuance\": {\"template\": \"client\"}}",
	.ca_id = ca_id,
};

static void
issue(int i, const char *cn)
{
	char path[128], *csr = make_csr("EC-P256", cn, NULL, NULL);
	struct http_response r;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca_id);
	assert_int_equal(http_call(&in, "POST", path, in.admin_token, "application/pkcs10", csr,
	                           strlen(csr), &r), 201);
	snprintf(serials[i], sizeof(serials[i]), "%s", http_json_str(&r, "serial_number"));
	snprintf(pems[i], sizeof(pems[i]), "%s", http_json_str(&r, "certificate_pem"));
	http_response_free(&r);
	free(csr);
}

static void
read_back(int i)
{
	char path[256];
	struct http_response r;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s", ca_id, serials[i]);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	assert_string_equal(http_json_str(&r, "certificate_pem"), pems[i]);
	http_response_free(&r);
}

static void
test_restart_server_and_signer(void **state)
{
	issue(0, "durable-1");
	issue(1, "durable-2");
	instance_stop_server(&in);
	instance_start_server(&in);
	read_back(0);
	read_back(1);
	/* the signer reloads the CA key from its encrypted store */
	instance_stop_signer(&in);
	instance_start_signer(&in);
	issue(2, "durable-3");
	read_back(2);
	instance_stop_server(&in);
	instance_start_server(&in);
	for (int i = 0; i < 3; i++)
		read_back(i);
}

/* Without its signer the server says so and keeps serving; the signer
 * back, issuance resumes without a restart of the server. */
static void
test_signer_outage(void **state)
{
	char path[128], *csr = make_csr("EC-P256", "outage-device", NULL, NULL);
	struct http_response r;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca_id);
	instance_stop_signer(&in);
	assert_int_equal(http_get(&in, "/readyz", NULL, &r), 503);
	assert_string_equal(http_problem_type(&r), "not-ready");
	http_response_free(&r);
	assert_int_equal(http_call(&in, "POST", path, in.admin_token, "application/pkcs10", csr,
	                           strlen(csr), &r), 503);
	assert_string_equal(http_problem_type(&r), "signer-unavailable");
	http_response_free(&r);
	assert_int_equal(http_get(&in, "/api/v1/cas", in.admin_token, &r), 200);
	http_response_free(&r);
	instance_start_signer(&in);
	assert_int_equal(http_get(&in, "/readyz", NULL, &r), 200);
	http_response_free(&r);
	assert_int_equal(http_call(&in, "POST", path, in.admin_token, "application/pkcs10", csr,
	                           strlen(csr), &r), 201);
	http_response_free(&r);
	free(csr);
}

/* The CA keys are in the database, sealed: each record opens with the
 * signer's KEK and holds no private key material in clear; the signer's
 * directory holds the KEK and no key file. */
static void
test_keys_encrypted_at_rest(void **state)
{
	char path[600], *n, *ids;
	struct stat st;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s/signer/kek", in.data_dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 32);
	snprintf(path, sizeof(path), "%s/signer", in.data_dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/signer/keys", in.data_dir);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		assert_false(len > 4 && strcmp(e->d_name + len - 4, ".key") == 0);
		assert_false(len > 5 && strcmp(e->d_name + len - 5, ".meta") == 0);
	}
	closedir(d);
	n = instance_sql(&in, "SELECT count(*) FROM signer_keys");
	assert_string_equal(n, "2"); /* the service CA and the root */
	free(n);
	ids = instance_sql(&in, "SELECT string_agg(key_id, ',') FROM signer_keys");
	for (char *id = strtok(ids, ","); id != NULL; id = strtok(NULL, ",")) {
		struct key_material km;
		char *hex = instance_sql(&in, "SELECT encode(record, 'hex') FROM signer_keys "
		                              "WHERE key_id = '%s'", id);
		size_t len = strlen(hex) / 2;
		unsigned char *rec = malloc(len);

		assert_non_null(rec);
		for (size_t i = 0; i < len; i++)
			assert_int_equal(sscanf(hex + 2 * i, "%2hhx", &rec[i]), 1);
		snprintf(path, sizeof(path), "%s/signer", in.data_dir);
		key_material_load(path, id, rec, len, &km);
		key_material_absent(&km, rec, len, "a sealed record in the database");
		key_material_free(&km);
		free(rec);
		free(hex);
	}
	free(ids);
	/* the server's data never holds a CA key */
	snprintf(path, sizeof(path), "grep -rl 'PRIVATE KEY' '%.128s/tls' | grep -v server.key",
	         in.data_dir);
	assert_int_not_equal(system(path), 0);
}

static void
test_signature_log_and_audit(void **state)
{
	char path[600];
	char *log;
	PGconn *c;
	PGresult *res;

	snprintf(path, sizeof(path), "%s/signer/signatures.log", in.data_dir);
	log = read_file(path, NULL);
	for (int i = 0; i < 3; i++) {
		char needle[160];
		snprintf(needle, sizeof(needle), "op=issue template=client serial=%.70s ", serials[i]);
		assert_non_null(strstr(log, needle));
	}
	assert_non_null(strstr(log, "op=self_sign"));
	assert_non_null(strstr(log, "subject=\"CN=durable-1\" sha256="));
	free(log);

	c = PQconnectdb(in.database_url);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	res = PQexec(c, "SELECT count(*) FROM certificates c JOIN audit_events a ON "
	                "a.object_id = c.ca_id::text || '/' || c.serial AND "
	                "a.action = 'certificate.issue'");
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	assert_string_equal(PQgetvalue(res, 0, 0), "4");
	PQclear(res);
	/* the database refuses a second certificate with a used serial */
	res = PQexec(c, "INSERT INTO certificates (ca_id, location, serial, subject, key_algorithm, "
	                "template, not_before, not_after, requester, certificate_der, issuer_key_id) "
	                "SELECT ca_id, location, serial, subject, key_algorithm, template, "
	                "not_before, not_after, requester, certificate_der, issuer_key_id "
	                "FROM certificates LIMIT 1");
	assert_int_equal(PQresultStatus(res), PGRES_FATAL_ERROR);
	assert_string_equal(PQresultErrorField(res, PG_DIAG_SQLSTATE), "23505");
	PQclear(res);
	PQfinish(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restart_server_and_signer),
		cmocka_unit_test(test_signer_outage),
		cmocka_unit_test(test_keys_encrypted_at_rest),
		cmocka_unit_test(test_signature_log_and_audit),
	};

	return fixture_run_tests(tests, &fx);
}
