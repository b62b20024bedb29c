/* Idempotency-Key on the POSTs that create: a retry with the same key and
 * request answers the first answer (marked Idempotency-Replayed) and
 * creates nothing more, for certificates (JSON and raw CSR), CAs, tokens
 * and revocations; another request under the key is 422; another token's
 * key of the same name is its own; concurrent retries run once; a second
 * server on the database honours the key; a key older than 24 hours runs
 * again and is purged by the scheduler; a refused request keeps nothing;
 * malformed keys are 400; a kept token answer holds no plaintext secret
 * in the database. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"

static struct instance in;
static char admin2[128];
static char root_id[64];

static const struct fixture fx = {
	.in = &in,
	.name = "idempotency",
	.env = {"EDGECA_SCHEDULER_INTERVAL=1"}, /* the purge runs every second */
	.tokens = {{"pki_admin", "admin-two", admin2, sizeof(admin2)}},
	.ca_json = "{\"common_name\": \"Idempotency Root\", \"issuance\": {\"template\": \"client\"}}",
	.ca_id = root_id,
};

/* POSTs body (JSON unless content_type says) to path on server as token
 * with "Idempotency-Key: key" (key NULL: no header). */
static long
post_key(struct instance *server, const char *token, const char *path, const char *key,
         const char *content_type, const char *body, struct http_response *r)
{
	char header[400];
	const char *headers[] = {header, NULL};

	snprintf(header, sizeof(header), "Idempotency-Key: %s", key != NULL ? key : "");
	return http_call_h(server, "POST", path, token,
	                   content_type != NULL ? content_type : "application/json", body,
	                   strlen(body), key != NULL ? headers : NULL, r);
}

