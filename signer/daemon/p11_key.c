/* Keys in the PKCS#11 token (signer/daemon/p11.h): generation, import,
 * look-up by CKA_ID, and the EVP_PKEYs that sign through C_Sign.
 *
 * OpenSSL 3.0 as Debian 12 ships it has no PKCS#11 provider, so the keys
 * use the legacy method tables: an EC_KEY_METHOD whose signing is CKM_ECDSA
 * and an RSA_METHOD whose private encryption is CKM_RSA_PKCS (the
 * DigestInfo OpenSSL builds for PKCS#1 v1.5). Such "foreign" keys make
 * OpenSSL take its legacy code path for X509_sign and EVP_PKEY_sign. The
 * deprecated calls stay in this one file (OPENSSL_SUPPRESS_DEPRECATED). */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/log.h"
#include "signer/daemon/algorithms.h"
#include "signer/daemon/internal/p11_token.h"

/* What a token key's EC_KEY or RSA carries in its ex_data. */
struct p11_keyref {
	struct p11_token *t; /* held */
	unsigned char id[P11_ID_LEN];
	CK_OBJECT_HANDLE priv; /* under t->lock: found again after the token came back */
};

static int ec_index = -1, rsa_index = -1;
static pthread_once_t methods_once = PTHREAD_ONCE_INIT;

static void
keyref_free(struct p11_keyref *k)
{
	if (k == NULL)
		return;
	p11_token_release(k->t);
	free(k);
}

static void
keyref_free_cb(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	keyref_free(ptr);
}

/* Finds the object of class cls under id. Returns CKR_OK with *h, or
 * CK_INVALID_HANDLE when there is none. */
static CK_RV
find_object(struct p11_token *t, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls,
            const unsigned char id[P11_ID_LEN], CK_OBJECT_HANDLE *h)
{
	CK_ATTRIBUTE tmpl[] = {
		{CKA_CLASS, &cls, sizeof(cls)},
		{CKA_ID, (void *)id, P11_ID_LEN},
	};
	CK_ULONG n = 0;
	CK_RV rv;

	*h = CK_INVALID_HANDLE;
	rv = t->f->C_FindObjectsInit(s, tmpl, 2);
	if (rv != CKR_OK)
		return rv;
	rv = t->f->C_FindObjects(s, h, 1, &n);
	if (rv == CKR_OK && n == 0)
		*h = CK_INVALID_HANDLE;
	t->f->C_FindObjectsFinal(s);
	return rv;
}

/* Signs in through the token with mech, retrying once on a fresh session
 * (and the key found again) when the session or the key's handle was
 * lost. Returns 0, or -1 with nothing written that counts. */
static int
token_sign(struct p11_keyref *k, CK_MECHANISM_TYPE mech, const unsigned char *in,
           size_t in_len, unsigned char *sig, CK_ULONG *sig_len)
{
	CK_MECHANISM m = {mech, NULL, 0};
	struct p11_token *t = k->t;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE h;
	CK_ULONG cap = *sig_len;
	char name[24];
	CK_RV rv = CKR_OK;

	for (int attempt = 0; attempt < 2; attempt++) {
		pthread_mutex_lock(&t->lock);
		h = k->priv;
		pthread_mutex_unlock(&t->lock);
		if ((rv = p11_session_take(t, &s)) != CKR_OK)
			continue;
		if (attempt > 0 && (rv = find_object(t, s, CKO_PRIVATE_KEY, k->id, &h)) == CKR_OK) {
			rv = h == CK_INVALID_HANDLE ? CKR_KEY_HANDLE_INVALID : CKR_OK;
			pthread_mutex_lock(&t->lock);
			k->priv = h;
			pthread_mutex_unlock(&t->lock);
		}
		*sig_len = cap;
		if (rv == CKR_OK)
			rv = t->f->C_SignInit(s, &m, h);
		if (rv == CKR_OK)
			rv = t->f->C_Sign(s, (CK_BYTE *)in, in_len, sig, sig_len);
		p11_session_give(t, s, rv);
		if (rv == CKR_OK)
			return 0;
		if (!p11_rv_session_lost(rv) && rv != CKR_KEY_HANDLE_INVALID &&
		    rv != CKR_OBJECT_HANDLE_INVALID)
			break;
	}
	log_error("p11_sign: token=%s: C_Sign failed: %s", t->label, p11_rv_name(rv, name));
	return -1;
}

