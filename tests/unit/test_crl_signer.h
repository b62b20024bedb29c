/* Shared by the CRL signing tests (test_crl_signer*.c): the real
 * edgeca-signer process of this build (EDGECA_TEST_BIN_DIR) in a scratch
 * directory, a client pool on its socket, CAs made through it, entries,
 * and the checks of a signed CRL and of its signature log line.
 * Header-only (static inline). */
#ifndef EDGECA_TEST_CRL_SIGNER_H
#define EDGECA_TEST_CRL_SIGNER_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "common/crl_der.h"
#include "common/der.h"
#include "common/encoding.h"
#include "common/x509util.h"
#include "signer/client/client.h"
#include "signer/proto/protocol.h"
#include "tests/support/certs.h"
#include "tests/support/record_store.h"

static char *dir;
static char sock_path[256], state_dir[256], log_path[300];
static pid_t signer_pid;
static struct signer_pool *pool;

/* How long a signer may take to start serving: only a signer that hangs
 * reaches it (one that exits is seen at once). */
#define SIGNER_START_S 30

/* Whether the signer behind *fd (a probe connection, opened here when -1)
 * serves: it accepted the probe and closed it on seeing no request, which
 * it does only once its listener runs, after its signal handlers are set.
 * The socket file alone says nothing: it exists from bind() on, before
 * listen(), and until then connect() is refused. 0: serving; 1: not yet
 * (*fd kept while the probe waits in the signer's queue). */
static inline int
signer_probe(int *fd)
{
	struct sockaddr_un sa;
	struct timeval tv = {0, 100000};
	ssize_t n = -1;
	char c;

	if (*fd < 0) {
		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		assert_true(strlen(sock_path) < sizeof(sa.sun_path));
		memcpy(sa.sun_path, sock_path, strlen(sock_path));
		*fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(*fd >= 0);
		if (setsockopt(*fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
		    connect(*fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
		    shutdown(*fd, SHUT_WR) != 0) {
			close(*fd); /* no socket yet, or not listening yet */
			*fd = -1;
			usleep(20000);
		}
	}
	if (*fd >= 0) {
		n = read(*fd, &c, 1);
		if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			close(*fd); /* answered: closed (serving), or reset */
			*fd = -1;
		} else {
			n = -1; /* queued, not accepted yet */
		}
	}
	return n == 0 ? 0 : 1;
}

/* Starts the signer and returns once it serves (signer_probe). */
static inline void
start_signer(void)
{
	char bin[512], out[300];
	const char *bin_dir = getenv("EDGECA_TEST_BIN_DIR");
	time_t deadline = time(NULL) + SIGNER_START_S;
	int probe = -1, status = 0;

	snprintf(bin, sizeof(bin), "%s/edgeca-signer", bin_dir ? bin_dir : ".");
	if (access(bin, X_OK) != 0)
		fail_msg("%s is not built (build the whole tree first)", bin);
	snprintf(out, sizeof(out), "%s/signer.out", dir);
	signer_pid = fork();
	assert_true(signer_pid >= 0);
	if (signer_pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(bin, "edgeca-signer", "--state-dir", state_dir, "--socket", sock_path,
		      "--log-level", "debug", (char *)NULL);
		_exit(127);
	}
	while (signer_probe(&probe) != 0) {
		if (waitpid(signer_pid, &status, WNOHANG) == signer_pid) {
			signer_pid = 0;
			if (probe >= 0)
				close(probe);
			fail_msg("the signer exited while starting, status %d (see %s)", status, out);
		}
		if (time(NULL) > deadline) {
			if (probe >= 0)
				close(probe);
			fail_msg("the signer did not serve on %s within %d s (see %s)", sock_path,
			         SIGNER_START_S, out);
		}
	}
}

static inline void
stop_signer(void)
{
	int status = -1;

	if (signer_pid <= 0)
		return;
	kill(signer_pid, SIGTERM);
	waitpid(signer_pid, &status, 0);
	signer_pid = 0;
	unlink(sock_path);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		/* what it said (ASan's report, say) goes with the failure */
		char cmd[400];
		snprintf(cmd, sizeof(cmd), "tail -n 60 '%s/signer.out' >&2", dir);
		if (system(cmd) != 0)
			print_error("cannot show %s/signer.out\n", dir);
		fail_msg("the signer exited with status %d", status);
	}
}