/* The count a SELECT count(*) answers. */
static long count(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static long
count(const char *fmt, ...)
{
	va_list ap;
	char *sql = NULL, *v;
	long n;

	va_start(ap, fmt);
	assert_true(vasprintf(&sql, fmt, ap) >= 0);
	va_end(ap);
	v = instance_sql(&in, "%s", sql);
	assert_non_null(v);
	n = atol(v);
	free(v);
	free(sql);
	return n;
}

/* The two answers are the same answer: status, body, Location; the
 * second (only) marked as a replay. Frees both. */
static void
expect_replay(long status, struct http_response *first, struct http_response *second)
{
	const char *loc1 = http_header(first, "location"), *loc2 = http_header(second, "location");

	assert_int_equal(first->status, status);
	assert_int_equal(second->status, status);
	assert_null(http_header(first, "idempotency-replayed"));
	assert_non_null(http_header(second, "idempotency-replayed"));
	assert_string_equal(http_header(second, "idempotency-replayed"), "true");
	assert_string_equal(first->content_type, second->content_type);
	assert_int_equal(first->body_len, second->body_len);
	assert_memory_equal(first->body, second->body, first->body_len);
	assert_true((loc1 == NULL) == (loc2 == NULL));
	if (loc1 != NULL)
		assert_string_equal(loc1, loc2);
	http_response_free(first);
	http_response_free(second);
}

static char *
csr_json(const char *cn)
{
	char *csr = make_csr("EC-P256", cn, NULL, NULL), *text;
	json_t *j = json_pack("{s:s}", "csr", csr);

	assert_non_null(j);
	text = json_dumps(j, 0);
	assert_non_null(text);
	json_decref(j);
	free(csr);
	return text;
}

static void
certificates_path(char *path, size_t len)
{
	snprintf(path, len, "/api/v1/cas/%s/certificates", root_id);
}

static void
test_certificate_retry(void **state)
{
	char path[128], *body = csr_json("idem-json"), *csr = make_csr("EC-P256", "idem-raw", NULL,
	                                                                 NULL);
	struct http_response a, b;

	(void)state;
	certificates_path(path, sizeof(path));
	post_key(&in, in.admin_token, path, "cert-json-1", NULL, body, &a);
	post_key(&in, in.admin_token, path, "cert-json-1", NULL, body, &b);
	expect_replay(201, &a, &b);
	assert_int_equal(count("SELECT count(*) FROM certificates WHERE common_name = '%s'",
	                       "idem-json"), 1);
	/* a raw CSR upload, with its options in the query */
	strncat(path, "?template=client", sizeof(path) - strlen(path) - 1);
	post_key(&in, in.admin_token, path, "cert-raw-1", "application/pkcs10", csr, &a);
	post_key(&in, in.admin_token, path, "cert-raw-1", "application/pkcs10", csr, &b);
	expect_replay(201, &a, &b);
	assert_int_equal(count("SELECT count(*) FROM certificates WHERE common_name = '%s'",
	                       "idem-raw"), 1);
	free(body);
	free(csr);
}

static void
test_other_request_same_key(void **state)
{
	char path[128], *one = csr_json("idem-one"), *two = csr_json("idem-two");
	struct http_response r;

	(void)state;
	certificates_path(path, sizeof(path));
	http_expect(201, NULL, post_key(&in, in.admin_token, path, "cert-other", NULL, one, &r),
	            &r);
	http_expect(422, "idempotency-key-reused",
	            post_key(&in, in.admin_token, path, "cert-other", NULL, two, &r), &r);
	/* the same body elsewhere (another path) is another request too */
	http_expect(422, "idempotency-key-reused",
	            post_key(&in, in.admin_token, "/api/v1/cas", "cert-other", NULL,
	                     "{\"common_name\": \"Elsewhere\"}", &r),
	            &r);
	assert_int_equal(count("SELECT count(*) FROM certificates WHERE common_name = '%s'",
	                       "idem-two"), 0);
	free(one);
	free(two);
}

static void
test_ca_retry(void **state)
{
	const char *body = "{\"common_name\": \"Idem Retry CA\"}";
	struct http_response a, b;

	(void)state;
	post_key(&in, in.admin_token, "/api/v1/cas", "ca-1", NULL, body, &a);
	post_key(&in, in.admin_token, "/api/v1/cas", "ca-1", NULL, body, &b);
	expect_replay(201, &a, &b);
	assert_int_equal(count("SELECT count(*) FROM cas WHERE common_name = '%s'",
	                       "Idem Retry CA"), 1);
}

static void
test_token_retry_keeps_no_plaintext(void **state)
{
	const char *body = "{\"name\": \"idem-token\", \"role\": \"auditor\"}";
	struct http_response a, b, r;
	char secret[128];

	(void)state;
	post_key(&in, in.admin_token, "/api/v1/tokens", "token-1", NULL, body, &a);
	post_key(&in, in.admin_token, "/api/v1/tokens", "token-1", NULL, body, &b);
	assert_int_equal(a.status, 201);
	snprintf(secret, sizeof(secret), "%s", http_json_str(&a, "token"));
	assert_true(strlen(secret) > 20);
	assert_string_equal(http_json_str(&b, "token"), secret);
	expect_replay(201, &a, &b);
	assert_int_equal(count("SELECT count(*) FROM api_tokens WHERE name = '%s'", "idem-token"),
	                 1);
	/* the kept answer is in the database, sealed: its secret is not */
	assert_int_equal(count("SELECT count(*) FROM idempotency_keys WHERE key = '%s' "
	                       "AND state = 'done'", "token-1"), 1);
	assert_int_equal(count("SELECT count(*) FROM idempotency_keys WHERE "
	                       "position(convert_to('%s', 'UTF8') IN body) > 0 OR "
	                       "position('idem-token' IN encode(body, 'escape')) > 0",
	                       secret), 0);
	/* and the replayed secret is the token's */
	http_expect(200, NULL, http_get(&in, "/api/v1/cas", secret, &r), &r);
}

static void
test_revocation_retry(void **state)
{
	char path[200], serial[80];
	const char *body = "{\"reason\": \"keyCompromise\"}";
	struct http_response a, b, r;

	(void)state;
	r = http_issue(&in, root_id, NULL, "idem-revoked");
	snprintf(serial, sizeof(serial), "%s", http_json_str(&r, "serial_number"));
	http_response_free(&r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s/revoke", root_id, serial);
	post_key(&in, in.admin_token, path, "revoke-1", NULL, body, &a);
	post_key(&in, in.admin_token, path, "revoke-1", NULL, body, &b);
	expect_replay(200, &a, &b);
	assert_int_equal(count("SELECT count(*) FROM audit_events WHERE object_id = '%s/%s' "
	                       "AND action = 'certificate.revoke'", root_id, serial), 1);
	/* the key is checked before the revocation's own rules */
	http_expect(422, "idempotency-key-reused",
	            post_key(&in, in.admin_token, path, "revoke-1", NULL,
	                     "{\"reason\": \"superseded\"}", &r),
	            &r);
}

static void
test_keys_are_per_token(void **state)
{
	char path[128], *body = csr_json("idem-per-token");
	struct http_response a, b;

	(void)state;
	certificates_path(path, sizeof(path));
	post_key(&in, in.admin_token, path, "shared-name", NULL, body, &a);
	post_key(&in, admin2, path, "shared-name", NULL, body, &b);
	assert_int_equal(a.status, 201);
	assert_int_equal(b.status, 201);
	assert_null(http_header(&b, "idempotency-replayed"));
	assert_string_not_equal(http_json_str(&a, "serial_number"),
	                        http_json_str(&b, "serial_number"));
	assert_int_equal(count("SELECT count(*) FROM certificates WHERE common_name = '%s'",
	                       "idem-per-token"), 2);
	http_response_free(&a);
	http_response_free(&b);
	free(body);
}

struct racer {
	const char *path;
	const char *body;
	struct http_response r;
};

static void *
race(void *arg)
{
	struct racer *x = arg;
	const char *headers[] = {"Idempotency-Key: race-1", NULL};

	http_call_h(&in, "POST", x->path, in.admin_token, "application/json", x->body,
	            strlen(x->body), headers, &x->r);
	return NULL;
}

static void
test_concurrent_retries_run_once(void **state)
{
	char path[128], *body = csr_json("idem-race"), *log_dir;
	struct racer x[2];
	pthread_t t[2];
	int created = 0;

	(void)state;
	certificates_path(path, sizeof(path));
	/* the threads' exchanges are recorded afterwards, one at a time */
	log_dir = getenv("EDGECA_TEST_EXCHANGES") ? strdup(getenv("EDGECA_TEST_EXCHANGES")) : NULL;
	unsetenv("EDGECA_TEST_EXCHANGES");
	for (int i = 0; i < 2; i++) {
		x[i] = (struct racer){path, body, {0}};
		assert_int_equal(pthread_create(&t[i], NULL, race, &x[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	if (log_dir != NULL)
		setenv("EDGECA_TEST_EXCHANGES", log_dir, 1);
	for (int i = 0; i < 2; i++) {
		http_record("api", "POST", path, &x[i].r);
		if (x[i].r.status == 201 && http_header(&x[i].r, "idempotency-replayed") == NULL)
			created++;
		else if (x[i].r.status == 409)
			assert_string_equal(http_problem_type(&x[i].r), "idempotency-key-in-use");
		else
			assert_int_equal(x[i].r.status, 201); /* the replay */
		http_response_free(&x[i].r);
	}
	assert_int_equal(created, 1);
	assert_int_equal(count("SELECT count(*) FROM certificates WHERE common_name = '%s'",
	                       "idem-race"), 1);
	free(log_dir);
	free(body);
}

static void
test_second_server_honours_key(void **state)
{
	struct instance second;
	char path[128], *body = csr_json("idem-two-servers");
	struct http_response a, b;

	(void)state;
	instance_start_pair(&second, &in);
	certificates_path(path, sizeof(path));
	post_key(&in, in.admin_token, path, "two-servers", NULL, body, &a);
	post_key(&second, in.admin_token, path, "two-servers", NULL, body, &b);
	expect_replay(201, &a, &b);
	assert_int_equal(count("SELECT count(*) FROM certificates WHERE common_name = '%s'",
	                       "idem-two-servers"), 1);
	instance_destroy_pair(&second);
	free(body);
}

static void
test_expired_key_runs_again(void **state)
{
	char path[128], *body = csr_json("idem-expired");
	struct http_response a, b;

	(void)state;
	certificates_path(path, sizeof(path));
	http_expect(201, NULL, post_key(&in, in.admin_token, path, "expired-1", NULL, body, &a),
	            &a);
	free(instance_sql(&in, "UPDATE idempotency_keys SET created_at = now() - "
	                       "interval '24 hours 1 minute' WHERE key = 'expired-1'"));
	post_key(&in, in.admin_token, path, "expired-1", NULL, body, &b);
	assert_int_equal(b.status, 201);
	assert_null(http_header(&b, "idempotency-replayed"));
	http_response_free(&b);
	assert_int_equal(count("SELECT count(*) FROM certificates WHERE common_name = '%s'",
	                       "idem-expired"), 2);
	free(body);
}

/* The scheduler deletes keys past their 24 hours, and only those. */
static void
test_expired_keys_purged(void **state)
{
	char path[128], *body = csr_json("idem-purged");
	struct http_response r;
	int tries = 0;

	(void)state;
	certificates_path(path, sizeof(path));
	http_expect(201, NULL, post_key(&in, in.admin_token, path, "purged-1", NULL, body, &r), &r);
	free(instance_sql(&in, "UPDATE idempotency_keys SET created_at = now() - "
	                       "interval '24 hours 1 minute' WHERE key = 'purged-1'"));
	while (count("SELECT count(*) FROM idempotency_keys WHERE key = '%s'", "purged-1") > 0 &&
	       tries++ < 300)
		sleep_ms(100);
	assert_int_equal(count("SELECT count(*) FROM idempotency_keys WHERE key = '%s'",
	                       "purged-1"), 0);
	assert_true(count("SELECT count(*) FROM idempotency_keys WHERE key = '%s'", "ca-1") == 1);
	free(body);
}

static void
test_refused_request_keeps_nothing(void **state)
{
	char path[128], *good = csr_json("idem-after-refusal");
	struct http_response r;

	(void)state;
	certificates_path(path, sizeof(path));
	http_expect(400, NULL,
	            post_key(&in, in.admin_token, path, "refused-1", NULL, "{\"csr\": \"nope\"}", &r),
	            &r);
	assert_int_equal(count("SELECT count(*) FROM idempotency_keys WHERE key = '%s'",
	                       "refused-1"), 0);
	/* the corrected request may use the key */
	http_expect(201, NULL, post_key(&in, in.admin_token, path, "refused-1", NULL, good, &r),
	            &r);
	free(good);
}

static void
test_bad_keys(void **state)
{
	char path[128], *body = csr_json("idem-bad-key"), long_key[300], max_key[300];
	const char *bad[] = {"", "\"\"", "a\tb", "a\x7f" "b", "cl\xc3\xa9", "\"a\\b\"", long_key};
	struct http_response r;

	(void)state;
	certificates_path(path, sizeof(path));
	memset(long_key, 'k', 256);
	long_key[256] = '\0';
	memset(max_key, 'm', 255);
	max_key[255] = '\0';
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char header[400];
		const char *headers[] = {header, NULL};

		/* "Name;" is how curl sends a header with an empty value */
		if (bad[i][0] == '\0')
			snprintf(header, sizeof(header), "Idempotency-Key;");
		else
			snprintf(header, sizeof(header), "Idempotency-Key: %s", bad[i]);
		http_expect(400, "idempotency-key-invalid",
		            http_call_h(&in, "POST", path, in.admin_token, "application/json", body,
		                        strlen(body), headers, &r),
		            &r);
	}
	assert_int_equal(count("SELECT count(*) FROM certificates WHERE common_name = '%s'",
	                       "idem-bad-key"), 0);
	/* 255 characters, and the structured-field string form, are keys */
	http_expect(201, NULL, post_key(&in, in.admin_token, path, max_key, NULL, body, &r), &r);
	free(body);
	body = csr_json("idem-quoted");
	http_expect(201, NULL, post_key(&in, in.admin_token, path, "\"quoted key\"", NULL, body, &r),
	            &r);
	assert_int_equal(count("SELECT count(*) FROM idempotency_keys WHERE key = '%s'",
	                       "quoted key"), 1);
	free(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_certificate_retry),
		cmocka_unit_test(test_other_request_same_key),
		cmocka_unit_test(test_ca_retry),
		cmocka_unit_test(test_token_retry_keeps_no_plaintext),
		cmocka_unit_test(test_revocation_retry),
		cmocka_unit_test(test_keys_are_per_token),
		cmocka_unit_test(test_concurrent_retries_run_once),
		cmocka_unit_test(test_second_server_honours_key),
		cmocka_unit_test(test_expired_key_runs_again),
		cmocka_unit_test(test_expired_keys_purged),
		cmocka_unit_test(test_refused_request_keeps_nothing),
		cmocka_unit_test(test_bad_keys),
	};

	return fixture_run_tests(tests, &fx);
}
