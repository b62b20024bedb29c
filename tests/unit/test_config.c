/* Unit tests of model/config: defaults, every refused EDGECA_* value and
 * public URL handling, through an injected getenv; and url_host_port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>

#include "server/config.h"

/* The environment the injected getenv sees: up to 8 NAME=value pairs. */
static const char *env[16][2];

static const char *
fake_getenv(const char *name)
{
	for (int i = 0; i < 16 && env[i][0] != NULL; i++)
		if (strcmp(env[i][0], name) == 0)
			return env[i][1];
	return NULL;
}

static void
env_set(const char *name, const char *value)
{
	int i = 0;

	while (env[i][0] != NULL && strcmp(env[i][0], name) != 0)
		i++;
	assert_true(i < 15);
	env[i][0] = name;
	env[i][1] = value;
}

static int
env_clear(void **state)
{
	memset(env, 0, sizeof(env));
	return 0;
}

static edgeca_err
load(struct edgeca_config *c, struct edgeca_msg *msg)
{
	edgeca_msg_clear(msg);
	return config_load(c, fake_getenv, msg);
}

/* The detail of the last refusal seen by refused(). */
static char msg_of_last_load[512];

/* Loading must fail naming var; nothing is left allocated. */
static void
refused(const char *var)
{
	struct edgeca_config c;
	struct edgeca_msg msg;

	if (load(&c, &msg) != EDGECA_ERR_INVALID)
		fail_msg("config_load accepted %s", var);
	assert_string_equal(msg.type, "invalid-configuration");
	assert_non_null(strstr(msg.detail, var));
	assert_null(c.data_dir);
	assert_null(c.public_url);
	snprintf(msg_of_last_load, sizeof(msg_of_last_load), "%s", msg.detail);
}

static void
test_defaults(void **state)
{
	struct edgeca_config c;
	struct edgeca_msg msg;
	char cwd[PATH_MAX], want[PATH_MAX + 64];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(load(&c, &msg), EDGECA_OK);
	snprintf(want, sizeof(want), "%s/var", cwd);
	assert_string_equal(c.data_dir, want);
	assert_int_equal(c.data_dir[0], '/');
	assert_int_equal(c.api_port, 8443);
	assert_int_equal(c.est_port, 8444);
	assert_string_equal(c.bind_address, "0.0.0.0");
	assert_string_equal(c.public_url, "https://localhost:8443");
	assert_string_equal(c.public_host, "localhost");
	snprintf(want, sizeof(want), "%s/pg/run", c.data_dir);
	assert_non_null(strstr(c.database_url, want));
	snprintf(want, sizeof(want), "%s/run/signer.sock", c.data_dir);
	assert_string_equal(c.signer_socket, want);
	assert_null(c.tls_cert_file);
	assert_null(c.tls_key_file);
	assert_string_equal(c.default_location, "default");
	assert_int_equal(c.http_threads, 16);
	assert_int_equal(c.db_pool_size, c.http_threads);
	assert_int_equal(c.signer_pool_size, c.http_threads);
	assert_int_equal(c.log_level, LOG_LEVEL_INFO);
	assert_string_equal(c.public_est_url, "https://localhost:8444");
	assert_string_equal(c.public_est_host, "localhost");
	assert_int_equal(c.est_threads, c.http_threads);
	assert_string_equal(c.est_client_cert_header, "X-SSL-Client-Cert");
	assert_int_equal(c.n_est_trusted_proxies, 0);
	assert_int_equal(c.session_ttl_s, 28800);
	config_free(&c);
	config_free(&c); /* zeroed: a second call is harmless */
}

static struct sockaddr *
v4(struct sockaddr_in *sa, const char *ip)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, ip, &sa->sin_addr), 1);
	return (struct sockaddr *)sa;
}

static struct sockaddr *
v6(struct sockaddr_in6 *sa, const char *ip)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, ip, &sa->sin6_addr), 1);
	return (struct sockaddr *)sa;
}

/* The EST URL follows the public host and the EST port unless given; the
 * trusted proxies match IPv4, IPv6 and IPv4-mapped peers exactly. */
