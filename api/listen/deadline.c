#include "api/listen/deadline.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/metrics.h"

/* One connection. fd is a duplicate of the connection's socket, closed
 * only when libmicrohttpd reports the connection closed: shutting it down
 * can never hit another connection that got the same descriptor number. */
struct tracked {
	struct deadline_watch *w;
	int fd;
	time_t since; /* CLOCK_MONOTONIC seconds */
	bool cut;
	/* when the current request's line arrived; only the connection's
	 * own thread reads or writes it */
	struct timespec begun;
	bool has_begun;
	struct tracked *prev, *next;
};

struct deadline_watch {
	unsigned seconds;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	pthread_t thread;
	struct tracked *head;
};

static time_t
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void *
watch_loop(void *arg)
{
	struct deadline_watch *w = arg;
	struct timespec until;

	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		time_t now = now_mono();
		for (struct tracked *t = w->head; t != NULL; t = t->next) {
			if (t->cut || now - t->since <= (time_t)w->seconds)
				continue;
			t->cut = true;
			if (shutdown(t->fd, SHUT_RDWR) != 0 && errno != ENOTCONN)
				log_debug("deadline: shutdown: %s", strerror(errno));
			else
				log_info("deadline: a connection took over %u s for one request; closed",
				         w->seconds);
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&w->wake, &w->lock, &until);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

edgeca_err
deadline_watch_start(unsigned seconds, struct deadline_watch **out, struct edgeca_msg *msg)
{
	struct deadline_watch *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (w == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	w->seconds = seconds;
	if (pthread_mutex_init(&w->lock, NULL) != 0) {
		free(w);
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot make a lock");
	}
	if (pthread_cond_init(&w->wake, NULL) != 0) {
		pthread_mutex_destroy(&w->lock);
		free(w);
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot make a condition");
	}
	if (pthread_create(&w->thread, NULL, watch_loop, w) != 0) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot start the deadline thread");
	}
	*out = w;
	return EDGECA_OK;
}

void
deadline_watch_stop(struct deadline_watch *w)
{
	struct tracked *t, *next;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	for (t = w->head; t != NULL; t = next) { /* none once the listeners stopped */
		next = t->next;
		close(t->fd);
		free(t);
	}
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

static void
track(struct deadline_watch *w, struct MHD_Connection *con, void **socket_context)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct tracked *t = calloc(1, sizeof(*t));

	*socket_context = NULL;
	if (t == NULL || ci == NULL || (t->fd = dup(ci->connect_fd)) < 0) {
		/* untracked: still bounded by the idle timeout */
		log_warn("deadline: cannot track a connection: %s", strerror(errno));
		free(t);
		return;
	}
	t->w = w;
	t->since = now_mono();
	pthread_mutex_lock(&w->lock);
	t->next = w->head;
	if (w->head != NULL)
		w->head->prev = t;
	w->head = t;
	pthread_mutex_unlock(&w->lock);
	*socket_context = t;
}

static void
untrack(struct tracked *t)
{
	struct deadline_watch *w = t->w;

	pthread_mutex_lock(&w->lock);
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		w->head = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	pthread_mutex_unlock(&w->lock);
	close(t->fd);
	free(t);
}

void
deadline_on_connection(void *cls, struct MHD_Connection *con, void **socket_context,
                       enum MHD_ConnectionNotificationCode toe)
{
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		track(cls, con, socket_context);
	else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context != NULL) {
		untrack(*socket_context);
		*socket_context = NULL;
	}
}

static struct tracked *
tracked_of(struct MHD_Connection *con)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(con, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

void
deadline_request_begun(struct MHD_Connection *con)
{
	struct tracked *t = tracked_of(con);

	if (t == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t->begun);
	t->has_begun = true;
}

double
deadline_request_done(struct MHD_Connection *con)
{
	struct tracked *t = tracked_of(con);
	double seconds = 0;

	if (t == NULL)
		return 0;
	if (t->has_begun)
		seconds = metrics_seconds_since(&t->begun);
	t->has_begun = false;
	pthread_mutex_lock(&t->w->lock);
	t->since = now_mono();
	pthread_mutex_unlock(&t->w->lock);
	return seconds;
}
