#include "model/store/db.h"

#include <errno.h>
#include <libpq-events.h>
#include <poll.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/x509_cache.h"

#define DB_ACQUIRE_TIMEOUT_S 10
#define DB_STATEMENT_TIMEOUT "15s"

struct db_pool {
	char *conninfo;
	unsigned size;
	PGconn **conns;
	bool *busy;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	/* readiness checks: a connection of their own, never queued behind
	 * the pool's */
	pthread_mutex_t check_lock;
	PGconn *check;
};

static void
notice_ignore(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Per connection: which db_stmt ids are prepared there (a bit each). */
static int
db_event(PGEventId id, void *info, void *pass)
{
	(void)pass;
	if (id == PGEVT_CONNDESTROY)
		free(PQinstanceData(((PGEventConnDestroy *)info)->conn, db_event));
	return 1;
}

edgeca_err
db_connect(const char *conninfo, PGconn **out, struct edgeca_msg *msg)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *r;

	*out = NULL;
	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		/* PostgreSQL's own words go to the log, not to API callers */
		log_error("db_connect: cannot connect to PostgreSQL: %s",
		          c ? PQerrorMessage(c) : "out of memory");
		edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, "database-unavailable",
		            "cannot connect to the database");
		PQfinish(c);
		return EDGECA_ERR_UNAVAILABLE;
	}
	PQsetNoticeProcessor(c, notice_ignore, NULL);
	{
		uint64_t *prepared = calloc(1, sizeof(*prepared));
		if (prepared == NULL || !PQregisterEventProc(c, db_event, "edgeca", NULL) ||
		    !PQsetInstanceData(c, db_event, prepared)) {
			free(prepared);
			edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot set up the connection");
			PQfinish(c);
			return EDGECA_ERR_INTERNAL;
		}
	}
	/* Bound every statement so no request can hang on the database. */
	r = PQexec(c, "SET statement_timeout = '" DB_STATEMENT_TIMEOUT "'; "
	              "SET lock_timeout = '" DB_STATEMENT_TIMEOUT "'; SET TIME ZONE 'UTC'");
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		log_error("db_connect: cannot set up the PostgreSQL session: %s", PQerrorMessage(c));
		edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, "database-unavailable",
		            "cannot set up the database session");
		PQclear(r);
		PQfinish(c);
		return EDGECA_ERR_UNAVAILABLE;
	}
	PQclear(r);
	*out = c;
	return EDGECA_OK;
}

edgeca_err
db_pool_new(const char *conninfo, unsigned size, bool require_up, struct db_pool **out,
            struct edgeca_msg *msg)
{
	struct db_pool *p = NULL;
	edgeca_err rc;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	pthread_mutex_init(&p->lock, NULL);
	pthread_mutex_init(&p->check_lock, NULL);
	pthread_cond_init(&p->freed, NULL);
	p->size = size;
	p->conninfo = strdup(conninfo);
	p->conns = calloc(size, sizeof(PGconn *));
	p->busy = calloc(size, sizeof(bool));
	if (p->conninfo == NULL || p->conns == NULL || p->busy == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto fail;
	}
	for (unsigned i = 0; i < size; i++) {
		rc = db_connect(conninfo, &p->conns[i], msg);
		if (rc != EDGECA_OK && (require_up || i == 0)) {
			if (require_up)
				goto fail;
			log_warn("db_pool_new: %s; will retry", msg ? msg->detail : "");
			break;
		}
	}
	*out = p;
	return EDGECA_OK;
fail:
	db_pool_free(p);
	return rc;
}

void
db_pool_free(struct db_pool *p)
{
	if (p == NULL)
		return;
	for (unsigned i = 0; p->conns != NULL && i < p->size; i++)
		PQfinish(p->conns[i]);
	PQfinish(p->check);
	pthread_cond_destroy(&p->freed);
	pthread_mutex_destroy(&p->lock);
	pthread_mutex_destroy(&p->check_lock);
	free(p->conns);
	free(p->busy);
	free(p->conninfo);
	free(p);
}

edgeca_err
db_with(struct db_pool *p, db_work fn, void *arg, struct edgeca_msg *msg)
{
	PGconn *c = NULL;
	edgeca_err rc = db_acquire(p, &c, msg);

	if (rc == EDGECA_OK) {
		rc = fn(c, arg, msg);
		db_release(p, c);
	}
	return rc;
}

