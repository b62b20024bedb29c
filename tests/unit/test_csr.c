/* Unit tests of common/csr: decoding PEM/DER CSRs and refusing malformed
 * input, checking signature, key type and size, and the subject's CN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <sys/wait.h>

#include "common/csr.h"
#include "common/der.h"
#include "tests/support/certs.h"

static EVP_PKEY *ec_key; /* shared by the tests that need any valid key */

static int
setup(void **state)
{
	ec_key = t_key("EC-P256");
	return ec_key == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	EVP_PKEY_free(ec_key);
	return 0;
}

/* Asserts rc/slug and that a detail sentence was written. */
static void
assert_fail(edgeca_err rc, const struct edgeca_msg *msg, edgeca_err want, const char *slug)
{
	assert_int_equal(rc, want);
	assert_string_equal(msg->type, slug);
	assert_true(msg->detail[0] != '\0');
}

static edgeca_err
decode(const void *data, size_t len, struct edgeca_msg *msg)
{
	X509_REQ *req = (X509_REQ *)1;
	edgeca_err rc;

	edgeca_msg_clear(msg);
	rc = csr_decode(data, len, &req, msg);
	if (rc == EDGECA_OK)
		assert_non_null(req);
	else
		assert_null(req);
	X509_REQ_free(req);
	return rc;
}

/* The CSR as PEM text, with the old ("NEW ...") label when new_label. */
static char *
csr_pem(X509_REQ *req, bool new_label)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	assert_int_equal(new_label ? PEM_write_bio_X509_REQ_NEW(b, req) : PEM_write_bio_X509_REQ(b, req),
	                 1);
	n = BIO_get_mem_data(b, &data);
	out = strndup(data, (size_t)n);
	BIO_free(b);
	return out;
}

static void
test_decode_forms(void **state)
{
	struct edgeca_msg msg;
	X509_REQ *req = t_csr(ec_key, "dev1", NULL, NULL);
	size_t der_len;
	unsigned char *der = t_req_der(req, &der_len);
	char *pem = csr_pem(req, false), *pem_new = csr_pem(req, true);

	assert_non_null(strstr(pem, "BEGIN CERTIFICATE REQUEST"));
	assert_non_null(strstr(pem_new, "BEGIN NEW CERTIFICATE REQUEST"));
	assert_int_equal(decode(der, der_len, &msg), EDGECA_OK);
	assert_int_equal(decode(pem, strlen(pem), &msg), EDGECA_OK);
	assert_int_equal(decode(pem_new, strlen(pem_new), &msg), EDGECA_OK);
	free(pem);
	free(pem_new);
	OPENSSL_free(der);
	X509_REQ_free(req);
}

