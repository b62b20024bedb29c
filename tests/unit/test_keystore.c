/* Unit tests of signer/keystore in a scratch directory: the KEK file,
 * sealed key records (nothing of a key in clear, every byte bound, another
 * KEK refused, versions that only grow), key id checks and the key limit.
 * The file store it upgrades from: test_keystore_upgrade.c. */
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

/* A key and its policy, as a store returns it. */
static void
assert_same_key(const struct signer_key *a, const struct signer_key *b)
{
	assert_ptr_not_equal(a, b);
	assert_string_equal(a->id, b->id);
	assert_int_equal(EVP_PKEY_eq(a->pkey, b->pkey), 1);
	assert_string_equal(a->algorithm, b->algorithm);
	assert_int_equal(a->policy.templates, b->policy.templates);
	assert_int_equal(a->policy.max_validity_days, b->policy.max_validity_days);
	assert_int_equal(a->policy.path_length, b->policy.path_length);
}

/* Fails when the private key's PKCS#8 DER or its private scalar occurs
 * in data. */
static void
assert_no_private_key(EVP_PKEY *pk, const unsigned char *data, size_t len)
{
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(pk);
	unsigned char *der = NULL, scalar[64];
	int n = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
	BIGNUM *priv = NULL;
	size_t slen;

	assert_true(n > 0);
	assert_null(memmem(data, len, der, (size_t)n));
	assert_int_equal(EVP_PKEY_get_bn_param(pk, "priv", &priv), 1);
	slen = (size_t)BN_num_bytes(priv);
	assert_true(slen <= sizeof(scalar));
	BN_bn2bin(priv, scalar);
	assert_null(memmem(data, len, scalar, slen));
	BN_clear_free(priv);
	OPENSSL_clear_free(der, (size_t)n);
	PKCS8_PRIV_KEY_INFO_free(p8);
}

