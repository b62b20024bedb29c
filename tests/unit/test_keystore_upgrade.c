/* Unit tests of the key store's upgrade from the file store of earlier
 * versions: keys/<id>.key (encrypted PKCS#8 PEM) and keys/<id>.meta
 * (policy and certificate under an HMAC), written here as those versions
 * wrote them, move one by one into sealed records with their policies and
 * certificates intact; a key whose files fail their checks stays where it
 * is; the CRL number records stay with the signer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include "common/encoding.h"
#include "signer/daemon/keymeta.h"
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

static void
derive(const char *label, unsigned char out[32])
{
	unsigned char kek[32];
	unsigned int len = 32;
	char path[4300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/kek", dir);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(kek, 1, 32, f), 32);
	fclose(f);
	assert_non_null(HMAC(EVP_sha256(), kek, 32, (const unsigned char *)label, strlen(label),
	                     out, &len));
}

static void
spew(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* Writes k (id, algorithm, pkey, policy, cert) as the file store wrote it. */
static void
write_legacy(struct signer_key *k)
{
	unsigned char mac_key[32], pass_raw[32];
	char pass[65], path[4300], *pem = NULL;
	unsigned char *der = NULL;
	struct buf meta = {0};
	BIO *bio = BIO_new(BIO_s_mem());
	long pem_len;
	int len = i2d_PUBKEY(k->pkey, &der);

	/* the public key digest that binds the key file to its metadata */
	{
		unsigned char md[32];
		unsigned int md_len = sizeof(md);
		assert_int_equal(EVP_Digest(der, (size_t)len, md, &md_len, EVP_sha256(), NULL), 1);
		hex_encode(md, 32, k->spki_sha256);
	}
	derive("edgeca-signer metadata mac v1", mac_key);
	derive("edgeca-signer pkcs8 passphrase v1", pass_raw);
	hex_encode(pass_raw, 32, pass);
	assert_int_equal(keymeta_format(mac_key, k, &meta), 0);
	snprintf(path, sizeof(path), "%s/keys/%s.meta", dir, k->id);
	spew(path, meta.data, meta.len);
	assert_int_equal(PEM_write_bio_PKCS8PrivateKey(bio, k->pkey, EVP_aes_256_cbc(), pass,
	                                               64, NULL, NULL), 1);
	pem_len = BIO_get_mem_data(bio, &pem);
	snprintf(path, sizeof(path), "%s/keys/%s.key", dir, k->id);
	spew(path, pem, (size_t)pem_len);
	BIO_free(bio);
	buf_free(&meta);
	OPENSSL_free(der);
}

static int
exists(const char *id, const char *where, const char *ext)
{
	char path[4300];
	struct stat st;

	snprintf(path, sizeof(path), "%s/keys%s/%s.%s", dir, where, id, ext);
	return stat(path, &st) == 0;
}

