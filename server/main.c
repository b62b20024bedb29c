/* edgeca-server: the REST API process.
 *   edgeca-server [serve]        run the API (applies migrations first)
 *   edgeca-server migrate        apply database migrations and exit
 *   edgeca-server token create --role ROLE --name NAME [--email ADDR] [--ca ID]...
 *                              [--output FILE]
 *   edgeca-server check-config [FILE]   report every bad line of a configuration file
 *   edgeca-server --version
 *   edgeca-server token list|delete, ca list, backup, restore   (server/admin.h)
 * Configuration comes from EDGECA_* environment variables (docs/configuration.md) and
 * the file EDGECA_CONFIG names (docs/install.md); the environment wins. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "api/est/est_server.h"
#include "api/listen/listen_identity.h"
#include "api/listen/request.h"
#include "api/pki/pki_server.h"
#include "api/rest/server.h"
#include "common/embedded.h"
#include "common/log.h"
#include "common/x509_cache.h"
#include "server/config.h"
#include "server/config_file.h"
#include "server/context.h"
#include "server/metrics.h"
#include "model/store/migrate.h"
#include "server/ocsp_listen.h"
#include "server/scheduler.h"
#include "common/secretbox.h"
#include "server/service_tls.h"
#include "model/auth/token.h"
#include "edgeca_version.h"
#include "server/admin.h"

#define SIGNER_WAIT_SECONDS 30

static void
usage(void)
{
	fprintf(stderr, "usage: edgeca-server [serve]\n"
	                "       edgeca-server migrate\n"
	                "       edgeca-server check-config [FILE]\n"
	                "       edgeca-server --version\n"
	                "       edgeca-server token create --role ROLE --name NAME "
	                "[--email ADDR] [--ca ID]... [--output FILE]\n"
	                "ROLE is pki_admin, requester or auditor; each --ca limits the token to "
	                "that CA (none: every CA).\n"
	                "       edgeca-server token list|delete, ca list, backup, restore: "
	                "docs/backup.md\nConfiguration: EDGECA_* environment "
	                "variables, and the file EDGECA_CONFIG names.\n");
}

/* grant: give EDGECA_DB_APP_ROLE its rights (the migrate command, run as
 * the schema's owner); the server itself only checks the schema. */
static int
run_migrations(const struct edgeca_config *cfg, bool grant)
{
	struct edgeca_msg msg = {0};
	PGconn *c = NULL;
	int applied = 0;

	if (db_connect(cfg->database_url, &c, &msg) != EDGECA_OK ||
	    migrate_run(c, edgeca_migrations, grant ? cfg->db_app_role : NULL, &applied, &msg) !=
	        EDGECA_OK) {
		log_error("migrate: %s", msg.detail);
		PQfinish(c);
		return -1;
	}
	log_info("migrate: schema up to date (%d migration(s) applied now)", applied);
	PQfinish(c);
	return 0;
}

static int
cmd_token_create(const struct edgeca_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{"role", required_argument, NULL, 'r'},
		{"name", required_argument, NULL, 'n'},
		{"output", required_argument, NULL, 'o'},
		{"email", required_argument, NULL, 'e'},
		{"ca", required_argument, NULL, 'c'},
		{NULL, 0, NULL, 0},
	};
	const char *role = NULL, *name = NULL, *output = NULL, *email = NULL;
	/* --ca given more often than a token may list is refused by the model */
	const char *cas[TOKEN_CA_IDS_MAX + 1];
	size_t n_cas = 0;
	struct principal cli = {.role = ROLE_PKI_ADMIN, .actor = "cli"};
	struct edgeca_msg msg = {0};
	struct edgeca_ctx ctx;
	struct token_info t;
	char secret[TOKEN_SECRET_MAX];
	int opt, rc = 1, fd = -1;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'r': role = optarg; break;
		case 'n': name = optarg; break;
		case 'o': output = optarg; break;
		case 'e': email = optarg; break;
		case 'c':
			if (n_cas < TOKEN_CA_IDS_MAX + 1)
				cas[n_cas++] = optarg;
			break;
		default: usage(); return 2;
		}
	}
	if (role == NULL || name == NULL || optind != argc) {
		usage();
		return 2;
	}
	if (run_migrations(cfg, false) != 0)
		return 1;
	if (output != NULL) {
		/* Created before the token exists, so it is never left world-readable. */
		fd = open(output, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			log_error("token create: cannot create %s: %s", output, strerror(errno));
			return 1;
		}
	}
	if (ctx_open(&ctx, cfg, &msg) != EDGECA_OK) {
		log_error("token create: %s", msg.detail);
		goto out;
	}
	if (token_create(&ctx, &cli, name, role_parse(role), email, n_cas ? cas : NULL, n_cas, 0, &t,
	                 secret, &msg) != EDGECA_OK) {
		log_error("token create: %s", msg.detail);
		ctx_close(&ctx);
		goto out;
	}
	ctx_close(&ctx);
	if (fd >= 0) {
		size_t len = strlen(secret);
		if (write(fd, secret, len) != (ssize_t)len || write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
			log_error("token create: cannot write %s", output);
			goto out;
		}
		fprintf(stderr, "token %s (%s) written to %s\n", t.name, role_name(t.role), output);
	} else {
		printf("%s\n", secret);
	}
	rc = 0;
