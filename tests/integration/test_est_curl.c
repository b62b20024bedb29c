/* curl and the openssl command line as a second EST client: runs
 * tests/est/curl-enroll.sh against a real instance with a client
 * certificate the CA issued. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <openssl/pem.h>

#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"

static struct instance in;

static const struct fixture fx = {
	.in = &in,
	.name = "est_curl",
};

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
test_curl_and_openssl(void **state)
{
	char ca_id[64], path[256], work[256], cert_path[300], key_path[300], url[300], cmd[2400];
	EVP_PKEY *key = NULL;
	char *csr = make_csr("EC-P256", "curl-device", NULL, &key), *key_pem;
	struct http_response r;
	BIO *b = BIO_new(BIO_s_mem());
	long n;
	int status;

	http_create_ca(&in, "{\"common_name\": \"Curl CA\", \"issuance\": {\"template\": \"client\"}}",
	               ca_id);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca_id);
	assert_int_equal(http_call(&in, "POST", path, in.admin_token, "application/pkcs10", csr,
	                           strlen(csr), &r), 201);
	snprintf(work, sizeof(work), "%s/curl", in.data_dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", work);
	assert_int_equal(system(cmd), 0);
	snprintf(cert_path, sizeof(cert_path), "%s/client.pem", work);
	snprintf(key_path, sizeof(key_path), "%s/client.key", work);
	write_file(cert_path, http_json_str(&r, "certificate_pem"));
	PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(b, &key_pem);
	key_pem = strndup(key_pem, (size_t)n);
	write_file(key_path, key_pem);
	snprintf(url, sizeof(url), "https://localhost:%u/est/%s/default/.well-known/est",
	         in.est_port, ca_id);
	snprintf(cmd, sizeof(cmd),
	         "EST_URL='%s' TLS_CA='%s' CLIENT_CERT='%s' CLIENT_KEY='%s' DEVICE=curl-device "
	         "WORK='%s' '%s/tests/est/curl-enroll.sh'",
	         url, in.ca_file, cert_path, key_path, work, getenv("EDGECA_TEST_SRC_DIR"));
	status = system(cmd);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	free(key_pem);
	BIO_free(b);
	http_response_free(&r);
	EVP_PKEY_free(key);
	free(csr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_curl_and_openssl),
	};

	return fixture_run_tests(tests, &fx);
}
