/* Delegated OCSP responders: for a CA key whose CA has
 * ocsp.delegated_responder on, a responder key in the signer (it signs
 * OCSP responses for that CA key and nothing else) with an
 * ocsp_responder certificate from the CA key (id-kp-OCSPSigning,
 * id-pkix-ocsp-nocheck, responder_validity_days). Made on the first
 * response that needs it, renewed by the scheduler when a third of its
 * life is left; one row per CA key in ocsp_responders, written under a
 * transaction-scoped advisory lock on the CA key so that two servers
 * never both make one. */
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "model/ocsp/ocsp.h"
#include "model/store/audit.h"

struct make_args {
	struct edgeca_ctx *ctx;
	const char *issuer_key_id;
	struct ocsp_responder *out;
};

/* The stored responder of the lock's CA key: *found false when none or
 * when it has a third of its life left or less (time to renew). */
static edgeca_err
read_current(PGconn *c, const char *issuer_key_id, struct ocsp_responder *out, bool *found,
             struct edgeca_msg *msg)
{
	struct db_param p[1] = {{issuer_key_id, 0, false}};
	unsigned char *der = NULL;
	size_t len = 0;
	PGresult *r = NULL;
	edgeca_err rc;

	*found = false;
	rc = db_exec(c, "SELECT signer_key_id, certificate_der, "
	                "extract(epoch FROM not_after - (not_after - not_before) / 3)::bigint "
	                "AS fresh_until, "
	                "now() < not_after - (not_after - not_before) / 3 AS fresh "
	                "FROM ocsp_responders WHERE issuer_key_id = $1",
	             p, 1, &r, "read the OCSP responder", msg);
	if (rc != EDGECA_OK || PQntuples(r) != 1 || strcmp(db_get(r, 0, "fresh"), "t") != 0)
		goto out;
	if (db_get_bytea(r, 0, "certificate_der", &der, &len) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot read a responder certificate");
		goto out;
	}
	{
		const unsigned char *q = der;
		X509 *x = d2i_X509(NULL, &q, (long)len);
		const ASN1_BIT_STRING *pk = x ? X509_get0_pubkey_bitstr(x) : NULL;
		if (pk != NULL) {
			SHA1(pk->data, (size_t)pk->length, out->sha1_key);
			snprintf(out->key_id, sizeof(out->key_id), "%s", db_get(r, 0, "signer_key_id"));
			out->fresh_until = (time_t)db_get_ll(r, 0, "fresh_until");
			*found = true;
		}
		X509_free(x);
	}
out:
	free(der);
	PQclear(r);
	return rc;
}

/* The responder certificate's subject: the CA's, with "OCSP Responder"
 * as its common name. */
static int
responder_subject(PGconn *c, const char *ca_id, unsigned char **der, int *len, char *alg,
                  size_t alg_len, char *days, size_t days_len)
{
	struct db_param p[1] = {{ca_id, 0, false}};
	struct edgeca_msg msg = {0};
	X509_NAME *name = X509_NAME_new();
	PGresult *r = NULL;
	char cn[64];
	int rc = -1;

	if (name == NULL || db_exec(c, "SELECT common_name, key_algorithm, "
	                               "ocsp_responder_validity_days FROM cas WHERE id = $1",
	                            p, 1, &r, "read the CA", &msg) != EDGECA_OK ||
	    PQntuples(r) != 1)
		goto out;
	snprintf(cn, sizeof(cn), "%.40s OCSP Responder", db_get(r, 0, "common_name"));
	snprintf(alg, alg_len, "%s", db_get(r, 0, "key_algorithm"));
	snprintf(days, days_len, "%s", db_get(r, 0, "ocsp_responder_validity_days"));
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
	                               0) != 1 ||
	    (*len = i2d_X509_NAME(name, der)) <= 0)
		goto out;
	rc = 0;
out:
	PQclear(r);
	X509_NAME_free(name);
	return rc;
}

/* Inside the locked transaction: the current responder, or a new one
 * (key, CSR, certificate from the CA key, installed, stored, audited). */
