/* Unit tests of model/secretbox: sealing round trip, refusal of a wrong
 * key, wrong associated data or a changed byte, and the key file (created
 * 0600 with 32 random bytes, read back, refused when others may read it
 * or when its length is wrong). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "common/secretbox.h"
#include "tests/support/certs.h"

static const unsigned char key[SECRETBOX_KEY_LEN] = "0123456789abcdef0123456789abcde";
static const char aad[] = "2b1f5876-73f0-4518-af2d-d81abd34d2bd";

static void
test_round_trip(void **state)
{
	static const char secret[] = "c0ffee c0ffee: the secret";
	unsigned char *sealed = NULL, *sealed2 = NULL, *plain = NULL;
	size_t sealed_len = 0, sealed2_len = 0, plain_len = 0;
	struct edgeca_msg msg;

	assert_int_equal(secretbox_seal(key, aad, (const unsigned char *)secret, strlen(secret),
	                                &sealed, &sealed_len, &msg), EDGECA_OK);
	assert_int_equal(sealed_len, strlen(secret) + SECRETBOX_OVERHEAD);
	assert_null(memmem(sealed, sealed_len, "secret", 6));
	assert_int_equal(secretbox_open(key, aad, sealed, sealed_len, &plain, &plain_len, &msg),
	                 EDGECA_OK);
	assert_int_equal(plain_len, strlen(secret));
	assert_string_equal((char *)plain, secret);
	/* a random nonce each time: the same secret seals differently */
	assert_int_equal(secretbox_seal(key, aad, (const unsigned char *)secret, strlen(secret),
	                                &sealed2, &sealed2_len, &msg), EDGECA_OK);
	assert_int_equal(sealed2_len, sealed_len);
	assert_true(memcmp(sealed, sealed2, sealed_len) != 0);
	free(plain);
	free(sealed);
	free(sealed2);
}

static void
test_refusals(void **state)
{
	unsigned char other[SECRETBOX_KEY_LEN], *sealed = NULL, *plain = NULL;
	size_t sealed_len = 0, plain_len = 0;
	struct edgeca_msg msg;

	memcpy(other, key, sizeof(other));
	other[0] ^= 1;
	assert_int_equal(secretbox_seal(key, aad, (const unsigned char *)"abc", 3, &sealed,
	                                &sealed_len, &msg), EDGECA_OK);
	assert_int_equal(secretbox_open(other, aad, sealed, sealed_len, &plain, &plain_len, &msg),
	                 EDGECA_ERR_INTERNAL);
	assert_null(plain);
	assert_int_equal(secretbox_open(key, "another-ca", sealed, sealed_len, &plain, &plain_len,
	                                &msg), EDGECA_ERR_INTERNAL);
	for (size_t i = 0; i < sealed_len; i++) {
		sealed[i] ^= 0x80;
		assert_int_equal(secretbox_open(key, aad, sealed, sealed_len, &plain, &plain_len, &msg),
		                 EDGECA_ERR_INTERNAL);
		sealed[i] ^= 0x80;
	}
	assert_int_equal(secretbox_open(key, aad, sealed, SECRETBOX_OVERHEAD - 1, &plain,
	                                &plain_len, &msg), EDGECA_ERR_INTERNAL);
	assert_int_equal(secretbox_open(key, aad, sealed, sealed_len, &plain, &plain_len, &msg),
	                 EDGECA_OK);
	free(plain);
	free(sealed);
}

static void
test_key_file(void **state)
{
	unsigned char k1[SECRETBOX_KEY_LEN], k2[SECRETBOX_KEY_LEN];
	char *dir = t_tmpdir(), path[256];
	struct edgeca_msg msg;
	struct stat st;
	int fd;

	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/secrets.key", dir);
	assert_int_equal(secretbox_load_key(path, k1, &msg), EDGECA_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, SECRETBOX_KEY_LEN);
	assert_int_equal(secretbox_load_key(path, k2, &msg), EDGECA_OK);
	assert_memory_equal(k1, k2, SECRETBOX_KEY_LEN);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(secretbox_load_key(path, k2, &msg), EDGECA_ERR_INTERNAL);
	assert_non_null(strstr(msg.detail, "accessible to others"));
	assert_int_equal(chmod(path, 0600), 0);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	assert_int_equal(secretbox_load_key(path, k2, &msg), EDGECA_ERR_INTERNAL);
	assert_non_null(strstr(msg.detail, "32 bytes"));
	t_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_key_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
