#include "signer/client.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/der.h"
#include "common/log.h"
#include "signer/protocol.h"

/* Key generation (RSA-4096) can take seconds; nothing else comes close. */
#define SIGNER_IO_TIMEOUT_S 60
#define SIGNER_PING_TIMEOUT_S 3

struct signer_pool {
	char path[108];
	unsigned size;
	unsigned timeout_ms;
	int *fds;    /* -1: not connected */
	bool *busy;
	pthread_mutex_t lock;
	pthread_cond_t freed;
};

edgeca_err
signer_pool_new(const char *socket_path, unsigned size, unsigned timeout_ms,
                struct signer_pool **out, struct edgeca_msg *msg)
{
	struct signer_pool *p;

	*out = NULL;
	if (strlen(socket_path) >= sizeof(p->path))
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
		                   "signer socket path is too long: %s", socket_path);
	if (size == 0)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "signer pool size must be > 0");
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	p->fds = malloc(size * sizeof(int));
	p->busy = calloc(size, sizeof(bool));
	if (p->fds == NULL || p->busy == NULL) {
		free(p->fds);
		free(p->busy);
		free(p);
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	}
	for (unsigned i = 0; i < size; i++)
		p->fds[i] = -1;
	snprintf(p->path, sizeof(p->path), "%s", socket_path);
	p->size = size;
	p->timeout_ms = timeout_ms;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->freed, NULL);
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
	pthread_cond_destroy(&p->freed);
	pthread_mutex_destroy(&p->lock);
	free(p->fds);
	free(p->busy);
	free(p);
}

static int
connect_signer(const char *path)
{
	struct sockaddr_un sa;
	struct timeval tv = {SIGNER_IO_TIMEOUT_S, 0};
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static int
acquire(struct signer_pool *p)
{
	struct timespec deadline;
	int slot = -1;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += p->timeout_ms / 1000;
	deadline.tv_nsec += (long)(p->timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
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
			break;
		}
		if (pthread_cond_timedwait(&p->freed, &p->lock, &deadline) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&p->lock);
	return slot;
}

static void
release(struct signer_pool *p, int slot, bool healthy)
{
	pthread_mutex_lock(&p->lock);
	if (!healthy && p->fds[slot] >= 0) {
		close(p->fds[slot]);
		p->fds[slot] = -1;
	}
	p->busy[slot] = false;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
}

static edgeca_err
map_error(const struct signer_msg *reply, struct edgeca_msg *msg)
{
	char text[513], type[65];
	uint32_t code = 0;
	edgeca_err e;

	if (signer_get_u32(reply, SIGNER_TAG_ERROR_CODE, &code) != 0 ||
	    signer_get_str(reply, SIGNER_TAG_ERROR_MESSAGE, text, sizeof(text)) != 0)
		return edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, NULL, "the signer sent a bad reply");
	if (signer_get_str(reply, SIGNER_TAG_ERROR_TYPE, type, sizeof(type)) != 0)
		type[0] = '\0';
	switch (code) {
	case SIGNER_E_MALFORMED: e = EDGECA_ERR_MALFORMED; break;
	case SIGNER_E_TOO_LARGE: e = EDGECA_ERR_TOO_LARGE; break;
	case SIGNER_E_INVALID: e = EDGECA_ERR_INVALID; break;
	case SIGNER_E_POLICY: e = EDGECA_ERR_INVALID; break;
	case SIGNER_E_NOT_FOUND: e = EDGECA_ERR_NOT_FOUND; break;
	case SIGNER_E_CONFLICT: e = EDGECA_ERR_CONFLICT; break;
	default: e = EDGECA_ERR_INTERNAL; break;
	}
	return edgeca_fail(msg, e, type[0] ? type : NULL, "%s", text);
}

/* One request/reply exchange on a connection of slot. With may_reconnect,
 * a reused connection that turns out to be dead (the signer restarted) is
 * replaced once; never in a CRL session, whose state lives on the
 * connection. */