static void
test_create_seal_and_load(void **state)
{
	struct signer_policy p = {B(TPL_CLIENT) | B(TPL_SSL), 400, 3, NULL, "", NULL},
	                     bad = {B(TPL_CLIENT), 0, -1, NULL, "", NULL};
	char sub[4200], other[4200], file[4300];
	struct keystore *ks, *ks2, *ks3;
	struct signer_key *k = NULL, *k2 = NULL;
	struct edgeca_msg msg;
	struct buf rec = {0};
	uint32_t version = 0;
	struct stat st;

	snprintf(sub, sizeof(sub), "%s/reload", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	ks = open_ok(sub);
	assert_int_equal(keystore_create(ks, "EC-P384", &p, &k, &msg), EDGECA_OK);
	assert_int_equal(strlen(k->id), KEY_ID_LEN);
	assert_int_equal(strspn(k->id, "0123456789abcdef"), KEY_ID_LEN);
	assert_string_equal(k->algorithm, "EC-P384");
	assert_int_equal(EVP_PKEY_get_bits(k->pkey), 384);
	assert_null(keystore_key_cert(ks, k));
	/* nothing of it on disk: the key leaves the signer only sealed */
	snprintf(file, sizeof(file), "%s/keys/%s.key", sub, k->id);
	assert_int_not_equal(stat(file, &st), 0);
	snprintf(file, sizeof(file), "%s/keys/%s.meta", sub, k->id);
	assert_int_not_equal(stat(file, &st), 0);

	assert_int_equal(keystore_seal(ks, k, &rec, &version, &msg), EDGECA_OK);
	assert_int_equal(version, 1);
	assert_true(rec.len > 100 && rec.len < 4096);
	assert_no_private_key(k->pkey, rec.data, rec.len);
	/* the policy is readable, not secret */
	assert_non_null(memmem(rec.data, rec.len, "max_validity_days 400\n", 22));

	/* Another store with the same KEK (another signer) needs the record,
	 * then holds the same key and policy. */
	ks2 = open_ok(sub);
	edgeca_msg_clear(&msg);
	assert_int_equal(keystore_get(ks2, k->id, &k2, &msg), EDGECA_ERR_NOT_FOUND);
	assert_string_equal(msg.type, KEY_RECORD_NEEDED);
	assert_int_equal(keystore_load(ks2, k->id, rec.data, rec.len, &msg), EDGECA_OK);
	assert_int_equal(keystore_get(ks2, k->id, &k2, &msg), EDGECA_OK);
	assert_same_key(k, k2);
	assert_null(keystore_key_cert(ks2, k2));
	assert_int_equal(k2->record_version, 1);
	/* loading it again changes nothing */
	assert_int_equal(keystore_load(ks2, k->id, rec.data, rec.len, &msg), EDGECA_OK);
	keystore_free(ks2);

	/* A signer with another KEK cannot open it, and says why. */
	snprintf(other, sizeof(other), "%s/reload-other", dir);
	assert_int_equal(mkdir(other, 0700), 0);
	ks3 = open_ok(other);
	edgeca_msg_clear(&msg);
	assert_int_equal(keystore_load(ks3, k->id, rec.data, rec.len, &msg), EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "key-record-other-kek");
	assert_non_null(strstr(msg.detail, "same KEK"));
	keystore_free(ks3);

	assert_int_equal(keystore_create(ks, "EC-P521", &p, &k2, &msg), EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "unsupported-key-algorithm");
	assert_null(k2);
	assert_int_equal(keystore_create(ks, "EC-P256", &bad, &k2, &msg), EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "policy-invalid");
	buf_free(&rec);
	keystore_free(ks);
}

/* Loads rec into a fresh store on d; returns the error (EDGECA_OK when
 * taken) and the slug in type. */
static edgeca_err
load_into_fresh(const char *d, const char *id, const unsigned char *rec, size_t len,
                char type[48])
{
	struct keystore *ks = open_ok(d);
	struct edgeca_msg msg = {0};
	edgeca_err rc = keystore_load(ks, id, rec, len, &msg);

	snprintf(type, 48, "%s", msg.type);
	keystore_free(ks);
	return rc;
}

/* Every byte of a record is bound: a change anywhere, in the policy in
 * clear as in the encrypted key, makes it fail; so does a record of
 * another key under this key's id. */
static void
test_record_tampering(void **state)
{
	struct signer_policy p = {B(TPL_CLIENT), 365, 0, NULL, "", NULL};
	char sub[4200], type[48];
	struct keystore *ks;
	struct signer_key *k = NULL, *k2 = NULL;
	struct edgeca_msg msg;
	struct buf rec = {0}, rec2 = {0};
	uint32_t version;
	unsigned char *copy;
	const unsigned char *at;

	snprintf(sub, sizeof(sub), "%s/tamper", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	ks = open_ok(sub);
	assert_int_equal(keystore_create(ks, "EC-P256", &p, &k, &msg), EDGECA_OK);
	assert_int_equal(keystore_create(ks, "EC-P256", &p, &k2, &msg), EDGECA_OK);
	assert_int_equal(keystore_seal(ks, k, &rec, &version, &msg), EDGECA_OK);
	assert_int_equal(keystore_seal(ks, k2, &rec2, &version, &msg), EDGECA_OK);
	assert_int_equal(load_into_fresh(sub, k->id, rec.data, rec.len, type), EDGECA_OK);
	copy = malloc(rec.len);
	assert_non_null(copy);
	/* each byte flipped, one at a time */
	for (size_t i = 0; i < rec.len; i++) {
		memcpy(copy, rec.data, rec.len);
		copy[i] ^= 0x01;
		assert_int_not_equal(load_into_fresh(sub, k->id, copy, rec.len, type), EDGECA_OK);
		if (i >= 5 && i < 13) /* the KEK's id */
			assert_string_equal(type, "key-record-other-kek");
	}
	/* a policy widened in clear: the authentication fails */
	memcpy(copy, rec.data, rec.len);
	at = memmem(copy, rec.len, "max_validity_days 365\n", 22);
	assert_non_null(at);
	copy[at - copy + 18] = '9';
	assert_int_equal(load_into_fresh(sub, k->id, copy, rec.len, type), EDGECA_ERR_INVALID);
	assert_string_equal(type, "key-record-damaged");
	/* cut short, or empty */
	assert_int_equal(load_into_fresh(sub, k->id, rec.data, rec.len - 1, type),
	                 EDGECA_ERR_MALFORMED);
	assert_int_equal(load_into_fresh(sub, k->id, rec.data, 10, type), EDGECA_ERR_MALFORMED);
	assert_string_equal(type, "key-record-malformed");
	/* another key's record under this id */
	assert_int_equal(load_into_fresh(sub, k->id, rec2.data, rec2.len, type),
	                 EDGECA_ERR_INVALID);
	assert_string_equal(type, "key-record-mismatch");
	free(copy);
	buf_free(&rec);
	buf_free(&rec2);
	keystore_free(ks);
}

static void
test_key_ids(void **state)
{
	static const char *const bad[] = {
		"", "../x", "../../kek", "0123456789ABCDEF0123456789abcdef",
		"0123456789abcdef0123456789abcde",   /* 31 */
		"0123456789abcdef0123456789abcdef0", /* 33 */
		"../keys/0123456789abcdef01234567", "0123456789abcdef/123456789abcdef",
	};
	struct signer_policy p = {B(TPL_CLIENT), 30, -1, NULL, "", NULL};
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
		assert_int_equal(keystore_load(ks, bad[i], (const unsigned char *)"x", 1, &msg),
		                 EDGECA_ERR_NOT_FOUND);
	}
	/* a well-formed id the store does not hold: its record is needed */
	assert_int_equal(keystore_get(ks, "0123456789abcdef0123456789abcdef", &k2, &msg),
	                 EDGECA_ERR_NOT_FOUND);
	assert_string_equal(msg.type, KEY_RECORD_NEEDED);
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
	struct signer_policy p = {B(TPL_CLIENT), 30, -1, NULL, "", NULL};
	char sub[4200];
	struct keystore *ks, *ks2;
	struct signer_key *k = NULL, *k2 = NULL;
	struct edgeca_msg msg;
	EVP_PKEY *other = t_key("EC-P256");
	time_t now = time(NULL);
	X509 *mine, *again, *theirs, *back;
	struct buf v1 = {0}, v2 = {0};
	uint32_t version = 0;

	snprintf(sub, sizeof(sub), "%s/cert", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	ks = open_ok(sub);
	assert_int_equal(keystore_create(ks, "EC-P256", &p, &k, &msg), EDGECA_OK);
	assert_int_equal(keystore_seal(ks, k, &v1, &version, &msg), EDGECA_OK);
	mine = t_ca_cert(k->pkey, "mine", 0, now, now + 86400);
	again = t_ca_cert(k->pkey, "mine", 0, now, now + 86400); /* another serial */
	theirs = t_ca_cert(other, "theirs", 0, now, now + 86400);
	assert_int_equal(keystore_set_cert(ks, k, theirs, &msg), EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "certificate-key-mismatch");
	assert_null(keystore_key_cert(ks, k));
	assert_int_equal(keystore_set_cert(ks, k, mine, &msg), EDGECA_OK);
	assert_int_equal(k->record_version, 2);
	/* the same certificate again is no change; another one is refused */
	assert_int_equal(keystore_set_cert(ks, k, mine, &msg), EDGECA_OK);
	assert_int_equal(k->record_version, 2);
	assert_int_equal(keystore_set_cert(ks, k, again, &msg), EDGECA_ERR_CONFLICT);
	assert_string_equal(msg.type, "key-already-certified");
	back = keystore_key_cert(ks, k);
	assert_ptr_equal(back, mine);
	X509_free(back);
	assert_int_equal(keystore_seal(ks, k, &v2, &version, &msg), EDGECA_OK);
	assert_int_equal(version, 2);

	/* Another signer: version 2 brings the certificate ... */
	ks2 = open_ok(sub);
	assert_int_equal(keystore_load(ks2, k->id, v1.data, v1.len, &msg), EDGECA_OK);
	assert_int_equal(keystore_get(ks2, k->id, &k2, &msg), EDGECA_OK);
	assert_null(keystore_key_cert(ks2, k2));
	assert_int_equal(keystore_load(ks2, k->id, v2.data, v2.len, &msg), EDGECA_OK);
	back = keystore_key_cert(ks2, k2);
	assert_non_null(back);
	assert_int_equal(X509_cmp(back, mine), 0);
	X509_free(back);
	assert_int_equal(k2->record_version, 2);
	/* ... and version 1 replayed takes nothing away */
	assert_int_equal(keystore_load(ks2, k->id, v1.data, v1.len, &msg), EDGECA_OK);
	back = keystore_key_cert(ks2, k2);
	assert_non_null(back);
	X509_free(back);
	assert_int_equal(k2->record_version, 2);
	keystore_free(ks2);
	buf_free(&v1);
	buf_free(&v2);
	X509_free(mine);
	X509_free(again);
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
 * key limit bounds the keys a signer holds at once. */
static void
test_kek_elsewhere_and_key_limit(void **state)
{
	struct signer_policy p = {1u << TPL_CLIENT, 30, -1, NULL, "", NULL};
	char sub[4200], kek[4300], local_kek[4300];
	struct signer_key *k = NULL, *first = NULL;
	char first_id[KEY_ID_LEN + 1];
	struct keystore *ks = NULL;
	struct edgeca_msg msg;
	struct buf rec = {0};
	uint32_t version;

	snprintf(sub, sizeof(sub), "%s/limited", dir);
	snprintf(kek, sizeof(kek), "%s/outside.kek", dir);
	snprintf(local_kek, sizeof(local_kek), "%s/kek", sub);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(keystore_open(sub, kek, 2, &ks, &msg), EDGECA_OK);
	assert_int_equal(access(kek, F_OK), 0);
	assert_int_not_equal(access(local_kek, F_OK), 0);
	assert_int_equal(keystore_create(ks, "EC-P256", &p, &first, &msg), EDGECA_OK);
	assert_int_equal(keystore_seal(ks, first, &rec, &version, &msg), EDGECA_OK);
	snprintf(first_id, sizeof(first_id), "%s", first->id);
	assert_int_equal(keystore_create(ks, "EC-P256", &p, &k, &msg), EDGECA_OK);
	assert_int_equal(keystore_create(ks, "EC-P256", &p, &k, &msg), EDGECA_ERR_CONFLICT);
	assert_string_equal(msg.type, "key-limit-reached");
	keystore_free(ks);
	/* a signer started again holds none: it loads up to its limit */
	assert_int_equal(keystore_open(sub, kek, 1, &ks, &msg), EDGECA_OK);
	assert_int_equal(keystore_load(ks, first_id, rec.data, rec.len, &msg), EDGECA_OK);
	assert_int_equal(keystore_create(ks, "EC-P256", &p, &k, &msg), EDGECA_ERR_CONFLICT);
	assert_string_equal(msg.type, "key-limit-reached");
	keystore_free(ks);
	buf_free(&rec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kek_created),
		cmocka_unit_test(test_kek_refused),
		cmocka_unit_test(test_create_seal_and_load),
		cmocka_unit_test(test_record_tampering),
		cmocka_unit_test(test_key_ids),
		cmocka_unit_test(test_set_cert),
		cmocka_unit_test(test_algorithm_known),
		cmocka_unit_test(test_kek_elsewhere_and_key_limit),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