static void
test_est(void **state)
{
	struct edgeca_config c;
	struct edgeca_msg msg;
	struct sockaddr_in a4;
	struct sockaddr_in6 a6;

	env_set("EDGECA_PUBLIC_URL", "https://[2001:db8::7]:9443");
	env_set("EDGECA_EST_PORT", "9444");
	env_set("EDGECA_EST_TRUSTED_PROXIES", "10.0.0.5, 2001:db8::1,192.0.2.9");
	assert_int_equal(load(&c, &msg), EDGECA_OK);
	assert_string_equal(c.public_est_url, "https://[2001:db8::7]:9444");
	assert_string_equal(c.public_est_host, "2001:db8::7");
	assert_int_equal(c.n_est_trusted_proxies, 3);
	assert_true(config_is_trusted_proxy(&c, v4(&a4, "10.0.0.5")));
	assert_true(config_is_trusted_proxy(&c, v4(&a4, "192.0.2.9")));
	assert_false(config_is_trusted_proxy(&c, v4(&a4, "10.0.0.6")));
	assert_true(config_is_trusted_proxy(&c, v6(&a6, "::ffff:10.0.0.5")));
	assert_true(config_is_trusted_proxy(&c, v6(&a6, "2001:db8::1")));
	assert_false(config_is_trusted_proxy(&c, v6(&a6, "2001:db8::2")));
	assert_false(config_is_trusted_proxy(&c, v6(&a6, "::ffff:10.0.0.6")));
	assert_false(config_is_trusted_proxy(&c, NULL));
	config_free(&c);

	env_set("EDGECA_PUBLIC_EST_URL", "https://est.example.com/");
	env_set("EDGECA_EST_CLIENT_CERT_HEADER", "X-Client-Cert");
	env_set("EDGECA_EST_THREADS", "3");
	assert_int_equal(load(&c, &msg), EDGECA_OK);
	assert_string_equal(c.public_est_url, "https://est.example.com");
	assert_string_equal(c.public_est_host, "est.example.com");
	assert_string_equal(c.est_client_cert_header, "X-Client-Cert");
	assert_int_equal(c.est_threads, 3);
	config_free(&c);

	env_set("EDGECA_PUBLIC_EST_URL", "http://est.example.com");
	refused("EDGECA_PUBLIC_EST_URL");
	env_set("EDGECA_PUBLIC_EST_URL", "https://est.example.com");
	env_set("EDGECA_EST_TRUSTED_PROXIES", "10.0.0.0/8");
	refused("EDGECA_EST_TRUSTED_PROXIES");
	env_set("EDGECA_EST_TRUSTED_PROXIES", "proxy.example.com");
	refused("EDGECA_EST_TRUSTED_PROXIES");
	env_set("EDGECA_EST_TRUSTED_PROXIES", "");
	env_set("EDGECA_EST_THREADS", "0");
	refused("EDGECA_EST_THREADS");
}

static void
test_values_taken(void **state)
{
	struct edgeca_config c;
	struct edgeca_msg msg;

	env_set("EDGECA_DATA_DIR", "/srv/edgeca");
	env_set("EDGECA_API_PORT", "9443");
	env_set("EDGECA_EST_PORT", "1");
	env_set("EDGECA_HTTP_THREADS", "4");
	env_set("EDGECA_LOG_LEVEL", "debug");
	env_set("EDGECA_DATABASE_URL", "postgresql:///edgeca");
	assert_int_equal(load(&c, &msg), EDGECA_OK);
	assert_string_equal(c.data_dir, "/srv/edgeca");
	assert_string_equal(c.signer_socket, "/srv/edgeca/run/signer.sock");
	assert_string_equal(c.database_url, "postgresql:///edgeca");
	assert_int_equal(c.api_port, 9443);
	assert_int_equal(c.est_port, 1);
	/* The default public URL follows the API port. */
	assert_string_equal(c.public_url, "https://localhost:9443");
	assert_int_equal(c.db_pool_size, 4);
	assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
	config_free(&c);
	env_clear(NULL);
	env_set("EDGECA_API_PORT", "65535");
	env_set("EDGECA_DATA_DIR", "./relative/dir");
	assert_int_equal(load(&c, &msg), EDGECA_OK);
	assert_int_equal(c.api_port, 65535);
	assert_int_equal(c.data_dir[0], '/');
	assert_null(strstr(c.data_dir, "./"));
	assert_non_null(strstr(c.data_dir, "/relative/dir"));
	config_free(&c);
}

