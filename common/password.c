#include "common/password.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"

#define SALT_BYTES 16
#define HASH_BYTES 32
/* 2^14 x 128 x r bytes = 16 MiB and about 40 ms a check on one core: slow
 * for a guesser, bearable for the occasional Basic-authenticated enrollment. */
#define LOG_N 14
#define BLOCK_R 8
#define PARALLEL_P 1
#define MAX_LOG_N 20

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

	if (RAND_bytes(salt, sizeof(salt)) != 1 ||
	    scrypt(password, salt, sizeof(salt), LOG_N, BLOCK_R, PARALLEL_P, hash) != 0)
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

bool
password_verify(const char *password, const char *stored)
{
	unsigned log_n, r, p;
	int consumed = 0;
	const char *salt_b64, *hash_b64;
	unsigned char *salt = NULL, *want = NULL, got[HASH_BYTES];
	size_t salt_len = 0, want_len = 0;
	bool ok = false;

	if (stored == NULL ||
	    sscanf(stored, "$scrypt$ln=%u,r=%u,p=%u$%n", &log_n, &r, &p, &consumed) != 3 ||
	    consumed == 0 || log_n < 10 || log_n > MAX_LOG_N || r < 1 || r > 32 || p < 1 || p > 4)
		return false;
	salt_b64 = stored + consumed;
	hash_b64 = strchr(salt_b64, '$');
	if (hash_b64 == NULL ||
	    base64_decode(salt_b64, (size_t)(hash_b64 - salt_b64), false, &salt, &salt_len) != 0 ||
	    base64_decode(hash_b64 + 1, strlen(hash_b64 + 1), false, &want, &want_len) != 0 ||
	    want_len != HASH_BYTES || salt_len < 8)
		goto done;
	if (scrypt(password, salt, salt_len, log_n, r, p, got) != 0)
		goto done;
	ok = CRYPTO_memcmp(got, want, HASH_BYTES) == 0;
done:
	OPENSSL_cleanse(got, sizeof(got));
	free(salt);
	free(want);
	return ok;
}