static inline int
crl_signer_setup(void **state)
{
	if ((dir = t_tmpdir()) == NULL)
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/s.sock", dir);
	snprintf(state_dir, sizeof(state_dir), "%s/state", dir);
	snprintf(log_path, sizeof(log_path), "%s/signatures.log", state_dir);
	start_signer();
	if (signer_pool_new(sock_path, 2, 10000, &pool, NULL) != EDGECA_OK)
		return -1;
	/* the records of the keys, kept as the server keeps them */
	{
		struct signer_records records = record_store();
		signer_pool_set_records(pool, &records);
	}
	return 0;
}

static inline int
crl_signer_teardown(void **state)
{
	signer_pool_free(pool);
	stop_signer();
	t_rmtree(dir);
	return 0;
}

/* A CA: a signer key of alg with templates, self-signed as
 * "CN=<cn>,O=edgeca tests". */
static inline X509 *
make_ca(const char *alg, const char *templates, const char *cn, char key_id[65])
{
	struct edgeca_msg msg = {0};
	X509_NAME *name = X509_NAME_new();
	unsigned char *name_der = NULL, *der = NULL;
	size_t len = 0;
	int name_len;
	X509 *ca;

	if (signer_key_create(pool, alg, templates, 3650, -1, NULL, key_id, &msg) != EDGECA_OK)
		fail_msg("signer_key_create: %s", msg.detail);
	assert_int_equal(t_name_add_cn(name, cn, -1), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	                                            (const unsigned char *)"edgeca tests", -1, -1,
	                                            0), 1);
	name_len = i2d_X509_NAME(name, &name_der);
	assert_true(name_len > 0);
	if (signer_self_sign(pool, key_id, name_der, (size_t)name_len, time(NULL) + 86400 * 365,
	                     &der, &len, &msg) != EDGECA_OK)
		fail_msg("signer_self_sign: %s", msg.detail);
	ca = x509_from_der(der, len);
	assert_non_null(ca);
	free(der);
	OPENSSL_free(name_der);
	X509_NAME_free(name);
	return ca;
}

struct want_entry {
	char serial[41];
	time_t at;
	int reason;
	time_t invalidity;
};

/* n entries with serials, times, every reason and some invalidity dates. */
static inline struct want_entry *
make_entries(size_t n, struct buf *body)
{
	static const int reasons[] = {-1, 0, 1, 2, 3, 4, 5, 6, 9, 10, 1};
	struct want_entry *w = calloc(n ? n : 1, sizeof(*w));

	assert_non_null(w);
	for (size_t i = 0; i < n; i++) {
		snprintf(w[i].serial, sizeof(w[i].serial), "%x%08zx", 0x40 + (unsigned)(i % 0x3f), i);
		w[i].at = 1700000000 + (time_t)i * 60;
		w[i].reason = reasons[i % 11];
		w[i].invalidity = i % 4 == 0 ? 1690000000 + (time_t)i : 0;
		assert_int_equal(crl_entry_append(body, w[i].serial, w[i].at, w[i].reason,
		                                  w[i].invalidity), 0);
	}
	return w;
}

static inline int
count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	int n = 0, c;

	if (f == NULL)
		return 0;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static inline char *
last_line(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024], *last = NULL;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		free(last);
		last = strdup(line);
	}
	fclose(f);
	assert_non_null(last);
	return last;
}