static void
test_bad_ports(void **state)
{
	static const char *const bad[] = {"0", "70000", "65536", "abc", "-1", "8443x", " 8443",
	                                  "+8443", "0x20", "99999999999999999999999"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		env_clear(NULL);
		env_set("EDGECA_API_PORT", bad[i]);
		refused("EDGECA_API_PORT");
		env_clear(NULL);
		env_set("EDGECA_EST_PORT", bad[i]);
		refused("EDGECA_EST_PORT");
	}
	env_clear(NULL);
	env_set("EDGECA_EST_PORT", "8443");
	refused("EDGECA_EST_PORT");
	env_clear(NULL);
	env_set("EDGECA_API_PORT", "8444"); /* the default EST port */
	refused("EDGECA_EST_PORT");
}

static void
public_url(const char *value, const char *want_url, const char *want_host)
{
	struct edgeca_config c;
	struct edgeca_msg msg;

	env_clear(NULL);
	env_set("EDGECA_PUBLIC_URL", value);
	if (want_url == NULL) {
		refused("EDGECA_PUBLIC_URL");
		return;
	}
	if (load(&c, &msg) != EDGECA_OK)
		fail_msg("EDGECA_PUBLIC_URL=%s refused: %s", value, msg.detail);
	assert_string_equal(c.public_url, want_url);
	assert_string_equal(c.public_host, want_host);
	config_free(&c);
}

static void
test_public_url(void **state)
{
	public_url("https://ca.example.com", "https://ca.example.com", "ca.example.com");
	public_url("https://ca.example.com/", "https://ca.example.com", "ca.example.com");
	public_url("https://ca.example.com:8443//", "https://ca.example.com:8443", "ca.example.com");
	public_url("https://ca.example.com:8443/edgeca/", "https://ca.example.com:8443/edgeca",
	           "ca.example.com");
	public_url("https://[::1]:9000", "https://[::1]:9000", "::1");
	public_url("https://10.1.2.3", "https://10.1.2.3", "10.1.2.3");
	public_url("http://ca.example.com", NULL, NULL);
	public_url("ca.example.com", NULL, NULL);
	public_url("https://", NULL, NULL);
	public_url("https:///path", NULL, NULL);
	public_url("https://user@ca.example.com", NULL, NULL);
	public_url("https://ca.example.com:0", NULL, NULL);
	public_url("https://ca.example.com:65536", NULL, NULL);
	public_url("https://ca.example.com:port", NULL, NULL);
	public_url("https://[::1", NULL, NULL);
}

/* EDGECA_PUBLIC_PKI_URL with EDGECA_PKI_HTTP_PORT (NULL: unset); want NULL: refused. */
static void
pki_url(const char *port, const char *value, const char *want)
{
	struct edgeca_config c;
	struct edgeca_msg msg;

	env_clear(NULL);
	env_set("EDGECA_PUBLIC_URL", "https://ca.example.com:8443");
	if (port != NULL)
		env_set("EDGECA_PKI_HTTP_PORT", port);
	if (value != NULL)
		env_set("EDGECA_PUBLIC_PKI_URL", value);
	if (want == NULL) {
		refused(value != NULL ? "EDGECA_PUBLIC_PKI_URL" : "EDGECA_PKI_HTTP_PORT");
		return;
	}
	if (load(&c, &msg) != EDGECA_OK)
		fail_msg("EDGECA_PUBLIC_PKI_URL=%s refused: %s", value ? value : "", msg.detail);
	assert_string_equal(c.public_pki_url, want);
	config_free(&c);
}

