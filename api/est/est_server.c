#include "api/est/est_server.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/est/est.h"
#include "api/est/est_ca_names.h"
#include "api/listen/listen.h"
#include "api/listen/listen_identity.h"
#include "api/listen/request_end.h"
#include "api/listen/request.h"
#include "api/listen/status.h"
#include "common/buf.h"
#include "common/log.h"

struct est_server {
	struct MHD_Daemon *daemon;
	struct edgeca_ctx *ctx;
	struct signer_gate *gate;
	struct deadline_watch *deadline;
	struct listen_addr addr;
	struct est_ca_names *ca_names;
	struct listen_settings ls; /* its strings borrowed from the server */
};

/* Declared bodies up to this many times the limit are read (and
 * dropped) before the 413. */
#define DISCARD_FACTOR 16

/* One request while its body arrives. */
struct exchange {
	struct buf body;
	bool too_large;
	bool answered;
	bool started;      /* the headers have been seen */
	bool nul_in_target; /* the raw request target holds %00 */
	int status;         /* of the answer; 0: none yet */
	const char *route;  /* est_route_pattern; NULL: other */
	struct listen_request lr;
};

static enum MHD_Result
send_response(struct MHD_Connection *con, struct exchange *x, const struct est_http_response *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ok;

	x->answered = true;
	resp = MHD_create_response_from_buffer(r->body_len, r->body_len ? r->body : (void *)"",
	                                       MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	if (r->content_type != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	if (r->base64)
		MHD_add_response_header(resp, "Content-Transfer-Encoding", "base64");
	if (r->allow != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (r->status == 401)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		                        "Basic realm=\"edgeca EST\"");
	if (r->retry_after > 0 || r->status == 503) {
		char seconds[16];
		snprintf(seconds, sizeof(seconds), "%u", r->retry_after ? r->retry_after
		                                                        : API_RETRY_AFTER_S);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, seconds);
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_STRICT_TRANSPORT_SECURITY, LISTEN_HSTS);
	MHD_add_response_header(resp, LISTEN_REQUEST_ID_HEADER, x->lr.id);
	x->status = r->status;
	ok = MHD_queue_response(con, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ok;
}

static enum MHD_Result
send_text(struct MHD_Connection *con, struct exchange *x, int status, const char *text)
{
	struct est_http_response r = {status, "text/plain; charset=utf-8", false, (char *)text,
	                              strlen(text), NULL, 0};

	return send_response(con, x, &r);
}

/* The TLS client chain, leaf first, as DER (borrowed from the session). */
static void
tls_chain(struct MHD_Connection *con, struct est_client *client)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(con, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	gnutls_session_t session = ci ? (gnutls_session_t)ci->tls_session : NULL;
	const gnutls_datum_t *peers;
	unsigned int n = 0;

	memset(client, 0, sizeof(*client));
	if (session == NULL || gnutls_certificate_type_get(session) != GNUTLS_CRT_X509)
		return;
	peers = gnutls_certificate_get_peers(session, &n);
	for (unsigned int i = 0; peers != NULL && i < n && i < EST_MAX_CHAIN; i++) {
		client->chain[i] = peers[i].data;
		client->chain_len[i] = peers[i].size;
		client->chain_n = i + 1;
	}
}

/* The TLS channel binding of the connection (RFC 7030 3.5): tls-unique
 * (RFC 5929) under TLS 1.2, tls-exporter (RFC 9266) under TLS 1.3, where
 * tls-unique does not exist. Left empty when GnuTLS has none. */
static void
channel_binding(struct MHD_Connection *con, struct est_http_request *req)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(con, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	gnutls_session_t session = ci ? (gnutls_session_t)ci->tls_session : NULL;
	gnutls_datum_t cb = {NULL, 0};
	bool tls13;

	req->binding_len = 0;
	if (session == NULL)
		return;
	tls13 = gnutls_protocol_get_version(session) == GNUTLS_TLS1_3;
	if (gnutls_session_channel_binding(session, tls13 ? GNUTLS_CB_TLS_EXPORTER
	                                                  : GNUTLS_CB_TLS_UNIQUE, &cb) == 0 &&
	    cb.size > 0 && cb.size <= sizeof(req->binding)) {
		memcpy(req->binding, cb.data, cb.size);
		req->binding_len = cb.size;
		req->binding_type = tls13 ? "tls-exporter" : "tls-unique";
	} else {
		log_debug("est: no TLS channel binding on this connection");
	}
	gnutls_free(cb.data);
}

static const struct sockaddr *
peer_address(struct MHD_Connection *con)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	return ci ? ci->client_addr : NULL;
}

/* Acknowledges at once what has arrived. A client that writes the
 * headers and the body of a request separately without TCP_NODELAY
 * (Nagle's algorithm) holds the body back until the headers are
 * acknowledged, which Linux would otherwise delay by up to 40 ms: every
 * enrollment of such a client would wait that long. */
static void
quick_ack(struct MHD_Connection *con)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
	int one = 1;

	if (ci != NULL &&
	    setsockopt(ci->connect_fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one)) != 0)
		log_debug("est: TCP_QUICKACK: %s", strerror(errno));
}

