/* csrgen: writes the CSRs of the test corpus that the openssl command line
 * refuses to make (it enforces the 64-character CN limit itself).
 *   csrgen cn-65-chars OUT   EC P-256, CN of 65 characters
 *   csrgen two-cns OUT       EC P-256, subject with two CN attributes */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

static int
add_cn(X509_NAME *n, const char *cn)
{
	/* A plain ASN.1 type (not MBSTRING_*) skips OpenSSL's length table. */
	return X509_NAME_add_entry_by_NID(n, NID_commonName, V_ASN1_UTF8STRING,
	                                  (const unsigned char *)cn, (int)strlen(cn), -1, 0);
}

int
main(int argc, char **argv)
{
	EVP_PKEY *key = NULL;
	X509_REQ *req = NULL;
	FILE *f = NULL;
	char long_cn[66];
	int rc = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: csrgen cn-65-chars|two-cns OUT\n");
		return 2;
	}
	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	req = X509_REQ_new();
	if (key == NULL || req == NULL)
		goto out;
	if (strcmp(argv[1], "cn-65-chars") == 0) {
		memset(long_cn, 'x', 65);
		long_cn[65] = '\0';
		if (!add_cn(X509_REQ_get_subject_name(req), long_cn))
			goto out;
	} else if (strcmp(argv[1], "two-cns") == 0) {
		if (!add_cn(X509_REQ_get_subject_name(req), "first-device") ||
		    !add_cn(X509_REQ_get_subject_name(req), "second-device"))
			goto out;
	} else {
		fprintf(stderr, "csrgen: unknown kind %s\n", argv[1]);
		goto out;
	}
	if (X509_REQ_set_pubkey(req, key) != 1 || X509_REQ_sign(req, key, EVP_sha256()) <= 0)
		goto out;
	f = fopen(argv[2], "w");
	if (f == NULL || PEM_write_X509_REQ(f, req) != 1)
		goto out;
	rc = 0;
out:
	if (f != NULL && fclose(f) != 0)
		rc = 1;
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	return rc;
}
