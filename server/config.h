/* Server configuration from EDGECA_* environment variables, with the
 * defaults documented in docs/configuration.md. Loaded once at start; read-only after. */
#ifndef EDGECA_SERVER_CONFIG_H
#define EDGECA_SERVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "api/listen/cors.h"
#include "common/error.h"
#include "common/log.h"
#include "common/netaddr.h"

/* How the SMTP connection is protected (EDGECA_SMTP_TLS). */
enum smtp_tls {
	SMTP_TLS_NONE,     /* plain SMTP */
	SMTP_TLS_STARTTLS, /* plain connection upgraded with STARTTLS, required */
	SMTP_TLS_IMPLICIT, /* TLS from the start (smtps) */
};

struct edgeca_config {
	char *data_dir;          /* absolute */
	unsigned api_port;
	unsigned est_port;
	char *bind_address;
	char *public_url;        /* without a trailing slash */
	bool public_url_set;     /* given by EDGECA_PUBLIC_URL (else derived: warned about) */
	char *public_host;       /* host part of public_url (no brackets) */
	char *public_est_url;    /* base of EST URLs, without a trailing slash */
	char *public_est_host;   /* host part of public_est_url */
	unsigned pki_http_port;  /* plain-HTTP listener of CRLs and CA certificates; 0: off */
	char *public_pki_url;    /* base of the URLs in certificates, http or https, no trailing slash */
	unsigned est_threads;
	/* EST behind a reverse proxy: peers at these addresses may forward the
	 * client certificate in est_client_cert_header */
	struct net_addr *est_trusted_proxies;
	size_t n_est_trusted_proxies;
	char *est_client_cert_header;
	char *database_url;      /* libpq conninfo or URI */
	char *db_app_role;       /* role `migrate` grants the server's rights to, or NULL */
	char *signer_socket;
	char *tls_cert_file;     /* NULL: the service CA issues one */
	char *tls_key_file;
	unsigned tls_renew_before_days; /* a listener certificate nearer its end is renewed */
	unsigned tls_check_interval_s;  /* how often the running server looks at it */
	char *default_location;
	unsigned http_threads;
	unsigned db_pool_size;
	unsigned signer_pool_size;
	unsigned signer_timeout_s;   /* deadline of a signer call (key generation: 60 s at least) */
	unsigned signer_max_waiting; /* signer-bound requests at once per listener; 0: from its threads */
	size_t max_body_bytes;
	unsigned max_connections;
	unsigned connection_timeout_s;
	unsigned request_timeout_s; /* a connection's time for its next request */
	/* CRLs: a revocation's new CRL waits this long for the rest of a
	 * burst; the scheduler looks for due CRLs twice as often */
	unsigned crl_delay_ms;
	unsigned ocsp_cache_entries; /* nonce-less OCSP answers kept (docs/ocsp.md) */
	unsigned session_ttl_s;      /* a portal session's lifetime (docs/security.md) */
	/* lifecycle notifications (docs/lifecycle.md) */
	char *secrets_key_file;       /* AES key sealing webhook secrets */
	unsigned scheduler_interval_s;
	unsigned claim_seconds;       /* how long a delivery stays claimed */
	unsigned webhook_retry_base_ms;
	char *smtp_host;              /* NULL: e-mail not configured */
	unsigned smtp_port;
	enum smtp_tls smtp_tls;
	char *smtp_ca_file;           /* PEM CAs for the SMTP server; NULL: the system's */
	char *smtp_user;
	char *smtp_password;
	char *smtp_from;
	enum log_level log_level;
	/* EDGECA_METRICS_LISTEN, host:port or [v6]:port; NULL: no metrics */
	char *metrics_listen;
	char *metrics_host;
	unsigned metrics_port;
	enum log_format log_format; /* EDGECA_LOG_FORMAT */
	bool access_log;            /* EDGECA_ACCESS_LOG: one line per request */
	struct cors_origins *cors_origins; /* EDGECA_CORS_ORIGINS; NULL: no CORS */
};

typedef const char *(*config_getenv_fn)(const char *name);

/* Fills c from the environment (getenv_fn, or getenv when NULL). On
 * failure the message names the variable and what it must look like. */
edgeca_err config_load(struct edgeca_config *c, config_getenv_fn getenv_fn,
                       struct edgeca_msg *msg);
void config_free(struct edgeca_config *c);

/* True when config_load reads the variable name. */
bool config_var_known(const char *name);

/* True when the peer address (IPv4, IPv6 or IPv4-mapped IPv6) is one of
 * EDGECA_EST_TRUSTED_PROXIES. */
bool config_is_trusted_proxy(const struct edgeca_config *c, const struct sockaddr *peer);

/* Splits an http or https URL into its host and port (80 or 443 when
 * absent), as url_host_port. Returns 0 or -1. */
int url_host_port_any(const char *url, char *host, size_t host_len, unsigned *port);

/* Splits an https URL into its host (brackets of IPv6 removed) and port;
 * port is 443 when absent. Returns 0 or -1. */
int url_host_port(const char *url, char *host, size_t host_len, unsigned *port);

#endif