static void
test_file_keys_move_to_records(void **state)
{
	struct signer_key a = {.id = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", .algorithm = "EC-P256"},
	                  b = {.id = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", .algorithm = "EC-P384"},
	                  c = {.id = "cccccccccccccccccccccccccccccccc", .algorithm = "EC-P256"};
	struct keystore *ks = NULL, *other = NULL;
	struct signer_key *k = NULL, *held = NULL;
	struct edgeca_msg msg = {0};
	struct buf rec_a = {0}, rec_b = {0};
	time_t now = time(NULL);
	uint32_t version = 0;
	uint64_t last = 0;
	char path[4300], other_dir[4300];
	X509 *cert;

	/* a state directory as earlier versions left it */
	assert_int_equal(keystore_open(dir, NULL, 100, &ks, &msg), EDGECA_OK);
	keystore_free(ks);
	a.pkey = t_key("EC-P256");
	a.policy = (struct signer_policy){B(TPL_CLIENT), 30, -1, NULL, "", NULL};
	b.pkey = t_key("EC-P384");
	b.policy = (struct signer_policy){B(TPL_CLIENT) | B(TPL_SUBORDINATE_CA), 3650, 2, NULL, "", NULL};
	b.cert = t_ca_cert(b.pkey, "Upgraded Issuing CA", 2, now - 60, now + 86400 * 365);
	c.pkey = t_key("EC-P256");
	c.policy = a.policy;
	write_legacy(&a);
	write_legacy(&b);
	write_legacy(&c);
	/* c's policy widened by hand: its HMAC no longer verifies */
	{
		char text[8192];
		FILE *f;
		size_t n;
		snprintf(path, sizeof(path), "%s/keys/%s.meta", dir, c.id);
		f = fopen(path, "rb");
		assert_non_null(f);
		n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
		text[n] = '\0';
		memcpy(strstr(text, "max_validity_days 30"), "max_validity_days 90", 20);
		spew(path, text, n);
	}

	assert_int_equal(keystore_open(dir, NULL, 100, &ks, &msg), EDGECA_OK);
	/* in id order: a, then b; c fails its checks and stays */
	assert_int_equal(keystore_migrate_next(ks, NULL, &k, &msg), EDGECA_OK);
	assert_non_null(k);
	assert_string_equal(k->id, a.id);
	assert_int_equal(EVP_PKEY_eq(k->pkey, a.pkey), 1);
	assert_int_equal(k->policy.max_validity_days, 30);
	assert_null(keystore_key_cert(ks, k));
	assert_int_equal(keystore_seal(ks, k, &rec_a, &version, &msg), EDGECA_OK);
	assert_int_equal(version, 1);
	/* its files stay until the server says its record is stored */
	assert_true(exists(a.id, "", "key"));
	assert_int_equal(keystore_migrate_next(ks, a.id, &k, &msg), EDGECA_OK);
	assert_false(exists(a.id, "", "key"));
	assert_false(exists(a.id, "", "meta"));
	assert_true(exists(a.id, "/migrated", "key"));
	assert_true(exists(a.id, "/migrated", "meta"));
	assert_non_null(k);
	assert_string_equal(k->id, b.id);
	assert_int_equal(EVP_PKEY_eq(k->pkey, b.pkey), 1);
	assert_int_equal(k->policy.templates, b.policy.templates);
	assert_int_equal(k->policy.path_length, 2);
	cert = keystore_key_cert(ks, k);
	assert_non_null(cert);
	assert_int_equal(X509_cmp(cert, b.cert), 0);
	X509_free(cert);
	assert_int_equal(keystore_seal(ks, k, &rec_b, &version, &msg), EDGECA_OK);
	assert_int_equal(version, 2); /* made, then certified */
	assert_int_equal(keystore_crl_advance(ks, k, 7, &msg), EDGECA_OK);
	assert_int_equal(keystore_migrate_next(ks, b.id, &k, &msg), EDGECA_OK);
	assert_null(k);
	assert_true(exists(b.id, "/migrated", "key"));
	assert_true(exists(c.id, "", "key"));
	assert_true(exists(c.id, "", "meta"));
	keystore_free(ks);

	/* started again: nothing left to move but c, which still fails */
	assert_int_equal(keystore_open(dir, NULL, 100, &ks, &msg), EDGECA_OK);
	assert_int_equal(keystore_migrate_next(ks, NULL, &k, &msg), EDGECA_OK);
	assert_null(k);
	/* the records hold the keys: this signer loads them, and b's CRL
	 * number record is still its own */
	assert_int_equal(keystore_load(ks, b.id, rec_b.data, rec_b.len, &msg), EDGECA_OK);
	assert_int_equal(keystore_get(ks, b.id, &held, &msg), EDGECA_OK);
	assert_int_equal(keystore_crl_last(ks, held, &last, &msg), EDGECA_OK);
	assert_int_equal(last, 7);
	keystore_free(ks);

	/* and so does another signer with the same KEK */
	snprintf(other_dir, sizeof(other_dir), "%s/other", dir);
	assert_int_equal(mkdir(other_dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/kek", dir);
	assert_int_equal(keystore_open(other_dir, path, 100, &other, &msg), EDGECA_OK);
	assert_int_equal(keystore_load(other, a.id, rec_a.data, rec_a.len, &msg), EDGECA_OK);
	assert_int_equal(keystore_load(other, b.id, rec_b.data, rec_b.len, &msg), EDGECA_OK);
	assert_int_equal(keystore_get(other, b.id, &held, &msg), EDGECA_OK);
	assert_int_equal(EVP_PKEY_eq(held->pkey, b.pkey), 1);
	cert = keystore_key_cert(other, held);
	assert_non_null(cert);
	X509_free(cert);
	keystore_free(other);

	buf_free(&rec_a);
	buf_free(&rec_b);
	EVP_PKEY_free(a.pkey);
	EVP_PKEY_free(b.pkey);
	EVP_PKEY_free(c.pkey);
	X509_free(b.cert);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_keys_move_to_records),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
