/* The CA names in the EST listener's TLS certificate request, against the
 * real server, signer and PostgreSQL, read by an OpenSSL client
 * (SSL_get_client_CA_list in its certificate callback): the CAs whose
 * client certificates EST accepts, followed while the server runs (a CA
 * made after the start, a changed anchor list, EST turned off), never the
 * service CA or the listener's own certificate; a hint only (a client
 * with another certificate still completes its handshake and edgeca
 * answers it); and bounded, with many CAs, with one warning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include "tests/integration/est_client.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"

/* The listener reloads the names every 5 s: allow for a loaded machine. */
#define WAIT_S 60

static struct instance in;

static const struct fixture fx = {
	.in = &in,
	.name = "listener_ca_names",
};

struct request_seen {
	bool asked;
	STACK_OF(X509_NAME) *names;
};

static int
on_certificate_request(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
	struct request_seen *s = SSL_get_app_data(ssl);
	const STACK_OF(X509_NAME) *names = SSL_get_client_CA_list(ssl);

	(void)x509;
	(void)pkey;
	s->asked = true;
	s->names = sk_X509_NAME_new_null();
	for (int i = 0; s->names != NULL && names != NULL && i < sk_X509_NAME_num(names); i++)
		sk_X509_NAME_push(s->names, X509_NAME_dup(sk_X509_NAME_value(names, i)));
	return 0; /* no certificate */
}

/* The CA names of the EST listener's certificate request at version;
 * *listener receives the listener's certificate when not NULL. */
static STACK_OF(X509_NAME) *
ca_names(int version, X509 **listener)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)in.est_port)};
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	struct request_seen s = {0};
	SSL *ssl;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_set_min_proto_version(ctx, version), 1);
	assert_int_equal(SSL_CTX_set_max_proto_version(ctx, version), 1);
	SSL_CTX_set_client_cert_cb(ctx, on_certificate_request);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ssl = SSL_new(ctx);
	SSL_set_app_data(ssl, &s);
	SSL_set_fd(ssl, fd);
	assert_int_equal(SSL_connect(ssl), 1);
	if (listener != NULL)
		*listener = SSL_get1_peer_certificate(ssl);
	SSL_shutdown(ssl);
	ERR_clear_error();
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	assert_true(s.asked);
	assert_non_null(s.names);
	return s.names;
}

static bool
has_name(const STACK_OF(X509_NAME) *names, const X509_NAME *want)
{
	for (int i = 0; i < sk_X509_NAME_num(names); i++)
		if (X509_NAME_cmp(sk_X509_NAME_value(names, i), want) == 0)
			return true;
	return false;
}

/* Waits until the TLS 1.2 and 1.3 requests name every one of with and
 * none of without (NULL-terminated). */
static void
wait_names(X509 *const *with, X509 *const *without, const char *what)
{
	const int versions[] = {TLS1_2_VERSION, TLS1_3_VERSION};

	for (int t = 0; t < WAIT_S * 4; t++) {
		bool ok = true;
		for (size_t v = 0; v < 2 && ok; v++) {
			STACK_OF(X509_NAME) *names = ca_names(versions[v], NULL);
			for (size_t i = 0; with[i] != NULL; i++)
				ok = ok && has_name(names, X509_get_subject_name(with[i]));
			for (size_t i = 0; without[i] != NULL; i++)
				ok = ok && !has_name(names, X509_get_subject_name(without[i]));
			sk_X509_NAME_pop_free(names, X509_NAME_free);
		}
		if (ok)
			return;
		usleep(250000);
	}
	fail_msg("after %d s the EST certificate request still does not name %s", WAIT_S, what);
}

static void
patch_ca(const char *ca_id, const char *body)
{
	char path[128];
	struct http_response r;

	snprintf(path, sizeof(path), "/api/v1/cas/%s", ca_id);
	http_expect(200, NULL, http_call(&in, "PATCH", path, in.admin_token, "application/json",
	                                 body, strlen(body), &r), &r);
}

