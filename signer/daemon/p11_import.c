/* Adopting an existing CA key: its private and public halves become
 * objects of the PKCS#11 token (signer/daemon/p11.h), the private one
 * sensitive and not extractable from then on. */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "signer/daemon/internal/p11_token.h"

#define MAX_PART 512 /* bytes of one RSA-4096 number */
#define RSA_PARTS 8

/* A key's numbers and encodings as the token's attributes want them. */
struct import_parts {
	CK_KEY_TYPE type;
	unsigned char ec_params[16], point[2 + 1 + 2 * 48];
	size_t ec_params_len, point_len;
	unsigned char num[RSA_PARTS][MAX_PART]; /* RSA n e d p q dp dq qinv; EC d */
	size_t num_len[RSA_PARTS];
};

/* Big-endian bytes of the BIGNUM parameter name of pk, padded to pad. */
static int
part(EVP_PKEY *pk, const char *param, size_t pad, unsigned char *out, size_t *len)
{
	BIGNUM *bn = NULL;
	int l = -1;

	if (EVP_PKEY_get_bn_param(pk, param, &bn) == 1 && (size_t)BN_num_bytes(bn) <= MAX_PART)
		l = BN_bn2binpad(bn, out, pad > 0 ? (int)pad : BN_num_bytes(bn));
	BN_clear_free(bn);
	if (l <= 0)
		return -1;
	*len = (size_t)l;
	return 0;
}

static int
ec_parts(EVP_PKEY *pk, struct import_parts *ip)
{
	char group[32];
	unsigned char pub[1 + 2 * 48], *p = ip->ec_params;
	size_t pub_len = 0, n;
	int nid;
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	int rc = -1, l;

	if (os == NULL ||
	    EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
	                                   NULL) != 1)
		goto out;
	nid = OBJ_txt2nid(group);
	if (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1)
		goto out;
	n = nid == NID_secp384r1 ? 48 : 32;
	l = i2d_ASN1_OBJECT(OBJ_nid2obj(nid), NULL);
	if (l <= 0 || (size_t)l > sizeof(ip->ec_params) ||
	    i2d_ASN1_OBJECT(OBJ_nid2obj(nid), &p) != l)
		goto out;
	ip->ec_params_len = (size_t)l;
	if (EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub),
	                                    &pub_len) != 1 ||
	    ASN1_OCTET_STRING_set(os, pub, (int)pub_len) != 1)
		goto out;
	p = ip->point;
	l = i2d_ASN1_OCTET_STRING(os, NULL);
	if (l <= 0 || (size_t)l > sizeof(ip->point) || i2d_ASN1_OCTET_STRING(os, &p) != l)
		goto out;
	ip->point_len = (size_t)l;
	if (part(pk, OSSL_PKEY_PARAM_PRIV_KEY, n, ip->num[0], &ip->num_len[0]) != 0)
		goto out;
	ip->type = CKK_EC;
	rc = 0;
out:
	ASN1_OCTET_STRING_free(os);
	return rc;
}

static int
rsa_parts(EVP_PKEY *pk, struct import_parts *ip)
{
	static const char *const names[RSA_PARTS] = {
		OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,
		OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_FACTOR1,
		OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
		OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	};
	int bits = EVP_PKEY_get_bits(pk);

	if (bits != 2048 && bits != 3072 && bits != 4096)
		return -1;
	for (int i = 0; i < RSA_PARTS; i++)
		if (part(pk, names[i], 0, ip->num[i], &ip->num_len[i]) != 0)
			return -1;
	ip->type = CKK_RSA;
	return 0;
}