static edgeca_err
make_on(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	struct make_args *a = arg;
	struct db_param p[6];
	char key_id[SIGNER_KEY_ID_BYTES], alg[32], days[16], ca_id[40];
	unsigned char *subject = NULL, *csr = NULL;
	size_t csr_len = 0;
	int subject_len = 0;
	struct signer_issued cert = {0};
	PGresult *r = NULL;
	bool found = false;
	edgeca_err rc;

	p[0] = (struct db_param){a->issuer_key_id, 0, false};
	if ((rc = db_exec(c, "SELECT pg_advisory_xact_lock(hashtext('ocsp_responder ' || $1))", p, 1,
	                  NULL, "lock the OCSP responder", msg)) != EDGECA_OK ||
	    (rc = db_exec(c, "SELECT ca_id FROM ca_locations WHERE signer_key_id = $1 UNION ALL "
	                     "SELECT ca_id FROM ca_location_history WHERE signer_key_id = $1",
	                  p, 1, &r, "find the CA key", msg)) != EDGECA_OK)
		goto out;
	if (PQntuples(r) != 1) {
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, NULL, "no CA key %s", a->issuer_key_id);
		goto out;
	}
	snprintf(ca_id, sizeof(ca_id), "%s", db_get(r, 0, "ca_id"));
	if ((rc = read_current(c, a->issuer_key_id, a->out, &found, msg)) != EDGECA_OK ||
	    found)
		goto out;
	if (responder_subject(c, ca_id, &subject, &subject_len, alg, sizeof(alg), days,
	                      sizeof(days)) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot name the OCSP responder");
		goto out;
	}
	if ((rc = signer_ocsp_key_create(a->ctx->signer, a->issuer_key_id, alg, key_id, msg)) !=
	        EDGECA_OK ||
	    (rc = signer_csr_create(a->ctx->signer, key_id, subject, (size_t)subject_len, &csr,
	                            &csr_len, msg)) != EDGECA_OK ||
	    (rc = signer_issue(a->ctx->signer, a->issuer_key_id, "ocsp_responder", csr, csr_len,
	                       time(NULL) + 86400L * atol(days), NULL, &cert, msg)) != EDGECA_OK ||
	    (rc = signer_cert_install(a->ctx->signer, key_id, cert.der, cert.der_len, msg)) !=
	        EDGECA_OK)
		goto out;
	{
		char nb[24], na[24];
		snprintf(nb, sizeof(nb), "%lld", (long long)cert.not_before);
		snprintf(na, sizeof(na), "%lld", (long long)cert.not_after);
		p[1] = (struct db_param){ca_id, 0, false};
		p[2] = (struct db_param){key_id, 0, false};
		p[3] = (struct db_param){(const char *)cert.der, (int)cert.der_len, true};
		p[4] = (struct db_param){nb, 0, false};
		p[5] = (struct db_param){na, 0, false};
		rc = db_exec(c, "INSERT INTO ocsp_responders (issuer_key_id, ca_id, signer_key_id, "
		                "certificate_der, not_before, not_after) VALUES ($1, $2, $3, $4, "
		                "to_timestamp($5), to_timestamp($6)) ON CONFLICT (issuer_key_id) DO "
		                "UPDATE SET signer_key_id = $3, certificate_der = $4, not_before = "
		                "to_timestamp($5), not_after = to_timestamp($6), created_at = now()",
		             p, 6, NULL, "store the OCSP responder", msg);
		if (rc == EDGECA_OK) {
			const char *details[6] = {"issuer_key_id", a->issuer_key_id, "responder_key_id",
			                          key_id, "serial", cert.serial};
			rc = audit_write(c, "scheduler", "ocsp.responder_issue", "ca", ca_id, details, 6,
			                 msg);
		}
	}
	if (rc == EDGECA_OK) {
		rc = read_current(c, a->issuer_key_id, a->out, &found, msg);
		if (rc == EDGECA_OK && !found)
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
			                 "the new OCSP responder certificate is too short-lived");
		log_info("ocsp_responder: ca=%s key=%s: responder %s until %lld", ca_id,
		         a->issuer_key_id, key_id, (long long)cert.not_after);
	}
out:
	signer_issued_free(&cert);
	OPENSSL_free(subject);
	free(csr);
	PQclear(r);
	return rc;
}

edgeca_err
ocsp_responder_get(struct edgeca_ctx *ctx, const char *issuer_key_id,
                   struct ocsp_responder *out, struct edgeca_msg *msg)
{
	struct make_args a = {ctx, issuer_key_id, out};

	return db_with_tx(ctx->db, make_on, &a, msg);
}

struct due_args {
	char (*keys)[SIGNER_KEY_ID_BYTES];
	size_t n;
};

static edgeca_err
due_on(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	struct due_args *a = arg;
	PGresult *r = NULL;
	edgeca_err rc;

	rc = db_exec(c, "SELECT r.issuer_key_id FROM ocsp_responders r JOIN cas c ON c.id = r.ca_id "
	                "WHERE c.ocsp_enabled AND c.ocsp_delegated_responder AND c.status <> "
	                "'revoked' AND now() >= r.not_after - (r.not_after - r.not_before) / 3 "
	                "LIMIT 100",
	             NULL, 0, &r, "find OCSP responders to renew", msg);
	if (rc == EDGECA_OK && PQntuples(r) > 0 &&
	    (a->keys = calloc((size_t)PQntuples(r), sizeof(*a->keys))) == NULL)
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	for (int i = 0; rc == EDGECA_OK && i < PQntuples(r); i++)
		snprintf(a->keys[a->n++], SIGNER_KEY_ID_BYTES, "%s", db_get(r, i, "issuer_key_id"));
	PQclear(r);
	return rc;
}

edgeca_err
ocsp_responders_renew_due(struct edgeca_ctx *ctx, size_t *renewed, struct edgeca_msg *msg)
{
	struct due_args d = {NULL, 0};
	edgeca_err rc;

	*renewed = 0;
	rc = db_with(ctx->db, due_on, &d, msg);
	for (size_t i = 0; rc == EDGECA_OK && i < d.n; i++) {
		struct ocsp_responder r;
		/* under the key's lock, found fresh when another server did it */
		if ((rc = ocsp_responder_get(ctx, d.keys[i], &r, msg)) == EDGECA_OK)
			(*renewed)++;
	}
	free(d.keys);
	return rc;
}