static void
set_anchor(const char *ca_id, X509 *anchor)
{
	char *pem = cert_pem(anchor), *text;
	json_t *j = json_pack("{s:{s:[s]}}", "est", "bootstrap_trust", pem);

	text = json_dumps(j, 0);
	patch_ca(ca_id, text);
	free(text);
	json_decref(j);
	free(pem);
}

/* The CA's certificate (its first location's). */
static X509 *
ca_cert(const char *ca_id)
{
	char path[128];
	struct http_response r;
	X509 *x;

	snprintf(path, sizeof(path), "/api/v1/cas/%s", ca_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	x = http_location_cert(&r, "default");
	assert_non_null(x);
	http_response_free(&r);
	return x;
}

/* The names follow the CAs while the server runs, and never name the
 * service CA or the listener's own certificate. */
static void
test_names_follow_the_cas(void **state)
{
	EVP_PKEY *k1 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *k2 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *anchor1 = pki_make_cert("Factory Anchor One", k1, NULL, NULL, true, NULL, 3650);
	X509 *anchor2 = pki_make_cert("Factory Anchor Two", k2, NULL, NULL, true, NULL, 3650);
	char *service_pem = read_file(in.ca_file, NULL), ca_id[64];
	X509 *service = pem_cert(service_pem), *listener = NULL, *fleet;
	STACK_OF(X509_NAME) *names;

	(void)state;
	assert_non_null(service);
	names = ca_names(TLS1_2_VERSION, &listener);
	assert_non_null(listener);
	sk_X509_NAME_pop_free(names, X509_NAME_free);
	/* a CA made while the server runs, and a bootstrap anchor of it */
	http_create_ca(&in, "{\"common_name\": \"Late Fleet CA\", \"organization\": \"Contoso\", "
	                    "\"issuance\": {\"template\": \"client\"}}", ca_id);
	fleet = ca_cert(ca_id);
	set_anchor(ca_id, anchor1);
	{
		X509 *with[] = {fleet, anchor1, NULL}, *without[] = {service, listener, NULL};
		wait_names(with, without, "the new CA and its anchor");
	}
	/* another anchor list */
	set_anchor(ca_id, anchor2);
	{
		X509 *with[] = {fleet, anchor2, NULL}, *without[] = {anchor1, service, NULL};
		wait_names(with, without, "the changed anchor list");
	}
	/* EST turned off: the CA and its anchor are no longer named */
	patch_ca(ca_id, "{\"est\": {\"enabled\": false}}");
	{
		X509 *with[] = {NULL}, *without[] = {fleet, anchor2, NULL};
		wait_names(with, without, "no more the CA whose EST is off");
	}
	patch_ca(ca_id, "{\"est\": {\"enabled\": true}}");
	{
		X509 *with[] = {fleet, anchor2, NULL}, *without[] = {NULL};
		wait_names(with, without, "the CA whose EST is on again");
	}
	X509_free(anchor1);
	X509_free(anchor2);
	X509_free(fleet);
	X509_free(service);
	X509_free(listener);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	free(service_pem);
}

/* The names are a hint: a client with a certificate from a CA that is not
 * named completes its handshake and is answered by edgeca (401 for an
 * enrollment, 200 for cacerts, which needs no client certificate); a
 * device of a named CA enrolls. */
static void
test_names_are_a_hint(void **state)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), *dev_key = NULL;
	X509 *stranger = pki_make_cert("stranger-1", key, NULL, NULL, false, "clientAuth", 30);
	struct est_tls unknown = {stranger, NULL, key, NULL, TLS1_2_VERSION};
	struct est_tls device = {NULL, NULL, NULL, NULL, 0};
	char ca_id[64], base[160], path[200];
	struct http_response r;
	X509_REQ *csr;

	(void)state;
	http_create_ca(&in, "{\"common_name\": \"Hint Fleet CA\", "
	                    "\"issuance\": {\"template\": \"client\"}}", ca_id);
	snprintf(base, sizeof(base), "/est/%s/default/.well-known/est", ca_id);
	snprintf(path, sizeof(path), "%s/cacerts", base);
	assert_int_equal(est_request(&in, &unknown, "GET", path, NULL, NULL, 0, &r), 200);
	http_response_free(&r);
	csr = est_make_csr("stranger-1", false, NULL);
	assert_int_equal(est_aziot_enroll(&in, &unknown, base, csr, &r), 401);
	http_response_free(&r);
	X509_REQ_free(csr);
	device.cert = http_issue_cert(&in, ca_id, "hinted-device", &dev_key, NULL);
	device.key = dev_key;
	csr = est_make_csr("hinted-device", false, NULL);
	assert_int_equal(est_aziot_enroll(&in, &device, base, csr, &r), 200);
	http_response_free(&r);
	X509_REQ_free(csr);
	X509_free(device.cert);
	X509_free(stranger);
	EVP_PKEY_free(dev_key);
	EVP_PKEY_free(key);
}

