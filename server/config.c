#include "server/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *
env_or(config_getenv_fn get, const char *name, const char *def)
{
	const char *v = get(name);

	return v != NULL && v[0] != '\0' ? v : def;
}

static edgeca_err
env_uint(config_getenv_fn get, const char *name, unsigned long def, unsigned long min,
         unsigned long max, unsigned long *out, struct edgeca_msg *msg)
{
	const char *v = get(name);
	char *end;
	unsigned long n;

	if (v == NULL || v[0] == '\0') {
		*out = def;
		return EDGECA_OK;
	}
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || !isdigit((unsigned char)v[0]) || n < min || n > max)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
		                   "%s must be a whole number from %lu to %lu (got \"%s\")", name, min,
		                   max, v);
	*out = n;
	return EDGECA_OK;
}

int
url_host_port(const char *url, char *host, size_t host_len, unsigned *port)
{
	const char *p, *end, *colon = NULL;
	size_t n;

	if (strncmp(url, "https://", 8) != 0)
		return -1;
	p = url + 8;
	if (*p == '[') {
		end = strchr(p, ']');
		if (end == NULL)
			return -1;
		n = (size_t)(end - p - 1);
		if (n == 0 || n >= host_len)
			return -1;
		memcpy(host, p + 1, n);
		host[n] = '\0';
		p = end + 1;
		if (*p == ':')
			colon = p;
		else if (*p != '\0' && *p != '/')
			return -1;
	} else {
		end = p + strcspn(p, ":/");
		n = (size_t)(end - p);
		if (n == 0 || n >= host_len)
			return -1;
		memcpy(host, p, n);
		host[n] = '\0';
		for (size_t i = 0; i < n; i++)
			if (!isalnum((unsigned char)host[i]) && host[i] != '-' && host[i] != '.' &&
			    host[i] != '_')
				return -1;
		if (*end == ':')
			colon = end;
	}
	*port = 443;
	if (colon != NULL) {
		char *stop;
		unsigned long v = strtoul(colon + 1, &stop, 10);
		if (stop == colon + 1 || v == 0 || v > 65535 || (*stop != '\0' && *stop != '/'))
			return -1;
		*port = (unsigned)v;
	}
	return 0;
}

int
url_host_port_any(const char *url, char *host, size_t host_len, unsigned *port)
{
	char *as_https;
	int rc;

	if (strncmp(url, "http://", 7) != 0)
		return url_host_port(url, host, host_len, port);
	if (asprintf(&as_https, "https://%s", url + 7) < 0)
		return -1;
	rc = url_host_port(as_https, host, host_len, port);
	if (rc == 0 && strchr(as_https + 8, ':') == NULL) /* no port named: http's */
		*port = 80;
	free(as_https);
	return rc;
}

static char *
absolute_path(const char *path)
{
	char cwd[PATH_MAX], *out;
	size_t need;

	if (path[0] == '/')
		return strdup(path);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	if (strncmp(path, "./", 2) == 0)
		path += 2;
	need = strlen(cwd) + strlen(path) + 2;
	out = malloc(need);
	if (out != NULL)
		snprintf(out, need, "%s/%s", cwd, path);
	return out;
}

/* a + b + c as a new string. */
static char *
concat3(const char *a, const char *b, const char *c)
{
	size_t need = strlen(a) + strlen(b) + strlen(c) + 1;
	char *out = malloc(need);

	if (out != NULL)
		snprintf(out, need, "%s%s%s", a, b, c);
	return out;
}

/* libpq conninfo for the private cluster; the path is quoted with \' and
 * \\ escaped, so any data directory name works. */
static char *
private_cluster_conninfo(const char *data_dir, const char *role)
{
	const char *tail = "/pg/run' dbname=edgeca user=";
	size_t need = strlen("host='") + 2 * strlen(data_dir) + strlen(tail) + strlen(role) + 1;
	size_t o = 0;
	char *out = malloc(need);

	if (out == NULL)
		return NULL;
	o += (size_t)snprintf(out, need, "host='");
	for (const char *p = data_dir; *p; p++) {
		if (*p == '\'' || *p == '\\')
			out[o++] = '\\';
		out[o++] = *p;
	}
	snprintf(out + o, need - o, "%s%s", tail, role);
	return out;
}

