/* The OCSP cache's LISTEN thread: connect, LISTEN, wait on the socket
 * (a second at most, to see the stop flag), drop what each notification
 * names; on any failure turn the cache off and start again. */
#include "server/ocsp_listen.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "model/ocsp/ocsp.h"
#include "model/store/db.h"

struct ocsp_listen {
	struct edgeca_ctx *ctx;
	const char *conninfo;
	pthread_t thread;
	atomic_bool stop;
};

/* Drains the notifications waiting on c. Returns 0, or -1 when the
 * connection is lost. */
static int
drain(struct ocsp_listen *l, PGconn *c)
{
	PGnotify *n;

	if (PQconsumeInput(c) != 1)
		return -1;
	while ((n = PQnotifies(c)) != NULL) {
		ocsp_cache_forget_payload(l->ctx->ocsp_cache, n->extra);
		PQfreemem(n);
	}
	return 0;
}

/* One connection's life: LISTEN, then wait and drain until it fails or
 * the thread is stopped. */
static void
listen_once(struct ocsp_listen *l)
{
	struct edgeca_msg msg = {0};
	PGconn *c = NULL;
	PGresult *r = NULL;

	if (db_connect(l->conninfo, &c, &msg) != EDGECA_OK)
		goto out;
	r = PQexec(c, "LISTEN " OCSP_CHANNEL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		log_warn("ocsp_listen: LISTEN failed: %s", PQerrorMessage(c));
		goto out;
	}
	/* what was revoked while not listening is unknown: start empty */
	ocsp_cache_set_enabled(l->ctx->ocsp_cache, true);
	log_info("ocsp_listen: listening on " OCSP_CHANNEL "; OCSP cache on");
	while (!atomic_load(&l->stop)) {
		struct pollfd pfd = {PQsocket(c), POLLIN, 0};
		if (pfd.fd < 0 || poll(&pfd, 1, 1000) < 0 || drain(l, c) != 0 ||
		    PQstatus(c) != CONNECTION_OK) {
			log_warn("ocsp_listen: connection lost; OCSP cache off until it is back");
			break;
		}
	}
out:
	ocsp_cache_set_enabled(l->ctx->ocsp_cache, false);
	PQclear(r);
	PQfinish(c);
}

static void *
run(void *arg)
{
	struct ocsp_listen *l = arg;

	while (!atomic_load(&l->stop)) {
		listen_once(l);
		for (int i = 0; i < 10 && !atomic_load(&l->stop); i++)
			usleep(100000);
	}
	return NULL;
}

edgeca_err
ocsp_listen_start(struct edgeca_ctx *ctx, const struct edgeca_config *cfg,
                  struct ocsp_listen **out, struct edgeca_msg *msg)
{
	struct ocsp_listen *l = calloc(1, sizeof(*l));

	*out = NULL;
	if (l == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	l->ctx = ctx;
	l->conninfo = cfg->database_url;
	atomic_init(&l->stop, false);
	ocsp_cache_set_enabled(ctx->ocsp_cache, false);
	if (pthread_create(&l->thread, NULL, run, l) != 0) {
		free(l);
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot start the OCSP LISTEN thread");
	}
	*out = l;
	return EDGECA_OK;
}

void
ocsp_listen_stop(struct ocsp_listen *l)
{
	if (l == NULL)
		return;
	atomic_store(&l->stop, true);
	pthread_join(l->thread, NULL);
	free(l);
}
