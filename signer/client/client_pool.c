#include "signer/client/client_pool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/metrics.h"
#include "common/timeutil.h"

edgeca_err
signer_pool_new(const char *socket_path, unsigned size, unsigned timeout_ms,
                struct signer_pool **out, struct edgeca_msg *msg)
{
	pthread_condattr_t attr;
	struct signer_pool *p;

	*out = NULL;
	if (strlen(socket_path) >= sizeof(p->path))
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
		                   "signer socket path is too long: %s", socket_path);
	if (size == 0 || timeout_ms == 0)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
		                   "signer pool size and timeout must be > 0");
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	p->fds = malloc(size * sizeof(int));
	p->busy = calloc(size, sizeof(bool));
	p->deadline_ms = calloc(size, sizeof(int64_t));
	if (p->fds == NULL || p->busy == NULL || p->deadline_ms == NULL) {
		free(p->fds);
		free(p->busy);
		free(p->deadline_ms);
		free(p);
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	}
	for (unsigned i = 0; i < size; i++)
		p->fds[i] = -1;
	snprintf(p->path, sizeof(p->path), "%s", socket_path);
	p->size = size;
	p->timeout_ms = timeout_ms;
	p->keygen_timeout_ms =
		timeout_ms > SIGNER_KEYGEN_TIMEOUT_MS ? timeout_ms : SIGNER_KEYGEN_TIMEOUT_MS;
	p->check_fd = -1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_mutex_init(&p->check_lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&p->freed, &attr);
	pthread_condattr_destroy(&attr);
	*out = p;
	return EDGECA_OK;
}

void
signer_pool_free(struct signer_pool *p)
{
	if (p == NULL)
		return;
	for (unsigned i = 0; i < p->size; i++)
		if (p->fds[i] >= 0)
			close(p->fds[i]);
	if (p->check_fd >= 0)
		close(p->check_fd);
	pthread_cond_destroy(&p->freed);
	pthread_mutex_destroy(&p->lock);
	pthread_mutex_destroy(&p->check_lock);
	free(p->fds);
	free(p->busy);
	free(p->deadline_ms);
	free(p);
}

/* A timeout option (SO_RCVTIMEO or SO_SNDTIMEO) of what is left until
 * deadline_ms; -1 when nothing is left. */
static int
set_time_left(int fd, int option, int64_t deadline_ms)
{
	int64_t left = deadline_ms - mono_ms();
	struct timeval tv;

	if (left <= 0)
		return -1;
	tv.tv_sec = (time_t)(left / 1000);
	tv.tv_usec = (suseconds_t)(left % 1000) * 1000;
	return setsockopt(fd, SOL_SOCKET, option, &tv, sizeof(tv));
}

/* A new connection by deadline_ms. Sends are bounded by the pool's
 * timeout from then on: a frame fits the socket's buffer, so a send only
 * waits when the signer has stopped reading in the middle of a CRL. */
static int
connect_signer(const struct signer_pool *p, int64_t deadline_ms)
{
	struct sockaddr_un sa;
	struct timeval tv = {(time_t)(p->timeout_ms / 1000),
	                     (suseconds_t)(p->timeout_ms % 1000) * 1000};
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, p->path, strlen(p->path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* connect() on a Unix socket waits (bounded by the send timeout)
	 * only when the signer's backlog is full */
	if (set_time_left(fd, SO_SNDTIMEO, deadline_ms) != 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
to_timespec(int64_t ms, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ms / 1000);
	ts->tv_nsec = (long)(ms % 1000) * 1000000L;
}

int
pool_acquire(struct signer_pool *p, int64_t deadline_ms, bool counted)
{
	struct timespec until;
	int slot = -1;

	to_timespec(deadline_ms, &until);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		/* Prefer an open connection, then any free slot. */
		for (unsigned i = 0; i < p->size && slot < 0; i++)
			if (!p->busy[i] && p->fds[i] >= 0)
				slot = (int)i;
		for (unsigned i = 0; i < p->size && slot < 0; i++)
			if (!p->busy[i])
				slot = (int)i;
		if (slot >= 0) {
			p->busy[slot] = true;
			if (counted) {
				p->deadline_ms[slot] = deadline_ms;
				stall_begin(&p->stall, mono_ms());
			}
			break;
		}
		if (pthread_cond_timedwait(&p->freed, &p->lock, &until) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&p->lock);
	return slot;
}

void
pool_release(struct signer_pool *p, int slot, bool healthy)
{
	pthread_mutex_lock(&p->lock);
	if (!healthy && p->fds[slot] >= 0) {
		close(p->fds[slot]);
		p->fds[slot] = -1;
	}
	if (p->deadline_ms[slot] != 0) {
		p->deadline_ms[slot] = 0;
		stall_end(&p->stall);
	}
	p->busy[slot] = false;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
}

edgeca_err
pool_busy(struct signer_pool *p, unsigned timeout_ms, struct edgeca_msg *msg)
{
	log_error("signer_call: all %u connections to the signer stayed busy for %u ms", p->size,
	          timeout_ms);
	return edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, "signer-unavailable",
	                   "all signer connections are busy");
}

unsigned
pool_retry_after(struct signer_pool *p, int64_t now_ms)
{
	int64_t last = now_ms;

	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < p->size; i++)
		if (p->deadline_ms[i] > last)
			last = p->deadline_ms[i];
	pthread_mutex_unlock(&p->lock);
	return last - now_ms < 1000 ? 1 : (unsigned)((last - now_ms + 999) / 1000);
}

