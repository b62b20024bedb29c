/* OCSP requests: limits checked before anything is decoded, then the DER
 * walked strictly by hand (the CertIDs and the nonce stay pointers into
 * the request) and, as a second opinion, decoded by OpenSSL. */
#include <openssl/ocsp.h>
#include <stdio.h>
#include <string.h>

#include "common/der.h"
#include "model/ocsp/ocsp.h"

#define TAG_CTX0 0xa0
#define TAG_CTX1 0xa1
#define TAG_CTX2 0xa2

static const struct {
	int nid;
	size_t len;
	unsigned char oid[9];
	size_t oid_len;
} hashes[] = {
	{NID_sha1, 20, {0x2b, 0x0e, 0x03, 0x02, 0x1a}, 5},
	{NID_sha256, 32, {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01}, 9},
	{NID_sha384, 48, {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02}, 9},
	{NID_sha512, 64, {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03}, 9},
};
static const unsigned char nonce_oid[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x02};

/* A positive INTEGER's content as edgeca writes serials; "" when it is
 * negative or longer than 32 octets (no such serial is ever issued). */
static void
serial_hex(const unsigned char *v, size_t len, char out[SERIAL_HEX_MAX])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	out[0] = '\0';
	if (len == 0 || (v[0] & 0x80))
		return;
	while (len > 1 && v[0] == 0) {
		v++;
		len--;
	}
	if (len > 32)
		return;
	for (size_t i = 0; i < len; i++) {
		if (o > 0 || v[i] >> 4)
			out[o++] = hex[v[i] >> 4];
		out[o++] = hex[v[i] & 15];
	}
	out[o] = '\0';
}

/* CertID ::= SEQUENCE { hashAlgorithm, issuerNameHash, issuerKeyHash,
 * serialNumber }. An unknown hash algorithm is kept (hash_nid 0): the
 * request is well formed, the answer unauthorized. */
static int
parse_certid(const unsigned char *p, const unsigned char *end, struct ocsp_certid *id)
{
	const unsigned char *cid, *alg, *oid, *serial, *aend;
	size_t cid_len, alg_len, oid_len, serial_len;

	id->der = p;
	if (der_read(&p, end, DER_SEQUENCE, &cid, &cid_len) != 0)
		return -1;
	id->der_len = (size_t)(p - id->der);
	end = cid + cid_len;
	if (der_read(&cid, end, DER_SEQUENCE, &alg, &alg_len) != 0)
		return -1;
	aend = alg + alg_len;
	if (der_read(&alg, aend, DER_OID, &oid, &oid_len) != 0)
		return -1;
	if (alg != aend) { /* parameters: NULL only */
		const unsigned char *nul;
		size_t nul_len;
		if (der_read(&alg, aend, 0x05, &nul, &nul_len) != 0 || nul_len != 0 || alg != aend)
			return -1;
	}
	if (der_read(&cid, end, DER_OCTET_STRING, &id->name_hash, &id->name_hash_len) != 0 ||
	    der_read(&cid, end, DER_OCTET_STRING, &id->key_hash, &id->key_hash_len) != 0 ||
	    der_read(&cid, end, DER_INTEGER, &serial, &serial_len) != 0 || cid != end)
		return -1;
	id->hash_nid = 0;
	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
		if (oid_len == hashes[i].oid_len && memcmp(oid, hashes[i].oid, oid_len) == 0) {
			if (id->name_hash_len != hashes[i].len || id->key_hash_len != hashes[i].len)
				return -1;
			id->hash_nid = hashes[i].nid;
		}
	serial_hex(serial, serial_len, id->serial);
	return 0;
}

/* requestExtensions: the nonce is kept (RFC 8954: an OCTET STRING of
 * 1..32 octets); others are ignored. */
static int
parse_extensions(const unsigned char *p, const unsigned char *end, struct ocsp_request *out)
{
	const unsigned char *exts, *eend;
	size_t len;

	if (der_read(&p, end, DER_SEQUENCE, &exts, &len) != 0 || p != end)
		return -1;
	eend = exts + len;
	while (exts < eend) {
		const unsigned char *ext, *xend, *oid, *val, *inner, *in, *crit;
		size_t ext_len, oid_len, val_len, inner_len, crit_len;

		if (der_read(&exts, eend, DER_SEQUENCE, &ext, &ext_len) != 0)
			return -1;
		xend = ext + ext_len;
		if (der_read(&ext, xend, DER_OID, &oid, &oid_len) != 0 ||
		    (der_peek(ext, xend) == DER_BOOLEAN &&
		     der_read(&ext, xend, DER_BOOLEAN, &crit, &crit_len) != 0) ||
		    der_read(&ext, xend, DER_OCTET_STRING, &val, &val_len) != 0 || ext != xend)
			return -1;
		if (oid_len != sizeof(nonce_oid) || memcmp(oid, nonce_oid, oid_len) != 0)
			continue;
		in = val;
		if (out->has_nonce ||
		    der_read(&in, val + val_len, DER_OCTET_STRING, &inner, &inner_len) != 0 ||
		    in != val + val_len || inner_len < 1 || inner_len > OCSP_NONCE_MAX)
			return -1;
		out->has_nonce = true;
		memcpy(out->nonce_ext, val, val_len);
		out->nonce_ext_len = val_len;
	}
	return 0;
}

