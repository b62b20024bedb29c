/* PostgreSQL access: a fixed pool of libpq connections, each used by one
 * thread at a time, and helpers that turn libpq results into edgeca_err.
 * Parameters travel with PQexecParams; DER goes as binary parameters. */
#ifndef EDGECA_MODEL_DB_H
#define EDGECA_MODEL_DB_H

#include <libpq-fe.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

struct db_pool;

/* Opens size connections; the pool starts even when the database is down
 * (connections are retried when acquired) unless require_up is set. */
edgeca_err db_pool_new(const char *conninfo, unsigned size, bool require_up,
                       struct db_pool **out, struct edgeca_msg *msg);
void db_pool_free(struct db_pool *p);

/* Waits up to the pool's timeout for a connection. */
edgeca_err db_acquire(struct db_pool *p, PGconn **out, struct edgeca_msg *msg);
void db_release(struct db_pool *p, PGconn *c);
/* The pool's size and how many of its connections are lent now (for the
 * metrics). */
void db_pool_usage(struct db_pool *p, unsigned *size, unsigned *in_use);

/* The work of one model operation on a connection it borrows: arg is the
 * operation's own (its inputs and where its results go). */
typedef edgeca_err (*db_work)(PGconn *c, void *arg, struct edgeca_msg *msg);

/* Takes a connection of p, runs fn on it and gives it back: the frame of
 * every model operation that needs one connection for its duration.
 * Returns: what fn returns; EDGECA_ERR_UNAVAILABLE when no connection
 * comes (fn is not called). No allocation: arg lives on the caller's
 * stack. */
edgeca_err db_with(struct db_pool *p, db_work fn, void *arg, struct edgeca_msg *msg);

/* db_with inside one transaction: BEGIN, fn, then COMMIT when fn returns
 * EDGECA_OK and ROLLBACK otherwise; the frame of every model operation
 * that changes state in one transaction. What must follow the commit
 * (logs, a read of the answer, work on another connection) comes after
 * db_with_tx returns, from what fn left in arg.
 * Returns: what fn returns, or the failure of BEGIN or COMMIT;
 * EDGECA_ERR_UNAVAILABLE when no connection comes (fn is not called). */
edgeca_err db_with_tx(struct db_pool *p, db_work fn, void *arg, struct edgeca_msg *msg);

/* The check of an id from a request before any query: an id that is not
 * a UUID names nothing, so it is EDGECA_ERR_NOT_FOUND with slug and
 * "no <what> <id>" (the answer a well-formed unknown id gets). */
edgeca_err db_check_id(const char *id, const char *slug, const char *what,
                       struct edgeca_msg *msg);

/* Readiness: SELECT 1 within timeout_ms on a connection of its own, so
 * the answer never waits for a pooled connection and a busy pool is not
 * taken for a database that is down. state gets "ok" or a short phrase
 * for people ("unreachable", "not answering within 1 s"), without
 * host names or server messages (those are logged). */
edgeca_err db_check(struct db_pool *p, unsigned timeout_ms, char *state, size_t state_len);

/* One connection outside any pool (CLI commands, migrations). */
edgeca_err db_connect(const char *conninfo, PGconn **out, struct edgeca_msg *msg);

/* Runs sql with text parameters (NULL = SQL NULL) except where binary[i]
 * is set, in which case lens[i] bytes of values[i] are sent as bytea.
 * Results are text. Statuses other than COMMAND_OK / TUPLES_OK become
 * edgeca_err: unique violation = CONFLICT, check violation = INVALID,
 * lost connection = UNAVAILABLE. */
struct db_param {
	const char *value;
	int len;      /* for binary values */
	bool binary;
};

edgeca_err db_exec(PGconn *c, const char *sql, const struct db_param *params, int nparams,
                   PGresult **out, const char *what, struct edgeca_msg *msg);

/* A statement run on every request: prepared once per connection (the
 * first time it runs there), then executed by name, which spares
 * PostgreSQL the parsing and planning. id is unique below 64. */
struct db_stmt {
	unsigned id;
	const char *sql;
};
/* Every prepared statement's id, in one place so that none is reused. */
enum db_stmt_id {
	STMT_TOKEN_AUTHENTICATE = 1,
	STMT_LOAD_CA,
	STMT_LOAD_LOCATIONS,
	STMT_CERT_INSERT,
	STMT_EST_CERT_STATUS,
	STMT_EST_ANCHORS,
	STMT_EST_PREVIOUS_CA_CERTS,
	STMT_EST_CA_BY_LABEL,
	STMT_EST_DEFAULT_CA,
	STMT_CERT_REVOCATION_LOCK,
	STMT_CERT_REVOKE,
	STMT_CERT_RELEASE,
	STMT_OCSP_STATUS,
	STMT_SESSION_AUTHENTICATE,
};

edgeca_err db_exec_prepared(PGconn *c, const struct db_stmt *stmt,
                            const struct db_param *params, int nparams, PGresult **out,
                            const char *what, struct edgeca_msg *msg);

edgeca_err db_begin(PGconn *c, struct edgeca_msg *msg);
edgeca_err db_commit(PGconn *c, struct edgeca_msg *msg);
void db_rollback(PGconn *c);

/* Helpers for reading text results. */
const char *db_get(const PGresult *r, int row, const char *col); /* NULL when SQL NULL */
long long db_get_ll(const PGresult *r, int row, const char *col);
/* timestamptz text as epoch seconds; the queries select extract(epoch ...)
 * as bigint, so this is a number parse. */
long long db_get_time(const PGresult *r, int row, const char *col);
/* bytea column selected in hex text form ("\x..."): decoded into a
 * malloc'ed buffer. Returns 0 or -1. */
int db_get_bytea(const PGresult *r, int row, const char *col, unsigned char **out,
                 size_t *len);
/* The certificates (DER bytea) in column col of every row of r, pushed
 * onto sk, each parsed once per process (common/x509_cache.h). Returns 0,
 * or -1 on a value that is not a certificate or out of memory (what was
 * pushed stays on sk). */
int db_get_certs(const PGresult *r, const char *col, STACK_OF(X509) *sk);
/* text[] column as a NULL-terminated string vector (strv_free). */
int db_get_text_array(const PGresult *r, int row, const char *col, char ***out);

/* A PostgreSQL array literal for strings: {"a","b"}. malloc'ed. */
char *db_text_array_literal(const char *const *items, size_t n);

#endif