/* The bytes the names take in a certificate request. */
static size_t
names_bytes(const STACK_OF(X509_NAME) *names)
{
	size_t total = 0;

	for (int i = 0; i < sk_X509_NAME_num(names); i++)
		total += 2 + (size_t)i2d_X509_NAME(sk_X509_NAME_value(names, i), NULL);
	return total;
}

static int
count_in_log(const char *needle)
{
	char path[200], *log, *p;
	int n = 0;

	snprintf(path, sizeof(path), "%s/server.log", in.data_dir);
	log = read_file(path, NULL);
	for (p = log; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	free(log);
	return n;
}

/* With more CAs than fit, the list is cut at 16 KiB of names, the CAs
 * made first kept; the cut is logged once, not at every reload. */
static void
test_names_bounded(void **state)
{
	enum { N = 90 };
	static char ids[N][64];
	char body[512], pad[51];
	X509 *first, *last;
	STACK_OF(X509_NAME) *names = NULL;
	size_t bytes = 0;

	(void)state;
	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	for (int i = 0; i < N; i++) {
		snprintf(body, sizeof(body),
		         "{\"common_name\": \"Bulk %02d %s\", \"organization\": \"Org %s\", "
		         "\"organizational_unit\": \"Unit %s\", \"country\": \"DE\", "
		         "\"issuance\": {\"template\": \"client\"}}", i, pad, pad, pad);
		http_create_ca(&in, body, ids[i]);
	}
	first = ca_cert(ids[0]);
	last = ca_cert(ids[N - 1]);
	/* wait for a reload that has seen them all */
	for (int t = 0; t < WAIT_S * 4 && count_in_log("names the first") == 0; t++)
		usleep(250000);
	assert_int_equal(count_in_log("names the first"), 1);
	for (int v = 0; v < 2; v++) {
		names = ca_names(v == 0 ? TLS1_2_VERSION : TLS1_3_VERSION, NULL);
		bytes = names_bytes(names);
		print_message("%d CA names, %zu bytes\n", sk_X509_NAME_num(names), bytes);
		assert_true(bytes <= 16384);
		assert_true(bytes > 16384 - 400);
		assert_true(has_name(names, X509_get_subject_name(first)));
		assert_false(has_name(names, X509_get_subject_name(last)));
		sk_X509_NAME_pop_free(names, X509_NAME_free);
	}
	/* two more reloads: still one warning */
	sleep(11);
	assert_int_equal(count_in_log("names the first"), 1);
	X509_free(first);
	X509_free(last);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_follow_the_cas),
		cmocka_unit_test(test_names_are_a_hint),
		cmocka_unit_test(test_names_bounded),
	};

	return fixture_run_tests(tests, &fx);
}