edgeca_err
db_with_tx(struct db_pool *p, db_work fn, void *arg, struct edgeca_msg *msg)
{
	PGconn *c = NULL;
	edgeca_err rc = db_acquire(p, &c, msg);

	if (rc != EDGECA_OK)
		return rc;
	if ((rc = db_begin(c, msg)) == EDGECA_OK) {
		if ((rc = fn(c, arg, msg)) == EDGECA_OK)
			rc = db_commit(c, msg);
		else
			db_rollback(c);
	}
	db_release(p, c);
	return rc;
}

edgeca_err
db_check_id(const char *id, const char *slug, const char *what, struct edgeca_msg *msg)
{
	if (id != NULL && uuid_valid(id))
		return EDGECA_OK;
	return edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, slug, "no %s %s", what, id ? id : "");
}

/* Whether an idle pooled connection may serve a request. Between requests
 * the server has nothing to say to it: anything to read is its goodbye
 * (the error of a terminated backend, end of file) after a restart or a
 * failover, and the connection is replaced before a request fails on it. */
static bool
idle_usable(PGconn *c)
{
	struct pollfd pfd = {PQsocket(c), POLLIN, 0};
	int r;

	if (PQstatus(c) != CONNECTION_OK || pfd.fd < 0)
		return false;
	do
		r = poll(&pfd, 1, 0);
	while (r < 0 && errno == EINTR);
	return r == 0;
}

edgeca_err
db_acquire(struct db_pool *p, PGconn **out, struct edgeca_msg *msg)
{
	struct timespec deadline;
	int slot = -1;
	edgeca_err rc;

	*out = NULL;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += DB_ACQUIRE_TIMEOUT_S;
	pthread_mutex_lock(&p->lock);
	while (slot < 0) {
		for (unsigned i = 0; i < p->size && slot < 0; i++)
			if (!p->busy[i])
				slot = (int)i;
		if (slot >= 0)
			break;
		if (pthread_cond_timedwait(&p->freed, &p->lock, &deadline) == ETIMEDOUT)
			break;
	}
	if (slot >= 0)
		p->busy[slot] = true;
	pthread_mutex_unlock(&p->lock);
	if (slot < 0)
		return edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, "database-unavailable",
		                   "all database connections are busy");
	if (p->conns[slot] != NULL && !idle_usable(p->conns[slot])) {
		PQfinish(p->conns[slot]);
		p->conns[slot] = NULL;
	}
	if (p->conns[slot] == NULL) {
		rc = db_connect(p->conninfo, &p->conns[slot], msg);
		if (rc != EDGECA_OK) {
			pthread_mutex_lock(&p->lock);
			p->busy[slot] = false;
			pthread_cond_signal(&p->freed);
			pthread_mutex_unlock(&p->lock);
			return rc;
		}
	}
	*out = p->conns[slot];
	return EDGECA_OK;
}

void
db_pool_usage(struct db_pool *p, unsigned *size, unsigned *in_use)
{
	unsigned n = 0;

	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < p->size; i++)
		n += p->busy[i] ? 1 : 0;
	pthread_mutex_unlock(&p->lock);
	*size = p->size;
	*in_use = n;
}

void
db_release(struct db_pool *p, PGconn *c)
{
	if (c == NULL)
		return;
	/* A connection left inside a transaction would leak its state into
	 * the next request: roll it back (or drop it when that fails). */
	if (PQtransactionStatus(c) != PQTRANS_IDLE)
		db_rollback(c);
	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < p->size; i++) {
		if (p->conns[i] == c) {
			if (PQstatus(c) != CONNECTION_OK || PQtransactionStatus(c) != PQTRANS_IDLE) {
				PQfinish(c);
				p->conns[i] = NULL;
			}
			p->busy[i] = false;
			break;
		}
	}
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
}

/* Waits until c's socket is ready to write or read, by deadline_ms. */
static int
wait_socket(PGconn *c, bool write, int64_t deadline_ms)
{
	struct pollfd pfd = {PQsocket(c), write ? POLLOUT : POLLIN, 0};
	int r;

	do {
		int64_t left = deadline_ms - mono_ms();
		if (pfd.fd < 0 || left <= 0)
			return -1;
		r = poll(&pfd, 1, (int)left);
	} while (r < 0 && errno == EINTR);
	return r > 0 ? 0 : -1;
}

