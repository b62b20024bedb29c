/* The CAs EST accepts client certificates from (see est_client_cas.h). */
#include "model/est/client_cas.h"

#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/x509util.h"
#include "model/store/db.h"

static const char client_cas_sql[] =
	"SELECT t.certificate_der FROM ("
	" SELECT 0 AS part, c.seq, l.position AS pos, 0 AS generation, l.certificate_der"
	"  FROM cas c JOIN ca_locations l ON l.ca_id = c.id"
	"  WHERE c.est_enabled AND c.status = 'active' AND l.status = 'active'"
	"  AND l.certificate_der IS NOT NULL AND l.not_after > now()"
	" UNION ALL"
	" SELECT 1, c.seq, a.position, 0, a.certificate_der"
	"  FROM cas c JOIN ca_est_anchors a ON a.ca_id = c.id"
	"  WHERE c.est_enabled AND c.status = 'active' AND a.not_after > now()"
	" UNION ALL"
	" SELECT 2, c.seq, l.position, h.generation, h.certificate_der"
	"  FROM cas c JOIN ca_locations l ON l.ca_id = c.id"
	"  JOIN ca_location_history h ON h.ca_id = l.ca_id AND h.location = l.name"
	"  WHERE c.est_enabled AND c.status = 'active' AND l.status = 'active'"
	"  AND h.not_after > now()"
	") t ORDER BY t.part, t.seq, t.pos, t.generation DESC LIMIT $1";

edgeca_err
est_client_ca_certs(struct edgeca_ctx *ctx, size_t max, STACK_OF(X509) **out,
                    struct edgeca_msg *msg)
{
	char limit[24];
	struct db_param p[1] = {{limit, 0, false}};
	STACK_OF(X509) *sk = NULL;
	PGconn *c = NULL;
	PGresult *r = NULL;
	edgeca_err rc;

	*out = NULL;
	snprintf(limit, sizeof(limit), "%zu", max);
	if ((rc = db_acquire(ctx->db, &c, msg)) != EDGECA_OK)
		goto out;
	if ((rc = db_exec(c, client_cas_sql, p, 1, &r, "list EST client CAs", msg)) != EDGECA_OK)
		goto out;
	if ((sk = sk_X509_new_null()) == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (int i = 0; i < PQntuples(r); i++) {
		unsigned char *der = NULL;
		size_t len = 0;
		X509 *x = NULL;
		if (db_get_bytea(r, i, "certificate_der", &der, &len) == 0)
			x = x509_from_der(der, len);
		free(der);
		if (x == NULL || !sk_X509_push(sk, x)) {
			X509_free(x);
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
			                 "a stored CA certificate cannot be read");
			goto out;
		}
	}
	*out = sk;
	sk = NULL;
out:
	ERR_clear_error();
	sk_X509_pop_free(sk, X509_free);
	PQclear(r);
	if (c != NULL)
		db_release(ctx->db, c);
	return rc;
}