bool
signer_pool_stalled(struct signer_pool *p, unsigned *silent_s, unsigned *retry_after_s)
{
	int64_t now, silent = 0;

	/* the common case, nothing waiting, costs one atomic load */
	if (atomic_load(&p->stall.waiting) == 0)
		return false;
	now = mono_ms();
	if (!stall_check(&p->stall, now, &silent))
		return false;
	if (silent_s != NULL)
		*silent_s = (unsigned)(silent / 1000);
	if (retry_after_s != NULL)
		*retry_after_s = pool_retry_after(p, now);
	return true;
}

enum read_result { READ_OK, READ_EOF_AT_START, READ_BROKEN, READ_LATE };

/* Receives n bytes by deadline_ms. The first recv of a reply blocks, with
 * a receive timeout of the time left (the reply is not there yet, as a
 * rule); later ones try without waiting first, so a reply that arrived
 * whole costs no further system call, and set the time left again only
 * when they must wait. */
static enum read_result
recv_by(int fd, unsigned char *p, size_t n, int64_t deadline_ms, bool first)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = recv(fd, p + got, n - got, first ? 0 : MSG_DONTWAIT);
		if (r < 0 && !first && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (set_time_left(fd, SO_RCVTIMEO, deadline_ms) != 0)
				return READ_LATE;
			r = recv(fd, p + got, n - got, 0);
		}
		if (r == 0)
			return first && got == 0 ? READ_EOF_AT_START : READ_BROKEN;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? READ_LATE : READ_BROKEN;
		got += (size_t)r;
		first = false;
	}
	return READ_OK;
}

/* One reply frame, checked as signer_read_msg does, by deadline_ms. The
 * receive timeout must already hold the time left. */
static enum read_result
read_reply(int fd, struct signer_msg *m, int64_t deadline_ms)
{
	unsigned char hdr[SIGNER_HEADER_LEN], *payload;
	enum read_result r;
	uint8_t type;
	long plen;

	memset(m, 0, sizeof(*m));
	if ((r = recv_by(fd, hdr, sizeof(hdr), deadline_ms, true)) != READ_OK)
		return r;
	if ((plen = signer_header_check(hdr, &type)) < 0 ||
	    (payload = malloc((size_t)plen + 1)) == NULL)
		return READ_BROKEN;
	if ((r = recv_by(fd, payload, (size_t)plen, deadline_ms, false)) != READ_OK) {
		free(payload);
		return r;
	}
	return signer_msg_parse_payload(type, payload, (size_t)plen, m) == 0 ? READ_OK
	                                                                     : READ_BROKEN;
}

enum exchange_result { EXCHANGE_OK, EXCHANGE_DOWN, EXCHANGE_BROKEN, EXCHANGE_LATE };

/* Sends frame and reads its reply on *fd, connecting first when it is
 * closed and may_connect. With may_reconnect, a reused connection that
 * turns out to be dead (the signer restarted) is replaced once. On
 * failure *fd is closed. */