/* The plain-HTTP listener's port and the base of the URLs certificates
 * carry: derived from the public host, the public URL when the listener
 * is off, http or https when given. */
static void
test_public_pki_url(void **state)
{
	struct edgeca_config c;
	struct edgeca_msg msg;

	assert_int_equal(load(&c, &msg), EDGECA_OK);
	assert_int_equal(c.pki_http_port, 8080);
	assert_string_equal(c.public_pki_url, "http://localhost:8080");
	config_free(&c);
	pki_url(NULL, NULL, "http://ca.example.com:8080");
	pki_url("80", NULL, "http://ca.example.com:80");
	pki_url("0", NULL, "https://ca.example.com:8443");
	pki_url("0", "http://pki.example.com/", "http://pki.example.com");
	pki_url(NULL, "http://pki.example.com:8080/edgeca", "http://pki.example.com:8080/edgeca");
	pki_url(NULL, "https://cdn.example.com", "https://cdn.example.com");
	pki_url(NULL, "http://[2001:db8::1]", "http://[2001:db8::1]");
	pki_url(NULL, "ftp://pki.example.com", NULL);
	pki_url(NULL, "pki.example.com", NULL);
	pki_url(NULL, "http://", NULL);
	pki_url(NULL, "http://pki.example.com:0", NULL);
	pki_url("8443", NULL, NULL); /* the API's port */
	pki_url("8444", NULL, NULL); /* the EST port's */
	pki_url("65536", NULL, NULL);
	env_clear(NULL);
	env_set("EDGECA_PUBLIC_URL", "https://[::1]:9000");
	assert_int_equal(load(&c, &msg), EDGECA_OK);
	assert_string_equal(c.public_pki_url, "http://[::1]:8080");
	config_free(&c);
}

static void
test_other_refusals(void **state)
{
	struct edgeca_config c;
	struct edgeca_msg msg;
	char loc[80];

	env_set("EDGECA_TLS_CERT", "/etc/edgeca/tls.crt");
	refused("EDGECA_TLS_KEY");
	env_clear(NULL);
	env_set("EDGECA_TLS_KEY", "/etc/edgeca/tls.key");
	refused("EDGECA_TLS_CERT");
	env_set("EDGECA_TLS_CERT", "/etc/edgeca/tls.crt");
	assert_int_equal(load(&c, &msg), EDGECA_OK);
	assert_string_equal(c.tls_cert_file, "/etc/edgeca/tls.crt");
	assert_string_equal(c.tls_key_file, "/etc/edgeca/tls.key");
	assert_int_equal(c.tls_renew_before_days, 30);
	assert_int_equal(c.tls_check_interval_s, 3600);
	config_free(&c);
	env_set("EDGECA_TLS_RENEW_BEFORE_DAYS", "60");
	env_set("EDGECA_TLS_CHECK_INTERVAL", "300");
	assert_int_equal(load(&c, &msg), EDGECA_OK);
	assert_int_equal(c.tls_renew_before_days, 60);
	assert_int_equal(c.tls_check_interval_s, 300);
	config_free(&c);
	env_set("EDGECA_TLS_RENEW_BEFORE_DAYS", "398");
	refused("EDGECA_TLS_RENEW_BEFORE_DAYS");
	env_set("EDGECA_TLS_RENEW_BEFORE_DAYS", "30");
	env_set("EDGECA_TLS_CHECK_INTERVAL", "0");
	refused("EDGECA_TLS_CHECK_INTERVAL");
	env_clear(NULL);
	env_set("EDGECA_LOG_LEVEL", "verbose");
	refused("EDGECA_LOG_LEVEL");
	static const char *const bad_loc[] = {"Default", "-lead", "under_score", "sp ace", "é"};
	for (size_t i = 0; i < sizeof(bad_loc) / sizeof(bad_loc[0]); i++) {
		env_clear(NULL);
		env_set("EDGECA_DEFAULT_LOCATION", bad_loc[i]);
		refused("EDGECA_DEFAULT_LOCATION");
	}
	memset(loc, 'a', 63);
	loc[63] = '\0';
	env_set("EDGECA_DEFAULT_LOCATION", loc);
	assert_int_equal(load(&c, &msg), EDGECA_OK);
	assert_string_equal(c.default_location, loc);
	config_free(&c);
	strcat(loc, "a");
	refused("EDGECA_DEFAULT_LOCATION");
	env_clear(NULL);
	env_set("EDGECA_MAX_BODY_BYTES", "1023");
	refused("EDGECA_MAX_BODY_BYTES");
}