/* "a,b, c" -> parsed IP addresses. */
static edgeca_err
parse_proxies(const char *list, struct edgeca_config *c, struct edgeca_msg *msg)
{
	char *copy = strdup(list), *save = NULL, *tok;
	size_t n = 1;
	edgeca_err rc = EDGECA_OK;

	for (const char *p = list; *p; p++)
		n += *p == ',';
	c->est_trusted_proxies = calloc(n, sizeof(struct net_addr));
	if (copy == NULL || c->est_trusted_proxies == NULL) {
		free(copy);
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	}
	for (tok = strtok_r(copy, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save)) {
		struct net_addr *a = &c->est_trusted_proxies[c->n_est_trusted_proxies];
		if (inet_pton(AF_INET, tok, a->addr) == 1) {
			a->family = AF_INET;
		} else if (inet_pton(AF_INET6, tok, a->addr) == 1) {
			a->family = AF_INET6;
		} else {
			rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
			                 "EDGECA_EST_TRUSTED_PROXIES must list IP addresses separated "
			                 "by commas (\"%s\" is not one)", tok);
			break;
		}
		c->n_est_trusted_proxies++;
	}
	free(copy);
	return rc;
}

bool
config_is_trusted_proxy(const struct edgeca_config *c, const struct sockaddr *peer)
{
	return net_addr_list_has(c->est_trusted_proxies, c->n_est_trusted_proxies, peer);
}

/* What one EDGECA_* variable holds; an empty value counts as unset. */
enum env_kind {
	ENV_STRING,   /* char *, a copy of the value or of def (NULL: none) */
	ENV_PATH,     /* char *, the value or def made absolute */
	ENV_UNSIGNED, /* unsigned, a whole number from min to max, else def_num */
	ENV_SIZE,     /* size_t, likewise */
};

struct env_var {
	const char *name;
	enum env_kind kind;
	size_t offset; /* of the field in struct edgeca_config */
	const char *def;
	unsigned long def_num, min, max;
};

/* The field's offset, refused at compile time unless it has that type. */
#define FIELD(f, type) \
	(offsetof(struct edgeca_config, f) + _Generic(((struct edgeca_config *)0)->f, type: 0))
#define V_STRING(name, f, def) {name, ENV_STRING, FIELD(f, char *), def, 0, 0, 0}
#define V_PATH(name, f, def) {name, ENV_PATH, FIELD(f, char *), def, 0, 0, 0}
#define V_UNSIGNED(name, f, def, min, max) \
	{name, ENV_UNSIGNED, FIELD(f, unsigned), NULL, def, min, max}
#define V_PORT(name, f, def) V_UNSIGNED(name, f, def, 1, 65535)
#define V_SIZE(name, f, def, min, max) {name, ENV_SIZE, FIELD(f, size_t), NULL, def, min, max}

/* Every variable read as it is, in the order they are checked; a default
 * of 0 below a minimum of 1 or more is filled in by config_load from the
 * variable named beside it. The rest (log level, public URLs, trusted
 * proxies, SMTP TLS, the default location's syntax, and the checks
 * across variables) is code in config_load. */
