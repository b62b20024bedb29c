/* The signer's wire protocol, version 2 (see signer/PROTOCOL.md).
 * A frame is an 8-byte header (magic "ES", version, type, payload length)
 * and a payload of typed fields (tag, length, value). Lengths are checked
 * against hard maxima before anything is read or parsed; any malformed
 * frame ends the connection. Shared by the signer and its client. */
#ifndef EDGECA_SIGNER_PROTOCOL_H
#define EDGECA_SIGNER_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define SIGNER_PROTO_VERSION 2
#define SIGNER_HEADER_LEN 8
#define SIGNER_MAX_PAYLOAD (64 * 1024)
#define SIGNER_MAX_FIELDS 24
/* A signer key id as text (64 hex digits) and its NUL. */
#define SIGNER_KEY_ID_BYTES 65
#define SIGNER_MAX_CSR 32768
#define SIGNER_MAX_CERTIFICATE 32768
/* A CRL_ENTRIES request's entries, and the CRL parts the signer returns
 * (before the entries: headers, issuer, times; after: extensions and the
 * signature), well within a frame. */
#define SIGNER_MAX_CRL_ENTRIES 60000
/* The most bytes of entries one CRL may have (ENTRIES_LENGTH). */
#define SIGNER_MAX_CRL_ENTRIES_LENGTH ((uint64_t)512 * 1024 * 1024)
#define SIGNER_MAX_CRL_PART 40960
/* A sealed key record (signer/daemon/keyrecord.h). */
#define SIGNER_MAX_KEY_RECORD 49152
/* An OCSP ResponseData to sign, and the BasicOCSPResponse signed (with a
 * responder's certificate). */
#define SIGNER_MAX_RESPONSE_DATA 16384
#define SIGNER_MAX_BASIC_RESPONSE 53248

enum signer_type {
	/* requests */
	SIGNER_OP_PING = 0x01,
	SIGNER_OP_KEY_CREATE = 0x02,
	SIGNER_OP_SELF_SIGN = 0x03,
	SIGNER_OP_ISSUE = 0x04,
	SIGNER_OP_CSR_CREATE = 0x05,
	SIGNER_OP_CERT_INSTALL = 0x06,
	SIGNER_OP_KEY_INFO = 0x07,
	SIGNER_OP_CRL_BEGIN = 0x08,
	SIGNER_OP_CRL_ENTRIES = 0x09,
	SIGNER_OP_CRL_FINISH = 0x0a,
	SIGNER_OP_KEY_LOAD = 0x0b,
	SIGNER_OP_KEY_MIGRATE = 0x0c,
	SIGNER_OP_OCSP_SIGN = 0x0d,
	SIGNER_OP_KEY_DESTROY = 0x0e,
	/* replies */
	SIGNER_REPLY_OK = 0x80,
	SIGNER_REPLY_ERROR = 0x81,
};

enum signer_tag {
	SIGNER_TAG_KEY_ID = 1,
	SIGNER_TAG_ALGORITHM = 2,
	SIGNER_TAG_SUBJECT = 3,
	SIGNER_TAG_NOT_AFTER = 4,
	SIGNER_TAG_TEMPLATES = 5,
	SIGNER_TAG_MAX_VALIDITY_DAYS = 6,
	SIGNER_TAG_PATH_LENGTH = 7,
	SIGNER_TAG_CSR = 8,
	SIGNER_TAG_TEMPLATE = 9,
	SIGNER_TAG_CERTIFICATE = 10,
	SIGNER_TAG_PUBLIC_KEY = 11,
	SIGNER_TAG_ERROR_CODE = 12,
	SIGNER_TAG_ERROR_MESSAGE = 13,
	SIGNER_TAG_PROTOCOL_VERSION = 14,
	SIGNER_TAG_ERROR_TYPE = 15,
	SIGNER_TAG_CRL_URL = 16,
	SIGNER_TAG_AIA_URL = 17,
	SIGNER_TAG_SERIAL = 18,
	SIGNER_TAG_NOT_BEFORE = 19,
	SIGNER_TAG_SUBJECT_TEXT = 20,
	SIGNER_TAG_COMMON_NAME = 21,
	SIGNER_TAG_SANS = 22,
	SIGNER_TAG_CRL_NUMBER = 23,
	SIGNER_TAG_THIS_UPDATE = 24,
	SIGNER_TAG_NEXT_UPDATE = 25,
	SIGNER_TAG_ENTRIES_LENGTH = 26,
	SIGNER_TAG_ENTRIES = 27,
	SIGNER_TAG_CRL_PART = 28,
	SIGNER_TAG_NAME_RULES = 29,
	SIGNER_TAG_KEY_RECORD = 30,
	SIGNER_TAG_RECORD_VERSION = 31,
	SIGNER_TAG_RESPONSE_DATA = 32,
	SIGNER_TAG_BASIC_RESPONSE = 33,
	SIGNER_TAG_ISSUER_KEY_ID = 34,
	SIGNER_TAG_OCSP_URL = 35,
	SIGNER_TAG_FRESHEST_CRL_URL = 36,
	SIGNER_TAG_DELTA_BASE = 37,
	SIGNER_TAG_MAX_ = 37,
};

