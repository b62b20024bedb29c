/* The signer seen from its socket, as a compromised API process would see
 * it: every policy refusal holds there too, malformed frames end the
 * connection, no operation returns key material, and CRL sessions admit
 * only their own requests. Who may connect: test_signer_access.c. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "signer/proto/protocol.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/key_material.h"
#include "tests/support/pki.h"
#include "tests/support/signer_wire.h"

static struct instance in;

static const struct fixture fx = {
	.in = &in,
	.name = "signer_socket",
};

/* The DER of the name CN=cn (OPENSSL_free), its length in *len. */
static unsigned char *
name_der(const char *cn, int *len)
{
	X509_NAME *name = X509_NAME_new();
	unsigned char *der = NULL;

	assert_non_null(name);
	assert_int_equal(X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
	                                            (const unsigned char *)cn, -1, -1, 0), 1);
	*len = i2d_X509_NAME(name, &der);
	assert_true(*len > 0);
	X509_NAME_free(name);
	return der;
}

static void
self_sign_request(struct signer_writer *w, const char *id, const char *cn, time_t not_after)
{
	int len;
	unsigned char *der = name_der(cn, &len);

	signer_writer_init(w, SIGNER_OP_SELF_SIGN);
	signer_put_str(w, SIGNER_TAG_KEY_ID, id);
	signer_put_bytes(w, SIGNER_TAG_SUBJECT, der, (size_t)len);
	signer_put_u64(w, SIGNER_TAG_NOT_AFTER, (uint64_t)not_after);
	OPENSSL_free(der);
}

static int
self_sign(int fd, const char *id, const char *cn, time_t not_after, struct signer_msg *reply)
{
	struct signer_writer w;

	self_sign_request(&w, id, cn, not_after);
	return wire_exchange(fd, &w, reply);
}

