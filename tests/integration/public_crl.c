#include "tests/integration/public_crl.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/x509v3.h>

#include "tests/support/http.h"
#include "tests/support/pki.h"

X509_CRL *
public_crl_fetch(struct instance *in, const char *ca_id, const char *file)
{
	char path[200];
	struct http_response r;
	const unsigned char *p;
	X509_CRL *crl = NULL;
	long status;

	snprintf(path, sizeof(path), "/crl/%s/%s", ca_id, file);
	status = http_get(in, path, NULL, &r);
	if (status == 200) {
		assert_string_equal(r.content_type, "application/pkix-crl");
		p = r.body;
		crl = d2i_X509_CRL(NULL, &p, (long)r.body_len);
		assert_non_null(crl);
		assert_ptr_equal(p, r.body + r.body_len);
	} else {
		assert_int_equal(status, 404);
	}
	http_response_free(&r);
	return crl;
}

bool
crl_lists(X509_CRL *crl, X509 *x)
{
	X509_REVOKED *e = NULL;

	return X509_CRL_get0_by_serial(crl, &e, X509_get_serialNumber(x)) == 1;
}

long
crl_number(X509_CRL *crl)
{
	ASN1_INTEGER *n = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	long v;

	assert_non_null(n);
	v = ASN1_INTEGER_get(n);
	ASN1_INTEGER_free(n);
	return v;
}

X509_REVOKED *
crl_entry(X509_CRL *crl, const char *serial)
{
	STACK_OF(X509_REVOKED) *revoked = X509_CRL_get_REVOKED(crl);

	for (int i = 0; i < sk_X509_REVOKED_num(revoked); i++) {
		X509_REVOKED *e = sk_X509_REVOKED_value(revoked, i);
		if (serial_is(X509_REVOKED_get0_serialNumber(e), serial))
			return e;
	}
	return NULL;
}

X509_CRL *
public_crl_wait_newer(struct instance *in, const char *ca_id, const char *file, long after,
                      const char *serial)
{
	for (int i = 0; i < 200; i++) {
		X509_CRL *crl = public_crl_fetch(in, ca_id, file);
		if (crl != NULL && crl_number(crl) > after && (serial == NULL || crl_entry(crl, serial)))
			return crl;
		X509_CRL_free(crl);
		usleep(100000);
	}
	fail_msg("the CRL %s of CA %s numbered above %ld with %s did not appear within 20 s", file,
	         ca_id, after, serial ? serial : "anything");
	return NULL;
}

int
crl_entry_reason(X509_REVOKED *e)
{
	ASN1_ENUMERATED *r = X509_REVOKED_get_ext_d2i(e, NID_crl_reason, NULL, NULL);
	int v = r ? (int)ASN1_ENUMERATED_get(r) : -1;

	ASN1_ENUMERATED_free(r);
	return v;
}

X509_CRL *
public_crl_wait_listing(struct instance *in, const char *ca_id, const char *file, X509 *x)
{
	for (int i = 0; i < 600; i++) { /* generous: a loaded CI machine is slow */
		X509_CRL *crl = public_crl_fetch(in, ca_id, file);
		if (crl != NULL && crl_lists(crl, x))
			return crl;
		X509_CRL_free(crl);
		usleep(100000);
	}
	fail_msg("the CRL %s of CA %s did not list the certificate within 60 s", file, ca_id);
	return NULL;
}
