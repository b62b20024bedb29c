/* Unit tests of signer/protocol: frame writer and parser round trips, every
 * malformed frame refused, schemas, and reading frames from a socket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "signer/proto/protocol.h"

/* A frame assembled by hand: header (magic, version, type, length) and
 * payload, so the parser sees exactly the bytes a test wants. */
struct raw {
	unsigned char b[SIGNER_HEADER_LEN + SIGNER_MAX_PAYLOAD + 64];
	size_t len;
};

static void
raw_init(struct raw *r, uint8_t type)
{
	memcpy(r->b, "ES\x02", 3);
	r->b[3] = type;
	r->len = SIGNER_HEADER_LEN;
}

static void
raw_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* Appends a field header declaring flen and then n value bytes. */
static void
raw_field(struct raw *r, uint16_t tag, uint32_t flen, const void *val, size_t n)
{
	r->b[r->len] = (unsigned char)(tag >> 8);
	r->b[r->len + 1] = (unsigned char)tag;
	raw_be32(r->b + r->len + 2, flen);
	memcpy(r->b + r->len + 6, val, n);
	r->len += 6 + n;
}

/* Writes the true payload length into the header and parses. */
static int
raw_parse(struct raw *r)
{
	struct signer_msg m;
	int rc;

	raw_be32(r->b + 4, (uint32_t)(r->len - SIGNER_HEADER_LEN));
	rc = signer_msg_parse(r->b, r->len, &m);
	if (rc != 0)
		assert_null(m.payload); /* nothing left to free */
	signer_msg_free(&m);
	return rc;
}

static void
test_round_trip(void **state)
{
	static const unsigned char csr[] = {0x30, 0x00, 0xff, 0x00, 0x7f};
	struct signer_writer w;
	struct signer_msg m;
	uint64_t u64 = 0;
	uint32_t u32 = 0;
	char s[65];
	const struct signer_field *f;

	signer_writer_init(&w, SIGNER_OP_ISSUE);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, "0123456789abcdef0123456789abcdef");
	signer_put_u64(&w, SIGNER_TAG_NOT_AFTER, 0x0102030405060708ULL);
	signer_put_u32(&w, SIGNER_TAG_MAX_VALIDITY_DAYS, 0xa1b2c3d4);
	signer_put_bytes(&w, SIGNER_TAG_CSR, csr, sizeof(csr));
	signer_put_bytes(&w, SIGNER_TAG_SUBJECT, NULL, 0);
	assert_int_equal(signer_writer_finish(&w), 0);
	/* Header: "ES", version 2, type, big-endian payload length. */
	assert_memory_equal(w.b.data, "ES\x02\x04", 4);
	assert_int_equal(w.b.len, 8 + (6 + 32) + (6 + 8) + (6 + 4) + (6 + 5) + 6);
	assert_memory_equal(w.b.data + 4, "\x00\x00\x00\x4f", 4);
	/* First field: tag 1, length 32, value. u64 is big-endian. */
	assert_memory_equal(w.b.data + 8, "\x00\x01\x00\x00\x00\x20", 6);
	assert_memory_equal(w.b.data + 46, "\x00\x04\x00\x00\x00\x08\x01\x02\x03\x04\x05\x06\x07\x08",
	                    14);

	assert_int_equal(signer_msg_parse(w.b.data, w.b.len, &m), 0);
	assert_int_equal(m.type, SIGNER_OP_ISSUE);
	assert_int_equal(m.nfields, 5);
	assert_int_equal(signer_get_str(&m, SIGNER_TAG_KEY_ID, s, sizeof(s)), 0);
	assert_string_equal(s, "0123456789abcdef0123456789abcdef");
	assert_int_equal(signer_get_str(&m, SIGNER_TAG_KEY_ID, s, 32), -1); /* no room for NUL */
	assert_int_equal(signer_get_u64(&m, SIGNER_TAG_NOT_AFTER, &u64), 0);
	assert_true(u64 == 0x0102030405060708ULL);
	assert_int_equal(signer_get_u32(&m, SIGNER_TAG_MAX_VALIDITY_DAYS, &u32), 0);
	assert_int_equal(u32, 0xa1b2c3d4);
	f = signer_msg_get(&m, SIGNER_TAG_CSR);
	assert_non_null(f);
	assert_int_equal(f->len, sizeof(csr));
	assert_memory_equal(f->val, csr, sizeof(csr));
	f = signer_msg_get(&m, SIGNER_TAG_SUBJECT);
	assert_non_null(f);
	assert_int_equal(f->len, 0);
	assert_null(signer_msg_get(&m, SIGNER_TAG_TEMPLATE));
	assert_int_equal(signer_get_u32(&m, SIGNER_TAG_PATH_LENGTH, &u32), -1);
	/* The message owns a copy: the frame may go away. */
	memset(w.b.data, 0, w.b.len);
	assert_memory_equal(signer_msg_get(&m, SIGNER_TAG_CSR)->val, csr, sizeof(csr));
	signer_msg_free(&m);
	signer_writer_free(&w);

	signer_writer_init(&w, SIGNER_OP_PING); /* empty payload */
	assert_int_equal(signer_writer_finish(&w), 0);
	assert_int_equal(w.b.len, SIGNER_HEADER_LEN);
	assert_int_equal(signer_msg_parse(w.b.data, w.b.len, &m), 0);
	assert_int_equal(m.nfields, 0);
	signer_msg_free(&m);
	signer_writer_free(&w);
}

