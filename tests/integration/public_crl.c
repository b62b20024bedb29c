#include "tests/integration/public_crl.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/integration/http.h"

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
		p = r.body;
		crl = d2i_X509_CRL(NULL, &p, (long)r.body_len);
		assert_non_null(crl);
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