static void
test_decode_refusals(void **state)
{
	struct edgeca_msg msg;
	X509_REQ *req = t_csr(ec_key, "dev1", NULL, NULL);
	size_t der_len;
	unsigned char *der = t_req_der(req, &der_len), *big;
	char *pem = csr_pem(req, false), text[4096];
	X509 *cert = t_ca_cert(ec_key, "ca", -1, time(NULL), time(NULL) + 60);
	unsigned char *cert_der = NULL;
	int cert_len = i2d_X509(cert, &cert_der);

	assert_fail(decode(der, 0, &msg), &msg, EDGECA_ERR_MALFORMED, "csr-malformed");
	assert_fail(decode(der, der_len - 1, &msg), &msg, EDGECA_ERR_MALFORMED, "csr-malformed");
	assert_fail(decode(der, der_len / 2, &msg), &msg, EDGECA_ERR_MALFORMED, "csr-malformed");
	big = calloc(1, CSR_MAX_BYTES * 3);
	memcpy(big, der, der_len); /* trailing zero bytes after the DER */
	assert_fail(decode(big, der_len + 1, &msg), &msg, EDGECA_ERR_MALFORMED, "csr-malformed");
	assert_fail(decode(big, CSR_MAX_BYTES + 1, &msg), &msg, EDGECA_ERR_OVERSIZED,
	            "csr-too-large");
	memset(big, ' ', CSR_MAX_BYTES * 3); /* PEM text far over the limit */
	memcpy(big + CSR_MAX_BYTES * 3 - strlen(pem), pem, strlen(pem));
	assert_fail(decode(big, CSR_MAX_BYTES * 3, &msg), &msg, EDGECA_ERR_OVERSIZED,
	            "csr-too-large");
	free(big);
	assert_fail(decode(cert_der, (size_t)cert_len, &msg), &msg, EDGECA_ERR_MALFORMED,
	            "csr-malformed");

	snprintf(text, sizeof(text), "%sjunk\n", pem); /* text after END */
	assert_fail(decode(text, strlen(text), &msg), &msg, EDGECA_ERR_MALFORMED, "csr-malformed");
	snprintf(text, sizeof(text), "%.*s", (int)(strlen(pem) - 20), pem); /* no END line */
	assert_fail(decode(text, strlen(text), &msg), &msg, EDGECA_ERR_MALFORMED, "csr-malformed");
	snprintf(text, sizeof(text), "-----BEGIN CERTIFICATE-----\n%s", strchr(pem, '\n') + 1);
	assert_fail(decode(text, strlen(text), &msg), &msg, EDGECA_ERR_MALFORMED, "csr-malformed");
	/* A PEM body whose base64 is shortened by 4 characters: truncated DER. */
	snprintf(text, sizeof(text), "%s", pem);
	memmove(strstr(text, "-----END") - 5, strstr(text, "-----END") - 1,
	        strlen(strstr(text, "-----END") - 1) + 1);
	assert_fail(decode(text, strlen(text), &msg), &msg, EDGECA_ERR_MALFORMED, "csr-malformed");
	free(pem);
	OPENSSL_free(cert_der);
	X509_free(cert);
	OPENSSL_free(der);
	X509_REQ_free(req);
}

/* OpenSSL allocators for the child process below: free() fills the block
 * with 0xa5 and keeps it, so a read after free sees garbage pointers even
 * though the read happens inside libcrypto, which ASan does not instrument. */
static void *
poison_malloc(size_t n, const char *file, int line)
{
	unsigned char *p = malloc(n + 16);

	if (p == NULL)
		return NULL;
	memcpy(p, &n, sizeof(n));
	return p + 16;
}

static void
poison_free(void *ptr, const char *file, int line)
{
	size_t n;

	if (ptr == NULL)
		return;
	memcpy(&n, (unsigned char *)ptr - 16, sizeof(n));
	memset(ptr, 0xa5, n);
}

static void *
poison_realloc(void *ptr, size_t n, const char *file, int line)
{
	unsigned char *q = poison_malloc(n, file, line);
	size_t old;

	if (q != NULL && ptr != NULL) {
		memcpy(&old, (unsigned char *)ptr - 16, sizeof(old));
		memcpy(q, ptr, old < n ? old : n);
		poison_free(ptr, file, line);
	}
	return q;
}

/* Runs in a fresh process (main's --version-2-child): decodes a CSR that
 * claims version 2 and exits 0 when it is refused as csr-malformed. */
static int
version_2_child(void)
{
	X509_REQ *req, *out = NULL;
	EVP_PKEY *k;
	struct edgeca_msg msg;
	unsigned char *der;
	size_t der_len;
	edgeca_err rc;

	if (CRYPTO_set_mem_functions(poison_malloc, poison_realloc, poison_free) != 1)
		_exit(10);
	k = t_key("EC-P256");
	req = X509_REQ_new();
	if (k == NULL || req == NULL || X509_REQ_set_version(req, 1) != 1 ||
	    X509_REQ_set_pubkey(req, k) != 1 ||
	    t_name_add_cn(X509_REQ_get_subject_name(req), "dev1", -1) != 1 ||
	    X509_REQ_sign(req, k, EVP_sha256()) <= 0 || (der = t_req_der(req, &der_len)) == NULL)
		_exit(11);
	rc = csr_decode_der(der, der_len, &out, &msg);
	/* The blocks are never released: leave without the leak checker. */
	_exit(rc == EDGECA_ERR_MALFORMED && strcmp(msg.type, "csr-malformed") == 0 &&
	      out == NULL && strstr(msg.detail, "version 2") != NULL ? 0 : 12);
}

