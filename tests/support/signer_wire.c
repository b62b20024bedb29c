#include "tests/support/signer_wire.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <openssl/pem.h>

#include "common/x509util.h"
#include "tests/support/pki.h"

int
wire_connect(const char *socket_path)
{
	struct sockaddr_un sa;
	struct timeval tv = {30, 0};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", socket_path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		fail_msg("connect %s: %s", socket_path, strerror(errno));
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	return fd;
}

int
wire_exchange(int fd, struct signer_writer *w, struct signer_msg *reply)
{
	assert_int_equal(signer_writer_finish(w), 0);
	assert_int_equal(signer_write_all(fd, w->b.data, w->b.len), 0);
	signer_writer_free(w);
	return signer_read_msg(fd, reply);
}

/* Reads exactly n bytes; 1 when the peer closed before the first. */
static int
read_exact(int fd, unsigned char *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);
		if (r == 0 && got == 0)
			return 1;
		if (r <= 0)
			fail_msg("signer reply cut short after %zu of %zu bytes", got, n);
		got += (size_t)r;
	}
	return 0;
}

int
wire_exchange_raw(int fd, struct signer_writer *w, unsigned char **frame, size_t *len,
                  struct signer_msg *reply)
{
	unsigned char hdr[SIGNER_HEADER_LEN];
	uint8_t type;
	long payload;

	*frame = NULL;
	*len = 0;
	assert_int_equal(signer_writer_finish(w), 0);
	assert_int_equal(signer_write_all(fd, w->b.data, w->b.len), 0);
	signer_writer_free(w);
	if (read_exact(fd, hdr, sizeof(hdr)) == 1)
		return 1;
	payload = signer_header_check(hdr, &type);
	assert_true(payload >= 0);
	*len = SIGNER_HEADER_LEN + (size_t)payload;
	*frame = malloc(*len);
	assert_non_null(*frame);
	memcpy(*frame, hdr, sizeof(hdr));
	if (payload > 0 && read_exact(fd, *frame + SIGNER_HEADER_LEN, (size_t)payload) != 0)
		fail_msg("the signer closed the connection inside a reply");
	assert_int_equal(signer_msg_parse(*frame, *len, reply), 0);
	return 0;
}

void
wire_key_create_sealed(int fd, const char *templates, uint32_t max_days, char id[65],
                       struct buf *rec)
{
	struct signer_writer w;
	struct signer_msg reply;
	const struct signer_field *f;

	signer_writer_init(&w, SIGNER_OP_KEY_CREATE);
	signer_put_str(&w, SIGNER_TAG_ALGORITHM, "EC-P256");
	signer_put_str(&w, SIGNER_TAG_TEMPLATES, templates);
	signer_put_u32(&w, SIGNER_TAG_MAX_VALIDITY_DAYS, max_days);
	assert_int_equal(wire_exchange(fd, &w, &reply), 0);
	assert_int_equal(reply.type, SIGNER_REPLY_OK);
	assert_int_equal(signer_get_str(&reply, SIGNER_TAG_KEY_ID, id, 65), 0);
	f = signer_msg_get(&reply, SIGNER_TAG_KEY_RECORD);
	assert_non_null(f);
	if (rec != NULL)
		assert_int_equal(buf_append(rec, f->val, f->len), 0);
	signer_msg_free(&reply);
}

void
wire_key_create(int fd, const char *templates, uint32_t max_days, char id[65])
{
	wire_key_create_sealed(fd, templates, max_days, id, NULL);
}

void
wire_key_load(int fd, const char *id, const struct buf *rec, char type[65])
{
	struct signer_writer w;
	struct signer_msg reply;

	signer_writer_init(&w, SIGNER_OP_KEY_LOAD);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, id);
	signer_put_bytes(&w, SIGNER_TAG_KEY_RECORD, rec->data, rec->len);
	assert_int_equal(wire_exchange(fd, &w, &reply), 0);
	wire_error_type(&reply, type);
}

