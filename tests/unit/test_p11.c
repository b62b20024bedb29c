/* Unit tests of signer/daemon/p11 against the real SoftHSM2 module, with a
 * token of its own in a scratch directory: generation and import of every
 * algorithm, signing certificates, CSRs and digests through the token,
 * keys that cannot leave it, finding keys again after reopening, refused
 * settings, lost sessions and concurrent signing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "tests/support/certs.h"
#include "signer/daemon/internal/p11_token.h" /* last: PKCS#11 macros */

#define MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define UTIL "/usr/bin/softhsm2-util"
#define LABEL "edgeca-test"
#define PIN "482913"

static const char *const algorithms[] = {"EC-P256", "EC-P384", "RSA-2048", "RSA-3072",
                                         "RSA-4096"};

static char *dir;
static char pin_path[512];
static struct p11_token *token;
static bool available;

static int
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	int rc = f != NULL && fputs(text, f) >= 0 ? 0 : -1;

	if (f != NULL && fclose(f) != 0)
		rc = -1;
	return rc == 0 ? chmod(path, mode) : -1;
}

static struct p11_settings
settings(const char *module, const char *label, const char *pin_file)
{
	return (struct p11_settings){module, label, pin_file};
}

static int
setup(void **state)
{
	char path[600], cmd[1200];

	available = access(MODULE, R_OK) == 0 && access(UTIL, X_OK) == 0;
	if (!available)
		return 0;
	if ((dir = t_tmpdir()) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/tokens", dir);
	if (mkdir(path, 0700) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "directories.tokendir = %s\nobjectstore.backend = file\n"
	         "log.level = ERROR\n", path);
	snprintf(path, sizeof(path), "%s/softhsm2.conf", dir);
	if (write_file(path, cmd, 0600) != 0 || setenv("SOFTHSM2_CONF", path, 1) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd),
	         UTIL " --init-token --free --label " LABEL " --pin " PIN " --so-pin 1234567 "
	         ">/dev/null");
	if (system(cmd) != 0)
		return -1;
	snprintf(pin_path, sizeof(pin_path), "%s/pin", dir);
	if (write_file(pin_path, PIN "\n", 0600) != 0)
		return -1;
	struct p11_settings s = settings(MODULE, LABEL, pin_path);
	return p11_open(&s, &token, NULL) == EDGECA_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	p11_close(token);
	if (dir != NULL)
		t_rmtree(dir);
	return 0;
}

#define NEED_SOFTHSM()                                                                  \
	do {                                                                            \
		if (!available) {                                                       \
			print_message("SoftHSM2 is not installed (" MODULE "): skipped\n"); \
			skip();                                                         \
		}                                                                       \
	} while (0)

static void
new_id(char out[33])
{
	unsigned char b[16];

	assert_int_equal(RAND_bytes(b, sizeof(b)), 1);
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static const EVP_MD *
md_for(EVP_PKEY *k)
{
	return EVP_PKEY_get_bits(k) == 384 ? EVP_sha384() : EVP_sha256();
}

/* The public half alone, through DER: what a relying party holds. */
static EVP_PKEY *
public_copy(EVP_PKEY *k)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int len = i2d_PUBKEY(k, &der);
	EVP_PKEY *pub;

	assert_true(len > 0);
	p = der;
	pub = d2i_PUBKEY(NULL, &p, len);
	OPENSSL_free(der);
	assert_non_null(pub);
	return pub;
}

/* A certificate for subject signed with signer, as the signer's issue.c
 * does (X509_sign). Returns 1 when X509_sign succeeded. */
static int
sign_cert(EVP_PKEY *signer, EVP_PKEY *subject, X509 **out)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	int ok;

	assert_non_null(x);
	assert_non_null(n);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	                                            (const unsigned char *)"p11 test", -1, -1, 0), 1);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 7), 1);
	assert_int_equal(X509_set_subject_name(x, n), 1);
	assert_int_equal(X509_set_issuer_name(x, n), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	assert_int_equal(X509_set_pubkey(x, subject), 1);
	ok = X509_sign(x, signer, md_for(signer)) > 0;
	X509_NAME_free(n);
	*out = x;
	return ok;
}

