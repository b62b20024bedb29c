/* OCSP at the signer's socket of a real instance, whatever the server in
 * front of it would ask: a responder key made for a CA made through the
 * API, certified by it and installed, signs a response OpenSSL verifies
 * with the CA as trust anchor, and refuses ISSUE, SELF_SIGN and
 * CRL_BEGIN; the service CA's key signs no OCSP response; a CA key signs
 * none naming another CA. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/x509.h>

#include "signer/proto/protocol.h"
#include "common/x509util.h"
#include "tests/support/certs.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/ocsp_data.h"
#include "tests/support/signer_wire.h"

static struct instance in;

static const struct fixture fx = {
	.in = &in,
	.name = "ocsp_signer_socket",
};

static X509 *
ca_cert_of(const char *key, int fd)
{
	struct signer_writer w;
	struct signer_msg reply;
	unsigned char *der;
	size_t len = 0;
	X509 *cert;

	signer_writer_init(&w, SIGNER_OP_KEY_INFO);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key);
	assert_int_equal(wire_exchange(fd, &w, &reply), 0);
	assert_int_equal(reply.type, SIGNER_REPLY_OK);
	assert_non_null(signer_msg_get(&reply, SIGNER_TAG_CERTIFICATE));
	der = (unsigned char *)signer_msg_get(&reply, SIGNER_TAG_CERTIFICATE)->val;
	len = signer_msg_get(&reply, SIGNER_TAG_CERTIFICATE)->len;
	cert = x509_from_der(der, len);
	assert_non_null(cert);
	signer_msg_free(&reply);
	return cert;
}

static void
test_responder_key_at_the_socket(void **state)
{
	char ca_id[64], other_id[64], ca_key[65], other_key[65], rk[65], path[300];
	char *service_key;
	struct signer_writer w;
	struct signer_msg reply;
	unsigned char *basic;
	size_t basic_len = 0;
	X509 *ca, *other, *responder;
	X509_NAME *name = X509_NAME_new();
	unsigned char *name_der = NULL;
	int name_len, fd;
	time_t now = time(NULL);
	struct rd_spec s;
	struct buf tbs = {0};

	http_create_ca(&in, "{\"common_name\": \"OCSP Socket Root\", \"issuance\": "
	                    "{\"template\": \"client\", \"max_validity_days\": 10}}", ca_id);
	http_create_ca(&in, "{\"common_name\": \"OCSP Other Root\", \"issuance\": "
	                    "{\"template\": \"client\", \"max_validity_days\": 10}}", other_id);
	wire_key_of(&in, ca_id, NULL, ca_key);
	wire_key_of(&in, other_id, NULL, other_key);
	fd = wire_connect(in.signer_socket);
	ca = ca_cert_of(ca_key, fd);
	other = ca_cert_of(other_key, fd);

	/* made for the CA key: ALGORITHM and ISSUER_KEY_ID alone */
	signer_writer_init(&w, SIGNER_OP_KEY_CREATE);
	signer_put_str(&w, SIGNER_TAG_ALGORITHM, "EC-P256");
	signer_put_str(&w, SIGNER_TAG_ISSUER_KEY_ID, ca_key);
	signer_put_str(&w, SIGNER_TAG_TEMPLATES, "client");
	assert_int_equal(wire_exchange(fd, &w, &reply), 0);
	wire_expect_error(&reply, SIGNER_E_MALFORMED, "malformed-request");
	responder = wire_ocsp_responder(fd, ca_key, "EC-P256", rk);
	assert_int_equal(t_name_add_cn(name, "OCSP Socket Responder", -1), 1);
	name_len = i2d_X509_NAME(name, &name_der);

	/* it signs a response OpenSSL verifies against the CA */
	s = rd_default(ca, responder, now);
	s.nonce_len = 16;
	assert_int_equal(rd_build(&s, &tbs), 0);
	basic = wire_ocsp_sign(fd, rk, &tbs, &basic_len, &reply);
	assert_true(basic_verifies(basic, basic_len, tbs.data, tbs.len, ca, V_OCSP_CERTSTATUS_GOOD,
	                           true));
	free(basic);

	/* and nothing else */
	assert_int_equal(wire_issue(fd, rk, "client", NULL, now + 86400, &reply), 0);
	wire_expect_error(&reply, SIGNER_E_POLICY, "ocsp-key-only");
	signer_writer_init(&w, SIGNER_OP_SELF_SIGN);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, rk);
	signer_put_bytes(&w, SIGNER_TAG_SUBJECT, name_der, (size_t)name_len);
	signer_put_u64(&w, SIGNER_TAG_NOT_AFTER, (uint64_t)(now + 86400));
	assert_int_equal(wire_exchange(fd, &w, &reply), 0);
	wire_expect_error(&reply, SIGNER_E_POLICY, "ocsp-key-only");
	signer_writer_init(&w, SIGNER_OP_CRL_BEGIN);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, rk);
	signer_put_u64(&w, SIGNER_TAG_CRL_NUMBER, 1000000);
	signer_put_u64(&w, SIGNER_TAG_THIS_UPDATE, (uint64_t)now);
	signer_put_u64(&w, SIGNER_TAG_NEXT_UPDATE, (uint64_t)(now + 3600));
	signer_put_u64(&w, SIGNER_TAG_ENTRIES_LENGTH, 0);
	assert_int_equal(wire_exchange(fd, &w, &reply), 0);
	wire_expect_error(&reply, SIGNER_E_POLICY, "ocsp-key-only");

	/* a CA key signs no response naming another CA */
	tbs.len = 0;
	s = rd_default(other, ca, now);
	assert_int_equal(rd_build(&s, &tbs), 0);
	wire_ocsp_sign(fd, ca_key, &tbs, NULL, &reply);
	wire_expect_error(&reply, SIGNER_E_INVALID, "ocsp-response-invalid");
	/* ... but its own */
	tbs.len = 0;
	s = rd_default(ca, ca, now);
	assert_int_equal(rd_build(&s, &tbs), 0);
	basic = wire_ocsp_sign(fd, ca_key, &tbs, &basic_len, &reply);
	assert_true(basic_verifies(basic, basic_len, tbs.data, tbs.len, ca, V_OCSP_CERTSTATUS_GOOD,
	                           false));
	free(basic);

	/* the service CA's key signs none, even of itself */
	snprintf(path, sizeof(path), "%s/tls/service-ca.key-id", in.data_dir);
	service_key = read_file(path, NULL);
	service_key[strcspn(service_key, "\n")] = '\0';
	wire_ocsp_sign(fd, service_key, &tbs, NULL, &reply);
	wire_expect_error(&reply, SIGNER_E_POLICY, "ocsp-not-allowed");
	close(fd);
	wire_ping_ok(in.signer_socket);

	free(service_key);
	buf_free(&tbs);
	OPENSSL_free(name_der);
	X509_NAME_free(name);
	X509_free(ca);
	X509_free(other);
	X509_free(responder);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_responder_key_at_the_socket),
	};
	return fixture_run_tests(tests, &fx);
}
