#include "server/scheduler.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/log.h"
#include "model/ocsp/ocsp.h"
#include "model/crl/crl.h"
#include "model/lifecycle/crl_failure.h"
#include "model/store/db.h"
#include "model/store/idempotency.h"
#include "model/auth/session.h"
#include "model/lifecycle/renew.h"
#include "model/lifecycle/notification.h"
#include "server/notify.h"
#include "common/secretbox.h"

#define DUE_BATCH 16
#define FAILED_MAX 256
#define FAILURE_BACKOFF_S 60
/* One delivery at a time: a claim must outlast the sending of all it
 * holds (up to 40 s each), or another instance would take the rest. */
#define CLAIM_BATCH 1
/* What a claim keeps back from its send for recording the result. */
#define CLAIM_MARGIN_MS 500

/* A location whose CRL failed to build is left alone for a while, so that
 * a lasting failure (e.g. an expired CA certificate) is logged once a
 * minute (or every EDGECA_SCHEDULER_INTERVAL when shorter), not every
 * tick. */
struct failure {
	struct crl_due where;
	time_t until;
};

/* Two threads: CRLs (every tick, ~1 s) and lifecycle notifications
 * (every EDGECA_SCHEDULER_INTERVAL), so a slow mail server or webhook
 * never delays a CRL. Each has its own database connection. */
struct scheduler {
	struct edgeca_ctx *ctx;
	const struct edgeca_config *cfg;
	pthread_t thread;
	pthread_t sender;
	bool sender_started;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	PGconn *conn;
	PGconn *lconn;
	char me[300]; /* this instance in claims: host:pid:random */
	struct failure failed[FAILED_MAX];
};

static bool
stopping(struct scheduler *s)
{
	bool stop;

	pthread_mutex_lock(&s->lock);
	stop = s->stop;
	pthread_mutex_unlock(&s->lock);
	return stop;
}

/* (Re)connects *conn when needed; false when the database is down. */
static bool
connected(struct scheduler *s, PGconn **conn)
{
	struct edgeca_msg msg = {0};

	if (*conn != NULL && PQstatus(*conn) != CONNECTION_OK) {
		PQfinish(*conn);
		*conn = NULL;
	}
	if (*conn == NULL && db_connect(s->cfg->database_url, conn, &msg) != EDGECA_OK) {
		log_warn("scheduler: %s", msg.detail);
		return false;
	}
	return true;
}

static bool
backing_off(const struct scheduler *s, const struct crl_due *d, time_t now)
{
	for (size_t i = 0; i < FAILED_MAX; i++)
		if (s->failed[i].until > now && strcmp(s->failed[i].where.ca_id, d->ca_id) == 0 &&
		    strcmp(s->failed[i].where.location, d->location) == 0 &&
		    s->failed[i].where.generation == d->generation)
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
	s->failed[oldest].until =
		now + (s->cfg->scheduler_interval_s < FAILURE_BACKOFF_S
		           ? (time_t)s->cfg->scheduler_interval_s
		           : FAILURE_BACKOFF_S);
}

/* A due CRL that could not be made: its location is notified, once per
 * incident (model/lifecycle/crl_failure.h), on the CRL thread's connection. */
