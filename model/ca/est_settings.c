/* A CA's EST settings: validation and defaults, bootstrap trust anchors,
 * the HTTP Basic credential (hashed here, never stored in clear), storage
 * and the audited update. */
#include <ctype.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/log.h"
#include "common/password.h"
#include "common/timeutil.h"
#include "model/ca/internal/ca_internal.h"
#include "model/ca/store.h"
#include "model/store/audit.h"
#include "model/store/db.h"
#include "signer/proto/templates.h"

#define EST_PASSWORD_MIN 12
#define EST_PASSWORD_MAX 256

void
ca_est_req_init(struct ca_est_req *r)
{
	memset(r, 0, sizeof(*r));
	r->enabled = -1;
	r->is_default = -1;
	r->validity_days = CA_FIELD_UNSET;
	r->n_anchors_pem = -1;
	r->require_pop_linking = -1;
}

static bool
label_valid(const char *s)
{
	static const char *const reserved[] = {"cacerts", "simpleenroll", "simplereenroll",
	                                       "csrattrs", "serverkeygen", "fullcmc", NULL};
	size_t n = strlen(s);

	if (n == 0 || n > EST_LABEL_MAX || !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
		return false;
	for (const char *p = s; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '.' ||
		      *p == '_' || *p == '-'))
			return false;
	for (int i = 0; reserved[i]; i++)
		if (strcmp(s, reserved[i]) == 0)
			return false;
	return true;
}

static bool
key_algorithm_valid(const char *s)
{
	static const char *const names[] = {"EC-P256", "EC-P384", "RSA-2048", "RSA-3072",
	                                    "RSA-4096", NULL};

	for (int i = 0; names[i]; i++)
		if (strcmp(s, names[i]) == 0)
			return true;
	return false;
}

static void
anchors_free(struct ca_est_anchor *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(a[i].subject);
		free(a[i].der);
	}
	free(a);
}

/* Adds x to the list unless a certificate with its digest is there. */
static edgeca_err
anchor_add(struct ca_est_anchor *list, size_t *n, X509 *x, time_t now, struct edgeca_msg *msg)
{
	unsigned char md[32];
	unsigned int md_len = 0;
	struct ca_est_anchor a = {0};
	edgeca_err rc;

	if (X509_check_ca(x) < 1)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "est.bootstrap_trust holds a certificate that is not a CA "
		                   "certificate (basicConstraints CA:TRUE): bootstrap certificates "
		                   "are trusted through the CA that issued them");
	if (X509_digest(x, EVP_sha256(), md, &md_len) != 1 || md_len != sizeof(md))
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot digest a certificate");
	hex_encode(md, sizeof(md), a.sha256);
	for (size_t i = 0; i < *n; i++)
		if (strcmp(list[i].sha256, a.sha256) == 0)
			return EDGECA_OK;
	if (*n == EST_MAX_ANCHORS)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "est.bootstrap_trust holds at most %d certificates", EST_MAX_ANCHORS);
	a.subject = x509_name_string(X509_get_subject_name(x));
	if (a.subject == NULL || x509_der(x, &a.der, &a.der_len) != 0)
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	else if (asn1_time_to_time_t(X509_get0_notAfter(x), &a.not_after) != 0 ||
	         a.not_after <= now)
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                 "est.bootstrap_trust holds an expired certificate (%s)", a.subject);
	else
		rc = EDGECA_OK;
	if (rc != EDGECA_OK) {
		free(a.subject);
		free(a.der);
		return rc;
	}
	list[(*n)++] = a;
	return EDGECA_OK;
}

/* Parses the PEM texts (each one or more certificates) into anchors. */
static edgeca_err
anchors_parse(const char *const *pems, size_t n_pems, time_t now, struct ca_est_anchor **out,
              size_t *n_out, struct edgeca_msg *msg)
{
	struct ca_est_anchor *list = calloc(EST_MAX_ANCHORS, sizeof(*list));
	size_t n = 0;
	edgeca_err rc = EDGECA_OK;

	if (list == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	for (size_t i = 0; i < n_pems && rc == EDGECA_OK; i++) {
		STACK_OF(X509) *certs = x509_pem_certs(pems[i], strlen(pems[i]));
		if (certs == NULL || sk_X509_num(certs) == 0)
			rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
			                 "est.bootstrap_trust[%zu] holds no PEM certificate", i);
		for (int k = 0; rc == EDGECA_OK && k < sk_X509_num(certs); k++)
			rc = anchor_add(list, &n, sk_X509_value(certs, k), now, msg);
		sk_X509_pop_free(certs, X509_free);
	}
	if (rc != EDGECA_OK) {
		anchors_free(list, n);
		return rc;
	}
	*out = list;
	*n_out = n;
	return EDGECA_OK;
}

