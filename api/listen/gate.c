#include "api/listen/gate.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "common/timeutil.h"
#include "signer/client/client.h"

/* A waiter looks at the signer's state this often: it leaves at once
 * (well, within this) when the signer is found stalled. */
#define GATE_RECHECK_MS 200
/* Retry-After of a full gate while the signer works: places free quickly. */
#define GATE_FULL_RETRY_S 2

struct signer_gate {
	unsigned capacity;
	unsigned inside;
	unsigned waiting;
	gate_stalled_fn stalled;
	void *stalled_arg;
	pthread_mutex_t lock;
	pthread_cond_t freed; /* CLOCK_MONOTONIC */
};

unsigned
gate_capacity(unsigned threads, unsigned configured)
{
	unsigned n;

	if (configured > 0)
		return configured;
	n = threads - (threads + 3) / 4;
	if (n < 2)
		n = 2;
	return n < threads ? n : threads;
}

edgeca_err
gate_new(unsigned capacity, gate_stalled_fn stalled, void *stalled_arg, struct signer_gate **out,
         struct edgeca_msg *msg)
{
	pthread_condattr_t attr;
	struct signer_gate *g;
	edgeca_err rc = EDGECA_OK;

	*out = NULL;
	if (capacity == 0 || stalled == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "a gate needs a size and a probe");
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	g->capacity = capacity;
	g->stalled = stalled;
	g->stalled_arg = stalled_arg;
	if (pthread_condattr_init(&attr) != 0) {
		free(g);
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot make a condition");
	}
	if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&g->freed, &attr) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot make a condition");
	} else if (pthread_mutex_init(&g->lock, NULL) != 0) {
		pthread_cond_destroy(&g->freed);
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot make a lock");
	}
	pthread_condattr_destroy(&attr);
	if (rc != EDGECA_OK) {
		free(g);
		return rc;
	}
	*out = g;
	return EDGECA_OK;
}

void
gate_free(struct signer_gate *g)
{
	if (g == NULL)
		return;
	pthread_cond_destroy(&g->freed);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

enum gate_verdict
gate_enter(struct signer_gate *g, unsigned wait_ms, unsigned *retry_after_s, unsigned *silent_s)
{
	int64_t until = -1; /* read the clock only when there is a wait */
	enum gate_verdict v;

	*retry_after_s = 0;
	*silent_s = 0;
	pthread_mutex_lock(&g->lock);
	for (;;) {
		int64_t now, wake;
		struct timespec ts;

		/* a stalled signer is refused even with places free: nothing
		 * would come back before the call's deadline */
		if (g->stalled(g->stalled_arg, retry_after_s, silent_s)) {
			v = GATE_STALLED;
			break;
		}
		if (g->inside < g->capacity) {
			g->inside++;
			v = GATE_ADMITTED;
			break;
		}
		now = mono_ms();
		if (until < 0)
			until = now + wait_ms;
		if (now >= until) {
			*retry_after_s = GATE_FULL_RETRY_S;
			v = GATE_FULL;
			break;
		}
		wake = now + GATE_RECHECK_MS < until ? now + GATE_RECHECK_MS : until;
		ts.tv_sec = (time_t)(wake / 1000);
		ts.tv_nsec = (long)(wake % 1000) * 1000000L;
		g->waiting++;
		pthread_cond_timedwait(&g->freed, &g->lock, &ts);
		g->waiting--;
	}
	pthread_mutex_unlock(&g->lock);
	return v;
}

void
gate_leave(struct signer_gate *g)
{
	pthread_mutex_lock(&g->lock);
	if (g->inside > 0)
		g->inside--;
	if (g->waiting > 0)
		pthread_cond_signal(&g->freed);
	pthread_mutex_unlock(&g->lock);
}

void
gate_refusal_text(enum gate_verdict v, unsigned silent_s, char *out, size_t len)
{
	if (v == GATE_STALLED)
		snprintf(out, len, "the signer has answered nothing for %u s; try again later",
		         silent_s);
	else
		snprintf(out, len, "too many requests are waiting for the signer; try again later");
}

bool
gate_signer_stalled(void *pool, unsigned *retry_after_s, unsigned *silent_s)
{
	return signer_pool_stalled(pool, silent_s, retry_after_s);
}