/* The same right after a TLS 1.3 handshake: the server sends nothing
 * after the client's Finished message (no session tickets), so without
 * this its acknowledgement would be delayed and a Nagle client would hold
 * the request's headers back behind it. */
static int
on_client_finished(gnutls_session_t session, unsigned int htype, unsigned when,
                   unsigned int incoming, const gnutls_datum_t *message)
{
	int one = 1, fd = gnutls_transport_get_int(session);

	(void)htype;
	(void)when;
	(void)message;
	if (incoming && fd >= 0 && setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one)) != 0)
		log_debug("est: TCP_QUICKACK: %s", strerror(errno));
	return 0;
}

static void
on_connection(void *cls, struct MHD_Connection *con, void **socket_context,
              enum MHD_ConnectionNotificationCode toe)
{
	struct est_server *s = cls;
	const union MHD_ConnectionInfo *ci;

	deadline_on_connection(s->deadline, con, socket_context, toe);
	if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
		est_ca_names_detach(s->ca_names, con);
	if (toe != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci != NULL && ci->tls_session != NULL) {
		gnutls_handshake_set_hook_function(ci->tls_session, GNUTLS_HANDSHAKE_FINISHED,
		                                   GNUTLS_HOOK_POST, on_client_finished);
		est_ca_names_attach(s->ca_names, con, ci->tls_session);
	} else {
		log_debug("est: no TLS session at connection start");
	}
}

/* libmicrohttpd's URI log callback: the request target as received,
 * before libmicrohttpd decodes it. The handler only sees the decoded
 * path, which ends at an encoded NUL: "/.well-known/est/cacerts%00x"
 * would pass for "/.well-known/est/cacerts". The exchange made here is
 * the request's *con_cls. */
static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *con)
{
	struct exchange *x = calloc(1, sizeof(*x));

	(void)cls;
	deadline_request_begun(con);
	if (x != NULL)
		x->nul_in_target = uri == NULL || strstr(uri, "%00") != NULL;
	return x;
}

/* What is refused from the request line and headers alone, before any
 * of the body is read; NULL when nothing is. An answer given now also
 * makes libmicrohttpd close the connection (Connection: close) once it
 * is sent: whatever follows on the connection is never read as a
 * request. Both Content-Length and Transfer-Encoding say two different
 * things about where the body ends (libmicrohttpd goes by the chunks, a
 * proxy in front may go by the length): request smuggling, RFC 9112
 * section 6.3. */
static const char *
refused_at_headers(struct MHD_Connection *con, const struct exchange *x)
{
	if (x->nul_in_target)
		return "the request target holds an encoded NUL (%00)";
	if (MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH) &&
	    MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
		return "a request may not have both Content-Length and Transfer-Encoding";
	return NULL;
}

