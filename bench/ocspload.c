/* ocspload: closed-loop load generator for OCSP responders (RFC 6960 over
 * plain HTTP). Each connection is a thread that sends a request, reads and
 * checks the answer and sends the next, over HTTP/1.1 keep-alive; it
 * reconnects whenever the server closes (openssl ocsp answers HTTP/1.0 and
 * closes). See docs/benchmarks.md ("OCSP").
 * Modes: get - RFC 5019 GET <prefix>/<url-encoded base64 request>, one fixed
 * request per certificate without nonce (what caches and CDNs serve); post -
 * POST application/ocsp-request, each with a fresh random 16-byte nonce (RFC
 * 8954), so each answer is signed anew. Requests carry one SHA-1 CertID
 * (openssl's default) of a certificate given with -cert (repeatable) or of
 * every *.pem / *.crt of -dir, under -issuer; connections cycle through them.
 * Every answer is checked: HTTP 200, a DER OCSPResponse, responseStatus
 * successful, a basic response with the certificate's CertID, the expected
 * certStatus (-status, good unless told), thisUpdate/nextUpdate current, the
 * nonce echoed (post) and, with -verify, the signature (by the issuer or a
 * delegated responder certificate it issued). Failures count by kind, warm-up
 * included; requests/s and latencies count checked answers after it. Answers
 * need a Content-Length or end with the connection (OCSP answers are small:
 * edgeca and openssl ocsp send them whole, never chunked).
 *
 * build: cmake --build build --target bench_ocspload (build/tests/bench_ocspload)
 *        or stand-alone: cc -O2 -pthread -o ocspload ocspload.c -lcrypto
 * usage: ocspload -u http://HOST:PORT[/PREFIX] -m get|post -issuer CA.pem
 *                 (-cert CERT.pem ... | -dir DIR) [-c connections (16)]
 *                 [-d seconds (10)] [-w warm-up seconds (0)]
 *                 [-status good|revoked|unknown] [-verify]
 * Output: one line "BENCH ok=N failed=N seconds=S rate_per_s=R p50_ms=X
 * p99_ms=Y reconnects=N io=N http=N parse=N ocsp=N nonce=N status=N
 * signature=N"; the first failures are described on stderr. Exit status 0
 * when every answer passed, 1 when any failed (or none came), 2 on a usage
 * or set-up error. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem, asprintf */
#endif
#include <errno.h>
#include <glob.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 1024
#define MAX_ANSWER (256 * 1024) /* an OCSP answer is a few KiB at most */
#define NONCE_LEN 16

enum fail { FAIL_IO, FAIL_HTTP, FAIL_PARSE, FAIL_OCSP, FAIL_NONCE, FAIL_STATUS, FAIL_SIG, FAIL_N_ };
static const char *const fail_names[] = {"io", "http", "parse", "ocsp", "nonce", "status", "signature"};

/* One certificate: its CertID and the requests asking for it. */
struct query {
	OCSP_CERTID *id;
	char *get;                /* the whole GET request, headers included */
	size_t get_len;
	unsigned char *post_der;  /* the OCSPRequest with a placeholder nonce */
	size_t post_len, nonce_at; /* where the nonce's 16 bytes are */
};

struct config {
	int post, conns, expect, verify;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char host[300], prefix[1024];
	struct query *q;
	size_t nq;
	STACK_OF(X509) *issuers; /* the issuer: trusted signer for -verify */
	X509_STORE *store;       /* the issuer, as a partial-chain anchor */
	double seconds, warmup, t_measure, t_end; /* t_: monotonic ends of warm-up, run */
};

/* One connection's thread and what it counted. */
struct worker {
	pthread_t th;
	int index, fd;
	const struct config *cfg;
	char in[MAX_ANSWER + 1], body[MAX_ANSWER], out[2048 + 4096]; /* received, body, request */
	size_t in_len;
	long ok, fail[FAIL_N_], reconnects;
	float *lat; /* seconds per checked answer */
	size_t nlat, cap;
};

static atomic_int reported;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Counts a failure of kind k and describes the first few on stderr. */
static void
failed(struct worker *w, enum fail k, const char *why)
{
	w->fail[k]++;
	if (atomic_fetch_add(&reported, 1) < 5)
		fprintf(stderr, "ocspload: connection %d: %s: %s\n", w->index, fail_names[k], why);
}

