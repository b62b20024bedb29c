#include "tests/support/pki.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/x509util.h"

X509 *
pem_cert(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	return x;
}

char *
cert_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *out = NULL;
	long n;

	if (b != NULL && PEM_write_bio_X509(b, x) == 1 && (n = BIO_get_mem_data(b, &data)) > 0)
		out = strndup(data, (size_t)n);
	BIO_free(b);
	return out;
}

STACK_OF(X509) *
pem_certs(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	STACK_OF(X509) *sk = sk_X509_new_null();
	X509 *x;

	while (b != NULL && sk != NULL && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		sk_X509_push(sk, x);
	ERR_clear_error();
	BIO_free(b);
	return sk;
}

char *
make_csr(const char *alg, const char *cn, const char *sans, EVP_PKEY **key_out)
{
	EVP_PKEY *key = NULL;
	X509_REQ *req = X509_REQ_new();
	STACK_OF(X509_EXTENSION) *exts = NULL;
	BIO *b = NULL;
	char *out = NULL, *data;
	long n;

	if (strcmp(alg, "EC-P256") == 0)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (strcmp(alg, "EC-P384") == 0)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	else if (strcmp(alg, "RSA-2048") == 0)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (key == NULL || req == NULL)
		goto out;
	if (cn != NULL &&
	    !X509_NAME_add_entry_by_NID(X509_REQ_get_subject_name(req), NID_commonName,
	                                MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0))
		goto out;
	if (sans != NULL) {
		X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, sans);
		exts = sk_X509_EXTENSION_new_null();
		if (ext == NULL || exts == NULL || !sk_X509_EXTENSION_push(exts, ext) ||
		    X509_REQ_add_extensions(req, exts) != 1)
			goto out;
	}
	if (X509_REQ_set_pubkey(req, key) != 1 || X509_REQ_sign(req, key, EVP_sha256()) <= 0)
		goto out;
	b = BIO_new(BIO_s_mem());
	if (b == NULL || PEM_write_bio_X509_REQ(b, req) != 1 || (n = BIO_get_mem_data(b, &data)) <= 0)
		goto out;
	out = strndup(data, (size_t)n);
	if (key_out != NULL) {
		*key_out = key;
		key = NULL;
	}
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	BIO_free(b);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	return out;
}

int
verify_chain(X509 *leaf, STACK_OF(X509) *untrusted, X509 *root)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc = -1;

	if (store == NULL || ctx == NULL || X509_STORE_add_cert(store, root) != 1 ||
	    X509_STORE_CTX_init(ctx, store, leaf, untrusted) != 1)
		goto out;
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_X509_STRICT);
	rc = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}

bool
has_eku(X509 *x, int nid)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	bool found = false;

	for (int i = 0; eku != NULL && i < sk_ASN1_OBJECT_num(eku); i++)
		if (OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == nid)
			found = true;
	EXTENDED_KEY_USAGE_free(eku);
	return found;
}

int
eku_count(X509 *x)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	int n = eku ? sk_ASN1_OBJECT_num(eku) : 0;

	EXTENDED_KEY_USAGE_free(eku);
	return n;
}

char *
san_string(X509 *x)
{
	struct buf b = {0};
	char **v = NULL;

	if (x509_san_strings(x, &v) != 0)
		return NULL;
	buf_append_str(&b, "");
	for (char **p = v; *p; p++)
		buf_printf(&b, "%s%s", p == v ? "" : ",", *p);
	strv_free(v);
	return (char *)buf_take(&b, NULL);
}

char *
subject_cn(X509 *x)
{
	char *cn = NULL;
	int n = 0;

	x509_name_common_name(X509_get_subject_name(x), &cn, &n);
	return cn;
}

bool
ext_critical(X509 *x, int nid)
{
	int idx = X509_get_ext_by_NID(x, nid, -1);

	return idx >= 0 && X509_EXTENSION_get_critical(X509_get_ext(x, idx)) == 1;
}