/* A CSR whose version field is 1 ("version 2") is refused, and the message
 * is formatted without touching the freed request (a use after free that
 * any API client could once trigger). Run in a child with allocators that
 * poison freed memory, as ASan does not see inside libcrypto. */
static void
test_decode_version_2_no_use_after_free(void **state)
{
	char *const argv[] = {(char *)"test_csr", (char *)"--version-2-child", NULL};
	int status = 0;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("decoding a version-2 CSR %s %d (0 expected)",
		         WIFEXITED(status) ? "exited with" : "died of signal",
		         WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

/* csr_check_signature_and_key on a CSR of key k (signed by signer, or by
 * k itself when signer is NULL). */
static edgeca_err
check_key(EVP_PKEY *k, EVP_PKEY *signer, struct edgeca_msg *msg)
{
	X509_REQ *req = t_csr(signer ? signer : k, "dev1", NULL, NULL);
	edgeca_err rc;

	assert_non_null(req);
	if (signer != NULL) { /* put k's public key in, keep signer's signature */
		assert_int_equal(X509_REQ_set_pubkey(req, k), 1);
		assert_true(X509_REQ_sign(req, signer, EVP_sha256()) > 0);
	}
	edgeca_msg_clear(msg);
	rc = csr_check_signature_and_key(req, msg);
	X509_REQ_free(req);
	return rc;
}

static void
test_keys_accepted(void **state)
{
	static const char *const algs[] = {"EC-P256", "EC-P384", "RSA-2048"};
	struct edgeca_msg msg;
	EVP_PKEY *k;

	for (size_t i = 0; i < 3; i++) {
		k = t_key(algs[i]);
		assert_int_equal(check_key(k, NULL, &msg), EDGECA_OK);
		EVP_PKEY_free(k);
	}
	k = t_rsa_key_exp(2048, 3); /* the smallest odd exponent allowed */
	assert_non_null(k);
	assert_int_equal(check_key(k, NULL, &msg), EDGECA_OK);
	EVP_PKEY_free(k);
}

/* A public-only RSA key with modulus bits and exponent e (no private key
 * exists: the CSR is then signed by another key). */
static EVP_PKEY *
rsa_public(int bits, unsigned long e)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	BIGNUM *n = BN_new(), *be = BN_new();
	OSSL_PARAM *params;
	EVP_PKEY *k = NULL;

	assert_int_equal(BN_rand(n, bits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD), 1);
	assert_int_equal(BN_set_word(be, e), 1);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be);
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params), 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(n);
	BN_free(be);
	return k;
}

static void
test_keys_refused(void **state)
{
	struct edgeca_msg msg;
	EVP_PKEY *k;

	k = t_key("RSA-1024");
	assert_fail(check_key(k, NULL, &msg), &msg, EDGECA_ERR_INVALID, "csr-weak-key");
	assert_non_null(strstr(msg.detail, "1024"));
	EVP_PKEY_free(k);
	static const unsigned long bad_e[] = {65538, 4, 1};
	for (size_t i = 0; i < 3; i++) {
		k = rsa_public(2048, bad_e[i]);
		assert_fail(check_key(k, ec_key, &msg), &msg, EDGECA_ERR_INVALID, "csr-weak-key");
		EVP_PKEY_free(k);
	}
	k = rsa_public(8200, 65537); /* over the 8192-bit maximum */
	assert_fail(check_key(k, ec_key, &msg), &msg, EDGECA_ERR_INVALID, "csr-unsupported-key");
	EVP_PKEY_free(k);
	k = t_key("ED25519");
	assert_fail(check_key(k, NULL, &msg), &msg, EDGECA_ERR_INVALID, "csr-unsupported-key");
	assert_non_null(strstr(msg.detail, "ED25519"));
	EVP_PKEY_free(k);
	k = t_key("EC-secp256k1");
	assert_fail(check_key(k, NULL, &msg), &msg, EDGECA_ERR_INVALID, "csr-unsupported-key");
	assert_non_null(strstr(msg.detail, "secp256k1"));
	EVP_PKEY_free(k);
	/* Another key's signature over this key's CSR. */
	k = t_key("EC-P256");
	assert_fail(check_key(k, ec_key, &msg), &msg, EDGECA_ERR_MALFORMED, "csr-bad-signature");
	EVP_PKEY_free(k);
}