static enum exchange_result
exchange(struct signer_pool *p, int *fd, const struct buf *frame, struct signer_msg *reply,
         int64_t deadline_ms, bool may_connect, bool may_reconnect)
{
	for (int attempt = 0; attempt < (may_reconnect ? 2 : 1); attempt++) {
		enum read_result r = READ_BROKEN;
		bool fresh = false;

		if (*fd < 0) {
			if (!may_connect)
				return EXCHANGE_BROKEN;
			if ((*fd = connect_signer(p, deadline_ms)) < 0)
				return deadline_ms <= mono_ms() ? EXCHANGE_LATE : EXCHANGE_DOWN;
			fresh = true;
		}
		if (set_time_left(*fd, SO_RCVTIMEO, deadline_ms) != 0)
			r = READ_LATE;
		else if (signer_write_all(*fd, frame->data, frame->len) == 0)
			r = read_reply(*fd, reply, deadline_ms);
		else /* a connection the signer closed (it restarted) refuses writes */
			r = errno == EAGAIN || errno == EWOULDBLOCK ? READ_LATE : READ_EOF_AT_START;
		if (r == READ_OK) {
			stall_reply(&p->stall, mono_ms());
			return EXCHANGE_OK;
		}
		close(*fd);
		*fd = -1;
		if (r == READ_LATE)
			return EXCHANGE_LATE;
		if (fresh || r != READ_EOF_AT_START)
			return EXCHANGE_BROKEN;
	}
	return EXCHANGE_BROKEN;
}

/* The signer's error type (a slug) as text, with its NUL. */
#define ERROR_TYPE_BYTES 65

static edgeca_err
map_error(const struct signer_msg *reply, struct edgeca_msg *msg)
{
	char text[513], type[ERROR_TYPE_BYTES];
	uint32_t code = 0;
	edgeca_err e;

	if (signer_get_u32(reply, SIGNER_TAG_ERROR_CODE, &code) != 0 ||
	    signer_get_str(reply, SIGNER_TAG_ERROR_MESSAGE, text, sizeof(text)) != 0)
		return edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, NULL, "the signer sent a bad reply");
	if (signer_get_str(reply, SIGNER_TAG_ERROR_TYPE, type, sizeof(type)) != 0)
		type[0] = '\0';
	switch (code) {
	case SIGNER_E_MALFORMED: e = EDGECA_ERR_MALFORMED; break;
	case SIGNER_E_TOO_LARGE: e = EDGECA_ERR_OVERSIZED; break;
	case SIGNER_E_INVALID: e = EDGECA_ERR_INVALID; break;
	case SIGNER_E_POLICY: e = EDGECA_ERR_INVALID; break;
	case SIGNER_E_NOT_FOUND: e = EDGECA_ERR_NOT_FOUND; break;
	case SIGNER_E_RECORD_NEEDED: e = EDGECA_ERR_NOT_FOUND; break;
	case SIGNER_E_CONFLICT: e = EDGECA_ERR_CONFLICT; break;
	default: e = EDGECA_ERR_INTERNAL; break;
	}
	edgeca_fail(msg, e, type[0] ? type : NULL, "%s", text);
	if (msg != NULL)
		msg->type_internal = true; /* api/ decides whether callers see it */
	return e;
}

/* The answer to an exchange that failed. */
static edgeca_err
exchange_failed(const struct signer_pool *p, enum exchange_result x, struct edgeca_msg *msg)
{
	if (x == EXCHANGE_LATE) {
		log_error("signer_call: no reply from the signer at %s by the call's deadline; "
		          "connection closed", p->path);
		return edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, "signer-unavailable",
		                   "the signer did not answer in time");
	}
	log_error("signer_call: signer at %s unreachable or broke the protocol", p->path);
	return edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, "signer-unavailable",
	                   "the signer is not reachable");
}

/* Checks a reply against ok_schema: an error reply becomes its edgeca_err
 * (the connection stays usable), anything else unexpected breaks it. */