X509 *
pki_make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, bool ca,
              const char *eku, int days)
{
	static long serial = 1000;
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8, (const unsigned char *)cn,
	                           -1, -1, 0);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), __atomic_add_fetch(&serial, 1, __ATOMIC_SEQ_CST));
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	X509_set_pubkey(x, key);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400);
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
	                          ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage,
	                          ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_key_identifier, "hash");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (issuer != NULL) {
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid");
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	if (eku != NULL) {
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_ext_key_usage, eku);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	X509_NAME_free(name);
	if (X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) <= 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

bool
ext_has_url(X509 *x, int nid, const char *want)
{
	int idx = X509_get_ext_by_NID(x, nid, -1);
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;
	bool found;

	if (idx < 0) {
		BIO_free(b);
		return false;
	}
	X509V3_EXT_print(b, X509_get_ext(x, idx), 0, 0);
	n = BIO_get_mem_data(b, &data);
	found = memmem(data, (size_t)n, want, strlen(want)) != NULL;
	BIO_free(b);
	return found;
}

bool
serial_is(const ASN1_INTEGER *ai, const char *hex)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(ai, NULL);
	char *mine = bn ? BN_bn2hex(bn) : NULL;
	const char *a = mine, *b = hex;
	bool same;

	while (a != NULL && *a == '0' && a[1] != '\0')
		a++;
	while (*b == '0' && b[1] != '\0')
		b++;
	same = a != NULL && strcasecmp(a, b) == 0;
	OPENSSL_free(mine);
	BN_free(bn);
	return same;
}

char *
make_csr_subject(const char *subject, const char *sans, EVP_PKEY **key_out)
{
	EVP_PKEY *key = NULL;
	char *pem = make_csr("EC-P256", NULL, sans, &key), *out = NULL, *data;
	X509_NAME *name = X509_NAME_new();
	BIO *in = pem ? BIO_new_mem_buf(pem, -1) : NULL, *b = BIO_new(BIO_s_mem());
	X509_REQ *req = in ? PEM_read_bio_X509_REQ(in, NULL, NULL, NULL) : NULL;
	char buf[512], *save = NULL;
	long n;

	snprintf(buf, sizeof(buf), "%s", subject);
	for (char *a = strtok_r(buf, "/", &save); a != NULL; a = strtok_r(NULL, "/", &save)) {
		char *eq = strchr(a, '=');
		if (eq == NULL)
			goto out;
		*eq = '\0';
		if (!X509_NAME_add_entry_by_txt(name, a, MBSTRING_UTF8, (unsigned char *)eq + 1, -1,
		                                -1, 0))
			goto out;
	}
	if (req == NULL || b == NULL || X509_REQ_set_subject_name(req, name) != 1 ||
	    X509_REQ_sign(req, key, EVP_sha256()) <= 0 || PEM_write_bio_X509_REQ(b, req) != 1 ||
	    (n = BIO_get_mem_data(b, &data)) <= 0)
		goto out;
	out = strndup(data, (size_t)n);
	if (key_out != NULL) {
		*key_out = key;
		key = NULL;
	}
out:
	X509_REQ_free(req);
	X509_NAME_free(name);
	BIO_free(in);
	BIO_free(b);
	EVP_PKEY_free(key);
	free(pem);
	return out;
}

void
cert_first_url(X509 *x, int nid, char *out, size_t len)
{
	out[0] = '\0';
	if (nid == NID_crl_distribution_points) {
		STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(x, nid, NULL, NULL);
		DIST_POINT *dp = dps ? sk_DIST_POINT_value(dps, 0) : NULL;
		GENERAL_NAME *gn = dp && dp->distpoint ? sk_GENERAL_NAME_value(
		                                             dp->distpoint->name.fullname, 0)
		                                       : NULL;
		if (gn != NULL && gn->type == GEN_URI)
			snprintf(out, len, "%s",
			         (const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier));
		sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	} else {
		AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(x, NID_info_access, NULL, NULL);
		for (int i = 0; aia != NULL && i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
			ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
			if (OBJ_obj2nid(ad->method) == nid && ad->location->type == GEN_URI) {
				snprintf(out, len, "%s", (const char *)ASN1_STRING_get0_data(
				                             ad->location->d.uniformResourceIdentifier));
				break;
			}
		}
		AUTHORITY_INFO_ACCESS_free(aia);
	}
}