static void
test_policy_refusals_at_the_socket(void **state)
{
	int fd = wire_connect(in.signer_socket);
	time_t now = time(NULL);
	struct signer_msg reply;
	char leaf_only[65], uncertified[65], long_policy[65], type[65];
	struct buf uncertified_rec = {0};
	char *weak = read_file(corpus_path("weak-rsa1024.csr"), NULL);
	char *bad_sig = read_file(corpus_path("bad-signature.csr"), NULL);

	/* a leaf-only root: client certificates for at most 30 days */
	wire_key_create(fd, "client", 30, leaf_only);
	assert_int_equal(self_sign(fd, leaf_only, "Socket Root", now + 365 * 86400, &reply), 0);
	assert_int_equal(reply.type, SIGNER_REPLY_OK);
	signer_msg_free(&reply);

	assert_int_equal(wire_issue(fd, leaf_only, "client", NULL, now + 10 * 86400, &reply), 0);
	assert_int_equal(reply.type, SIGNER_REPLY_OK);
	signer_msg_free(&reply);
	/* a CA certificate from a leaf-only key */
	assert_int_equal(
	    wire_issue(fd, leaf_only, "subordinate_ca", NULL, now + 10 * 86400, &reply), 0);
	wire_expect_error(&reply, SIGNER_E_POLICY, "template-not-allowed");
	/* another template the policy does not list */
	assert_int_equal(wire_issue(fd, leaf_only, "ssl", NULL, now + 10 * 86400, &reply), 0);
	wire_expect_error(&reply, SIGNER_E_POLICY, "template-not-allowed");
	/* validity beyond the policy's maximum */
	assert_int_equal(wire_issue(fd, leaf_only, "client", NULL, now + 31 * 86400, &reply), 0);
	wire_expect_error(&reply, SIGNER_E_POLICY, "validity-exceeds-policy");
	/* a notAfter in the past */
	assert_int_equal(wire_issue(fd, leaf_only, "client", NULL, now - 10, &reply), 0);
	wire_expect_error(&reply, SIGNER_E_INVALID, "validity-invalid");
	/* templates the signer does not know */
	assert_int_equal(wire_issue(fd, leaf_only, "superuser", NULL, now + 86400, &reply), 0);
	wire_expect_error(&reply, SIGNER_E_INVALID, "unknown-template");
	/* the signer checks CSRs itself */
	assert_int_equal(wire_issue(fd, leaf_only, "client", weak, now + 86400, &reply), 0);
	wire_expect_error(&reply, SIGNER_E_INVALID, "csr-weak-key");
	/* a self-signature cannot be repeated (no second root for one key) */
	assert_int_equal(self_sign(fd, leaf_only, "Other Root", now + 86400 * 2, &reply), 0);
	wire_expect_error(&reply, SIGNER_E_CONFLICT, "key-already-certified");

	/* beyond the issuer's own notAfter, within the policy's maximum */
	wire_key_create(fd, "client", 3650, long_policy);
	assert_int_equal(self_sign(fd, long_policy, "Short Root", now + 10 * 86400, &reply), 0);
	signer_msg_free(&reply);
	assert_int_equal(wire_issue(fd, long_policy, "client", NULL, now + 20 * 86400, &reply), 0);
	wire_expect_error(&reply, SIGNER_E_POLICY, "validity-exceeds-issuer");

	/* a key without a certificate issues nothing: asked for first, the
	 * signer wants its newest record (another signer may have certified
	 * it), and with that loaded it refuses */
	wire_key_create_sealed(fd, "client", 30, uncertified, &uncertified_rec);
	assert_int_equal(wire_issue(fd, uncertified, "client", NULL, now + 86400, &reply), 0);
	wire_expect_error(&reply, SIGNER_E_RECORD_NEEDED, "key-record-needed");
	wire_key_load(fd, uncertified, &uncertified_rec, type);
	assert_string_equal(type, "");
	assert_int_equal(wire_issue(fd, uncertified, "client", NULL, now + 86400, &reply), 0);
	wire_expect_error(&reply, SIGNER_E_CONFLICT, "ca-not-active");
	/* unknown keys: their record is needed, and no other key's will do */
	assert_int_equal(wire_issue(fd, "00000000000000000000000000000000", "client", NULL,
	                            now + 86400, &reply), 0);
	wire_expect_error(&reply, SIGNER_E_RECORD_NEEDED, "key-record-needed");
	wire_key_load(fd, "00000000000000000000000000000000", &uncertified_rec, type);
	assert_string_equal(type, "key-record-mismatch");
	buf_free(&uncertified_rec);
	/* path tricks */
	assert_int_equal(wire_issue(fd, "../kek", "client", NULL, now + 86400, &reply), 0);
	wire_expect_error(&reply, SIGNER_E_NOT_FOUND, "key-not-found");
	/* a policy that contradicts itself is refused at creation */
	{
		struct signer_writer w;
		signer_writer_init(&w, SIGNER_OP_KEY_CREATE);
		signer_put_str(&w, SIGNER_TAG_ALGORITHM, "EC-P256");
		signer_put_str(&w, SIGNER_TAG_TEMPLATES, "subordinate_ca");
		signer_put_u32(&w, SIGNER_TAG_MAX_VALIDITY_DAYS, 30);
		signer_put_u32(&w, SIGNER_TAG_PATH_LENGTH, 0);
		assert_int_equal(wire_exchange(fd, &w, &reply), 0);
		wire_expect_error(&reply, SIGNER_E_INVALID, "policy-invalid");
		signer_writer_init(&w, SIGNER_OP_KEY_CREATE);
		signer_put_str(&w, SIGNER_TAG_ALGORITHM, "DSA-1024");
		signer_put_str(&w, SIGNER_TAG_TEMPLATES, "client");
		signer_put_u32(&w, SIGNER_TAG_MAX_VALIDITY_DAYS, 30);
		assert_int_equal(wire_exchange(fd, &w, &reply), 0);
		wire_expect_error(&reply, SIGNER_E_INVALID, "unsupported-key-algorithm");
	}
	/* the connection survived every refusal */
	assert_int_equal(wire_issue(fd, leaf_only, "client", bad_sig, now + 86400, &reply), 0);
	wire_expect_error(&reply, SIGNER_E_MALFORMED, "csr-bad-signature");
	close(fd);
	free(weak);
	free(bad_sig);
}

