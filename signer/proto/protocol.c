#include "signer/proto/protocol.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/name_rules.h"

enum ftype { FT_U32, FT_U64, FT_STR, FT_BYTES };

struct tag_def {
	enum ftype type;
	uint32_t max_len;
};

/* Indexed by tag; max_len bounds strings and byte strings. */
static const struct tag_def tag_defs[SIGNER_TAG_MAX_ + 1] = {
	[SIGNER_TAG_KEY_ID] = {FT_STR, 64},
	[SIGNER_TAG_ALGORITHM] = {FT_STR, 32},
	[SIGNER_TAG_SUBJECT] = {FT_BYTES, 4096},
	[SIGNER_TAG_NOT_AFTER] = {FT_U64, 8},
	[SIGNER_TAG_TEMPLATES] = {FT_STR, 256},
	[SIGNER_TAG_MAX_VALIDITY_DAYS] = {FT_U32, 4},
	[SIGNER_TAG_PATH_LENGTH] = {FT_U32, 4},
	[SIGNER_TAG_CSR] = {FT_BYTES, SIGNER_MAX_CSR},
	[SIGNER_TAG_TEMPLATE] = {FT_STR, 32},
	[SIGNER_TAG_CERTIFICATE] = {FT_BYTES, SIGNER_MAX_CERTIFICATE},
	[SIGNER_TAG_PUBLIC_KEY] = {FT_BYTES, 4096},
	[SIGNER_TAG_ERROR_CODE] = {FT_U32, 4},
	[SIGNER_TAG_ERROR_MESSAGE] = {FT_STR, 512},
	[SIGNER_TAG_PROTOCOL_VERSION] = {FT_U32, 4},
	[SIGNER_TAG_ERROR_TYPE] = {FT_STR, 64},
	[SIGNER_TAG_CRL_URL] = {FT_STR, 1024},
	[SIGNER_TAG_AIA_URL] = {FT_STR, 1024},
	[SIGNER_TAG_SERIAL] = {FT_STR, 64},
	[SIGNER_TAG_NOT_BEFORE] = {FT_U64, 8},
	[SIGNER_TAG_SUBJECT_TEXT] = {FT_STR, 8192},
	[SIGNER_TAG_COMMON_NAME] = {FT_STR, 1024},
	[SIGNER_TAG_SANS] = {FT_STR, 16384},
	[SIGNER_TAG_CRL_NUMBER] = {FT_U64, 8},
	[SIGNER_TAG_THIS_UPDATE] = {FT_U64, 8},
	[SIGNER_TAG_NEXT_UPDATE] = {FT_U64, 8},
	[SIGNER_TAG_ENTRIES_LENGTH] = {FT_U64, 8},
	[SIGNER_TAG_ENTRIES] = {FT_BYTES, SIGNER_MAX_CRL_ENTRIES},
	[SIGNER_TAG_CRL_PART] = {FT_BYTES, SIGNER_MAX_CRL_PART},
	[SIGNER_TAG_NAME_RULES] = {FT_STR, NAME_RULES_MAX_TEXT},
	[SIGNER_TAG_KEY_RECORD] = {FT_BYTES, SIGNER_MAX_KEY_RECORD},
	[SIGNER_TAG_RECORD_VERSION] = {FT_U32, 4},
	[SIGNER_TAG_RESPONSE_DATA] = {FT_BYTES, SIGNER_MAX_RESPONSE_DATA},
	[SIGNER_TAG_BASIC_RESPONSE] = {FT_BYTES, SIGNER_MAX_BASIC_RESPONSE},
	[SIGNER_TAG_ISSUER_KEY_ID] = {FT_STR, 64},
	[SIGNER_TAG_OCSP_URL] = {FT_STR, 1024},
	[SIGNER_TAG_FRESHEST_CRL_URL] = {FT_STR, 1024},
	[SIGNER_TAG_DELTA_BASE] = {FT_U64, 8},
};

