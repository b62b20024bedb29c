/* EST enrollment and cacerts: the CA and location a request is for, who
 * the client is, what it may ask for, and the issuance through the one
 * path every certificate takes (cert_sign_and_store). */
#include "model/est/est.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/csr.h"
#include "common/encoding.h"
#include "common/log.h"
#include "common/x509util.h"
#include "model/ca/store.h"
#include "model/cert/issuance.h"
#include "model/est/internal/auth.h"
#include "model/est/internal/est_internal.h"
#include "model/est/internal/pop.h"
#include "model/est/internal/subject.h"
#include "model/store/db.h"
#include "signer/proto/templates.h"

static const struct db_stmt by_label_stmt = {
	STMT_EST_CA_BY_LABEL, "SELECT id FROM cas WHERE est_label = $1"};
static const struct db_stmt default_stmt = {
	STMT_EST_DEFAULT_CA, "SELECT id FROM cas WHERE est_default"};

/* Loads the CA and location a request is for; 404 for anything unknown
 * and for CAs that do not serve EST. */
edgeca_err
est_load(PGconn *c, const struct est_target *t, struct ca **ca,
         const struct ca_location **loc, struct edgeca_msg *msg)
{
	char id[UUID_TEXT_BYTES];
	edgeca_err rc;

	*ca = NULL;
	if (t->ca_id != NULL) {
		if ((rc = db_check_id(t->ca_id, "ca-not-found", "CA", msg)) != EDGECA_OK)
			return rc;
		snprintf(id, sizeof(id), "%s", t->ca_id);
	} else {
		struct db_param p[1] = {{t->label, 0, false}};
		PGresult *r = NULL;
		rc = t->label ? db_exec_prepared(c, &by_label_stmt, p, 1, &r, "find EST label", msg)
		              : db_exec_prepared(c, &default_stmt, NULL, 0, &r, "find EST default",
		                                 msg);
		if (rc == EDGECA_OK && PQntuples(r) != 1)
			rc = t->label ? edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "est-label-not-found",
			                            "no CA has the EST label \"%s\"", t->label)
			              : edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "est-label-not-found",
			                            "no CA is the EST default; use a CA's EST URL");
		if (rc == EDGECA_OK)
			snprintf(id, sizeof(id), "%s", db_get(r, 0, "id"));
		PQclear(r);
		if (rc != EDGECA_OK)
			return rc;
	}
	if ((rc = ca_store_load(c, id, ca, msg)) != EDGECA_OK)
		return rc;
	if (!(*ca)->est.enabled) {
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "est-disabled",
		                 "CA %s does not serve EST", id);
		goto fail;
	}
	*loc = ca_find_location(*ca, t->location);
	if (*loc == NULL) {
		rc = t->location ? edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "location-not-found",
		                               "CA %s has no location \"%s\"", id, t->location)
		                 : edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "location-not-found",
		                               "CA %s has no active location", id);
		goto fail;
	}
	/* a disabled CA still serves cacerts and csrattrs; load_on refuses
	 * its enrollments */
	if ((*loc)->status != LOCATION_ACTIVE ||
	    ((*ca)->status != CA_STATUS_ACTIVE && (*ca)->status != CA_STATUS_DISABLED)) {
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "location-not-active",
		                 "location \"%s\" of CA %s is not active (%s)", (*loc)->name, id,
		                 ca_location_status_name((*loc)->status));
		goto fail;
	}
	return EDGECA_OK;
fail:
	ca_free(*ca);
	*ca = NULL;
	return rc;
}

struct load_args {
	const struct est_target *t;
	const struct est_client *client;
	time_t now;
	struct est_identity *id;
	struct ca **ca;
	const struct ca_location **loc;
};

/* est_load, then the client's authentication when a client is given. */
static edgeca_err
load_on(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	struct load_args *a = arg;
	edgeca_err rc = est_load(c, a->t, a->ca, a->loc, msg);

	/* 403, the operator's decision: not 503 (not a passing state a
	 * client should retry soon) nor a 4xx that blames the request */
	if (rc == EDGECA_OK && a->client != NULL && (*a->ca)->status == CA_STATUS_DISABLED)
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "ca-disabled",
		                 "CA %s is disabled and issues no certificates", (*a->ca)->id);
	else if (rc == EDGECA_OK && a->client != NULL)
		rc = est_authenticate(c, *a->ca, a->client, a->now, a->id, msg);
	return rc;
}

edgeca_err
est_load_pooled(struct edgeca_ctx *ctx, const struct est_target *t,
                const struct est_client *client, time_t now, struct est_identity *id,
                struct ca **ca, const struct ca_location **loc, struct edgeca_msg *msg)
{
	struct load_args a = {t, client, now, id, ca, loc};

	*ca = NULL;
	return db_with(ctx->db, load_on, &a, msg);
}

