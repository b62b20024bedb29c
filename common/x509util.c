#include "common/x509util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/obj_mac.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

void
pkey_describe(const EVP_PKEY *pk, struct key_desc *out)
{
	char curve[64] = "";
	size_t curve_len = 0;

	memset(out, 0, sizeof(*out));
	if (pk == NULL) {
		snprintf(out->name, sizeof(out->name), "none");
		return;
	}
	out->bits = EVP_PKEY_get_bits(pk);
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		out->kind = KEY_KIND_RSA;
		snprintf(out->name, sizeof(out->name), "RSA-%d", out->bits);
		break;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, curve,
		                                   sizeof(curve), &curve_len) != 1)
			snprintf(curve, sizeof(curve), "explicit-parameters");
		if (strcmp(curve, "prime256v1") == 0 || strcmp(curve, "P-256") == 0) {
			out->kind = KEY_KIND_EC_P256;
			snprintf(out->name, sizeof(out->name), "EC-P256");
		} else if (strcmp(curve, "secp384r1") == 0 || strcmp(curve, "P-384") == 0) {
			out->kind = KEY_KIND_EC_P384;
			snprintf(out->name, sizeof(out->name), "EC-P384");
		} else {
			snprintf(out->name, sizeof(out->name), "EC %s", curve);
		}
		break;
	case EVP_PKEY_ED25519:
		snprintf(out->name, sizeof(out->name), "ED25519");
		break;
	case EVP_PKEY_ED448:
		snprintf(out->name, sizeof(out->name), "ED448");
		break;
	case EVP_PKEY_DSA:
		snprintf(out->name, sizeof(out->name), "DSA-%d", out->bits);
		break;
	default:
		snprintf(out->name, sizeof(out->name), "%s",
		         EVP_PKEY_get0_type_name(pk) ? EVP_PKEY_get0_type_name(pk) : "unknown");
		break;
	}
}

char *
x509_name_string(const X509_NAME *name)
{
	unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
	BIO *bio = NULL;
	char *out = NULL, *data;
	long n;

	bio = BIO_new(BIO_s_mem());
	if (bio == NULL)
		goto out;
	if (X509_NAME_print_ex(bio, name, 0, flags) < 0)
		goto out;
	n = BIO_get_mem_data(bio, &data);
	if (n < 0)
		goto out;
	out = strndup(data, (size_t)n);
out:
	BIO_free(bio);
	return out;
}

int
x509_name_common_name(const X509_NAME *name, char **cn, int *count)
{
	int idx = -1, n = 0, rc = -1;
	char *first = NULL;

	*cn = NULL;
	while ((idx = X509_NAME_get_index_by_NID(name, NID_commonName, idx)) >= 0) {
		n++;
		if (first == NULL) {
			const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, idx);
			unsigned char *utf8 = NULL;
			int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
			if (len < 0)
				goto out;
			first = strndup((char *)utf8, (size_t)len);
			/* An embedded NUL would make the CN mean two things. */
			if (first != NULL && strlen(first) != (size_t)len) {
				OPENSSL_free(utf8);
				goto out;
			}
			OPENSSL_free(utf8);
			if (first == NULL)
				goto out;
		}
	}
	*cn = first;
	first = NULL;
	*count = n;
	rc = 0;
out:
	free(first);
	return rc;
}

int
asn1_integer_hex(const ASN1_INTEGER *ai, char out[SERIAL_HEX_MAX])
{
	BIGNUM *bn = NULL;
	char *hex = NULL;
	int rc = -1;

	bn = ASN1_INTEGER_to_BN(ai, NULL);
	if (bn == NULL || BN_is_negative(bn))
		goto out;
	hex = BN_bn2hex(bn);
	if (hex == NULL || strlen(hex) >= SERIAL_HEX_MAX)
		goto out;
	if (serial_hex_normalize(hex, out) != 0)
		goto out;
	rc = 0;
out:
	OPENSSL_free(hex);
	BN_free(bn);
	return rc;
}

int
serial_hex_normalize(const char *in, char out[SERIAL_HEX_MAX])
{
	size_t o = 0;
	bool leading = true, digits = false;

	for (const char *p = in; *p; p++) {
		if (*p == ':')
			continue;
		if (!isxdigit((unsigned char)*p))
			return -1;
		digits = true;
		if (leading && *p == '0')
			continue;
		leading = false;
		if (o + 1 >= SERIAL_HEX_MAX)
			return -1;
		out[o++] = (char)tolower((unsigned char)*p);
	}
	if (!digits)
		return -1;
	if (o == 0)
		out[o++] = '0';
	out[o] = '\0';
	return 0;
}

