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
#include "common/der.h"
#include "model/est/internal/est_internal.h"
#include "model/store/db.h"

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
	    der_append(&set, DER_SET, value.data, value.len) != 0 || der_oid(&seq, type_nid) != 0 ||
	    buf_append(&seq, set.data, set.len) != 0 ||
	    der_append(b, DER_SEQUENCE, seq.data, seq.len) != 0)
		goto out;
	rc = 0;
out:
	buf_free(&value);
	buf_free(&set);
	buf_free(&seq);
	return rc;
}

int
est_csrattrs_encode(const char *alg, bool pop, unsigned char **der, size_t *len)
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
	if (rc == 0 && der_append(&out, DER_SEQUENCE, items.data, items.len) == 0)
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
	    est_csrattrs_encode(ca->est.key_algorithm, ca->est.require_pop_linking, der, len) != 0)
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot encode the CSR attributes");
	ca_free(ca);
	return rc;
}
