#include "common/crl_der.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/der.h"
#include "common/encoding.h"

/* OIDs of the two entry extensions, as DER contents: 2.5.29.21, 2.5.29.24 */
static const unsigned char oid_reason[] = {0x55, 0x1d, 0x15};
static const unsigned char oid_invalidity[] = {0x55, 0x1d, 0x18};

#define SERIAL_MAX_OCTETS 20

/* The serial's INTEGER content: positive, minimal, at most 20 octets. */
static size_t
serial_octets(const char *hex, unsigned char out[SERIAL_MAX_OCTETS + 1])
{
	size_t n = strnlen(hex, 41), i = 0, o = 0;
	unsigned char tmp[SERIAL_MAX_OCTETS];

	if (n == 0 || n > 40)
		return 0;
	for (size_t k = 0; k < n; k++)
		if (hex_value(hex[k]) < 0 || (hex[k] >= 'A' && hex[k] <= 'F'))
			return 0; /* serials travel in lower case only */
	while (i < n && hex[i] == '0')
		i++;
	if (i == n)
		return 0; /* zero is not a serial (RFC 5280 4.1.2.2: positive) */
	if ((n - i) % 2 == 1)
		tmp[o++] = (unsigned char)hex_value(hex[i++]);
	for (; i < n; i += 2)
		tmp[o++] = (unsigned char)(hex_value(hex[i]) << 4 | hex_value(hex[i + 1]));
	if (tmp[0] & 0x80) {
		if (o == SERIAL_MAX_OCTETS)
			return 0;
		out[0] = 0;
		memcpy(out + 1, tmp, o);
		return o + 1;
	}
	memcpy(out, tmp, o);
	return o;
}

static int
entry_append(struct buf *out, const char *serial_hex, time_t revoked_at, int reason,
             time_t invalidity_date, bool delta)
{
	unsigned char e[CRL_ENTRY_MAX], serial[SERIAL_MAX_OCTETS + 1], when[DER_MAX_TIME];
	unsigned char inval[DER_MAX_TIME];
	size_t slen, wlen, ilen = 0, ext_len = 0, content, off = 0;
	bool has_reason = reason > 0;

	if (serial_hex == NULL || (slen = serial_octets(serial_hex, serial)) == 0)
		return -1;
	if (reason < -1 || reason > CRL_REASON_MAX || reason == 7 || (reason == 8 && !delta))
		return -1;
	if (revoked_at < 0 || (wlen = der_time_put(when, revoked_at)) == 0)
		return -1;
	if (invalidity_date < 0 ||
	    (invalidity_date > 0 && (ilen = der_generalized_time_put(inval, invalidity_date)) == 0))
		return -1;
	/* Every part is short: all lengths below fit the one-octet form. */
	if (has_reason)
		ext_len += 2 + 10; /* SEQUENCE { OID, OCTET STRING { ENUMERATED } } */
	if (ilen > 0)
		ext_len += 2 + 5 + 2 + ilen;
	content = 2 + slen + wlen + (ext_len > 0 ? 2 + ext_len : 0);
	e[off++] = DER_SEQUENCE;
	e[off++] = (unsigned char)content;
	e[off++] = DER_INTEGER;
	e[off++] = (unsigned char)slen;
	memcpy(e + off, serial, slen);
	off += slen;
	memcpy(e + off, when, wlen);
	off += wlen;
	if (ext_len > 0) {
		e[off++] = DER_SEQUENCE;
		e[off++] = (unsigned char)ext_len;
	}
	if (has_reason) {
		const unsigned char ext[] = {DER_SEQUENCE, 10, DER_OID, 3, 0x55, 0x1d, 0x15,
		                             DER_OCTET_STRING, 3, DER_ENUMERATED, 1,
		                             (unsigned char)reason};
		memcpy(e + off, ext, sizeof(ext));
		off += sizeof(ext);
	}
	if (ilen > 0) {
		const unsigned char ext[] = {DER_SEQUENCE, (unsigned char)(5 + 2 + ilen), DER_OID, 3,
		                             0x55, 0x1d, 0x18, DER_OCTET_STRING, (unsigned char)ilen};
		memcpy(e + off, ext, sizeof(ext));
		off += sizeof(ext);
		memcpy(e + off, inval, ilen);
		off += ilen;
	}
	return buf_append(out, e, off);
}