/* The key of a CA made through the API keeps the policy given at creation. */
static void
test_api_ca_policy_bound_in_signer(void **state)
{
	struct signer_msg reply;
	char ca_id[64], key_id[65];
	int fd;

	http_create_ca(&in, "{\"common_name\": \"Bound Root\", \"issuance\": "
	                    "{\"template\": \"client\", \"max_validity_days\": 10}}", ca_id);
	wire_key_of(&in, ca_id, NULL, key_id);

	fd = wire_connect(in.signer_socket);
	assert_int_equal(
	    wire_issue(fd, key_id, "subordinate_ca", NULL, time(NULL) + 86400, &reply), 0);
	wire_expect_error(&reply, SIGNER_E_POLICY, "template-not-allowed");
	assert_int_equal(wire_issue(fd, key_id, "client", NULL, time(NULL) + 11 * 86400, &reply), 0);
	wire_expect_error(&reply, SIGNER_E_POLICY, "validity-exceeds-policy");
	/* nor can the service CA's key (TLS server certificates only) sign devices */
	{
		char path[300], *id;
		snprintf(path, sizeof(path), "%s/tls/service-ca.key-id", in.data_dir);
		id = read_file(path, NULL);
		id[strcspn(id, "\n")] = '\0';
		assert_int_equal(wire_issue(fd, id, "client", NULL, time(NULL) + 86400, &reply), 0);
		wire_expect_error(&reply, SIGNER_E_POLICY, "template-not-allowed");
		free(id);
	}
	close(fd);
}

static void
send_raw(int fd, const void *data, size_t len)
{
	assert_int_equal(signer_write_all(fd, data, len), 0);
}

/* After a malformed frame the signer closes the connection (EOF) and keeps
 * serving others. */
static void
expect_closed(int fd)
{
	char buf[16];
	ssize_t n = read(fd, buf, sizeof(buf));

	assert_true(n == 0 || (n < 0 && errno == ECONNRESET));
	close(fd);
}

static void
test_malformed_frames_close_the_connection(void **state)
{
	const unsigned char bad_magic[] = {'X', 'S', 1, SIGNER_OP_PING, 0, 0, 0, 0};
	const unsigned char bad_version[] = {'E', 'S', 9, SIGNER_OP_PING, 0, 0, 0, 0};
	const unsigned char huge[] = {'E', 'S', 1, SIGNER_OP_ISSUE, 0xff, 0xff, 0xff, 0xff};
	const unsigned char over_max[] = {'E', 'S', 1, SIGNER_OP_ISSUE, 0, 1, 0, 1};
	const unsigned char unknown_op[] = {'E', 'S', 1, 0x7f, 0, 0, 0, 0};
	/* a field claiming more bytes than the frame holds */
	const unsigned char overflow[] = {'E', 'S', 1, SIGNER_OP_PING, 0, 0, 0, 6,
	                                  0, SIGNER_TAG_KEY_ID, 0, 0, 0, 50};
	/* an unknown tag */
	const unsigned char unknown_tag[] = {'E', 'S', 1, SIGNER_OP_PING, 0, 0, 0, 7,
	                                     0x12, 0x34, 0, 0, 0, 1, 'x'};
	/* a u64 of 3 bytes */
	const unsigned char short_int[] = {'E', 'S', 1, SIGNER_OP_PING, 0, 0, 0, 9,
	                                   0, SIGNER_TAG_NOT_AFTER, 0, 0, 0, 3, 1, 2, 3};
	const struct { const unsigned char *p; size_t n; } frames[] = {
		{bad_magic, sizeof(bad_magic)}, {bad_version, sizeof(bad_version)},
		{huge, sizeof(huge)}, {over_max, sizeof(over_max)},
		{unknown_op, sizeof(unknown_op)}, {overflow, sizeof(overflow)},
		{unknown_tag, sizeof(unknown_tag)}, {short_int, sizeof(short_int)},
	};

	for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		int fd = wire_connect(in.signer_socket);
		send_raw(fd, frames[i].p, frames[i].n);
		expect_closed(fd);
		wire_ping_ok(in.signer_socket);
	}
	/* a well-formed frame that lacks a required field (ISSUE without CSR) */
	{
		int fd = wire_connect(in.signer_socket);
		struct signer_writer w;
		struct signer_msg reply;
		signer_writer_init(&w, SIGNER_OP_ISSUE);
		signer_put_str(&w, SIGNER_TAG_KEY_ID, "00000000000000000000000000000000");
		signer_put_str(&w, SIGNER_TAG_TEMPLATE, "client");
		signer_put_u64(&w, SIGNER_TAG_NOT_AFTER, 1);
		assert_int_equal(wire_exchange(fd, &w, &reply), 1);
		close(fd);
	}
	wire_ping_ok(in.signer_socket);
}