static void
conn_close(struct worker *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->in_len = 0;
}

static int
conn_open(struct worker *w)
{
	const struct config *c = w->cfg;
	struct timeval tv = {10, 0}; /* a silent server is a failure, not a hang */
	int one = 1, rc = -1, fd;

	fd = socket(c->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto out;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	    connect(fd, (const struct sockaddr *)&c->addr, c->addr_len) != 0)
		goto out;
	w->fd = fd; /* in_len is 0: conn_close or calloc set it */
	fd = -1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

static int
send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* More bytes into w->in. Returns 1 (got some), 0 (peer closed), -1. */
static int
recv_more(struct worker *w)
{
	ssize_t n;

	if (w->in_len >= MAX_ANSWER)
		return -1;
	do
		n = recv(w->fd, w->in + w->in_len, MAX_ANSWER - w->in_len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	w->in_len += (size_t)n;
	w->in[w->in_len] = '\0'; /* sscanf and strtoll stop there */
	return n > 0;
}

/* The value of header name in the header block [h, end), or NULL. */
static const char *
header(const char *h, const char *end, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);

	while (h < end) {
		const char *eol = memmem(h, (size_t)(end - h), "\r\n", 2);

		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - h) > nl && h[nl] == ':' && strncasecmp(h, name, nl) == 0) {
			h += nl + 1;
			while (h < eol && (*h == ' ' || *h == '\t'))
				h++;
			*vlen = (size_t)(eol - h);
			return h;
		}
		h = eol + 2;
	}
	return NULL;
}

/* Reads one HTTP answer on w->fd: its status, its body (in w->body) and
 * whether the connection stays open. Returns 0, -1 (I/O or malformed; *any
 * says whether a byte came, so a stale keep-alive connection can be told
 * from a failure). */
static int
read_answer(struct worker *w, int *status, size_t *body_len, int *keep, int *any)
{
	const char *hend = NULL, *v;
	size_t vlen, head = 0;
	long long clen = -1;
	int minor, r, rc = -1;

	*any = 0;
	while ((hend = memmem(w->in, w->in_len, "\r\n\r\n", 4)) == NULL) {
		if ((r = recv_more(w)) <= 0)
			goto out;
		*any = 1; /* in_len is 0 on entry: the loop runs at least once */
	}
	head = (size_t)(hend - w->in) + 4;
	if (sscanf(w->in, "HTTP/1.%d %d", &minor, status) != 2)
		goto out;
	*keep = minor >= 1;
	if ((v = header(w->in, hend, "Connection", &vlen)) != NULL)
		*keep = vlen >= 10 && strncasecmp(v, "keep-alive", 10) == 0 ? 1
		      : vlen >= 5 && strncasecmp(v, "close", 5) == 0 ? 0
		      : *keep;
	/* OCSP answers are small: responders send them whole, not chunked */
	if (header(w->in, hend, "Transfer-Encoding", &vlen) != NULL)
		goto out;
	if ((v = header(w->in, hend, "Content-Length", &vlen)) != NULL)
		clen = strtoll(v, NULL, 10);
	if (clen > MAX_ANSWER)
		goto out;
	for (;;) {
		if (clen >= 0 && w->in_len - head >= (size_t)clen) {
			*body_len = (size_t)clen;
			memcpy(w->body, w->in + head, *body_len);
			break;
		}
		if ((r = recv_more(w)) < 0)
			goto out;
		if (r == 0) {
			if (clen >= 0)
				goto out; /* closed in the middle of the body */
			*body_len = w->in_len - head; /* the body ends with the connection */
			memcpy(w->body, w->in + head, *body_len);
			*keep = 0;
			break;
		}
	}
	w->in_len = 0; /* closed loop: nothing follows an answer; drop what might */
	rc = 0;
out:
	return rc;
}

/* Checks an OCSP answer for q (nonce: the 16 bytes sent, or NULL).
 * Returns FAIL_N_ when it passes, else the kind of failure (why set). */