out:
	memset(secret, 0, sizeof(secret));
	if (fd >= 0) {
		close(fd);
		if (rc != 0)
			unlink(output);
	}
	return rc;
}

static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* The listener certificate again: one due for renewal (or replaced in
 * its files) is presented from the next handshake on, without a restart. */
static void
refresh_listener(struct edgeca_ctx *ctx, const struct edgeca_config *cfg)
{
	struct tls_material fresh = {0};
	struct edgeca_msg msg = {0};
	bool changed = false;

	if (service_tls_prepare(ctx, cfg, &fresh, &msg) != EDGECA_OK ||
	    listen_identity_set(&fresh, &changed, &msg) != EDGECA_OK)
		log_warn("serve: the listener certificate cannot be refreshed: %s", msg.detail);
	else if (changed)
		log_info("serve: the listeners present a new certificate from now on");
	tls_material_free(&fresh);
}

/* The two listeners' settings, from the configuration. */
static void
listen_settings_of(const struct edgeca_config *cfg, struct listen_settings *api,
                   struct listen_settings *est)
{
	*api = (struct listen_settings){
		.bind_address = cfg->bind_address,
		.port = cfg->api_port,
		.threads = cfg->http_threads,
		.max_connections = cfg->max_connections,
		.connection_timeout_s = cfg->connection_timeout_s,
		.max_body_bytes = cfg->max_body_bytes,
		.signer_max_waiting = cfg->signer_max_waiting,
		.signer_timeout_s = cfg->signer_timeout_s,
		.public_url = cfg->public_url,
		.cors_origins = cfg->cors_origins,
	};
	*est = *api;
	est->port = cfg->est_port;
	est->threads = cfg->est_threads;
	est->trusted_proxies = cfg->est_trusted_proxies;
	est->n_trusted_proxies = cfg->n_est_trusted_proxies;
	est->client_cert_header = cfg->est_client_cert_header;
	est->public_url = cfg->public_est_url;
	est->cors_origins = NULL;
}

/* Keys of the signer's file store (earlier versions) move to sealed
 * records in the database, each stored before the next; nothing to do
 * once done. */
static int
migrate_signer_keys(struct edgeca_ctx *ctx)
{
	struct edgeca_msg msg = {0};
	unsigned moved = 0;

	if (signer_migrate_keys(ctx->signer, &moved, &msg) != EDGECA_OK) {
		log_error("serve: moving the signer's keys into the database failed: %s", msg.detail);
		return -1;
	}
	if (moved > 0)
		log_info("serve: %u signer key(s) moved from the signer's files to sealed records in "
		         "the database, with their policies and certificates", moved);
	return 0;
}