static const struct env_var env_vars[] = {
	V_PATH("EDGECA_DATA_DIR", data_dir, "./var"),
	V_PORT("EDGECA_API_PORT", api_port, 8443),
	V_PORT("EDGECA_EST_PORT", est_port, 8444),
	V_UNSIGNED("EDGECA_PKI_HTTP_PORT", pki_http_port, 8080, 0, 65535), /* 0: off */
	V_UNSIGNED("EDGECA_HTTP_THREADS", http_threads, 16, 1, 1024),
	V_UNSIGNED("EDGECA_DB_POOL_SIZE", db_pool_size, 0, 1, 1024),         /* HTTP_THREADS */
	V_UNSIGNED("EDGECA_SIGNER_POOL_SIZE", signer_pool_size, 0, 1, 1024), /* HTTP_THREADS */
	V_UNSIGNED("EDGECA_SIGNER_TIMEOUT", signer_timeout_s, 10, 1, 600),
	/* 0: from each listener's threads, at run time */
	V_UNSIGNED("EDGECA_SIGNER_MAX_WAITING", signer_max_waiting, 0, 1, 1024),
	V_SIZE("EDGECA_MAX_BODY_BYTES", max_body_bytes, 65536, 1024, 16 * 1024 * 1024),
	V_UNSIGNED("EDGECA_MAX_CONNECTIONS", max_connections, 4096, 1, 1000000),
	V_UNSIGNED("EDGECA_CONNECTION_TIMEOUT", connection_timeout_s, 30, 1, 3600),
	V_UNSIGNED("EDGECA_REQUEST_TIMEOUT", request_timeout_s, 0, 2, 7200), /* CONNECTION_TIMEOUT */
	V_UNSIGNED("EDGECA_CRL_DELAY_MS", crl_delay_ms, 2000, 100, 600000),
	V_UNSIGNED("EDGECA_OCSP_CACHE_ENTRIES", ocsp_cache_entries, 100000, 16, 10000000),
	V_UNSIGNED("EDGECA_SESSION_TTL", session_ttl_s, 28800, 300, 604800),
	V_STRING("EDGECA_BIND_ADDRESS", bind_address, "0.0.0.0"),
	V_UNSIGNED("EDGECA_EST_THREADS", est_threads, 0, 1, 1024), /* HTTP_THREADS */
	V_STRING("EDGECA_EST_CLIENT_CERT_HEADER", est_client_cert_header, "X-SSL-Client-Cert"),
	V_UNSIGNED("EDGECA_SCHEDULER_INTERVAL", scheduler_interval_s, 60, 1, 86400),
	V_UNSIGNED("EDGECA_CLAIM_SECONDS", claim_seconds, 60, 1, 86400),
	V_UNSIGNED("EDGECA_WEBHOOK_RETRY_BASE_MS", webhook_retry_base_ms, 30000, 10, 86400000),
	V_PORT("EDGECA_SMTP_PORT", smtp_port, 25),
	V_STRING("EDGECA_SMTP_HOST", smtp_host, NULL),
	V_STRING("EDGECA_SMTP_CA_FILE", smtp_ca_file, NULL),
	V_STRING("EDGECA_SMTP_USER", smtp_user, NULL),
	V_STRING("EDGECA_SMTP_PASSWORD", smtp_password, NULL),
	V_STRING("EDGECA_SMTP_FROM", smtp_from, NULL),               /* edgeca@<public host> */
	V_STRING("EDGECA_SECRETS_KEY_FILE", secrets_key_file, NULL), /* <data dir>/secrets.key */
	V_STRING("EDGECA_DATABASE_URL", database_url, NULL),         /* the private cluster */
	V_STRING("EDGECA_DB_APP_ROLE", db_app_role, NULL),
	V_STRING("EDGECA_SIGNER_SOCKET", signer_socket, NULL), /* <data dir>/run/signer.sock */
	V_STRING("EDGECA_TLS_CERT", tls_cert_file, NULL),
	V_STRING("EDGECA_TLS_KEY", tls_key_file, NULL),
	V_UNSIGNED("EDGECA_TLS_RENEW_BEFORE_DAYS", tls_renew_before_days, 30, 1, 397),
	V_UNSIGNED("EDGECA_TLS_CHECK_INTERVAL", tls_check_interval_s, 3600, 1, 86400),
	V_STRING("EDGECA_DEFAULT_LOCATION", default_location, "default"),
	V_STRING("EDGECA_METRICS_LISTEN", metrics_listen, NULL),
};

/* The variables config_load reads in code rather than from env_vars. */
static const char *const coded_vars[] = {
	"EDGECA_LOG_LEVEL", "EDGECA_PUBLIC_URL", "EDGECA_PUBLIC_EST_URL",
	"EDGECA_EST_TRUSTED_PROXIES", "EDGECA_SMTP_TLS", "EDGECA_LOG_FORMAT", "EDGECA_ACCESS_LOG",
	"EDGECA_PUBLIC_PKI_URL", "EDGECA_CORS_ORIGINS",
};