static edgeca_err
resolve_basic(const struct ca_est_req *req, struct ca_est *est, struct edgeca_msg *msg)
{
	size_t pw_len;

	if (!req->has_basic_auth)
		return EDGECA_OK;
	free(est->basic_password_hash);
	est->basic_password_hash = NULL;
	est->basic_username[0] = '\0';
	if (req->basic_username == NULL)
		return EDGECA_OK;
	if (req->basic_username[0] == '\0' || utf8_length(req->basic_username) > EST_USERNAME_MAX ||
	    strchr(req->basic_username, ':') != NULL || utf8_has_control(req->basic_username))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "est.basic_auth.username must have 1 to %d characters, without "
		                   "colons or control characters", EST_USERNAME_MAX);
	pw_len = req->basic_password ? strlen(req->basic_password) : 0;
	if (pw_len < EST_PASSWORD_MIN || pw_len > EST_PASSWORD_MAX ||
	    utf8_has_control(req->basic_password))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "est.basic_auth.password must have %d to %d characters without "
		                   "control characters", EST_PASSWORD_MIN, EST_PASSWORD_MAX);
	snprintf(est->basic_username, sizeof(est->basic_username), "%s", req->basic_username);
	est->basic_password_hash = password_hash(req->basic_password);
	if (est->basic_password_hash == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot hash the password");
	return EDGECA_OK;
}

edgeca_err
ca_est_resolve(const struct ca_est_req *req, struct ca *ca, bool creating, time_t now,
               bool *anchors_given, struct edgeca_msg *msg)
{
	struct ca_est *est = &ca->est;
	const struct tpl_def *t;
	edgeca_err rc;

	*anchors_given = false;
	if (creating) {
		snprintf(est->template, sizeof(est->template), "client");
		snprintf(est->subject_policy, sizeof(est->subject_policy), "match_client_cert");
	}
	if (req->template != NULL) {
		t = tpl_by_name(req->template);
		if (t == NULL || !t->user_selectable || t->is_ca)
			return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
			                   "est.template must be client or ssl (Edge CA requests are "
			                   "recognised by their subject and use iot_edge_ca)");
		snprintf(est->template, sizeof(est->template), "%s", req->template);
	}
	/* A new CA serves EST when its policy allows the EST template. */
	if (req->enabled >= 0)
		est->enabled = req->enabled == 1;
	else if (creating)
		est->enabled = ca_allows_template(ca, est->template);
	if (est->enabled && !ca_allows_template(ca, est->template))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "est-template-not-allowed",
		                   "EST issues under template %s, which the CA's policy "
		                   "(issuance.allowed_templates) does not allow: add it there when "
		                   "creating the CA, or set est.template",
		                   est->template);
	if (req->label_null)
		est->label[0] = '\0';
	else if (req->label != NULL) {
		if (!label_valid(req->label))
			return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
			                   "est.label must be 1 to %d lower-case letters, digits, dots, "
			                   "dashes or underscores, and not an EST operation name",
			                   EST_LABEL_MAX);
		snprintf(est->label, sizeof(est->label), "%s", req->label);
	}
	if (req->is_default >= 0)
		est->is_default = req->is_default == 1;
	if (est->is_default && !est->enabled)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "est.default needs est.enabled");
	if (req->validity_days_null)
		est->validity_days = 0;
	else if (req->validity_days != CA_FIELD_UNSET) {
		if (req->validity_days < 1 || req->validity_days > ca->max_validity_days)
			return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
			                   "est.validity_days must be between 1 and the CA's "
			                   "issuance.max_validity_days (%d)", ca->max_validity_days);
		est->validity_days = (int)req->validity_days;
	}
	if (est->validity_days > ca->max_validity_days)
		est->validity_days = 0;
	if (req->subject_policy != NULL) {
		if (strcmp(req->subject_policy, "match_client_cert") != 0 &&
		    strcmp(req->subject_policy, "any") != 0)
			return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
			                   "est.subject_policy must be match_client_cert or any");
		snprintf(est->subject_policy, sizeof(est->subject_policy), "%s", req->subject_policy);
	}
	if (req->key_algorithm_null)
		est->key_algorithm[0] = '\0';
	else if (req->key_algorithm != NULL) {
		if (!key_algorithm_valid(req->key_algorithm))
			return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
			                   "est.key_algorithm must be EC-P256, EC-P384, RSA-2048, "
			                   "RSA-3072 or RSA-4096");
		snprintf(est->key_algorithm, sizeof(est->key_algorithm), "%s", req->key_algorithm);
	}
	if ((rc = resolve_basic(req, est, msg)) != EDGECA_OK)
		return rc;
	if (req->require_pop_linking >= 0)
		est->require_pop_linking = req->require_pop_linking == 1;
	if (req->has_anchors) {
		struct ca_est_anchor *list = NULL;
		size_t n = 0;
		if ((rc = anchors_parse(req->anchors_pem, req->n_anchors_pem > 0
		                                              ? (size_t)req->n_anchors_pem : 0,
		                        now, &list, &n, msg)) != EDGECA_OK)
			return rc;
		anchors_free(est->anchors, est->n_anchors);
		est->anchors = list;
		est->n_anchors = n;
		*anchors_given = true;
	}
	return EDGECA_OK;
}

