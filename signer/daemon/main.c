/* edgeca-signer: the only process that holds CA private keys. It listens on
 * a Unix socket, serves the operations of signer/PROTOCOL.md to allowed
 * uids only, and, started as root with --user, binds its socket and then
 * drops to that user before it reads any key. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/buf.h"
#include "edgeca_version.h"
#include "signer/daemon/args.h"
#include "signer/daemon/import.h"
#include "signer/daemon/keystore.h"
#include "signer/daemon/listener.h"
#include "signer/daemon/service.h"
#include "signer/daemon/siglog.h"

static int wake_pipe[2] = {-1, -1};

static void
on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (write(wake_pipe[1], &c, 1) < 0) {
		/* nothing more can be done in a handler */
	}
	errno = saved;
}

static void
usage(void)
{
	fprintf(stderr,
	        "usage: edgeca-signer --state-dir DIR --socket PATH [--allow-uid UID|USER]...\n"
	        "                     [--user NAME] [--max-connections N] [--max-keys N]\n"
	        "                     [--kek-file PATH] [--log-level LEVEL]\n"
	        "                     [--log-format text|json]\n"
	        "                     [--key-store sealed|pkcs11 --pkcs11-module PATH\n"
	        "                      --pkcs11-token-label LABEL --pkcs11-pin-file PATH]\n"
	        "       edgeca-signer --version\n");
}

/* A uid, or a user's name (a systemd unit knows the server's user by name
 * only: sysusers.d may give it any uid). */
static int
parse_uid(const char *s, uid_t *out)
{
	struct passwd *pw;
	unsigned long v;

	if (args_parse_uint(s, 0x7fffffff, &v) == 0) {
		*out = (uid_t)v;
		return 0;
	}
	pw = getpwnam(s);
	if (pw == NULL)
		return -1;
	*out = pw->pw_uid;
	return 0;
}

/* A directory that only its owner may enter. It is opened without
 * following symlinks and changed through the descriptor, so nobody can
 * point these changes elsewhere. */
static int
ensure_private_dir(const char *path, uid_t uid, gid_t gid, int do_chown)
{
	int fd, rc = -1;

	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		log_error("main: cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		log_error("main: %s is not a directory: %s", path, strerror(errno));
		return -1;
	}
	if (do_chown && fchown(fd, uid, gid) != 0)
		log_error("main: cannot chown %s: %s", path, strerror(errno));
	else if (fchmod(fd, 0700) != 0)
		log_error("main: cannot set mode 0700 on %s: %s", path, strerror(errno));
	else
		rc = 0;
	close(fd);
	return rc;
}

/* The socket's directory must be a real directory, mode 0700, owned by
 * root or by the uid that may connect: nobody else may put names in it. */
static int
check_socket_dir(const char *socket_path, uid_t peer)
{
	char dir[PATH_BYTES];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", socket_path);
	if (lstat(dirname(dir), &st) != 0 || !S_ISDIR(st.st_mode) || (st.st_mode & 077) ||
	    (st.st_uid != 0 && st.st_uid != peer)) {
		log_error("main: the socket's directory must be a directory of mode 0700 owned by "
		          "root or by uid %d", (int)peer);
		return -1;
	}
	return 0;
}

static int
drop_privileges(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 ||
	    setresuid(uid, uid, uid) != 0) {
		log_error("main: cannot drop privileges: %s", strerror(errno));
		return -1;
	}
	if (uid != 0 && setuid(0) == 0) {
		log_error("main: privileges were not dropped");
		return -1;
	}
	return 0;
}

/* The kernel clears the parent-death signal whenever the uids change, and
 * binding the socket as its owner already changes the file-system uid: the
 * signal the signer was started with (scripts/run: setpriv --pdeathsig) is
 * set again once the ids are final, so that the signer still ends with the
 * process that supervises it instead of living on as an orphan. */
