/* KEY_DESTROY at the signer's socket: a key that signed nothing but its
 * own root certificate is destroyed and answers key-destroyed from then
 * on, to every operation and to its own record; a key that issued a
 * certificate or signed a CRL, and the service CA's key, are refused and
 * go on working; an unknown key is an error; a CRL session begun before
 * the destruction cannot finish; the signature log records it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/x509.h>

#include "signer/proto/protocol.h"
#include "tests/support/fixture.h"
#include "common/buf.h"
#include "tests/support/harness.h"
#include "tests/support/signer_wire.h"

static struct instance in;

static const struct fixture fx = {
	.in = &in,
	.name = "signer_destroy",
};

/* KEY_DESTROY of id (with rec when not NULL); the reply in *reply. */
static void
destroy(int fd, const char *id, const struct buf *rec, struct signer_msg *reply)
{
	struct signer_writer w;

	signer_writer_init(&w, SIGNER_OP_KEY_DESTROY);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, id);
	if (rec != NULL)
		signer_put_bytes(&w, SIGNER_TAG_KEY_RECORD, rec->data, rec->len);
	assert_int_equal(wire_exchange(fd, &w, reply), 0);
}

static void
destroy_ok(int fd, const char *id, const struct buf *rec)
{
	struct signer_msg reply;
	char type[65];

	destroy(fd, id, rec, &reply);
	wire_error_type(&reply, type);
	assert_string_equal(type, "");
}

/* A one-field request (KEY_INFO, ...) on key id. */
static void
key_request(int fd, uint8_t op, const char *id, struct signer_msg *reply)
{
	struct signer_writer w;

	signer_writer_init(&w, op);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, id);
	assert_int_equal(wire_exchange(fd, &w, reply), 0);
}

static void
self_sign_ok(int fd, const char *id, const char *cn)
{
	struct signer_writer w;
	struct signer_msg reply;
	X509_NAME *name = X509_NAME_new();
	unsigned char *der = NULL;
	char type[65];
	int len;

	assert_non_null(name);
	assert_int_equal(X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
	                                            (const unsigned char *)cn, -1, -1, 0), 1);
	len = i2d_X509_NAME(name, &der);
	assert_true(len > 0);
	signer_writer_init(&w, SIGNER_OP_SELF_SIGN);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, id);
	signer_put_bytes(&w, SIGNER_TAG_SUBJECT, der, (size_t)len);
	signer_put_u64(&w, SIGNER_TAG_NOT_AFTER, (uint64_t)time(NULL) + 365 * 86400);
	assert_int_equal(wire_exchange(fd, &w, &reply), 0);
	wire_error_type(&reply, type);
	assert_string_equal(type, "");
	OPENSSL_free(der);
	X509_NAME_free(name);
}

static void
crl_finish(int fd, struct signer_msg *reply)
{
	struct signer_writer w;

	signer_writer_init(&w, SIGNER_OP_CRL_FINISH);
	assert_int_equal(wire_exchange(fd, &w, reply), 0);
}

/* How many lines of the signer's signature log hold both a and b. */
static int
log_lines(const char *a, const char *b)
{
	char path[300], *log, *line, *save = NULL;
	int n = 0;

	snprintf(path, sizeof(path), "%s/signer/signatures.log", in.data_dir);
	log = read_file(path, NULL);
	assert_non_null(log);
	for (line = strtok_r(log, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, a) != NULL && strstr(line, b) != NULL)
			n++;
	free(log);
	return n;
}

static void
test_destroy_fresh_key(void **state)
{
	int fd = wire_connect(in.signer_socket);
	struct signer_msg reply;
	struct buf rec = {0};
	char id[65], type[65];

	(void)state;
	wire_key_create_sealed(fd, "client", 90, id, &rec);
	self_sign_ok(fd, id, "Destroyed Root");
	destroy_ok(fd, id, NULL);
	assert_int_equal(log_lines(id, "op=destroy"), 1);

	/* nothing works with it any more, on any connection */
	close(fd);
	fd = wire_connect(in.signer_socket);
	key_request(fd, SIGNER_OP_KEY_INFO, id, &reply);
	wire_expect_error(&reply, SIGNER_E_NOT_FOUND, "key-destroyed");
	assert_int_equal(wire_issue(fd, id, "client", NULL, time(NULL) + 86400, &reply), 0);
	wire_expect_error(&reply, SIGNER_E_NOT_FOUND, "key-destroyed");
	{
		struct signer_writer w;
		X509_NAME *name = X509_NAME_new();
		unsigned char *der = NULL;
		int len;

		assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
		                                            (const unsigned char *)"Again", -1, -1,
		                                            0), 1);
		len = i2d_X509_NAME(name, &der);
		signer_writer_init(&w, SIGNER_OP_SELF_SIGN);
		signer_put_str(&w, SIGNER_TAG_KEY_ID, id);
		signer_put_bytes(&w, SIGNER_TAG_SUBJECT, der, (size_t)len);
		signer_put_u64(&w, SIGNER_TAG_NOT_AFTER, (uint64_t)time(NULL) + 86400);
		assert_int_equal(wire_exchange(fd, &w, &reply), 0);
		wire_expect_error(&reply, SIGNER_E_NOT_FOUND, "key-destroyed");
		OPENSSL_free(der);
		X509_NAME_free(name);
	}
	/* its record does not bring it back */
	wire_key_load(fd, id, &rec, type);
	assert_string_equal(type, "key-destroyed");
	key_request(fd, SIGNER_OP_KEY_INFO, id, &reply);
	wire_expect_error(&reply, SIGNER_E_NOT_FOUND, "key-destroyed");
	/* a second destruction finds nothing to destroy */
	destroy(fd, id, &rec, &reply);
	wire_expect_error(&reply, SIGNER_E_NOT_FOUND, "key-destroyed");
	assert_int_equal(log_lines(id, "op=destroy"), 1);
	buf_free(&rec);
	close(fd);
	wire_ping_ok(in.signer_socket);
}