/* The lifecycle variables: defaults, values taken, refusals. */
static void
test_lifecycle(void **state)
{
	struct edgeca_config c;
	struct edgeca_msg msg;

	env_set("EDGECA_DATA_DIR", "/srv/edgeca");
	assert_int_equal(load(&c, &msg), EDGECA_OK);
	assert_int_equal(c.scheduler_interval_s, 60);
	assert_int_equal(c.claim_seconds, 60);
	assert_int_equal(c.webhook_retry_base_ms, 30000);
	assert_string_equal(c.secrets_key_file, "/srv/edgeca/secrets.key");
	assert_null(c.smtp_host);
	assert_int_equal(c.smtp_port, 25);
	assert_int_equal(c.smtp_tls, SMTP_TLS_NONE);
	assert_null(c.smtp_ca_file);
	assert_string_equal(c.smtp_from, "edgeca@localhost");
	config_free(&c);
	env_set("EDGECA_SMTP_HOST", "mail.example.test");
	env_set("EDGECA_SMTP_PORT", "465");
	env_set("EDGECA_SMTP_TLS", "tls");
	env_set("EDGECA_SMTP_CA_FILE", "/etc/edgeca/mail-ca.pem");
	env_set("EDGECA_SMTP_USER", "edgeca");
	env_set("EDGECA_SMTP_PASSWORD", "s3cret");
	env_set("EDGECA_SMTP_FROM", "pki@example.test");
	env_set("EDGECA_SECRETS_KEY_FILE", "/etc/edgeca/secrets.key");
	env_set("EDGECA_SCHEDULER_INTERVAL", "5");
	assert_int_equal(load(&c, &msg), EDGECA_OK);
	assert_string_equal(c.smtp_host, "mail.example.test");
	assert_int_equal(c.smtp_port, 465);
	assert_int_equal(c.smtp_tls, SMTP_TLS_IMPLICIT);
	assert_string_equal(c.smtp_ca_file, "/etc/edgeca/mail-ca.pem");
	assert_string_equal(c.smtp_user, "edgeca");
	assert_string_equal(c.smtp_from, "pki@example.test");
	assert_string_equal(c.secrets_key_file, "/etc/edgeca/secrets.key");
	assert_int_equal(c.scheduler_interval_s, 5);
	config_free(&c);
	env_clear(NULL);
	env_set("EDGECA_SMTP_TLS", "starttls");
	assert_int_equal(load(&c, &msg), EDGECA_OK);
	assert_int_equal(c.smtp_tls, SMTP_TLS_STARTTLS);
	config_free(&c);
	env_set("EDGECA_SMTP_TLS", "ssl");
	refused("EDGECA_SMTP_TLS");
	/* a password never crosses the network in clear */
	env_clear(NULL);
	env_set("EDGECA_SMTP_HOST", "mail.example.test");
	env_set("EDGECA_SMTP_USER", "edgeca");
	env_set("EDGECA_SMTP_PASSWORD", "s3cret");
	refused("EDGECA_SMTP_TLS");
	env_set("EDGECA_SMTP_HOST", "127.0.0.1");
	assert_int_equal(load(&c, &msg), EDGECA_OK);
	config_free(&c);
	env_clear(NULL);
	env_set("EDGECA_SMTP_USER", "edgeca");
	refused("EDGECA_SMTP_PASSWORD");
	env_clear(NULL);
	env_set("EDGECA_SCHEDULER_INTERVAL", "0");
	refused("EDGECA_SCHEDULER_INTERVAL");
	env_clear(NULL);
	env_set("EDGECA_CLAIM_SECONDS", "x");
	refused("EDGECA_CLAIM_SECONDS");
}

