#include "common/secretbox.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

static edgeca_err
create_key(const char *path, unsigned char key[SECRETBOX_KEY_LEN], struct edgeca_msg *msg)
{
	edgeca_err rc = EDGECA_ERR_INTERNAL;
	int fd;

	if (RAND_bytes(key, SECRETBOX_KEY_LEN) != 1)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "no randomness for the secrets key");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot create the secrets key %s: %s",
		                   path, strerror(errno));
	if (write(fd, key, SECRETBOX_KEY_LEN) != SECRETBOX_KEY_LEN || fsync(fd) != 0) {
		edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot write the secrets key %s: %s", path,
		            strerror(errno));
		unlink(path);
		goto out;
	}
	log_info("secretbox_load_key: created %s", path);
	rc = EDGECA_OK;
out:
	if (close(fd) != 0 && rc == EDGECA_OK)
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot write the secrets key %s", path);
	return rc;
}

edgeca_err
secretbox_load_key(const char *path, unsigned char key[SECRETBOX_KEY_LEN], struct edgeca_msg *msg)
{
	struct stat st;
	edgeca_err rc = EDGECA_ERR_INTERNAL;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT)
		return create_key(path, key, msg);
	if (fd < 0)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot open the secrets key %s: %s",
		                   path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "the secrets key %s is not a file", path);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
		            "the secrets key %s is accessible to others (mode %03o): chmod 600 it",
		            path, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	n = read(fd, key, SECRETBOX_KEY_LEN);
	if (n != SECRETBOX_KEY_LEN || st.st_size != SECRETBOX_KEY_LEN) {
		edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "the secrets key %s must hold %d bytes",
		            path, SECRETBOX_KEY_LEN);
		goto out;
	}
	rc = EDGECA_OK;
out:
	close(fd);
	if (rc != EDGECA_OK)
		OPENSSL_cleanse(key, SECRETBOX_KEY_LEN);
	return rc;
}

/* Runs AES-256-GCM one way: enc 1 seals (tag written), 0 opens (tag checked). */
static int
gcm(int enc, const unsigned char *key, const unsigned char *nonce, const char *aad,
    const unsigned char *in, size_t len, unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int ok = 0, n = 0, fin = 0;

	if (c == NULL || len > INT32_MAX)
		goto out;
	if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, SECRETBOX_NONCE_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) != 1 ||
	    EVP_CipherUpdate(c, NULL, &n, (const unsigned char *)aad, (int)strlen(aad)) != 1 ||
	    EVP_CipherUpdate(c, out, &n, in, (int)len) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, SECRETBOX_TAG_LEN, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, out + n, &fin) != 1)
		goto out;
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, SECRETBOX_TAG_LEN, tag) != 1)
		goto out;
	ok = 1;
out:
	EVP_CIPHER_CTX_free(c);
	return ok;
}

edgeca_err
secretbox_seal(const unsigned char key[SECRETBOX_KEY_LEN], const char *aad,
               const unsigned char *plain, size_t len, unsigned char **out, size_t *out_len,
               struct edgeca_msg *msg)
{
	unsigned char *b = malloc(len + SECRETBOX_OVERHEAD + 1);

	*out = NULL;
	*out_len = 0;
	if (b == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	if (RAND_bytes(b, SECRETBOX_NONCE_LEN) != 1 ||
	    !gcm(1, key, b, aad, plain, len, b + SECRETBOX_NONCE_LEN,
	         b + SECRETBOX_NONCE_LEN + len)) {
		free(b);
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot seal a secret");
	}
	*out = b;
	*out_len = len + SECRETBOX_OVERHEAD;
	return EDGECA_OK;
}

edgeca_err
secretbox_open(const unsigned char key[SECRETBOX_KEY_LEN], const char *aad,
               const unsigned char *sealed, size_t len, unsigned char **out, size_t *out_len,
               struct edgeca_msg *msg)
{
	unsigned char tag[SECRETBOX_TAG_LEN], *b;
	size_t n;

	*out = NULL;
	*out_len = 0;
	if (len < SECRETBOX_OVERHEAD)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "a sealed secret is truncated");
	n = len - SECRETBOX_OVERHEAD;
	if ((b = malloc(n + 1)) == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	memcpy(tag, sealed + SECRETBOX_NONCE_LEN + n, SECRETBOX_TAG_LEN);
	if (!gcm(0, key, sealed, aad, sealed + SECRETBOX_NONCE_LEN, n, b, tag)) {
		OPENSSL_cleanse(b, n);
		free(b);
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
		                   "a sealed secret does not open under this server's key "
		                   "(EDGECA_SECRETS_KEY_FILE differs between instances?)");
	}
	b[n] = '\0';
	*out = b;
	*out_len = n;
	return EDGECA_OK;
}
