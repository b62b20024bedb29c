#include "tests/integration/sinks.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#define MAX_RECORDS 256
#define MAX_RECORD_BYTES (256 * 1024)
#define MAX_SECRETS 32
#define VERDICT_MAX 200

struct sink {
	bool http;
	int fd;
	unsigned port;
	pthread_t thread;
	pthread_mutex_t lock;
	bool stop;
	enum webhook_mode mode;
	enum smtp_sink_tls tls;
	SSL_CTX *ssl_ctx; /* with the certificate, for a TLS SMTP sink */
	char *records[MAX_RECORDS];
	double at[MAX_RECORDS]; /* CLOCK_MONOTONIC seconds at arrival */
	size_t n;
	/* HTTP: the webhook secrets told, and each request's check of its
	 * signature at its arrival time: "" verified, else why not (yet) */
	char *secrets[MAX_SECRETS];
	size_t n_secrets;
	time_t arrived[MAX_RECORDS];
	bool verified[MAX_RECORDS];
	bool final[MAX_RECORDS]; /* refused whatever the secret */
	char verdict[MAX_RECORDS][VERDICT_MAX]; /* why not verified */
};

/* A buffered reader of one connection, in TLS once ssl is set. */
struct conn {
	int fd;
	SSL *ssl;
	char buf[8192];
	size_t len;
};

static ssize_t
conn_read(struct conn *c, void *buf, size_t n)
{
	if (c->ssl == NULL)
		return recv(c->fd, buf, n, 0);
	int r = SSL_read(c->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
	return r > 0 ? r : -1;
}

static bool
stopping(struct sink *s)
{
	bool v;

	pthread_mutex_lock(&s->lock);
	v = s->stop;
	pthread_mutex_unlock(&s->lock);
	return v;
}

/* Checks record i's signature against the secrets told so far; called
 * with s->lock held. */
static void
check_record(struct sink *s, size_t i)
{
	const char *body = sink_body(s->records[i]);
	char header[256], why[VERDICT_MAX];

	if (!s->http || s->verified[i] || s->final[i])
		return;
	if (body == NULL ||
	    sink_header(s->records[i], "X-Edgeca-Signature", header, sizeof(header)) == NULL) {
		snprintf(s->verdict[i], VERDICT_MAX, "no X-Edgeca-Signature");
		s->final[i] = true;
		return;
	}
	snprintf(s->verdict[i], VERDICT_MAX, "no secret told verifies it");
	for (size_t k = 0; k < s->n_secrets; k++) {
		int r = webhook_verify(header, body, s->secrets[k], s->arrived[i], why, sizeof(why));
		if (r == 0) {
			s->verified[i] = true;
			s->verdict[i][0] = '\0';
			return;
		}
		snprintf(s->verdict[i], VERDICT_MAX, "%s", why);
		if (r == -2) { /* malformed or stale: no secret makes it right */
			s->final[i] = true;
			return;
		}
	}
}

static void
keep(struct sink *s, char *record)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&s->lock);
	if (s->n < MAX_RECORDS) {
		s->at[s->n] = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
		s->arrived[s->n] = time(NULL);
		s->verdict[s->n][0] = '\0';
		s->verified[s->n] = false;
		s->final[s->n] = false;
		s->records[s->n++] = record;
		check_record(s, s->n - 1);
	} else
		free(record);
	pthread_mutex_unlock(&s->lock);
}

