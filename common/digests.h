/* Digest implementations fetched once. EVP_sha256() and friends make
 * OpenSSL 3 look the implementation up (under a global lock) on every
 * use; on the issuance path that lookup costs more than the hashing. */
#ifndef EDGECA_COMMON_DIGESTS_H
#define EDGECA_COMMON_DIGESTS_H

#include <openssl/evp.h>

/* A SHA-256 (or HMAC-SHA-256) value as lower-case hex and its NUL. */
#define SHA256_HEX_BYTES 65

const EVP_MD *digest_sha1(void);
const EVP_MD *digest_sha256(void);
const EVP_MD *digest_sha384(void);

#endif