static int
cmd_serve(const struct edgeca_config *cfg)
{
	struct listen_settings api_ls, est_ls, pki_ls;
	struct pki_server *pki = NULL;
	struct edgeca_msg msg = {0};
	struct edgeca_ctx ctx;
	struct tls_material tls = {0};
	struct api_server *server = NULL;
	struct est_server *est = NULL;
	struct deadline_watch *deadline = NULL;
	struct scheduler *scheduler = NULL;
	struct ocsp_listen *ocsp_listen = NULL;
	struct metrics_server *metrics = NULL;
	sigset_t set;
	int sig = 0, rc = 1;

	raise_fd_limit();
	listen_settings_of(cfg, &api_ls, &est_ls);
	pki_ls = api_ls; /* the plain-HTTP PKI listener: the API's limits, its own port */
	pki_ls.port = cfg->pki_http_port;
	pki_ls.public_url = cfg->public_pki_url;
	signal(SIGPIPE, SIG_IGN);
	/* before any thread: libcurl's global state (notifications) */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("serve: cannot initialise libcurl");
		return 1;
	}
	/* Every thread inherits this mask; only sigwait below sees the signals. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (run_migrations(cfg, false) != 0)
		return 1;
	if (ctx_open(&ctx, cfg, &msg) != EDGECA_OK) {
		log_error("serve: %s", msg.detail);
		return 1;
	}
	if (secretbox_load_key(cfg->secrets_key_file, ctx.secrets_key, &msg) != EDGECA_OK) {
		log_error("serve: %s", msg.detail);
		goto out;
	}
	ctx.has_secrets_key = true;
	for (int i = 0; signer_ping(ctx.signer, &msg) != EDGECA_OK; i++) {
		struct timespec one_second = {1, 0};
		if (i == SIGNER_WAIT_SECONDS) {
			log_error("serve: the signer at %s does not answer: %s", cfg->signer_socket,
			          msg.detail);
			goto out;
		}
		/* wait, but stop at once when asked to */
		if (sigtimedwait(&set, NULL, &one_second) > 0) {
			log_info("serve: stopped while waiting for the signer");
			rc = 0;
			goto out;
		}
	}
	if (migrate_signer_keys(&ctx) != 0)
		goto out;
	if (service_tls_prepare(&ctx, cfg, &tls, &msg) != EDGECA_OK) {
		log_error("serve: TLS set-up: %s", msg.detail);
		goto out;
	}
	if (listen_identity_set(&tls, NULL, &msg) != EDGECA_OK ||
	    deadline_watch_start(cfg->request_timeout_s, &deadline, &msg) != EDGECA_OK ||
	    metrics_server_start(&ctx, cfg, &metrics, &msg) != EDGECA_OK ||
	    api_server_start(&ctx, &api_ls, &tls, deadline, &server, &msg) != EDGECA_OK ||
	    est_server_start(&ctx, &est_ls, &tls, deadline, &est, &msg) != EDGECA_OK ||
	    pki_server_start(&ctx, &pki_ls, deadline, &pki, &msg) != EDGECA_OK ||
	    scheduler_start(&ctx, cfg, &scheduler, &msg) != EDGECA_OK ||
	    ocsp_listen_start(&ctx, cfg, &ocsp_listen, &msg) != EDGECA_OK) {
		log_error("serve: %s", msg.detail);
		goto out;
	}
	log_info("serve: ready; public URL %s", cfg->public_url);
	if (!cfg->public_url_set)
		log_warn("serve: EDGECA_PUBLIC_URL is not set: certificates carry CRL and issuer URLs "
		         "on %s, which only this machine reaches; set it (or EDGECA_PUBLIC_PKI_URL) "
		         "to the address relying parties use", cfg->public_pki_url);
	for (;;) {
		struct timespec every = {(time_t)cfg->tls_check_interval_s, 0};
		if ((sig = sigtimedwait(&set, NULL, &every)) > 0)
			break;
		if (errno == EAGAIN)
			refresh_listener(&ctx, cfg);
	}
	log_info("serve: signal %d, stopping", sig);
	rc = 0;
out:
	ocsp_listen_stop(ocsp_listen);
	scheduler_stop(scheduler);
	est_server_stop(est);
	pki_server_stop(pki);
	api_server_stop(server);
	metrics_server_stop(metrics);
	deadline_watch_stop(deadline);
	listen_identity_clear();
	x509_cache_clear();
	tls_material_free(&tls);
	OPENSSL_cleanse(ctx.secrets_key, sizeof(ctx.secrets_key));
	ctx_close(&ctx);
	curl_global_cleanup();
	return rc;
}

int
main(int argc, char **argv)
{
	struct edgeca_config cfg;
	struct edgeca_msg msg = {0};
	const char *cmd = argc > 1 ? argv[1] : "serve";
	int rc;

	if (argc == 2 && strcmp(cmd, "--version") == 0) {
		printf("edgeca-server %s (commit %s)\n", EDGECA_VERSION, EDGECA_COMMIT);
		return 0;
	}
	if (strcmp(cmd, "check-config") == 0)
		return config_check_command(argc, argv);
	if (config_file_apply_env(&msg) != EDGECA_OK || config_load(&cfg, NULL, &msg) != EDGECA_OK) {
		fprintf(stderr, "edgeca-server: configuration: %s\n", msg.detail);
		return 2;
	}
	log_init("edgeca-server", cfg.log_level);
	log_set_format(cfg.log_format);
	listen_request_access_log(cfg.access_log);
	if (strcmp(cmd, "serve") == 0 && argc <= 2)
		rc = cmd_serve(&cfg);
	else if (strcmp(cmd, "migrate") == 0 && argc == 2)
		rc = run_migrations(&cfg, true) == 0 ? 0 : 1;
	else if (strcmp(cmd, "token") == 0 && argc > 2 && strcmp(argv[2], "create") == 0)
		rc = cmd_token_create(&cfg, argc - 2, argv + 2);
	else if (admin_handles(argc, argv))
		rc = admin_run(&cfg, argc, argv);
	else {
		usage();
		rc = 2;
	}
	config_free(&cfg);
	return rc;
}
