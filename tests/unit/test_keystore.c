/* Unit tests of signer/keystore in a scratch directory: the KEK file, keys
 * encrypted at rest, reloading, metadata integrity and key id checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <fcntl.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include "signer/daemon/keystore.h"
#include "tests/support/certs.h"

#define B(t) (1u << (t))

static char *dir;

static int
setup(void **state)
{
	dir = t_tmpdir();
	return dir == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	t_rmtree(dir);
	return 0;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = calloc(1, 65536);
	size_t n;

	assert_non_null(f);
	n = fread(data, 1, 65535, f);
	fclose(f);
	if (len != NULL)
		*len = n;
	return data;
}

static void
spew(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static struct keystore *
open_ok(const char *d)
{
	struct keystore *ks = NULL;
	struct edgeca_msg msg;

	if (keystore_open(d, NULL, 100, &ks, &msg) != EDGECA_OK)
		fail_msg("keystore_open(%s): %s", d, msg.detail);
	return ks;
}

static void
test_kek_created(void **state)
{
	char sub[4200], kek[4300];
	struct keystore *ks;
	struct stat st;
	char *before, *after;
	size_t len;

	snprintf(sub, sizeof(sub), "%s/kek-created", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	ks = open_ok(sub);
	snprintf(kek, sizeof(kek), "%s/kek", sub);
	assert_int_equal(stat(kek, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 32);
	snprintf(kek, sizeof(kek), "%s/keys", sub);
	assert_int_equal(stat(kek, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 077, 0);
	keystore_free(ks);
	/* Opening again keeps the KEK. */
	before = slurp(kek, &len);
	ks = open_ok(sub);
	after = slurp(kek, NULL);
	assert_memory_equal(before, after, 32);
	free(before);
	free(after);
	keystore_free(ks);
}

static void
test_kek_refused(void **state)
{
	static const unsigned char bytes[33] = {1, 2, 3};
	static const struct {
		const char *name;
		size_t len;
		mode_t mode;
	} cases[] = {{"mode-0644", 32, 0644}, {"mode-0640", 32, 0640}, {"short", 31, 0600},
	             {"long", 33, 0600}, {"empty", 0, 0600}};
	char sub[4200], kek[4300];
	struct keystore *ks = (struct keystore *)1;
	struct edgeca_msg msg;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(sub, sizeof(sub), "%s/kek-%s", dir, cases[i].name);
		assert_int_equal(mkdir(sub, 0700), 0);
		snprintf(kek, sizeof(kek), "%s/kek", sub);
		spew(kek, bytes, cases[i].len, cases[i].mode);
		edgeca_msg_clear(&msg);
		assert_int_not_equal(keystore_open(sub, NULL, 100, &ks, &msg), EDGECA_OK);
		assert_null(ks);
		assert_non_null(strstr(msg.detail, "kek"));
	}
}

