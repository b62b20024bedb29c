/* Who may talk to the signer: peers with other uids are refused on its
 * socket, and started as root it drops to its own user before it reads a
 * key. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "signer/proto/protocol.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/key_material.h"
#include "tests/support/pki.h"
#include "tests/support/signer_wire.h"

static struct instance in;
static pid_t extra_signers[4];

static void
fixture_done(void)
{
	for (size_t i = 0; i < 4; i++)
		if (extra_signers[i] > 0) {
			kill(extra_signers[i], SIGKILL);
			waitpid(extra_signers[i], NULL, 0);
		}
}

static const struct fixture fx = {
	.in = &in,
	.name = "signer_access",
	.done = fixture_done,
};

/* Starts another signer (args after the binary name), output discarded;
 * teardown kills it should the test fail first. */
static pid_t
start_extra_signer(int slot, char *const argv[])
{
	char bin[512];
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s/edgeca-signer", getenv("EDGECA_TEST_BIN_DIR"));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execv(bin, argv);
		_exit(127);
	}
	extra_signers[slot] = pid;
	return pid;
}

static void
stop_extra_signer(int slot)
{
	kill(extra_signers[slot], SIGTERM);
	waitpid(extra_signers[slot], NULL, 0);
	extra_signers[slot] = 0;
}

static void
test_peer_uid_checked(void **state)
{
	struct passwd *pw;
	pid_t pid;
	int status;

	if (!running_as_root() || (pw = getpwnam("edgeca")) == NULL) {
		skip(); /* needs root to act as another uid */
		return;
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* another uid: the socket file's mode 0600 or SO_PEERCRED refuses it */
		struct signer_msg reply;
		unsigned char ping[] = {'E', 'S', 1, SIGNER_OP_PING, 0, 0, 0, 0};
		struct sockaddr_un sa;
		int fd;
		if (setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
			_exit(10);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", in.signer_socket);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
			_exit(0); /* refused by permissions */
		if (write(fd, ping, sizeof(ping)) < 0 || signer_read_msg(fd, &reply) != 0)
			_exit(0); /* refused by SO_PEERCRED */
		_exit(1);
	}
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	/* a socket the other uid can reach (mode opened up) still refuses it:
	 * SO_PEERCRED, not file modes, is the check */
	{
		char dir[] = "/tmp/edgeca-peer-XXXXXX", sock[128], state_dir[128];
		char bin[512];
		pid_t signer;
		assert_non_null(mkdtemp(dir));
		assert_int_equal(chmod(dir, 0700), 0);
		snprintf(sock, sizeof(sock), "%s/s.sock", dir);
		snprintf(state_dir, sizeof(state_dir), "%s/state", dir);
		{
			char *argv[] = {"edgeca-signer", "--state-dir", state_dir, "--socket", sock,
			                "--allow-uid", "0", NULL};
			signer = start_extra_signer(0, argv);
		}
		/* a loaded machine can take seconds to start a signer */
		for (int i = 0; i < 1200 && access(sock, F_OK) != 0; i++)
			usleep(50000);
		assert_int_equal(access(sock, F_OK), 0);
		assert_int_equal(chmod(dir, 0711), 0);
		assert_int_equal(chmod(sock, 0666), 0);
		pid = fork();
		if (pid == 0) {
			struct signer_msg reply;
			unsigned char ping[] = {'E', 'S', 1, SIGNER_OP_PING, 0, 0, 0, 0};
			struct sockaddr_un sa;
			int fd;
			if (setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
				_exit(10);
			fd = socket(AF_UNIX, SOCK_STREAM, 0);
			memset(&sa, 0, sizeof(sa));
			sa.sun_family = AF_UNIX;
			snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", sock);
			if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
				_exit(11); /* the test wanted the connect to succeed */
			if (write(fd, ping, sizeof(ping)) < 0 || signer_read_msg(fd, &reply) != 0)
				_exit(0);
			_exit(1);
		}
		waitpid(pid, &status, 0);
		stop_extra_signer(0);
		(void)signer;
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
		snprintf(bin, sizeof(bin), "rm -rf '%s'", dir);
		assert_int_equal(system(bin), 0);
	}
}

static void
test_privileges_dropped(void **state)
{
	char dir[] = "/tmp/edgeca-drop-XXXXXX", sock[128], state_dir[128], bin[512];
	char status_path[64], *status_text, uid_line[64];
	struct passwd *pw;
	struct stat st;
	pid_t signer;

	if (!running_as_root() || (pw = getpwnam("edgeca-signer")) == NULL) {
		skip();
		return;
	}
	assert_non_null(mkdtemp(dir));
	/* the dropped user must be able to reach its state directory; the
	 * socket lives in a 0700 directory of its own */
	assert_int_equal(chmod(dir, 0711), 0);
	snprintf(sock, sizeof(sock), "%s/run", dir);
	assert_int_equal(mkdir(sock, 0700), 0);
	snprintf(sock, sizeof(sock), "%s/run/s.sock", dir);
	snprintf(state_dir, sizeof(state_dir), "%s/state", dir);
	{
		char *argv[] = {"edgeca-signer", "--state-dir", state_dir, "--socket", sock, "--user",
		                "edgeca-signer", "--allow-uid", "0", NULL};
		signer = start_extra_signer(1, argv);
	}
	for (int i = 0; i < 1200 && access(sock, F_OK) != 0; i++)
		usleep(50000);
	assert_int_equal(access(sock, F_OK), 0);
	usleep(200000);
	snprintf(status_path, sizeof(status_path), "/proc/%d/status", (int)signer);
	status_text = read_file(status_path, NULL);
	snprintf(uid_line, sizeof(uid_line), "Uid:\t%u\t%u\t%u", pw->pw_uid, pw->pw_uid,
	         pw->pw_uid);
	assert_non_null(strstr(status_text, uid_line));
	free(status_text);
	assert_int_equal(stat(state_dir, &st), 0);
	assert_int_equal(st.st_uid, pw->pw_uid);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* root, the allowed uid, is served */
	{
		char saved[200];
		snprintf(saved, sizeof(saved), "%s", in.signer_socket);
		snprintf(in.signer_socket, sizeof(in.signer_socket), "%s", sock);
		wire_ping_ok(in.signer_socket);
		snprintf(in.signer_socket, sizeof(in.signer_socket), "%s", saved);
	}
	stop_extra_signer(1);
	snprintf(bin, sizeof(bin), "rm -rf '%s'", dir);
	assert_int_equal(system(bin), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peer_uid_checked),
		cmocka_unit_test(test_privileges_dropped),
	};

	signal(SIGPIPE, SIG_IGN);
	return fixture_run_tests(tests, &fx);
}