/* Keeps the value of the last X-Forwarded-For line: a proxy that adds its
 * own line after those a client sent (HAProxy's forwardfor) writes the
 * last one. */
static enum MHD_Result
last_forwarded_for(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	if (key != NULL && value != NULL && strcasecmp(key, "X-Forwarded-For") == 0)
		*(const char **)cls = value;
	return MHD_YES;
}

/* Where the request came from (the forwarded address is believed from a
 * trusted proxy only) and its connection's channel binding. */
static void
client_facts(struct MHD_Connection *con, struct est_http_request *req)
{
	req->peer = peer_address(con);
	if (req->from_trusted_proxy)
		MHD_get_connection_values(con, MHD_HEADER_KIND, last_forwarded_for,
		                          &req->forwarded_for);
	channel_binding(con, req);
}

/* The request's headers are in: answers at once what is refused from
 * them alone (as refused_at_headers says), or prepares for the body. */
static enum MHD_Result
at_headers(struct MHD_Connection *con, struct exchange *x, const struct listen_settings *ls,
           const char *method, const char *url)
{
	const char *cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
	                                             MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *refusal = refused_at_headers(con, x);

	if (refusal != NULL) {
		char line[128];
		snprintf(line, sizeof(line), "%s\n", refusal);
		log_debug("est: %s %s -> 400: %s", method, url, refusal);
		return send_text(con, x, 400, line);
	}
	/* A declared body over the limit is read and dropped, then
	 * refused (413): closing on a client still sending would reset
	 * the connection, and the client would see that instead of the
	 * answer. One far over the limit is refused before it is read. */
	if (cl != NULL && strtoull(cl, NULL, 10) > ls->max_body_bytes * DISCARD_FACTOR)
		return send_text(con, x, 413, "the request body exceeds the limit\n");
	if (cl != NULL && strtoull(cl, NULL, 10) > ls->max_body_bytes)
		x->too_large = true;
	if (cl != NULL)
		quick_ack(con);
	return MHD_YES;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *con, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_data_size,
           void **con_cls)
{
	struct est_server *s = cls;
	const struct listen_settings *ls = &s->ls;
	struct exchange *x = *con_cls;
	struct est_http_request req;
	struct est_http_response resp;
	enum MHD_Result ok;

	(void)version;
	if (x == NULL) /* on_uri found no memory */
		return MHD_NO;
	if (!x->started) {
		listen_request_begin(&x->lr, "est", method,
		                     MHD_lookup_connection_value(con, MHD_HEADER_KIND,
		                                                 LISTEN_REQUEST_ID_HEADER));
		x->route = est_route_pattern(url);
		x->started = true;
		ok = at_headers(con, x, ls, method, url);
		listen_request_leave(&x->lr);
		return ok;
	}
	if (*upload_data_size > 0) {
		if (x->answered)
			*upload_data_size = 0;
		else
			listen_body_add(&x->body, &x->too_large, ls->max_body_bytes, upload_data,
			                upload_data_size);
		return MHD_YES;
	}
	if (x->answered)
		return MHD_YES;
	memset(&req, 0, sizeof(req));
	req.ctx = s->ctx;
	req.method = method;
	req.path = url;
	req.content_type = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
	                                               MHD_HTTP_HEADER_CONTENT_TYPE);
	req.authorization = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
	                                                MHD_HTTP_HEADER_AUTHORIZATION);
	req.from_trusted_proxy = net_addr_list_has(ls->trusted_proxies, ls->n_trusted_proxies,
	                                           peer_address(con));
	if (req.from_trusted_proxy)
		req.forwarded_cert = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
		                                                 ls->client_cert_header);
	req.body = x->body.data;
	req.body_len = x->body.len;
	req.body_too_large = x->too_large;
	req.max_body = ls->max_body_bytes;
	req.gate = s->gate;
	req.gate_wait_ms = ls->signer_timeout_s * 1000;
	tls_chain(con, &req.tls);
	client_facts(con, &req);
	listen_request_enter(&x->lr);
	est_handle(&req, &resp);
	log_debug("est: %s %s -> %d", method, url, resp.status);
	ok = send_response(con, x, &resp);
	listen_request_leave(&x->lr);
	est_http_response_free(&resp);
	return ok;
}