/* The signature log's last line must end with exactly this. */
static inline void
check_log(const char *key_id, uint64_t number, size_t entries_bytes, const unsigned char *der,
          size_t len)
{
	const unsigned char *p = der, *c, *after_tbs, *v;
	size_t l, vl, el;
	unsigned char md[32];
	char md_hex[65], expect[256], *line = last_line(log_path);

	/* the TBSCertList: the first element inside the CertificateList */
	assert_int_equal(der_read(&p, der + len, DER_SEQUENCE, &c, &l), 0);
	after_tbs = c;
	assert_int_equal(der_read(&after_tbs, c + l, DER_SEQUENCE, &v, &vl), 0);
	assert_int_equal(EVP_Digest(c, (size_t)(after_tbs - c), md, NULL, EVP_sha256(), NULL), 1);
	hex_encode(md, sizeof(md), md_hex);
	snprintf(expect, sizeof(expect), " key=%s op=crl number=%" PRIu64 " entries_bytes=%zu "
	         "sha256=%s\n", key_id, number, entries_bytes, md_hex);
	el = strlen(expect);
	if (strlen(line) < el || strcmp(line + strlen(line) - el, expect) != 0)
		fail_msg("log line \"%s\" does not end with \"%s\"", line, expect);
	free(line);
}

/* Checks der as a CRL of ca: parsed whole by OpenSSL, verified with the
 * CA's key, v2, issuer the CA's subject byte for byte, the times, the
 * number, AKI = the CA's SKI (or aki_keyid), entries exactly want[0..n)
 * and none at all (not even an empty list) when n is 0. */
static inline void
check_crl_aki(const unsigned char *der, size_t len, X509 *ca, uint64_t number, time_t tu,
              time_t nu, const struct want_entry *want, size_t n, int sig_nid,
              const ASN1_OCTET_STRING *aki_keyid)
{
	const unsigned char *p = der, *issuer_der, *crl_issuer_der;
	size_t issuer_len, crl_issuer_len;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
	STACK_OF(X509_REVOKED) *revoked;
	ASN1_INTEGER *num;
	AUTHORITY_KEYID *aki;
	uint64_t got = 0;
	int crit = -2;

	assert_non_null(crl);
	assert_ptr_equal(p, der + len);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(ca)), 1);
	assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	assert_int_equal(X509_CRL_get_signature_nid(crl), sig_nid);
	{
		/* the TBS's signature algorithm is the outer one, byte for byte */
		const unsigned char *q = der, *c, *tbs_end, *v, *inner, *outer;
		size_t l, vl, inner_len, outer_len;
		assert_int_equal(der_read(&q, der + len, DER_SEQUENCE, &c, &l), 0);
		q = c;
		assert_int_equal(der_read(&q, c + l, DER_SEQUENCE, &v, &vl), 0);
		tbs_end = v + vl;
		assert_int_equal(der_read(&v, tbs_end, DER_INTEGER, &inner, &inner_len), 0);
		inner = v;
		assert_int_equal(der_read(&v, tbs_end, DER_SEQUENCE, &c, &l), 0);
		inner_len = (size_t)(v - inner);
		outer = q;
		assert_int_equal(der_read(&q, der + len, DER_SEQUENCE, &c, &l), 0);
		outer_len = (size_t)(q - outer);
		assert_int_equal(inner_len, outer_len);
		assert_memory_equal(inner, outer, inner_len);
	}
	assert_int_equal(X509_NAME_get0_der(X509_get_subject_name(ca), &issuer_der, &issuer_len), 1);
	assert_int_equal(X509_NAME_get0_der(X509_CRL_get_issuer(crl), &crl_issuer_der,
	                                    &crl_issuer_len), 1);
	assert_int_equal(crl_issuer_len, issuer_len);
	assert_memory_equal(crl_issuer_der, issuer_der, issuer_len);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_CRL_get0_lastUpdate(crl), tu), 0);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_CRL_get0_nextUpdate(crl), nu), 0);
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL);
	assert_non_null(num);
	assert_int_equal(crit, 0);
	assert_int_equal(ASN1_INTEGER_get_uint64(&got, num), 1);
	assert_true(got == number);
	aki = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, &crit, NULL);
	assert_non_null(aki);
	assert_int_equal(crit, 0);
	assert_non_null(aki_keyid);
	assert_int_equal(ASN1_OCTET_STRING_cmp(aki->keyid, aki_keyid), 0);
	assert_null(aki->issuer);
	assert_null(aki->serial);
	assert_int_equal(X509_CRL_get_ext_count(crl), 2);
	revoked = X509_CRL_get_REVOKED(crl);
	assert_int_equal(sk_X509_REVOKED_num(revoked), n ? (int)n : -1); /* -1: absent */
	for (size_t i = 0; i < n; i++) {
		const X509_REVOKED *r = sk_X509_REVOKED_value(revoked, (int)i);
		ASN1_ENUMERATED *e = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, NULL, NULL);
		ASN1_GENERALIZEDTIME *g = X509_REVOKED_get_ext_d2i(r, NID_invalidity_date, NULL, NULL);
		char hex[SERIAL_HEX_MAX];
		assert_int_equal(asn1_integer_hex(X509_REVOKED_get0_serialNumber(r), hex), 0);
		assert_string_equal(hex, want[i].serial);
		assert_int_equal(ASN1_TIME_cmp_time_t(X509_REVOKED_get0_revocationDate(r), want[i].at),
		                 0);
		assert_int_equal(e != NULL ? ASN1_ENUMERATED_get(e) : 0,
		                 want[i].reason > 0 ? want[i].reason : 0);
		assert_int_equal(g != NULL, want[i].invalidity != 0);
		if (g != NULL)
			assert_int_equal(ASN1_TIME_cmp_time_t(g, want[i].invalidity), 0);
		assert_int_equal(X509_REVOKED_get_ext_count(r),
		                 (want[i].reason > 0) + (want[i].invalidity != 0));
		ASN1_ENUMERATED_free(e);
		ASN1_GENERALIZEDTIME_free(g);
	}
	AUTHORITY_KEYID_free(aki);
	ASN1_INTEGER_free(num);
	X509_CRL_free(crl);
}