static void
test_flipped_signature_bit(void **state)
{
	static const char *const algs[] = {"EC-P256", "RSA-2048"};
	struct edgeca_msg msg;

	for (size_t i = 0; i < 2; i++) {
		EVP_PKEY *k = t_key(algs[i]);
		X509_REQ *req = t_csr(k, "dev1", NULL, NULL), *back = NULL;
		size_t len;
		unsigned char *der = t_req_der(req, &len);

		der[len - 1] ^= 0x01; /* the last byte belongs to the signature */
		assert_int_equal(csr_decode(der, len, &back, &msg), EDGECA_OK);
		assert_fail(csr_check_signature_and_key(back, &msg), &msg, EDGECA_ERR_MALFORMED,
		            "csr-bad-signature");
		X509_REQ_free(back);
		OPENSSL_free(der);
		X509_REQ_free(req);
		EVP_PKEY_free(k);
	}
}

/* csr_check_subject for a CSR whose subject holds the given CNs. */
static edgeca_err
check_subject(const char *cn1, const char *cn2, bool require_cn, struct edgeca_msg *msg)
{
	X509_REQ *req = t_csr(ec_key, NULL, NULL, NULL);
	edgeca_err rc;

	if (cn1 != NULL)
		assert_int_equal(t_name_add_cn(X509_REQ_get_subject_name(req), cn1, -1), 1);
	if (cn2 != NULL)
		assert_int_equal(t_name_add_cn(X509_REQ_get_subject_name(req), cn2, -1), 1);
	edgeca_msg_clear(msg);
	rc = csr_check_subject(req, require_cn, msg);
	X509_REQ_free(req);
	return rc;
}

static void
test_subject(void **state)
{
	struct edgeca_msg msg;
	char cn[4 * 70];

	assert_int_equal(check_subject("dev1", NULL, true, &msg), EDGECA_OK);
	assert_int_equal(check_subject(NULL, NULL, false, &msg), EDGECA_OK);
	assert_fail(check_subject(NULL, NULL, true, &msg), &msg, EDGECA_ERR_INVALID,
	            "csr-missing-common-name");
	assert_fail(check_subject("", NULL, true, &msg), &msg, EDGECA_ERR_INVALID,
	            "csr-missing-common-name");
	assert_fail(check_subject("dev1", "dev2", true, &msg), &msg, EDGECA_ERR_INVALID,
	            "csr-multiple-common-names");
	assert_fail(check_subject("dev1", "dev2", false, &msg), &msg, EDGECA_ERR_INVALID,
	            "csr-multiple-common-names");
	memset(cn, 'a', 64);
	cn[64] = '\0';
	assert_int_equal(check_subject(cn, NULL, true, &msg), EDGECA_OK);
	cn[64] = 'a';
	cn[65] = '\0';
	assert_fail(check_subject(cn, NULL, true, &msg), &msg, EDGECA_ERR_INVALID,
	            "csr-common-name-too-long");
	/* Characters, not bytes: 64 two-byte and 64 three-byte characters pass. */
	cn[0] = '\0';
	for (int i = 0; i < 64; i++)
		strcat(cn, "\xc3\xa9"); /* é */
	assert_int_equal(check_subject(cn, NULL, true, &msg), EDGECA_OK);
	strcat(cn, "\xc3\xa9");
	assert_fail(check_subject(cn, NULL, true, &msg), &msg, EDGECA_ERR_INVALID,
	            "csr-common-name-too-long");
	cn[0] = '\0';
	for (int i = 0; i < 64; i++)
		strcat(cn, "\xe6\x97\xa5"); /* 日 */
	assert_int_equal(check_subject(cn, NULL, true, &msg), EDGECA_OK);
	static const char *const ctl[] = {"dev\x01", "a\nb", "tab\there", "del\x7f"};
	for (size_t i = 0; i < 4; i++)
		assert_fail(check_subject(ctl[i], NULL, true, &msg), &msg, EDGECA_ERR_INVALID,
		            "csr-invalid-common-name");
}