static void
host_port(const char *url, int want_rc, const char *want_host, unsigned want_port)
{
	char host[64] = "";
	unsigned port = 0;

	if (url_host_port(url, host, sizeof(host), &port) != want_rc)
		fail_msg("url_host_port(%s) did not return %d", url, want_rc);
	if (want_rc == 0) {
		assert_string_equal(host, want_host);
		assert_int_equal(port, want_port);
	}
}

static void
test_url_host_port(void **state)
{
	char small[4];
	unsigned port;

	host_port("https://ca.example.com", 0, "ca.example.com", 443);
	host_port("https://ca.example.com:8443", 0, "ca.example.com", 8443);
	host_port("https://ca.example.com:1/x", 0, "ca.example.com", 1);
	host_port("https://ca.example.com/a:b", 0, "ca.example.com", 443);
	host_port("https://[2001:db8::1]", 0, "2001:db8::1", 443);
	host_port("https://[::1]:9000/p", 0, "::1", 9000);
	host_port("http://ca.example.com", -1, NULL, 0);
	host_port("https://[]:9000", -1, NULL, 0);
	host_port("https://[::1]9000", -1, NULL, 0);
	host_port("https://h:", -1, NULL, 0);
	host_port("https://h:/", -1, NULL, 0);
	host_port("https://h:65536", -1, NULL, 0);
	host_port("https://h:80x", -1, NULL, 0);
	host_port("https://h?q", -1, NULL, 0);
	assert_int_equal(url_host_port("https://abcd", small, sizeof(small), &port), -1);
	assert_int_equal(url_host_port("https://abc", small, sizeof(small), &port), 0);
	assert_string_equal(small, "abc");
}

/* Any data directory name gives a connection string libpq reads back to
 * the same socket directory: quotes and backslashes are escaped. */
static void
test_private_cluster_conninfo_quoting(void **state)
{
	const char *dirs[] = {"/srv/edgeca data", "/srv/it's", "/srv/back\\slash", NULL};

	for (int i = 0; dirs[i] != NULL; i++) {
		struct edgeca_config c;
		struct edgeca_msg msg;
		PQconninfoOption *opts;
		char want[256];
		const char *host = NULL;

		env_set("EDGECA_DATA_DIR", dirs[i]);
		assert_int_equal(load(&c, &msg), EDGECA_OK);
		opts = PQconninfoParse(c.database_url, NULL);
		assert_non_null(opts);
		for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
			if (strcmp(o->keyword, "host") == 0)
				host = o->val;
		snprintf(want, sizeof(want), "%s/pg/run", dirs[i]);
		assert_non_null(host);
		assert_string_equal(host, want);
		PQconninfoFree(opts);
		config_free(&c);
	}
}

/* The signer's deadline and the signer gates: defaults, values, bounds. */
static void
test_signer_limits(void **state)
{
	struct edgeca_config c;
	struct edgeca_msg msg;

	assert_int_equal(load(&c, &msg), EDGECA_OK);
	assert_int_equal(c.signer_timeout_s, 10);
	assert_int_equal(c.signer_max_waiting, 0); /* from each listener's threads */
	config_free(&c);
	env_set("EDGECA_SIGNER_TIMEOUT", "3");
	env_set("EDGECA_SIGNER_MAX_WAITING", "6");
	assert_int_equal(load(&c, &msg), EDGECA_OK);
	assert_int_equal(c.signer_timeout_s, 3);
	assert_int_equal(c.signer_max_waiting, 6);
	config_free(&c);
	env_set("EDGECA_SIGNER_TIMEOUT", "0");
	refused("EDGECA_SIGNER_TIMEOUT");
	env_set("EDGECA_SIGNER_TIMEOUT", "601");
	refused("EDGECA_SIGNER_TIMEOUT");
	env_set("EDGECA_SIGNER_TIMEOUT", "10");
	env_set("EDGECA_SIGNER_MAX_WAITING", "0");
	refused("EDGECA_SIGNER_MAX_WAITING");
}