static void
test_bad_headers(void **state)
{
	static struct raw r;
	static const unsigned char zeros[SIGNER_MAX_PAYLOAD];
	struct signer_msg m;
	uint8_t type = 0;

	raw_init(&r, SIGNER_OP_PING);
	assert_int_equal(raw_parse(&r), 0);
	r.b[0] = 'X';
	assert_int_equal(raw_parse(&r), -1); /* magic */
	raw_init(&r, SIGNER_OP_PING);
	r.b[2] = 1;
	assert_int_equal(raw_parse(&r), -1); /* version 1 is spoken no more */
	r.b[2] = 3;
	assert_int_equal(raw_parse(&r), -1); /* version */
	r.b[2] = 0;
	assert_int_equal(raw_parse(&r), -1);
	raw_init(&r, SIGNER_OP_PING);
	assert_int_equal(signer_msg_parse(r.b, SIGNER_HEADER_LEN - 1, &m), -1); /* short */
	/* The declared length must be the buffer's. */
	raw_init(&r, SIGNER_OP_ISSUE);
	raw_field(&r, SIGNER_TAG_TEMPLATE, 6, "client", 6);
	raw_be32(r.b + 4, 12);
	assert_int_equal(signer_msg_parse(r.b, r.len, &m), 0);
	signer_msg_free(&m);
	assert_int_equal(signer_msg_parse(r.b, r.len - 1, &m), -1);
	raw_be32(r.b + 4, 11);
	assert_int_equal(signer_msg_parse(r.b, r.len, &m), -1);
	raw_be32(r.b + 4, 13);
	assert_int_equal(signer_msg_parse(r.b, r.len, &m), -1);
	/* Over the maximum, even when the buffer really is that long. */
	raw_init(&r, SIGNER_OP_ISSUE);
	raw_field(&r, SIGNER_TAG_CSR, SIGNER_MAX_PAYLOAD + 1 - 6, zeros,
	          SIGNER_MAX_PAYLOAD + 1 - 6);
	assert_int_equal(raw_parse(&r), -1);
	assert_int_equal(signer_header_check(r.b, &type), -1);
	raw_be32(r.b + 4, 0xffffffff);
	assert_int_equal(signer_header_check(r.b, &type), -1);
	raw_be32(r.b + 4, SIGNER_MAX_PAYLOAD);
	assert_int_equal(signer_header_check(r.b, &type), SIGNER_MAX_PAYLOAD);
	assert_int_equal(type, SIGNER_OP_ISSUE);
}

/* A valid value size for tag t: 8 for the u64 fields, 4 for the others. */
static uint32_t
tag_size(uint16_t t)
{
	switch (t) {
	case SIGNER_TAG_NOT_AFTER:
	case SIGNER_TAG_NOT_BEFORE:
	case SIGNER_TAG_CRL_NUMBER:
	case SIGNER_TAG_THIS_UPDATE:
	case SIGNER_TAG_NEXT_UPDATE:
	case SIGNER_TAG_ENTRIES_LENGTH:
	case SIGNER_TAG_DELTA_BASE:
		return 8;
	default:
		return 4;
	}
}

