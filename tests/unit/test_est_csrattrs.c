/* Unit tests of the CsrAttrs edgeca answers on /csrattrs (RFC 7030 4.5):
 * byte for byte what OpenSSL's ASN1_generate_nconf encodes for the same
 * attributes, written from dotted OIDs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/conf.h>
#include <stdlib.h>
#include <string.h>

#include "model/est/internal/est_internal.h"

#define OID_EC_PUBLIC_KEY "1.2.840.10045.2.1"
#define OID_P256 "1.2.840.10045.3.1.7"
#define OID_P384 "1.3.132.0.34"
#define OID_ECDSA_SHA256 "1.2.840.10045.4.3.2"
#define OID_ECDSA_SHA384 "1.2.840.10045.4.3.3"
#define OID_RSA "1.2.840.113549.1.1.1"
#define OID_SHA256_RSA "1.2.840.113549.1.1.11"
#define OID_CHALLENGE_PASSWORD "1.2.840.113549.1.9.7"

/* The DER OpenSSL generates for the SEQUENCE in section "attrs" of conf. */
static unsigned char *
reference(const char *conf_text, int *len)
{
	BIO *bio = BIO_new_mem_buf(conf_text, -1);
	CONF *conf = NCONF_new(NULL);
	ASN1_TYPE *t;
	unsigned char *der = NULL;

	assert_non_null(bio);
	assert_non_null(conf);
	assert_true(NCONF_load_bio(conf, bio, NULL) > 0);
	t = ASN1_generate_nconf("SEQUENCE:attrs", conf);
	assert_non_null(t);
	*len = i2d_ASN1_TYPE(t, &der);
	assert_true(*len > 0);
	ASN1_TYPE_free(t);
	NCONF_free(conf);
	BIO_free(bio);
	return der;
}

static void
same_as(const char *alg, bool pop, const char *conf_text)
{
	unsigned char *der = NULL, *ref;
	size_t len = 0;
	int ref_len;

	if (est_csrattrs_encode(alg, pop, &der, &len) != 0)
		fail_msg("csrattrs for %s refused", alg);
	ref = reference(conf_text, &ref_len);
	if (len != (size_t)ref_len || memcmp(der, ref, len) != 0)
		fail_msg("csrattrs for %s (pop %d) differ from OpenSSL's encoding", alg, pop);
	free(der);
	OPENSSL_free(ref);
}

static void
test_csrattrs_der(void **state)
{
	(void)state;
	same_as("EC-P256", false,
	        "[attrs]\nkey=SEQUENCE:key\nsig=OID:" OID_ECDSA_SHA256 "\n"
	        "[key]\ntype=OID:" OID_EC_PUBLIC_KEY "\nvalues=SET:values\n"
	        "[values]\nv=OID:" OID_P256 "\n");
	same_as("EC-P256", true,
	        "[attrs]\nkey=SEQUENCE:key\nsig=OID:" OID_ECDSA_SHA256 "\n"
	        "pop=OID:" OID_CHALLENGE_PASSWORD "\n"
	        "[key]\ntype=OID:" OID_EC_PUBLIC_KEY "\nvalues=SET:values\n"
	        "[values]\nv=OID:" OID_P256 "\n");
	same_as("EC-P384", true,
	        "[attrs]\nkey=SEQUENCE:key\nsig=OID:" OID_ECDSA_SHA384 "\n"
	        "pop=OID:" OID_CHALLENGE_PASSWORD "\n"
	        "[key]\ntype=OID:" OID_EC_PUBLIC_KEY "\nvalues=SET:values\n"
	        "[values]\nv=OID:" OID_P384 "\n");
	same_as("RSA-3072", false,
	        "[attrs]\nkey=SEQUENCE:key\nsig=OID:" OID_SHA256_RSA "\n"
	        "[key]\ntype=OID:" OID_RSA "\nvalues=SET:values\n"
	        "[values]\nv=INTEGER:3072\n");
	same_as("", true, "[attrs]\npop=OID:" OID_CHALLENGE_PASSWORD "\n");
}

static void
test_csrattrs_unknown_algorithm(void **state)
{
	unsigned char *der = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(est_csrattrs_encode("ED448", false, &der, &len), -1);
	assert_null(der);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csrattrs_der),
		cmocka_unit_test(test_csrattrs_unknown_algorithm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