bool
config_var_known(const char *name)
{
	for (size_t i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
		if (strcmp(env_vars[i].name, name) == 0)
			return true;
	for (size_t i = 0; i < sizeof(coded_vars) / sizeof(coded_vars[0]); i++)
		if (strcmp(coded_vars[i], name) == 0)
			return true;
	return false;
}

/* Reads v into its field of c. */
static edgeca_err
env_var_load(const struct env_var *v, config_getenv_fn get, struct edgeca_config *c,
             struct edgeca_msg *msg)
{
	void *field = (char *)c + v->offset;
	const char *s = env_or(get, v->name, v->def);
	unsigned long n = 0;
	edgeca_err rc = EDGECA_OK;

	switch (v->kind) {
	case ENV_STRING:
	case ENV_PATH:
		if (s == NULL)
			break;
		*(char **)field = v->kind == ENV_PATH ? absolute_path(s) : strdup(s);
		if (*(char **)field == NULL)
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		break;
	case ENV_UNSIGNED:
	case ENV_SIZE:
		rc = env_uint(get, v->name, v->def_num, v->min, v->max, &n, msg);
		if (rc == EDGECA_OK && v->kind == ENV_SIZE)
			*(size_t *)field = n;
		else if (rc == EDGECA_OK)
			*(unsigned *)field = (unsigned)n;
		break;
	}
	return rc;
}

/* EDGECA_METRICS_LISTEN: an IP address and a port, "127.0.0.1:9464" or
 * "[::1]:9464", into metrics_host and metrics_port. */
static edgeca_err
parse_metrics_listen(struct edgeca_config *c, struct edgeca_msg *msg)
{
	const char *v = c->metrics_listen, *colon = v ? strrchr(v, ':') : NULL;
	unsigned char bin[16];
	char *end = NULL;
	unsigned long port = 0;
	size_t host_len;
	bool bracketed;

	if (v == NULL)
		return EDGECA_OK;
	host_len = colon ? (size_t)(colon - v) : 0;
	bracketed = host_len > 2 && v[0] == '[' && v[host_len - 1] == ']';
	if (bracketed) {
		v++;
		host_len -= 2;
	}
	if (colon != NULL)
		port = strtoul(colon + 1, &end, 10);
	if (colon == NULL || host_len == 0 || end == colon + 1 || *end != '\0' || port == 0 ||
	    port > 65535 || (c->metrics_host = strndup(v, host_len)) == NULL ||
	    (bracketed ? inet_pton(AF_INET6, c->metrics_host, bin)
	               : inet_pton(AF_INET, c->metrics_host, bin)) != 1)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
		                   "EDGECA_METRICS_LISTEN must be an IP address and a port, such as "
		                   "127.0.0.1:9464 or [::1]:9464");
	c->metrics_port = (unsigned)port;
	return EDGECA_OK;
}

/* s with its trailing slashes removed, as a new string (NULL: out of memory). */
static char *
strdup_trimmed(const char *s)
{
	char *out = strdup(s);
	size_t n = out != NULL ? strlen(out) : 0;

	while (n > 0 && out[n - 1] == '/')
		out[--n] = '\0';
	return out;
}

/* EDGECA_PUBLIC_PKI_URL, the base of the CRL and issuer URLs in new
 * certificates: else http://<public host>:<PKI port>, or the public URL
 * when the plain-HTTP listener is off. */
static edgeca_err
load_public_pki_url(struct edgeca_config *c, config_getenv_fn get, struct edgeca_msg *msg)
{
	const char *s = env_or(get, "EDGECA_PUBLIC_PKI_URL", NULL);
	char host[256], *base = NULL;
	unsigned port;

	if (s != NULL) {
		c->public_pki_url = strdup_trimmed(s);
	} else if (c->pki_http_port == 0) {
		c->public_pki_url = strdup(c->public_url);
	} else if (asprintf(&base, strchr(c->public_host, ':') ? "http://[%s]:%u" : "http://%s:%u",
	                    c->public_host, c->pki_http_port) >= 0) {
		c->public_pki_url = base;
	}
	if (c->public_pki_url == NULL ||
	    url_host_port_any(c->public_pki_url, host, sizeof(host), &port) != 0)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
		                   "EDGECA_PUBLIC_PKI_URL must be an http or https URL such as "
		                   "http://pki.example.com (got \"%s\")", s ? s : "");
	return EDGECA_OK;
}

/* The public URLs: EDGECA_PUBLIC_URL, else https://localhost:<API port>;
 * EDGECA_PUBLIC_EST_URL, else the public host with the EST port. */