/* EVP_PKEY_sign over a SHA-256 digest, as the signer's crl.c does. */
static int
sign_digest(EVP_PKEY *k, const unsigned char dig[32], unsigned char *sig, size_t *sig_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
	int ok = ctx != NULL && EVP_PKEY_sign_init(ctx) == 1 &&
	         EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
	         (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA ||
	          EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1) &&
	         EVP_PKEY_sign(ctx, sig, sig_len, dig, 32) == 1;

	EVP_PKEY_CTX_free(ctx);
	return ok;
}

static int
verify_digest(EVP_PKEY *pub, const unsigned char dig[32], const unsigned char *sig,
              size_t sig_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);
	int ok = ctx != NULL && EVP_PKEY_verify_init(ctx) == 1 &&
	         EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
	         EVP_PKEY_verify(ctx, sig, sig_len, dig, 32) == 1;

	EVP_PKEY_CTX_free(ctx);
	return ok;
}

/* Signs a certificate, a CSR and a digest with k; each verifies with the
 * public key alone. */
static void
check_signs(EVP_PKEY *k)
{
	EVP_PKEY *pub = public_copy(k);
	unsigned char dig[32], sig[1024];
	size_t sig_len = sizeof(sig);
	X509_REQ *req = X509_REQ_new();
	X509 *x = NULL;

	assert_true(sign_cert(k, pub, &x));
	assert_int_equal(X509_verify(x, pub), 1);
	assert_non_null(req);
	assert_int_equal(X509_REQ_set_pubkey(req, pub), 1);
	assert_true(X509_REQ_sign(req, k, md_for(k)) > 0);
	assert_int_equal(X509_REQ_verify(req, pub), 1);
	assert_int_equal(RAND_bytes(dig, sizeof(dig)), 1);
	assert_true(sign_digest(k, dig, sig, &sig_len));
	assert_true(verify_digest(pub, dig, sig, sig_len));
	dig[0] ^= 1;
	assert_false(verify_digest(pub, dig, sig, sig_len));
	X509_free(x);
	X509_REQ_free(req);
	EVP_PKEY_free(pub);
}

/* The handle of the token's private object under key_id, found on a
 * session taken in *s (given back by the caller). */
static CK_OBJECT_HANDLE
private_object(const char *key_id, CK_SESSION_HANDLE *s)
{
	unsigned char id[P11_ID_LEN];
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE find[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, id, sizeof(id)}};
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ULONG n = 0;

	assert_int_equal(p11_parse_id(key_id, id, NULL), EDGECA_OK);
	assert_int_equal(p11_session_take(token, s), CKR_OK);
	assert_int_equal(token->f->C_FindObjectsInit(*s, find, 2), CKR_OK);
	assert_int_equal(token->f->C_FindObjects(*s, &h, 1, &n), CKR_OK);
	assert_int_equal(token->f->C_FindObjectsFinal(*s), CKR_OK);
	assert_int_equal(n, 1);
	return h;
}

/* The token's private object under key_id: sensitive, not extractable, its
 * secret attribute refused. */
static void
check_private_stays(const char *key_id, bool rsa)
{
	unsigned char secret[1024];
	CK_BBOOL sensitive = CK_FALSE, extractable = CK_TRUE;
	CK_ATTRIBUTE flags[] = {{CKA_SENSITIVE, &sensitive, sizeof(sensitive)},
	                        {CKA_EXTRACTABLE, &extractable, sizeof(extractable)}};
	CK_ATTRIBUTE leak = {rsa ? CKA_PRIVATE_EXPONENT : CKA_VALUE, secret, sizeof(secret)};
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE h = private_object(key_id, &s);

	assert_int_equal(token->f->C_GetAttributeValue(s, h, flags, 2), CKR_OK);
	assert_int_equal(sensitive, CK_TRUE);
	assert_int_equal(extractable, CK_FALSE);
	assert_int_equal(token->f->C_GetAttributeValue(s, h, &leak, 1), CKR_ATTRIBUTE_SENSITIVE);
	assert_int_equal(leak.ulValueLen, CK_UNAVAILABLE_INFORMATION);
	p11_session_give(token, s, CKR_OK);
}