/* Error codes carried by SIGNER_REPLY_ERROR. */
enum signer_error {
	SIGNER_E_INVALID = 1,   /* the content is well-formed but unacceptable (weak key, ...) */
	SIGNER_E_POLICY = 2,    /* the key's policy forbids it */
	SIGNER_E_NOT_FOUND = 3, /* no such key */
	SIGNER_E_CONFLICT = 4,  /* state does not allow it (e.g. key already certified) */
	SIGNER_E_INTERNAL = 5,
	SIGNER_E_MALFORMED = 6, /* a CSR or name inside a valid frame cannot be parsed */
	SIGNER_E_TOO_LARGE = 7,
	SIGNER_E_RECORD_NEEDED = 8, /* load the key's record (KEY_LOAD), then ask again */
};

struct signer_field {
	uint16_t tag;
	uint32_t len;
	const unsigned char *val;
};

struct signer_msg {
	uint8_t type;
	unsigned nfields;
	struct signer_field f[SIGNER_MAX_FIELDS];
	unsigned char *payload; /* owned; fields point into it */
};

/* Which tags a message of a given type must and may carry. */
struct signer_schema {
	uint8_t type;
	uint16_t required[8]; /* 0-terminated */
	uint16_t optional[8]; /* 0-terminated */
};

/* The request schema of an operation, or NULL for unknown types. */
const struct signer_schema *signer_request_schema(uint8_t type);
extern const struct signer_schema signer_schema_error;

/* Builds one frame. Errors are sticky; signer_writer_finish reports them. */
struct signer_writer {
	struct buf b;
	int failed;
};

void signer_writer_init(struct signer_writer *w, uint8_t type);
void signer_put_u32(struct signer_writer *w, uint16_t tag, uint32_t v);
void signer_put_u64(struct signer_writer *w, uint16_t tag, uint64_t v);
void signer_put_str(struct signer_writer *w, uint16_t tag, const char *s);
void signer_put_bytes(struct signer_writer *w, uint16_t tag, const unsigned char *p, size_t n);
/* Returns 0 and the frame in w->b, or -1 (a field was invalid or the
 * frame is too large). */
int signer_writer_finish(struct signer_writer *w);
void signer_writer_free(struct signer_writer *w);

/* Parses a frame held in memory: header + payload. Takes ownership of
 * nothing; on success m->payload is a private copy. Returns 0 or -1. */
int signer_msg_parse(const unsigned char *frame, size_t len, struct signer_msg *m);
/* Validates the header alone; returns the payload length or -1. */
long signer_header_check(const unsigned char hdr[SIGNER_HEADER_LEN], uint8_t *type);
/* Parses a payload already read (takes ownership of payload). */
int signer_msg_parse_payload(uint8_t type, unsigned char *payload, size_t len,
                             struct signer_msg *m);
void signer_msg_free(struct signer_msg *m);

/* Returns 0 when m carries every required tag of s and nothing outside
 * required + optional. */
int signer_msg_check(const struct signer_msg *m, const struct signer_schema *s);

const struct signer_field *signer_msg_get(const struct signer_msg *m, uint16_t tag);
int signer_get_u32(const struct signer_msg *m, uint16_t tag, uint32_t *v);
int signer_get_u64(const struct signer_msg *m, uint16_t tag, uint64_t *v);
/* Copies a string field into a NUL-terminated buffer of size n. */
int signer_get_str(const struct signer_msg *m, uint16_t tag, char *out, size_t n);

/* Blocking socket I/O. signer_read_msg returns 0, 1 on clean EOF before
 * any byte, or -1 on error, timeout or malformed frame. */
int signer_read_msg(int fd, struct signer_msg *m);
int signer_write_all(int fd, const unsigned char *p, size_t n);

#endif