edgeca_err
ca_est_store(PGconn *c, const struct ca *ca, bool anchors_given, struct edgeca_msg *msg)
{
	const struct ca_est *est = &ca->est;
	char days[16];
	struct db_param p[11];
	edgeca_err rc;

	snprintf(days, sizeof(days), "%d", est->validity_days);
	p[0] = (struct db_param){ca->id, 0, false};
	p[1] = (struct db_param){est->enabled ? "true" : "false", 0, false};
	p[2] = (struct db_param){est->label[0] ? est->label : NULL, 0, false};
	p[3] = (struct db_param){est->is_default ? "true" : "false", 0, false};
	p[4] = (struct db_param){est->template, 0, false};
	p[5] = (struct db_param){est->validity_days > 0 ? days : NULL, 0, false};
	p[6] = (struct db_param){est->subject_policy, 0, false};
	p[7] = (struct db_param){est->key_algorithm[0] ? est->key_algorithm : NULL, 0, false};
	p[8] = (struct db_param){est->basic_username[0] ? est->basic_username : NULL, 0, false};
	p[9] = (struct db_param){est->basic_password_hash, 0, false};
	p[10] = (struct db_param){est->require_pop_linking ? "true" : "false", 0, false};
	rc = db_exec(c, "UPDATE cas SET est_enabled = $2, est_label = $3, est_default = $4, "
	                "est_template = $5, est_validity_days = $6, est_subject_policy = $7, "
	                "est_key_algorithm = $8, est_basic_username = $9, "
	                "est_basic_password_hash = $10, est_require_pop_linking = $11 WHERE id = $1",
	             p, 11, NULL, "store EST settings", msg);
	if (rc == EDGECA_ERR_CONFLICT)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "est-label-taken",
		                   est->is_default ? "another CA is the EST default, or uses the label "
		                                     "\"%s\"; change that CA first"
		                                   : "another CA uses the EST label \"%s\"",
		                   est->label);
	if (rc != EDGECA_OK || !anchors_given)
		return rc;
	rc = db_exec(c, "DELETE FROM ca_est_anchors WHERE ca_id = $1", p, 1, NULL,
	             "replace EST anchors", msg);
	for (size_t i = 0; i < est->n_anchors && rc == EDGECA_OK; i++) {
		const struct ca_est_anchor *a = &est->anchors[i];
		char pos[24], na[32], digest[80];
		struct db_param ap[6];
		snprintf(pos, sizeof(pos), "%zu", i);
		snprintf(na, sizeof(na), "%lld", (long long)a->not_after);
		snprintf(digest, sizeof(digest), "\\x%s", a->sha256);
		ap[0] = (struct db_param){ca->id, 0, false};
		ap[1] = (struct db_param){digest, 0, false};
		ap[2] = (struct db_param){pos, 0, false};
		ap[3] = (struct db_param){a->subject, 0, false};
		ap[4] = (struct db_param){na, 0, false};
		ap[5] = (struct db_param){(const char *)a->der, (int)a->der_len, true};
		rc = db_exec(c, "INSERT INTO ca_est_anchors (ca_id, sha256, position, subject, "
		                "not_after, certificate_der) VALUES ($1, $2, $3, $4, to_timestamp($5), "
		                "$6)", ap, 6, NULL, "store EST anchor", msg);
	}
	return rc;
}