static enum fail
check_answer(const struct config *c, const struct query *q, const unsigned char *nonce,
             const unsigned char *der, size_t len, const char **why)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *bs = NULL;
	ASN1_GENERALIZEDTIME *rev, *thisupd, *nextupd;
	int st, reason, idx;
	enum fail rc = FAIL_PARSE;

	*why = "not a DER OCSPResponse";
	if (resp == NULL || p != der + len)
		goto out;
	if ((st = OCSP_response_status(resp)) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		*why = OCSP_response_status_str(st);
		rc = FAIL_OCSP;
		goto out;
	}
	*why = "no basic response";
	if ((bs = OCSP_response_get1_basic(resp)) == NULL)
		goto out;
	if (nonce != NULL) {
		X509_EXTENSION *ext;
		const ASN1_OCTET_STRING *v;
		unsigned char want[2 + NONCE_LEN] = {V_ASN1_OCTET_STRING, NONCE_LEN};

		memcpy(want + 2, nonce, NONCE_LEN);
		rc = FAIL_NONCE;
		*why = "nonce missing or not the one sent";
		idx = OCSP_BASICRESP_get_ext_by_NID(bs, NID_id_pkix_OCSP_Nonce, -1);
		if (idx < 0 || (ext = OCSP_BASICRESP_get_ext(bs, idx)) == NULL ||
		    (v = X509_EXTENSION_get_data(ext)) == NULL ||
		    ASN1_STRING_length(v) != (int)sizeof(want) ||
		    memcmp(ASN1_STRING_get0_data(v), want, sizeof(want)) != 0)
			goto out;
	}
	rc = FAIL_STATUS;
	*why = "no answer for the certificate's CertID";
	if (OCSP_resp_find_status(bs, q->id, &st, &reason, &rev, &thisupd, &nextupd) != 1)
		goto out;
	*why = OCSP_cert_status_str(st); /* the status it has, not the expected one */
	if (st != c->expect)
		goto out;
	*why = "thisUpdate/nextUpdate not current (5 min leeway)";
	if (OCSP_check_validity(thisupd, nextupd, 300, -1) != 1)
		goto out;
	rc = FAIL_SIG;
	*why = "signature does not verify against the issuer";
	if (c->verify && OCSP_basic_verify(bs, c->issuers, c->store, OCSP_TRUSTOTHER) != 1)
		goto out;
	rc = FAIL_N_;
out:
	ERR_clear_error();
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	return rc;
}

/* One request of query q on the worker's connection, reconnecting once
 * when a reused connection turns out closed. Returns 0 (checked answer)
 * or -1 (counted as a failure). */
static int
one_request(struct worker *w, const struct query *q)
{
	const struct config *c = w->cfg;
	unsigned char nonce[NONCE_LEN];
	const char *req = q->get, *why = NULL;
	size_t req_len = q->get_len, body_len = 0;
	int status = 0, keep = 0, any = 0, reused, attempt, rc = -1;
	enum fail k;

	if (c->post) {
		int n = snprintf(w->out, 2048,
		                 "POST %s HTTP/1.1\r\nHost: %s\r\n"
		                 "Content-Type: application/ocsp-request\r\nContent-Length: %zu\r\n\r\n",
		                 c->prefix[0] != '\0' ? c->prefix : "/", c->host, q->post_len);

		if (n < 0 || n >= 2048 || RAND_bytes(nonce, NONCE_LEN) != 1) {
			failed(w, FAIL_IO, "cannot build the request");
			goto out;
		}
		memcpy(w->out + n, q->post_der, q->post_len);
		memcpy(w->out + n + q->nonce_at, nonce, NONCE_LEN);
		req = w->out;
		req_len = (size_t)n + q->post_len;
	}
	for (attempt = 0;; attempt++) {
		reused = w->fd >= 0;
		if (!reused) {
			if (conn_open(w) != 0) {
				failed(w, FAIL_IO, strerror(errno));
				/* a pause, not a spin, while nothing listens */
				nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
				goto out;
			}
			w->reconnects++;
		}
		if (send_all(w->fd, req, req_len) == 0 &&
		    read_answer(w, &status, &body_len, &keep, &any) == 0)
			break;
		conn_close(w);
		if (!reused || any || attempt > 0) {
			failed(w, FAIL_IO, any ? "malformed or truncated HTTP answer"
			                       : "connection closed or timed out");
			goto out;
		}
	}
	if (!keep)
		conn_close(w);
	if (status != 200) {
		char msg[64];

		snprintf(msg, sizeof(msg), "HTTP status %d", status);
		failed(w, FAIL_HTTP, msg);
		goto out;
	}
	k = check_answer(c, q, c->post ? nonce : NULL, (const unsigned char *)w->body, body_len, &why);
	if (k != FAIL_N_) {
		failed(w, k, why);
		goto out;
	}
	rc = 0;
out:
	return rc;
}

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	const struct config *c = w->cfg;
	const struct query *q;
	size_t i = (size_t)w->index % c->nq;
	double t0, t1;
	int measuring = 0;

	while ((t0 = now_s()) < c->t_end) {
		q = &c->q[i];
		i = (i + 1) % c->nq;
		if (t0 >= c->t_measure && !measuring) {
			measuring = 1;
			w->reconnects = 0; /* connections count after the warm-up */
		}
		if (one_request(w, q) != 0 || t0 < c->t_measure)
			continue;
		t1 = now_s();
		w->ok++;
		if (w->nlat == w->cap) {
			size_t cap = w->cap ? 2 * w->cap : 65536;
			float *lat = realloc(w->lat, cap * sizeof(*lat));

			if (lat == NULL)
				continue; /* counted, without its latency */
			w->lat = lat;
			w->cap = cap;
		}
		w->lat[w->nlat++] = (float)(t1 - t0);
	}
	conn_close(w);
	return NULL;
}