int
x509_der(const X509 *x, unsigned char **der, size_t *len)
{
	unsigned char *p = NULL;
	int n = i2d_X509(x, &p);

	if (n <= 0)
		return -1;
	*der = p;
	*len = (size_t)n;
	return 0;
}

X509 *
x509_from_der(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x;

	if (len == 0 || len > 1024 * 1024)
		return NULL;
	x = d2i_X509(NULL, &p, (long)len);
	if (x != NULL && p != der + len) {
		X509_free(x);
		return NULL;
	}
	return x;
}

char *
x509_pem(const X509 *x)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *out = NULL, *data;
	long n;

	if (bio == NULL)
		return NULL;
	if (PEM_write_bio_X509(bio, (X509 *)x) == 1) {
		n = BIO_get_mem_data(bio, &data);
		if (n > 0)
			out = strndup(data, (size_t)n);
	}
	BIO_free(bio);
	return out;
}

static int
strv_push(char ***v, size_t *n, char *s)
{
	char **nv;

	if (s == NULL)
		return -1;
	nv = realloc(*v, (*n + 2) * sizeof(char *));
	if (nv == NULL) {
		free(s);
		return -1;
	}
	nv[(*n)++] = s;
	nv[*n] = NULL;
	*v = nv;
	return 0;
}

static char *
general_name_string(const GENERAL_NAME *gn)
{
	char ip[INET6_ADDRSTRLEN], *out = NULL;
	const ASN1_STRING *s;
	struct buf b = {0};

	switch (gn->type) {
	case GEN_DNS:
	case GEN_URI:
	case GEN_EMAIL:
		s = gn->type == GEN_DNS ? gn->d.dNSName
		    : gn->type == GEN_URI ? gn->d.uniformResourceIdentifier : gn->d.rfc822Name;
		if (buf_printf(&b, "%s:", gn->type == GEN_DNS ? "DNS" : gn->type == GEN_URI ? "URI" : "email") ||
		    buf_append(&b, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s)))
			goto out;
		break;
	case GEN_IPADD:
		s = gn->d.iPAddress;
		if (ASN1_STRING_length(s) == 4)
			inet_ntop(AF_INET, ASN1_STRING_get0_data(s), ip, sizeof(ip));
		else if (ASN1_STRING_length(s) == 16)
			inet_ntop(AF_INET6, ASN1_STRING_get0_data(s), ip, sizeof(ip));
		else
			snprintf(ip, sizeof(ip), "invalid");
		if (buf_printf(&b, "IP:%s", ip))
			goto out;
		break;
	default:
		if (buf_printf(&b, "other:%d", gn->type))
			goto out;
		break;
	}
	out = (char *)buf_take(&b, NULL);
out:
	buf_free(&b);
	return out;
}

int
x509_exts_san_strings(const STACK_OF(X509_EXTENSION) *exts, char ***out)
{
	GENERAL_NAMES *names = NULL;
	char **v = NULL;
	size_t n = 0;
	int crit = 0, rc = -1;

	v = calloc(1, sizeof(char *));
	if (v == NULL)
		goto out;
	names = exts ? X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL) : NULL;
	if (names == NULL && exts != NULL && crit != -1)
		goto out; /* present but not decodable */
	for (int i = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++)
		if (strv_push(&v, &n, general_name_string(sk_GENERAL_NAME_value(names, i))) != 0)
			goto out;
	*out = v;
	v = NULL;
	rc = 0;
out:
	GENERAL_NAMES_free(names);
	strv_free(v);
	return rc;
}

int
x509_san_strings(const X509 *x, char ***out)
{
	return x509_exts_san_strings(X509_get0_extensions(x), out);
}

void
strv_free(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

/* Decodes one UTF-8 sequence at p; returns its length (1 for an invalid
 * byte, which then counts as one character) and the code point. */
static size_t
utf8_next(const unsigned char *p, unsigned long *cp)
{
	size_t len;
	unsigned long v;

	if (*p < 0x80) {
		*cp = *p;
		return 1;
	}
	if ((*p & 0xE0) == 0xC0) {
		len = 2;
		v = *p & 0x1F;
	} else if ((*p & 0xF0) == 0xE0) {
		len = 3;
		v = *p & 0x0F;
	} else if ((*p & 0xF8) == 0xF0) {
		len = 4;
		v = *p & 0x07;
	} else {
		*cp = 0xFFFD;
		return 1;
	}
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80) {
			*cp = 0xFFFD;
			return 1;
		}
		v = v << 6 | (p[i] & 0x3F);
	}
	*cp = v;
	return len;
}

size_t
utf8_length(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;
	size_t n = 0;

	while (*p) {
		p += utf8_next(p, &cp);
		n++;
	}
	return n;
}

