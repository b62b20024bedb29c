#include "common/password.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <malloc.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/encoding.h"

#define SALT_BYTES 16
#define HASH_BYTES 32
/* 2^14 x 128 x r bytes = 16 MiB and about 40 ms a check on one core: slow
 * for a guesser, bearable for the occasional Basic-authenticated enrollment. */
#define LOG_N 14
#define BLOCK_R 8
#define PARALLEL_P 1
#define MAX_LOG_N 20

/* The scrypt slots: a count under a mutex, waited for on a condition
 * timed against the monotonic clock. */
/* Blocks this large come straight from mmap and go back to the system
 * when freed (see slots_init). */
#define MMAP_FROM_BYTES (1024 * 1024)
static pthread_once_t slots_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slots_free;
static unsigned slots_running;

static void
slots_init(void)
{
	pthread_condattr_t attr;

	/* glibc raises its mmap threshold to the size of the first mapped
	 * block freed: every later 16 MiB scrypt block then comes from the
	 * arena of its thread and stays there once freed, so each thread
	 * that ever ran scrypt would keep 16 MiB, bounded by the number of
	 * threads, not of slots. A fixed threshold keeps them mapped. */
	if (mallopt(M_MMAP_THRESHOLD, MMAP_FROM_BYTES) != 1)
		fprintf(stderr, "password: cannot set the mmap threshold\n");
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&slots_free, &attr);
	pthread_condattr_destroy(&attr);
}

/* Takes a scrypt slot, waiting at most wait_ms (forever when negative);
 * 0, or -1 when none came free. */
static int
slot_take(long wait_ms)
{
	struct timespec until;
	int rc = 0;

	pthread_once(&slots_once, slots_init);
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (wait_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&slots_lock);
	while (slots_running >= PASSWORD_MAX_RUNNING && rc == 0)
		rc = wait_ms < 0 ? pthread_cond_wait(&slots_free, &slots_lock)
		                 : pthread_cond_timedwait(&slots_free, &slots_lock, &until);
	if (slots_running < PASSWORD_MAX_RUNNING) {
		slots_running++;
		rc = 0;
	} else {
		rc = -1;
	}
	pthread_mutex_unlock(&slots_lock);
	return rc;
}

static void
slot_give(void)
{
	pthread_mutex_lock(&slots_lock);
	slots_running--;
	pthread_cond_signal(&slots_free);
	pthread_mutex_unlock(&slots_lock);
}

static int
scrypt(const char *password, const unsigned char *salt, size_t salt_len, unsigned log_n,
       unsigned r, unsigned p, unsigned char out[HASH_BYTES])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	uint64_t n = (uint64_t)1 << log_n;
	uint32_t r32 = r, p32 = p;
	uint64_t maxmem = 1024ULL * 1024 * 1024;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)password,
		                                  strlen(password)),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len),
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r32),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p32),
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
		OSSL_PARAM_construct_end(),
	};
	int rc = kctx != NULL && EVP_KDF_derive(kctx, out, HASH_BYTES, params) == 1 ? 0 : -1;

	ERR_clear_error();
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return rc;
}

char *
password_hash(const char *password)
{
	unsigned char salt[SALT_BYTES], hash[HASH_BYTES];
	char *salt_b64 = NULL, *hash_b64 = NULL, *out = NULL;
	size_t need;
	int rc;

	if (RAND_bytes(salt, sizeof(salt)) != 1 || slot_take(-1) != 0)
		goto done;
	rc = scrypt(password, salt, sizeof(salt), LOG_N, BLOCK_R, PARALLEL_P, hash);
	slot_give();
	if (rc != 0)
		goto done;
	salt_b64 = base64_encode(salt, sizeof(salt), 0);
	hash_b64 = base64_encode(hash, sizeof(hash), 0);
	if (salt_b64 == NULL || hash_b64 == NULL)
		goto done;
	need = strlen(salt_b64) + strlen(hash_b64) + 40;
	out = malloc(need);
	if (out != NULL)
		snprintf(out, need, "$scrypt$ln=%d,r=%d,p=%d$%s$%s", LOG_N, BLOCK_R, PARALLEL_P,
		         salt_b64, hash_b64);
done:
	OPENSSL_cleanse(hash, sizeof(hash));
	free(salt_b64);
	free(hash_b64);
	return out;
}

/* password_check with wait_ms negative for no limit. */
static enum password_result
check(const char *password, const char *stored, long wait_ms)
{
	unsigned log_n, r, p;
	int consumed = 0;
	const char *salt_b64, *hash_b64;
	unsigned char *salt = NULL, *want = NULL, got[HASH_BYTES];
	size_t salt_len = 0, want_len = 0;
	enum password_result res = PASSWORD_MISMATCH;
	int rc;

	if (stored == NULL ||
	    sscanf(stored, "$scrypt$ln=%u,r=%u,p=%u$%n", &log_n, &r, &p, &consumed) != 3 ||
	    consumed == 0 || log_n < 10 || log_n > MAX_LOG_N || r < 1 || r > 32 || p < 1 || p > 4)
		return PASSWORD_MISMATCH;
	salt_b64 = stored + consumed;
	hash_b64 = strchr(salt_b64, '$');
	if (hash_b64 == NULL ||
	    base64_decode(salt_b64, (size_t)(hash_b64 - salt_b64), false, &salt, &salt_len) != 0 ||
	    base64_decode(hash_b64 + 1, strlen(hash_b64 + 1), false, &want, &want_len) != 0 ||
	    want_len != HASH_BYTES || salt_len < 8)
		goto done;
	if (slot_take(wait_ms) != 0) {
		res = PASSWORD_BUSY;
		goto done;
	}
	rc = scrypt(password, salt, salt_len, log_n, r, p, got);
	slot_give();
	if (rc == 0 && CRYPTO_memcmp(got, want, HASH_BYTES) == 0)
		res = PASSWORD_MATCH;
done:
	OPENSSL_cleanse(got, sizeof(got));
	free(salt);
	free(want);
	return res;
}

enum password_result
password_check(const char *password, const char *stored, unsigned wait_ms)
{
	return check(password, stored, (long)wait_ms);
}

bool
password_verify(const char *password, const char *stored)
{
	return check(password, stored, -1) == PASSWORD_MATCH;
}
