/* A little hand-written DER: the headers, times and strict reading that
 * CRLs need, where one OpenSSL object per revoked certificate would cost
 * more than the whole CRL. Writers and readers take plain byte ranges;
 * nothing here allocates but der_append, which grows a struct buf.
 * Shared by the signer and the server. */
#ifndef EDGECA_COMMON_DER_H
#define EDGECA_COMMON_DER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"

#define DER_SEQUENCE 0x30
#define DER_INTEGER 0x02
#define DER_BOOLEAN 0x01
#define DER_BIT_STRING 0x03
#define DER_OCTET_STRING 0x04
#define DER_OID 0x06
#define DER_SET 0x31
#define DER_ENUMERATED 0x0a
#define DER_UTC_TIME 0x17
#define DER_GENERALIZED_TIME 0x18
#define DER_CONTEXT_0 0xa0 /* [0], constructed */

/* Longest header written here: tag, 0x84 and four length octets. */
#define DER_MAX_HEADER 6
/* Longest time: GeneralizedTime with its header. */
#define DER_MAX_TIME 17
/* Times past 2038 (and RFC 5280's GeneralizedTime from 2050) need a
 * 64-bit time_t; a 32-bit build must use -D_TIME_BITS=64. */
_Static_assert(sizeof(time_t) >= 8, "edgeca needs a 64-bit time_t");

/* 1950-01-01T00:00:00Z and 9999-12-31T23:59:59Z: what the times here span. */
#define DER_TIME_MIN ((time_t)-631152000)
#define DER_TIME_MAX ((time_t)253402300799)

/* Writes a tag and the minimal length octets of len (< 2^32) into out;
 * returns the header's size. */
size_t der_header_put(unsigned char out[DER_MAX_HEADER], unsigned char tag, size_t len);
/* The size der_header_put would write. */
size_t der_header_size(size_t len);
/* Appends one element to b: tag, the minimal length octets of len and
 * the len bytes of content. Returns 0, or -1 when len is 2^32 or more or
 * b cannot grow. */
int der_append(struct buf *b, unsigned char tag, const unsigned char *content, size_t len);

/* t as RFC 5280 wants it in certificates and CRLs: UTCTime through 2049,
 * GeneralizedTime from 2050, always UTC with seconds. Returns the bytes
 * written (15 or 17), or 0 when t is outside DER_TIME_MIN..DER_TIME_MAX. */
size_t der_time_put(unsigned char out[DER_MAX_TIME], time_t t);
/* t as a GeneralizedTime whatever the year (e.g. invalidityDate). */
size_t der_generalized_time_put(unsigned char out[DER_MAX_TIME], time_t t);

/* A positive INTEGER holding v (v > 0) in minimal form; returns its size
 * (3..11 bytes). */
size_t der_uint64_put(unsigned char out[11], uint64_t v);

/* Reads one element at *p (before end) whose tag must be tag: a strict
 * DER header (definite, minimal length, at most four length octets) and
 * content that fits. On success *content and *len describe the content,
 * *p moves past the element and 0 is returned; -1 otherwise. */
int der_read(const unsigned char **p, const unsigned char *end, unsigned char tag,
             const unsigned char **content, size_t *len);
/* The tag of the element at p, or -1 when p == end. */
int der_peek(const unsigned char *p, const unsigned char *end);
/* The whole size (header and content) of the element at p when its
 * header is strict DER and it fits before end; 0 otherwise. */
size_t der_element_size(const unsigned char *p, const unsigned char *end);

/* Whether der is exactly one element whose structure is strict DER at
 * every level: one-byte tags (never tag 0), definite lengths in their
 * shortest form, constructed encodings only for SEQUENCE, SET and the
 * context and application classes (never for strings), walking into
 * every constructed element, nothing left over. The contents of
 * primitive elements are not interpreted. Nesting deeper than 32 levels
 * is refused. */
bool der_strict_structure(const unsigned char *der, size_t len);

/* Checks the content of a UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime
 * (YYYYMMDDHHMMSSZ) as RFC 5280 restricts them: UTC, seconds, no
 * fraction, a real calendar date. With rfc5280_years a GeneralizedTime
 * before 2050 is refused (it must then be a UTCTime). Stores the time in
 * *out when out is not NULL. Returns 0 or -1. */
int der_time_parse(unsigned char tag, const unsigned char *content, size_t len,
                   bool rfc5280_years, time_t *out);

#endif