static void
test_bad_fields(void **state)
{
	static struct raw r;
	static const unsigned char zeros[20];

	raw_init(&r, SIGNER_OP_ISSUE); /* a field header cut short */
	memcpy(r.b + r.len, "\x00\x09\x00\x00\x00", 5);
	r.len += 5;
	assert_int_equal(raw_parse(&r), -1);
	raw_init(&r, SIGNER_OP_ISSUE); /* a value longer than what is left */
	raw_field(&r, SIGNER_TAG_TEMPLATE, 10, "client", 6);
	assert_int_equal(raw_parse(&r), -1);
	raw_init(&r, SIGNER_OP_ISSUE);
	raw_field(&r, SIGNER_TAG_TEMPLATE, 0xffffffff, "client", 6);
	assert_int_equal(raw_parse(&r), -1);
	static const uint16_t bad_tags[] = {0, SIGNER_TAG_MAX_ + 1, 0x0100, 0xffff};
	for (size_t i = 0; i < 4; i++) {
		raw_init(&r, SIGNER_OP_ISSUE);
		raw_field(&r, bad_tags[i], 4, zeros, 4);
		assert_int_equal(raw_parse(&r), -1);
	}
	/* Integers have exactly their size. */
	static const uint32_t u32_lens[] = {0, 3, 5, 8}, u64_lens[] = {0, 4, 7, 9};
	for (size_t i = 0; i < 4; i++) {
		raw_init(&r, SIGNER_OP_ISSUE);
		raw_field(&r, SIGNER_TAG_MAX_VALIDITY_DAYS, u32_lens[i], zeros, u32_lens[i]);
		assert_int_equal(raw_parse(&r), -1);
		raw_init(&r, SIGNER_OP_ISSUE);
		raw_field(&r, SIGNER_TAG_NOT_AFTER, u64_lens[i], zeros, u64_lens[i]);
		assert_int_equal(raw_parse(&r), -1);
	}
	raw_init(&r, SIGNER_OP_ISSUE); /* a string with a NUL inside */
	raw_field(&r, SIGNER_TAG_TEMPLATE, 7, "cli\0ent", 7);
	assert_int_equal(raw_parse(&r), -1);
	raw_init(&r, SIGNER_OP_ISSUE); /* a string over its maximum (32) */
	raw_field(&r, SIGNER_TAG_TEMPLATE, 33, "abcdefghijklmnopqrstuvwxyzabcdefg", 33);
	assert_int_equal(raw_parse(&r), -1);
	raw_init(&r, SIGNER_OP_ISSUE);
	raw_field(&r, SIGNER_TAG_TEMPLATE, 32, "abcdefghijklmnopqrstuvwxyzabcdef", 32);
	assert_int_equal(raw_parse(&r), 0);
	raw_init(&r, SIGNER_OP_ISSUE); /* the same tag twice */
	raw_field(&r, SIGNER_TAG_TEMPLATE, 6, "client", 6);
	raw_field(&r, SIGNER_TAG_CSR, 2, "\x30\x00", 2);
	raw_field(&r, SIGNER_TAG_TEMPLATE, 3, "ssl", 3);
	assert_int_equal(raw_parse(&r), -1);
	/* Every tag once is accepted (in frames under the field limit); a tag
	 * twice never is. */
	for (uint16_t first = 1; first <= SIGNER_TAG_MAX_; first += SIGNER_MAX_FIELDS - 1) {
		raw_init(&r, SIGNER_OP_ISSUE);
		for (uint16_t t = first; t <= SIGNER_TAG_MAX_ && t < first + SIGNER_MAX_FIELDS - 1;
		     t++)
			raw_field(&r, t, tag_size(t), "\x01\x02\x03\x04\x05\x06\x07\x08",
			          tag_size(t));
		assert_int_equal(raw_parse(&r), 0);
		raw_field(&r, first, tag_size(first), "\x01\x02\x03\x04\x05\x06\x07\x08",
		          tag_size(first));
		assert_int_equal(raw_parse(&r), -1);
	}
}

/* A parsed message of type with the given tags, each with a valid value. */
static void
msg_with(struct signer_msg *m, uint8_t type, const uint16_t *tags)
{
	struct signer_writer w;

	signer_writer_init(&w, type);
	for (; *tags; tags++) {
		if (*tags == SIGNER_TAG_NOT_AFTER)
			signer_put_u64(&w, *tags, 1);
		else if (*tags == SIGNER_TAG_MAX_VALIDITY_DAYS || *tags == SIGNER_TAG_PATH_LENGTH ||
		         *tags == SIGNER_TAG_ERROR_CODE)
			signer_put_u32(&w, *tags, 1);
		else
			signer_put_str(&w, *tags, "x");
	}
	assert_int_equal(signer_writer_finish(&w), 0);
	assert_int_equal(signer_msg_parse(w.b.data, w.b.len, m), 0);
	signer_writer_free(&w);
}

