#include "api/est/est.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/listen/status.h"
#include "common/embedded.h"
#include "common/encoding.h"
#include "common/log.h"
#include "common/pkcs7_der.h"
#include "model/cert/certificate.h"

#define CT_PKCS7 "application/pkcs7-mime"
#define CT_PKCS7_CERTS "application/pkcs7-mime; smime-type=certs-only"
#define CT_CSRATTRS "application/csrattrs"
#define CT_TEXT "text/plain; charset=utf-8"
#define CT_YAML "application/yaml"
#define DESCRIPTION_PATH "/openapi.yaml"

/* Copies the next path segment of *p into out; 0, or -1 when empty or too
 * long. */
static int
segment(const char **p, char *out, size_t len)
{
	size_t n;

	if (**p != '/')
		return -1;
	(*p)++;
	n = strcspn(*p, "/");
	if (n == 0 || n >= len)
		return -1;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p += n;
	return 0;
}

int
est_route_parse(const char *path, struct est_route *r)
{
	static const char well_known[] = "/.well-known/est";
	char first[64];
	const char *p = path;

	memset(r, 0, sizeof(*r));
	if (strncmp(p, "/est/", 5) == 0) {
		p += 4;
		if (segment(&p, r->ca_id, sizeof(r->ca_id)) != 0 ||
		    segment(&p, r->location, sizeof(r->location)) != 0 ||
		    strncmp(p, well_known, sizeof(well_known) - 1) != 0)
			return -1;
		p += sizeof(well_known) - 1;
		if (segment(&p, r->op, sizeof(r->op)) != 0 || *p != '\0')
			return -1;
		r->target.ca_id = r->ca_id;
		r->target.location = r->location;
		return 0;
	}
	if (strncmp(p, well_known, sizeof(well_known) - 1) != 0)
		return -1;
	p += sizeof(well_known) - 1;
	if (segment(&p, first, sizeof(first)) != 0)
		return -1;
	if (*p == '\0') {
		if (strlen(first) >= sizeof(r->op))
			return -1;
		memcpy(r->op, first, strlen(first) + 1);
		return 0; /* the default CA */
	}
	if (segment(&p, r->op, sizeof(r->op)) != 0 || *p != '\0')
		return -1;
	snprintf(r->label, sizeof(r->label), "%s", first);
	r->target.label = r->label;
	return 0;
}

const char *
est_route_pattern(const char *path)
{
	static const char *const ops[] = {"cacerts", "csrattrs", "simpleenroll", "simplereenroll"};
	static const char *const patterns[][4] = {
		{"/.well-known/est/cacerts", "/.well-known/est/csrattrs",
		 "/.well-known/est/simpleenroll", "/.well-known/est/simplereenroll"},
		{"/.well-known/est/:label/cacerts", "/.well-known/est/:label/csrattrs",
		 "/.well-known/est/:label/simpleenroll", "/.well-known/est/:label/simplereenroll"},
		{"/est/:ca_id/:location/.well-known/est/cacerts",
		 "/est/:ca_id/:location/.well-known/est/csrattrs",
		 "/est/:ca_id/:location/.well-known/est/simpleenroll",
		 "/est/:ca_id/:location/.well-known/est/simplereenroll"},
	};
	struct est_route r;
	size_t form;

	if (path != NULL && strcmp(path, DESCRIPTION_PATH) == 0)
		return DESCRIPTION_PATH;
	if (path == NULL || est_route_parse(path, &r) != 0)
		return NULL;
	form = r.ca_id[0] != '\0' ? 2 : r.label[0] != '\0' ? 1 : 0;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(r.op, ops[i]) == 0)
			return patterns[form][i];
	return NULL;
}

int
est_basic_parse(const char *authorization, char **user, char **password)
{
	unsigned char *raw = NULL;
	size_t len = 0;
	const char *p = authorization, *colon;

	*user = *password = NULL;
	if (strncasecmp(p, "Basic", 5) != 0 || (p[5] != ' ' && p[5] != '\t'))
		return 0;
	p += 5;
	while (*p == ' ' || *p == '\t')
		p++;
	if (base64_decode(p, strlen(p), false, &raw, &len) != 0)
		return -1;
	colon = memchr(raw, ':', len);
	if (colon == NULL || memchr(raw, '\0', len) != NULL) {
		free(raw);
		return -1;
	}
	*user = strndup((const char *)raw, (size_t)(colon - (const char *)raw));
	*password = strndup(colon + 1, len - (size_t)(colon + 1 - (const char *)raw));
	OPENSSL_cleanse(raw, len);
	free(raw);
	if (*user == NULL || *password == NULL) {
		free(*user);
		free(*password);
		*user = *password = NULL;
		return -1;
	}
	return 1;
}