edgeca_err
est_cacerts(struct edgeca_ctx *ctx, const struct est_target *t, unsigned char **der,
            size_t *len, struct edgeca_msg *msg)
{
	const struct ca_location *loc;
	struct ca *ca = NULL;
	edgeca_err rc;

	*der = NULL;
	if ((rc = est_load_pooled(ctx, t, NULL, 0, NULL, &ca, &loc, msg)) == EDGECA_OK)
		rc = ca_chain_pkcs7(loc, der, len, msg);
	ca_free(ca);
	return rc;
}

/* Sorted copies compare equal when both lists hold the same names. */
static int
strcmp_p(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
same_names(char **a, char **b)
{
	size_t na = 0, nb = 0;

	while (a[na])
		na++;
	while (b[nb])
		nb++;
	if (na != nb)
		return false;
	qsort(a, na, sizeof(char *), strcmp_p);
	qsort(b, nb, sizeof(char *), strcmp_p);
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

/* simplereenroll: the CSR keeps the subject and SANs of the certificate
 * being renewed (RFC 7030 4.2.2); the key may change. */
static edgeca_err
check_reenroll(X509_REQ *csr, const struct est_identity *id, struct edgeca_msg *msg)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	char **csr_sans = NULL, **cert_sans = NULL;
	edgeca_err rc;

	if (id->cert == NULL)
		return edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "est-reenroll-needs-certificate",
		                   "simplereenroll renews the client certificate presented, and "
		                   "none was");
	if (X509_NAME_cmp(X509_REQ_get_subject_name(csr), X509_get_subject_name(id->cert)) != 0)
		return edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "est-subject-mismatch",
		                   "the CSR's subject differs from the certificate being renewed");
	if ((rc = csr_extensions(csr, &exts, msg)) != EDGECA_OK)
		return rc;
	if (x509_exts_san_strings(exts, &csr_sans) != 0 ||
	    x509_san_strings(id->cert, &cert_sans) != 0)
		rc = edgeca_fail(msg, EDGECA_ERR_MALFORMED, "csr-malformed",
		                 "the subject alternative names cannot be read");
	else if (!same_names(csr_sans, cert_sans))
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "est-subject-mismatch",
		                 "the CSR's subject alternative names differ from the certificate "
		                 "being renewed");
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	strv_free(csr_sans);
	strv_free(cert_sans);
	return rc;
}

/* Applies the CA's subject rule and picks the template: the est template,
 * or iot_edge_ca for an Edge CA request. */
static edgeca_err
authorize(const struct ca *ca, X509_REQ *csr, bool reenroll, const struct est_identity *id,
          const struct tpl_def **tpl, struct edgeca_msg *msg)
{
	char *cn = NULL, want[CSR_CN_MAX_CHARS * 4 + sizeof(TPL_EDGE_CA_CN_PREFIX)];
	const size_t prefix = strlen(TPL_EDGE_CA_CN_PREFIX);
	bool edge;
	int count = 0;
	edgeca_err rc = EDGECA_OK;

	if (x509_name_common_name(X509_REQ_get_subject_name(csr), &cn, &count) != 0 || count > 1) {
		rc = edgeca_fail(msg, EDGECA_ERR_MALFORMED, "csr-invalid-subject",
		                 "the CSR's subject has an unreadable or repeated CN");
		goto out;
	}
	edge = cn != NULL && strncmp(cn, TPL_EDGE_CA_CN_PREFIX, prefix) == 0;
	*tpl = tpl_by_name(edge ? "iot_edge_ca" : ca->est.template);
	if (edge && !ca_allows_template(ca, "iot_edge_ca")) {
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "template-not-allowed",
		                 "the CSR asks for an IoT Edge CA certificate (CN \"%s...\"), which "
		                 "this CA's policy does not allow (template iot_edge_ca)",
		                 TPL_EDGE_CA_CN_PREFIX);
		goto out;
	}
	if (reenroll && edge) {
		/* the certificate being renewed is no CA (a CA certificate does
		 * not authenticate): an Edge CA is asked for with simpleenroll */
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "est-subject-mismatch",
		                 "simplereenroll renews the client certificate presented; an IoT Edge "
		                 "CA certificate is requested with simpleenroll");
		goto out;
	}
	if (reenroll) {
		rc = check_reenroll(csr, id, msg);
		goto out;
	}
	/* match_client_cert: a device gets certificates for its own ID only,
	 * naming nothing its certificate does not (est_subject_check).
	 * An Edge CA certificate (CA:TRUE) is only ever issued for the
	 * device's own ID, whatever the subject rule. */
	if (!edge && strcmp(ca->est.subject_policy, "any") == 0)
		goto out;
	if (id->cert == NULL || id->cn == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "est-subject-mismatch",
		                 "%s, and %s",
		                 edge ? "an IoT Edge CA certificate is issued only for the device ID in "
		                        "the CN of the client certificate"
		                      : "this CA issues over EST only for the CN of the client "
		                        "certificate (subject_policy match_client_cert)",
		                 id->cert ? "the client certificate has no CN"
		                          : "no client certificate was presented");
		goto out;
	}
	snprintf(want, sizeof(want), "%s%s", edge ? TPL_EDGE_CA_CN_PREFIX : "", id->cn);
	if (cn == NULL || strcmp(cn, want) != 0)
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "est-subject-mismatch",
		                 "the CSR's CN \"%.80s\" must be \"%.80s\": the CN of the client "
		                 "certificate%s",
		                 cn ? cn : "", want,
		                 edge ? " after the Edge CA prefix (an Edge CA certificate is issued "
		                        "only for the device's own ID)"
		                      : " (subject_policy match_client_cert)");
	else if (!edge)
		rc = est_subject_check(csr, id->cert, msg);