/* OCSPRequest ::= SEQUENCE { tbsRequest, optionalSignature [0] }
 * TBSRequest ::= SEQUENCE { version [0], requestorName [1], requestList,
 *                           requestExtensions [2] } */
static int
walk(const unsigned char *der, size_t len, struct ocsp_request *out)
{
	const unsigned char *p = der, *end = der + len, *req, *tbs, *list, *skip, *tend, *lend;
	size_t req_len, tbs_len, list_len, skip_len;

	if (der_read(&p, end, DER_SEQUENCE, &req, &req_len) != 0 || p != end)
		return -1;
	end = req + req_len;
	if (der_read(&req, end, DER_SEQUENCE, &tbs, &tbs_len) != 0 ||
	    (req != end && (der_read(&req, end, TAG_CTX0, &skip, &skip_len) != 0 || req != end)))
		return -1;
	tend = tbs + tbs_len;
	if ((der_peek(tbs, tend) == TAG_CTX0 && der_read(&tbs, tend, TAG_CTX0, &skip, &skip_len)) ||
	    (der_peek(tbs, tend) == TAG_CTX1 && der_read(&tbs, tend, TAG_CTX1, &skip, &skip_len)) ||
	    der_read(&tbs, tend, DER_SEQUENCE, &list, &list_len) != 0)
		return -1;
	if (tbs != tend) {
		if (der_read(&tbs, tend, TAG_CTX2, &skip, &skip_len) != 0 || tbs != tend ||
		    parse_extensions(skip, skip + skip_len, out) != 0)
			return -1;
	}
	lend = list + list_len;
	while (list < lend) {
		const unsigned char *one, *oend, *ext;
		size_t one_len, ext_len;

		if (out->n == OCSP_MAX_ENTRIES ||
		    der_read(&list, lend, DER_SEQUENCE, &one, &one_len) != 0)
			return -1;
		oend = one + one_len;
		if (der_element_size(one, oend) == 0 ||
		    parse_certid(one, one + der_element_size(one, oend), &out->ids[out->n]) != 0)
			return -1;
		one += der_element_size(one, oend);
		if (one != oend && (der_read(&one, oend, TAG_CTX0, &ext, &ext_len) != 0 || one != oend))
			return -1;
		out->n++;
	}
	return out->n == 0 ? -1 : 0;
}

enum ocsp_status
ocsp_request_parse(const unsigned char *der, size_t len, struct ocsp_request *out)
{
	const unsigned char *p = der;
	OCSP_REQUEST *req = NULL;
	enum ocsp_status st = OCSP_MALFORMED;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len > OCSP_REQUEST_MAX || !der_strict_structure(der, len) ||
	    walk(der, len, out) != 0)
		goto out;
	if ((req = d2i_OCSP_REQUEST(NULL, &p, (long)len)) == NULL || p != der + len ||
	    OCSP_request_onereq_count(req) != (int)out->n)
		goto out;
	st = OCSP_SUCCESSFUL;
out:
	OCSP_REQUEST_free(req);
	if (st != OCSP_SUCCESSFUL)
		memset(out, 0, sizeof(*out));
	return st;
}

bool
ocsp_request_single_certid(const unsigned char *der, size_t len, const unsigned char **certid,
                           size_t *certid_len)
{
	const unsigned char *p = der, *end = der + len, *req, *tbs, *list, *one, *cid;
	size_t req_len, tbs_len, list_len, one_len, cid_len;

	if (len > OCSP_REQUEST_MAX || der_read(&p, end, DER_SEQUENCE, &req, &req_len) != 0 ||
	    p != end)
		return false;
	end = req + req_len;
	if (der_read(&req, end, DER_SEQUENCE, &tbs, &tbs_len) != 0 || req != end)
		return false;
	end = tbs + tbs_len;
	if (der_read(&tbs, end, DER_SEQUENCE, &list, &list_len) != 0 || tbs != end)
		return false;
	end = list + list_len;
	if (der_read(&list, end, DER_SEQUENCE, &one, &one_len) != 0 || list != end)
		return false;
	end = one + one_len;
	*certid = one;
	if (der_read(&one, end, DER_SEQUENCE, &cid, &cid_len) != 0 || one != end)
		return false;
	*certid_len = (size_t)(one - *certid);
	return true;
}
