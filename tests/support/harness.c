#include "tests/support/harness.h"

#include <errno.h>
#include <pwd.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/support/http.h"

static const char *
env_required(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || v[0] == '\0')
		fail_msg("%s is not set: run the integration tests through ctest", name);
	return v;
}

bool
running_as_root(void)
{
	return geteuid() == 0;
}

unsigned
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	unsigned port;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* Free API, EST and PKI ports for in, all different, and none of
 * other's (NULL: no other instance to avoid). */
static void
pick_ports(struct instance *in, const struct instance *other)
{
	unsigned taken[3] = {0, 0, 0};

	if (other != NULL) {
		taken[0] = other->api_port;
		taken[1] = other->est_port;
		taken[2] = other->pki_port;
	}
	do
		in->api_port = free_port();
	while (in->api_port == taken[0] || in->api_port == taken[1] || in->api_port == taken[2]);
	do
		in->est_port = free_port();
	while (in->est_port == in->api_port || in->est_port == taken[0] ||
	       in->est_port == taken[1] || in->est_port == taken[2]);
	do
		in->pki_port = free_port();
	while (in->pki_port == in->api_port || in->pki_port == in->est_port ||
	       in->pki_port == taken[0] || in->pki_port == taken[1] || in->pki_port == taken[2]);
}

void
instance_pki_url(const struct instance *in, const char *path, char *url, size_t len)
{
	snprintf(url, len, "http://localhost:%u%s", in->pki_port, path);
}