static const struct signer_schema request_schemas[] = {
	{SIGNER_OP_PING, {0}, {0}},
	/* TEMPLATES and MAX_VALIDITY_DAYS for a CA key, ISSUER_KEY_ID alone
	 * for an OCSP responder key (op_key_create refuses other mixes) */
	{SIGNER_OP_KEY_CREATE,
	 {SIGNER_TAG_ALGORITHM, 0},
	 {SIGNER_TAG_TEMPLATES, SIGNER_TAG_MAX_VALIDITY_DAYS, SIGNER_TAG_PATH_LENGTH,
	  SIGNER_TAG_NAME_RULES, SIGNER_TAG_ISSUER_KEY_ID, 0}},
	{SIGNER_OP_SELF_SIGN, {SIGNER_TAG_KEY_ID, SIGNER_TAG_SUBJECT, SIGNER_TAG_NOT_AFTER, 0}, {0}},
	{SIGNER_OP_ISSUE,
	 {SIGNER_TAG_KEY_ID, SIGNER_TAG_TEMPLATE, SIGNER_TAG_CSR, SIGNER_TAG_NOT_AFTER, 0},
	 {SIGNER_TAG_PATH_LENGTH, SIGNER_TAG_CRL_URL, SIGNER_TAG_AIA_URL, SIGNER_TAG_OCSP_URL,
	  SIGNER_TAG_FRESHEST_CRL_URL, 0}},
	{SIGNER_OP_CSR_CREATE, {SIGNER_TAG_KEY_ID, SIGNER_TAG_SUBJECT, 0}, {0}},
	{SIGNER_OP_CERT_INSTALL, {SIGNER_TAG_KEY_ID, SIGNER_TAG_CERTIFICATE, 0}, {0}},
	{SIGNER_OP_KEY_INFO, {SIGNER_TAG_KEY_ID, 0}, {0}},
	{SIGNER_OP_CRL_BEGIN,
	 {SIGNER_TAG_KEY_ID, SIGNER_TAG_CRL_NUMBER, SIGNER_TAG_THIS_UPDATE, SIGNER_TAG_NEXT_UPDATE,
	  SIGNER_TAG_ENTRIES_LENGTH, 0},
	 {SIGNER_TAG_FRESHEST_CRL_URL, SIGNER_TAG_DELTA_BASE, 0}},
	{SIGNER_OP_CRL_ENTRIES, {SIGNER_TAG_ENTRIES, 0}, {0}},
	{SIGNER_OP_CRL_FINISH, {0}, {0}},
	{SIGNER_OP_KEY_LOAD, {SIGNER_TAG_KEY_ID, SIGNER_TAG_KEY_RECORD, 0}, {0}},
	{SIGNER_OP_KEY_MIGRATE, {0}, {SIGNER_TAG_KEY_ID, 0}},
	{SIGNER_OP_OCSP_SIGN, {SIGNER_TAG_KEY_ID, SIGNER_TAG_RESPONSE_DATA, 0}, {0}},
	{SIGNER_OP_KEY_DESTROY, {SIGNER_TAG_KEY_ID, 0}, {SIGNER_TAG_KEY_RECORD, 0}},
};

const struct signer_schema signer_schema_error = {
	SIGNER_REPLY_ERROR, {SIGNER_TAG_ERROR_CODE, SIGNER_TAG_ERROR_MESSAGE, 0},
	{SIGNER_TAG_ERROR_TYPE, 0}};

const struct signer_schema *
signer_request_schema(uint8_t type)
{
	for (size_t i = 0; i < sizeof(request_schemas) / sizeof(request_schemas[0]); i++)
		if (request_schemas[i].type == type)
			return &request_schemas[i];
	return NULL;
}

