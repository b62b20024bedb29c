/* Decoding and checking of PKCS#10 certificate signing requests. Used by
 * the server (to answer with a precise error) and by the signer (which
 * trusts nothing the server sends and checks every CSR again). */
#ifndef EDGECA_COMMON_CSR_H
#define EDGECA_COMMON_CSR_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

#define CSR_MAX_BYTES (32 * 1024)
#define CSR_CN_MAX_CHARS 64
#define CSR_MAX_SUBJECT_ATTRIBUTES 16

/* The DER of a CSR given as PEM (CERTIFICATE REQUEST or NEW CERTIFICATE
 * REQUEST) or as DER, without parsing it: the armour and the size are
 * checked here, the content by csr_decode_der (the signer does that for
 * every CSR it signs). *der is malloc'ed. */
edgeca_err csr_to_der(const unsigned char *data, size_t len, unsigned char **der,
                      size_t *der_len, struct edgeca_msg *msg);

/* Decodes a CSR given as PEM or as DER. Refuses trailing data, truncation
 * and non-CSR input with EDGECA_ERR_MALFORMED. */
edgeca_err csr_decode(const unsigned char *data, size_t len, X509_REQ **out,
                      struct edgeca_msg *msg);

/* Decodes DER only (the signer's wire carries DER). BER (indefinite or
 * non-minimal lengths, constructed strings) is refused like any other
 * malformed request: the bytes are checked, not OpenSSL's reading. */
edgeca_err csr_decode_der(const unsigned char *der, size_t len, X509_REQ **out,
                          struct edgeca_msg *msg);

/* Checks the public key (RSA 2048..8192 with an odd exponent >= 3, EC
 * P-256 or P-384 by a named curve), the signature algorithm (RSA PKCS#1
 * v1.5, RSASSA-PSS or ECDSA with SHA-256/384/512: MD5 and SHA-1 answer
 * csr-weak-signature) and the self-signature. */
edgeca_err csr_check_signature_and_key(X509_REQ *req, struct edgeca_msg *msg);

/* True when nid is a subject attribute type CSRs may carry: CN, C, ST, L,
 * O, OU, serialNumber, DC, UID, emailAddress, title, GN, SN, pseudonym,
 * dnQualifier, street, postalCode, organizationIdentifier. */
bool csr_subject_nid_known(int nid);

/* Checks the subject: when require_cn, exactly one CN of 1..64 characters
 * without control characters; every attribute a known type with a text
 * value of 1..64 characters (C: 2) without control or bidi characters. */
edgeca_err csr_check_subject(X509_REQ *req, bool require_cn, struct edgeca_msg *msg);

/* The CSR's requested extensions; *exts is NULL when it asks none.
 * EDGECA_ERR_MALFORMED when the extension request cannot be decoded. */
edgeca_err csr_extensions(X509_REQ *req, STACK_OF(X509_EXTENSION) **exts,
                          struct edgeca_msg *msg);

#endif