static int
exchange(struct signer_pool *p, int slot, const struct buf *frame, struct signer_msg *reply,
         int timeout_s, bool may_reconnect)
{
	for (int attempt = 0; attempt < (may_reconnect ? 2 : 1); attempt++) {
		bool fresh = false;
		int r;

		if (p->fds[slot] < 0) {
			if (!may_reconnect)
				return -1;
			p->fds[slot] = connect_signer(p->path);
			if (p->fds[slot] < 0)
				return -1;
			fresh = true;
		}
		{
			struct timeval tv = {timeout_s, 0};
			setsockopt(p->fds[slot], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		}
		if (signer_write_all(p->fds[slot], frame->data, frame->len) == 0) {
			r = signer_read_msg(p->fds[slot], reply);
			if (r == 0)
				return 0;
		} else {
			r = 1;
		}
		close(p->fds[slot]);
		p->fds[slot] = -1;
		if (fresh || r != 1)
			return -1;
	}
	return -1;
}

/* Sends the frame built in w on slot's connection and checks the reply
 * against ok_schema. *healthy tells whether the connection is still in a
 * known state (an error reply leaves it so; a broken exchange does not). */
static edgeca_err
slot_call(struct signer_pool *p, int slot, struct signer_writer *w,
          const struct signer_schema *ok_schema, int timeout_s, bool may_reconnect,
          struct signer_msg *reply, bool *healthy, struct edgeca_msg *msg)
{
	edgeca_err rc;

	memset(reply, 0, sizeof(*reply));
	*healthy = true;
	if (signer_writer_finish(w) != 0)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, NULL,
		                   "the request is too large for the signer");
	if (exchange(p, slot, &w->b, reply, timeout_s, may_reconnect) != 0) {
		*healthy = false;
		log_error("signer_call: signer at %s unreachable or broke the protocol", p->path);
		return edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, "signer-unavailable",
		                   "the signer is not reachable");
	}
	if (reply->type == SIGNER_REPLY_ERROR && signer_msg_check(reply, &signer_schema_error) == 0) {
		rc = map_error(reply, msg);
		signer_msg_free(reply);
		return rc;
	}
	if (signer_msg_check(reply, ok_schema) != 0) {
		*healthy = false;
		log_error("signer_call: unexpected reply type %u from the signer", reply->type);
		signer_msg_free(reply);
		return edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, "signer-unavailable",
		                   "the signer sent an unexpected reply");
	}
	return EDGECA_OK;
}

/* One request on a pooled connection. */
static edgeca_err
signer_call(struct signer_pool *p, struct signer_writer *w, const struct signer_schema *ok_schema,
            int timeout_s, struct signer_msg *reply, struct edgeca_msg *msg)
{
	bool healthy = false;
	int slot;
	edgeca_err rc;

	memset(reply, 0, sizeof(*reply));
	if (signer_writer_finish(w) != 0)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, NULL,
		                   "the request is too large for the signer");
	slot = acquire(p);
	if (slot < 0)
		return edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, "signer-unavailable",
		                   "all signer connections are busy");
	rc = slot_call(p, slot, w, ok_schema, timeout_s, true, reply, &healthy, msg);
	release(p, slot, healthy);
	return rc;
}

static const struct signer_schema ok_ping = {SIGNER_REPLY_OK,
                                             {SIGNER_TAG_PROTOCOL_VERSION, 0}, {0}};
static const struct signer_schema ok_key = {SIGNER_REPLY_OK,
                                            {SIGNER_TAG_KEY_ID, SIGNER_TAG_PUBLIC_KEY, 0}, {0}};
static const struct signer_schema ok_cert = {SIGNER_REPLY_OK, {SIGNER_TAG_CERTIFICATE, 0}, {0}};

edgeca_err
signer_ping(struct signer_pool *p, struct edgeca_msg *msg)
{
	struct signer_writer w;
	struct signer_msg reply;
	uint32_t version = 0;
	edgeca_err rc;

	signer_writer_init(&w, SIGNER_OP_PING);
	/* readiness probes must answer quickly even when the signer does not */
	rc = signer_call(p, &w, &ok_ping, SIGNER_PING_TIMEOUT_S, &reply, msg);
	signer_writer_free(&w);
	if (rc != EDGECA_OK)
		return rc;
	if (signer_get_u32(&reply, SIGNER_TAG_PROTOCOL_VERSION, &version) != 0 ||
	    version != SIGNER_PROTO_VERSION)
		rc = edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, "signer-unavailable",
		                 "the signer speaks protocol version %u, not %d", version,
		                 SIGNER_PROTO_VERSION);
	signer_msg_free(&reply);
	return rc;
}