void
wire_issue_request(struct signer_writer *w, const char *id, const char *tpl, const char *csr_pem,
                   time_t not_after)
{
	char *made = csr_pem ? NULL : make_csr("EC-P256", "socket-device", NULL, NULL);
	BIO *b = BIO_new_mem_buf(csr_pem ? csr_pem : made, -1);
	X509_REQ *req = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
	unsigned char *der = NULL;
	int len;

	assert_non_null(req);
	len = i2d_X509_REQ(req, &der);
	assert_true(len > 0);
	signer_writer_init(w, SIGNER_OP_ISSUE);
	signer_put_str(w, SIGNER_TAG_KEY_ID, id);
	signer_put_str(w, SIGNER_TAG_TEMPLATE, tpl);
	signer_put_bytes(w, SIGNER_TAG_CSR, der, (size_t)len);
	signer_put_u64(w, SIGNER_TAG_NOT_AFTER, (uint64_t)not_after);
	OPENSSL_free(der);
	X509_REQ_free(req);
	BIO_free(b);
	free(made);
}

int
wire_issue(int fd, const char *id, const char *tpl, const char *csr_pem, time_t not_after,
           struct signer_msg *reply)
{
	struct signer_writer w;

	wire_issue_request(&w, id, tpl, csr_pem, not_after);
	return wire_exchange(fd, &w, reply);
}

void
wire_cert_install(int fd, const char *key, const unsigned char *der, size_t len, char type[65])
{
	struct signer_writer w;
	struct signer_msg reply;

	signer_writer_init(&w, SIGNER_OP_CERT_INSTALL);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key);
	signer_put_bytes(&w, SIGNER_TAG_CERTIFICATE, der, len);
	assert_int_equal(wire_exchange(fd, &w, &reply), 0);
	wire_error_type(&reply, type);
}

void
wire_crl_begin(int fd, const char *key, uint64_t number, struct signer_msg *reply)
{
	struct signer_writer w;
	time_t now = time(NULL);

	signer_writer_init(&w, SIGNER_OP_CRL_BEGIN);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key);
	signer_put_u64(&w, SIGNER_TAG_CRL_NUMBER, number);
	signer_put_u64(&w, SIGNER_TAG_THIS_UPDATE, (uint64_t)now);
	signer_put_u64(&w, SIGNER_TAG_NEXT_UPDATE, (uint64_t)now + 86400);
	signer_put_u64(&w, SIGNER_TAG_ENTRIES_LENGTH, 0);
	assert_int_equal(wire_exchange(fd, &w, reply), 0);
}

void
wire_expect_error(struct signer_msg *reply, uint32_t code, const char *type)
{
	uint32_t got = 0;
	char t[65] = "";

	assert_int_equal(reply->type, SIGNER_REPLY_ERROR);
	assert_int_equal(signer_get_u32(reply, SIGNER_TAG_ERROR_CODE, &got), 0);
	signer_get_str(reply, SIGNER_TAG_ERROR_TYPE, t, sizeof(t));
	if (got != code || strcmp(t, type) != 0)
		fail_msg("expected signer error %u %s, got %u %s", code, type, got, t);
	signer_msg_free(reply);
}

void
wire_error_type(struct signer_msg *reply, char type[65])
{
	type[0] = '\0';
	if (reply->type == SIGNER_REPLY_ERROR &&
	    signer_get_str(reply, SIGNER_TAG_ERROR_TYPE, type, 65) != 0)
		snprintf(type, 65, "(error without a type)");
	signer_msg_free(reply);
}

