/* Prometheus metrics on EDGECA_METRICS_LISTEN: the page passes `promtool
 * check metrics`; a certificate issued over REST and one over EST each
 * move edgeca_certificates_issued_total of their channel by one; requests
 * are counted under their route's pattern; a wrong EST password counts
 * as an authentication failure; the database's gauges name the CA's
 * location; no serial, subject, token or password appears in the page;
 * the listener serves GET /metrics only. The example alert rules and
 * the Grafana dashboard's queries pass `promtool check rules`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/x509.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "tests/integration/est_client.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/process.h"

/* fleet:metrics horse battery / fleet:wrong password! */
#define GOOD_PASSWORD "metrics horse battery"
#define GOOD "authorization: Basic ZmxlZXQ6bWV0cmljcyBob3JzZSBiYXR0ZXJ5"
#define BAD "authorization: Basic ZmxlZXQ6d3JvbmcgcGFzc3dvcmQh"
#define CA_BODY                                                                                  \
	"{\"common_name\": \"Metrics Root\", \"issuance\": {\"template\": \"client\"}, \"est\": "  \
	"{\"subject_policy\": \"any\", \"basic_auth\": {\"username\": \"fleet\", \"password\": " \
	"\"" GOOD_PASSWORD "\"}}}"
#define REST_CN "metrics-rest-device-4711"
#define EST_CN "metrics-est-device-0815"
#define ISSUE_ROUTE "/api/v1/cas/:ca_id/certificates"
#define EST_ROUTE "/est/:ca_id/:location/.well-known/est/simpleenroll"

static struct instance in;
static char ca_id[64], metrics_env[64];
static unsigned metrics_port;

static void
fixture_before(void)
{
	metrics_port = free_port();
	snprintf(metrics_env, sizeof(metrics_env), "EDGECA_METRICS_LISTEN=127.0.0.1:%u",
	         metrics_port);
	in.extra_env[0] = metrics_env;
}

static void
fixture_ready(void)
{
	http_create_ca(&in, CA_BODY, ca_id);
}

static const struct fixture fx = {
	.in = &in,
	.name = "metrics",
	.before = fixture_before,
	.ready = fixture_ready,
};

static size_t
collect(char *data, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	return buf_append(b, data, size * n) == 0 ? size * n : 0;
}

/* One plain HTTP request to the metrics listener; the status, the body
 * in *body (malloc'ed text) when body is not NULL. */
static long
metrics_call(const char *method, const char *path, char **body)
{
	CURL *c = curl_easy_init();
	struct buf b = {0};
	char url[128];
	long status = 0;

	assert_non_null(c);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", metrics_port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	assert_int_equal(buf_terminate(&b), 0);
	if (body != NULL)
		*body = (char *)buf_take(&b, NULL);
	buf_free(&b);
	return status;
}

static char *
scrape(void)
{
	char *body = NULL;

	assert_int_equal(metrics_call("GET", "/metrics", &body), 200);
	return body;
}

/* The sum of the samples of name whose labels include every one of
 * want (label="value" strings, NULL-terminated). */
static double
sample_sum(const char *page, const char *name, const char *const *want)
{
	size_t name_len = strlen(name);
	double sum = 0;

	for (const char *line = page; line != NULL && *line != '\0';) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char *copy = strndup(line, len);
		bool match = strncmp(copy, name, name_len) == 0 && copy[name_len] == '{';
		for (int i = 0; match && want[i] != NULL; i++)
			match = strstr(copy, want[i]) != NULL;
		if (match)
			sum += strtod(strrchr(copy, ' ') + 1, NULL);
		free(copy);
		line = end ? end + 1 : NULL;
	}
	return sum;
}

static double
issued(const char *page, const char *channel)
{
	char ca[96], ch[32];
	const char *want[] = {ca, ch, NULL};

	snprintf(ca, sizeof(ca), "ca_id=\"%s\"", ca_id);
	snprintf(ch, sizeof(ch), "channel=\"%s\"", channel);
	return sample_sum(page, "edgeca_certificates_issued_total", want);
}

static double
requests(const char *page, const char *listener, const char *route, const char *code)
{
	char l[64], r[128], c[32];
	const char *want[] = {l, r, c, NULL};

	snprintf(l, sizeof(l), "listener=\"%s\"", listener);
	snprintf(r, sizeof(r), "route=\"%s\"", route);
	snprintf(c, sizeof(c), "code=\"%s\"", code);
	return sample_sum(page, "edgeca_http_requests_total", want);
}