static ECDSA_SIG *
ec_sign_sig(const unsigned char *dgst, int dlen, const BIGNUM *kinv, const BIGNUM *r,
            EC_KEY *ec)
{
	struct p11_keyref *k = EC_KEY_get_ex_data(ec, ec_index);
	const EC_GROUP *g = EC_KEY_get0_group(ec);
	unsigned char raw[2 * 66];
	CK_ULONG raw_len = sizeof(raw);
	BIGNUM *br = NULL, *bs = NULL;
	ECDSA_SIG *sig = NULL;
	size_t n;

	if (k == NULL || g == NULL || dlen < 0)
		goto out;
	/* ECDSA uses the digest's leftmost bits up to the order's size */
	n = ((size_t)EC_GROUP_order_bits(g) + 7) / 8;
	if (token_sign(k, CKM_ECDSA, dgst, (size_t)dlen < n ? (size_t)dlen : n, raw, &raw_len) != 0 ||
	    raw_len != 2 * n)
		goto out;
	if ((br = BN_bin2bn(raw, (int)n, NULL)) == NULL ||
	    (bs = BN_bin2bn(raw + n, (int)n, NULL)) == NULL || (sig = ECDSA_SIG_new()) == NULL ||
	    ECDSA_SIG_set0(sig, br, bs) != 1) {
		ECDSA_SIG_free(sig);
		sig = NULL;
		goto out;
	}
	br = bs = NULL;
out:
	BN_free(br);
	BN_free(bs);
	if (sig == NULL)
		ERR_raise(ERR_LIB_EC, ERR_R_EC_LIB);
	return sig;
}

static int
ec_sign(int type, const unsigned char *dgst, int dlen, unsigned char *out, unsigned int *out_len,
        const BIGNUM *kinv, const BIGNUM *r, EC_KEY *ec)
{
	ECDSA_SIG *sig = ec_sign_sig(dgst, dlen, kinv, r, ec);
	int len = -1;

	*out_len = 0;
	if (sig != NULL)
		len = i2d_ECDSA_SIG(sig, &out);
	ECDSA_SIG_free(sig);
	if (len <= 0)
		return 0;
	*out_len = (unsigned int)len;
	return 1;
}

static int
rsa_priv_enc(int flen, const unsigned char *from, unsigned char *to, RSA *rsa, int padding)
{
	struct p11_keyref *k = RSA_get_ex_data(rsa, rsa_index);
	CK_ULONG len = (CK_ULONG)RSA_size(rsa);

	/* PKCS#1 v1.5 over the DigestInfo is all the signer asks for */
	if (k == NULL || padding != RSA_PKCS1_PADDING || flen < 0 ||
	    token_sign(k, CKM_RSA_PKCS, from, (size_t)flen, to, &len) != 0 ||
	    len != (CK_ULONG)RSA_size(rsa)) {
		ERR_raise(ERR_LIB_RSA, ERR_R_RSA_LIB);
		return -1;
	}
	return (int)len;
}

static int
rsa_priv_dec(int flen, const unsigned char *from, unsigned char *to, RSA *rsa, int padding)
{
	ERR_raise(ERR_LIB_RSA, ERR_R_OPERATION_FAIL);
	return -1; /* a CA key only signs */
}

/* The methods every token key shares, made once for the process (like
 * OpenSSL's own tables, never freed) with the ex_data indexes. */
static EC_KEY_METHOD *ec_meth;
static RSA_METHOD *rsa_meth;