static void
test_subject_embedded_nul(void **state)
{
	struct edgeca_msg msg;
	X509_REQ *req = t_csr(ec_key, NULL, NULL, NULL);

	assert_int_equal(t_name_add_cn(X509_REQ_get_subject_name(req), "dev1\0.evil", 10), 1);
	assert_fail(csr_check_subject(req, true, &msg), &msg, EDGECA_ERR_MALFORMED, "csr-malformed");
	X509_REQ_free(req);
}

static void
test_extensions(void **state)
{
	struct edgeca_msg msg;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_REQ *req = t_csr(ec_key, "dev1", NULL, NULL);

	assert_int_equal(csr_extensions(req, &exts, &msg), EDGECA_OK);
	assert_null(exts);
	X509_REQ_free(req);
	req = t_csr(ec_key, "dev1", "DNS:a.example", "CA:TRUE");
	assert_int_equal(csr_extensions(req, &exts, &msg), EDGECA_OK);
	assert_int_equal(sk_X509_EXTENSION_num(exts), 2);
	assert_true(X509v3_get_ext_by_NID(exts, NID_subject_alt_name, -1) >= 0);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
}

/* An EC P-256 key whose SubjectPublicKeyInfo spells the curve out: OpenSSL
 * recognises the parameters as P-256 (and would copy them into the
 * certificate); RFC 5480 allows only the named curve. */
static void
test_explicit_curve_refused(void **state)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"P-256", 0),
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING, (char *)"explicit", 0),
		OSSL_PARAM_END};
	struct edgeca_msg msg;
	EVP_PKEY *k = NULL;
	X509_REQ *req, *back = NULL;
	unsigned char *der;
	size_t len;

	assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_params(ctx, params), 1);
	assert_int_equal(EVP_PKEY_keygen(ctx, &k), 1);
	req = t_csr(k, "explicit-curve", NULL, NULL);
	der = t_req_der(req, &len);
	assert_int_equal(csr_decode(der, len, &back, &msg), EDGECA_OK);
	assert_int_equal(X509_REQ_verify(back, X509_REQ_get0_pubkey(back)), 1);
	assert_fail(csr_check_signature_and_key(back, &msg), &msg, EDGECA_ERR_INVALID,
	            "csr-unsupported-key");
	assert_non_null(strstr(msg.detail, "named curve"));
	OPENSSL_free(der);
	X509_REQ_free(back);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(ctx);
}

/* csr_check_signature_and_key on a CSR of k signed with md; with mgf1,
 * RSASSA-PSS whose MGF1 uses mgf1. */
static edgeca_err
check_signed(EVP_PKEY *k, const EVP_MD *md, const EVP_MD *mgf1, struct edgeca_msg *msg)
{
	X509_REQ *req = t_csr(k, "dev1", NULL, NULL), *back = NULL;
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *der;
	size_t len;
	edgeca_err rc;

	assert_int_equal(EVP_DigestSignInit(mctx, &pctx, md, NULL, k), 1);
	if (mgf1 != NULL) {
		assert_true(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0);
		assert_true(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) > 0);
		assert_true(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, mgf1) > 0);
	}
	assert_true(X509_REQ_sign_ctx(req, mctx) > 0);
	der = t_req_der(req, &len);
	assert_int_equal(csr_decode_der(der, len, &back, msg), EDGECA_OK);
	edgeca_msg_clear(msg);
	rc = csr_check_signature_and_key(back, msg);
	OPENSSL_free(der);
	X509_REQ_free(back);
	X509_REQ_free(req);
	EVP_MD_CTX_free(mctx);
	return rc;
}

