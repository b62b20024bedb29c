/* csrgen: writes the CSRs of the test corpus that the openssl command line
 * refuses to make (it enforces the 64-character CN limit itself, and
 * writes DER only).
 *   csrgen cn-65-chars OUT   EC P-256, CN of 65 characters
 *   csrgen two-cns OUT       EC P-256, subject with two CN attributes
 *   csrgen ber-inner OUT     EC P-256, CN ber-inner-length: the version
 *                            INTEGER inside the signed CertificationRequestInfo
 *                            has a non-minimal (BER) length, and the signature
 *                            is over exactly those bytes, so it verifies */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends a DER header (tag, minimal length) to out at *n. */
static void
put_header(unsigned char *out, size_t *n, unsigned char tag, size_t len)
{
	out[(*n)++] = tag;
	if (len < 0x80) {
		out[(*n)++] = (unsigned char)len;
	} else if (len < 0x100) {
		out[(*n)++] = 0x81;
		out[(*n)++] = (unsigned char)len;
	} else {
		out[(*n)++] = 0x82;
		out[(*n)++] = (unsigned char)(len >> 8);
		out[(*n)++] = (unsigned char)len;
	}
}

/* The CSR req with its version written "02 81 01 00" (BER) and signed
 * over those bytes by key with ECDSA-SHA256; PEM into f. */
static int
write_ber_inner(X509_REQ *req, EVP_PKEY *key, FILE *f)
{
	static const unsigned char ecdsa_sha256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48,
	                                             0xce, 0x3d, 0x04, 0x03, 0x02};
	static const unsigned char version[] = {0x02, 0x81, 0x01, 0x00};
	unsigned char *tbs = NULL, *info = NULL, *csr = NULL, sig[128];
	const unsigned char *content;
	size_t info_len = 0, csr_len = 0, sig_len = sizeof(sig), clen, body;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int tbs_len = i2d_re_X509_REQ_tbs(req, &tbs), rc = -1;

	/* the original info: 30 <len> 02 01 00 ...; keep what follows the version */
	if (md == NULL || tbs_len < 8 || tbs[0] != 0x30)
		goto out;
	content = tbs + 2 + ((tbs[1] & 0x80) ? (tbs[1] & 0x7f) : 0);
	clen = (size_t)tbs_len - (size_t)(content - tbs);
	if (clen < 3 || content[0] != 0x02 || content[1] != 0x01)
		goto out;
	info = malloc(clen + 16);
	csr = malloc(clen + 256);
	if (info == NULL || csr == NULL)
		goto out;
	put_header(info, &info_len, 0x30, clen + 1);
	memcpy(info + info_len, version, sizeof(version));
	memcpy(info + info_len + sizeof(version), content + 3, clen - 3);
	info_len += clen + 1;
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, sig, &sig_len, info, info_len) != 1)
		goto out;
	body = info_len + sizeof(ecdsa_sha256) + 3 + sig_len;
	put_header(csr, &csr_len, 0x30, body);
	memcpy(csr + csr_len, info, info_len);
	csr_len += info_len;
	memcpy(csr + csr_len, ecdsa_sha256, sizeof(ecdsa_sha256));
	csr_len += sizeof(ecdsa_sha256);
	put_header(csr, &csr_len, 0x03, sig_len + 1);
	csr[csr_len++] = 0;
	memcpy(csr + csr_len, sig, sig_len);
	csr_len += sig_len;
	rc = PEM_write(f, "CERTIFICATE REQUEST", "", csr, (long)csr_len) > 0 ? 0 : -1;
out:
	EVP_MD_CTX_free(md);
	OPENSSL_free(tbs);
	free(info);
	free(csr);
	return rc;
}

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
		fprintf(stderr, "usage: csrgen cn-65-chars|two-cns|ber-inner OUT\n");
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
	} else if (strcmp(argv[1], "ber-inner") == 0) {
		if (!add_cn(X509_REQ_get_subject_name(req), "ber-inner-length"))
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
	if (f == NULL)
		goto out;
	if (strcmp(argv[1], "ber-inner") == 0 ? write_ber_inner(req, key, f) != 0
	                                        : PEM_write_X509_REQ(f, req) != 1)
		goto out;
	rc = 0;
out:
	if (f != NULL && fclose(f) != 0)
		rc = 1;
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	return rc;
}