/* A request is counted once its answer is sent, which its client may see
 * first: scrapes until the count reaches want (or gives up after a few
 * seconds and returns the last page). */
static char *
scrape_until(const char *listener, const char *route, const char *code, double want)
{
	char *page = scrape();

	for (int i = 0; i < 100 && requests(page, listener, route, code) < want; i++) {
		free(page);
		sleep_ms(50);
		page = scrape();
	}
	return page;
}

/* `promtool <args> <path>`: its exit status. */
static int
promtool(const char *args, const char *path)
{
	return process_sh("promtool %s %s >&2", args, path);
}

static void
check_page(const char *page)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/metrics-page.txt", in.data_dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(page, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(promtool("check metrics <", path), 0);
}

static long
est_enroll(const char *auth, const char *cn)
{
	const char *headers[] = {"content-type: application/pkcs10", auth, NULL};
	struct est_tls tls = {0};
	X509_REQ *csr = est_make_csr(cn, false, NULL);
	unsigned char *der = NULL;
	int n = i2d_X509_REQ(csr, &der);
	char *b64 = base64_encode(der, (size_t)n, 64), path[300];
	struct http_response r;
	long status;

	snprintf(path, sizeof(path), "/est/%s/default/.well-known/est/simpleenroll", ca_id);
	status = est_request(&in, &tls, "POST", path, headers, b64, strlen(b64), &r);
	http_response_free(&r);
	OPENSSL_free(der);
	free(b64);
	X509_REQ_free(csr);
	return status;
}

static void
test_page_passes_promtool(void **state)
{
	char *page;

	(void)state;
	page = scrape();
	check_page(page);
	assert_non_null(strstr(page, "\nedgeca_build_info{version=\""));
	assert_non_null(strstr(page, "\nedgeca_db_pool_connections{state=\"in_use\"} "));
	assert_non_null(strstr(page, "\nedgeca_signer_pool_connections{state=\"size\"} "));
	assert_non_null(strstr(page, "\nedgeca_notification_deliveries{state=\"failed\"} "));
	free(page);
}

