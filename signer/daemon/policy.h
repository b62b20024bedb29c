/* The issuance policy bound to each signer key at creation. The signer
 * checks every request against it; the server cannot change it. */
#ifndef EDGECA_SIGNER_POLICY_H
#define EDGECA_SIGNER_POLICY_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/error.h"
#include "common/name_rules.h"
#include "signer/proto/templates.h"

#define POLICY_MAX_VALIDITY_DAYS 36500

struct signer_policy {
	unsigned templates;          /* mask of enum tpl_id */
	uint32_t max_validity_days;  /* 1..POLICY_MAX_VALIDITY_DAYS */
	int32_t path_length;         /* -1: no constraint */
	/* What the leaf certificates of the key may name; NULL: anything.
	 * A key owns its own; keystore_create copies the one it is given. */
	struct name_rules *names;
	/* An OCSP responder key (signer/daemon/ocsp.h): the id of the CA key
	 * it answers for and that key's certificate, copied at creation and
	 * sealed with the policy; it signs OCSP responses of that CA and
	 * nothing else (templates 0). Empty and NULL for every other key. A
	 * key owns its certificate reference. */
	char ocsp_ca_key[33];
	X509 *ocsp_ca_cert;
};

/* A key of a CA made through the API: its policy names a template users
 * choose (the service CA's names only tls_server; a responder key none). */
bool policy_is_api_ca(const struct signer_policy *p);

/* Checks a policy given at key creation (or read from a record). */
edgeca_err policy_validate(const struct signer_policy *p, struct edgeca_msg *msg);

/* May this key (policy p, certificate issuer) sign a certificate of
 * template t valid until not_after, at time now? EDGECA_ERR_NOT_PERMITTED
 * with the reason when not. */
edgeca_err policy_check_issue(const struct signer_policy *p, const X509 *issuer,
                              const struct tpl_def *t, time_t not_after, time_t now,
                              struct edgeca_msg *msg);

/* Does cert, built for template t but not yet signed, name only what
 * the key's name rules allow? They bind the leaf templates users choose
 * (client, ssl): the subject's attribute types, its CN, and every DNS and
 * IP subjectAltName the signer wrote (the ssl template's CN among them).
 * EDGECA_ERR_NOT_PERMITTED, name-not-allowed, naming the first refused name. */
edgeca_err policy_check_names(const struct signer_policy *p, const struct tpl_def *t,
                              const X509 *cert, struct edgeca_msg *msg);

/* May this key (policy p, CA certificate cert, NULL when none) sign CRLs?
 * Only the key of a CA made through the API (never the service CA's,
 * whose set is tls_server alone), once it has its certificate, and only
 * when that certificate's keyUsage, if it has one, includes cRLSign. */
edgeca_err policy_check_crl(const struct signer_policy *p, const X509 *cert,
                            struct edgeca_msg *msg);

#endif