static void
notify_failure(struct scheduler *s, const struct crl_due *d, const char *error)
{
	struct edgeca_msg msg = {0};
	bool made = false;

	if (crl_failure_notify(s->conn, &s->ctx->settings, d, error, &made, &msg) != EDGECA_OK)
		log_warn("scheduler: crl_generation_failed of CA %s location %s generation %d: %s",
		         d->ca_id, d->location, d->generation, msg.detail);
	else if (made)
		log_info("scheduler: notification crl_generation_failed made: ca=%s location=%s "
		         "generation=%d", d->ca_id, d->location, d->generation);
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

	if (!connected(s, &s->conn))
		return;
	for (size_t i = 0; i < FAILED_MAX; i++)
		if (s->failed[i].until > start)
			failing[n_failing++] = s->failed[i].where;
	if (crl_find_due(s->conn, (long)s->cfg->crl_delay_ms, failing, n_failing, due,
	                 DUE_BATCH, &n, &msg) != EDGECA_OK) {
		log_warn("scheduler: %s", msg.detail);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		time_t now = time(NULL);
		if (backing_off(s, &due[i], now))
			continue;
		if (crl_generate(s->ctx, s->conn, "scheduler", due[i].ca_id, due[i].location,
		                 due[i].generation, CRL_IF_DUE, &made, NULL, &msg) != EDGECA_OK) {
			log_error("scheduler: CRL of CA %s location %s generation %d: %s", due[i].ca_id,
			          due[i].location, due[i].generation, msg.detail);
			remember_failure(s, &due[i], now);
			notify_failure(s, &due[i], msg.detail);
		}
		if (stopping(s))
			return;
	}
}

/* One pass over the due delta CRLs. A failing one is logged and tried
 * again at the next pass (its complete CRL is unaffected). */
static void
run_delta_crls(struct scheduler *s)
{
	struct crl_due due[DUE_BATCH];
	struct edgeca_msg msg = {0};
	size_t n = 0;
	bool made;

	if (stopping(s) || !connected(s, &s->conn))
		return;
	if (crl_find_due_deltas(s->conn, (long)s->cfg->crl_delay_ms, due, DUE_BATCH, &n, &msg) !=
	    EDGECA_OK) {
		log_warn("scheduler: %s", msg.detail);
		return;
	}
	for (size_t i = 0; i < n && !stopping(s); i++)
		if (crl_generate_delta(s->ctx, s->conn, "scheduler", due[i].ca_id, due[i].location,
		                       due[i].generation, CRL_IF_DUE, &made, NULL, &msg) != EDGECA_OK)
			log_error("scheduler: delta CRL of CA %s location %s generation %d: %s",
			          due[i].ca_id, due[i].location, due[i].generation, msg.detail);
}

static bool
cancelled(void *arg)
{
	return stopping(arg);
}

/* Milliseconds of a claim made at claimed_at (CLOCK_MONOTONIC) a send may
 * still use: the claim's length, less what has gone by and a margin for
 * recording the result. The database started the claim after claimed_at,
 * so the claim outlasts the send: no other instance takes a delivery this
 * one is still sending, whatever EDGECA_CLAIM_SECONDS is. */
static long
claim_left_ms(const struct scheduler *s, const struct timespec *claimed_at)
{
	struct timespec now;
	long gone;

	clock_gettime(CLOCK_MONOTONIC, &now);
	gone = (long)(now.tv_sec - claimed_at->tv_sec) * 1000L +
	       (now.tv_nsec - claimed_at->tv_nsec) / 1000000L;
	return (long)s->cfg->claim_seconds * 1000L - gone - CLAIM_MARGIN_MS;
}

/* Sends one claimed notice within limit_ms; NULL when it was accepted,
 * else why not. */
static const char *
send_notice(struct scheduler *s, const struct notice *n, long limit_ms, char err[NOTIFY_ERR_MAX])
{
	const struct notify_cancel cancel = {cancelled, s, limit_ms};
	struct edgeca_msg msg = {0};
	unsigned char *secret = NULL;
	size_t secret_len = 0;
	char *body = NULL;
	const char *why = err;

	if (n->channel == CHANNEL_EMAIL) {
		if (notify_smtp_send(s->cfg, n, &cancel, err) == 0)
			why = NULL;
		goto out;
	}
	if (n->sealed_secret == NULL) {
		snprintf(err, NOTIFY_ERR_MAX, "the CA has no webhook secret any more");
		goto out;
	}
	if (!s->ctx->has_secrets_key ||
	    secretbox_open(s->ctx->secrets_key, n->ca_id, n->sealed_secret, n->sealed_len, &secret,
	                   &secret_len, &msg) != EDGECA_OK) {
		snprintf(err, NOTIFY_ERR_MAX, "%.200s", msg.detail[0] ? msg.detail : "no secrets key");
		goto out;
	}
	if ((body = lifecycle_event_json(n)) == NULL) {
		snprintf(err, NOTIFY_ERR_MAX, "out of memory");
		goto out;
	}
	if (notify_webhook_send(n->url, (const char *)secret, body, &cancel, err) == 0)
		why = NULL;
out:
	if (secret != NULL)
		OPENSSL_cleanse(secret, secret_len);
	free(secret);
	free(body);
	return why;
}