static edgeca_err
load_public_urls(struct edgeca_config *c, config_getenv_fn get, struct edgeca_msg *msg)
{
	char host[256], port_text[16];
	unsigned port;
	const char *s;

	snprintf(port_text, sizeof(port_text), "%u", c->api_port);
	s = env_or(get, "EDGECA_PUBLIC_URL", NULL);
	c->public_url_set = s != NULL;
	c->public_url = s != NULL ? strdup_trimmed(s) : concat3("https://localhost:", port_text, "");
	if (c->public_url == NULL || url_host_port(c->public_url, host, sizeof(host), &port) != 0)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
		                   "EDGECA_PUBLIC_URL must be an https URL such as "
		                   "https://ca.example.com:8443 (got \"%s\")", s ? s : "");
	if ((c->public_host = strdup(host)) == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	s = env_or(get, "EDGECA_PUBLIC_EST_URL", NULL);
	if (s != NULL) {
		c->public_est_url = strdup_trimmed(s);
	} else {
		snprintf(port_text, sizeof(port_text), ":%u", c->est_port);
		c->public_est_url = strchr(c->public_host, ':') != NULL
		                        ? concat3("https://[", c->public_host, "]")
		                        : concat3("https://", c->public_host, "");
		if (c->public_est_url != NULL) {
			char *with_port = concat3(c->public_est_url, port_text, "");
			free(c->public_est_url);
			c->public_est_url = with_port;
		}
	}
	if (c->public_est_url == NULL ||
	    url_host_port(c->public_est_url, host, sizeof(host), &port) != 0)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
		                   "EDGECA_PUBLIC_EST_URL must be an https URL such as "
		                   "https://est.example.com:8444 (got \"%s\")", s ? s : "");
	if ((c->public_est_host = strdup(host)) == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	return load_public_pki_url(c, get, msg);
}

/* Whether host names this machine: the only place plain SMTP may carry
 * a password to. */
static bool
loopback_host(const char *host)
{
	return strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
	       strcmp(host, "[::1]") == 0 || strncmp(host, "127.", 4) == 0;
}

/* E-mail: the SMTP protection and the defaults and checks around the
 * credentials. */
static edgeca_err
load_smtp(struct edgeca_config *c, config_getenv_fn get, struct edgeca_msg *msg)
{
	const char *tls = env_or(get, "EDGECA_SMTP_TLS", "none");

	if (strcmp(tls, "none") == 0)
		c->smtp_tls = SMTP_TLS_NONE;
	else if (strcmp(tls, "starttls") == 0)
		c->smtp_tls = SMTP_TLS_STARTTLS;
	else if (strcmp(tls, "tls") == 0)
		c->smtp_tls = SMTP_TLS_IMPLICIT;
	else
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
		                   "EDGECA_SMTP_TLS must be none, starttls or tls");
	if (c->secrets_key_file == NULL)
		c->secrets_key_file = concat3(c->data_dir, "/secrets.key", "");
	if (c->smtp_from == NULL)
		c->smtp_from = concat3("edgeca@", c->public_host, "");
	if (c->secrets_key_file == NULL || c->smtp_from == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	if ((c->smtp_user == NULL) != (c->smtp_password == NULL))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
		                   "EDGECA_SMTP_USER and EDGECA_SMTP_PASSWORD must be set together");
	if (c->smtp_user != NULL && c->smtp_tls == SMTP_TLS_NONE && c->smtp_host != NULL &&
	    !loopback_host(c->smtp_host))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
		                   "EDGECA_SMTP_PASSWORD would cross the network in clear: set "
		                   "EDGECA_SMTP_TLS to starttls or tls (plain SMTP with credentials "
		                   "is allowed only to a loopback host)");
	return EDGECA_OK;
}

/* 1-63 lower-case letters, digits or inner dashes. */
static bool
location_name_valid(const char *s)
{
	for (const char *p = s; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || (*p == '-' && p != s)) ||
		    p - s >= 63)
			return false;
	return true;
}

static const char *
getenv_default(const char *name)
{
	return getenv(name);
}

