/* Unit tests of model/est_subject: under subject_policy match_client_cert
 * a CSR may name only what the client certificate names: its subject
 * attributes (a subset, in their order) and its subjectAltNames or CN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>

#include "model/est/internal/subject.h"
#include "tests/support/certs.h"

static EVP_PKEY *key;

static int
setup(void **state)
{
	key = t_key("EC-P256");
	return key == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	EVP_PKEY_free(key);
	return 0;
}

/* Adds "C=US,O=Contoso,CN=dev2" to name, each as UTF8String unless it is
 * marked "~" ("~C=US": PrintableString). */
static void
add_attrs(X509_NAME *name, const char *attrs)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", attrs);
	for (char *a = strtok_r(buf, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
		bool printable = a[0] == '~';
		char *eq = strchr(a + printable, '=');
		*eq = '\0';
		assert_int_equal(X509_NAME_add_entry_by_txt(name, a + printable,
		                                            printable ? V_ASN1_PRINTABLESTRING
		                                                      : V_ASN1_UTF8STRING,
		                                            (unsigned char *)eq + 1, -1, -1, 0),
		                 1);
	}
}

/* A client certificate with subject attrs and SANs sans (openssl syntax,
 * NULL: none). */
static X509 *
client_cert(const char *attrs, const char *sans)
{
	X509 *x = X509_new();
	X509V3_CTX ctx;

	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 7), 1);
	add_attrs(X509_get_subject_name(x), attrs);
	assert_int_equal(X509_set_issuer_name(x, X509_get_subject_name(x)), 1);
	assert_int_equal(X509_set_pubkey(x, key), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -60));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	if (sans != NULL) {
		X509_EXTENSION *ex;
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		ex = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, sans);
		assert_non_null(ex);
		assert_int_equal(X509_add_ext(x, ex, -1), 1);
		X509_EXTENSION_free(ex);
	}
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

/* est_subject_check of a CSR with subject attrs and SANs sans against
 * cert: want, and when refused the slug and a detail naming what. */
static void
check(X509 *cert, const char *attrs, const char *sans, edgeca_err want, const char *what)
{
	X509_REQ *req = t_csr(key, NULL, sans, NULL);
	struct edgeca_msg msg = {0};
	edgeca_err rc;

	add_attrs(X509_REQ_get_subject_name(req), attrs);
	rc = est_subject_check(req, cert, &msg);
	if (rc != want)
		fail_msg("%s / %s: expected %d, got %d (%s)", attrs, sans ? sans : "-", want, rc,
		         msg.detail);
	if (want == EDGECA_ERR_NOT_PERMITTED)
		assert_string_equal(msg.type, "est-subject-mismatch");
	if (what != NULL && strstr(msg.detail, what) == NULL)
		fail_msg("\"%s\" does not name %s", msg.detail, what);
	X509_REQ_free(req);
}

#define MISMATCH EDGECA_ERR_NOT_PERMITTED

/* The review's case: a device whose certificate is CN=dev2 asks for more. */
static void
test_extra_attributes_refused(void **state)
{
	X509 *dev2 = client_cert("CN=dev2", NULL);

	check(dev2, "CN=dev2", NULL, EDGECA_OK, NULL);
	check(dev2, "C=US,O=Contoso Corp,OU=PKI Administrators,serialNumber=0001,CN=dev2", NULL,
	      MISMATCH, "C=\"US\"");
	check(dev2, "O=Contoso Corp,CN=dev2", NULL, MISMATCH, "O=\"Contoso Corp\"");
	check(dev2, "CN=dev2,OU=PKI Administrators", NULL, MISMATCH, "OU=\"PKI Administrators\"");
	X509_free(dev2);
}

/* A bootstrap certificate with more attributes: aziot-certd asks for
 * CN=<registration id> alone, and any subset in the same order is fine;
 * other values, other order, or a repeated attribute are not. */
static void
test_subset_in_order(void **state)
{
	X509 *boot = client_cert("~C=US,O=Contoso,OU=Fleet,CN=edge-device-001", NULL);

	check(boot, "CN=edge-device-001", NULL, EDGECA_OK, NULL);
	check(boot, "O=Contoso,CN=edge-device-001", NULL, EDGECA_OK, NULL);
	check(boot, "C=US,O=Contoso,OU=Fleet,CN=edge-device-001", NULL, EDGECA_OK, NULL);
	check(boot, "C=US,OU=Fleet,CN=edge-device-001", NULL, EDGECA_OK, NULL);
	check(boot, "O=Contoso Corp,CN=edge-device-001", NULL, MISMATCH, "O=\"Contoso Corp\"");
	check(boot, "O=contoso,CN=edge-device-001", NULL, MISMATCH, "O=\"contoso\"");
	check(boot, "OU=Fleet,O=Contoso,CN=edge-device-001", NULL, MISMATCH, "O=\"Contoso\"");
	check(boot, "CN=edge-device-001,O=Contoso", NULL, MISMATCH, "O=\"Contoso\"");
	check(boot, "O=Contoso,O=Contoso,CN=edge-device-001", NULL, MISMATCH, "O=\"Contoso\"");
	check(boot, "L=Redmond,CN=edge-device-001", NULL, MISMATCH, "L=\"Redmond\"");
	X509_free(boot);
}

/* SANs: the certificate's own, or its CN; nothing else. */
static void
test_alt_names(void **state)
{
	X509 *dev2 = client_cert("CN=dev2", NULL);
	X509 *named = client_cert("CN=gw7", "DNS:gw7.plant.example,IP:10.1.2.3,IP:2001:db8::7");
	X509 *by_ip = client_cert("CN=192.0.2.10", NULL);

	check(dev2, "CN=dev2", "DNS:login.microsoftonline.com,DNS:*.corp.example.com,"
	                       "IP:10.0.0.1", MISMATCH, "DNS:login.microsoftonline.com");
	check(dev2, "CN=dev2", "DNS:*.corp.example.com", MISMATCH, "DNS:*.corp.example.com");
	check(dev2, "CN=dev2", "IP:10.0.0.1", MISMATCH, "IP:10.0.0.1");
	check(dev2, "CN=dev2", "DNS:dev2", EDGECA_OK, NULL); /* the CN, as ssl writes it */
	check(dev2, "CN=dev2", "DNS:DEV2", EDGECA_OK, NULL);
	check(dev2, "CN=dev2", "DNS:dev2.example", MISMATCH, "DNS:dev2.example");
	/* names never copied into certificates are not looked at */
	check(dev2, "CN=dev2", "email:admin@example.com,URI:https://example.com/", EDGECA_OK,
	      NULL);
	check(named, "CN=gw7", "DNS:GW7.plant.example,IP:10.1.2.3,IP:2001:db8::7", EDGECA_OK,
	      NULL);
	check(named, "CN=gw7", "IP:10.1.2.4", MISMATCH, "IP:10.1.2.4");
	check(named, "CN=gw7", "IP:2001:db8::8", MISMATCH, "IP:2001:db8::8");
	check(by_ip, "CN=192.0.2.10", "IP:192.0.2.10", EDGECA_OK, NULL);
	check(by_ip, "CN=192.0.2.10", "IP:192.0.2.11", MISMATCH, "IP:192.0.2.11");
	X509_free(dev2);
	X509_free(named);
	X509_free(by_ip);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extra_attributes_refused),
		cmocka_unit_test(test_subset_in_order),
		cmocka_unit_test(test_alt_names),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