#define LEAK_KEYS 3

/* Sends w and fails if the reply, byte for byte, holds any form of any
 * key in km (or the word PRIVATE); returns its type, the parsed reply in
 * *reply when reply is not NULL. 0 when the signer closed instead. */
static uint8_t
scanned(int fd, struct signer_writer *w, const struct key_material *km, size_t nkm,
        const char *op, struct signer_msg *reply)
{
	struct signer_msg m;
	unsigned char *frame;
	size_t len;
	uint8_t type = 0;

	if (wire_exchange_raw(fd, w, &frame, &len, &m) == 0) {
		for (size_t i = 0; i < nkm; i++)
			key_material_absent(&km[i], frame, len, op);
		assert_null(memmem(frame, len, "PRIVATE", 7));
		type = m.type;
		if (reply != NULL)
			*reply = m;
		else
			signer_msg_free(&m);
	}
	free(frame);
	return type;
}

/* No operation yields key material: keys of each kind are created through
 * the signer and opened from their sealed records with the KEK of its
 * state directory (this test set it up), and every reply of every operation on them is searched for the keys'
 * PKCS#8 and traditional DER and raw private numbers; the only OK answers
 * to an empty request are PING's and KEY_MIGRATE's. */
static void
test_no_operation_exports_keys(void **state)
{
	static const char *const algs[LEAK_KEYS] = {"EC-P256", "EC-P384", "RSA-2048"};
	struct key_material km[LEAK_KEYS];
	char ids[LEAK_KEYS][65], dir[300];
	const struct signer_field *rec;
	unsigned char *created[LEAK_KEYS], *subject;
	size_t created_len[LEAK_KEYS];
	int subject_len;
	struct signer_msg reply;
	struct signer_writer w;
	time_t now = time(NULL);
	int fd = wire_connect(in.signer_socket);

	snprintf(dir, sizeof(dir), "%s/signer", in.data_dir);
	for (int i = 0; i < LEAK_KEYS; i++) {
		signer_writer_init(&w, SIGNER_OP_KEY_CREATE);
		signer_put_str(&w, SIGNER_TAG_ALGORITHM, algs[i]);
		signer_put_str(&w, SIGNER_TAG_TEMPLATES, "client");
		signer_put_u32(&w, SIGNER_TAG_MAX_VALIDITY_DAYS, 30);
		assert_int_equal(wire_exchange_raw(fd, &w, &created[i], &created_len[i], &reply), 0);
		assert_int_equal(reply.type, SIGNER_REPLY_OK);
		assert_int_equal(signer_get_str(&reply, SIGNER_TAG_KEY_ID, ids[i], 65), 0);
		rec = signer_msg_get(&reply, SIGNER_TAG_KEY_RECORD);
		assert_non_null(rec);
		key_material_load(dir, ids[i], rec->val, rec->len, &km[i]);
		signer_msg_free(&reply);
	}
	subject = name_der("Leak Device CA", &subject_len);
	for (int i = 0; i < LEAK_KEYS; i++) {
		const struct signer_field *cert;
		for (int k = 0; k < LEAK_KEYS; k++)
			key_material_absent(&km[k], created[i], created_len[i], "KEY_CREATE");
		free(created[i]);
		signer_writer_init(&w, SIGNER_OP_KEY_INFO);
		signer_put_str(&w, SIGNER_TAG_KEY_ID, ids[i]);
		assert_int_equal(scanned(fd, &w, km, LEAK_KEYS, "KEY_INFO", NULL), SIGNER_REPLY_OK);
		/* a key asks for its certificate before it has one */
		signer_writer_init(&w, SIGNER_OP_CSR_CREATE);
		signer_put_str(&w, SIGNER_TAG_KEY_ID, ids[i]);
		signer_put_bytes(&w, SIGNER_TAG_SUBJECT, subject, (size_t)subject_len);
		assert_int_equal(scanned(fd, &w, km, LEAK_KEYS, "CSR_CREATE", NULL), SIGNER_REPLY_OK);
		self_sign_request(&w, ids[i], "Leak Root", now + 86400);
		assert_int_equal(scanned(fd, &w, km, LEAK_KEYS, "SELF_SIGN", &reply), SIGNER_REPLY_OK);
		cert = signer_msg_get(&reply, SIGNER_TAG_CERTIFICATE);
		assert_non_null(cert);
		signer_writer_init(&w, SIGNER_OP_CERT_INSTALL);
		signer_put_str(&w, SIGNER_TAG_KEY_ID, ids[i]);
		signer_put_bytes(&w, SIGNER_TAG_CERTIFICATE, cert->val, cert->len);
		signer_msg_free(&reply);
		assert_true(scanned(fd, &w, km, LEAK_KEYS, "CERT_INSTALL", NULL) != 0);
		signer_writer_init(&w, SIGNER_OP_KEY_INFO);
		signer_put_str(&w, SIGNER_TAG_KEY_ID, ids[i]);
		assert_int_equal(scanned(fd, &w, km, LEAK_KEYS, "KEY_INFO", NULL), SIGNER_REPLY_OK);
		wire_issue_request(&w, ids[i], "client", NULL, now + 3600);
		assert_int_equal(scanned(fd, &w, km, LEAK_KEYS, "ISSUE", NULL), SIGNER_REPLY_OK);
		signer_writer_init(&w, SIGNER_OP_CRL_BEGIN);
		signer_put_str(&w, SIGNER_TAG_KEY_ID, ids[i]);
		signer_put_u64(&w, SIGNER_TAG_CRL_NUMBER, 1);
		signer_put_u64(&w, SIGNER_TAG_THIS_UPDATE, (uint64_t)now);
		signer_put_u64(&w, SIGNER_TAG_NEXT_UPDATE, (uint64_t)now + 3600);
		signer_put_u64(&w, SIGNER_TAG_ENTRIES_LENGTH, 0);
		assert_int_equal(scanned(fd, &w, km, LEAK_KEYS, "CRL_BEGIN", NULL), SIGNER_REPLY_OK);
		signer_writer_init(&w, SIGNER_OP_CRL_FINISH);
		assert_int_equal(scanned(fd, &w, km, LEAK_KEYS, "CRL_FINISH", NULL), SIGNER_REPLY_OK);
	}
	OPENSSL_free(subject);
	close(fd);
	for (int type = 0; type < 256; type++) {
		uint8_t got;
		fd = wire_connect(in.signer_socket);
		signer_writer_init(&w, (uint8_t)type);
		got = scanned(fd, &w, km, LEAK_KEYS, "an empty request", NULL);
		/* PING answers; so does KEY_MIGRATE, with nothing to move here */
		assert_true(got == 0 || type == SIGNER_OP_PING || type == SIGNER_OP_KEY_MIGRATE ||
		            got == SIGNER_REPLY_ERROR);
		close(fd);
	}
	for (int i = 0; i < LEAK_KEYS; i++)
		key_material_free(&km[i]);
	wire_ping_ok(in.signer_socket);
}