edgeca_err
signer_key_create(struct signer_pool *p, const char *algorithm, const char *templates,
                  uint32_t max_validity_days, int path_length, const char *name_rules,
                  char key_id[65], struct edgeca_msg *msg)
{
	struct signer_writer w;
	struct signer_msg reply;
	edgeca_err rc;

	signer_writer_init(&w, SIGNER_OP_KEY_CREATE);
	signer_put_str(&w, SIGNER_TAG_ALGORITHM, algorithm);
	signer_put_str(&w, SIGNER_TAG_TEMPLATES, templates);
	signer_put_u32(&w, SIGNER_TAG_MAX_VALIDITY_DAYS, max_validity_days);
	if (path_length >= 0)
		signer_put_u32(&w, SIGNER_TAG_PATH_LENGTH, (uint32_t)path_length);
	if (name_rules != NULL)
		signer_put_str(&w, SIGNER_TAG_NAME_RULES, name_rules);
	rc = signer_call(p, &w, &ok_key, SIGNER_IO_TIMEOUT_S, &reply, msg);
	signer_writer_free(&w);
	if (rc != EDGECA_OK)
		return rc;
	if (signer_get_str(&reply, SIGNER_TAG_KEY_ID, key_id, 65) != 0)
		rc = edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, "signer-unavailable",
		                 "the signer sent a bad key id");
	signer_msg_free(&reply);
	return rc;
}

/* Sends w (the caller keeps it) and copies the certificate of the reply. */
static edgeca_err
call_for_cert(struct signer_pool *p, struct signer_writer *w, unsigned char **der, size_t *len,
              struct edgeca_msg *msg)
{
	struct signer_msg reply;
	const struct signer_field *f;
	edgeca_err rc;

	*der = NULL;
	rc = signer_call(p, w, &ok_cert, SIGNER_IO_TIMEOUT_S, &reply, msg);
	if (rc != EDGECA_OK)
		return rc;
	f = signer_msg_get(&reply, SIGNER_TAG_CERTIFICATE);
	*der = malloc(f->len);
	if (*der == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	} else {
		memcpy(*der, f->val, f->len);
		*len = f->len;
	}
	signer_msg_free(&reply);
	return rc;
}

edgeca_err
signer_self_sign(struct signer_pool *p, const char *key_id, const unsigned char *subject_der,
                 size_t subject_len, time_t not_after, unsigned char **cert_der,
                 size_t *cert_len, struct edgeca_msg *msg)
{
	struct signer_writer w;
	edgeca_err rc;

	signer_writer_init(&w, SIGNER_OP_SELF_SIGN);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key_id);
	signer_put_bytes(&w, SIGNER_TAG_SUBJECT, subject_der, subject_len);
	signer_put_u64(&w, SIGNER_TAG_NOT_AFTER, (uint64_t)not_after);
	rc = call_for_cert(p, &w, cert_der, cert_len, msg);
	signer_writer_free(&w);
	return rc;
}

static const struct signer_schema ok_issued = {
	SIGNER_REPLY_OK,
	{SIGNER_TAG_CERTIFICATE, SIGNER_TAG_SERIAL, SIGNER_TAG_NOT_BEFORE, SIGNER_TAG_NOT_AFTER,
	 SIGNER_TAG_SUBJECT_TEXT, SIGNER_TAG_ALGORITHM, 0},
	{SIGNER_TAG_COMMON_NAME, SIGNER_TAG_SANS, 0}};

void
signer_issued_free(struct signer_issued *s)
{
	if (s == NULL)
		return;
	free(s->der);
	free(s->subject);
	free(s->common_name);
	if (s->sans != NULL)
		for (char **v = s->sans; *v; v++)
			free(*v);
	free(s->sans);
	memset(s, 0, sizeof(*s));
}

static char *
field_strdup(const struct signer_msg *m, uint16_t tag)
{
	const struct signer_field *f = signer_msg_get(m, tag);

	return f != NULL ? strndup((const char *)f->val, f->len) : NULL;
}

/* "a\nb" into {"a", "b", NULL}. */
static char **
split_lines(const char *text)
{
	size_t n = 1, i = 0;
	char **v;

	for (const char *p = text; p && *p; p++)
		n += *p == '\n';
	v = calloc(n + 1, sizeof(char *));
	if (v == NULL || text == NULL)
		return v;
	for (const char *p = text; i < n; i++) {
		size_t len = strcspn(p, "\n");
		if ((v[i] = strndup(p, len)) == NULL)
			break;
		p += len + (p[len] != '\0');
	}
	return v;
}