static void
make_methods(void)
{
	int (*sign_setup)(EC_KEY *, BN_CTX *, BIGNUM **, BIGNUM **) = NULL;
	EC_KEY_METHOD *ec = EC_KEY_METHOD_new(EC_KEY_OpenSSL());
	RSA_METHOD *rsa = RSA_meth_dup(RSA_PKCS1_OpenSSL());

	ec_index = EC_KEY_get_ex_new_index(0, NULL, NULL, NULL, keyref_free_cb);
	rsa_index = RSA_get_ex_new_index(0, NULL, NULL, NULL, keyref_free_cb);
	if (ec == NULL || rsa == NULL || ec_index < 0 || rsa_index < 0)
		goto fail;
	EC_KEY_METHOD_get_sign(EC_KEY_OpenSSL(), NULL, &sign_setup, NULL);
	EC_KEY_METHOD_set_sign(ec, ec_sign, sign_setup, ec_sign_sig);
	if (RSA_meth_set1_name(rsa, "edgeca PKCS#11") != 1 ||
	    RSA_meth_set_priv_enc(rsa, rsa_priv_enc) != 1 ||
	    RSA_meth_set_priv_dec(rsa, rsa_priv_dec) != 1 ||
	    RSA_meth_set_flags(rsa, RSA_meth_get_flags(rsa) | RSA_FLAG_EXT_PKEY) != 1)
		goto fail;
	ec_meth = ec;
	rsa_meth = rsa;
	return;
fail:
	if (ec != NULL) /* EC_KEY_METHOD_free does not accept NULL */
		EC_KEY_METHOD_free(ec);
	RSA_meth_free(rsa);
}

static int
methods(void)
{
	return pthread_once(&methods_once, make_methods) == 0 && ec_meth != NULL ? 0 : -1;
}

edgeca_err
p11_parse_id(const char *key_id, unsigned char id[P11_ID_LEN], struct edgeca_msg *msg)
{
	size_t len = key_id == NULL ? 0 : strlen(key_id);

	for (size_t i = 0; i < len && len == 2 * P11_ID_LEN; i++)
		if (hex_value(key_id[i]) < 0 || (key_id[i] >= 'A' && key_id[i] <= 'F'))
			len = 0;
	if (len != 2 * P11_ID_LEN)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, NULL,
		                   "a key id is 32 lower-case hex digits");
	for (size_t i = 0; i < P11_ID_LEN; i++)
		id[i] = (unsigned char)(hex_value(key_id[2 * i]) << 4 | hex_value(key_id[2 * i + 1]));
	return EDGECA_OK;
}

/* Reads one attribute into a malloc'ed buffer. */
static CK_RV
read_attr(struct p11_token *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
          unsigned char **out, size_t *out_len)
{
	CK_ATTRIBUTE a = {type, NULL, 0};
	CK_RV rv = t->f->C_GetAttributeValue(s, h, &a, 1);

	*out = NULL;
	if (rv != CKR_OK)
		return rv;
	if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen == 0 ||
	    a.ulValueLen > 4096)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if ((a.pValue = *out = malloc(a.ulValueLen)) == NULL)
		return CKR_HOST_MEMORY;
	rv = t->f->C_GetAttributeValue(s, h, &a, 1);
	if (rv != CKR_OK) {
		free(*out);
		*out = NULL;
	}
	*out_len = a.ulValueLen;
	return rv;
}