/* The proof of possession: SHA-256/384/512 with RSA (PKCS#1 v1.5 or PSS)
 * or ECDSA; MD5 and SHA-1 are weak, anything else unsupported. */
static void
test_signature_digests(void **state)
{
	EVP_PKEY *rsa = t_key("RSA-2048");
	struct edgeca_msg msg;

	assert_int_equal(check_signed(ec_key, EVP_sha256(), NULL, &msg), EDGECA_OK);
	assert_int_equal(check_signed(ec_key, EVP_sha384(), NULL, &msg), EDGECA_OK);
	assert_int_equal(check_signed(ec_key, EVP_sha512(), NULL, &msg), EDGECA_OK);
	assert_int_equal(check_signed(rsa, EVP_sha512(), NULL, &msg), EDGECA_OK);
	assert_int_equal(check_signed(rsa, EVP_sha256(), EVP_sha256(), &msg), EDGECA_OK);
	assert_int_equal(check_signed(rsa, EVP_sha384(), EVP_sha384(), &msg), EDGECA_OK);
	assert_fail(check_signed(rsa, EVP_md5(), NULL, &msg), &msg, EDGECA_ERR_INVALID,
	            "csr-weak-signature");
	assert_non_null(strstr(msg.detail, "MD5"));
	assert_fail(check_signed(rsa, EVP_sha1(), NULL, &msg), &msg, EDGECA_ERR_INVALID,
	            "csr-weak-signature");
	assert_non_null(strstr(msg.detail, "SHA1"));
	assert_fail(check_signed(ec_key, EVP_sha1(), NULL, &msg), &msg, EDGECA_ERR_INVALID,
	            "csr-weak-signature");
	assert_fail(check_signed(rsa, EVP_sha1(), EVP_sha1(), &msg), &msg, EDGECA_ERR_INVALID,
	            "csr-weak-signature");
	assert_fail(check_signed(rsa, EVP_sha256(), EVP_sha1(), &msg), &msg, EDGECA_ERR_INVALID,
	            "csr-weak-signature");
	assert_fail(check_signed(rsa, EVP_sha256(), EVP_sha384(), &msg), &msg, EDGECA_ERR_INVALID,
	            "csr-unsupported-signature");
	assert_fail(check_signed(rsa, EVP_sha224(), NULL, &msg), &msg, EDGECA_ERR_INVALID,
	            "csr-unsupported-signature");
	assert_fail(check_signed(ec_key, EVP_sha3_256(), NULL, &msg), &msg, EDGECA_ERR_INVALID,
	            "csr-unsupported-signature");
	EVP_PKEY_free(rsa);
}

/* BER where DER is due is refused, though OpenSSL reads it and the
 * signature (over the untouched CertificationRequestInfo) verifies: the
 * outer SEQUENCE with a length one octet longer than needed, and with
 * the indefinite form. */