static void
crl_simple(int fd, uint8_t type, struct signer_msg *reply)
{
	struct signer_writer w;

	signer_writer_init(&w, type);
	assert_int_equal(wire_exchange(fd, &w, reply), 0);
}

/* A CRL session admits CRL_ENTRIES and CRL_FINISH only, and they need
 * one; an ENTRIES field over its maximum is a malformed frame; the
 * service CA's key signs no CRL. (No session here is finished: the CA's
 * CRL numbers are the server's.) */
static void
test_crl_sessions_at_the_socket(void **state)
{
	static const unsigned char entry[] = {0x30, 0x13, 0x02, 0x02, 0x12, 0x34, 0x17, 0x0d,
	                                      '2', '3', '1', '1', '1', '4', '2', '2', '1', '3',
	                                      '2', '0', 'Z'};
	struct signer_msg reply;
	struct signer_writer w;
	char ca_id[64], key_id[65];
	int fd;

	http_create_ca(&in, "{\"common_name\": \"CRL Session Root\", \"issuance\": "
	                    "{\"template\": \"client\", \"max_validity_days\": 10}}", ca_id);
	wire_key_of(&in, ca_id, NULL, key_id);
	fd = wire_connect(in.signer_socket);

	/* no session: CRL_ENTRIES and CRL_FINISH are refused, the connection stays */
	signer_writer_init(&w, SIGNER_OP_CRL_ENTRIES);
	signer_put_bytes(&w, SIGNER_TAG_ENTRIES, entry, sizeof(entry));
	assert_int_equal(wire_exchange(fd, &w, &reply), 0);
	wire_expect_error(&reply, SIGNER_E_CONFLICT, "crl-session");
	crl_simple(fd, SIGNER_OP_CRL_FINISH, &reply);
	wire_expect_error(&reply, SIGNER_E_CONFLICT, "crl-session");

	/* another request during a session ends it, whatever the request */
	wire_crl_begin(fd, key_id, 1000000, &reply);
	assert_int_equal(reply.type, SIGNER_REPLY_OK);
	assert_non_null(signer_msg_get(&reply, SIGNER_TAG_CRL_PART));
	signer_msg_free(&reply);
	crl_simple(fd, SIGNER_OP_PING, &reply);
	wire_expect_error(&reply, SIGNER_E_CONFLICT, "crl-session");
	crl_simple(fd, SIGNER_OP_CRL_FINISH, &reply);
	wire_expect_error(&reply, SIGNER_E_CONFLICT, "crl-session");
	wire_crl_begin(fd, key_id, 1000000, &reply);
	assert_int_equal(reply.type, SIGNER_REPLY_OK);
	signer_msg_free(&reply);
	wire_crl_begin(fd, key_id, 1000001, &reply);
	wire_expect_error(&reply, SIGNER_E_CONFLICT, "crl-session");
	crl_simple(fd, SIGNER_OP_CRL_FINISH, &reply);
	wire_expect_error(&reply, SIGNER_E_CONFLICT, "crl-session");
	/* the connection still serves */
	assert_int_equal(wire_issue(fd, key_id, "client", NULL, time(NULL) + 86400, &reply), 0);
	{
		char type[65];
		wire_error_type(&reply, type);
		assert_string_equal(type, "");
	}

	/* the service CA's key (tls_server alone) signs no CRL */
	{
		char path[300], *id;
		snprintf(path, sizeof(path), "%s/tls/service-ca.key-id", in.data_dir);
		id = read_file(path, NULL);
		id[strcspn(id, "\n")] = '\0';
		wire_crl_begin(fd, id, 1000000, &reply);
		wire_expect_error(&reply, SIGNER_E_POLICY, "crl-not-allowed");
		free(id);
	}
	close(fd);

	/* ENTRIES over 60,000 bytes: a malformed frame, in a session or not */
	for (int in_session = 0; in_session < 2; in_session++) {
		size_t n = SIGNER_MAX_CRL_ENTRIES + 1, len = SIGNER_HEADER_LEN + 6 + n;
		unsigned char *frame = calloc(1, len);
		fd = wire_connect(in.signer_socket);
		if (in_session) {
			wire_crl_begin(fd, key_id, 1000000, &reply);
			assert_int_equal(reply.type, SIGNER_REPLY_OK);
			signer_msg_free(&reply);
		}
		assert_non_null(frame);
		memcpy(frame, "ES\x02", 3);
		frame[3] = SIGNER_OP_CRL_ENTRIES;
		frame[4] = (unsigned char)((6 + n) >> 24);
		frame[5] = (unsigned char)((6 + n) >> 16);
		frame[6] = (unsigned char)((6 + n) >> 8);
		frame[7] = (unsigned char)(6 + n);
		frame[9] = SIGNER_TAG_ENTRIES;
		frame[11] = (unsigned char)(n >> 16);
		frame[12] = (unsigned char)(n >> 8);
		frame[13] = (unsigned char)n;
		for (size_t off = 0; off + sizeof(entry) <= n; off += sizeof(entry))
			memcpy(frame + 14 + off, entry, sizeof(entry));
		send_raw(fd, frame, len);
		expect_closed(fd);
		free(frame);
		wire_ping_ok(in.signer_socket);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_refusals_at_the_socket),
		cmocka_unit_test(test_api_ca_policy_bound_in_signer),
		cmocka_unit_test(test_malformed_frames_close_the_connection),
		cmocka_unit_test(test_no_operation_exports_keys),
		cmocka_unit_test(test_crl_sessions_at_the_socket),
	};

	signal(SIGPIPE, SIG_IGN);
	return fixture_run_tests(tests, &fx);
}