enum check_result { CHECK_OK, CHECK_DOWN, CHECK_LATE, CHECK_FAILED };

/* A new connection by deadline_ms, without libpq's blocking connect (whose
 * own timeout has a granularity of seconds). */
static enum check_result
check_connect(const char *conninfo, int64_t deadline_ms, PGconn **out)
{
	PGconn *c = PQconnectStart(conninfo);
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	enum check_result rc = CHECK_DOWN;

	*out = NULL;
	if (c == NULL || PQstatus(c) == CONNECTION_BAD)
		goto out;
	while (st != PGRES_POLLING_OK) {
		if (st == PGRES_POLLING_FAILED)
			goto out;
		if (wait_socket(c, st == PGRES_POLLING_WRITING, deadline_ms) != 0) {
			rc = CHECK_LATE;
			goto out;
		}
		st = PQconnectPoll(c);
	}
	PQsetNoticeProcessor(c, notice_ignore, NULL);
	*out = c;
	c = NULL;
	rc = CHECK_OK;
out:
	PQfinish(c);
	return rc;
}

/* SELECT 1 on c by deadline_ms. */
static enum check_result
check_query(PGconn *c, int64_t deadline_ms)
{
	enum check_result rc = CHECK_FAILED;
	PGresult *r;
	int f;

	if (!PQsendQuery(c, "SELECT 1"))
		return CHECK_DOWN;
	while ((f = PQflush(c)) == 1)
		if (wait_socket(c, true, deadline_ms) != 0)
			return CHECK_LATE;
	if (f < 0)
		return CHECK_DOWN;
	for (;;) {
		while (PQisBusy(c)) {
			if (wait_socket(c, false, deadline_ms) != 0)
				return CHECK_LATE;
			if (!PQconsumeInput(c))
				return CHECK_DOWN;
		}
		if ((r = PQgetResult(c)) == NULL)
			break;
		if (PQresultStatus(r) == PGRES_TUPLES_OK)
			rc = CHECK_OK;
		PQclear(r);
	}
	return rc;
}

edgeca_err
db_check(struct db_pool *p, unsigned timeout_ms, char *state, size_t state_len)
{
	int64_t deadline = mono_ms() + timeout_ms;
	enum check_result r = CHECK_OK;
	struct timespec until;
	bool reused;

	realtime_in(timeout_ms, &until);
	/* one check at a time; another one under way answers for both */
	if (pthread_mutex_timedlock(&p->check_lock, &until) != 0) {
		r = CHECK_LATE;
		goto done;
	}
	if (p->check != NULL && PQstatus(p->check) != CONNECTION_OK) {
		PQfinish(p->check);
		p->check = NULL;
	}
	reused = p->check != NULL;
	if (p->check == NULL)
		r = check_connect(p->conninfo, deadline, &p->check);
	if (r == CHECK_OK)
		r = check_query(p->check, deadline);
	if (reused && r != CHECK_OK && r != CHECK_LATE) {
		/* The kept connection may be to a server that went away since (a
		 * restart, a failover to a standby): a new one says whether the
		 * database is there now. */
		PQfinish(p->check);
		p->check = NULL;
		r = check_connect(p->conninfo, deadline, &p->check);
		if (r == CHECK_OK)
			r = check_query(p->check, deadline);
	}
	if (r != CHECK_OK) {
		/* a connection left waiting for an answer is in no known state */
		PQfinish(p->check);
		p->check = NULL;
	}
	pthread_mutex_unlock(&p->check_lock);
done:
	switch (r) {
	case CHECK_OK: snprintf(state, state_len, "ok"); break;
	case CHECK_DOWN: snprintf(state, state_len, "unreachable"); break;
	case CHECK_LATE:
		if (timeout_ms % 1000 == 0)
			snprintf(state, state_len, "not answering within %u s", timeout_ms / 1000);
		else
			snprintf(state, state_len, "not answering within %u ms", timeout_ms);
		break;
	default: snprintf(state, state_len, "answers with an error"); break;
	}
	if (r != CHECK_OK)
		log_warn("db_check: the database is %s", state);
	return r == CHECK_OK ? EDGECA_OK : EDGECA_ERR_UNAVAILABLE;
}