int
p11_token_pkey(struct p11_token *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE pub, CK_OBJECT_HANDLE priv,
           const unsigned char id[P11_ID_LEN], EVP_PKEY **out)
{
	unsigned char *a = NULL, *b = NULL;
	const unsigned char *p;
	size_t a_len = 0, b_len = 0;
	CK_KEY_TYPE kt = 0;
	CK_ATTRIBUTE kta = {CKA_KEY_TYPE, &kt, sizeof(kt)};
	struct p11_keyref *k = calloc(1, sizeof(*k));
	ASN1_OBJECT *oid = NULL;
	ASN1_OCTET_STRING *point = NULL;
	EC_GROUP *g = NULL;
	EC_KEY *ec = NULL;
	RSA *rsa = NULL;
	BIGNUM *n = NULL, *e = NULL;
	EVP_PKEY *pk = EVP_PKEY_new();
	int rc = -1;

	*out = NULL;
	if (k == NULL || pk == NULL || methods() != 0 ||
	    t->f->C_GetAttributeValue(s, pub, &kta, 1) != CKR_OK)
		goto out;
	p11_token_hold(t);
	k->t = t;
	memcpy(k->id, id, P11_ID_LEN);
	k->priv = priv;
	if (kt == CKK_EC) {
		if (read_attr(t, s, pub, CKA_EC_PARAMS, &a, &a_len) != CKR_OK ||
		    read_attr(t, s, pub, CKA_EC_POINT, &b, &b_len) != CKR_OK ||
		    (p = a, oid = d2i_ASN1_OBJECT(NULL, &p, (long)a_len)) == NULL ||
		    (g = EC_GROUP_new_by_curve_name(OBJ_obj2nid(oid))) == NULL ||
		    (ec = EC_KEY_new()) == NULL || EC_KEY_set_method(ec, ec_meth) != 1 ||
		    EC_KEY_set_group(ec, g) != 1)
			goto out;
		/* CKA_EC_POINT is the DER OCTET STRING of the point (v2.20 on) */
		p = b;
		point = d2i_ASN1_OCTET_STRING(NULL, &p, (long)b_len);
		if (point == NULL || p != b + b_len ||
		    EC_KEY_oct2key(ec, point->data, (size_t)point->length, NULL) != 1)
			goto out;
		if (EC_KEY_set_ex_data(ec, ec_index, k) != 1)
			goto out;
		k = NULL;
		if (EVP_PKEY_assign_EC_KEY(pk, ec) != 1)
			goto out;
		ec = NULL;
	} else if (kt == CKK_RSA) {
		if (read_attr(t, s, pub, CKA_MODULUS, &a, &a_len) != CKR_OK ||
		    read_attr(t, s, pub, CKA_PUBLIC_EXPONENT, &b, &b_len) != CKR_OK ||
		    (n = BN_bin2bn(a, (int)a_len, NULL)) == NULL ||
		    (e = BN_bin2bn(b, (int)b_len, NULL)) == NULL || (rsa = RSA_new()) == NULL ||
		    RSA_set_method(rsa, rsa_meth) != 1 || RSA_set0_key(rsa, n, e, NULL) != 1)
			goto out;
		n = e = NULL;
		if (RSA_set_ex_data(rsa, rsa_index, k) != 1)
			goto out;
		k = NULL;
		if (EVP_PKEY_assign_RSA(pk, rsa) != 1)
			goto out;
		rsa = NULL;
	} else {
		goto out;
	}
	*out = pk;
	pk = NULL;
	rc = 0;
out:
	free(a);
	free(b);
	ASN1_OBJECT_free(oid);
	ASN1_OCTET_STRING_free(point);
	EC_GROUP_free(g);
	EC_KEY_free(ec);
	RSA_free(rsa);
	BN_free(n);
	BN_free(e);
	EVP_PKEY_free(pk);
	keyref_free(k);
	return rc;
}

edgeca_err
p11_take_for_new(struct p11_token *t, const unsigned char id[P11_ID_LEN], const char *key_id,
                 CK_SESSION_HANDLE *s, struct edgeca_msg *msg)
{
	CK_OBJECT_HANDLE h1, h2;
	char name[24];
	CK_RV rv;

	*s = CK_INVALID_HANDLE;
	if ((rv = p11_session_take(t, s)) != CKR_OK ||
	    (rv = find_object(t, *s, CKO_PRIVATE_KEY, id, &h1)) != CKR_OK ||
	    (rv = find_object(t, *s, CKO_PUBLIC_KEY, id, &h2)) != CKR_OK)
		return edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, NULL, "token \"%s\" cannot search: %s",
		                   t->label, p11_rv_name(rv, name));
	if (h1 != CK_INVALID_HANDLE || h2 != CK_INVALID_HANDLE)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, NULL,
		                   "token \"%s\" holds a key %s already", t->label, key_id);
	return EDGECA_OK;
}

