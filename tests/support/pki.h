/* OpenSSL helpers for the integration tests: parse PEM, make CSRs, verify
 * chains and inspect extensions the way a relying party would. */
#ifndef EDGECA_TEST_PKI_H
#define EDGECA_TEST_PKI_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>

X509 *pem_cert(const char *pem);
/* x as PEM (malloc'ed). */
char *cert_pem(X509 *x);
STACK_OF(X509) *pem_certs(const char *pem);

/* A PEM CSR for a new key of alg ("EC-P256", "EC-P384", "RSA-2048") with
 * CN cn (NULL: none) and, when sans is given, a subjectAltName extension
 * in openssl config syntax ("DNS:a,IP:10.0.0.1"). *key receives the key
 * when key is not NULL. */
char *make_csr(const char *alg, const char *cn, const char *sans, EVP_PKEY **key);

/* The same for an EC P-256 key with a whole subject in openssl's form
 * ("/C=US/O=Contoso/CN=dev2", in that order). */
char *make_csr_subject(const char *subject, const char *sans, EVP_PKEY **key);

/* X509_V_OK when leaf verifies up to root through untrusted, at now,
 * for any purpose. With crl, also checks revocation. */
int verify_chain(X509 *leaf, STACK_OF(X509) *untrusted, X509 *root);

bool has_eku(X509 *x, int nid);
int eku_count(X509 *x);
/* The SANs as one string "DNS:a,IP:1.2.3.4" (malloc'ed). */
char *san_string(X509 *x);
/* The subject CN (malloc'ed) or NULL. */
char *subject_cn(X509 *x);
/* True when the extension nid is present and marked critical. */
bool ext_critical(X509 *x, int nid);

/* Whether x's extension nid (e.g. NID_info_access) names the URL want. */
bool ext_has_url(X509 *x, int nid, const char *want);
/* The first URL of x's CRL distribution points (nid
 * NID_crl_distribution_points) or of its AIA entries of method nid
 * (NID_ad_ca_issuers, NID_ad_OCSP); "" when none. */
void cert_first_url(X509 *x, int nid, char *out, size_t len);
/* Whether ai is the serial hex names (any case, leading zeros or not). */
bool serial_is(const ASN1_INTEGER *ai, const char *hex);

/* A certificate for key with CN cn, signed by issuer/issuer_key
 * (self-signed when issuer is NULL), CA:TRUE when ca, extended key usage
 * eku (OpenSSL syntax, NULL for none), valid for days from a minute ago:
 * the factory CAs and devices the EST tests need. */
X509 *pki_make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, bool ca,
                    const char *eku, int days);

#endif