static int
restore_parent_death_signal(int sig, pid_t parent)
{
	if (sig == 0)
		return 0;
	if (prctl(PR_SET_PDEATHSIG, sig) != 0 || getppid() != parent) {
		log_error("main: the parent process is gone");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"state-dir", required_argument, NULL, 'd'},
		{"socket", required_argument, NULL, 's'},
		{"allow-uid", required_argument, NULL, 'a'},
		{"user", required_argument, NULL, 'u'},
		{"max-connections", required_argument, NULL, 'm'},
		{"log-level", required_argument, NULL, 'l'},
		{"log-format", required_argument, NULL, 'f'},
		{"kek-file", required_argument, NULL, 'k'},
		{"max-keys", required_argument, NULL, 'x'},
		{"key-store", required_argument, NULL, 'K'},
		{"pkcs11-module", required_argument, NULL, 'M'},
		{"pkcs11-token-label", required_argument, NULL, 'T'},
		{"pkcs11-pin-file", required_argument, NULL, 'P'},
		{NULL, 0, NULL, 0},
	};
	struct listener_config cfg = {.n_allowed = 0, .max_connections = 256,
	                              .idle_timeout_s = 600};
	const char *state_dir = NULL, *socket_path = NULL, *user = NULL, *kek_file = NULL;
	unsigned max_keys = 10000;
	struct p11_settings p11 = {NULL, NULL, NULL};
	const char *key_store = "sealed";
	struct p11_token *token = NULL;
	struct signer_service svc = {NULL, NULL};
	struct edgeca_msg msg = {0};
	enum log_level level = LOG_LEVEL_INFO;
	/* the server's setting, when the signer shares its environment */
	const char *log_format = getenv("EDGECA_LOG_FORMAT");
	enum log_format format = LOG_FORMAT_TEXT;
	uid_t run_uid = getuid();
	gid_t run_gid = getgid();
	pid_t parent = getppid();
	int deathsig = 0;
	char log_path[PATH_BYTES];
	struct sigaction sa;
	unsigned long v;
	int listen_fd = -1, rc = 1, opt;

	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("edgeca-signer %s (commit %s)\n", EDGECA_VERSION, EDGECA_COMMIT);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "import-key") == 0)
		return import_key_main(argc - 1, argv + 1);
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': state_dir = optarg; break;
		case 's': socket_path = optarg; break;
		case 'u': user = optarg; break;
		case 'a':
			if (cfg.n_allowed == LISTENER_MAX_ALLOWED_UIDS ||
			    parse_uid(optarg, &cfg.allowed_uids[cfg.n_allowed]) != 0) {
				usage();
				return 2;
			}
			cfg.n_allowed++;
			break;
		case 'm':
			if (args_parse_uint(optarg, 65536, &v) != 0 || v == 0) {
				usage();
				return 2;
			}
			cfg.max_connections = (unsigned)v;
			break;
		case 'l':
			if (log_level_parse(optarg, &level) != 0) {
				usage();
				return 2;
			}
			break;
		case 'f': log_format = optarg; break;
		case 'k': kek_file = optarg; break;
		case 'K': key_store = optarg; break;
		case 'M': p11.module = optarg; break;
		case 'T': p11.token_label = optarg; break;
		case 'P': p11.pin_file = optarg; break;
		case 'x':
			if (args_parse_uint(optarg, 10000000, &v) != 0 || v == 0) {
				usage();
				return 2;
			}
			max_keys = (unsigned)v;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (state_dir == NULL || socket_path == NULL || optind != argc ||
	    (strcmp(key_store, "sealed") != 0 && strcmp(key_store, "pkcs11") != 0)) {
		usage();
		return 2;
	}
	if (strcmp(key_store, "pkcs11") == 0 &&
	    (p11.module == NULL || p11.token_label == NULL || p11.pin_file == NULL)) {
		fprintf(stderr, "edgeca-signer: --key-store pkcs11 needs --pkcs11-module, "
		                "--pkcs11-token-label and --pkcs11-pin-file\n");
		return 2;
	}
	if (log_format != NULL && log_format[0] != '\0' &&
	    log_format_parse(log_format, &format) != 0) {
		fprintf(stderr, "edgeca-signer: the log format is text or json\n");
		return 2;
	}
	log_init("edgeca-signer", level);
	log_set_format(format);
	if (prctl(PR_GET_PDEATHSIG, &deathsig) != 0)
		deathsig = 0;
	if (user != NULL) {
		struct passwd *pw = getpwnam(user);
		if (pw == NULL) {
			log_error("main: no user %s", user);
			return 1;
		}
		if (geteuid() != 0 && pw->pw_uid != geteuid()) {
			log_error("main: --user %s needs the signer to start as root", user);
			return 1;
		}
		run_uid = pw->pw_uid;
		run_gid = pw->pw_gid;
	}
	if (cfg.n_allowed == 0)
		cfg.allowed_uids[cfg.n_allowed++] = getuid();

	if (check_socket_dir(socket_path, cfg.allowed_uids[0]) != 0)
		return 1;
	if (ensure_private_dir(state_dir, run_uid, run_gid, geteuid() == 0) != 0)
		return 1;
	{
		struct passwd *peer = getpwuid(cfg.allowed_uids[0]);
		listen_fd = listener_bind(socket_path, cfg.allowed_uids[0],
		                          peer ? peer->pw_gid : getgid());
	}
	if (listen_fd < 0)
		return 1;
	if (user != NULL && geteuid() == 0 && drop_privileges(run_uid, run_gid) != 0)
		goto out;
	if (restore_parent_death_signal(deathsig, parent) != 0)
		goto out;
	/* No core dumps and no ptrace by same-uid processes: keys live here. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

	if (keystore_open(state_dir, kek_file, max_keys, &svc.ks, &msg) != EDGECA_OK) {
		log_error("main: %s", msg.detail);
		goto out;
	}
	/* the token is opened as the signer's user: its PIN file is that user's */
	if (strcmp(key_store, "pkcs11") == 0) {
		if (p11_open(&p11, &token, &msg) != EDGECA_OK) {
			log_error("main: PKCS#11 token \"%s\" of %s: %s", p11.token_label, p11.module,
			          msg.detail);
			goto out;
		}
		keystore_use_token(svc.ks, token);
		log_info("main: new keys are made in the PKCS#11 token \"%s\" (%s)", p11.token_label,
		         p11.module);
	}
	snprintf(log_path, sizeof(log_path), "%s/signatures.log", state_dir);
	svc.log = siglog_open(log_path);
	if (svc.log == NULL) {
		log_error("main: cannot open %s: %s", log_path, strerror(errno));
		goto out;
	}
	if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		goto out;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	log_info("main: serving on %s (uid %d), %zu allowed uid(s)", socket_path, (int)geteuid(),
	         cfg.n_allowed);
	rc = listener_run(listen_fd, wake_pipe[0], &cfg, &svc) == 0 ? 0 : 1;
	log_info("main: stopped");
out:
	if (listen_fd >= 0)
		close(listen_fd);
	if (wake_pipe[0] >= 0) {
		close(wake_pipe[0]);
		close(wake_pipe[1]);
	}
	siglog_close(svc.log);
	keystore_free(svc.ks);
	return rc;
}
