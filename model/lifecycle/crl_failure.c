#include "model/lifecycle/crl_failure.h"

#include <stdio.h>
#include <time.h>

#include "common/x509util.h"
#include "model/crl/due_sql.h"
#include "model/store/db.h"
#include "model/lifecycle/notification.h"

/* The failing key with what its notification needs, while its CRL is
 * still due; the columns notification_create_event reads. */
static const char failing_sql[] =
	"SELECT k.ca_id, k.location AS name, k.generation,"
	" extract(epoch FROM COALESCE(r.next_update, k.key_not_after))::bigint AS not_after,"
	" extract(epoch FROM r.next_update)::bigint AS crl_next_update, $5::text AS error,"
	" c.lifecycle_notification_emails, c.lifecycle_webhook_url"
	" FROM " KEYS_SQL " JOIN cas c ON c.id = k.ca_id"
	" LEFT JOIN crls r ON r.ca_id = k.ca_id AND r.location = k.location"
	" AND r.generation = k.generation"
	" WHERE k.ca_id = $1::uuid AND k.location = $2 AND k.generation = $3::integer"
	" AND c.crl_enabled AND " PUBLISHING_SQL " AND " DUE_SQL("$4");

edgeca_err
crl_failure_notify(PGconn *c, const struct model_settings *settings, const struct crl_due *d,
                   const char *error, bool *made, struct edgeca_msg *msg)
{
	char gen[16], delay[16], line[512];
	struct db_param p[5] = {{d->ca_id, 0, false}, {d->location, 0, false}, {gen, 0, false},
	                        {delay, 0, false}, {line, 0, false}};
	PGresult *r = NULL;
	edgeca_err rc;

	*made = false;
	snprintf(gen, sizeof(gen), "%d", d->generation);
	snprintf(delay, sizeof(delay), "%u", settings->crl_delay_ms);
	/* stored and mailed: one line of valid UTF-8 (the database checks) */
	utf8_one_line(error != NULL && error[0] != '\0' ? error : "unknown error", line,
	              sizeof(line));
	if ((rc = db_exec(c, failing_sql, p, 5, &r, "find the failing CRL", msg)) != EDGECA_OK)
		return rc;
	if (PQntuples(r) == 1)
		rc = notification_create_event(c, settings, r, 0, NOTIFY_CRL_GENERATION_FAILED,
		                               time(NULL), made, msg);
	PQclear(r);
	return rc;
}