#define NUMBER(var, lo, hi, f)                                                      \
	{.name = var, .min = lo, .max = hi, .offset = offsetof(struct edgeca_config, f), \
	 .is_size = sizeof(((struct edgeca_config *)0)->f) == sizeof(size_t)}

/* Every whole-number variable: its bounds are taken, a value past either
 * bound or not a number is refused with the message naming the variable,
 * its range and the value. */
static void
test_each_number(void **state)
{
	static const struct {
		const char *name;
		unsigned long min, max;
		size_t offset;
		bool is_size;
		const char *with, *with_value; /* a companion setting the bounds need */
	} vars[] = {
		NUMBER("EDGECA_API_PORT", 1, 65535, api_port),
		NUMBER("EDGECA_EST_PORT", 1, 65535, est_port),
		NUMBER("EDGECA_HTTP_THREADS", 1, 1024, http_threads),
		NUMBER("EDGECA_DB_POOL_SIZE", 1, 1024, db_pool_size),
		NUMBER("EDGECA_SIGNER_POOL_SIZE", 1, 1024, signer_pool_size),
		NUMBER("EDGECA_SIGNER_TIMEOUT", 1, 600, signer_timeout_s),
		NUMBER("EDGECA_SIGNER_MAX_WAITING", 1, 1024, signer_max_waiting),
		NUMBER("EDGECA_MAX_BODY_BYTES", 1024, 16777216, max_body_bytes),
		NUMBER("EDGECA_MAX_CONNECTIONS", 1, 1000000, max_connections),
		NUMBER("EDGECA_CONNECTION_TIMEOUT", 1, 3600, connection_timeout_s),
		{.name = "EDGECA_REQUEST_TIMEOUT", .min = 2, .max = 7200,
		 .offset = offsetof(struct edgeca_config, request_timeout_s),
		 .with = "EDGECA_CONNECTION_TIMEOUT", .with_value = "1"},
		NUMBER("EDGECA_CRL_DELAY_MS", 100, 600000, crl_delay_ms),
		NUMBER("EDGECA_SESSION_TTL", 300, 604800, session_ttl_s),
		NUMBER("EDGECA_EST_THREADS", 1, 1024, est_threads),
		NUMBER("EDGECA_SCHEDULER_INTERVAL", 1, 86400, scheduler_interval_s),
		NUMBER("EDGECA_CLAIM_SECONDS", 1, 86400, claim_seconds),
		NUMBER("EDGECA_WEBHOOK_RETRY_BASE_MS", 10, 86400000, webhook_retry_base_ms),
		NUMBER("EDGECA_SMTP_PORT", 1, 65535, smtp_port),
		NUMBER("EDGECA_TLS_RENEW_BEFORE_DAYS", 1, 397, tls_renew_before_days),
		NUMBER("EDGECA_TLS_CHECK_INTERVAL", 1, 86400, tls_check_interval_s),
	};
	struct edgeca_config c;
	struct edgeca_msg msg;

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		unsigned long bounds[2] = {vars[i].min, vars[i].max};
		char text[4][32], want[256];

		for (int b = 0; b < 2; b++) {
			unsigned long got;
			env_clear(NULL);
			if (vars[i].with != NULL)
				env_set(vars[i].with, vars[i].with_value);
			snprintf(text[b], sizeof(text[b]), "%lu", bounds[b]);
			env_set(vars[i].name, text[b]);
			if (load(&c, &msg) != EDGECA_OK)
				fail_msg("%s=%s refused: %s", vars[i].name, text[b], msg.detail);
			got = vars[i].is_size ? *(size_t *)((char *)&c + vars[i].offset)
			                      : *(unsigned *)((char *)&c + vars[i].offset);
			assert_int_equal(got, bounds[b]);
			config_free(&c);
		}
		snprintf(text[0], sizeof(text[0]), "%lu", vars[i].min - 1);
		snprintf(text[1], sizeof(text[1]), "%lu", vars[i].max + 1);
		snprintf(text[2], sizeof(text[2]), "many");
		snprintf(text[3], sizeof(text[3]), "%lu ", vars[i].min);
		for (int k = 0; k < 4; k++) {
			env_clear(NULL);
			env_set(vars[i].name, text[k]);
			refused(vars[i].name);
			snprintf(want, sizeof(want),
			         "%s must be a whole number from %lu to %lu (got \"%s\")", vars[i].name,
			         vars[i].min, vars[i].max, text[k]);
			assert_string_equal(msg_of_last_load, want);
		}
	}
}

