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

struct certs_args {
	size_t max;
	STACK_OF(X509) *sk;
};

/* The certificates, read on c into a->sk (the caller's on success). */
static edgeca_err
certs_on(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	struct certs_args *a = arg;
	char limit[24];
	struct db_param p[1] = {{limit, 0, false}};
	PGresult *r = NULL;
	edgeca_err rc;

	snprintf(limit, sizeof(limit), "%zu", a->max);
	if ((rc = db_exec(c, client_cas_sql, p, 1, &r, "list EST client CAs", msg)) != EDGECA_OK)
		goto out;
	if ((a->sk = sk_X509_new_null()) == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (db_get_certs(r, "certificate_der", a->sk) != 0)
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "a stored CA certificate cannot be read");
out:
	ERR_clear_error();
	PQclear(r);
	return rc;
}

edgeca_err
est_client_ca_certs(struct edgeca_ctx *ctx, size_t max, STACK_OF(X509) **out,
                    struct edgeca_msg *msg)
{
	struct certs_args a = {max, NULL};
	edgeca_err rc = db_with(ctx->db, certs_on, &a, msg);

	if (rc == EDGECA_OK) {
		*out = a.sk;
		a.sk = NULL;
	} else {
		*out = NULL;
	}
	sk_X509_pop_free(a.sk, X509_free);
	return rc;
}