edgeca_err
p11_key_made(struct p11_token *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE pub, CK_OBJECT_HANDLE priv,
             const unsigned char id[P11_ID_LEN], const char *key_id, EVP_PKEY **out,
             struct edgeca_msg *msg)
{
	if (p11_token_pkey(t, s, pub, priv, id, out) == 0)
		return EDGECA_OK;
	t->f->C_DestroyObject(s, pub);
	t->f->C_DestroyObject(s, priv);
	return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
	                   "cannot read back the key %s in token \"%s\"", key_id, t->label);
}

/* The DER OID of a named curve, as CKA_EC_PARAMS. */
static int
curve_params(int nid, unsigned char *der, size_t cap, size_t *len)
{
	ASN1_OBJECT *o = OBJ_nid2obj(nid);
	int l = o == NULL ? -1 : i2d_ASN1_OBJECT(o, NULL);
	unsigned char *p = der;

	if (l <= 0 || (size_t)l > cap || i2d_ASN1_OBJECT(o, &p) != l)
		return -1;
	*len = (size_t)l;
	return 0;
}

edgeca_err
p11_generate(struct p11_token *t, const char *key_id, const char *algorithm, EVP_PKEY **out,
             struct edgeca_msg *msg)
{
	const struct key_algorithm *alg = algorithm == NULL ? NULL : key_algorithm_find(algorithm);
	unsigned char id[P11_ID_LEN], ec_der[16], exponent[] = {1, 0, 1};
	char label[64], name[24];
	size_t ec_len = 0;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG bits = alg == NULL ? 0 : alg->bits;
	CK_MECHANISM m = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE pub = CK_INVALID_HANDLE, priv = CK_INVALID_HANDLE;
	edgeca_err rc;
	CK_RV rv = CKR_OK;

	*out = NULL;
	if ((rc = p11_parse_id(key_id, id, msg)) != EDGECA_OK)
		return rc;
	if (alg == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, NULL, "unknown key algorithm %s",
		                   algorithm == NULL ? "(none)" : algorithm);
	snprintf(label, sizeof(label), "edgeca:%s", key_id);
	CK_ATTRIBUTE pub_t[] = {
		{CKA_TOKEN, &yes, sizeof(yes)},    {CKA_VERIFY, &yes, sizeof(yes)},
		{CKA_ENCRYPT, &no, sizeof(no)},    {CKA_WRAP, &no, sizeof(no)},
		{CKA_ID, id, sizeof(id)},          {CKA_LABEL, label, strlen(label)},
		{CKA_MODULUS_BITS, &bits, sizeof(bits)},
		{CKA_PUBLIC_EXPONENT, exponent, sizeof(exponent)},
	};
	CK_ATTRIBUTE priv_t[] = {
		{CKA_TOKEN, &yes, sizeof(yes)},      {CKA_PRIVATE, &yes, sizeof(yes)},
		{CKA_SENSITIVE, &yes, sizeof(yes)},  {CKA_SIGN, &yes, sizeof(yes)},
		{CKA_EXTRACTABLE, &no, sizeof(no)},  {CKA_DECRYPT, &no, sizeof(no)},
		{CKA_DERIVE, &no, sizeof(no)},       {CKA_UNWRAP, &no, sizeof(no)},
		{CKA_ID, id, sizeof(id)},            {CKA_LABEL, label, strlen(label)},
	};
	CK_ULONG n_pub = sizeof(pub_t) / sizeof(pub_t[0]);
	if (strcmp(alg->type, "EC") == 0) {
		if (curve_params(OBJ_txt2nid(strcmp(alg->param, "P-256") == 0 ? "prime256v1"
		                                                               : "secp384r1"),
		                 ec_der, sizeof(ec_der), &ec_len) != 0)
			return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot encode the curve");
		m.mechanism = CKM_EC_KEY_PAIR_GEN;
		pub_t[6] = (CK_ATTRIBUTE){CKA_EC_PARAMS, ec_der, ec_len};
		n_pub = 7;
	}
	if ((rc = p11_take_for_new(t, id, key_id, &s, msg)) != EDGECA_OK)
		goto out;
	rv = t->f->C_GenerateKeyPair(s, &m, pub_t, n_pub, priv_t, sizeof(priv_t) / sizeof(priv_t[0]),
	                             &pub, &priv);
	if (rv != CKR_OK) {
		rc = edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, NULL,
		                 "token \"%s\" cannot generate a %s key: %s", t->label, algorithm,
		                 p11_rv_name(rv, name));
		goto out;
	}
	if ((rc = p11_key_made(t, s, pub, priv, id, key_id, out, msg)) != EDGECA_OK)
		goto out;
	log_info("p11_generate: token=%s: key=%s: %s generated", t->label, key_id, algorithm);