/* Creates the two objects; on failure neither stays. */
static CK_RV
create_objects(struct p11_token *t, CK_SESSION_HANDLE s, struct import_parts *ip,
               unsigned char id[P11_ID_LEN], const char *label, CK_OBJECT_HANDLE *pub,
               CK_OBJECT_HANDLE *priv)
{
	CK_OBJECT_CLASS pub_c = CKO_PUBLIC_KEY, priv_c = CKO_PRIVATE_KEY;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE pub_t[12] = {
		{CKA_CLASS, &pub_c, sizeof(pub_c)}, {CKA_KEY_TYPE, &ip->type, sizeof(ip->type)},
		{CKA_TOKEN, &yes, sizeof(yes)},     {CKA_VERIFY, &yes, sizeof(yes)},
		{CKA_ENCRYPT, &no, sizeof(no)},     {CKA_WRAP, &no, sizeof(no)},
		{CKA_ID, id, P11_ID_LEN},           {CKA_LABEL, (void *)label, strlen(label)},
	};
	CK_ATTRIBUTE priv_t[20] = {
		{CKA_CLASS, &priv_c, sizeof(priv_c)}, {CKA_KEY_TYPE, &ip->type, sizeof(ip->type)},
		{CKA_TOKEN, &yes, sizeof(yes)},       {CKA_PRIVATE, &yes, sizeof(yes)},
		{CKA_SENSITIVE, &yes, sizeof(yes)},   {CKA_SIGN, &yes, sizeof(yes)},
		{CKA_EXTRACTABLE, &no, sizeof(no)},   {CKA_DECRYPT, &no, sizeof(no)},
		{CKA_DERIVE, &no, sizeof(no)},        {CKA_UNWRAP, &no, sizeof(no)},
		{CKA_ID, id, P11_ID_LEN},             {CKA_LABEL, (void *)label, strlen(label)},
	};
	static const CK_ATTRIBUTE_TYPE rsa_types[RSA_PARTS] = {
		CKA_MODULUS,   CKA_PUBLIC_EXPONENT, CKA_PRIVATE_EXPONENT, CKA_PRIME_1,
		CKA_PRIME_2,   CKA_EXPONENT_1,      CKA_EXPONENT_2,       CKA_COEFFICIENT,
	};
	CK_ULONG n_pub = 8, n_priv = 12;
	CK_RV rv;

	if (ip->type == CKK_EC) {
		pub_t[n_pub++] = (CK_ATTRIBUTE){CKA_EC_PARAMS, ip->ec_params, ip->ec_params_len};
		pub_t[n_pub++] = (CK_ATTRIBUTE){CKA_EC_POINT, ip->point, ip->point_len};
		priv_t[n_priv++] = (CK_ATTRIBUTE){CKA_EC_PARAMS, ip->ec_params, ip->ec_params_len};
		priv_t[n_priv++] = (CK_ATTRIBUTE){CKA_VALUE, ip->num[0], ip->num_len[0]};
	} else {
		for (int i = 0; i < 2; i++)
			pub_t[n_pub++] = (CK_ATTRIBUTE){rsa_types[i], ip->num[i], ip->num_len[i]};
		for (int i = 0; i < RSA_PARTS; i++)
			priv_t[n_priv++] = (CK_ATTRIBUTE){rsa_types[i], ip->num[i], ip->num_len[i]};
	}
	*pub = *priv = CK_INVALID_HANDLE;
	rv = t->f->C_CreateObject(s, priv_t, n_priv, priv);
	if (rv == CKR_OK)
		rv = t->f->C_CreateObject(s, pub_t, n_pub, pub);
	if (rv != CKR_OK && *priv != CK_INVALID_HANDLE) {
		t->f->C_DestroyObject(s, *priv);
		*priv = CK_INVALID_HANDLE;
	}
	return rv;
}

edgeca_err
p11_import(struct p11_token *t, const char *key_id, EVP_PKEY *priv, EVP_PKEY **out,
           struct edgeca_msg *msg)
{
	unsigned char id[P11_ID_LEN];
	char label[64], name[24];
	struct import_parts *ip = NULL;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE pub_h, priv_h;
	edgeca_err rc;
	CK_RV rv = CKR_OK;

	*out = NULL;
	if ((rc = p11_parse_id(key_id, id, msg)) != EDGECA_OK)
		return rc;
	if ((ip = OPENSSL_secure_zalloc(sizeof(*ip))) == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	if (priv == NULL ||
	    (EVP_PKEY_get_base_id(priv) == EVP_PKEY_EC ? ec_parts(priv, ip)
	     : EVP_PKEY_get_base_id(priv) == EVP_PKEY_RSA ? rsa_parts(priv, ip) : -1) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, NULL,
		                 "only EC P-256, P-384 and RSA 2048, 3072, 4096 private keys can be "
		                 "imported");
		goto out;
	}
	snprintf(label, sizeof(label), "edgeca:%s", key_id);
	if ((rc = p11_take_for_new(t, id, key_id, &s, msg)) != EDGECA_OK)
		goto out;
	if ((rv = create_objects(t, s, ip, id, label, &pub_h, &priv_h)) != CKR_OK) {
		rc = edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, NULL,
		                 "token \"%s\" does not take the key %s: %s", t->label, key_id,
		                 p11_rv_name(rv, name));
		goto out;
	}
	if ((rc = p11_key_made(t, s, pub_h, priv_h, id, key_id, out, msg)) != EDGECA_OK)
		goto out;
	log_info("p11_import: token=%s: key=%s: imported", t->label, key_id);
out:
	if (s != CK_INVALID_HANDLE)
		p11_session_give(t, s, rv);
	OPENSSL_secure_clear_free(ip, sizeof(*ip));
	return rc;
}