static int
check(uint8_t type, const uint16_t *tags, const struct signer_schema *s)
{
	struct signer_msg m;
	int rc;

	msg_with(&m, type, tags);
	rc = signer_msg_check(&m, s);
	signer_msg_free(&m);
	return rc;
}

static void
test_schemas(void **state)
{
	const struct signer_schema *issue = signer_request_schema(SIGNER_OP_ISSUE);
	const struct signer_schema *create = signer_request_schema(SIGNER_OP_KEY_CREATE);
	const uint16_t full[] = {SIGNER_TAG_KEY_ID, SIGNER_TAG_TEMPLATE, SIGNER_TAG_CSR,
	                         SIGNER_TAG_NOT_AFTER, 0};
	const uint16_t missing[] = {SIGNER_TAG_KEY_ID, SIGNER_TAG_TEMPLATE, SIGNER_TAG_NOT_AFTER, 0};
	const uint16_t extra[] = {SIGNER_TAG_KEY_ID, SIGNER_TAG_TEMPLATE, SIGNER_TAG_CSR,
	                          SIGNER_TAG_NOT_AFTER, SIGNER_TAG_ALGORITHM, 0};
	const uint16_t create_min[] = {SIGNER_TAG_ALGORITHM, SIGNER_TAG_TEMPLATES,
	                               SIGNER_TAG_MAX_VALIDITY_DAYS, 0};
	const uint16_t create_opt[] = {SIGNER_TAG_ALGORITHM, SIGNER_TAG_TEMPLATES,
	                               SIGNER_TAG_MAX_VALIDITY_DAYS, SIGNER_TAG_PATH_LENGTH, 0};
	const uint16_t err_full[] = {SIGNER_TAG_ERROR_CODE, SIGNER_TAG_ERROR_MESSAGE,
	                             SIGNER_TAG_ERROR_TYPE, 0};
	const uint16_t none[] = {0};

	assert_non_null(issue);
	assert_non_null(create);
	assert_non_null(signer_request_schema(SIGNER_OP_PING));
	assert_null(signer_request_schema(SIGNER_REPLY_OK));
	assert_null(signer_request_schema(0x7f));
	assert_int_equal(check(SIGNER_OP_ISSUE, full, issue), 0);
	assert_int_equal(check(SIGNER_OP_ISSUE, missing, issue), -1);
	assert_int_equal(check(SIGNER_OP_ISSUE, extra, issue), -1);
	assert_int_equal(check(SIGNER_OP_SELF_SIGN, full, issue), -1); /* type mismatch */
	assert_int_equal(check(SIGNER_OP_ISSUE, full, NULL), -1);
	assert_int_equal(check(SIGNER_OP_KEY_CREATE, create_min, create), 0);
	assert_int_equal(check(SIGNER_OP_KEY_CREATE, create_opt, create), 0);
	assert_int_equal(check(SIGNER_OP_PING, none, signer_request_schema(SIGNER_OP_PING)), 0);
	assert_int_equal(check(SIGNER_OP_PING, missing, signer_request_schema(SIGNER_OP_PING)), -1);
	assert_int_equal(check(SIGNER_REPLY_ERROR, err_full, &signer_schema_error), 0);
	assert_int_equal(check(SIGNER_REPLY_ERROR, err_full + 1, &signer_schema_error), -1);
}

