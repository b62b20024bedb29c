/* Integration test harness: starts a real edgeca-signer and edgeca-server
 * (binaries of this build) on free ports with a throw-away data directory
 * and a fresh database in the test PostgreSQL cluster (fixture "pg"). */
#ifndef EDGECA_TEST_HARNESS_H
#define EDGECA_TEST_HARNESS_H

#include <stdbool.h>
#include <sys/types.h>

struct instance {
	char data_dir[128];
	char db_name[64];
	char database_url[512];       /* the server's role */
	char admin_database_url[512]; /* the schema's owner */
	char signer_socket[200];
	char ca_file[200];       /* the service CA: trust for TLS */
	char base_url[64];
	unsigned api_port;
	unsigned est_port;
	unsigned pki_port; /* the plain-HTTP PKI listener (EDGECA_PKI_HTTP_PORT) */
	pid_t signer_pid;
	pid_t server_pid;
	char admin_token[128];
	const char *extra_env[16]; /* "NAME=value", NULL-terminated */
	const char *signer_args[9]; /* more arguments of the signer, NULL-terminated */
	/* The servers part of the connection strings ("host=... port=...",
	 * set before instance_start); empty: the test cluster (fixture "pg"). */
	char pg_server[400];
	/* The signer's --kek-file; empty: its default, <data dir>/signer/kek. */
	char kek_file[200];
};

/* Creates the database and data directory, starts the signer and the
 * server and waits until /readyz answers 200. Fails the test otherwise. */
void instance_start(struct instance *in);
/* Its first half: the database (empty) and the data directory, no
 * process, no schema (instance_destroy removes them). */
void instance_create(struct instance *in);
/* Stops the server (SIGTERM) and checks it exits 0 (also under ASan). */
void instance_stop_server(struct instance *in);
void instance_start_server(struct instance *in);
void instance_stop_signer(struct instance *in);
void instance_start_signer(struct instance *in);
/* Stops both processes, drops the database and removes the data dir. */
void instance_destroy(struct instance *in);

/* A second server on first's database and signer (its own data
 * directory, TLS files and ports): several instances of one service. */
void instance_start_peer(struct instance *peer, const struct instance *first);
void instance_destroy_peer(struct instance *peer);

/* A second pair, server and signer, on first's database, as on a second
 * machine: its own data directory, ports, TLS files and signer (own state
 * directory and socket), with copies of first's KEK (owned by the signer's
 * user, 0600) and secrets key, the only files the pairs share. Destroying
 * it stops both and removes its data directory, not the database. */
void instance_start_pair(struct instance *second, const struct instance *first);
void instance_destroy_pair(struct instance *second);

/* Runs SQL as the schema's owner in the instance's database; returns the
 * first value of the first row (malloc'ed), or NULL when there is none or
 * it is NULL. Fails the test when the statement fails. */
char *instance_sql(const struct instance *in, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Runs edgeca-server with args (e.g. "token", "create", ...) in the
 * instance's environment; returns its exit status, stdout in out. */
int instance_cli(struct instance *in, const char *const *args, char *out, size_t out_len);
/* The same as the schema's owner (EDGECA_DATABASE_URL of the admin role). */
int instance_cli_admin(struct instance *in, const char *const *args, char *out, size_t out_len);
/* Creates a token with role and name through the CLI. */
void instance_token(struct instance *in, const char *role, const char *name, char *token,
                    size_t len);

/* A path to a corpus file (EDGECA_TEST_CORPUS/name). */
const char *corpus_path(const char *name);
/* Reads a whole file (malloc'ed, NUL-terminated); fails the test if absent. */
char *read_file(const char *path, size_t *len);
/* vasprintf that fails the test instead of returning an error. */
void xasprintf(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
unsigned free_port(void);
/* http://localhost:<the instance's PKI port><path>, into url. */
void instance_pki_url(const struct instance *in, const char *path, char *url, size_t len);
/* Monotonic seconds, for measuring how long something took; and a sleep. */
double now_s(void);
void sleep_ms(long ms);
bool running_as_root(void);

#endif
