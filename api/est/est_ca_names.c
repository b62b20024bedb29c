/* The CA names in the EST listener's certificate request (see
 * est_ca_names.h).
 *
 * How the list reaches each handshake. GnuTLS writes into a certificate
 * request (TLS 1.2) or its certificate_authorities extension (TLS 1.3)
 * the subjects of the trust list of the session's certificate
 * credentials, as they were when the list was built; it has no callback
 * that supplies names per handshake. libmicrohttpd 0.9.75 makes one set
 * of credentials for all its sessions at start, with the trust list of
 * MHD_OPTION_HTTPS_MEM_TRUST, and changing that set while other threads
 * handshake with it is not safe. So each version of the list gets its own
 * credentials (the same listener identity callback, a trust list of one
 * certificate per CA name), and every new connection is given the current
 * version with gnutls_credentials_set when libmicrohttpd reports it
 * started (MHD_CONNECTION_NOTIFY_STARTED: its session is set up, no byte
 * of the handshake has been read). Nothing verifies against these trust
 * lists: libmicrohttpd never does, GnuTLS only when told to, and the
 * request is GNUTLS_CERT_REQUEST (a certificate asked for, not required).
 * A version is freed once it is no longer current and the last connection
 * that got it has closed (MHD_CONNECTION_NOTIFY_CLOSED, which
 * libmicrohttpd reports after it has freed the session). */
#include "api/est/est_ca_names.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/listen/listen_identity.h"
#include "common/buf.h"
#include "common/log.h"
#include "model/est/client_cas.h"

/* Certificates read per reload at most: far more than the names that
 * fit, since the locations of a CA share its name. */
#define MAX_CERTS 4096
#define BUCKETS 256

/* One version of the list, shared by the connections that got it. */
struct names {
	gnutls_certificate_credentials_t cred;
	unsigned char *seq; /* the names as TLS carries them, to tell a change */
	size_t seq_len;
	size_t count;
	unsigned refs; /* connections that got it, + 1 while it is current */
};

/* Which version a connection got. */
struct use {
	const void *con;
	struct names *names;
	struct use *next;
};

struct est_ca_names {
	struct edgeca_ctx *ctx;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	bool thread_started;
	pthread_t thread;
	struct names *current;
	struct use *uses[BUCKETS];
	/* touched by the reloading thread only */
	bool capped_logged;
	bool failing;
};

static void
names_free(struct names *v)
{
	if (v == NULL)
		return;
	if (v->cred != NULL)
		gnutls_certificate_free_credentials(v->cred);
	free(v->seq);
	free(v);
}

/* Appends x's subject to seq unless it is there already or would take
 * seq past the limit (*full then). Returns 1 when added, 0 when not, -1
 * when out of memory. */
static int
add_name(struct buf *seq, X509 *x, bool *full)
{
	unsigned char *dn = NULL, len2[2];
	int n = i2d_X509_NAME(X509_get_subject_name(x), &dn), rc = 0;
	size_t off = 0;

	if (n <= 0 || n > 0xFFFF) {
		rc = n <= 0 ? -1 : 0;
		goto out;
	}
	while (off + 2 <= seq->len) {
		size_t l = (size_t)seq->data[off] << 8 | seq->data[off + 1];
		if (l == (size_t)n && memcmp(seq->data + off + 2, dn, l) == 0)
			goto out;
		off += 2 + l;
	}
	if (seq->len + 2 + (size_t)n > EST_CA_NAMES_MAX_BYTES) {
		*full = true;
		goto out;
	}
	len2[0] = (unsigned char)(n >> 8);
	len2[1] = (unsigned char)n;
	if (buf_append(seq, len2, 2) != 0 || buf_append(seq, dn, (size_t)n) != 0) {
		rc = -1;
		goto out;
	}
	rc = 1;
out:
	OPENSSL_free(dn);
	return rc;
}

/* The credentials naming the subjects of keep (the listener's own
 * identity, asked for at each handshake as on the API listener). */
