/* EST (RFC 7030) as the CA sees it: which CA location a request is for,
 * who the client is (client certificate checked against the current
 * database state, or HTTP Basic credentials), what it may get, and the
 * issuance itself, stored and audited like every other. No HTTP here:
 * api/est/est.c turns requests and answers into these calls. */
#ifndef EDGECA_MODEL_EST_H
#define EDGECA_MODEL_EST_H

#include <stdbool.h>
#include <stddef.h>

#include "model/cert/certificate.h"
#include "model/core/context.h"

#define EST_MAX_CHAIN 8

/* Which CA location: by id and location name, by label, or the default
 * CA (both NULL). The location of a label or the default is the CA's
 * first active one. */
struct est_target {
	const char *ca_id;
	const char *location;
	const char *label;
};

/* What the client presented. chain: the TLS client certificate chain as
 * DER, leaf first (from the TLS session, or the certificate a trusted
 * proxy forwarded). basic_*: HTTP Basic credentials, NULL when absent.
 * address: the client's IP address as text (through a trusted proxy, the
 * one it forwarded), proxy: that proxy's, NULL when direct. binding: the
 * TLS channel binding of the client's own connection (RFC 7030 3.5),
 * binding_type "tls-unique" (TLS 1.2) or "tls-exporter" (TLS 1.3);
 * binding_len 0 when there is none (through a proxy). */
struct est_client {
	const unsigned char *chain[EST_MAX_CHAIN];
	size_t chain_len[EST_MAX_CHAIN];
	size_t chain_n;
	const char *basic_user;
	const char *basic_password;
	const char *address;
	const char *proxy;
	const unsigned char *binding;
	size_t binding_len;
	const char *binding_type;
};

/* The CA certificates a client needs (the location's certificate and
 * every certificate above it) as a DER certs-only PKCS#7. */
edgeca_err est_cacerts(struct edgeca_ctx *ctx, const struct est_target *t, unsigned char **der,
                       size_t *len, struct edgeca_msg *msg);

/* The CSR attributes the CA asks for (DER CsrAttrs); *len 0 when it asks
 * for nothing in particular. */
edgeca_err est_csrattrs(struct edgeca_ctx *ctx, const struct est_target *t, unsigned char **der,
                        size_t *len, struct edgeca_msg *msg);

/* simpleenroll (reenroll false) or simplereenroll: authenticates the
 * client, applies the CA's subject rule and issues csr_der. Errors:
 * UNAUTHORIZED (no acceptable credentials), FORBIDDEN (authenticated but
 * not allowed), NOT_FOUND (no such CA, location or label, or EST off),
 * MALFORMED/INVALID (the CSR, its RFC 7030 3.5 channel binding included),
 * TOO_MANY (Basic credentials refused unchecked; msg->retry_after). */
edgeca_err est_enroll(struct edgeca_ctx *ctx, const struct est_target *t, bool reenroll,
                      const struct est_client *client, const unsigned char *csr_der,
                      size_t csr_len, struct certificate **out, struct edgeca_msg *msg);

#endif