/* "A+/b=" -> "A%2B%2Fb%3D" (RFC 5019: base64, then URL encoding). */
static char *
url_base64(const unsigned char *der, size_t len)
{
	size_t b64_cap = 4 * ((len + 2) / 3) + 1;
	char *b64 = malloc(b64_cap), *out = malloc(3 * b64_cap), *o = out;

	if (b64 == NULL || out == NULL || len > 65536) {
		free(out);
		out = NULL;
		goto out;
	}
	EVP_EncodeBlock((unsigned char *)b64, der, (int)len);
	for (const char *p = b64; *p != '\0'; p++)
		o += *p == '+' ? sprintf(o, "%%2B") : *p == '/' ? sprintf(o, "%%2F")
		   : *p == '=' ? sprintf(o, "%%3D") : sprintf(o, "%c", *p);
out:
	free(b64);
	return out;
}

/* Builds q's GET and POST requests for cert under issuer. */
static int
query_init(struct query *q, const struct config *c, X509 *cert, X509 *issuer)
{
	static const unsigned char mark[NONCE_LEN] = "ocspload-nonce!!";
	OCSP_REQUEST *req = NULL;
	OCSP_CERTID *id = NULL;
	unsigned char *der = NULL, *hit;
	char *b64 = NULL;
	int len, n, rc = -1;

	if ((q->id = OCSP_cert_to_id(EVP_sha1(), cert, issuer)) == NULL ||
	    (req = OCSP_REQUEST_new()) == NULL || (id = OCSP_CERTID_dup(q->id)) == NULL ||
	    OCSP_request_add0_id(req, id) == NULL)
		goto out;
	id = NULL;
	if ((len = i2d_OCSP_REQUEST(req, &der)) <= 0 || (b64 = url_base64(der, (size_t)len)) == NULL)
		goto out;
	if ((n = asprintf(&q->get, "GET %s/%s HTTP/1.1\r\nHost: %s\r\n\r\n", c->prefix, b64, c->host)) < 0) {
		q->get = NULL;
		goto out;
	}
	q->get_len = (size_t)n;
	OPENSSL_free(der);
	der = NULL;
	/* POST: the same request with a nonce whose bytes each request replaces */
	if (OCSP_request_add1_nonce(req, (unsigned char *)mark, NONCE_LEN) != 1 ||
	    (len = i2d_OCSP_REQUEST(req, &der)) <= 0 || len > 4096 ||
	    (hit = memmem(der, (size_t)len, mark, NONCE_LEN)) == NULL ||
	    (q->post_der = malloc((size_t)len)) == NULL)
		goto out;
	memcpy(q->post_der, der, (size_t)len);
	q->post_len = (size_t)len;
	q->nonce_at = (size_t)(hit - der);
	rc = 0;
out:
	OCSP_CERTID_free(id);
	OCSP_REQUEST_free(req);
	OPENSSL_free(der);
	free(b64);
	return rc;
}

