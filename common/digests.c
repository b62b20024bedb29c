#include "common/digests.h"

#include <pthread.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static EVP_MD *sha1, *sha256, *sha384;

/* Kept for the life of the process; a failed fetch falls back to the
 * implicit lookup below. */
static void
fetch_all(void)
{
	sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	sha384 = EVP_MD_fetch(NULL, "SHA384", NULL);
}

const EVP_MD *
digest_sha1(void)
{
	pthread_once(&once, fetch_all);
	return sha1 != NULL ? sha1 : EVP_sha1();
}

const EVP_MD *
digest_sha256(void)
{
	pthread_once(&once, fetch_all);
	return sha256 != NULL ? sha256 : EVP_sha256();
}

const EVP_MD *
digest_sha384(void)
{
	pthread_once(&once, fetch_all);
	return sha384 != NULL ? sha384 : EVP_sha384();
}