static void
test_generate_and_sign(void **state)
{
	NEED_SOFTHSM();
	for (size_t i = 0; i < sizeof(algorithms) / sizeof(algorithms[0]); i++) {
		struct edgeca_msg msg = {0};
		EVP_PKEY *k = NULL;
		char id[33];

		new_id(id);
		assert_int_equal(p11_generate(token, id, algorithms[i], &k, &msg), EDGECA_OK);
		check_signs(k);
		check_private_stays(id, algorithms[i][0] == 'R');
		EVP_PKEY_free(k);
		/* the id is the key's: a second key under it is refused */
		assert_int_equal(p11_generate(token, id, "EC-P256", &k, &msg), EDGECA_ERR_CONFLICT);
		assert_null(k);
	}
}

static void
test_bad_arguments(void **state)
{
	struct edgeca_msg msg = {0};
	EVP_PKEY *k = NULL;
	char id[33];

	NEED_SOFTHSM();
	new_id(id);
	assert_int_equal(p11_generate(token, id, "EC-P521", &k, &msg), EDGECA_ERR_INVALID);
	assert_int_equal(p11_generate(token, "ABCDEF", "EC-P256", &k, &msg), EDGECA_ERR_INVALID);
	id[0] = 'A';
	assert_int_equal(p11_find(token, id, &k, &msg), EDGECA_ERR_INVALID);
	assert_null(k);
}

static void
test_reopen_and_find(void **state)
{
	struct p11_settings s = settings(MODULE, LABEL, pin_path);
	struct edgeca_msg msg = {0};
	unsigned char *der1 = NULL, *der2 = NULL;
	int len1, len2;
	EVP_PKEY *k = NULL;
	char id[33];

	NEED_SOFTHSM();
	for (size_t i = 0; i < 3; i++) {
		new_id(id);
		assert_int_equal(p11_generate(token, id, algorithms[i], &k, &msg), EDGECA_OK);
		len1 = i2d_PUBKEY(k, &der1);
		EVP_PKEY_free(k);
		k = NULL;
		/* every hold on the token is gone: the module is finalized */
		p11_close(token);
		token = NULL;
		assert_int_equal(p11_open(&s, &token, &msg), EDGECA_OK);
		assert_int_equal(p11_find(token, id, &k, &msg), EDGECA_OK);
		len2 = i2d_PUBKEY(k, &der2);
		assert_true(len1 > 0);
		assert_int_equal(len1, len2);
		assert_memory_equal(der1, der2, (size_t)len1);
		check_signs(k);
		EVP_PKEY_free(k);
		k = NULL;
		OPENSSL_free(der1);
		OPENSSL_free(der2);
		der1 = der2 = NULL;
	}
	new_id(id);
	assert_int_equal(p11_find(token, id, &k, &msg), EDGECA_ERR_NOT_FOUND);
	assert_string_equal(msg.type, "key-not-found");
	assert_null(k);
}