int
est_forwarded_cert(const char *value, unsigned char **der, size_t *len)
{
	static const char *const labels[] = {"CERTIFICATE", NULL};
	size_t n = strlen(value), o = 0;
	char *pem = malloc(n + 1);
	int rc = -1;

	*der = NULL;
	if (pem == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (value[i] == '%' && i + 2 < n && (hi = hex_value(value[i + 1])) >= 0 &&
		    (lo = hex_value(value[i + 2])) >= 0) {
			pem[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (value[i] == '%') {
			goto out;
		} else {
			pem[o++] = value[i];
		}
	}
	pem[o] = '\0';
	/* nginx's escaped certificate is PEM; its newlines come as %0A */
	if (pem_decode(pem, o, labels, NULL, der, len, NULL) == PEM_OK)
		rc = 0;
out:
	free(pem);
	return rc;
}

/* addr as text (IPv4 for an IPv4-mapped IPv6 address); "unknown" when
 * it is neither. */
static void
address_text(const struct sockaddr *sa, char out[INET6_ADDRSTRLEN])
{
	static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	const unsigned char *a6;
	const char *ok = NULL;

	if (sa != NULL && sa->sa_family == AF_INET) {
		ok = inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out,
		               INET6_ADDRSTRLEN);
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		a6 = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		ok = memcmp(a6, v4_mapped, sizeof(v4_mapped)) == 0
		         ? inet_ntop(AF_INET, a6 + 12, out, INET6_ADDRSTRLEN)
		         : inet_ntop(AF_INET6, a6, out, INET6_ADDRSTRLEN);
	}
	if (ok == NULL)
		snprintf(out, INET6_ADDRSTRLEN, "unknown");
}

/* The last element of an X-Forwarded-For value, written again from its
 * binary form so that nothing but an address reaches logs; -1 when it is
 * not an IP address. */
static int
forwarded_address(const char *value, char out[INET6_ADDRSTRLEN])
{
	const char *last = strrchr(value, ',');
	char text[INET6_ADDRSTRLEN + 2];
	unsigned char bin[16];
	size_t n;

	last = last ? last + 1 : value;
	last += strspn(last, " \t");
	n = strcspn(last, " \t");
	if (n == 0 || n >= sizeof(text) || last[n + strspn(last + n, " \t")] != '\0')
		return -1;
	memcpy(text, last, n);
	text[n] = '\0';
	if (inet_pton(AF_INET, text, bin) == 1)
		return inet_ntop(AF_INET, bin, out, INET6_ADDRSTRLEN) ? 0 : -1;
	if (inet_pton(AF_INET6, text, bin) == 1)
		return inet_ntop(AF_INET6, bin, out, INET6_ADDRSTRLEN) ? 0 : -1;
	return -1;
}

void
est_client_address(const struct sockaddr *peer, bool from_trusted_proxy,
                   const char *forwarded_for, char *addr, char *proxy)
{
	proxy[0] = '\0';
	address_text(peer, addr);
	if (!from_trusted_proxy)
		return;
	snprintf(proxy, INET6_ADDRSTRLEN, "%s", addr);
	if (forwarded_for == NULL || forwarded_address(forwarded_for, addr) != 0)
		snprintf(addr, INET6_ADDRSTRLEN, "%s", proxy);
}

static void
set_text(struct est_http_response *resp, int status, const char *text)
{
	size_t n = strlen(text);

	resp->status = status;
	resp->content_type = CT_TEXT;
	resp->base64 = false;
	free(resp->body);
	resp->body = malloc(n + 2);
	if (resp->body == NULL) {
		resp->body_len = 0;
		return;
	}
	memcpy(resp->body, text, n);
	resp->body[n] = '\n';
	resp->body[n + 1] = '\0';
	resp->body_len = n + 1;
}

/* The EST statuses of model errors: a CSR edgeca will not sign is a Bad
 * Request (RFC 7030 4.2.3), the rest as in the REST API. */
static void
set_error(struct est_http_response *resp, edgeca_err rc, const struct edgeca_msg *msg)
{
	int status = rc == EDGECA_ERR_INVALID ? 400 : api_status_of(rc);

	set_text(resp, status, msg->detail[0] ? msg->detail : "the request failed");
	resp->retry_after = msg->retry_after;
}

/* A 200 with the base64 (64-column lines) of DER. */
static void
set_base64(struct est_http_response *resp, const char *content_type, const unsigned char *der,
           size_t len)
{
	char *text = base64_encode(der, len, 64);

	if (text == NULL) {
		set_text(resp, 500, "out of memory");
		return;
	}
	resp->status = 200;
	resp->content_type = content_type;
	resp->base64 = true;
	free(resp->body);
	resp->body = text;
	resp->body_len = strlen(text);
}

/* cacerts and csrattrs: DER from the model, sent base64 with type ct; an
 * empty answer is 204 (csrattrs: nothing in particular, RFC 7030 4.5.2). */
static void
handle_der(const struct est_http_request *req, const struct est_route *route,
           struct est_http_response *resp,
           edgeca_err (*get)(struct edgeca_ctx *ctx, const struct est_target *t,
                             unsigned char **der, size_t *len, struct edgeca_msg *msg),
           const char *ct)
{
	struct edgeca_msg msg = {0};
	unsigned char *der = NULL;
	size_t len = 0;
	edgeca_err rc = get(req->ctx, &route->target, &der, &len, &msg);

	if (rc != EDGECA_OK) {
		set_error(resp, rc, &msg);
	} else if (len == 0) {
		resp->status = 204;
		resp->content_type = NULL;
	} else {
		set_base64(resp, ct, der, len);
	}
	free(der);
}

/* The certificate chain the client presented: its TLS chain, or what a
 * trusted proxy forwarded (the proxy's own TLS certificate is not the
 * client's). forwarded_der is owned by the caller. */
static int
client_chain(const struct est_http_request *req, struct est_client *client,
             unsigned char **forwarded_der)
{
	size_t len = 0;

	*forwarded_der = NULL;
	if (!req->from_trusted_proxy) {
		*client = req->tls;
		return 0;
	}
	memset(client, 0, sizeof(*client));
	if (req->forwarded_cert == NULL || req->forwarded_cert[0] == '\0')
		return 0;
	if (est_forwarded_cert(req->forwarded_cert, forwarded_der, &len) != 0)
		return -1;
	client->chain[0] = *forwarded_der;
	client->chain_len[0] = len;
	client->chain_n = 1;
	return 0;
}

/* Where the request came from, and the channel binding of its TLS
 * connection: only a direct client's (a proxy's connection is not the
 * device's). addr and proxy are INET6_ADDRSTRLEN buffers client points
 * into. */
static void
client_origin(const struct est_http_request *req, struct est_client *client, char *addr,
              char *proxy)
{
	est_client_address(req->peer, req->from_trusted_proxy, req->forwarded_for, addr, proxy);
	client->address = addr;
	client->proxy = proxy[0] ? proxy : NULL;
	if (!req->from_trusted_proxy && req->binding_len > 0) {
		client->binding = req->binding;
		client->binding_len = req->binding_len;
		client->binding_type = req->binding_type;
	}
}

/* Enters the listener's signer gate, or answers 503 with Retry-After: at
 * once when the signer is stalled, after the wait when the gate stays
 * full. */
static bool
gate_admits(const struct est_http_request *req, struct est_http_response *resp)
{
	unsigned retry_after = 0, silent = 0;
	enum gate_verdict v;
	char text[128];

	if (req->gate == NULL)
		return true;
	v = gate_enter(req->gate, req->gate_wait_ms, &retry_after, &silent);
	if (v == GATE_ADMITTED)
		return true;
	gate_refusal_text(v, silent, text, sizeof(text));
	set_text(resp, 503, text);
	resp->retry_after = retry_after;
	return false;
}

static void
handle_enroll(const struct est_http_request *req, const struct est_route *route, bool reenroll,
              struct est_http_response *resp)
{
	struct edgeca_msg msg = {0};
	struct est_client client;
	struct certificate *cert = NULL;
	struct der_span leaf;
	unsigned char *csr = NULL, *forwarded = NULL, *p7 = NULL;
	char *user = NULL, *password = NULL, addr[INET6_ADDRSTRLEN], proxy[INET6_ADDRSTRLEN];
	size_t csr_len = 0, p7_len = 0;
	edgeca_err rc;

	if (req->body_too_large) {
		char text[96];
		snprintf(text, sizeof(text), "the request body exceeds %zu bytes", req->max_body);
		set_text(resp, 413, text);
		goto out;
	}
	if (req->content_type == NULL ||
	    strncasecmp(req->content_type, "application/pkcs10", 18) != 0 ||
	    (req->content_type[18] != '\0' && req->content_type[18] != ';' &&
	     req->content_type[18] != ' ')) {
		set_text(resp, 415, "the body must be a PKCS#10 request: Content-Type "
		                    "application/pkcs10");
		goto out;
	}
	/* Always base64 of DER, whatever Content-Transfer-Encoding says, with
	 * or without line breaks (RFC 8951). */
	if (req->body_len == 0 ||
	    base64_decode((const char *)req->body, req->body_len, true, &csr, &csr_len) != 0 ||
	    csr_len == 0) {
		set_text(resp, 400, "the body must be the base64 encoding of a DER PKCS#10 request "
		                    "(RFC 7030, RFC 8951)");
		goto out;
	}
	if (client_chain(req, &client, &forwarded) != 0) {
		set_text(resp, 400, "the client certificate forwarded by the proxy cannot be read");
		goto out;
	}
	client_origin(req, &client, addr, proxy);
	if (req->authorization != NULL) {
		int b = est_basic_parse(req->authorization, &user, &password);
		if (b < 0) {
			log_info("est_enroll: refused (est-basic-auth): client=%s%s%s ca=unknown: "
			         "malformed HTTP Basic credentials", addr,
			         proxy[0] ? " via-trusted-proxy=" : "", proxy);
			set_text(resp, 401, "the HTTP Basic credentials are malformed");
			goto out;
		}
		client.basic_user = user;
		client.basic_password = password;
	}
	if (!gate_admits(req, resp))
		goto out;
	rc = est_enroll(req->ctx, &route->target, reenroll, &client, csr, csr_len, &cert, &msg);
	if (req->gate != NULL)
		gate_leave(req->gate);
	if (rc != EDGECA_OK) {
		set_error(resp, rc, &msg);
		goto out;
	}
	/* Only the issued certificate: aziot takes element 0 as its leaf and
	 * gets the CA certificates from cacerts. */
	leaf = (struct der_span){cert->der, cert->der_len};
	if (pkcs7_certs_only_der(&leaf, 1, &p7, &p7_len) != 0) {
		set_text(resp, 500, "cannot encode the certificate");
		goto out;
	}
	set_base64(resp, CT_PKCS7_CERTS, p7, p7_len);
out:
	if (password != NULL)
		OPENSSL_cleanse(password, strlen(password));
	free(user);
	free(password);
	free(csr);
	free(forwarded);
	free(p7);
	cert_free(cert);
}

/* GET /openapi.yaml: this listener's description (openapi/est.yaml, built
 * in), for anyone: no client certificate or credentials are asked for. */
static void
handle_description(bool get, struct est_http_response *resp)
{
	const struct edgeca_embedded_file *f = edgeca_openapi;

	if (!get) {
		resp->allow = "GET, HEAD";
		set_text(resp, 405, "the EST description takes GET");
		return;
	}
	while (f->name != NULL && strcmp(f->name, "est.yaml") != 0)
		f++;
	if (f->name == NULL) {
		set_text(resp, 404, "this build carries no EST description");
		return;
	}
	resp->body = malloc(f->len);
	if (resp->body == NULL) {
		set_text(resp, 500, "out of memory");
		return;
	}
	memcpy(resp->body, f->data, f->len);
	resp->body_len = f->len;
	resp->status = 200;
	resp->content_type = CT_YAML;
}

void
est_handle(const struct est_http_request *req, struct est_http_response *resp)
{
	struct est_route route;
	bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
	bool post = strcmp(req->method, "POST") == 0;

	memset(resp, 0, sizeof(*resp));
	if (strcmp(req->path, DESCRIPTION_PATH) == 0) {
		handle_description(get, resp);
		return;
	}
	if (est_route_parse(req->path, &route) != 0) {
		set_text(resp, 404, "no such EST resource; EST URLs end in /.well-known/est/<operation>");
		return;
	}
	if (strcmp(route.op, "cacerts") == 0 || strcmp(route.op, "csrattrs") == 0) {
		if (!get) {
			resp->allow = "GET, HEAD";
			set_text(resp, 405, "this EST operation takes GET");
		} else if (strcmp(route.op, "cacerts") == 0) {
			handle_der(req, &route, resp, est_cacerts, CT_PKCS7);
		} else {
			handle_der(req, &route, resp, est_csrattrs, CT_CSRATTRS);
		}
		return;
	}
	if (strcmp(route.op, "simpleenroll") == 0 || strcmp(route.op, "simplereenroll") == 0) {
		if (!post) {
			resp->allow = "POST";
			set_text(resp, 405, "this EST operation takes POST");
		} else {
			handle_enroll(req, &route, strcmp(route.op, "simplereenroll") == 0, resp);
		}
		return;
	}
	set_text(resp, 404, strcmp(route.op, "serverkeygen") == 0
	                        ? "edgeca does not offer serverkeygen: device keys are made on the "
	                          "device and never leave it"
	                        : "unknown EST operation; edgeca offers cacerts, simpleenroll, "
	                          "simplereenroll and csrattrs");
}

void
est_http_response_free(struct est_http_response *resp)
{
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}