bool
utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;

	while (*p) {
		size_t n = utf8_next(p, &cp);
		if ((n == 1 && *p >= 0x80) || (n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
		    (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		p += n;
	}
	return true;
}

/* Characters that change how text around them shows without showing
 * themselves: C0, DEL and C1 controls; Unicode's default-ignorable code
 * points (soft hyphen, combining grapheme joiner, Hangul fillers,
 * zero-width spaces and joiners, bidirectional marks, embeddings,
 * overrides and isolates, invisible operators, variation selectors,
 * byte-order mark, shorthand format controls, musical formatting, tags);
 * the line and paragraph separators; and the interlinear annotation
 * characters. A name holding one can look like another name. */
static bool
cp_invisible(unsigned long cp)
{
	static const struct {
		unsigned long lo, hi;
	} ranges[] = {
		{0x0000, 0x001F},   {0x007F, 0x009F},   {0x00AD, 0x00AD},   {0x034F, 0x034F},
		{0x061C, 0x061C},   {0x115F, 0x1160},   {0x17B4, 0x17B5},   {0x180B, 0x180F},
		{0x200B, 0x200F},   {0x2028, 0x202E},   {0x2060, 0x206F},   {0x3164, 0x3164},
		{0xFE00, 0xFE0F},   {0xFEFF, 0xFEFF},   {0xFFA0, 0xFFA0},   {0xFFF0, 0xFFFB},
		{0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0000, 0xE0FFF},
	};

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (cp >= ranges[i].lo && cp <= ranges[i].hi)
			return true;
	return false;
}

/* Unicode White_Space outside the controls: what shows as blank. */
static bool
cp_space(unsigned long cp)
{
	return cp == 0x20 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
	       cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

bool
utf8_has_control(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;

	while (*p) {
		p += utf8_next(p, &cp);
		if (cp_invisible(cp))
			return true;
	}
	return false;
}

bool
utf8_has_outer_space(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp = 0;
	bool first = true;

	while (*p) {
		p += utf8_next(p, &cp);
		if (first && cp_space(cp))
			return true;
		first = false;
	}
	return !first && cp_space(cp);
}

void
utf8_one_line(const char *s, char *out, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;
	size_t o = 0;

	while (*p) {
		size_t n = utf8_next(p, &cp), w;
		bool bad = (n == 1 && *p >= 0x80) || (n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
		           (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		           (cp >= 0xD800 && cp <= 0xDFFF);
		bool blank = !bad && cp_invisible(cp);

		w = bad || blank ? 1 : n; /* a whole sequence becomes one '?' or ' ' */
		if (o + w >= len)
			break;
		if (bad)
			out[o] = '?';
		else if (blank)
			out[o] = ' ';
		else
			memcpy(out + o, p, n);
		o += w;
		p += n;
	}
	out[o] = '\0';
}

STACK_OF(X509) *
x509_pem_certs(const char *text, size_t len)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	BIO *bio = len > 0 ? BIO_new_mem_buf(text, (int)len) : NULL;
	X509 *x;

	while (sk != NULL && bio != NULL && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			sk_X509_pop_free(sk, X509_free);
			sk = NULL;
		}
	ERR_clear_error();
	BIO_free(bio);
	return sk;
}

edgeca_err
x509_check_ca_extensions(X509 *cert, struct edgeca_msg *msg)
{
	/* X509_get_key_usage reports every usage when keyUsage is absent:
	 * the extension's presence is checked on its own */
	const uint32_t flags = X509_get_extension_flags(cert);
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(cert);
	edgeca_err rc = EDGECA_OK;

	if ((flags & (EXFLAG_BCONS | EXFLAG_CA)) != (EXFLAG_BCONS | EXFLAG_CA))
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "not-a-ca-certificate",
		                 "the certificate is no CA certificate: basicConstraints CA:TRUE "
		                 "and keyUsage keyCertSign are required");
	else if (!(flags & EXFLAG_KUSAGE))
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "not-a-ca-certificate",
		                 "the certificate has no keyUsage extension: a CA certificate needs "
		                 "keyUsage with keyCertSign");
	else if (!(X509_get_key_usage(cert) & KU_KEY_CERT_SIGN))
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "not-a-ca-certificate",
		                 "the certificate's keyUsage does not include keyCertSign");
	else if (ski == NULL || ASN1_STRING_length(ski) <= 0)
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "ca-certificate-no-ski",
		                 "the CA certificate has no subjectKeyIdentifier extension, which "
		                 "the certificates it issues name as their authorityKeyIdentifier: "
		                 "sign it with subjectKeyIdentifier=hash");
	ERR_clear_error();
	return rc;
}