/* Opens with s and expects code and a message holding words. */
static void
expect_refused(struct p11_settings s, edgeca_err code, const char *words)
{
	struct edgeca_msg msg = {0};
	struct p11_token *t = NULL;

	assert_int_equal(p11_open(&s, &t, &msg), code);
	assert_null(t);
	if (strstr(msg.detail, words) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", msg.detail, words);
}

static void
test_open_refusals(void **state)
{
	struct p11_settings s = settings(MODULE, LABEL, pin_path);
	char wrong[600], loose[600];

	NEED_SOFTHSM();
	/* the token must not be logged in by another hold for the PIN to count */
	p11_close(token);
	token = NULL;
	snprintf(wrong, sizeof(wrong), "%s/wrong-pin", dir);
	snprintf(loose, sizeof(loose), "%s/loose-pin", dir);
	assert_int_equal(write_file(wrong, "000000\n", 0600), 0);
	assert_int_equal(write_file(loose, PIN "\n", 0644), 0);
	expect_refused(settings(MODULE, LABEL, wrong), EDGECA_ERR_INVALID,
	               "is not its user PIN");
	expect_refused(settings(MODULE, "no-such-token", pin_path), EDGECA_ERR_UNAVAILABLE,
	               "no token labelled \"no-such-token\"");
	expect_refused(settings("/nonexistent/libpkcs11.so", LABEL, pin_path),
	               EDGECA_ERR_UNAVAILABLE, "cannot load the PKCS#11 module");
	expect_refused(settings(MODULE, LABEL, loose), EDGECA_ERR_INVALID,
	               "mode 0600 or 0400 (found uid");
	expect_refused(settings(MODULE, LABEL, "/nonexistent/pin"), EDGECA_ERR_INVALID,
	               "cannot read the PIN file");
	/* a 0400 file is as good as 0600 */
	assert_int_equal(chmod(pin_path, 0400), 0);
	assert_int_equal(p11_open(&s, &token, NULL), EDGECA_OK);
	assert_int_equal(chmod(pin_path, 0600), 0);
}

static void
test_import(void **state)
{
	static const char *const soft[] = {"EC-P256", "EC-P384", "RSA-2048"};

	NEED_SOFTHSM();
	for (size_t i = 0; i < sizeof(soft) / sizeof(soft[0]); i++) {
		struct edgeca_msg msg = {0};
		EVP_PKEY *sw = t_key(soft[i]), *k = NULL;
		unsigned char dig[32], sig[1024];
		size_t sig_len = sizeof(sig);
		char id[33];
		X509 *x = NULL;

		assert_non_null(sw);
		new_id(id);
		assert_int_equal(p11_import(token, id, sw, &k, &msg), EDGECA_OK);
		/* the token signs for the software key's public key */
		assert_true(sign_cert(k, k, &x));
		assert_int_equal(X509_verify(x, sw), 1);
		assert_int_equal(RAND_bytes(dig, sizeof(dig)), 1);
		assert_true(sign_digest(k, dig, sig, &sig_len));
		assert_true(verify_digest(sw, dig, sig, sig_len));
		check_private_stays(id, soft[i][0] == 'R');
		X509_free(x);
		EVP_PKEY_free(k);
		assert_int_equal(p11_import(token, id, sw, &k, &msg), EDGECA_ERR_CONFLICT);
		EVP_PKEY_free(sw);
	}
}

/* A lost session is reopened (and the login made again); a key the token
 * no longer has makes the OpenSSL call fail, with no signature. */
static void
test_lost_session_and_key(void **state)
{
	struct edgeca_msg msg = {0};
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE h;
	EVP_PKEY *k = NULL, *pub;
	X509 *x = NULL;
	char key_id[33];

	NEED_SOFTHSM();
	new_id(key_id);
	assert_int_equal(p11_generate(token, key_id, "EC-P256", &k, &msg), EDGECA_OK);
	/* every session of the application closes: the login goes with them */
	assert_int_equal(token->f->C_CloseAllSessions(token->slot), CKR_OK);
	check_signs(k);

	h = private_object(key_id, &s);
	assert_int_equal(token->f->C_DestroyObject(s, h), CKR_OK);
	p11_session_give(token, s, CKR_OK);
	pub = public_copy(k);
	assert_false(sign_cert(k, pub, &x));
	assert_int_not_equal(X509_verify(x, pub), 1);
	X509_free(x);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
	assert_int_equal(p11_find(token, key_id, &k, &msg), EDGECA_ERR_NOT_FOUND);
}

#define THREADS 4
#define ROUNDS 200

struct worker {
	EVP_PKEY *k, *pub;
	atomic_int *bad;
};

static void *
sign_many(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < ROUNDS; i++) {
		unsigned char dig[32], sig[1024];
		size_t sig_len = sizeof(sig);

		if (RAND_bytes(dig, sizeof(dig)) != 1 || !sign_digest(w->k, dig, sig, &sig_len) ||
		    !verify_digest(w->pub, dig, sig, sig_len))
			atomic_fetch_add(w->bad, 1);
	}
	return NULL;
}

static void
test_threads(void **state)
{
	static const char *const algs[] = {"EC-P256", "RSA-2048"};

	NEED_SOFTHSM();
	for (size_t a = 0; a < 2; a++) {
		struct edgeca_msg msg = {0};
		atomic_int bad = 0;
		pthread_t th[THREADS];
		struct worker w;
		char id[33];

		new_id(id);
		assert_int_equal(p11_generate(token, id, algs[a], &w.k, &msg), EDGECA_OK);
		w.pub = public_copy(w.k);
		w.bad = &bad;
		for (int i = 0; i < THREADS; i++)
			assert_int_equal(pthread_create(&th[i], NULL, sign_many, &w), 0);
		for (int i = 0; i < THREADS; i++)
			assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(atomic_load(&bad), 0);
		EVP_PKEY_free(w.k);
		EVP_PKEY_free(w.pub);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_and_sign),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_reopen_and_find),
		cmocka_unit_test(test_open_refusals),
		cmocka_unit_test(test_import),
		cmocka_unit_test(test_lost_session_and_key),
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