static int
say(struct conn *c, const char *text)
{
	size_t off = 0, len = strlen(text);

	while (off < len) {
		ssize_t w = c->ssl != NULL ? SSL_write(c->ssl, text + off, (int)(len - off))
		                           : send(c->fd, text + off, len - off, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

/* Starts TLS as the server on c (after what was read is consumed). */
static int
start_tls(struct sink *s, struct conn *c)
{
	if (c->len != 0 || (c->ssl = SSL_new(s->ssl_ctx)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1 || SSL_accept(c->ssl) != 1) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}

/* Reads one line (without CRLF) into out; -1 at EOF, timeout or overflow. */
static int
read_line(struct conn *c, char *out, size_t max)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (nl != NULL) {
			size_t n = (size_t)(nl - c->buf) + 1, keep_n = n - 1;
			if (keep_n > 0 && c->buf[keep_n - 1] == '\r')
				keep_n--;
			if (keep_n >= max)
				return -1;
			memcpy(out, c->buf, keep_n);
			out[keep_n] = '\0';
			memmove(c->buf, c->buf + n, c->len - n);
			c->len -= n;
			return 0;
		}
		if (c->len == sizeof(c->buf))
			return -1;
		ssize_t r = conn_read(c, c->buf + c->len, sizeof(c->buf) - c->len);
		if (r <= 0)
			return -1;
		c->len += (size_t)r;
	}
}

static int
append(char **acc, size_t *len, const char *text)
{
	size_t n = strlen(text);
	char *p;

	if (*len + n + 2 > MAX_RECORD_BYTES || (p = realloc(*acc, *len + n + 2)) == NULL)
		return -1;
	memcpy(p + *len, text, n);
	p[*len + n] = '\n';
	p[*len + n + 1] = '\0';
	*len += n + 1;
	*acc = p;
	return 0;
}

/* The EHLO answer: a STARTTLS sink offers STARTTLS before TLS and AUTH
 * only within it, as mail servers do; the others offer AUTH. */
static const char *
ehlo_answer(const struct sink *s, const struct conn *c)
{
	if (s->tls == SMTP_SINK_STARTTLS && c->ssl == NULL)
		return "250-sink\r\n250-8BITMIME\r\n250 STARTTLS\r\n";
	return "250-sink\r\n250-8BITMIME\r\n250 AUTH PLAIN\r\n";
}

/* "AUTH PLAIN <base64 of \0user\0password>" as "AUTH user password". */
static int
note_auth(char **msg, size_t *len, const char *b64)
{
	unsigned char raw[512];
	char line[600];
	int n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)strlen(b64));
	const char *user, *pass;

	if (n <= 2 || n >= (int)sizeof(raw))
		return -1;
	raw[n] = '\0';
	user = (const char *)raw + strlen((const char *)raw) + 1; /* after the authzid */
	pass = user + strlen(user) + 1;
	if (pass > (const char *)raw + n)
		return -1;
	snprintf(line, sizeof(line), "AUTH %s %s", user, pass);
	return append(msg, len, line);
}

static void
serve_smtp(struct sink *s, int fd)
{
	struct conn c = {.fd = fd};
	char line[4096], *msg = NULL, *auth = NULL;
	size_t len = 0, auth_len = 0;

	if ((s->tls == SMTP_SINK_IMPLICIT && start_tls(s, &c) != 0) ||
	    say(&c, "220 sink ESMTP\r\n") != 0)
		goto out;
	while (read_line(&c, line, sizeof(line)) == 0) {
		if (strncasecmp(line, "EHLO", 4) == 0) {
			if (say(&c, ehlo_answer(s, &c)) != 0)
				break;
		} else if (strncasecmp(line, "STARTTLS", 8) == 0 && s->tls == SMTP_SINK_STARTTLS &&
		           c.ssl == NULL) {
			if (say(&c, "220 go ahead\r\n") != 0 || start_tls(s, &c) != 0)
				break;
		} else if (strncasecmp(line, "AUTH PLAIN", 10) == 0) {
			/* the credentials on the line, or on the next one */
			if (line[10] == '\0' &&
			    (say(&c, "334 \r\n") != 0 || read_line(&c, line + 11, sizeof(line) - 11) != 0))
				break;
			if (note_auth(&auth, &auth_len, line + 11) != 0 ||
			    say(&c, "235 accepted\r\n") != 0)
				break;
		} else if (strncasecmp(line, "HELO", 4) == 0 || strncasecmp(line, "RSET", 4) == 0 ||
		           strncasecmp(line, "NOOP", 4) == 0) {
			if (say(&c, "250 OK\r\n") != 0)
				break;
		} else if (strncasecmp(line, "RCPT TO:<refused@", 17) == 0) {
			/* a mailbox the server does not know */
			if (say(&c, "550 no such mailbox\r\n") != 0)
				break;
		} else if (strncasecmp(line, "MAIL FROM:", 10) == 0 ||
		           strncasecmp(line, "RCPT TO:", 8) == 0) {
			char tls_line[64];
			snprintf(tls_line, sizeof(tls_line), "TLS: %s",
			         c.ssl != NULL ? SSL_get_version(c.ssl) : "");
			bool first = msg == NULL;
			if ((first && c.ssl != NULL && append(&msg, &len, tls_line) != 0) ||
			    (first && auth != NULL && append(&msg, &len, auth) != 0) ||
			    append(&msg, &len, line) != 0 || say(&c, "250 OK\r\n") != 0)
				break;
		} else if (strncasecmp(line, "DATA", 4) == 0) {
			if (say(&c, "354 go ahead\r\n") != 0)
				break;
			bool ended = false;
			while (read_line(&c, line, sizeof(line)) == 0) {
				if (strcmp(line, ".") == 0) {
					ended = true;
					break;
				}
				if (append(&msg, &len, line[0] == '.' ? line + 1 : line) != 0)
					break;
			}
			if (!ended || say(&c, "250 OK queued\r\n") != 0)
				break;
			keep(s, msg);
			msg = NULL;
			len = 0;
		} else if (strncasecmp(line, "QUIT", 4) == 0) {
			say(&c, "221 bye\r\n");
			break;
		} else if (say(&c, "502 command unknown to this sink\r\n") != 0) {
			break;
		}
	}
out:
	if (c.ssl != NULL) {
		SSL_shutdown(c.ssl);
		SSL_free(c.ssl);
	}
	ERR_clear_error();
	free(auth);
	free(msg);
}

