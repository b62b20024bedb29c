/* Small OpenSSL helpers shared by the signer and the server: names, serials,
 * key descriptions, DER/PEM conversion. Returned strings are malloc'ed. */
#ifndef EDGECA_COMMON_X509UTIL_H
#define EDGECA_COMMON_X509UTIL_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

#define SERIAL_HEX_MAX 65 /* 32 bytes as hex + NUL */

enum key_kind { KEY_KIND_UNSUPPORTED = 0, KEY_KIND_EC_P256, KEY_KIND_EC_P384, KEY_KIND_RSA };

struct key_desc {
	enum key_kind kind;
	int bits;
	char name[80];   /* "EC-P256", "RSA-2048", or a description of what it is */
};

/* Describes a public key. Never fails: unknown types get KEY_KIND_UNSUPPORTED
 * and a readable name such as "ED25519" or "EC secp256k1". */
void pkey_describe(const EVP_PKEY *pk, struct key_desc *out);

/* "CN=dev1,O=Example" (RFC 2253 order and escaping, UTF-8 kept). */
char *x509_name_string(const X509_NAME *name);

/* The UTF-8 common name and the number of CN attributes in name. cn is
 * NULL when there is none. Returns 0, or -1 when a CN cannot be decoded. */
int x509_name_common_name(const X509_NAME *name, char **cn, int *count);

/* Lower-case hex without leading zeros ("0" for zero); -1 on failure. */
int asn1_integer_hex(const ASN1_INTEGER *ai, char out[SERIAL_HEX_MAX]);

/* Canonicalises a serial given by a user: hex digits, optional colons,
 * any case, leading zeros dropped. Returns 0 or -1 when not hex. */
int serial_hex_normalize(const char *in, char out[SERIAL_HEX_MAX]);

/* DER of a certificate / parsing a whole DER buffer (no trailing bytes). */
int x509_der(const X509 *x, unsigned char **der, size_t *len);
X509 *x509_from_der(const unsigned char *der, size_t len);
char *x509_pem(const X509 *x);
/* Every certificate of a PEM text, in order (an empty stack when there is
 * none); NULL when out of memory. */
STACK_OF(X509) *x509_pem_certs(const char *text, size_t len);

/* The extensions a CA certificate signed elsewhere must carry before a
 * signer key takes it as its own (the server checks an upload with it, the
 * signer its install again): basicConstraints CA:TRUE and a keyUsage
 * extension with keyCertSign (`not-a-ca-certificate`), and a
 * subjectKeyIdentifier, which every certificate the key issues names as
 * its authorityKeyIdentifier (`ca-certificate-no-ski`). EDGECA_ERR_INVALID
 * with the reason in msg. */
edgeca_err x509_check_ca_extensions(X509 *cert, struct edgeca_msg *msg);

/* Subject alternative names as "DNS:name" / "IP:addr" / "URI:..." /
 * "email:..."; *out is a NULL-terminated malloc'ed array (free with
 * strv_free). */
int x509_san_strings(const X509 *x, char ***out);
/* The same for the subjectAltName in an extension list (a CSR's). */
int x509_exts_san_strings(const STACK_OF(X509_EXTENSION) *exts, char ***out);
void strv_free(char **v);

/* The number of UTF-8 code points of s (each invalid byte counts as one). */
size_t utf8_length(const char *s);
/* True when s is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
bool utf8_valid(const char *s);
/* True when s holds a character that does not show itself but changes
 * how the text around it shows: C0/C1 controls and DEL, Unicode's
 * default-ignorable code points (zero-width spaces and joiners, soft
 * hyphen, bidirectional marks, overrides and isolates, variation
 * selectors, byte-order mark, Hangul fillers, tags, ...), the line and
 * paragraph separators and the interlinear annotation characters. Every
 * name edgeca checks (token and CA names, subject fields, CSR subjects,
 * EST user names, query and path values) is refused with one. */
bool utf8_has_control(const char *s);
/* True when s begins or ends with white space (a space, a no-break
 * space, an ideographic space, ...): "req1 " would list as "req1". */
bool utf8_has_outer_space(const char *s);
/* Copies s into out (len bytes, len > 0) as one line of well-formed
 * UTF-8, for text stored or mailed: each invalid byte becomes '?', each
 * character utf8_has_control refuses a space; cut at a character boundary
 * when out is too small. */
void utf8_one_line(const char *s, char *out, size_t len);

#endif