static gnutls_certificate_credentials_t
credentials_new(STACK_OF(X509) *keep)
{
	gnutls_certificate_credentials_t cred = NULL;

	if (gnutls_certificate_allocate_credentials(&cred) < 0)
		return NULL;
	gnutls_certificate_set_retrieve_function2(cred, listen_identity_retrieve);
	for (int i = 0; i < sk_X509_num(keep); i++) {
		unsigned char *der = NULL;
		int n = i2d_X509(sk_X509_value(keep, i), &der);
		gnutls_datum_t d = {der, n > 0 ? (unsigned int)n : 0};
		int ok = n > 0 && gnutls_certificate_set_x509_trust_mem(cred, &d,
		                                                        GNUTLS_X509_FMT_DER) == 1;
		OPENSSL_free(der);
		if (!ok) {
			gnutls_certificate_free_credentials(cred);
			return NULL;
		}
	}
	return cred;
}

/* A version of the list for certs without its credentials yet: one
 * certificate per subject, in order, as many as fit (borrowed from certs
 * into *keep). *capped tells whether names may have been left out. */
static struct names *
names_new(STACK_OF(X509) *certs, STACK_OF(X509) **keep, bool *capped)
{
	struct names *v = calloc(1, sizeof(*v));
	struct buf seq = {0};
	bool full = false;

	*capped = false;
	*keep = sk_X509_new_null();
	if (v == NULL || *keep == NULL)
		goto fail;
	for (int i = 0; i < sk_X509_num(certs) && !full; i++) {
		int added = add_name(&seq, sk_X509_value(certs, i), &full);
		if (added < 0 || (added == 1 && !sk_X509_push(*keep, sk_X509_value(certs, i))))
			goto fail;
	}
	/* a full read may have left out certificates of further CAs */
	*capped = full || sk_X509_num(certs) >= MAX_CERTS;
	v->count = (size_t)sk_X509_num(*keep);
	v->seq = buf_take(&seq, &v->seq_len);
	if (v->seq_len > 0 && v->seq == NULL)
		goto fail;
	ERR_clear_error();
	return v;
fail:
	ERR_clear_error();
	buf_free(&seq);
	sk_X509_free(*keep);
	*keep = NULL;
	names_free(v);
	return NULL;
}

static bool
names_same(const struct names *a, const struct names *b)
{
	return a != NULL && b != NULL && a->seq_len == b->seq_len &&
	       (a->seq_len == 0 || memcmp(a->seq, b->seq, a->seq_len) == 0);
}

/* Drops one reference; the caller holds the lock. Returns the version
 * when it is to be freed (outside the lock). */
static struct names *
names_unref(struct names *v)
{
	if (v == NULL || --v->refs > 0)
		return NULL;
	return v;
}

/* Reads the list from the database and makes it current if it changed. */
static void
reload(struct est_ca_names *n)
{
	struct edgeca_msg msg = {0};
	STACK_OF(X509) *certs = NULL, *keep = NULL;
	struct names *fresh = NULL, *old = NULL;
	bool capped = false, same;
	size_t count;

	if (est_client_ca_certs(n->ctx, MAX_CERTS, &certs, &msg) != EDGECA_OK) {
		if (!n->failing)
			log_warn("est_ca_names: cannot read the CAs EST accepts, the TLS certificate "
			         "request keeps naming the last ones read: %s", msg.detail);
		n->failing = true;
		goto out;
	}
	if (n->failing)
		log_info("est_ca_names: the CAs EST accepts can be read again");
	n->failing = false;
	if ((fresh = names_new(certs, &keep, &capped)) == NULL) {
		log_error("est_ca_names: out of memory; the last list stays");
		goto out;
	}
	count = fresh->count;
	/* only this thread changes the current version */
	pthread_mutex_lock(&n->lock);
	same = names_same(n->current, fresh);
	pthread_mutex_unlock(&n->lock);
	if (!same) {
		if ((fresh->cred = credentials_new(keep)) == NULL) {
			log_error("est_ca_names: cannot make TLS credentials; the last list stays");
			goto out;
		}
		pthread_mutex_lock(&n->lock);
		fresh->refs = 1;
		old = names_unref(n->current);
		n->current = fresh;
		pthread_mutex_unlock(&n->lock);
		log_info("est_ca_names: the EST TLS certificate request names %zu CAs", count);
		fresh = NULL;
	}
	/* said once the cut list is the one handshakes get */
	if (capped && !n->capped_logged)
		log_warn("est_ca_names: the CAs EST accepts take more than %d bytes of names; the "
		         "TLS certificate request names the first %zu of them only",
		         EST_CA_NAMES_MAX_BYTES, count);
	n->capped_logged = capped;
out:
	names_free(fresh);
	names_free(old);
	sk_X509_free(keep); /* the certificates are certs' */
	sk_X509_pop_free(certs, X509_free);
}