static void
serve_http(struct sink *s, int fd)
{
	struct conn c = {.fd = fd};
	char line[4096], *rec = NULL;
	size_t len = 0, body_len = 0;
	enum webhook_mode mode;

	while (read_line(&c, line, sizeof(line)) == 0 && line[0] != '\0') {
		if (strncasecmp(line, "Content-Length:", 15) == 0)
			body_len = strtoul(line + 15, NULL, 10);
		if (append(&rec, &len, line) != 0)
			goto out;
	}
	if (rec == NULL || body_len > MAX_RECORD_BYTES / 2 || append(&rec, &len, "") != 0)
		goto out;
	{
		char *p = realloc(rec, len + body_len + 1);
		if (p == NULL)
			goto out;
		rec = p;
	}
	while (c.len < body_len) {
		ssize_t r = conn_read(&c, c.buf + c.len, sizeof(c.buf) - c.len);
		if (r <= 0 || c.len + (size_t)r > sizeof(c.buf))
			goto out;
		c.len += (size_t)r;
	}
	memcpy(rec + len, c.buf, body_len);
	rec[len + body_len] = '\0';
	keep(s, rec);
	rec = NULL;
	for (;;) {
		pthread_mutex_lock(&s->lock);
		mode = s->mode;
		pthread_mutex_unlock(&s->lock);
		if (mode != WEBHOOK_HANG || stopping(s))
			break;
		usleep(50000);
	}
	say(&c, mode == WEBHOOK_FAIL ? "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
	                               "Connection: close\r\n\r\n"
	                             : "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
	                               "Connection: close\r\n\r\n");
out:
	free(rec);
}

static void *
sink_main(void *arg)
{
	struct sink *s = arg;
	struct pollfd p = {.fd = s->fd, .events = POLLIN};
	struct timeval tv = {5, 0};

	while (!stopping(s)) {
		if (poll(&p, 1, 100) <= 0)
			continue;
		int fd = accept(s->fd, NULL, NULL);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (s->http)
			serve_http(s, fd);
		else
			serve_smtp(s, fd);
		close(fd);
	}
	return NULL;
}

static struct sink *
sink_start_with(bool http, enum smtp_sink_tls tls, SSL_CTX *ctx)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	struct sink *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->http = http;
	s->tls = tls;
	s->ssl_ctx = ctx;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(s->fd, 16) != 0 || getsockname(s->fd, (struct sockaddr *)&a, &alen) != 0) {
		if (s->fd >= 0)
			close(s->fd);
		free(s);
		return NULL;
	}
	s->port = ntohs(a.sin_port);
	pthread_mutex_init(&s->lock, NULL);
	if (pthread_create(&s->thread, NULL, sink_main, s) != 0) {
		pthread_mutex_destroy(&s->lock);
		close(s->fd);
		free(s);
		return NULL;
	}
	return s;
}

static struct sink *
sink_start(bool http)
{
	return sink_start_with(http, SMTP_SINK_PLAIN, NULL);
}

struct sink *
smtp_sink_start(void)
{
	return sink_start(false);
}

struct sink *
smtp_sink_start_tls(enum smtp_sink_tls tls, const char *cert_file, const char *key_file)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	struct sink *s = NULL;

	signal(SIGPIPE, SIG_IGN); /* a client that hangs up mid-write */
	if (ctx == NULL || SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1)
		goto out;
	/* set before the thread starts, which reads them */
	if ((s = sink_start_with(false, tls, ctx)) != NULL)
		ctx = NULL;