/* The request timeout follows the idle timeout unless given, and must
 * exceed it when given. */
static void
test_request_timeout(void **state)
{
	struct edgeca_config c;
	struct edgeca_msg msg;

	assert_int_equal(load(&c, &msg), EDGECA_OK);
	assert_int_equal(c.request_timeout_s, 120);
	config_free(&c);
	env_set("EDGECA_CONNECTION_TIMEOUT", "100");
	assert_int_equal(load(&c, &msg), EDGECA_OK);
	assert_int_equal(c.request_timeout_s, 200);
	config_free(&c);
	env_set("EDGECA_REQUEST_TIMEOUT", "100");
	refused("EDGECA_REQUEST_TIMEOUT");
	assert_string_equal(msg_of_last_load,
	                    "EDGECA_REQUEST_TIMEOUT (100 s) must exceed EDGECA_CONNECTION_TIMEOUT "
	                    "(100 s), the idle time it includes");
	env_set("EDGECA_REQUEST_TIMEOUT", "101");
	assert_int_equal(load(&c, &msg), EDGECA_OK);
	assert_int_equal(c.request_timeout_s, 101);
	config_free(&c);
}

/* EDGECA_METRICS_LISTEN: off when unset; an IP address and a port. */
static void
test_metrics_listen(void **state)
{
	static const char *const bad[] = {"9464", ":9464", "127.0.0.1", "127.0.0.1:",
	                                  "127.0.0.1:0", "127.0.0.1:65536", "localhost:9464",
	                                  "::1:9464", "[::1]", "127.0.0.1:94x", NULL};
	struct edgeca_config c;
	struct edgeca_msg msg;

	assert_int_equal(load(&c, &msg), EDGECA_OK);
	assert_null(c.metrics_host);
	config_free(&c);
	env_set("EDGECA_METRICS_LISTEN", "127.0.0.1:9464");
	assert_int_equal(load(&c, &msg), EDGECA_OK);
	assert_string_equal(c.metrics_host, "127.0.0.1");
	assert_int_equal(c.metrics_port, 9464);
	config_free(&c);
	env_set("EDGECA_METRICS_LISTEN", "[::1]:9100");
	assert_int_equal(load(&c, &msg), EDGECA_OK);
	assert_string_equal(c.metrics_host, "::1");
	assert_int_equal(c.metrics_port, 9100);
	config_free(&c);
	for (int i = 0; bad[i] != NULL; i++) {
		env_set("EDGECA_METRICS_LISTEN", bad[i]);
		refused("EDGECA_METRICS_LISTEN");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_private_cluster_conninfo_quoting, env_clear),
		cmocka_unit_test_setup(test_defaults, env_clear),
		cmocka_unit_test_setup(test_values_taken, env_clear),
		cmocka_unit_test_setup(test_bad_ports, env_clear),
		cmocka_unit_test_setup(test_public_url, env_clear),
		cmocka_unit_test_setup(test_public_pki_url, env_clear),
		cmocka_unit_test_setup(test_other_refusals, env_clear),
		cmocka_unit_test_setup(test_est, env_clear),
		cmocka_unit_test_setup(test_lifecycle, env_clear),
		cmocka_unit_test_setup(test_signer_limits, env_clear),
		cmocka_unit_test_setup(test_each_number, env_clear),
		cmocka_unit_test_setup(test_request_timeout, env_clear),
		cmocka_unit_test_setup(test_metrics_listen, env_clear),
		cmocka_unit_test(test_url_host_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