static void *
reload_loop(void *arg)
{
	struct est_ca_names *n = arg;
	struct timespec until;

	pthread_mutex_lock(&n->lock);
	while (!n->stopping) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += EST_CA_NAMES_REFRESH_S;
		pthread_cond_timedwait(&n->wake, &n->lock, &until);
		if (n->stopping)
			break;
		pthread_mutex_unlock(&n->lock);
		reload(n);
		pthread_mutex_lock(&n->lock);
	}
	pthread_mutex_unlock(&n->lock);
	return NULL;
}

edgeca_err
est_ca_names_start(struct edgeca_ctx *ctx, struct est_ca_names **out, struct edgeca_msg *msg)
{
	struct est_ca_names *n = calloc(1, sizeof(*n));
	edgeca_err rc = EDGECA_OK;

	*out = NULL;
	if (n == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	n->ctx = ctx;
	if (pthread_mutex_init(&n->lock, NULL) != 0) {
		free(n);
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot make a lock");
	}
	if (pthread_cond_init(&n->wake, NULL) != 0) {
		pthread_mutex_destroy(&n->lock);
		free(n);
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot make a condition");
	}
	reload(n);
	if (pthread_create(&n->thread, NULL, reload_loop, n) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
		                 "cannot start the thread that reloads the EST CA names");
		est_ca_names_stop(n);
		return rc;
	}
	n->thread_started = true;
	*out = n;
	return rc;
}

void
est_ca_names_stop(struct est_ca_names *n)
{
	if (n == NULL)
		return;
	if (n->thread_started) {
		pthread_mutex_lock(&n->lock);
		n->stopping = true;
		pthread_cond_signal(&n->wake);
		pthread_mutex_unlock(&n->lock);
		pthread_join(n->thread, NULL);
	}
	for (size_t b = 0; b < BUCKETS; b++) { /* none once the listener stopped */
		while (n->uses[b] != NULL) {
			struct use *u = n->uses[b];
			n->uses[b] = u->next;
			names_free(names_unref(u->names));
			free(u);
		}
	}
	names_free(names_unref(n->current));
	pthread_cond_destroy(&n->wake);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

static size_t
bucket_of(const void *con)
{
	uintptr_t p = (uintptr_t)con;

	return (size_t)((p >> 4) ^ (p >> 12)) % BUCKETS;
}

void
est_ca_names_attach(struct est_ca_names *n, const void *con, gnutls_session_t session)
{
	struct use *u = calloc(1, sizeof(*u));
	size_t b = bucket_of(con);

	/* libmicrohttpd asks for a client certificate only when given a
	 * trust list of its own, which it no longer is */
	gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUEST);
	if (u == NULL) {
		log_warn("est_ca_names: out of memory; a handshake names no CAs");
		return;
	}
	pthread_mutex_lock(&n->lock);
	if (n->current != NULL &&
	    gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, n->current->cred) == 0) {
		u->con = con;
		u->names = n->current;
		u->names->refs++;
		u->next = n->uses[b];
		n->uses[b] = u;
		u = NULL;
	}
	pthread_mutex_unlock(&n->lock);
	free(u); /* not taken: the session keeps libmicrohttpd's credentials */
}

void
est_ca_names_detach(struct est_ca_names *n, const void *con)
{
	struct use **pu, *u = NULL;
	struct names *gone = NULL;

	pthread_mutex_lock(&n->lock);
	for (pu = &n->uses[bucket_of(con)]; *pu != NULL; pu = &(*pu)->next) {
		if ((*pu)->con == con) {
			u = *pu;
			*pu = u->next;
			gone = names_unref(u->names);
			break;
		}
	}
	pthread_mutex_unlock(&n->lock);
	names_free(gone);
	free(u);
}