static void
test_writer_limits(void **state)
{
	static unsigned char big[40000];
	char key_id[66];
	struct signer_writer w;

	memset(key_id, 'a', 65);
	key_id[65] = '\0';
	signer_writer_init(&w, SIGNER_OP_ISSUE);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key_id); /* 65 > 64 */
	signer_put_str(&w, SIGNER_TAG_TEMPLATE, "client"); /* errors are sticky */
	assert_int_equal(signer_writer_finish(&w), -1);
	signer_writer_free(&w);
	key_id[64] = '\0';
	signer_writer_init(&w, SIGNER_OP_ISSUE);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key_id);
	signer_put_bytes(&w, SIGNER_TAG_CSR, big, 32768);
	assert_int_equal(signer_writer_finish(&w), 0);
	signer_writer_free(&w);
	signer_writer_init(&w, SIGNER_OP_ISSUE);
	signer_put_bytes(&w, SIGNER_TAG_CSR, big, 32769);
	assert_int_equal(signer_writer_finish(&w), -1);
	signer_writer_free(&w);
	signer_writer_init(&w, SIGNER_OP_ISSUE);
	signer_put_u32(&w, 0, 1);
	assert_int_equal(signer_writer_finish(&w), -1);
	signer_writer_free(&w);
	signer_writer_init(&w, SIGNER_OP_ISSUE);
	signer_put_u32(&w, SIGNER_TAG_MAX_ + 1, 1);
	assert_int_equal(signer_writer_finish(&w), -1);
	signer_writer_free(&w);

	/* A payload of exactly SIGNER_MAX_PAYLOAD bytes, then one more:
	 * (32768+6) + (16384+6) + 3*(4096+6) + (4060+6) = 65536. */
	for (int over = 0; over <= 1; over++) {
		signer_writer_init(&w, SIGNER_OP_ISSUE);
		signer_put_bytes(&w, SIGNER_TAG_CSR, big, 32768);
		signer_put_bytes(&w, SIGNER_TAG_CERTIFICATE, big, 16384);
		for (int i = 0; i < 3; i++)
			signer_put_bytes(&w, SIGNER_TAG_SUBJECT, big, 4096);
		signer_put_bytes(&w, SIGNER_TAG_PUBLIC_KEY, big, 4060 + (size_t)over);
		assert_int_equal(signer_writer_finish(&w), over ? -1 : 0);
		signer_writer_free(&w);
	}
}

static void
pair(int sv[2])
{
	struct timeval tv = {2, 0}; /* a bug must fail the test, not hang it */

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
}

static void
test_socket_read(void **state)
{
	static unsigned char hdr[SIGNER_HEADER_LEN + 16];
	struct signer_writer w;
	struct signer_msg m;
	char s[8], rest[32];
	int sv[2];

	/* Two frames back to back, then a clean EOF. */
	pair(sv);
	signer_writer_init(&w, SIGNER_OP_ISSUE);
	signer_put_str(&w, SIGNER_TAG_TEMPLATE, "ssl");
	assert_int_equal(signer_writer_finish(&w), 0);
	assert_int_equal(signer_write_all(sv[1], w.b.data, w.b.len), 0);
	assert_int_equal(signer_write_all(sv[1], w.b.data, w.b.len), 0);
	signer_writer_free(&w);
	close(sv[1]);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(signer_read_msg(sv[0], &m), 0);
		assert_int_equal(signer_get_str(&m, SIGNER_TAG_TEMPLATE, s, sizeof(s)), 0);
		assert_string_equal(s, "ssl");
		signer_msg_free(&m);
	}
	assert_int_equal(signer_read_msg(sv[0], &m), 1);
	close(sv[0]);

	/* EOF inside the header, then inside the payload. */
	pair(sv);
	assert_int_equal(signer_write_all(sv[1], (const unsigned char *)"ES\x02", 3), 0);
	close(sv[1]);
	assert_int_equal(signer_read_msg(sv[0], &m), -1);
	close(sv[0]);
	pair(sv);
	assert_int_equal(signer_write_all(sv[1], (const unsigned char *)"ES\x02\x04\x00\x00\x00\x0c"
	                                  "\x00\x09\x00", 11), 0);
	close(sv[1]);
	assert_int_equal(signer_read_msg(sv[0], &m), -1);
	close(sv[0]);

	/* An oversize header is refused before any payload byte is read. */
	pair(sv);
	memcpy(hdr, "ES\x02\x04", 4);
	raw_be32(hdr + 4, SIGNER_MAX_PAYLOAD + 1);
	memcpy(hdr + SIGNER_HEADER_LEN, "payload-untouched", 16);
	assert_int_equal(signer_write_all(sv[1], hdr, sizeof(hdr)), 0);
	assert_int_equal(signer_read_msg(sv[0], &m), -1);
	assert_int_equal(recv(sv[0], rest, sizeof(rest), MSG_DONTWAIT), 16);
	assert_memory_equal(rest, "payload-untouched", 16);
	close(sv[1]);
	close(sv[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_bad_fields),
		cmocka_unit_test(test_schemas),
		cmocka_unit_test(test_writer_limits),
		cmocka_unit_test(test_socket_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