static void
test_destroy_refused_for_a_key_that_signed(void **state)
{
	int fd = wire_connect(in.signer_socket);
	struct signer_msg reply;
	char issued[65], crl[65], type[65], path[300], *service, *hex;
	struct buf rec = {0};

	(void)state;
	/* it issued a certificate: refused, and it still issues */
	wire_key_create(fd, "client", 90, issued);
	self_sign_ok(fd, issued, "Issuing Root");
	assert_int_equal(wire_issue(fd, issued, "client", NULL, time(NULL) + 86400, &reply), 0);
	wire_error_type(&reply, type);
	assert_string_equal(type, "");
	destroy(fd, issued, NULL, &reply);
	wire_expect_error(&reply, SIGNER_E_CONFLICT, "key-has-signed");
	assert_int_equal(wire_issue(fd, issued, "client", NULL, time(NULL) + 86400, &reply), 0);
	wire_error_type(&reply, type);
	assert_string_equal(type, "");
	key_request(fd, SIGNER_OP_KEY_INFO, issued, &reply);
	wire_error_type(&reply, type);
	assert_string_equal(type, "");

	/* it signed a CRL (no certificate): refused too */
	wire_key_create(fd, "client", 90, crl);
	self_sign_ok(fd, crl, "CRL Root");
	wire_crl_begin(fd, crl, 1, &reply);
	assert_int_equal(reply.type, SIGNER_REPLY_OK);
	signer_msg_free(&reply);
	crl_finish(fd, &reply);
	assert_int_equal(reply.type, SIGNER_REPLY_OK);
	signer_msg_free(&reply);
	destroy(fd, crl, NULL, &reply);
	wire_expect_error(&reply, SIGNER_E_CONFLICT, "key-has-signed");

	/* the service CA's key (the TLS identity) is never destroyed */
	snprintf(path, sizeof(path), "%s/tls/service-ca.key-id", in.data_dir);
	service = read_file(path, NULL);
	assert_non_null(service);
	service[strcspn(service, "\n")] = '\0';
	/* with its record, which a signer that does not hold it yet opens */
	hex = instance_sql(&in, "SELECT encode(record, 'hex') FROM signer_keys WHERE key_id = '%s'",
	                   service);
	assert_non_null(hex);
	for (size_t i = 0; hex[i] != '\0' && hex[i + 1] != '\0'; i += 2) {
		unsigned byte = 0;
		assert_int_equal(sscanf(hex + i, "%2x", &byte), 1);
		assert_int_equal(buf_append(&rec, (unsigned char[]){(unsigned char)byte}, 1), 0);
	}
	destroy(fd, service, &rec, &reply);
	wire_expect_error(&reply, SIGNER_E_POLICY, "key-protected");
	key_request(fd, SIGNER_OP_KEY_INFO, service, &reply);
	wire_error_type(&reply, type);
	assert_string_equal(type, "");
	assert_int_equal(log_lines(service, "op=destroy"), 0);
	buf_free(&rec);
	free(hex);
	free(service);
	close(fd);
}

static void
test_destroy_unknown_key(void **state)
{
	int fd = wire_connect(in.signer_socket);
	struct signer_msg reply;

	(void)state;
	/* an id the signer never held and no record: it asks for the record */
	destroy(fd, "0123456789abcdef0123456789abcdef", NULL, &reply);
	wire_expect_error(&reply, SIGNER_E_RECORD_NEEDED, "key-record-needed");
	/* not a key id */
	destroy(fd, "not-a-key", NULL, &reply);
	wire_expect_error(&reply, SIGNER_E_NOT_FOUND, "key-not-found");
	close(fd);
}

/* A CRL session begun before its key is destroyed cannot finish. */
static void
test_destroy_during_crl_session(void **state)
{
	int fd = wire_connect(in.signer_socket), other;
	struct signer_msg reply;
	char id[65];

	(void)state;
	wire_key_create(fd, "client", 90, id);
	self_sign_ok(fd, id, "Session Root");
	wire_crl_begin(fd, id, 1, &reply);
	assert_int_equal(reply.type, SIGNER_REPLY_OK);
	signer_msg_free(&reply);
	other = wire_connect(in.signer_socket);
	destroy_ok(other, id, NULL);
	close(other);
	crl_finish(fd, &reply);
	wire_expect_error(&reply, SIGNER_E_NOT_FOUND, "key-destroyed");
	assert_int_equal(log_lines(id, "op=crl"), 0);
	close(fd);
	wire_ping_ok(in.signer_socket);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_destroy_fresh_key),
		cmocka_unit_test(test_destroy_refused_for_a_key_that_signed),
		cmocka_unit_test(test_destroy_unknown_key),
		cmocka_unit_test(test_destroy_during_crl_session),
	};

	return fixture_run_tests(tests, &fx);
}