static edgeca_err
check_reply(const struct signer_pool *p, struct signer_msg *reply,
            const struct signer_schema *ok_schema, bool *healthy, struct edgeca_msg *msg)
{
	edgeca_err rc;

	if (reply->type == SIGNER_REPLY_ERROR && signer_msg_check(reply, &signer_schema_error) == 0) {
		rc = map_error(reply, msg);
		signer_msg_free(reply);
		return rc;
	}
	if (signer_msg_check(reply, ok_schema) != 0) {
		*healthy = false;
		log_error("signer_call: unexpected reply type %u from the signer at %s", reply->type,
		          p->path);
		signer_msg_free(reply);
		return edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, "signer-unavailable",
		                   "the signer sent an unexpected reply");
	}
	return EDGECA_OK;
}

/* The operation of a request frame (its fourth byte), as a label. */
static const char *
op_name(uint8_t type)
{
	static const char *const names[] = {
		"other",      "ping",     "key_create", "self_sign",  "issue",
		"csr_create", "cert_install", "key_info", "crl_begin", "crl_entries",
		"crl_finish", "key_load", "key_migrate", "ocsp_sign", "key_destroy",
	};

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "other";
}

edgeca_err
pool_slot_call(struct signer_pool *p, int slot, struct signer_writer *w,
               const struct signer_schema *ok_schema, int64_t deadline_ms, bool may_reconnect,
               struct signer_msg *reply, bool *healthy, struct edgeca_msg *msg)
{
	enum exchange_result x;
	struct timespec start;
	edgeca_err rc;

	memset(reply, 0, sizeof(*reply));
	*healthy = true;
	if (signer_writer_finish(w) != 0)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, NULL,
		                   "the request is too large for the signer");
	clock_gettime(CLOCK_MONOTONIC, &start);
	x = exchange(p, &p->fds[slot], &w->b, reply, deadline_ms, may_reconnect, may_reconnect);
	if (x != EXCHANGE_OK) {
		*healthy = false;
		rc = exchange_failed(p, x, msg);
	} else {
		rc = check_reply(p, reply, ok_schema, healthy, msg);
	}
	if (metrics_enabled())
		metrics_signer_call(op_name(w->b.data[3]), rc == EDGECA_OK,
		                    metrics_seconds_since(&start));
	return rc;
}

void
signer_pool_usage(struct signer_pool *p, unsigned *size, unsigned *in_use)
{
	unsigned n = 0;

	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < p->size; i++)
		n += p->busy[i] ? 1 : 0;
	pthread_mutex_unlock(&p->lock);
	*size = p->size;
	*in_use = n;
}

static void
late(char *state, size_t len, unsigned timeout_ms)
{
	if (timeout_ms % 1000 == 0)
		snprintf(state, len, "not answering within %u s", timeout_ms / 1000);
	else
		snprintf(state, len, "not answering within %u ms", timeout_ms);
}

edgeca_err
pool_check_call(struct signer_pool *p, struct signer_writer *w,
                const struct signer_schema *ok_schema, unsigned timeout_ms,
                struct signer_msg *reply, char *state, size_t state_len)
{
	int64_t deadline = mono_ms() + timeout_ms;
	struct timespec until;
	enum exchange_result x;
	bool healthy = true;
	edgeca_err rc;

	memset(reply, 0, sizeof(*reply));
	if (signer_writer_finish(w) != 0) {
		snprintf(state, state_len, "cannot be asked");
		return EDGECA_ERR_INTERNAL;
	}
	/* one check at a time on the connection; another one under way
	 * answers for both */
	realtime_in(timeout_ms, &until);
	if (pthread_mutex_timedlock(&p->check_lock, &until) != 0) {
		late(state, state_len, timeout_ms);
		return EDGECA_ERR_UNAVAILABLE;
	}
	x = exchange(p, &p->check_fd, &w->b, reply, deadline, true, true);
	if (x == EXCHANGE_OK) {
		rc = check_reply(p, reply, ok_schema, &healthy, NULL);
		if (rc != EDGECA_OK)
			snprintf(state, state_len, "answers wrongly");
		if (!healthy) {
			close(p->check_fd);
			p->check_fd = -1;
		}
	} else {
		rc = EDGECA_ERR_UNAVAILABLE;
		if (x == EXCHANGE_LATE)
			late(state, state_len, timeout_ms);
		else
			snprintf(state, state_len, "unreachable");
	}
	pthread_mutex_unlock(&p->check_lock);
	return rc;
}