static void
put_be16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t
get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void
signer_writer_init(struct signer_writer *w, uint8_t type)
{
	unsigned char hdr[SIGNER_HEADER_LEN] = {'E', 'S', SIGNER_PROTO_VERSION, type, 0, 0, 0, 0};

	memset(w, 0, sizeof(*w));
	if (buf_append(&w->b, hdr, sizeof(hdr)) != 0)
		w->failed = 1;
}

static void
put_field(struct signer_writer *w, uint16_t tag, const void *val, size_t len)
{
	unsigned char fh[6];

	if (w->failed)
		return;
	if (tag == 0 || tag > SIGNER_TAG_MAX_ || len > tag_defs[tag].max_len) {
		w->failed = 1;
		return;
	}
	put_be16(fh, tag);
	put_be32(fh + 2, (uint32_t)len);
	if (buf_append(&w->b, fh, sizeof(fh)) != 0 || buf_append(&w->b, val, len) != 0)
		w->failed = 1;
}

void
signer_put_u32(struct signer_writer *w, uint16_t tag, uint32_t v)
{
	unsigned char b[4];

	put_be32(b, v);
	put_field(w, tag, b, 4);
}

void
signer_put_u64(struct signer_writer *w, uint16_t tag, uint64_t v)
{
	unsigned char b[8];

	put_be32(b, (uint32_t)(v >> 32));
	put_be32(b + 4, (uint32_t)v);
	put_field(w, tag, b, 8);
}

void
signer_put_str(struct signer_writer *w, uint16_t tag, const char *s)
{
	put_field(w, tag, s, strlen(s));
}

void
signer_put_bytes(struct signer_writer *w, uint16_t tag, const unsigned char *p, size_t n)
{
	put_field(w, tag, p, n);
}

int
signer_writer_finish(struct signer_writer *w)
{
	size_t payload;

	if (w->failed || w->b.len < SIGNER_HEADER_LEN)
		return -1;
	payload = w->b.len - SIGNER_HEADER_LEN;
	if (payload > SIGNER_MAX_PAYLOAD)
		return -1;
	put_be32(w->b.data + 4, (uint32_t)payload);
	return 0;
}

void
signer_writer_free(struct signer_writer *w)
{
	buf_free(&w->b);
}

long
signer_header_check(const unsigned char hdr[SIGNER_HEADER_LEN], uint8_t *type)
{
	uint32_t len;

	if (hdr[0] != 'E' || hdr[1] != 'S' || hdr[2] != SIGNER_PROTO_VERSION)
		return -1;
	len = get_be32(hdr + 4);
	if (len > SIGNER_MAX_PAYLOAD)
		return -1;
	*type = hdr[3];
	return (long)len;
}

int
signer_msg_parse_payload(uint8_t type, unsigned char *payload, size_t len, struct signer_msg *m)
{
	size_t off = 0;

	memset(m, 0, sizeof(*m));
	m->type = type;
	m->payload = payload;
	while (off < len) {
		uint16_t tag;
		uint32_t flen;
		const struct tag_def *def;

		if (len - off < 6 || m->nfields == SIGNER_MAX_FIELDS)
			goto bad;
		tag = (uint16_t)(payload[off] << 8 | payload[off + 1]);
		flen = get_be32(payload + off + 2);
		off += 6;
		if (tag == 0 || tag > SIGNER_TAG_MAX_ || flen > len - off)
			goto bad;
		def = &tag_defs[tag];
		if ((def->type == FT_U32 && flen != 4) || (def->type == FT_U64 && flen != 8) ||
		    flen > def->max_len)
			goto bad;
		if (def->type == FT_STR && memchr(payload + off, '\0', flen) != NULL)
			goto bad;
		for (unsigned i = 0; i < m->nfields; i++)
			if (m->f[i].tag == tag)
				goto bad; /* duplicates are never meaningful */
		m->f[m->nfields].tag = tag;
		m->f[m->nfields].len = flen;
		m->f[m->nfields].val = payload + off;
		m->nfields++;
		off += flen;
	}
	return 0;
bad:
	signer_msg_free(m);
	return -1;
}

