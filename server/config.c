#include "server/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
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

/* The EST listener's settings; after the API's (public host, threads). */
static edgeca_err
load_est(struct edgeca_config *c, config_getenv_fn get, struct edgeca_msg *msg)
{
	char host[256], port_text[16];
	unsigned long v;
	unsigned port;
	const char *s;
	edgeca_err rc;

	if ((rc = env_uint(get, "EDGECA_EST_THREADS", c->http_threads, 1, 1024, &v, msg)) !=
	    EDGECA_OK)
		return rc;
	c->est_threads = (unsigned)v;
	s = get("EDGECA_PUBLIC_EST_URL");
	if (s != NULL && s[0] != '\0') {
		c->public_est_url = strdup(s);
		if (c->public_est_url != NULL) {
			size_t n = strlen(c->public_est_url);
			while (n > 0 && c->public_est_url[n - 1] == '/')
				c->public_est_url[--n] = '\0';
		}
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
	c->public_est_host = strdup(host);
	c->est_client_cert_header = strdup(env_or(get, "EDGECA_EST_CLIENT_CERT_HEADER",
	                                          "X-SSL-Client-Cert"));
	if (c->public_est_host == NULL || c->est_client_cert_header == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	s = get("EDGECA_EST_TRUSTED_PROXIES");
	return parse_proxies(s ? s : "", c, msg);
}

static char *
dup_env(config_getenv_fn get, const char *name)
{
	const char *v = get(name);

	return v != NULL && v[0] != '\0' ? strdup(v) : NULL;
}

/* Whether host names this machine: the only place plain SMTP may carry
 * a password to. */
static bool
loopback_host(const char *host)
{
	return strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
	       strcmp(host, "[::1]") == 0 || strncmp(host, "127.", 4) == 0;
}

static edgeca_err
load_lifecycle(struct edgeca_config *c, config_getenv_fn get, struct edgeca_msg *msg)
{
	const char *tls = env_or(get, "EDGECA_SMTP_TLS", "none");
	unsigned long v;
	edgeca_err rc;

	if ((rc = env_uint(get, "EDGECA_SCHEDULER_INTERVAL", 60, 1, 86400, &v, msg)) != EDGECA_OK)
		return rc;
	c->scheduler_interval_s = (unsigned)v;
	if ((rc = env_uint(get, "EDGECA_CLAIM_SECONDS", 60, 1, 86400, &v, msg)) != EDGECA_OK)
		return rc;
	c->claim_seconds = (unsigned)v;
	if ((rc = env_uint(get, "EDGECA_WEBHOOK_RETRY_BASE_MS", 30000, 10, 86400000, &v, msg)) !=
	    EDGECA_OK)
		return rc;
	c->webhook_retry_base_ms = (unsigned)v;
	if ((rc = env_uint(get, "EDGECA_SMTP_PORT", 25, 1, 65535, &v, msg)) != EDGECA_OK)
		return rc;
	c->smtp_port = (unsigned)v;
	if (strcmp(tls, "none") == 0)
		c->smtp_tls = SMTP_TLS_NONE;
	else if (strcmp(tls, "starttls") == 0)
		c->smtp_tls = SMTP_TLS_STARTTLS;
	else if (strcmp(tls, "tls") == 0)
		c->smtp_tls = SMTP_TLS_IMPLICIT;
	else
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
		                   "EDGECA_SMTP_TLS must be none, starttls or tls");
	c->smtp_host = dup_env(get, "EDGECA_SMTP_HOST");
	c->smtp_ca_file = dup_env(get, "EDGECA_SMTP_CA_FILE");
	c->smtp_user = dup_env(get, "EDGECA_SMTP_USER");
	c->smtp_password = dup_env(get, "EDGECA_SMTP_PASSWORD");
	c->smtp_from = dup_env(get, "EDGECA_SMTP_FROM");
	c->secrets_key_file = dup_env(get, "EDGECA_SECRETS_KEY_FILE");
	if (c->secrets_key_file == NULL && c->data_dir != NULL)
		c->secrets_key_file = concat3(c->data_dir, "/secrets.key", "");
	if (c->smtp_from == NULL && c->public_host != NULL)
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

static const char *
getenv_default(const char *name)
{
	return getenv(name);
}

edgeca_err
config_load(struct edgeca_config *c, config_getenv_fn get, struct edgeca_msg *msg)
{
	char host[256], port_text[16], *trimmed = NULL;
	unsigned long v;
	unsigned port;
	const char *s;
	edgeca_err rc;

	memset(c, 0, sizeof(*c));
	if (get == NULL)
		get = getenv_default;
	c->log_level = LOG_LEVEL_INFO;
	s = env_or(get, "EDGECA_LOG_LEVEL", "info");
	if (log_level_parse(s, &c->log_level) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
		                 "EDGECA_LOG_LEVEL must be error, warn, info or debug");
		goto fail;
	}
	c->data_dir = absolute_path(env_or(get, "EDGECA_DATA_DIR", "./var"));
	if ((rc = env_uint(get, "EDGECA_API_PORT", 8443, 1, 65535, &v, msg)) != EDGECA_OK)
		goto fail;
	c->api_port = (unsigned)v;
	if ((rc = env_uint(get, "EDGECA_EST_PORT", 8444, 1, 65535, &v, msg)) != EDGECA_OK)
		goto fail;
	c->est_port = (unsigned)v;
	if (c->est_port == c->api_port) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
		                 "EDGECA_EST_PORT and EDGECA_API_PORT must differ");
		goto fail;
	}
	if ((rc = env_uint(get, "EDGECA_HTTP_THREADS", 16, 1, 1024, &v, msg)) != EDGECA_OK)
		goto fail;
	c->http_threads = (unsigned)v;
	if ((rc = env_uint(get, "EDGECA_DB_POOL_SIZE", c->http_threads, 1, 1024, &v, msg)) != EDGECA_OK)
		goto fail;
	c->db_pool_size = (unsigned)v;
	if ((rc = env_uint(get, "EDGECA_SIGNER_POOL_SIZE", c->http_threads, 1, 1024, &v, msg)) !=
	    EDGECA_OK)
		goto fail;
	c->signer_pool_size = (unsigned)v;
	if ((rc = env_uint(get, "EDGECA_SIGNER_TIMEOUT", 10, 1, 600, &v, msg)) != EDGECA_OK)
		goto fail;
	c->signer_timeout_s = (unsigned)v;
	if ((rc = env_uint(get, "EDGECA_SIGNER_MAX_WAITING", 0, 1, 1024, &v, msg)) != EDGECA_OK)
		goto fail;
	c->signer_max_waiting = (unsigned)v;
	if ((rc = env_uint(get, "EDGECA_MAX_BODY_BYTES", 65536, 1024, 16 * 1024 * 1024, &v, msg)) !=
	    EDGECA_OK)
		goto fail;
	c->max_body_bytes = v;
	if ((rc = env_uint(get, "EDGECA_MAX_CONNECTIONS", 4096, 1, 1000000, &v, msg)) != EDGECA_OK)
		goto fail;
	c->max_connections = (unsigned)v;
	if ((rc = env_uint(get, "EDGECA_CONNECTION_TIMEOUT", 30, 1, 3600, &v, msg)) != EDGECA_OK)
		goto fail;
	c->connection_timeout_s = (unsigned)v;
	/* From a connection's start or its last answer to its next request's
	 * end: more than the idle timeout, which it bounds from above. */
	if ((rc = env_uint(get, "EDGECA_REQUEST_TIMEOUT",
	                   c->connection_timeout_s * 2 > 120 ? c->connection_timeout_s * 2 : 120, 2,
	                   7200, &v, msg)) != EDGECA_OK)
		goto fail;
	if (v <= c->connection_timeout_s) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
		                 "EDGECA_REQUEST_TIMEOUT (%lu s) must exceed EDGECA_CONNECTION_TIMEOUT "
		                 "(%u s), the idle time it includes", (unsigned long)v,
		                 c->connection_timeout_s);
		goto fail;
	}
	c->request_timeout_s = (unsigned)v;
	if ((rc = env_uint(get, "EDGECA_CRL_DELAY_MS", 2000, 100, 600000, &v, msg)) != EDGECA_OK)
		goto fail;
	c->crl_delay_ms = (unsigned)v;
	c->bind_address = strdup(env_or(get, "EDGECA_BIND_ADDRESS", "0.0.0.0"));

	snprintf(port_text, sizeof(port_text), "%u", c->api_port);
	s = get("EDGECA_PUBLIC_URL");
	if (s != NULL && s[0] != '\0') {
		trimmed = strdup(s);
		if (trimmed != NULL) {
			size_t n = strlen(trimmed);
			while (n > 0 && trimmed[n - 1] == '/')
				trimmed[--n] = '\0';
		}
		c->public_url = trimmed;
		c->public_url_set = true;
		trimmed = NULL;
	} else {
		c->public_url = concat3("https://localhost:", port_text, "");
	}
	if (c->public_url == NULL || url_host_port(c->public_url, host, sizeof(host), &port) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
		                 "EDGECA_PUBLIC_URL must be an https URL such as "
		                 "https://ca.example.com:8443 (got \"%s\")", s ? s : "");
		goto fail;
	}
	c->public_host = strdup(host);
	if (c->public_host == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto fail;
	}
	if ((rc = load_est(c, get, msg)) != EDGECA_OK ||
	    (rc = load_lifecycle(c, get, msg)) != EDGECA_OK)
		goto fail;

	s = get("EDGECA_DATABASE_URL");
	if (s != NULL && s[0] != '\0')
		c->database_url = strdup(s);
	else if (c->data_dir != NULL)
		c->database_url = private_cluster_conninfo(c->data_dir, "edgeca");
	s = get("EDGECA_DB_APP_ROLE");
	if (s != NULL && s[0] != '\0')
		c->db_app_role = strdup(s);
	s = get("EDGECA_SIGNER_SOCKET");
	if (s != NULL && s[0] != '\0')
		c->signer_socket = strdup(s);
	else if (c->data_dir != NULL)
		c->signer_socket = concat3(c->data_dir, "/run/signer.sock", "");

	s = get("EDGECA_TLS_CERT");
	if (s != NULL && s[0] != '\0')
		c->tls_cert_file = strdup(s);
	s = get("EDGECA_TLS_KEY");
	if (s != NULL && s[0] != '\0')
		c->tls_key_file = strdup(s);
	if ((c->tls_cert_file == NULL) != (c->tls_key_file == NULL)) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
		                 "EDGECA_TLS_CERT and EDGECA_TLS_KEY must be set together");
		goto fail;
	}
	if ((rc = env_uint(get, "EDGECA_TLS_RENEW_BEFORE_DAYS", 30, 1, 397, &v, msg)) != EDGECA_OK)
		goto fail;
	c->tls_renew_before_days = (unsigned)v;
	if ((rc = env_uint(get, "EDGECA_TLS_CHECK_INTERVAL", 3600, 1, 86400, &v, msg)) != EDGECA_OK)
		goto fail;
	c->tls_check_interval_s = (unsigned)v;
	s = env_or(get, "EDGECA_DEFAULT_LOCATION", "default");
	for (const char *p = s; *p; p++) {
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || (*p == '-' && p != s)) ||
		    p - s >= 63) {
			rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
			                 "EDGECA_DEFAULT_LOCATION must be 1-63 lower-case letters, "
			                 "digits or dashes");
			goto fail;
		}
	}
	c->default_location = strdup(s);
	if (c->data_dir == NULL || c->bind_address == NULL || c->public_host == NULL ||
	    c->database_url == NULL || c->signer_socket == NULL || c->default_location == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto fail;
	}
	return EDGECA_OK;
fail:
	free(trimmed);
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
	memset(c, 0, sizeof(*c));
}