static edgeca_err
map_result(PGconn *c, PGresult *r, const char *what, struct edgeca_msg *msg)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	/* The primary message only: the DETAIL of a constraint violation
	 * repeats the row, which is request data that does not belong in logs. */
	const char *text = r && PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
	                       ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
	                       : PQerrorMessage(c);

	if (PQstatus(c) != CONNECTION_OK || state == NULL || strncmp(state, "08", 2) == 0 ||
	    strcmp(state, "57014") == 0 || strcmp(state, "55P03") == 0 ||
	    strncmp(state, "53", 2) == 0 || strcmp(state, "57P01") == 0) {
		log_error("%s: database unavailable: %s", what, text);
		return edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, "database-unavailable",
		                   "the database is not available");
	}
	if (strcmp(state, "23505") == 0)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "conflict", "%s: already exists", what);
	if (strcmp(state, "23514") == 0 || strcmp(state, "23502") == 0 ||
	    strncmp(state, "22", 2) == 0) {
		log_warn("%s: database refused a value: %s", what, text);
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-request",
		                   "%s: a value is out of range", what);
	}
	if (strcmp(state, "23503") == 0)
		return edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "not-found", "%s: a referenced object "
		                   "does not exist", what);
	log_error("%s: database error %s: %s", what, state, text);
	return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "%s failed", what);
}

/* The parameter arrays libpq takes, from params. */
static void
split_params(const struct db_param *params, int nparams, const char **values, int *lens,
             int *fmts)
{
	for (int i = 0; i < nparams; i++) {
		values[i] = params[i].value;
		lens[i] = params[i].binary ? params[i].len : 0;
		fmts[i] = params[i].binary ? 1 : 0;
	}
}

/* Hands r to *out (or frees it) when it succeeded; maps its error otherwise. */
static edgeca_err
take_result(PGconn *c, PGresult *r, PGresult **out, const char *what, struct edgeca_msg *msg)
{
	ExecStatusType st = PQresultStatus(r);
	edgeca_err rc = EDGECA_OK;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = map_result(c, r, what, msg);
	if (rc == EDGECA_OK && out != NULL)
		*out = r;
	else
		PQclear(r);
	return rc;
}

edgeca_err
db_exec(PGconn *c, const char *sql, const struct db_param *params, int nparams,
        PGresult **out, const char *what, struct edgeca_msg *msg)
{
	const char *values[32];
	int lens[32], fmts[32];

	if (out != NULL)
		*out = NULL;
	if (nparams > 32)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "%s: too many parameters", what);
	split_params(params, nparams, values, lens, fmts);
	return take_result(c, PQexecParams(c, sql, nparams, NULL, values, lens, fmts, 0), out,
	                   what, msg);
}

edgeca_err
db_exec_prepared(PGconn *c, const struct db_stmt *stmt, const struct db_param *params,
                 int nparams, PGresult **out, const char *what, struct edgeca_msg *msg)
{
	uint64_t *prepared = PQinstanceData(c, db_event), bit = (uint64_t)1 << stmt->id;
	const char *values[32];
	int lens[32], fmts[32];
	char name[16];
	edgeca_err rc;

	if (out != NULL)
		*out = NULL;
	if (nparams > 32 || stmt->id >= 64 || prepared == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "%s: bad statement", what);
	snprintf(name, sizeof(name), "s%u", stmt->id);
	if (!(*prepared & bit)) {
		rc = take_result(c, PQprepare(c, name, stmt->sql, nparams, NULL), NULL, what, msg);
		if (rc != EDGECA_OK)
			return rc;
		*prepared |= bit;
	}
	split_params(params, nparams, values, lens, fmts);
	return take_result(c, PQexecPrepared(c, name, nparams, values, lens, fmts, 0), out, what,
	                   msg);
}

edgeca_err
db_begin(PGconn *c, struct edgeca_msg *msg)
{
	return db_exec(c, "BEGIN", NULL, 0, NULL, "begin", msg);
}

edgeca_err
db_commit(PGconn *c, struct edgeca_msg *msg)
{
	return db_exec(c, "COMMIT", NULL, 0, NULL, "commit", msg);
}

void
db_rollback(PGconn *c)
{
	PQclear(PQexec(c, "ROLLBACK"));
}