void
wire_key_of(const struct instance *in, const char *ca_id, const char *location, char key_id[65])
{
	const char *params[2] = {ca_id, location};
	PGconn *c = PQconnectdb(in->database_url);
	PGresult *res;

	assert_int_equal(PQstatus(c), CONNECTION_OK);
	res = PQexecParams(c,
	                   "SELECT signer_key_id FROM ca_locations WHERE ca_id = $1 "
	                   "AND ($2::text IS NULL OR name = $2) ORDER BY position LIMIT 1",
	                   2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		fail_msg("no signer key for CA %s: %s", ca_id, PQerrorMessage(c));
	snprintf(key_id, 65, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(c);
}

void
wire_ping_ok(const char *socket_path)
{
	int fd = wire_connect(socket_path);
	struct signer_writer w;
	struct signer_msg reply;

	signer_writer_init(&w, SIGNER_OP_PING);
	assert_int_equal(wire_exchange(fd, &w, &reply), 0);
	assert_int_equal(reply.type, SIGNER_REPLY_OK);
	signer_msg_free(&reply);
	close(fd);
}

/* The bytes of field tag of an OK reply (malloc'ed, *len); fails the
 * test on an error reply. Frees reply. */
static unsigned char *
wire_ok_bytes(struct signer_msg *reply, uint16_t tag, size_t *len)
{
	const struct signer_field *f;
	unsigned char *out;
	char type[65];

	if (reply->type != SIGNER_REPLY_OK) {
		wire_error_type(reply, type);
		fail_msg("the signer refused: %s", type);
	}
	f = signer_msg_get(reply, tag);
	assert_non_null(f);
	out = malloc(f->len + 1);
	assert_non_null(out);
	memcpy(out, f->val, f->len);
	*len = f->len;
	signer_msg_free(reply);
	return out;
}

X509 *
wire_ocsp_responder(int fd, const char *ca_key, const char *alg, char rk[65])
{
	static const unsigned char subject[] = {0x30, 0x12, 0x31, 0x10, 0x30, 0x0e, 0x06, 0x03,
	                                        0x55, 0x04, 0x03, 0x0c, 0x07, 'R', 'e', 's',
	                                        'p', 'o', 'n', 'd'};
	struct signer_writer w;
	struct signer_msg reply;
	unsigned char *csr, *der;
	size_t csr_len = 0, der_len = 0;
	char type[65];
	X509 *cert;

	signer_writer_init(&w, SIGNER_OP_KEY_CREATE);
	signer_put_str(&w, SIGNER_TAG_ALGORITHM, alg);
	signer_put_str(&w, SIGNER_TAG_ISSUER_KEY_ID, ca_key);
	assert_int_equal(wire_exchange(fd, &w, &reply), 0);
	if (reply.type != SIGNER_REPLY_OK) {
		wire_error_type(&reply, type);
		fail_msg("responder KEY_CREATE refused: %s", type);
	}
	assert_int_equal(signer_get_str(&reply, SIGNER_TAG_KEY_ID, rk, 65), 0);
	signer_msg_free(&reply);
	signer_writer_init(&w, SIGNER_OP_CSR_CREATE);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, rk);
	signer_put_bytes(&w, SIGNER_TAG_SUBJECT, subject, sizeof(subject));
	assert_int_equal(wire_exchange(fd, &w, &reply), 0);
	csr = wire_ok_bytes(&reply, SIGNER_TAG_CSR, &csr_len);
	signer_writer_init(&w, SIGNER_OP_ISSUE);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, ca_key);
	signer_put_str(&w, SIGNER_TAG_TEMPLATE, "ocsp_responder");
	signer_put_bytes(&w, SIGNER_TAG_CSR, csr, csr_len);
	signer_put_u64(&w, SIGNER_TAG_NOT_AFTER, (uint64_t)(time(NULL) + 5 * 86400));
	assert_int_equal(wire_exchange(fd, &w, &reply), 0);
	der = wire_ok_bytes(&reply, SIGNER_TAG_CERTIFICATE, &der_len);
	wire_cert_install(fd, rk, der, der_len, type);
	if (type[0] != '\0')
		fail_msg("responder CERT_INSTALL refused: %s", type);
	cert = x509_from_der(der, der_len);
	assert_non_null(cert);
	free(csr);
	free(der);
	return cert;
}

unsigned char *
wire_ocsp_sign(int fd, const char *key, const struct buf *tbs, size_t *len,
               struct signer_msg *reply)
{
	struct signer_writer w;

	signer_writer_init(&w, SIGNER_OP_OCSP_SIGN);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key);
	signer_put_bytes(&w, SIGNER_TAG_RESPONSE_DATA, tbs->data, tbs->len);
	assert_int_equal(wire_exchange(fd, &w, reply), 0);
	return len != NULL ? wire_ok_bytes(reply, SIGNER_TAG_BASIC_RESPONSE, len) : NULL;
}