edgeca_err
config_load(struct edgeca_config *c, config_getenv_fn get, struct edgeca_msg *msg)
{
	edgeca_err rc = EDGECA_OK;
	const char *s;

	memset(c, 0, sizeof(*c));
	if (get == NULL)
		get = getenv_default;
	for (size_t i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]) && rc == EDGECA_OK; i++)
		rc = env_var_load(&env_vars[i], get, c, msg);
	if (rc != EDGECA_OK)
		goto fail;
	c->log_level = LOG_LEVEL_INFO;
	s = env_or(get, "EDGECA_LOG_LEVEL", "info");
	if (log_level_parse(s, &c->log_level) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
		                 "EDGECA_LOG_LEVEL must be error, warn, info or debug");
		goto fail;
	}
	s = env_or(get, "EDGECA_LOG_FORMAT", "text");
	if (log_format_parse(s, &c->log_format) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
		                 "EDGECA_LOG_FORMAT must be text or json");
		goto fail;
	}
	s = env_or(get, "EDGECA_ACCESS_LOG", "on");
	c->access_log = strcmp(s, "on") == 0;
	if (!c->access_log && strcmp(s, "off") != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
		                 "EDGECA_ACCESS_LOG must be on or off");
		goto fail;
	}
	if (c->est_port == c->api_port) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
		                 "EDGECA_EST_PORT and EDGECA_API_PORT must differ");
		goto fail;
	}
	if (c->pki_http_port == c->api_port || c->pki_http_port == c->est_port) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
		                 "EDGECA_PKI_HTTP_PORT must differ from EDGECA_API_PORT and "
		                 "EDGECA_EST_PORT (or be 0: no plain-HTTP listener)");
		goto fail;
	}
	if (c->db_pool_size == 0)
		c->db_pool_size = c->http_threads;
	if (c->signer_pool_size == 0)
		c->signer_pool_size = c->http_threads;
	if (c->est_threads == 0)
		c->est_threads = c->http_threads;
	/* From a connection's start or its last answer to its next request's
	 * end: more than the idle timeout, which it bounds from above. */
	if (c->request_timeout_s == 0)
		c->request_timeout_s = c->connection_timeout_s * 2 > 120 ? c->connection_timeout_s * 2
		                                                          : 120;
	if (c->request_timeout_s <= c->connection_timeout_s) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
		                 "EDGECA_REQUEST_TIMEOUT (%lu s) must exceed EDGECA_CONNECTION_TIMEOUT "
		                 "(%u s), the idle time it includes",
		                 (unsigned long)c->request_timeout_s, c->connection_timeout_s);
		goto fail;
	}
	if ((rc = load_public_urls(c, get, msg)) != EDGECA_OK ||
	    (rc = parse_metrics_listen(c, msg)) != EDGECA_OK)
		goto fail;
	s = get("EDGECA_EST_TRUSTED_PROXIES");
	if ((rc = parse_proxies(s ? s : "", c, msg)) != EDGECA_OK ||
	    (rc = load_smtp(c, get, msg)) != EDGECA_OK ||
	    (rc = cors_origins_parse(get("EDGECA_CORS_ORIGINS"), &c->cors_origins, msg)) !=
	        EDGECA_OK)
		goto fail;
	if (c->database_url == NULL)
		c->database_url = private_cluster_conninfo(c->data_dir, "edgeca");
	if (c->signer_socket == NULL)
		c->signer_socket = concat3(c->data_dir, "/run/signer.sock", "");
	if (c->database_url == NULL || c->signer_socket == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto fail;
	}
	if ((c->tls_cert_file == NULL) != (c->tls_key_file == NULL)) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
		                 "EDGECA_TLS_CERT and EDGECA_TLS_KEY must be set together");
		goto fail;
	}
	if (!location_name_valid(c->default_location)) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
		                 "EDGECA_DEFAULT_LOCATION must be 1-63 lower-case letters, "
		                 "digits or dashes");
		goto fail;
	}
	return EDGECA_OK;
fail:
	config_free(c);
	return rc;
}

void
config_free(struct edgeca_config *c)
{
	if (c == NULL)
		return;
	free(c->data_dir);
	free(c->bind_address);
	free(c->public_url);
	free(c->public_host);
	free(c->public_est_url);
	free(c->public_est_host);
	free(c->public_pki_url);
	free(c->est_trusted_proxies);
	free(c->est_client_cert_header);
	free(c->database_url);
	free(c->db_app_role);
	free(c->signer_socket);
	free(c->tls_cert_file);
	free(c->tls_key_file);
	free(c->default_location);
	free(c->secrets_key_file);
	free(c->smtp_host);
	free(c->smtp_user);
	free(c->smtp_password);
	free(c->smtp_ca_file);
	free(c->smtp_from);
	free(c->metrics_listen);
	free(c->metrics_host);
	cors_origins_free(c->cors_origins);
	memset(c, 0, sizeof(*c));
}
