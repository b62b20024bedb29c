/* What the signer refuses when asked for a CRL, against the real
 * edgeca-signer process: CRL numbers that do not increase (also after a
 * restart, and with a tampered record), entries that break its rules,
 * keys that sign no CRL, times off its clock, and requests out of their
 * session; whatever it refuses, nothing is logged as signed and no number
 * is spent. No database needed. */
#include "test_crl_signer.h"

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = calloc(1, 4097);

	assert_non_null(f);
	assert_non_null(text);
	assert_true(fread(text, 1, 4096, f) > 0);
	fclose(f);
	return text;
}

static void
spew(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
test_numbers_only_increase(void **state)
{
	char key[65], fresh[65], record[400], *text, *at;
	X509 *ca = make_ca("EC-P256", "client", "Number Root", key);
	struct buf body = {0};
	struct edgeca_msg msg;
	struct stat st;
	time_t now = time(NULL);

	X509_free(make_ca("EC-P256", "client", "Fresh Root", fresh));
	expect_refused(fresh, 0, now, now + 3600, &body, EDGECA_ERR_INVALID, "crl-number-invalid");
	assert_int_equal(sign(key, 5, now, now + 3600, &body, &msg), EDGECA_OK);
	buf_free(&body);
	expect_refused(key, 5, now, now + 3600, &body, EDGECA_ERR_CONFLICT,
	               "crl-number-not-increasing");
	expect_refused(key, 4, now, now + 3600, &body, EDGECA_ERR_CONFLICT,
	               "crl-number-not-increasing");
	/* the refusal names the last number */
	assert_int_equal(sign(key, 4, now, now + 3600, &body, &msg), EDGECA_ERR_CONFLICT);
	assert_non_null(strstr(msg.detail, "not above 5"));
	/* the signer keeps the number: a restart forgets nothing (and the
	 * pool's dead connection is replaced) */
	stop_signer();
	start_signer();
	expect_refused(key, 5, now, now + 3600, &body, EDGECA_ERR_CONFLICT,
	               "crl-number-not-increasing");
	assert_int_equal(sign(key, 6, now, now + 3600, &body, &msg), EDGECA_OK);
	check_crl(body.data, body.len, ca, 6, now, now + 3600, NULL, 0, NID_ecdsa_with_SHA256);
	buf_free(&body);

	/* the record is the signer's own: mode 0600, HMAC-protected */
	snprintf(record, sizeof(record), "%s/keys/%s.crl", state_dir, key);
	assert_int_equal(stat(record, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	text = slurp(record);
	at = strstr(text, "last_crl_number 6\n");
	assert_non_null(at);
	at[16] = '1'; /* rolled back to 1 */
	stop_signer();
	spew(record, text);
	start_signer();
	expect_refused(key, 7, now, now + 3600, &body, EDGECA_ERR_INTERNAL, "crl-state-damaged");
	at[16] = '6';
	spew(record, text);
	stop_signer();
	start_signer();
	assert_int_equal(sign(key, 7, now, now + 3600, &body, &msg), EDGECA_OK);
	free(text);
	buf_free(&body);
	X509_free(ca);
}


/* An entry the signer refuses, among good ones: the whole CRL is refused,
 * nothing is logged as signed, and the number stays free. */
static void
test_bad_entries_refused(void **state)
{
	static const char *bad[] = {
		/* an extension other than reasonCode and invalidityDate (2.5.29.99) */
		"3021020212341" "70d3233313131343232313332305a300c300a0603551d6304030a0101",
		/* a byte left over inside the entry */
		"301402021234170d3233313131343232313332305a00",
		/* a reason code of 7 */
		"3021020212341" "70d3233313131343232313332305a300c300a0603551d1504030a0107",
		/* a GeneralizedTime before 2050 */
		"301502021234180f32303233313131343232313332305a",
	};
	char key[65];
	X509 *ca = make_ca("EC-P256", "client", "Strict Root", key);
	time_t now = time(NULL);
	int lines = count_lines(log_path);
	struct want_entry *want;
	struct edgeca_msg msg;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct buf body = {0};
		/* after enough good entries to fill a chunk, so the session is
		 * well under way when the bad one arrives */
		free(make_entries(1500, &body));
		append_hex(&body, bad[i]);
		free(make_entries(10, &body));
		expect_refused(key, 1, now, now + 3600, &body, EDGECA_ERR_MALFORMED,
		               "crl-entry-malformed");
		buf_free(&body);
	}
	assert_int_equal(count_lines(log_path), lines);
	/* the client refuses what is not a run of DER SEQUENCEs before asking */
	{
		struct buf body = {0};
		append_hex(&body, "0400");
		expect_refused(key, 1, now, now + 3600, &body, EDGECA_ERR_MALFORMED,
		               "crl-entry-malformed");
		buf_free(&body);
		append_hex(&body, "3005020101");
		expect_refused(key, 1, now, now + 3600, &body, EDGECA_ERR_MALFORMED,
		               "crl-entry-malformed");
		buf_free(&body);
	}
	/* the pool survives every abandoned session, and number 1 is free */
	{
		struct buf body = {0};
		want = make_entries(20, &body);
		if (sign(key, 1, now, now + 3600, &body, &msg) != EDGECA_OK)
			fail_msg("after refusals: %s", msg.detail);
		check_crl(body.data, body.len, ca, 1, now, now + 3600, want, 20,
		          NID_ecdsa_with_SHA256);
		assert_int_equal(count_lines(log_path), lines + 1);
		free(want);
		buf_free(&body);
	}
	X509_free(ca);
}

static void
test_keys_and_times_refused(void **state)
{
	char key[65], service[65], bare[65];
	X509 *ca = make_ca("EC-P256", "client,ssl", "Time Root", key);
	X509 *svc = make_ca("EC-P256", "tls_server", "Service CA", service);
	struct edgeca_msg msg = {0};
	struct buf body = {0};
	time_t now = time(NULL);
	int lines;

	/* the service CA's key (tls_server alone) signs no CRL */
	expect_refused(service, 1, now, now + 3600, &body, EDGECA_ERR_INVALID, "crl-not-allowed");
	/* nor does a key without its CA certificate, or one that is unknown */
	assert_int_equal(signer_key_create(pool, "EC-P256", "client", 365, -1, NULL, bare, &msg),
	                 EDGECA_OK);
	expect_refused(bare, 1, now, now + 3600, &body, EDGECA_ERR_CONFLICT, "ca-not-active");
	expect_refused("0123456789abcdef0123456789abcdef", 1, now, now + 3600, &body,
	               EDGECA_ERR_NOT_FOUND, "key-not-found");
	/* times: thisUpdate within 10 minutes of the signer's clock, nextUpdate
	 * after it by at most 366 days */
	expect_refused(key, 1, now - 3600, now + 3600, &body, EDGECA_ERR_INVALID, "crl-time-invalid");
	expect_refused(key, 1, 86400, 2 * 86400, &body, EDGECA_ERR_INVALID, "crl-time-invalid");
	expect_refused(key, 1, now + 3600, now + 7200, &body, EDGECA_ERR_INVALID,
	               "crl-time-invalid");
	expect_refused(key, 1, -5, now, &body, EDGECA_ERR_INVALID, "crl-time-invalid");
	expect_refused(key, 1, now, now, &body, EDGECA_ERR_INVALID, "crl-time-invalid");
	expect_refused(key, 1, now, now - 1, &body, EDGECA_ERR_INVALID, "crl-time-invalid");
	expect_refused(key, 1, now, now + 367 * 86400, &body, EDGECA_ERR_INVALID,
	               "crl-time-invalid");
	lines = count_lines(log_path);
	assert_int_equal(sign(key, 1, now - 500, now + 366 * 86400 - 500, &body, &msg), EDGECA_OK);
	assert_int_equal(count_lines(log_path), lines + 1);
	buf_free(&body);

	X509_free(svc);
	X509_free(ca);
}

static int
raw_connect(void)
{
	struct sockaddr_un sa;
	struct timeval tv = {30, 0};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", sock_path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	return fd;
}

/* Sends w (freed here) and checks the reply: OK when code is 0, else that
 * error code and type. */
static void
raw_expect(int fd, struct signer_writer *w, uint32_t code, const char *type)
{
	struct signer_msg reply;
	uint32_t got = 0;
	char t[65] = "";

	assert_int_equal(signer_writer_finish(w), 0);
	assert_int_equal(signer_write_all(fd, w->b.data, w->b.len), 0);
	signer_writer_free(w);
	assert_int_equal(signer_read_msg(fd, &reply), 0);
	if (code == 0) {
		assert_int_equal(reply.type, SIGNER_REPLY_OK);
	} else {
		assert_int_equal(reply.type, SIGNER_REPLY_ERROR);
		assert_int_equal(signer_get_u32(&reply, SIGNER_TAG_ERROR_CODE, &got), 0);
		signer_get_str(&reply, SIGNER_TAG_ERROR_TYPE, t, sizeof(t));
		if (got != code || strcmp(t, type) != 0)
			fail_msg("expected signer error %u %s, got %u %s", code, type, got, t);
	}
	signer_msg_free(&reply);
}

static void
raw_begin(int fd, const char *key, uint64_t number, uint64_t length, uint32_t code,
          const char *type)
{
	struct signer_writer w;
	time_t now = time(NULL);

	signer_writer_init(&w, SIGNER_OP_CRL_BEGIN);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key);
	signer_put_u64(&w, SIGNER_TAG_CRL_NUMBER, number);
	signer_put_u64(&w, SIGNER_TAG_THIS_UPDATE, (uint64_t)now);
	signer_put_u64(&w, SIGNER_TAG_NEXT_UPDATE, (uint64_t)now + 3600);
	signer_put_u64(&w, SIGNER_TAG_ENTRIES_LENGTH, length);
	raw_expect(fd, &w, code, type);
}

static void
raw_finish(int fd, uint32_t code, const char *type)
{
	struct signer_writer w;

	signer_writer_init(&w, SIGNER_OP_CRL_FINISH);
	raw_expect(fd, &w, code, type);
}

/* Sessions as the signer sees them: the number is checked again when the
 * CRL is signed, so two sessions cannot both sign one number; lengths are
 * held to what was announced; an abandoned session spends nothing. */
static void
test_sessions_on_the_wire(void **state)
{
	char key[65];
	X509 *ca = make_ca("EC-P256", "client", "Session Root", key);
	int fd1 = raw_connect(), fd2 = raw_connect(), lines;
	struct buf entries = {0};
	struct signer_writer w;
	struct edgeca_msg msg;
	time_t now = time(NULL);

	free(make_entries(2, &entries));
	lines = count_lines(log_path);
	raw_begin(fd1, key, 10, 0, 0, NULL);
	raw_begin(fd2, key, 10, 0, 0, NULL);
	raw_finish(fd1, 0, NULL);
	raw_finish(fd2, SIGNER_E_CONFLICT, "crl-number-not-increasing");
	raw_finish(fd2, SIGNER_E_CONFLICT, "crl-session"); /* that ended it */
	assert_int_equal(count_lines(log_path), lines + 1);

	/* more entries than announced, or fewer */
	raw_begin(fd2, key, 11, entries.len - 1, 0, NULL);
	signer_writer_init(&w, SIGNER_OP_CRL_ENTRIES);
	signer_put_bytes(&w, SIGNER_TAG_ENTRIES, entries.data, entries.len);
	raw_expect(fd2, &w, SIGNER_E_INVALID, "crl-entries-length-mismatch");
	raw_finish(fd2, SIGNER_E_CONFLICT, "crl-session");
	raw_begin(fd2, key, 11, entries.len + 1, 0, NULL);
	signer_writer_init(&w, SIGNER_OP_CRL_ENTRIES);
	signer_put_bytes(&w, SIGNER_TAG_ENTRIES, entries.data, entries.len);
	raw_expect(fd2, &w, 0, NULL);
	raw_finish(fd2, SIGNER_E_INVALID, "crl-entries-length-mismatch");
	/* an entry cut in two across requests is refused: whole entries only */
	raw_begin(fd2, key, 11, entries.len, 0, NULL);
	signer_writer_init(&w, SIGNER_OP_CRL_ENTRIES);
	signer_put_bytes(&w, SIGNER_TAG_ENTRIES, entries.data, 10);
	raw_expect(fd2, &w, SIGNER_E_MALFORMED, "crl-entry-malformed");
	/* the announced size has a cap */
	raw_begin(fd2, key, 11, SIGNER_MAX_CRL_ENTRIES_LENGTH + 1, SIGNER_E_TOO_LARGE,
	          "crl-too-large");
	/* a session left open when its connection closes signs nothing */
	raw_begin(fd2, key, 11, 0, 0, NULL);
	close(fd2);
	close(fd1);
	assert_int_equal(count_lines(log_path), lines + 1);
	buf_free(&entries);
	if (sign(key, 11, now, now + 3600, &entries, &msg) != EDGECA_OK)
		fail_msg("after the abandoned session: %s", msg.detail);
	check_crl(entries.data, entries.len, ca, 11, now, now + 3600, NULL, 0,
	          NID_ecdsa_with_SHA256);
	buf_free(&entries);
	X509_free(ca);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers_only_increase),
		cmocka_unit_test(test_bad_entries_refused),
		cmocka_unit_test(test_keys_and_times_refused),
		cmocka_unit_test(test_sessions_on_the_wire),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, crl_signer_setup, crl_signer_teardown);
}
