/* Building and signing certificates inside the signer. The caller gives a
 * CSR (or, for a root, a subject), a template and a notAfter; everything
 * else (serial, extensions, issuer, notBefore) is decided here under the
 * key's policy. */
#ifndef EDGECA_SIGNER_ISSUE_H
#define EDGECA_SIGNER_ISSUE_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <time.h>

#include "common/error.h"
#include "signer/daemon/keystore.h"
#include "signer/proto/templates.h"

/* Seconds certificates are backdated, for devices whose clocks run late. */
#define ISSUE_BACKDATE_SECONDS 60

/* What a caller may choose of a certificate; everything else is decided
 * by the template and the key's policy. */
struct issue_params {
	const struct tpl_def *tpl;
	time_t not_after;
	long path_length;    /* CA templates: the constraint asked for; -1: the most allowed */
	const char *crl_url; /* CRL distribution point, or NULL */
	const char *aia_url; /* AIA caIssuers (the issuer's certificate), or NULL */
	const char *ocsp_url; /* AIA OCSP (the CA's responder), or NULL */
	const char *freshest_crl_url; /* Freshest CRL (the delta CRL's URL), or NULL */
};

/* Whether u may be written into a certificate or CRL as a URL: plain
 * http(s), at most 1,024 characters, no spaces, commas, quotes or
 * backslashes. */
bool issue_url_acceptable(const char *u);

/* Issues a certificate for req signed by key. Checks the CSR again
 * (signature, key type, subject) and the key's policy. */
edgeca_err issue_certificate(struct keystore *ks, struct signer_key *key,
                             const struct issue_params *ip, X509_REQ *req, time_t now,
                             X509 **out, struct edgeca_msg *msg);

/* A PKCS#10 request for the key's own public key with subject, signed by
 * the key: how a CA waiting for its certificate asks for one. Only for a
 * key without a certificate. */
edgeca_err issue_csr(struct keystore *ks, struct signer_key *key, X509_NAME *subject,
                     X509_REQ **out, struct edgeca_msg *msg);

/* Binds a CA certificate signed elsewhere to a key that has none: the
 * certificate must carry the key's public key, be a CA (basicConstraints
 * CA:TRUE, a keyUsage extension with keyCertSign), have a
 * subjectKeyIdentifier (x509_check_ca_extensions) and be valid now. */
edgeca_err issue_install_certificate(struct keystore *ks, struct signer_key *key, X509 *cert,
                                     time_t now, struct edgeca_msg *msg);

/* Self-signs the key's root CA certificate; allowed once per key. */
edgeca_err issue_self_signed(struct keystore *ks, struct signer_key *key,
                             X509_NAME *subject, time_t not_after, time_t now, X509 **out,
                             struct edgeca_msg *msg);

#endif