out:
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return s;
}

struct sink *
webhook_sink_start(void)
{
	return sink_start(true);
}

void
sink_clear(struct sink *s)
{
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n; i++)
		free(s->records[i]);
	s->n = 0;
	pthread_mutex_unlock(&s->lock);
}

void
sink_stop(struct sink *s)
{
	char failed[VERDICT_MAX + 48] = "";

	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	close(s->fd);
	/* every request a webhook receiver got verified (checked here at the
	 * latest, for secrets told after it arrived) */
	for (size_t i = 0; s->http && i < s->n && failed[0] == '\0'; i++) {
		check_record(s, i);
		if (!s->verified[i])
			snprintf(failed, sizeof(failed), "webhook request %zu: %s", i, s->verdict[i]);
	}
	sink_clear(s);
	for (size_t k = 0; k < s->n_secrets; k++)
		free(s->secrets[k]);
	SSL_CTX_free(s->ssl_ctx);
	pthread_mutex_destroy(&s->lock);
	free(s);
	if (failed[0] != '\0')
		fail_msg("%s", failed);
}

void
webhook_sink_secret(struct sink *s, const char *secret)
{
	char *copy = strdup(secret);

	assert_non_null(copy);
	pthread_mutex_lock(&s->lock);
	if (s->n_secrets < MAX_SECRETS) {
		s->secrets[s->n_secrets++] = copy;
		copy = NULL;
		for (size_t i = 0; i < s->n; i++)
			check_record(s, i);
	}
	pthread_mutex_unlock(&s->lock);
	assert_null(copy);
}

size_t
webhook_sink_unverified(struct sink *s, char *why, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n; i++) {
		check_record(s, i);
		if (!s->verified[i] && n++ == 0 && why != NULL)
			snprintf(why, len, "%s", s->verdict[i]);
	}
	pthread_mutex_unlock(&s->lock);
	return n;
}

unsigned
sink_port(const struct sink *s)
{
	return s->port;
}

size_t
sink_count(struct sink *s)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = s->n;
	pthread_mutex_unlock(&s->lock);
	return n;
}

char *
sink_get(struct sink *s, size_t i)
{
	char *copy = NULL;

	pthread_mutex_lock(&s->lock);
	if (i < s->n)
		copy = strdup(s->records[i]);
	pthread_mutex_unlock(&s->lock);
	return copy;
}

double
sink_time(struct sink *s, size_t i)
{
	double t = 0;

	pthread_mutex_lock(&s->lock);
	if (i < s->n)
		t = s->at[i];
	pthread_mutex_unlock(&s->lock);
	return t;
}

void
webhook_sink_mode(struct sink *s, enum webhook_mode m)
{
	pthread_mutex_lock(&s->lock);
	s->mode = m;
	pthread_mutex_unlock(&s->lock);
}

const char *
sink_body(const char *record)
{
	const char *p = strstr(record, "\n\n");

	return p ? p + 2 : NULL;
}

const char *
sink_header(const char *record, const char *name, char *out, size_t len)
{
	size_t n = strlen(name);
	const char *end = sink_body(record);

	for (const char *p = record; p != NULL && (end == NULL || p < end);) {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1, *e = strchr(v, '\n');
			while (*v == ' ')
				v++;
			snprintf(out, len, "%.*s", (int)((e ? e : v + strlen(v)) - v), v);
			return out;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NULL;
}

size_t
sink_count_with(struct sink *s, const char *needle)
{
	size_t n = 0;

	for (size_t i = 0; i < sink_count(s); i++) {
		char *rec = sink_get(s, i);
		if (rec != NULL && strstr(rec, needle) != NULL)
			n++;
		free(rec);
	}
	return n;
}

char *
sink_wait_for(struct sink *s, const char *needle, size_t k, int timeout_s)
{
	for (int i = 0; i < timeout_s * 10; i++) {
		size_t seen = 0;
		for (size_t j = 0; j < sink_count(s); j++) {
			char *rec = sink_get(s, j);
			if (rec != NULL && strstr(rec, needle) != NULL && seen++ == k)
				return rec;
			free(rec);
		}
		usleep(100000);
	}
	fail_msg("record %zu mentioning %s did not arrive in %d s", k, needle, timeout_s);
	return NULL;
}