edgeca_err
signer_issue(struct signer_pool *p, const char *key_id, const char *tpl,
             const unsigned char *csr_der, size_t csr_len, time_t not_after,
             const struct signer_issue_opts *opts, struct signer_issued *out,
             struct edgeca_msg *msg)
{
	struct signer_writer w;
	struct signer_msg reply;
	const struct signer_field *cert;
	uint64_t nb = 0, na = 0;
	char *sans = NULL;
	edgeca_err rc;

	memset(out, 0, sizeof(*out));
	signer_writer_init(&w, SIGNER_OP_ISSUE);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key_id);
	signer_put_str(&w, SIGNER_TAG_TEMPLATE, tpl);
	signer_put_bytes(&w, SIGNER_TAG_CSR, csr_der, csr_len);
	signer_put_u64(&w, SIGNER_TAG_NOT_AFTER, (uint64_t)not_after);
	if (opts != NULL && opts->path_length >= 0)
		signer_put_u32(&w, SIGNER_TAG_PATH_LENGTH, (uint32_t)opts->path_length);
	if (opts != NULL && opts->crl_url != NULL && opts->crl_url[0] != '\0')
		signer_put_str(&w, SIGNER_TAG_CRL_URL, opts->crl_url);
	if (opts != NULL && opts->aia_url != NULL && opts->aia_url[0] != '\0')
		signer_put_str(&w, SIGNER_TAG_AIA_URL, opts->aia_url);
	rc = signer_call(p, &w, &ok_issued, SIGNER_IO_TIMEOUT_S, &reply, msg);
	signer_writer_free(&w);
	if (rc != EDGECA_OK)
		return rc;
	cert = signer_msg_get(&reply, SIGNER_TAG_CERTIFICATE);
	out->der = malloc(cert->len);
	out->subject = field_strdup(&reply, SIGNER_TAG_SUBJECT_TEXT);
	out->common_name = field_strdup(&reply, SIGNER_TAG_COMMON_NAME);
	sans = field_strdup(&reply, SIGNER_TAG_SANS);
	out->sans = split_lines(sans);
	if (out->der == NULL || out->subject == NULL || out->sans == NULL ||
	    (signer_msg_get(&reply, SIGNER_TAG_COMMON_NAME) && out->common_name == NULL) ||
	    signer_get_str(&reply, SIGNER_TAG_SERIAL, out->serial, sizeof(out->serial)) != 0 ||
	    signer_get_str(&reply, SIGNER_TAG_ALGORITHM, out->key_algorithm,
	                   sizeof(out->key_algorithm)) != 0 ||
	    signer_get_u64(&reply, SIGNER_TAG_NOT_BEFORE, &nb) != 0 ||
	    signer_get_u64(&reply, SIGNER_TAG_NOT_AFTER, &na) != 0) {
		signer_issued_free(out);
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot read the signer's reply");
	} else {
		memcpy(out->der, cert->val, cert->len);
		out->der_len = cert->len;
		out->not_before = (time_t)nb;
		out->not_after = (time_t)na;
	}
	free(sans);
	signer_msg_free(&reply);
	return rc;
}

static const struct signer_schema ok_csr = {SIGNER_REPLY_OK, {SIGNER_TAG_CSR, 0}, {0}};
static const struct signer_schema ok_empty = {SIGNER_REPLY_OK, {0}, {0}};

edgeca_err
signer_csr_create(struct signer_pool *p, const char *key_id, const unsigned char *subject_der,
                  size_t subject_len, unsigned char **csr_der, size_t *csr_len,
                  struct edgeca_msg *msg)
{
	struct signer_writer w;
	struct signer_msg reply;
	const struct signer_field *f;
	edgeca_err rc;

