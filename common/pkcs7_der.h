/* Certs-only PKCS#7 (RFC 5652 SignedData without signers, the "degenerate"
 * form EST and CA chain downloads use) written straight from the
 * certificates' DER: no certificate is parsed, which in OpenSSL 3.0 costs
 * a public-key decode each. */
#ifndef EDGECA_COMMON_PKCS7_DER_H
#define EDGECA_COMMON_PKCS7_DER_H

#include <stddef.h>

/* One DER element, borrowed. */
struct der_span {
	const unsigned char *der;
	size_t len;
};

/* The DER ContentInfo holding certs in their order (the first is the one
 * a client takes as its leaf), byte for byte what OpenSSL writes for the
 * same certificates. Every span must be exactly one strict-DER SEQUENCE;
 * n may be 0. Returns 0 with *out malloc'ed, or -1 (bad input, no
 * memory). */
int pkcs7_certs_only_der(const struct der_span *certs, size_t n, unsigned char **out,
                         size_t *out_len);

/* At most this many certificates in a PEM chain after the first. */
#define PKCS7_MAX_CHAIN_CERTS 32

/* The same for first (DER) followed by the CERTIFICATE blocks of
 * chain_pem (NULL or "" for none), whose DER goes in as it is stored,
 * without parsing a certificate: callers pass chains checked when they
 * were made or uploaded. Returns 0 with *out malloc'ed, or -1 (a block
 * that is not PEM, more than PKCS7_MAX_CHAIN_CERTS, no memory). */
int pkcs7_with_pem_chain(const unsigned char *first, size_t first_len, const char *chain_pem,
                         unsigned char **out, size_t *out_len);

#endif