static inline void
check_crl(const unsigned char *der, size_t len, X509 *ca, uint64_t number, time_t tu, time_t nu,
          const struct want_entry *want, size_t n, int sig_nid)
{
	check_crl_aki(der, len, ca, number, tu, nu, want, n, sig_nid,
	              X509_get0_subject_key_id(ca));
}

static inline edgeca_err
sign(const char *key_id, uint64_t number, time_t tu, time_t nu, struct buf *body,
     struct edgeca_msg *msg)
{
	edgeca_msg_clear(msg);
	return signer_crl_sign(pool, key_id, number, tu, nu, body, msg);
}

/* A refusal: the code, the slug, and body left as it was. */
static inline void
expect_refused(const char *key_id, uint64_t number, time_t tu, time_t nu, struct buf *body,
               edgeca_err code, const char *type)
{
	struct edgeca_msg msg;
	unsigned char *before = malloc(body->len + 1);
	size_t len = body->len;
	edgeca_err rc;

	assert_non_null(before);
	if (len > 0)
		memcpy(before, body->data, len);
	rc = sign(key_id, number, tu, nu, body, &msg);
	if (rc != code || strcmp(msg.type, type) != 0)
		fail_msg("CRL %" PRIu64 ": expected %d %s, got %d %s (%s)", number, code, type, rc,
		         msg.type, msg.detail);
	assert_int_equal(body->len, len);
	if (len > 0)
		assert_memory_equal(body->data, before, len);
	free(before);
}


/* The bytes of hex appended to b. */
static inline void
append_hex(struct buf *b, const char *hex)
{
	for (size_t i = 0; hex[i] && hex[i + 1]; i += 2) {
		unsigned v;
		unsigned char c;
		assert_int_equal(sscanf(hex + i, "%2x", &v), 1);
		c = (unsigned char)v;
		assert_int_equal(buf_append(b, &c, 1), 0);
	}
}

#endif