	*csr_der = NULL;
	signer_writer_init(&w, SIGNER_OP_CSR_CREATE);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key_id);
	signer_put_bytes(&w, SIGNER_TAG_SUBJECT, subject_der, subject_len);
	rc = signer_call(p, &w, &ok_csr, SIGNER_IO_TIMEOUT_S, &reply, msg);
	signer_writer_free(&w);
	if (rc != EDGECA_OK)
		return rc;
	f = signer_msg_get(&reply, SIGNER_TAG_CSR);
	*csr_der = malloc(f->len);
	if (*csr_der == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	} else {
		memcpy(*csr_der, f->val, f->len);
		*csr_len = f->len;
	}
	signer_msg_free(&reply);
	return rc;
}

edgeca_err
signer_cert_install(struct signer_pool *p, const char *key_id, const unsigned char *cert_der,
                    size_t cert_len, struct edgeca_msg *msg)
{
	struct signer_writer w;
	struct signer_msg reply;
	edgeca_err rc;

	signer_writer_init(&w, SIGNER_OP_CERT_INSTALL);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key_id);
	signer_put_bytes(&w, SIGNER_TAG_CERTIFICATE, cert_der, cert_len);
	rc = signer_call(p, &w, &ok_empty, SIGNER_IO_TIMEOUT_S, &reply, msg);
	signer_writer_free(&w);
	if (rc == EDGECA_OK)
		signer_msg_free(&reply);
	return rc;
}

static const struct signer_schema ok_info = {
	SIGNER_REPLY_OK,
	{SIGNER_TAG_KEY_ID, SIGNER_TAG_ALGORITHM, SIGNER_TAG_PUBLIC_KEY, SIGNER_TAG_TEMPLATES,
	 SIGNER_TAG_MAX_VALIDITY_DAYS, 0},
	{SIGNER_TAG_PATH_LENGTH, SIGNER_TAG_CERTIFICATE, SIGNER_TAG_NAME_RULES, 0}};

edgeca_err
signer_key_cert(struct signer_pool *p, const char *key_id, unsigned char **cert_der,
                size_t *cert_len, struct edgeca_msg *msg)
{
	struct signer_writer w;
	struct signer_msg reply;
	const struct signer_field *f;
	edgeca_err rc;

	*cert_der = NULL;
	*cert_len = 0;
	signer_writer_init(&w, SIGNER_OP_KEY_INFO);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key_id);
	rc = signer_call(p, &w, &ok_info, SIGNER_IO_TIMEOUT_S, &reply, msg);
	signer_writer_free(&w);
	if (rc != EDGECA_OK)
		return rc;
	f = signer_msg_get(&reply, SIGNER_TAG_CERTIFICATE);
	if (f != NULL) {
		*cert_der = malloc(f->len);
		if (*cert_der == NULL) {
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		} else {
			memcpy(*cert_der, f->val, f->len);
			*cert_len = f->len;
		}
	}
	signer_msg_free(&reply);
	return rc;
}

static const struct signer_schema ok_crl_part = {SIGNER_REPLY_OK, {SIGNER_TAG_CRL_PART, 0}, {0}};

/* The entries must be a run of DER SEQUENCEs that fit a CRL_ENTRIES each:
 * they are sent in chunks cut at their boundaries. (The signer checks
 * what is inside.) */
static edgeca_err
entries_walk(const struct buf *body, struct edgeca_msg *msg)
{
	const unsigned char *p, *end;

	if (body->len > SIGNER_MAX_CRL_ENTRIES_LENGTH)
		return edgeca_fail(msg, EDGECA_ERR_TOO_LARGE, "crl-too-large",
		                   "the CRL's entries exceed %" PRIu64 " bytes",
		                   SIGNER_MAX_CRL_ENTRIES_LENGTH);
	if (body->len == 0)
		return EDGECA_OK;
	for (p = body->data, end = p + body->len; p < end;) {
		size_t n = der_element_size(p, end);
		if (n == 0 || *p != DER_SEQUENCE || n > SIGNER_MAX_CRL_ENTRIES)
			return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "crl-entry-malformed",
			                   "the CRL's entries are not a run of DER entries (at byte %zu)",
			                   (size_t)(p - body->data));
		p += n;
	}
	return EDGECA_OK;
}

/* The size of the next chunk at off: whole entries, at most what one
 * CRL_ENTRIES carries (entries_walk made sure each fits). */
static size_t
chunk_size(const struct buf *body, size_t off)
{
	const unsigned char *start = body->data + off, *p = start, *end = body->data + body->len;

	while (p < end) {
		size_t n = der_element_size(p, end);
		if ((size_t)(p - start) + n > SIGNER_MAX_CRL_ENTRIES)
			break;
		p += n;
	}
	return (size_t)(p - start);
}