static X509 *
read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x = NULL;

	if (f == NULL) {
		fprintf(stderr, "ocspload: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if ((x = PEM_read_X509(f, NULL, NULL, NULL)) == NULL) {
		rewind(f);
		x = d2i_X509_fp(f, NULL);
	}
	fclose(f);
	if (x == NULL)
		fprintf(stderr, "ocspload: %s: no certificate (PEM or DER)\n", path);
	return x;
}

/* Adds the *.pem and *.crt files of dir, in name order, to g. */
static int
add_dir(glob_t *g, int *globbed, const char *dir)
{
	char *pat[2] = {NULL, NULL};
	int r = 0, rc = -1;

	if (asprintf(&pat[0], "%s/*.pem", dir) < 0 || asprintf(&pat[1], "%s/*.crt", dir) < 0)
		goto out;
	for (int i = 0; i < 2 && (r == 0 || r == GLOB_NOMATCH); i++, *globbed = 1)
		r = glob(pat[i], *globbed ? GLOB_APPEND : 0, NULL, g);
	rc = r == 0 || r == GLOB_NOMATCH ? 0 : -1;
out:
	if (rc != 0)
		fprintf(stderr, "ocspload: cannot list %s\n", dir);
	free(pat[0]);
	free(pat[1]);
	return rc;
}