void
xasprintf(char **out, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(out, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
}

char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, n = 0, r;
	char *data;

	if (f == NULL)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	data = malloc(cap);
	assert_non_null(data);
	/* read to the end: /proc files report a size of 0 */
	while ((r = fread(data + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (n + 1 == cap) {
			cap *= 2;
			data = realloc(data, cap);
			assert_non_null(data);
		}
	}
	data[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = n;
	return data;
}

const char *
corpus_path(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", env_required("EDGECA_TEST_CORPUS"), name);
	return path;
}

/* A process that did not stop cleanly (e.g. ASan found a leak at exit)
 * fails the test program even when noticed in a group teardown, whose
 * failures cmocka reports without changing the exit status. */
static bool stop_failed;

static void
exit_status_check(void)
{
	if (stop_failed)
		_exit(1);
}

/* The servers part of in's connection strings. */
static void
pg_server(const struct instance *in, char *out, size_t len)
{
	if (in->pg_server[0] != '\0')
		snprintf(out, len, "%s", in->pg_server);
	else
		snprintf(out, len, "host=%s/run", env_required("EDGECA_TEST_PG_DIR"));
}

static void
pg_exec(const struct instance *in, const char *sql)
{
	char conninfo[512], server[400];
	PGconn *c;
	PGresult *r;

	pg_server(in, server, sizeof(server));
	snprintf(conninfo, sizeof(conninfo), "%s dbname=postgres user=edgeca_admin", server);
	c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("test PostgreSQL: %s", PQerrorMessage(c));
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("test PostgreSQL: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

/* The environment of the processes an instance runs. */
/* as_admin: connect as the schema's owner (migrations) instead of the
 * server's own role. */
static char **
child_env(const struct instance *in, bool as_admin)
{
	static char vars[16][600];
	static char *envp[40];
	const char *pass[] = {"PATH", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", NULL};
	int n = 0, v = 0;

	snprintf(vars[v], sizeof(vars[v]), "EDGECA_DATA_DIR=%s", in->data_dir);
	envp[n++] = vars[v++];
	snprintf(vars[v], sizeof(vars[v]), "EDGECA_API_PORT=%u", in->api_port);
	envp[n++] = vars[v++];
	snprintf(vars[v], sizeof(vars[v]), "EDGECA_EST_PORT=%u", in->est_port);
	envp[n++] = vars[v++];
	snprintf(vars[v], sizeof(vars[v]), "EDGECA_PKI_HTTP_PORT=%u", in->pki_port);
	envp[n++] = vars[v++];
	snprintf(vars[v], sizeof(vars[v]), "EDGECA_DATABASE_URL=%s",
	         as_admin ? in->admin_database_url : in->database_url);
	envp[n++] = vars[v++];
	if (as_admin) {
		snprintf(vars[v], sizeof(vars[v]), "EDGECA_DB_APP_ROLE=edgeca");
		envp[n++] = vars[v++];
	}
	snprintf(vars[v], sizeof(vars[v]), "EDGECA_HTTP_THREADS=4");
	envp[n++] = vars[v++];
	for (int i = 0; pass[i]; i++) {
		const char *val = getenv(pass[i]);
		if (val != NULL) {
			snprintf(vars[v], sizeof(vars[v]), "%s=%s", pass[i], val);
			envp[n++] = vars[v++];
		}
	}
	for (int i = 0; in->extra_env[i] != NULL && n < 38; i++)
		envp[n++] = (char *)in->extra_env[i];
	envp[n] = NULL;
	return envp;
}

static pid_t
spawn(const struct instance *in, const char *bin, char *const argv[], const char *log)
{
	char path[512];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", env_required("EDGECA_TEST_BIN_DIR"), bin);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* never the test's own stdout: ctest waits for every writer of it */
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execve(path, argv, child_env(in, false));
		_exit(127);
	}
	return pid;
}

static void
print_log_tail(const char *path)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "tail -n 40 '%s' >&2", path);
	if (system(cmd) != 0)
		fprintf(stderr, "(no log at %s)\n", path);
}

/* Waits for pid to exit; returns its status or -1 after timeout_s. */
static int
wait_exit(pid_t pid, int timeout_s)
{
	int status;

	for (int i = 0; i < timeout_s * 20; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		usleep(50000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* Whether the signer runs as its own user (started as root). */
static bool
signer_drops_privileges(void)
{
	return running_as_root() && getpwnam("edgeca-signer") != NULL;
}

void
instance_start_signer(struct instance *in)
{
	char state[200], log[200];
	char *argv[20] = {"edgeca-signer", "--state-dir", state, "--socket", in->signer_socket};
	struct stat st;
	int n = 5;

	/* As root, run it as in production: it drops to edgeca-signer. */
	if (signer_drops_privileges()) {
		argv[n++] = "--user";
		argv[n++] = "edgeca-signer";
		argv[n++] = "--allow-uid";
		argv[n++] = "0";
	}
	if (in->kek_file[0] != '\0') {
		argv[n++] = "--kek-file";
		argv[n++] = in->kek_file;
	}
	for (int i = 0; in->signer_args[i] != NULL && n < 19; i++)
		argv[n++] = (char *)in->signer_args[i];

	snprintf(state, sizeof(state), "%s/signer", in->data_dir);
	snprintf(log, sizeof(log), "%s/signer.log", in->data_dir);
	unlink(in->signer_socket);
	in->signer_pid = spawn(in, "edgeca-signer", argv, log);
	for (int i = 0; i < 200; i++) {
		if (stat(in->signer_socket, &st) == 0)
			return;
		usleep(50000);
	}
	print_log_tail(log);
	fail_msg("the signer did not create its socket");
}

/* Stops a process with SIGTERM; false (log shown) unless it exits 0. */
static bool
stop_process(pid_t *pid, const char *data_dir, const char *log_name)
{
	int status;

	if (*pid <= 0)
		return true;
	kill(*pid, SIGTERM);
	status = wait_exit(*pid, 30);
	*pid = 0;
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char log[200];
		snprintf(log, sizeof(log), "%s/%s", data_dir, log_name);
		print_log_tail(log);
		fprintf(stderr, "%s did not exit cleanly (status %d)\n", log_name, status);
		stop_failed = true;
		return false;
	}
	return true;
}

void
instance_stop_signer(struct instance *in)
{
	if (!stop_process(&in->signer_pid, in->data_dir, "signer.log"))
		fail_msg("the signer did not exit cleanly");
}

void
instance_start_server(struct instance *in)
{
	char log[200];
	char *argv[] = {"edgeca-server", "serve", NULL};
	struct http_response r;

	snprintf(log, sizeof(log), "%s/server.log", in->data_dir);
	in->server_pid = spawn(in, "edgeca-server", argv, log);
	for (int i = 0; i < 600; i++) {
		int status;
		if (waitpid(in->server_pid, &status, WNOHANG) == in->server_pid) {
			in->server_pid = 0;
			print_log_tail(log);
			fail_msg("edgeca-server exited during start-up (status %d)", status);
		}
		memset(&r, 0, sizeof(r));
		if (access(in->ca_file, R_OK) == 0 &&
		    http_call(in, "GET", "/readyz", NULL, NULL, NULL, 0, &r) == 200) {
			http_response_free(&r);
			return;
		}
		http_response_free(&r);
		usleep(100000);
	}
	print_log_tail(log);
	fail_msg("edgeca-server did not become ready in 60 s");
}

void
instance_stop_server(struct instance *in)
{
	if (!stop_process(&in->server_pid, in->data_dir, "server.log"))
		fail_msg("edgeca-server did not exit cleanly");
}

static int
run_cli(struct instance *in, bool as_admin, const char *const *args, char *out, size_t out_len)
{
	char path[512], log[200], *argv[16];
	int pipefd[2], status, n = 0;
	size_t got = 0;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/edgeca-server", env_required("EDGECA_TEST_BIN_DIR"));
	snprintf(log, sizeof(log), "%s/cli.log", in->data_dir);
	argv[n++] = "edgeca-server";
	for (int i = 0; args[i] != NULL && n < 15; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(pipefd[1], 1);
		if (fd >= 0)
			dup2(fd, 2);
		close(pipefd[0]);
		execve(path, argv, child_env(in, as_admin));
		_exit(127);
	}
	close(pipefd[1]);
	for (;;) {
		char chunk[256];
		ssize_t r = read(pipefd[0], chunk, sizeof(chunk));
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r && out != NULL && got + 1 < out_len; i++)
			out[got++] = chunk[i];
	}
	close(pipefd[0]);
	if (out != NULL && out_len > 0)
		out[got] = '\0';
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		print_log_tail(log);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int
instance_cli(struct instance *in, const char *const *args, char *out, size_t out_len)
{
	return run_cli(in, false, args, out, out_len);
}

int
instance_cli_admin(struct instance *in, const char *const *args, char *out, size_t out_len)
{
	return run_cli(in, true, args, out, out_len);
}

void
instance_token(struct instance *in, const char *role, const char *name, char *token, size_t len)
{
	const char *args[] = {"token", "create", "--role", role, "--name", name, NULL};

	if (instance_cli(in, args, token, len) != 0)
		fail_msg("edgeca-server token create --role %s failed", role);
	token[strcspn(token, "\n")] = '\0';
	assert_true(strncmp(token, "edgeca_", 7) == 0);
}

void
instance_create(struct instance *in)
{
	static int counter;
	char dir[] = "/tmp/edgeca-it-XXXXXX", sql[160], path[200], server[400];

	if (counter == 0) {
		assert_int_equal(atexit(exit_status_check), 0);
		/* A server that answers early (413, 401) and closes while a test
		 * is still writing is a result to check, not a reason to die. */
		signal(SIGPIPE, SIG_IGN);
	}
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0711), 0); /* the signer's user passes through */
	snprintf(in->data_dir, sizeof(in->data_dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/run", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(in->signer_socket, sizeof(in->signer_socket), "%s/run/signer.sock", dir);
	snprintf(in->ca_file, sizeof(in->ca_file), "%s/tls/ca.pem", dir);
	snprintf(in->db_name, sizeof(in->db_name), "it_%d_%d_%ld", (int)getpid(), counter++,
	         (long)time(NULL));
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", in->db_name);
	pg_exec(in, sql);
	pg_server(in, server, sizeof(server));
	snprintf(in->database_url, sizeof(in->database_url), "%s dbname=%s user=edgeca", server,
	         in->db_name);
	snprintf(in->admin_database_url, sizeof(in->admin_database_url),
	         "%s dbname=%s user=edgeca_admin", server, in->db_name);
	pick_ports(in, NULL);
	snprintf(in->base_url, sizeof(in->base_url), "https://localhost:%u", in->api_port);
}

void
instance_start(struct instance *in)
{
	instance_create(in);
	/* as scripts/run does: the schema's owner migrates, the server gets its
	 * rights only */
	{
		const char *args[] = {"migrate", NULL};
		if (run_cli(in, true, args, NULL, 0) != 0)
			fail_msg("edgeca-server migrate failed");
	}
	instance_start_signer(in);
	instance_token(in, "pki_admin", "admin", in->admin_token, sizeof(in->admin_token));
	instance_start_server(in);
}

/* Removes a data directory the harness made (under /tmp/edgeca-it-). */
static void
remove_data_dir(const char *dir)
{
	char cmd[200];

	if (strncmp(dir, "/tmp/edgeca-it-", 15) != 0)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

void
instance_destroy(struct instance *in)
{
	char sql[160];
	/* both stopped and everything removed before a failure is reported */
	bool server_ok = stop_process(&in->server_pid, in->data_dir, "server.log");
	bool signer_ok = stop_process(&in->signer_pid, in->data_dir, "signer.log");

	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", in->db_name);
	pg_exec(in, sql);
	remove_data_dir(in->data_dir);
	if (!server_ok || !signer_ok)
		fail_msg("a process of the instance did not exit cleanly");
}

void
instance_start_peer(struct instance *peer, const struct instance *first)
{
	char dir[] = "/tmp/edgeca-it-XXXXXX";
	static char socket_env[240];
	int n = 0;

	memset(peer, 0, sizeof(*peer));
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0711), 0);
	snprintf(peer->data_dir, sizeof(peer->data_dir), "%s", dir);
	snprintf(peer->db_name, sizeof(peer->db_name), "%s", first->db_name);
	snprintf(peer->database_url, sizeof(peer->database_url), "%s", first->database_url);
	snprintf(peer->admin_database_url, sizeof(peer->admin_database_url), "%s",
	         first->admin_database_url);
	snprintf(peer->signer_socket, sizeof(peer->signer_socket), "%s", first->signer_socket);
	snprintf(peer->ca_file, sizeof(peer->ca_file), "%s/tls/ca.pem", dir);
	snprintf(peer->admin_token, sizeof(peer->admin_token), "%s", first->admin_token);
	pick_ports(peer, NULL);
	snprintf(peer->base_url, sizeof(peer->base_url), "https://localhost:%u", peer->api_port);
	snprintf(socket_env, sizeof(socket_env), "EDGECA_SIGNER_SOCKET=%s", first->signer_socket);
	for (int i = 0; first->extra_env[i] != NULL && n < 14; i++)
		peer->extra_env[n++] = first->extra_env[i];
	peer->extra_env[n] = socket_env;
	instance_start_server(peer);
}

void
instance_destroy_peer(struct instance *peer)
{
	instance_stop_server(peer);
	remove_data_dir(peer->data_dir);
}

/* Copies from to a new file to, mode 0600, owned by owner (or the test's
 * user when NULL), as an operator copies a key to a second machine. */
static void
copy_private(const char *from, const char *to, const char *owner)
{
	size_t len = 0;
	char *data = read_file(from, &len);
	int fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0)
		fail_msg("cannot create %s: %s", to, strerror(errno));
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	if (owner != NULL) {
		const struct passwd *pw = getpwnam(owner);
		assert_non_null(pw);
		assert_int_equal(fchown(fd, pw->pw_uid, pw->pw_gid), 0);
	}
	assert_int_equal(close(fd), 0);
	free(data);
}

void
instance_start_pair(struct instance *second, const struct instance *first)
{
	char dir[] = "/tmp/edgeca-it-XXXXXX", path[200], kek[200];
	static char key_env[240];
	const char *signer_user = signer_drops_privileges() ? "edgeca-signer" : NULL;
	int n = 0;

	memset(second, 0, sizeof(*second));
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0711), 0); /* the signer's user passes through */
	snprintf(second->data_dir, sizeof(second->data_dir), "%s", dir);
	snprintf(second->db_name, sizeof(second->db_name), "%s", first->db_name);
	snprintf(second->database_url, sizeof(second->database_url), "%s", first->database_url);
	snprintf(second->admin_database_url, sizeof(second->admin_database_url), "%s",
	         first->admin_database_url);
	snprintf(second->pg_server, sizeof(second->pg_server), "%s", first->pg_server);
	snprintf(second->admin_token, sizeof(second->admin_token), "%s", first->admin_token);
	snprintf(path, sizeof(path), "%s/run", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(second->signer_socket, sizeof(second->signer_socket), "%s/run/signer.sock", dir);
	snprintf(second->ca_file, sizeof(second->ca_file), "%s/tls/ca.pem", dir);
	/* The two files an operator copies once: the KEK into the signer's
	 * state directory (the signer's user, 0600: it refuses anything else)
	 * and the secrets key. */
	snprintf(path, sizeof(path), "%s/signer", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	if (signer_user != NULL) {
		const struct passwd *pw = getpwnam(signer_user);
		assert_non_null(pw);
		assert_int_equal(chown(path, pw->pw_uid, pw->pw_gid), 0);
	}
	if (first->kek_file[0] != '\0')
		snprintf(kek, sizeof(kek), "%s", first->kek_file);
	else
		snprintf(kek, sizeof(kek), "%s/signer/kek", first->data_dir);
	snprintf(second->kek_file, sizeof(second->kek_file), "%s/signer/kek", dir);
	copy_private(kek, second->kek_file, signer_user);
	snprintf(path, sizeof(path), "%s/secrets.key", first->data_dir);
	snprintf(kek, sizeof(kek), "%s/secrets.key", dir);
	copy_private(path, kek, NULL);
	snprintf(key_env, sizeof(key_env), "EDGECA_SECRETS_KEY_FILE=%s", kek);
	pick_ports(second, first);
	snprintf(second->base_url, sizeof(second->base_url), "https://localhost:%u",
	         second->api_port);
	/* first's settings, but the secrets key is the copy */
	for (int i = 0; first->extra_env[i] != NULL && n < 14; i++)
		if (strncmp(first->extra_env[i], "EDGECA_SECRETS_KEY_FILE=", 24) != 0)
			second->extra_env[n++] = first->extra_env[i];
	second->extra_env[n] = key_env;
	instance_start_signer(second);
	instance_start_server(second);
}

void
instance_destroy_pair(struct instance *second)
{
	bool server_ok = stop_process(&second->server_pid, second->data_dir, "server.log");
	bool signer_ok = stop_process(&second->signer_pid, second->data_dir, "signer.log");

	remove_data_dir(second->data_dir);
	if (!server_ok || !signer_ok)
		fail_msg("a process of the second pair did not exit cleanly");
}

char *
instance_sql(const struct instance *in, const char *fmt, ...)
{
	char sql[1024], *v = NULL;
	PGconn *c = PQconnectdb(in->admin_database_url);
	PGresult *res;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(sql));
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("test database: %s", PQerrorMessage(c));
	res = PQexec(c, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)) {
		v = strdup(PQgetvalue(res, 0, 0));
		assert_non_null(v);
	}
	PQclear(res);
	PQfinish(c);
	return v;
}

double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}