static void
test_create_encrypted_and_reload(void **state)
{
	struct signer_policy p = {B(TPL_CLIENT) | B(TPL_SSL), 400, 3, NULL},
	                     bad = {B(TPL_CLIENT), 0, -1, NULL};
	char sub[4200], file[4300], *pem;
	struct keystore *ks, *ks2;
	struct signer_key *k = NULL, *k2 = NULL;
	struct edgeca_msg msg;
	struct stat st;
	BIO *bio;
	EVP_PKEY *plain;

	snprintf(sub, sizeof(sub), "%s/reload", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	ks = open_ok(sub);
	assert_int_equal(keystore_create(ks, "EC-P384", &p, &k, &msg), EDGECA_OK);
	assert_int_equal(strlen(k->id), KEY_ID_LEN);
	assert_int_equal(strspn(k->id, "0123456789abcdef"), KEY_ID_LEN);
	assert_string_equal(k->algorithm, "EC-P384");
	assert_int_equal(EVP_PKEY_get_bits(k->pkey), 384);
	assert_null(keystore_key_cert(ks, k));

	/* On disk: encrypted PKCS#8 only, mode 0600, and it does not open
	 * without the passphrase. */
	snprintf(file, sizeof(file), "%s/keys/%s.key", sub, k->id);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	pem = slurp(file, NULL);
	assert_true(strncmp(pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----\n", 38) == 0);
	assert_null(strstr(pem, "BEGIN PRIVATE KEY"));
	assert_null(strstr(pem, "BEGIN EC PRIVATE KEY"));
	bio = BIO_new_mem_buf(pem, -1);
	plain = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
	assert_null(plain);
	BIO_free(bio);
	free(pem);
	snprintf(file, sizeof(file), "%s/keys/%s.meta", sub, k->id);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* A second store on the same directory loads the same key and policy. */
	ks2 = open_ok(sub);
	assert_int_equal(keystore_get(ks2, k->id, &k2, &msg), EDGECA_OK);
	assert_ptr_not_equal(k2, k);
	assert_int_equal(EVP_PKEY_eq(k->pkey, k2->pkey), 1);
	assert_string_equal(k2->algorithm, "EC-P384");
	assert_int_equal(k2->policy.templates, p.templates);
	assert_int_equal(k2->policy.max_validity_days, 400);
	assert_int_equal(k2->policy.path_length, 3);
	assert_null(keystore_key_cert(ks2, k2));
	keystore_free(ks2);

	assert_int_equal(keystore_create(ks, "EC-P521", &p, &k2, &msg), EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "unsupported-key-algorithm");
	assert_null(k2);
	assert_int_equal(keystore_create(ks, "EC-P256", &bad, &k2, &msg), EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "policy-invalid");
	keystore_free(ks);
}

/* Replaces the first occurrence of from by to in file path. */
static void
edit_file(const char *path, const char *from, const char *to)
{
	size_t len;
	char *data = slurp(path, &len), *at = strstr(data, from), out[65536];

	assert_non_null(at);
	snprintf(out, sizeof(out), "%.*s%s%s", (int)(at - data), data, to, at + strlen(from));
	spew(path, out, strlen(out), 0600);
	free(data);
}

static void
test_meta_tampering(void **state)
{
	static const char *const edits[][2] = {
		{"max_validity_days 365\n", "max_validity_days 3650\n"},
		{"path_length 0\n", "path_length -1\n"},
		{"templates client\n", "templates client,subordinate_ca\n"},
	};
	struct signer_policy p = {B(TPL_CLIENT), 365, 0, NULL};
	char sub[4200], meta[4300], *orig;
	struct keystore *ks;
	struct signer_key *k = NULL, *k2 = (struct signer_key *)1;
	struct edgeca_msg msg;
	size_t len;

	snprintf(sub, sizeof(sub), "%s/tamper", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	ks = open_ok(sub);
	assert_int_equal(keystore_create(ks, "EC-P256", &p, &k, &msg), EDGECA_OK);
	snprintf(meta, sizeof(meta), "%s/keys/%s.meta", sub, k->id);
	orig = slurp(meta, &len);
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		struct keystore *ks2;
		edit_file(meta, edits[i][0], edits[i][1]);
		ks2 = open_ok(sub);
		edgeca_msg_clear(&msg);
		assert_int_equal(keystore_get(ks2, k->id, &k2, &msg), EDGECA_ERR_INTERNAL);
		assert_string_equal(msg.type, "key-damaged");
		assert_null(k2);
		keystore_free(ks2);
		spew(meta, orig, len, 0600); /* the original still loads */
		ks2 = open_ok(sub);
		assert_int_equal(keystore_get(ks2, k->id, &k2, &msg), EDGECA_OK);
		assert_int_equal(k2->policy.max_validity_days, 365);
		keystore_free(ks2);
	}
	free(orig);
	keystore_free(ks);
}

static void
test_key_ids(void **state)
{
	static const char *const bad[] = {
		"", "../x", "../../kek", "0123456789ABCDEF0123456789abcdef",
		"0123456789abcdef0123456789abcde",   /* 31 */
		"0123456789abcdef0123456789abcdef0", /* 33 */
		"0123456789abcdef0123456789abcdef",  /* well-formed, unknown */
		"../keys/0123456789abcdef01234567", "0123456789abcdef/123456789abcdef",
	};
	struct signer_policy p = {B(TPL_CLIENT), 30, -1, NULL};
	char sub[4200], id[KEY_ID_LEN + 1];
	struct keystore *ks;
	struct signer_key *k = NULL, *k2;
	struct edgeca_msg msg;

	snprintf(sub, sizeof(sub), "%s/ids", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	ks = open_ok(sub);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		k2 = (struct signer_key *)1;
		edgeca_msg_clear(&msg);
		assert_int_equal(keystore_get(ks, bad[i], &k2, &msg), EDGECA_ERR_NOT_FOUND);
		assert_string_equal(msg.type, "key-not-found");
		assert_null(k2);
	}
	/* The id of an existing key in upper case is not that key. */
	assert_int_equal(keystore_create(ks, "EC-P256", &p, &k, &msg), EDGECA_OK);
	assert_int_equal(keystore_get(ks, k->id, &k2, &msg), EDGECA_OK);
	assert_ptr_equal(k2, k);
	for (size_t i = 0; i <= KEY_ID_LEN; i++)
		id[i] = (char)toupper((unsigned char)k->id[i]);
	if (strcmp(id, k->id) != 0)
		assert_int_equal(keystore_get(ks, id, &k2, &msg), EDGECA_ERR_NOT_FOUND);
	keystore_free(ks);
}

static void
test_set_cert(void **state)
{
	struct signer_policy p = {B(TPL_CLIENT), 30, -1, NULL};
	char sub[4200];
	struct keystore *ks, *ks2;
	struct signer_key *k = NULL, *k2 = NULL;
	struct edgeca_msg msg;
	EVP_PKEY *other = t_key("EC-P256");
	time_t now = time(NULL);
	X509 *mine, *theirs, *back;

	snprintf(sub, sizeof(sub), "%s/cert", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	ks = open_ok(sub);
	assert_int_equal(keystore_create(ks, "EC-P256", &p, &k, &msg), EDGECA_OK);
	mine = t_ca_cert(k->pkey, "mine", 0, now, now + 86400);
	theirs = t_ca_cert(other, "theirs", 0, now, now + 86400);
	assert_int_equal(keystore_set_cert(ks, k, theirs, &msg), EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "certificate-key-mismatch");
	assert_null(keystore_key_cert(ks, k));
	assert_int_equal(keystore_set_cert(ks, k, mine, &msg), EDGECA_OK);
	assert_int_equal(keystore_set_cert(ks, k, mine, &msg), EDGECA_ERR_CONFLICT);
	assert_string_equal(msg.type, "key-already-certified");
	back = keystore_key_cert(ks, k);
	assert_ptr_equal(back, mine);
	X509_free(back);
	/* Persisted: a new store sees the certificate. */
	ks2 = open_ok(sub);
	assert_int_equal(keystore_get(ks2, k->id, &k2, &msg), EDGECA_OK);
	back = keystore_key_cert(ks2, k2);
	assert_non_null(back);
	assert_int_equal(X509_cmp(back, mine), 0);
	X509_free(back);
	keystore_free(ks2);
	X509_free(mine);
	X509_free(theirs);
	EVP_PKEY_free(other);
	keystore_free(ks);
}

static void
test_algorithm_known(void **state)
{
	static const char *const known[] = {"EC-P256", "EC-P384", "RSA-2048", "RSA-3072",
	                                    "RSA-4096"};

	for (size_t i = 0; i < 5; i++)
		assert_true(keystore_algorithm_known(known[i]));
	assert_false(keystore_algorithm_known("RSA-1024"));
	assert_false(keystore_algorithm_known("ED25519"));
	assert_false(keystore_algorithm_known("ec-p256"));
	assert_false(keystore_algorithm_known(""));
}

/* A KEK outside the state directory is used (and created) there, and the
 * key-count limit refuses creation beyond it, also after a reopen. */
static void
test_kek_elsewhere_and_key_limit(void **state)
{
	struct signer_policy p = {1u << TPL_CLIENT, 30, -1, NULL};
	char sub[4200], kek[4300], local_kek[4300];
	struct signer_key *k = NULL;
	struct keystore *ks = NULL;
	struct edgeca_msg msg;

	snprintf(sub, sizeof(sub), "%s/limited", dir);
	snprintf(kek, sizeof(kek), "%s/outside.kek", dir);
	snprintf(local_kek, sizeof(local_kek), "%s/kek", sub);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(keystore_open(sub, kek, 2, &ks, &msg), EDGECA_OK);
	assert_int_equal(access(kek, F_OK), 0);
	assert_int_not_equal(access(local_kek, F_OK), 0);
	assert_int_equal(keystore_create(ks, "EC-P256", &p, &k, &msg), EDGECA_OK);
	assert_int_equal(keystore_create(ks, "EC-P256", &p, &k, &msg), EDGECA_OK);
	assert_int_equal(keystore_create(ks, "EC-P256", &p, &k, &msg), EDGECA_ERR_CONFLICT);
	assert_string_equal(msg.type, "key-limit-reached");
	keystore_free(ks);
	/* the count comes from the disk, not from memory */
	assert_int_equal(keystore_open(sub, kek, 2, &ks, &msg), EDGECA_OK);
	assert_int_equal(keystore_create(ks, "EC-P256", &p, &k, &msg), EDGECA_ERR_CONFLICT);
	keystore_free(ks);
	assert_int_equal(keystore_open(sub, kek, 3, &ks, &msg), EDGECA_OK);
	assert_int_equal(keystore_create(ks, "EC-P256", &p, &k, &msg), EDGECA_OK);
	keystore_free(ks);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kek_created),
		cmocka_unit_test(test_kek_refused),
		cmocka_unit_test(test_create_encrypted_and_reload),
		cmocka_unit_test(test_meta_tampering),
		cmocka_unit_test(test_key_ids),
		cmocka_unit_test(test_set_cert),
		cmocka_unit_test(test_algorithm_known),
		cmocka_unit_test(test_kek_elsewhere_and_key_limit),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