static int
cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct config c = {.conns = 16, .seconds = 10, .expect = V_OCSP_CERTSTATUS_GOOD};
	struct worker *w = NULL;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
	const char *url = NULL, *mode = NULL, *issuer_file = NULL;
	const char **paths = NULL; /* the -cert arguments */
	char hostname[256] = "", port[16] = "", path[1024] = "";
	glob_t g = {0}; /* the -dir files */
	size_t npaths = 0, ncerts = 0, nlat = 0, at = 0;
	X509 *issuer = NULL;
	float *lat = NULL;
	long ok = 0, fail[FAIL_N_] = {0}, reconnects = 0, nfail = 0;
	double elapsed;
	int started = 0, globbed = 0, rc = 2;

	if ((paths = calloc((size_t)argc, sizeof(*paths))) == NULL)
		goto out;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "-verify") == 0) {
			c.verify = 1;
			continue;
		}
		if (v == NULL)
			goto usage;
		i++;
		if (strcmp(a, "-u") == 0)
			url = v;
		else if (strcmp(a, "-m") == 0)
			mode = v;
		else if (strcmp(a, "-issuer") == 0)
			issuer_file = v;
		else if (strcmp(a, "-cert") == 0)
			paths[npaths++] = v;
		else if (strcmp(a, "-dir") == 0) {
			if (add_dir(&g, &globbed, v) != 0)
				goto out;
		} else if (strcmp(a, "-c") == 0)
			c.conns = atoi(v);
		else if (strcmp(a, "-d") == 0)
			c.seconds = atof(v);
		else if (strcmp(a, "-w") == 0)
			c.warmup = atof(v);
		else if (strcmp(a, "-status") == 0)
			c.expect = strcmp(v, "good") == 0      ? V_OCSP_CERTSTATUS_GOOD
			         : strcmp(v, "revoked") == 0 ? V_OCSP_CERTSTATUS_REVOKED
			         : strcmp(v, "unknown") == 0 ? V_OCSP_CERTSTATUS_UNKNOWN
			                                     : -1;
		else
			goto usage;
	}
	ncerts = npaths + (globbed ? g.gl_pathc : 0);
	if (url == NULL || mode == NULL || issuer_file == NULL || ncerts == 0 || c.expect < 0 ||
	    c.conns < 1 || c.conns > MAX_CONNS || !(c.seconds > 0) || c.warmup < 0 ||
	    (strcmp(mode, "get") != 0 && strcmp(mode, "post") != 0) ||
	    sscanf(url, "http://%255[^:/]:%15[0-9]%1023s", hostname, port, path) < 2)
		goto usage;
	c.post = strcmp(mode, "post") == 0;
	snprintf(c.prefix, sizeof(c.prefix), "%s", path);
	if (c.prefix[0] != '\0' && c.prefix[0] != '/')
		goto usage;
	while (strlen(c.prefix) > 0 && c.prefix[strlen(c.prefix) - 1] == '/')
		c.prefix[strlen(c.prefix) - 1] = '\0';
	snprintf(c.host, sizeof(c.host), "%s:%s", hostname, port);
	if (getaddrinfo(hostname, port, &hints, &ai) != 0 || ai->ai_addrlen > sizeof(c.addr)) {
		fprintf(stderr, "ocspload: cannot resolve %s\n", hostname);
		goto out;
	}
	memcpy(&c.addr, ai->ai_addr, ai->ai_addrlen);
	c.addr_len = ai->ai_addrlen;

	if ((issuer = read_cert(issuer_file)) == NULL || (c.issuers = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(c.issuers, issuer) || (c.store = X509_STORE_new()) == NULL ||
	    X509_STORE_add_cert(c.store, issuer) != 1 ||
	    X509_STORE_set_flags(c.store, X509_V_FLAG_PARTIAL_CHAIN) != 1)
		goto out;
	if ((c.q = calloc(ncerts, sizeof(*c.q))) == NULL)
		goto out;
	for (c.nq = 0; c.nq < ncerts; c.nq++) {
		const char *f = c.nq < npaths ? paths[c.nq] : g.gl_pathv[c.nq - npaths];
		X509 *cert = read_cert(f);
		int r = cert != NULL ? query_init(&c.q[c.nq], &c, cert, issuer) : -1;

		X509_free(cert);
		if (r != 0) {
			fprintf(stderr, "ocspload: %s: cannot build its OCSP request\n", f);
			c.nq++; /* its partly built query is freed below */
			goto out;
		}
	}

	if ((w = calloc((size_t)c.conns, sizeof(*w))) == NULL)
		goto out;
	c.t_measure = now_s() + c.warmup;
	c.t_end = c.t_measure + c.seconds;
	for (started = 0; started < c.conns; started++) {
		struct worker *k = &w[started];

		k->index = started;
		k->cfg = &c;
		k->fd = -1;
		if (pthread_create(&k->th, NULL, worker_run, k) != 0) {
			fprintf(stderr, "ocspload: cannot start connection %d\n", started);
			break;
		}
	}
	for (int i = 0; i < started; i++) {
		pthread_join(w[i].th, NULL);
		ok += w[i].ok;
		reconnects += w[i].reconnects;
		nlat += w[i].nlat;
		for (int k = 0; k < FAIL_N_; k++)
			fail[k] += w[i].fail[k];
	}
	elapsed = now_s() - c.t_measure;
	if (started < c.conns)
		goto out;
	if (nlat > 0 && (lat = malloc(nlat * sizeof(*lat))) == NULL)
		goto out;
	for (int i = 0; nlat > 0 && i < started; at += w[i].nlat, i++)
		if (w[i].nlat > 0)
			memcpy(lat + at, w[i].lat, w[i].nlat * sizeof(*lat));
	if (nlat > 0)
		qsort(lat, nlat, sizeof(*lat), cmp_float);
	for (int k = 0; k < FAIL_N_; k++)
		nfail += fail[k];
	printf("BENCH ok=%ld failed=%ld seconds=%.2f rate_per_s=%.1f p50_ms=%.3f p99_ms=%.3f "
	       "reconnects=%ld",
	       ok, nfail, elapsed, elapsed > 0 ? (double)ok / elapsed : 0.0,
	       nlat ? lat[nlat / 2] * 1e3 : 0.0, nlat ? lat[(size_t)((double)nlat * 0.99)] * 1e3 : 0.0,
	       reconnects);
	for (int k = 0; k < FAIL_N_; k++)
		printf(" %s=%ld", fail_names[k], fail[k]);
	printf("\n");
	rc = nfail == 0 && ok > 0 ? 0 : 1;
	goto out;
usage:
	fprintf(stderr, "ocspload: usage in the header of bench/ocspload.c\n");
out:
	if (rc == 2)
		ERR_print_errors_fp(stderr);
	for (int i = 0; w != NULL && i < c.conns; i++)
		free(w[i].lat);
	free(w);
	free(lat);
	for (size_t i = 0; i < c.nq; i++) {
		OCSP_CERTID_free(c.q[i].id);
		free(c.q[i].get);
		free(c.q[i].post_der);
	}
	free(c.q);
	free(paths);
	if (globbed)
		globfree(&g);
	X509_STORE_free(c.store);
	sk_X509_free(c.issuers);
	X509_free(issuer);
	if (ai != NULL)
		freeaddrinfo(ai);
	return rc;
}