/* One lifecycle pass: renews and creates the due notifications, then
 * claims and sends deliveries in batches until none is due, a stop, or
 * one scheduler interval has gone by: slow or dead receivers (each send
 * may take its whole timeout) never hold back the next pass's renewals
 * and notifications; what is left is still due then. */
static void
run_lifecycle(struct scheduler *s)
{
	const struct edgeca_config *cfg = s->cfg;
	struct edgeca_msg msg = {0};
	struct notice *batch = NULL;
	size_t n = 0, created = 0, renewed = 0;
	time_t until;

	if (!connected(s, &s->lconn))
		return;
	/* renewals first: a renewed location's notifications are its new
	 * certificate's */
	if (ca_renew_due(s->ctx, s->lconn, &renewed, &msg) != EDGECA_OK)
		log_warn("scheduler: renewals: %s", msg.detail);
	if (notification_create_due(s->lconn, &s->ctx->settings, time(NULL), &created, &msg) != EDGECA_OK)
		log_warn("scheduler: notifications: %s", msg.detail);
	until = time(NULL) + (time_t)cfg->scheduler_interval_s;
	while (!stopping(s) && time(NULL) < until) {
		struct timespec claimed_at;

		clock_gettime(CLOCK_MONOTONIC, &claimed_at);
		if (notification_claim(s->lconn, s->me, cfg->claim_seconds, CLAIM_BATCH, &batch, &n,
		                       &msg) != EDGECA_OK) {
			log_warn("scheduler: notifications: %s", msg.detail);
			return;
		}
		for (size_t i = 0; i < n; i++) {
			char err[NOTIFY_ERR_MAX];
			const long left = claim_left_ms(s, &claimed_at);
			const char *why = err;

			if (left > 0)
				why = send_notice(s, &batch[i], left, err);
			else
				snprintf(err, sizeof(err), "EDGECA_CLAIM_SECONDS ran out before the send");
			/* stopped mid-send: not the receiver's failure; handed back
			 * for the next pass of any instance */
			if (why != NULL && stopping(s)) {
				if (notification_release(s->lconn, s->me, &batch[i], &msg) != EDGECA_OK)
					log_warn("scheduler: notifications: %s", msg.detail);
				break;
			}
			if (why != NULL)
				log_warn("scheduler: notification %s %s (attempt %d): %s",
				         batch[i].notification_id, delivery_channel_name(batch[i].channel),
				         batch[i].attempts + 1, why);
			else
				log_info("scheduler: notification %s delivered by %s",
				         batch[i].notification_id, delivery_channel_name(batch[i].channel));
			if (notification_record(s->lconn, s->me, &batch[i], why,
			                        cfg->webhook_retry_base_ms, &msg) != EDGECA_OK)
				log_warn("scheduler: notifications: %s", msg.detail);
		}
		for (size_t i = 0; i < n; i++)
			notice_free(&batch[i]);
		free(batch);
		batch = NULL;
		if (n < CLAIM_BATCH)
			return;
	}
}

/* Waits until ms have passed or a stop; called and returns with s->lock held. */
static void
wait_locked(struct scheduler *s, unsigned ms)
{
	struct timespec at;

	clock_gettime(CLOCK_REALTIME, &at);
	at.tv_nsec += (long)(ms % 1000) * 1000000L;
	at.tv_sec += ms / 1000 + at.tv_nsec / 1000000000L;
	at.tv_nsec %= 1000000000L;
	while (!s->stop && pthread_cond_timedwait(&s->wake, &s->lock, &at) != ETIMEDOUT)
		;
}

