#include "model/store/audit.h"

#include <stdlib.h>

#include "model/store/db.h"

edgeca_err
audit_write(PGconn *c, const char *actor, const char *action, const char *object_type,
            const char *object_id, const char *const *details, size_t n,
            struct edgeca_msg *msg)
{
	struct db_param p[5];
	char *kv = NULL;
	edgeca_err rc;

	if (n % 2 != 0)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "audit details must be pairs");
	kv = db_text_array_literal(details, n);
	if (kv == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	p[0] = (struct db_param){actor, 0, false};
	p[1] = (struct db_param){action, 0, false};
	p[2] = (struct db_param){object_type, 0, false};
	p[3] = (struct db_param){object_id, 0, false};
	p[4] = (struct db_param){kv, 0, false};
	rc = db_exec(c, "INSERT INTO audit_events (actor, action, object_type, object_id, details) "
	                "VALUES ($1, $2, $3, $4, jsonb_object($5::text[]))",
	             p, 5, NULL, "audit", msg);
	free(kv);
	return rc;
}