int
signer_msg_parse(const unsigned char *frame, size_t len, struct signer_msg *m)
{
	unsigned char *payload;
	uint8_t type;
	long plen;

	memset(m, 0, sizeof(*m));
	if (len < SIGNER_HEADER_LEN)
		return -1;
	plen = signer_header_check(frame, &type);
	if (plen < 0 || (size_t)plen != len - SIGNER_HEADER_LEN)
		return -1;
	payload = malloc((size_t)plen + 1);
	if (payload == NULL)
		return -1;
	memcpy(payload, frame + SIGNER_HEADER_LEN, (size_t)plen);
	return signer_msg_parse_payload(type, payload, (size_t)plen, m);
}

void
signer_msg_free(struct signer_msg *m)
{
	if (m == NULL)
		return;
	free(m->payload);
	memset(m, 0, sizeof(*m));
}

static bool
tag_in(const uint16_t *list, uint16_t tag)
{
	for (; *list; list++)
		if (*list == tag)
			return true;
	return false;
}

int
signer_msg_check(const struct signer_msg *m, const struct signer_schema *s)
{
	if (s == NULL || m->type != s->type)
		return -1;
	for (unsigned i = 0; i < m->nfields; i++)
		if (!tag_in(s->required, m->f[i].tag) && !tag_in(s->optional, m->f[i].tag))
			return -1;
	for (const uint16_t *t = s->required; *t; t++)
		if (signer_msg_get(m, *t) == NULL)
			return -1;
	return 0;
}

const struct signer_field *
signer_msg_get(const struct signer_msg *m, uint16_t tag)
{
	for (unsigned i = 0; i < m->nfields; i++)
		if (m->f[i].tag == tag)
			return &m->f[i];
	return NULL;
}

int
signer_get_u32(const struct signer_msg *m, uint16_t tag, uint32_t *v)
{
	const struct signer_field *f = signer_msg_get(m, tag);

	if (f == NULL || f->len != 4)
		return -1;
	*v = get_be32(f->val);
	return 0;
}

int
signer_get_u64(const struct signer_msg *m, uint16_t tag, uint64_t *v)
{
	const struct signer_field *f = signer_msg_get(m, tag);

	if (f == NULL || f->len != 8)
		return -1;
	*v = (uint64_t)get_be32(f->val) << 32 | get_be32(f->val + 4);
	return 0;
}

int
signer_get_str(const struct signer_msg *m, uint16_t tag, char *out, size_t n)
{
	const struct signer_field *f = signer_msg_get(m, tag);

	if (f == NULL || f->len >= n)
		return -1;
	memcpy(out, f->val, f->len);
	out[f->len] = '\0';
	return 0;
}

static int
read_full(int fd, unsigned char *p, size_t n, bool *eof_at_start)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = recv(fd, p + got, n - got, 0);
		if (r == 0) {
			if (got == 0 && eof_at_start != NULL)
				*eof_at_start = true;
			return -1;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

int
signer_read_msg(int fd, struct signer_msg *m)
{
	unsigned char hdr[SIGNER_HEADER_LEN], *payload = NULL;
	bool eof = false;
	uint8_t type;
	long plen;

	memset(m, 0, sizeof(*m));
	if (read_full(fd, hdr, sizeof(hdr), &eof) != 0)
		return eof ? 1 : -1;
	plen = signer_header_check(hdr, &type);
	if (plen < 0)
		return -1;
	payload = malloc((size_t)plen + 1);
	if (payload == NULL)
		return -1;
	if (read_full(fd, payload, (size_t)plen, NULL) != 0) {
		free(payload);
		return -1;
	}
	return signer_msg_parse_payload(type, payload, (size_t)plen, m);
}

int
signer_write_all(int fd, const unsigned char *p, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = send(fd, p + done, n - done, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += (size_t)w;
	}
	return 0;
}