int
crl_entry_append(struct buf *out, const char *serial_hex, time_t revoked_at, int reason,
                 time_t invalidity_date)
{
	return entry_append(out, serial_hex, revoked_at, reason, invalidity_date, false);
}

int
crl_delta_entry_append(struct buf *out, const char *serial_hex, time_t revoked_at, int reason,
                       time_t invalidity_date)
{
	return entry_append(out, serial_hex, revoked_at, reason, invalidity_date, true);
}

static bool
serial_acceptable(const unsigned char *c, size_t len)
{
	if (len == 0 || len > SERIAL_MAX_OCTETS || (c[0] & 0x80))
		return false; /* empty, too long or negative */
	if (len == 1)
		return c[0] != 0; /* zero */
	return !(c[0] == 0 && !(c[1] & 0x80)); /* a needless leading zero */
}

/* One Extension: reasonCode or invalidityDate, non-critical, its value
 * exactly one well-formed element. *seen collects which were met. */
static int
extension_check(const unsigned char *c, size_t len, bool delta, unsigned *seen)
{
	const unsigned char *p = c, *end = c + len, *oid, *val, *v, *inner;
	size_t oid_len, val_len, inner_len;
	unsigned bit;

	if (der_read(&p, end, DER_OID, &oid, &oid_len) != 0 || oid_len != 3)
		return -1;
	/* A critical flag (BOOLEAN) is refused: RFC 5280 makes both non-critical,
	 * and DER never writes the default FALSE. */
	if (der_read(&p, end, DER_OCTET_STRING, &val, &val_len) != 0 || p != end)
		return -1;
	v = val;
	if (memcmp(oid, oid_reason, 3) == 0) {
		bit = 1;
		if (der_read(&v, val + val_len, DER_ENUMERATED, &inner, &inner_len) != 0 ||
		    v != val + val_len || inner_len != 1 || inner[0] > CRL_REASON_MAX ||
		    inner[0] == 7 || (inner[0] == 8 && !delta) /* removeFromCRL: delta CRLs only */)
			return -1;
	} else if (memcmp(oid, oid_invalidity, 3) == 0) {
		bit = 2;
		if (der_read(&v, val + val_len, DER_GENERALIZED_TIME, &inner, &inner_len) != 0 ||
		    v != val + val_len ||
		    der_time_parse(DER_GENERALIZED_TIME, inner, inner_len, false, NULL) != 0)
			return -1;
	} else {
		return -1;
	}
	if (*seen & bit)
		return -1; /* the same extension twice */
	*seen |= bit;
	return 0;
}

static size_t
entry_check(const unsigned char *p, size_t len, bool delta)
{
	const unsigned char *start = p, *end = p + len, *c, *cend, *x, *xend, *ext;
	size_t clen, xlen, ext_len, vlen;
	const unsigned char *v;
	unsigned seen = 0;
	int tag;

	if (der_read(&p, end, DER_SEQUENCE, &c, &clen) != 0)
		return 0;
	cend = c + clen;
	if (der_read(&c, cend, DER_INTEGER, &v, &vlen) != 0 || !serial_acceptable(v, vlen))
		return 0;
	tag = der_peek(c, cend);
	if ((tag != DER_UTC_TIME && tag != DER_GENERALIZED_TIME) ||
	    der_read(&c, cend, (unsigned char)tag, &v, &vlen) != 0 ||
	    der_time_parse((unsigned char)tag, v, vlen, true, NULL) != 0)
		return 0;
	if (c < cend) {
		if (der_read(&c, cend, DER_SEQUENCE, &x, &xlen) != 0 || xlen == 0 || c != cend)
			return 0;
		xend = x + xlen;
		while (x < xend)
			if (der_read(&x, xend, DER_SEQUENCE, &ext, &ext_len) != 0 ||
			    extension_check(ext, ext_len, delta, &seen) != 0)
				return 0;
	}
	return (size_t)(p - start);
}

size_t
crl_entry_check(const unsigned char *p, size_t len)
{
	return entry_check(p, len, false);
}

size_t
crl_delta_entry_check(const unsigned char *p, size_t len)
{
	return entry_check(p, len, true);
}