static void
test_ber_refused(void **state)
{
	X509_REQ *req = t_csr(ec_key, "dev1", NULL, NULL), *ossl;
	size_t len, hlen, n;
	unsigned char *der = t_req_der(req, &len), ber[2][1024];
	const unsigned char *p;
	struct edgeca_msg msg;

	assert_true(len < 900 && der[0] == 0x30 && (der[1] == 0x81 || der[1] == 0x82));
	hlen = 2 + (der[1] & 0x7f);
	/* 30 82 00 LL ... / 30 83 00 LL LL ... */
	ber[0][0] = 0x30;
	ber[0][1] = (unsigned char)(der[1] + 1);
	ber[0][2] = 0;
	memcpy(ber[0] + 3, der + 2, len - 2);
	/* 30 80 ... 00 00 */
	ber[1][0] = 0x30;
	ber[1][1] = 0x80;
	memcpy(ber[1] + 2, der + hlen, len - hlen);
	memset(ber[1] + 2 + len - hlen, 0, 2);
	for (int i = 0; i < 2; i++) {
		n = i == 0 ? len + 1 : len - hlen + 4;
		p = ber[i];
		ossl = d2i_X509_REQ(NULL, &p, (long)n);
		assert_non_null(ossl); /* what OpenSSL alone would take */
		assert_int_equal(X509_REQ_verify(ossl, X509_REQ_get0_pubkey(ossl)), 1);
		X509_REQ_free(ossl);
		assert_fail(decode(ber[i], n, &msg), &msg, EDGECA_ERR_MALFORMED, "csr-malformed");
		assert_non_null(strstr(msg.detail, "not DER"));
	}
	OPENSSL_free(der);
	X509_REQ_free(req);
}

/* der_strict_structure at every level, not only the outermost. */
static void
test_der_structure(void **state)
{
	static const struct {
		unsigned char b[12];
		size_t n;
		bool ok;
	} cases[] = {
		{{0x30, 0x03, 0x02, 0x01, 0x00}, 5, true},
		{{0x30, 0x05, 0xa0, 0x03, 0x02, 0x01, 0x00}, 7, true},      /* [0] constructed */
		{{0x30, 0x04, 0x02, 0x81, 0x01, 0x00}, 6, false},           /* inner non-minimal */
		{{0x30, 0x81, 0x03, 0x02, 0x01, 0x00}, 6, false},           /* outer non-minimal */
		{{0x30, 0x80, 0x02, 0x01, 0x00, 0x00, 0x00}, 7, false},     /* indefinite */
		{{0x30, 0x06, 0xa0, 0x80, 0x02, 0x01, 0x00, 0x00}, 8, false}, /* inner indefinite */
		{{0x30, 0x04, 0x24, 0x02, 0x04, 0x00}, 6, false},           /* constructed OCTET STRING */
		{{0x30, 0x04, 0x3f, 0x81, 0x01, 0x00}, 6, false},           /* multi-byte tag */
		{{0x30, 0x02, 0x00, 0x00}, 4, false},                       /* tag 0 */
		{{0x30, 0x03, 0x02, 0x01, 0x00, 0x00}, 6, false},           /* trailing byte */
		{{0x30, 0x04, 0x02, 0x01, 0x00}, 5, false},                 /* short */
		{{0x30, 0x03, 0x02, 0x02, 0x00}, 5, false},                 /* inner overruns */
	};
	unsigned char deep[80];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (der_strict_structure(cases[i].b, cases[i].n) != cases[i].ok)
			fail_msg("case %zu: %s", i, cases[i].ok ? "refused" : "accepted");
	/* nesting: 32 levels of constructed elements are read, 33 are not */
	for (int levels = 32; levels <= 33; levels++) {
		for (int i = 0; i < levels; i++) {
			deep[2 * i] = 0x30;
			deep[2 * i + 1] = (unsigned char)(2 * (levels - i - 1));
		}
		assert_int_equal(der_strict_structure(deep, (size_t)(2 * levels)), levels == 32);
	}
}

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--version-2-child") == 0)
		return version_2_child();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_forms),
		cmocka_unit_test(test_decode_refusals),
		cmocka_unit_test(test_decode_version_2_no_use_after_free),
		cmocka_unit_test(test_keys_accepted),
		cmocka_unit_test(test_keys_refused),
		cmocka_unit_test(test_flipped_signature_bit),
		cmocka_unit_test(test_subject),
		cmocka_unit_test(test_subject_embedded_nul),
		cmocka_unit_test(test_extensions),
		cmocka_unit_test(test_explicit_curve_refused),
		cmocka_unit_test(test_signature_digests),
		cmocka_unit_test(test_ber_refused),
		cmocka_unit_test(test_der_structure),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