/* Delegated OCSP responders in the last third of their life get their
 * successor (each under its CA key's advisory lock: one server renews). */
static void
run_ocsp_responders(struct scheduler *s)
{
	struct edgeca_msg msg = {0};
	size_t n = 0;

	if (ocsp_responders_renew_due(s->ctx, &n, &msg) != EDGECA_OK)
		log_warn("scheduler: OCSP responders: %s", msg.detail);
	else if (n > 0)
		log_info("scheduler: %zu OCSP responder certificate(s) renewed", n);
}

/* Idempotency keys past their 24 hours are deleted (never honoured after
 * that anyway: api/rest/idempotency.c); every instance may do it. */
static void
run_idempotency_purge(struct scheduler *s)
{
	struct edgeca_msg msg = {0};
	long n = 0;

	if (idem_purge(s->ctx->db, &n, &msg) != EDGECA_OK)
		log_warn("scheduler: idempotency keys: %s", msg.detail);
	else if (n > 0)
		log_info("scheduler: %ld expired idempotency key(s) deleted", n);
}

/* Ended, expired and idle sessions are deleted (refused anyway:
 * model/auth/session.h); every instance may do it. */
static void
run_session_purge(struct scheduler *s)
{
	struct edgeca_msg msg = {0};
	long n = 0;

	if (session_purge(s->ctx, &n, &msg) != EDGECA_OK)
		log_warn("scheduler: sessions: %s", msg.detail);
	else if (n > 0)
		log_debug("scheduler: %ld ended or expired session(s) deleted", n);
}

static void *
sender_main(void *arg)
{
	struct scheduler *s = arg;

	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		pthread_mutex_unlock(&s->lock);
		run_lifecycle(s);
		run_ocsp_responders(s);
		run_idempotency_purge(s);
		run_session_purge(s);
		pthread_mutex_lock(&s->lock);
		wait_locked(s, s->cfg->scheduler_interval_s * 1000U);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void *
scheduler_main(void *arg)
{
	struct scheduler *s = arg;
	unsigned tick_ms = s->cfg->crl_delay_ms / 2;

	if (tick_ms < 100)
		tick_ms = 100;
	if (tick_ms > 1000)
		tick_ms = 1000;
	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		pthread_mutex_unlock(&s->lock);
		run_crls(s);
		run_delta_crls(s);
		pthread_mutex_lock(&s->lock);
		wait_locked(s, tick_ms);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

edgeca_err
scheduler_start(struct edgeca_ctx *ctx, const struct edgeca_config *cfg, struct scheduler **out,
                struct edgeca_msg *msg)
{
	struct scheduler *s = calloc(1, sizeof(*s));
	char host[256];
	unsigned char nonce[4];

	*out = NULL;
	if (s == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	s->ctx = ctx;
	s->cfg = cfg;
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	/* the random part tells instances apart where host names and pids
	 * repeat (containers) */
	if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
		free(s);
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "no randomness for the scheduler");
	}
	snprintf(s->me, sizeof(s->me), "%s:%ld:%02x%02x%02x%02x", host, (long)getpid(), nonce[0],
	         nonce[1], nonce[2], nonce[3]);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	if (pthread_create(&s->thread, NULL, scheduler_main, s) != 0) {
		pthread_cond_destroy(&s->wake);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot start the scheduler");
	}
	if (pthread_create(&s->sender, NULL, sender_main, s) != 0) {
		scheduler_stop(s);
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
		                   "cannot start the scheduler's notification sender");
	}
	s->sender_started = true;
	log_info("scheduler_start: CRLs kept current (revocations coalesced over %u ms); "
	         "lifecycle notifications every %u s as %s", cfg->crl_delay_ms,
	         cfg->scheduler_interval_s, s->me);
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
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	if (s->sender_started)
		pthread_join(s->sender, NULL);
	PQfinish(s->conn);
	PQfinish(s->lconn);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