static void
on_completed(void *cls, struct MHD_Connection *con, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
	struct exchange *x = *con_cls;

	(void)cls;
	(void)toe;
	listen_request_done(con, "est", x != NULL ? x->route : NULL);
	if (x != NULL) {
		if (x->status != 0)
			listen_request_end(&x->lr, x->route, x->status);
		buf_free(&x->body);
		free(x);
		*con_cls = NULL;
	}
}

edgeca_err
est_server_start(struct edgeca_ctx *ctx, const struct listen_settings *ls,
                 const struct tls_material *tls,
                 struct deadline_watch *deadline, struct est_server **out, struct edgeca_msg *msg)
{
	unsigned int flags = LISTEN_MHD_FLAGS;
	struct est_server *s;
	edgeca_err rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	s->ctx = ctx;
	s->ls = *ls;
	s->deadline = deadline;
	(void)tls; /* the listener's identity is the current listen identity's */
	if ((rc = listen_addr_make(ls->bind_address, ls->port, &s->addr, msg)) != EDGECA_OK ||
	    (rc = gate_new(gate_capacity(ls->threads, ls->signer_max_waiting),
	                   gate_signer_stalled, ctx->signer, &s->gate, msg)) != EDGECA_OK ||
	    (rc = est_ca_names_start(ctx, &s->ca_names, msg)) != EDGECA_OK) {
		gate_free(s->gate);
		free(s);
		return rc;
	}
	/* Every client is asked for a certificate, which is neither required
	 * nor judged by the TLS library: edgeca verifies what comes against
	 * the database on each request. The CA names the request carries are
	 * given to each connection as it starts (est_ca_names.h). The
	 * listener's own certificate is the current listen identity's, asked
	 * for at each handshake. */
	s->daemon = MHD_start_daemon(
		flags | s->addr.mhd_flags, (uint16_t)ls->port, NULL, NULL, on_request, s,
		MHD_OPTION_SOCK_ADDR, &s->addr.ss, MHD_OPTION_HTTPS_CERT_CALLBACK,
		listen_identity_retrieve,
		MHD_OPTION_HTTPS_PRIORITIES, LISTEN_TLS_PRIORITIES, MHD_OPTION_THREAD_POOL_SIZE,
		(unsigned int)ls->threads, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned int)ls->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned int)ls->connection_timeout_s, MHD_OPTION_LISTEN_BACKLOG_SIZE,
		(unsigned int)1024, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
		MHD_OPTION_EXTERNAL_LOGGER, listen_mhd_log, "est libmicrohttpd", MHD_OPTION_END);
	if (s->daemon == NULL) {
		est_ca_names_stop(s->ca_names);
		gate_free(s->gate);
		free(s);
		return edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, NULL,
		                   "cannot listen for EST on %s port %u (in use, or TLS material "
		                   "invalid)", ls->bind_address, ls->port);
	}
	log_info("est_server_start: EST on https://%s:%u (%u threads, %u of them for the signer "
	         "at most); devices use %s", ls->bind_address, ls->port, ls->threads,
	         gate_capacity(ls->threads, ls->signer_max_waiting), ls->public_url);
	*out = s;
	return EDGECA_OK;
}

void
est_server_stop(struct est_server *s)
{
	if (s == NULL)
		return;
	if (s->daemon != NULL)
		MHD_stop_daemon(s->daemon);
	est_ca_names_stop(s->ca_names); /* no connection left to use the names */
	gate_free(s->gate);
	free(s);
}
