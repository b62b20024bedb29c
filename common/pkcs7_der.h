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

#endif