/* body = SEQUENCE header, head, body (the entries), tail: grown once, one
 * memmove. On failure body keeps the entries alone. */
static edgeca_err
assemble(struct buf *body, const struct buf *head, const struct buf *tail,
         struct edgeca_msg *msg)
{
	unsigned char h[DER_MAX_HEADER];
	size_t entries = body->len;
	size_t hl = der_header_put(h, DER_SEQUENCE, head->len + entries + tail->len);

	if (buf_append(body, tail->data, tail->len) != 0 || buf_append(body, h, hl) != 0 ||
	    buf_append(body, head->data, head->len) != 0) {
		body->len = entries;
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	}
	memmove(body->data + hl + head->len, body->data, entries + tail->len);
	memcpy(body->data, h, hl);
	memcpy(body->data + hl, head->data, head->len);
	return EDGECA_OK;
}

/* Copies the CRL_PART of an OK reply into out, and frees the reply. */
static edgeca_err
take_part(struct signer_msg *reply, struct buf *out, struct edgeca_msg *msg)
{
	const struct signer_field *f = signer_msg_get(reply, SIGNER_TAG_CRL_PART);
	int r = buf_append(out, f->val, f->len);

	signer_msg_free(reply);
	return r == 0 ? EDGECA_OK : edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
}

edgeca_err
signer_crl_sign(struct signer_pool *p, const char *key_id, uint64_t crl_number,
                time_t this_update, time_t next_update, struct buf *body,
                struct edgeca_msg *msg)
{
	struct signer_writer w = {{0}, 0};
	struct signer_msg reply;
	struct buf head = {0}, tail = {0};
	bool healthy = true, ignored;
	size_t off = 0, n;
	int slot = -1;
	edgeca_err rc;

	if ((rc = entries_walk(body, msg)) != EDGECA_OK)
		return rc;
	slot = acquire(p);
	if (slot < 0)
		return edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, "signer-unavailable",
		                   "all signer connections are busy");
	signer_writer_init(&w, SIGNER_OP_CRL_BEGIN);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key_id);
	signer_put_u64(&w, SIGNER_TAG_CRL_NUMBER, crl_number);
	signer_put_u64(&w, SIGNER_TAG_THIS_UPDATE, (uint64_t)this_update);
	signer_put_u64(&w, SIGNER_TAG_NEXT_UPDATE, (uint64_t)next_update);
	signer_put_u64(&w, SIGNER_TAG_ENTRIES_LENGTH, (uint64_t)body->len);
	rc = slot_call(p, slot, &w, &ok_crl_part, SIGNER_IO_TIMEOUT_S, true, &reply, &healthy, msg);
	signer_writer_free(&w);
	if (rc != EDGECA_OK)
		goto out; /* a refusal opens no session: the connection stays usable */
	/* The signer now holds a session on this connection: unless it ends
	 * with CRL_FINISH's answer, the connection is closed, not pooled. */
	healthy = false;
	if ((rc = take_part(&reply, &head, msg)) != EDGECA_OK)
		goto out;
	for (; off < body->len; off += n) {
		n = chunk_size(body, off);
		signer_writer_init(&w, SIGNER_OP_CRL_ENTRIES);
		signer_put_bytes(&w, SIGNER_TAG_ENTRIES, body->data + off, n);
		rc = slot_call(p, slot, &w, &ok_empty, SIGNER_IO_TIMEOUT_S, false, &reply, &ignored,
		               msg);
		signer_writer_free(&w);
		if (rc != EDGECA_OK)
			goto out;
		signer_msg_free(&reply);
	}
	signer_writer_init(&w, SIGNER_OP_CRL_FINISH);
	rc = slot_call(p, slot, &w, &ok_crl_part, SIGNER_IO_TIMEOUT_S, false, &reply, &ignored, msg);
	signer_writer_free(&w);
	if (rc != EDGECA_OK)
		goto out;
	healthy = true; /* the session is over on both sides */
	if ((rc = take_part(&reply, &tail, msg)) != EDGECA_OK)
		goto out;
	rc = assemble(body, &head, &tail, msg);
out:
	release(p, slot, healthy);
	buf_free(&head);
	buf_free(&tail);
	return rc;
}
