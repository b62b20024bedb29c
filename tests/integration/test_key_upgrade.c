/* Upgrading a deployment whose signer kept its keys in files (before
 * sealed key records): the files of a running CA's keys are put back as
 * earlier versions wrote them and the database forgets the records; on
 * its next start the server has the signer move every key into a record,
 * says so in its log, and the CA issues as before, with its policy and
 * certificate intact, also after the signer restarts with no key files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/key_material.h"
#include "tests/support/pki.h"
#include "tests/support/signer_wire.h"

static struct instance in;
static char ca_id[64];

static const struct fixture fx = {
	.in = &in,
	.name = "key_upgrade",
	.ca_json = "{\"common_name\": \"Upgraded Root\", \"key_algorithm\": \"EC-P384\", "
	           "\"issuance\": {\"template\": \"client\", \"max_validity_days\": 90}}",
	.ca_id = ca_id,
};

static int
issue(const char *cn)
{
	char path[128], *csr = make_csr("EC-P256", cn, NULL, NULL);
	struct http_response r;
	int status;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca_id);
	status = http_call(&in, "POST", path, in.admin_token, "application/pkcs10", csr,
	                   strlen(csr), &r);
	http_response_free(&r);
	free(csr);
	return status;
}

/* KEY_INFO of key: templates, largest validity and the certificate, as
 * one string to compare. */
static char *
key_info(const char *key)
{
	struct signer_writer w;
	struct signer_msg reply;
	const struct signer_field *cert;
	char templates[257], *out = malloc(8192);
	uint32_t days = 0;
	int fd = wire_connect(in.signer_socket);

	assert_non_null(out);
	signer_writer_init(&w, SIGNER_OP_KEY_INFO);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key);
	assert_int_equal(wire_exchange(fd, &w, &reply), 0);
	assert_int_equal(reply.type, SIGNER_REPLY_OK);
	assert_int_equal(signer_get_str(&reply, SIGNER_TAG_TEMPLATES, templates, sizeof(templates)),
	                 0);
	assert_int_equal(signer_get_u32(&reply, SIGNER_TAG_MAX_VALIDITY_DAYS, &days), 0);
	cert = signer_msg_get(&reply, SIGNER_TAG_CERTIFICATE);
	assert_non_null(cert);
	snprintf(out, 8192, "%s %u %zu", templates, days, (size_t)cert->len);
	for (uint32_t i = 0; i < cert->len && strlen(out) < 8000; i++)
		snprintf(out + strlen(out), 3, "%02x", cert->val[i]);
	signer_msg_free(&reply);
	close(fd);
	return out;
}

static void
test_file_keys_move_on_start(void **state)
{
	char key[65], signer_dir[300], path[400], *ids, *before, *after, *n, *log;
	struct stat st;

	wire_key_of(&in, ca_id, NULL, key);
	assert_int_equal(issue("before-upgrade"), 201);
	before = key_info(key);

	/* the state an earlier version left: keys in files, no records */
	instance_stop_server(&in);
	instance_stop_signer(&in);
	snprintf(signer_dir, sizeof(signer_dir), "%s/signer", in.data_dir);
	ids = instance_sql(&in, "SELECT string_agg(key_id, ',') FROM signer_keys");
	assert_non_null(ids);
	for (char *id = strtok(ids, ","); id != NULL; id = strtok(NULL, ",")) {
		char *hex = instance_sql(&in, "SELECT encode(record, 'hex') FROM signer_keys "
		                              "WHERE key_id = '%s'", id);
		size_t len = strlen(hex) / 2;
		unsigned char *rec = malloc(len);
		assert_non_null(rec);
		for (size_t i = 0; i < len; i++)
			assert_int_equal(sscanf(hex + 2 * i, "%2hhx", &rec[i]), 1);
		key_material_write_legacy(signer_dir, id, rec, len);
		free(rec);
		free(hex);
	}
	free(ids);
	free(instance_sql(&in, "DELETE FROM signer_keys"));

	instance_start_signer(&in);
	instance_start_server(&in);
	snprintf(path, sizeof(path), "%s/server.log", in.data_dir);
	log = read_file(path, NULL);
	if (strstr(log, "2 signer key(s) moved from the signer's files to sealed records in the "
	                "database") == NULL)
		fail_msg("the server did not say it moved both keys:\n%s", log);
	free(log);
	n = instance_sql(&in, "SELECT count(*) FROM signer_keys");
	assert_string_equal(n, "2"); /* the root's and the service CA's */
	free(n);
	snprintf(path, sizeof(path), "%s/keys/%s.key", signer_dir, key);
	assert_int_not_equal(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/keys/migrated/%s.key", signer_dir, key);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(issue("after-upgrade"), 201);
	after = key_info(key);
	assert_string_equal(after, before);
	free(after);

	/* a signer started again has no key file: the records serve */
	instance_stop_signer(&in);
	instance_start_signer(&in);
	assert_int_equal(issue("after-restart"), 201);
	after = key_info(key);
	assert_string_equal(after, before);
	free(after);
	/* and a later start has nothing to move */
	instance_stop_server(&in);
	instance_start_server(&in);
	assert_int_equal(issue("after-second-start"), 201);
	free(before);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_keys_move_on_start),
	};

	return fixture_run_tests(tests, &fx);
}