out:
	free(cn);
	return rc;
}

static edgeca_err
check_key(const struct ca *ca, X509_REQ *csr, struct edgeca_msg *msg)
{
	struct key_desc kd;

	if (ca->est.key_algorithm[0] == '\0')
		return EDGECA_OK;
	pkey_describe(X509_REQ_get0_pubkey(csr), &kd);
	ERR_clear_error();
	if (strcmp(kd.name, ca->est.key_algorithm) != 0)
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "csr-key-not-allowed",
		                   "this CA takes %s keys over EST; the CSR has %s (see csrattrs)",
		                   ca->est.key_algorithm, kd.name);
	return EDGECA_OK;
}

/* The line fail2ban-style tools match (docs/behaviour.md, "EST refusals in the log"): the client's
 * address first, the proxy it came through, the CA, then the reason. */
static void
log_refused(const struct ca *ca, const struct est_client *client, edgeca_err rc,
            const struct edgeca_msg *msg)
{
	log_info("est_enroll: refused (%s): client=%s%s%s ca=%s: %s", edgeca_msg_slug(msg, rc),
	         client->address ? client->address : "unknown",
	         client->proxy ? " via-trusted-proxy=" : "", client->proxy ? client->proxy : "",
	         ca ? ca->id : "unknown", msg ? msg->detail : "");
}

edgeca_err
est_enroll(struct edgeca_ctx *ctx, const struct est_target *t, bool reenroll,
           const struct est_client *client, const unsigned char *csr_der, size_t csr_len,
           struct certificate **out, struct edgeca_msg *msg)
{
	struct est_identity id = {0};
	const struct ca_location *loc;
	const struct tpl_def *tpl = NULL;
	struct ca *ca = NULL;
	X509_REQ *csr = NULL;
	time_t now = time(NULL), not_after;
	int days;
	edgeca_err rc;

	*out = NULL;
	/* the connection is back before the signer is asked: storing takes one again */
	rc = est_load_pooled(ctx, t, client, now, &id, &ca, &loc, msg);
	if (rc != EDGECA_OK)
		goto out;
	log_context_principal(id.actor); /* names the request in its log lines */
	/* The signer checks the CSR fully again before it signs. */
	if ((rc = csr_decode_der(csr_der, csr_len, &csr, msg)) != EDGECA_OK ||
	    (rc = est_pop_check(ca, csr, client, msg)) != EDGECA_OK ||
	    (rc = authorize(ca, csr, reenroll, &id, &tpl, msg)) != EDGECA_OK ||
	    (rc = check_key(ca, csr, msg)) != EDGECA_OK)
		goto out;
	if (loc->not_after <= now) {
		rc = edgeca_fail(msg, EDGECA_ERR_CONFLICT, "ca-expired",
		                 "the CA certificate of location %s has expired", loc->name);
		goto out;
	}
	/* The CA's EST validity, never beyond the issuing certificate. */
	days = ca->est.validity_days > 0 ? ca->est.validity_days : ca->max_validity_days;
	not_after = now + (time_t)days * 86400;
	if (not_after > loc->not_after)
		not_after = loc->not_after;
	rc = cert_sign_and_store(ctx, id.actor, "est", ca, loc, tpl, csr_der, csr_len, not_after,
	                         out, msg);
	if (rc == EDGECA_OK)
		log_info("est_enroll: ca=%s location=%s serial=%s cn=\"%s\" template=%s by %s%s",
		         ca->id, loc->name, (*out)->serial,
		         (*out)->common_name ? (*out)->common_name : "", tpl->name, id.actor,
		         reenroll ? " (reenroll)" : "");
out:
	if (rc != EDGECA_OK)
		log_refused(ca, client, rc, msg);
	X509_REQ_free(csr);
	est_identity_clear(&id);
	ca_free(ca);
	return rc;
}
