#include "model/scheduler.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "model/crl.h"
#include "model/db.h"

#define DUE_BATCH 16
#define FAILED_MAX 256
#define FAILURE_BACKOFF_S 60

/* A location whose CRL failed to build is left alone for a while, so that
 * a lasting failure (e.g. an expired CA certificate) is logged once a
 * minute, not every tick. */
struct failure {
	struct crl_due where;
	time_t until;
};

struct scheduler {
	struct edgeca_ctx *ctx;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	PGconn *conn;
	struct failure failed[FAILED_MAX];
};

static bool
backing_off(const struct scheduler *s, const struct crl_due *d, time_t now)
{
	for (size_t i = 0; i < FAILED_MAX; i++)
		if (s->failed[i].until > now && strcmp(s->failed[i].where.ca_id, d->ca_id) == 0 &&
		    strcmp(s->failed[i].where.location, d->location) == 0)
			return true;
	return false;
}

static void
remember_failure(struct scheduler *s, const struct crl_due *d, time_t now)
{
	size_t oldest = 0;

	for (size_t i = 0; i < FAILED_MAX; i++)
		if (s->failed[i].until < s->failed[oldest].until)
			oldest = i;
	s->failed[oldest].where = *d;
	s->failed[oldest].until = now + FAILURE_BACKOFF_S;
}

/* One pass: every due CRL, in batches, until none is left or a stop. */
static void
run_crls(struct scheduler *s)
{
	struct crl_due due[DUE_BATCH], failing[FAILED_MAX];
	struct edgeca_msg msg = {0};
	size_t n = 0, n_failing = 0;
	time_t start = time(NULL);
	bool made;

	if (s->conn != NULL && PQstatus(s->conn) != CONNECTION_OK) {
		PQfinish(s->conn);
		s->conn = NULL;
	}
	if (s->conn == NULL && db_connect(s->ctx->cfg->database_url, &s->conn, &msg) != EDGECA_OK) {
		log_warn("scheduler: %s", msg.detail);
		return;
	}
	for (size_t i = 0; i < FAILED_MAX; i++)
		if (s->failed[i].until > start)
			failing[n_failing++] = s->failed[i].where;
	if (crl_find_due(s->conn, (long)s->ctx->cfg->crl_delay_ms, failing, n_failing, due,
	                 DUE_BATCH, &n, &msg) != EDGECA_OK) {
		log_warn("scheduler: %s", msg.detail);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		time_t now = time(NULL);
		if (backing_off(s, &due[i], now))
			continue;
		if (crl_generate(s->ctx, s->conn, "scheduler", due[i].ca_id, due[i].location,
		                 CRL_IF_DUE, &made, NULL, &msg) != EDGECA_OK) {
			log_error("scheduler: CRL of CA %s location %s: %s", due[i].ca_id,
			          due[i].location, msg.detail);
			remember_failure(s, &due[i], now);
		}
		pthread_mutex_lock(&s->lock);
		made = s->stop;
		pthread_mutex_unlock(&s->lock);
		if (made)
			return;
	}
}

static void *
scheduler_main(void *arg)
{
	struct scheduler *s = arg;
	unsigned tick_ms = s->ctx->cfg->crl_delay_ms / 2;
	struct timespec at;

	if (tick_ms < 100)
		tick_ms = 100;
	if (tick_ms > 1000)
		tick_ms = 1000;
	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		pthread_mutex_unlock(&s->lock);
		run_crls(s);
		pthread_mutex_lock(&s->lock);
		clock_gettime(CLOCK_REALTIME, &at);
		at.tv_nsec += (long)(tick_ms % 1000) * 1000000L;
		at.tv_sec += tick_ms / 1000 + at.tv_nsec / 1000000000L;
		at.tv_nsec %= 1000000000L;
		while (!s->stop && pthread_cond_timedwait(&s->wake, &s->lock, &at) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

edgeca_err
scheduler_start(struct edgeca_ctx *ctx, struct scheduler **out, struct edgeca_msg *msg)
{
	struct scheduler *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	s->ctx = ctx;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	if (pthread_create(&s->thread, NULL, scheduler_main, s) != 0) {
		pthread_cond_destroy(&s->wake);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot start the scheduler");
	}
	log_info("scheduler_start: CRLs kept current (revocations coalesced over %u ms)",
	         ctx->cfg->crl_delay_ms);
	*out = s;
	return EDGECA_OK;
}

void
scheduler_stop(struct scheduler *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	PQfinish(s->conn);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
