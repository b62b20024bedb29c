/* The audit trail: one row per issuance and admin action, written in the
 * same transaction as the change it records (audit_events is append-only
 * in the database), and read back in pages (audit_read.c) for the API. */
#ifndef EDGECA_MODEL_AUDIT_H
#define EDGECA_MODEL_AUDIT_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "common/error.h"
#include "model/store/cursor.h"

/* details: alternating keys and values (n strings, n even) stored as a
 * JSON object of strings. */
edgeca_err audit_write(PGconn *c, const char *actor, const char *action,
                       const char *object_type, const char *object_id,
                       const char *const *details, size_t n, struct edgeca_msg *msg);

struct db_pool;

/* What audit_list selects: NULL members and times not had do not narrow.
 * since and until are inclusive, to the second. With limited set, only
 * the events about the CAs in ca_ids (n_ca_ids lower-case UUIDs): those
 * whose object is one of them, or whose details name one as ca_id. */
struct audit_filter {
	const char *actor;
	const char *action;
	const char *object_type;
	const char *object_id;
	bool has_since, has_until;
	time_t since;
	time_t until;
	bool limited;
	const char *const *ca_ids;
	size_t n_ca_ids;
};

struct audit_event {
	long long id;
	time_t at;
	char *actor;
	char *action;
	char *object_type;
	char *object_id;
	char *details; /* the JSON object, as text */
};

struct audit_list {
	struct audit_event *items;
	size_t n;
	char next_cursor[CURSOR_MAX]; /* "" on the last page */
};

/* One page of the audit trail matching f, newest first (by id, the order
 * the rows were written in); limit < 0 means the default page size.
 * Returns: EDGECA_OK; EDGECA_ERR_MALFORMED (invalid-parameter: limit,
 * invalid-cursor); database errors.
 * Ownership: out's members are the caller's (audit_list_free). */
edgeca_err audit_list(struct db_pool *db, const struct audit_filter *f, long limit,
                      const char *cursor, struct audit_list *out, struct edgeca_msg *msg);
void audit_list_free(struct audit_list *l);

#endif