out:
	if (s != CK_INVALID_HANDLE)
		p11_session_give(t, s, rv);
	return rc;
}

edgeca_err
p11_find(struct p11_token *t, const char *key_id, EVP_PKEY **out, struct edgeca_msg *msg)
{
	unsigned char id[P11_ID_LEN];
	CK_BBOOL sensitive = CK_FALSE, extractable = CK_TRUE;
	CK_ATTRIBUTE flags[] = {
		{CKA_SENSITIVE, &sensitive, sizeof(sensitive)},
		{CKA_EXTRACTABLE, &extractable, sizeof(extractable)},
	};
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE pub, priv;
	char name[24];
	edgeca_err rc;
	CK_RV rv = CKR_OK;

	*out = NULL;
	if ((rc = p11_parse_id(key_id, id, msg)) != EDGECA_OK)
		return rc;
	if ((rv = p11_session_take(t, &s)) != CKR_OK ||
	    (rv = find_object(t, s, CKO_PRIVATE_KEY, id, &priv)) != CKR_OK ||
	    (rv = find_object(t, s, CKO_PUBLIC_KEY, id, &pub)) != CKR_OK) {
		rc = edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, NULL, "token \"%s\" cannot search: %s",
		                 t->label, p11_rv_name(rv, name));
		goto out;
	}
	if (priv == CK_INVALID_HANDLE || pub == CK_INVALID_HANDLE) {
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "key-not-found",
		                 "token \"%s\" holds no key pair %s", t->label, key_id);
		goto out;
	}
	if ((rv = t->f->C_GetAttributeValue(s, priv, flags, 2)) != CKR_OK ||
	    sensitive != CK_TRUE || extractable != CK_FALSE) {
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, NULL,
		                 "the key %s in token \"%s\" could leave it (it must be sensitive and "
		                 "not extractable)", key_id, t->label);
		rv = CKR_OK;
		goto out;
	}
	if (p11_token_pkey(t, s, pub, priv, id, out) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot read the key %s of token \"%s\"",
		                 key_id, t->label);
		goto out;
	}
	rc = EDGECA_OK;
out:
	if (s != CK_INVALID_HANDLE)
		p11_session_give(t, s, rv);
	return rc;
}

edgeca_err
p11_destroy(struct p11_token *t, const char *key_id, unsigned *destroyed, struct edgeca_msg *msg)
{
	static const CK_OBJECT_CLASS classes[] = {CKO_PRIVATE_KEY, CKO_PUBLIC_KEY};
	unsigned char id[P11_ID_LEN];
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE h;
	char name[24];
	edgeca_err rc;
	CK_RV rv = CKR_OK;

	*destroyed = 0;
	if ((rc = p11_parse_id(key_id, id, msg)) != EDGECA_OK)
		return rc;
	if ((rv = p11_session_take(t, &s)) != CKR_OK)
		goto fail;
	/* a token may hold more than one object of a class under one id */
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		for (unsigned n = 0; n < 64; n++) {
			if ((rv = find_object(t, s, classes[i], id, &h)) != CKR_OK)
				goto fail;
			if (h == CK_INVALID_HANDLE)
				break;
			if ((rv = t->f->C_DestroyObject(s, h)) != CKR_OK)
				goto fail;
			(*destroyed)++;
		}
	}
	rc = EDGECA_OK;
	goto out;
fail:
	rc = edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, NULL,
	                 "token \"%s\" cannot destroy the objects of key %s: %s", t->label, key_id,
	                 p11_rv_name(rv, name));
out:
	if (s != CK_INVALID_HANDLE)
		p11_session_give(t, s, rv);
	return rc;
}
