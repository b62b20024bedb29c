/* EST's csrattrs (RFC 7030 4.5): the CSR attributes a CA asks for, as
 * DER CsrAttrs: its key algorithm when it requires one, and the
 * challengePassword that carries the TLS channel binding when it requires
 * PoP linking. */
#include "model/est/est.h"

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "model/est/internal/est_internal.h"
#include "model/store/db.h"

/* DER tag-length-value of content into b. */
static int
der_tlv(struct buf *b, unsigned char tag, const struct buf *content)
{
	unsigned char head[6];
	size_t n = content->len, h = 0;

	head[h++] = tag;
	if (n < 0x80) {
		head[h++] = (unsigned char)n;
	} else if (n < 0x100) {
		head[h++] = 0x81;
		head[h++] = (unsigned char)n;
	} else {
		head[h++] = 0x82;
		head[h++] = (unsigned char)(n >> 8);
		head[h++] = (unsigned char)n;
	}
	return buf_append(b, head, h) != 0 || buf_append(b, content->data, n) != 0 ? -1 : 0;
}

static int
der_oid(struct buf *b, int nid)
{
	unsigned char *der = NULL;
	int n = i2d_ASN1_OBJECT(OBJ_nid2obj(nid), &der);
	int rc = n > 0 && buf_append(b, der, (size_t)n) == 0 ? 0 : -1;

	OPENSSL_free(der);
	return rc;
}

static int
der_int(struct buf *b, long v)
{
	ASN1_INTEGER *ai = ASN1_INTEGER_new();
	unsigned char *der = NULL;
	int n = ai && ASN1_INTEGER_set(ai, v) == 1 ? i2d_ASN1_INTEGER(ai, &der) : -1;
	int rc = n > 0 && buf_append(b, der, (size_t)n) == 0 ? 0 : -1;

	OPENSSL_free(der);
	ASN1_INTEGER_free(ai);
	return rc;
}

/* Attribute ::= SEQUENCE { type OID, values SET { value } } with value
 * an OID (curve) or an INTEGER (RSA modulus size). */
static int
der_attribute(struct buf *b, int type_nid, int value_nid, long value_int)
{
	struct buf value = {0}, set = {0}, seq = {0};
	int rc = -1;

	if ((value_nid ? der_oid(&value, value_nid) : der_int(&value, value_int)) != 0 ||
	    der_tlv(&set, 0x31, &value) != 0 || der_oid(&seq, type_nid) != 0 ||
	    buf_append(&seq, set.data, set.len) != 0 || der_tlv(b, 0x30, &seq) != 0)
		goto out;
	rc = 0;
out:
	buf_free(&value);
	buf_free(&set);
	buf_free(&seq);
	return rc;
}

/* CsrAttrs (RFC 7030 4.5.2) for a required key algorithm (alg, "" for
 * none): the key type with its curve or size, and the signature algorithm
 * to use; with pop, the challengePassword OID, which asks for the TLS
 * channel binding there (RFC 7030 3.5). */
static int
csrattrs_for_key(const char *alg, bool pop, unsigned char **der, size_t *len)
{
	struct buf items = {0}, out = {0};
	int rc = -1;

	if (alg[0] == '\0')
		rc = 0;
	else if (strcmp(alg, "EC-P256") == 0)
		rc = der_attribute(&items, NID_X9_62_id_ecPublicKey, NID_X9_62_prime256v1, 0) ||
		     der_oid(&items, NID_ecdsa_with_SHA256);
	else if (strcmp(alg, "EC-P384") == 0)
		rc = der_attribute(&items, NID_X9_62_id_ecPublicKey, NID_secp384r1, 0) ||
		     der_oid(&items, NID_ecdsa_with_SHA384);
	else if (strncmp(alg, "RSA-", 4) == 0)
		rc = der_attribute(&items, NID_rsaEncryption, 0, strtol(alg + 4, NULL, 10)) ||
		     der_oid(&items, NID_sha256WithRSAEncryption);
	if (rc == 0 && pop)
		rc = der_oid(&items, NID_pkcs9_challengePassword);
	if (rc == 0 && der_tlv(&out, 0x30, &items) == 0)
		*der = buf_take(&out, len);
	else
		rc = -1;
	buf_free(&items);
	buf_free(&out);
	return rc;
}

edgeca_err
est_csrattrs(struct edgeca_ctx *ctx, const struct est_target *t, unsigned char **der,
             size_t *len, struct edgeca_msg *msg)
{
	const struct ca_location *loc;
	struct ca *ca = NULL;
	edgeca_err rc;

	*der = NULL;
	*len = 0;
	rc = est_load_pooled(ctx, t, NULL, 0, NULL, &ca, &loc, msg);
	if (rc == EDGECA_OK && (ca->est.key_algorithm[0] != '\0' || ca->est.require_pop_linking) &&
	    csrattrs_for_key(ca->est.key_algorithm, ca->est.require_pop_linking, der, len) != 0)
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot encode the CSR attributes");
	ca_free(ca);
	return rc;
}