static void
test_issuance_moves_the_counters(void **state)
{
	char *before, *after, serial[80], *upper, raw_route[128];
	double api_before, est_before;
	EVP_PKEY *key = NULL;
	X509 *cert;

	(void)state;
	before = scrape();
	api_before = requests(before, "api", ISSUE_ROUTE, "2xx");
	est_before = requests(before, "est", EST_ROUTE, "2xx");
	cert = http_issue_cert(&in, ca_id, REST_CN, &key, serial);
	assert_int_equal(est_enroll(GOOD, EST_CN), 200);
	after = scrape_until("est", EST_ROUTE, "2xx", est_before + 1);
	free(after);
	after = scrape_until("api", ISSUE_ROUTE, "2xx", api_before + 1);
	check_page(after);

	assert_true(issued(after, "rest") == issued(before, "rest") + 1);
	assert_true(issued(after, "est") == issued(before, "est") + 1);
	assert_true(requests(after, "api", ISSUE_ROUTE, "2xx") == api_before + 1);
	assert_true(requests(after, "est", EST_ROUTE, "2xx") == est_before + 1);
	assert_non_null(strstr(after, "edgeca_signer_call_duration_seconds_count{operation=\"issue\","
	                              "result=\"ok\"}"));
	/* the route's pattern, never the path with the CA's id */
	snprintf(raw_route, sizeof(raw_route), "route=\"/api/v1/cas/%s", ca_id);
	assert_null(strstr(after, raw_route));
	assert_non_null(strstr(after, "route=\"" ISSUE_ROUTE "\""));

	/* nothing a request carried: serials, subjects, token, password */
	assert_true(strlen(serial) > 8);
	upper = strdup(serial);
	for (char *p = upper; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	assert_null(strcasestr(after, serial));
	assert_null(strcasestr(after, upper));
	assert_null(strstr(after, REST_CN));
	assert_null(strstr(after, EST_CN));
	assert_null(strstr(after, "Metrics Root"));
	assert_null(strstr(after, in.admin_token));
	assert_null(strstr(after, GOOD_PASSWORD));
	free(upper);
	X509_free(cert);
	EVP_PKEY_free(key);
	free(before);
	free(after);
}

static void
test_est_auth_failure_counted(void **state)
{
	const char *want[] = {"reason=\"est-basic-auth\"", NULL};
	char *before, *after;

	(void)state;
	before = scrape();
	assert_int_equal(est_enroll(BAD, "metrics-wrong-password"), 401);
	after = scrape_until("est", EST_ROUTE, "4xx", requests(before, "est", EST_ROUTE, "4xx") + 1);
	assert_true(sample_sum(after, "edgeca_est_auth_failures_total", want) ==
	            sample_sum(before, "edgeca_est_auth_failures_total", want) + 1);
	assert_null(strstr(after, "wrong password"));
	free(before);
	free(after);
}

static void
test_database_gauges(void **state)
{
	char ca[96], not_after[160];
	const char *want[] = {ca, "location=\"default\"", NULL};
	char *page;

	(void)state;
	snprintf(ca, sizeof(ca), "ca_id=\"%s\"", ca_id);
	snprintf(not_after, sizeof(not_after),
	         "\nedgeca_ca_not_after_timestamp_seconds{ca_id=\"%s\",location=\"default\"} ",
	         ca_id);
	page = scrape();
	assert_non_null(strstr(page, not_after));
	/* a notAfter in the future, years away for a new root */
	assert_true(sample_sum(page, "edgeca_ca_not_after_timestamp_seconds", want) >
	            now_s() + 365 * 86400.0);
	/* the CA's first CRL was made with its key */
	assert_true(sample_sum(page, "edgeca_crl_next_update_timestamp_seconds", want) > now_s());
	assert_non_null(strstr(page, "\nedgeca_metrics_database_up 1\n"));
	free(page);
}

static void
test_other_paths_and_methods(void **state)
{
	(void)state;
	assert_int_equal(metrics_call("GET", "/", NULL), 404);
	assert_int_equal(metrics_call("GET", "/metrics/x", NULL), 404);
	assert_int_equal(metrics_call("GET", "/api/v1/cas", NULL), 404);
	assert_int_equal(metrics_call("POST", "/metrics", NULL), 405);
	assert_int_equal(metrics_call("DELETE", "/metrics", NULL), 405);
}

static void
test_alert_rules_pass_promtool(void **state)
{
	char *path = NULL;

	(void)state;
	xasprintf(&path, "%s/docs/prometheus/alerts.yml", getenv("EDGECA_TEST_SRC_DIR"));
	assert_int_equal(promtool("check rules", path), 0);
	free(path);
}

/* expr with Grafana's variables given values Prometheus parses. */
static void
write_expr(FILE *f, const char *expr)
{
	for (const char *p = expr; *p != '\0'; p++) {
		if (strncmp(p, "$__rate_interval", 16) == 0) {
			fputs("5m", f);
			p += 15;
		} else if (strncmp(p, "$instance", 9) == 0) {
			fputs(".*", f);
			p += 8;
		} else if (*p == '\'') {
			fputs("''", f); /* YAML single-quoted */
		} else {
			fputc(*p, f);
		}
	}
}

/* Every query of the Grafana dashboard parses as PromQL: each becomes a
 * recording rule that `promtool check rules` reads. */
static void
test_dashboard_queries_parse(void **state)
{
	char *src = NULL, path[256];
	json_error_t err;
	json_t *dash, *panel, *target;
	size_t i, k, n = 0;
	FILE *f;

	(void)state;
	xasprintf(&src, "%s/docs/grafana/edgeca-dashboard.json", getenv("EDGECA_TEST_SRC_DIR"));
	dash = json_load_file(src, 0, &err);
	assert_non_null(dash);
	snprintf(path, sizeof(path), "%s/dashboard-rules.yml", in.data_dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("groups:\n  - name: dashboard\n    rules:\n", f);
	json_array_foreach(json_object_get(dash, "panels"), i, panel) {
		json_array_foreach(json_object_get(panel, "targets"), k, target) {
			const char *expr = json_string_value(json_object_get(target, "expr"));
			assert_non_null(expr);
			fprintf(f, "      - record: dashboard:query_%zu\n        expr: '", n++);
			write_expr(f, expr);
			fputs("'\n", f);
		}
	}
	assert_int_equal(fclose(f), 0);
	assert_true(n >= 9);
	assert_int_equal(promtool("check rules", path), 0);
	json_decref(dash);
	free(src);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_passes_promtool),
		cmocka_unit_test(test_issuance_moves_the_counters),
		cmocka_unit_test(test_est_auth_failure_counted),
		cmocka_unit_test(test_database_gauges),
		cmocka_unit_test(test_other_paths_and_methods),
		cmocka_unit_test(test_alert_rules_pass_promtool),
		cmocka_unit_test(test_dashboard_queries_parse),
	};

	return fixture_run_tests(tests, &fx);
}
