#include "signer/daemon/keyrecord.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"

/* "ESKR", format 1, KEK id, version, nonce, metadata length; then the
 * metadata, the ciphertext's length, the ciphertext and the GCM tag. */
#define MAGIC "ESKR"
#define FORMAT 1
#define NONCE_LEN 12
#define TAG_LEN 16
#define HEAD_LEN (4 + 1 + KEYRECORD_KEK_ID_LEN + 4 + NONCE_LEN + 4)

static void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t
get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int
derive(const unsigned char kek[32], const char *label, unsigned char *out, size_t n)
{
	unsigned char md[32];
	unsigned int len = sizeof(md);
	int rc = -1;

	if (HMAC(EVP_sha256(), kek, 32, (const unsigned char *)label, strlen(label), md, &len) !=
	    NULL) {
		memcpy(out, md, n);
		rc = 0;
	}
	OPENSSL_cleanse(md, sizeof(md));
	return rc;
}

int
keyrecord_keys_derive(const unsigned char kek[32], struct keyrecord_keys *out)
{
	return derive(kek, "edgeca-signer sealed record key v1", out->key, KEYRECORD_KEY_LEN) ||
	               derive(kek, "edgeca-signer kek id v1", out->kek_id, KEYRECORD_KEK_ID_LEN)
	           ? -1
	           : 0;
}

/* AES-256-GCM over in (n bytes) with aad, encrypting or decrypting into
 * out; tag is written (enc) or checked (dec). Returns 0 or -1. */
static int
gcm(int enc, const unsigned char key[32], const unsigned char nonce[NONCE_LEN],
    const unsigned char *aad, size_t aad_len, const unsigned char *in, size_t n,
    unsigned char *out, unsigned char tag[TAG_LEN])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len = 0, rc = -1;

	if (c == NULL || n > INT32_MAX || aad_len > INT32_MAX ||
	    EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce, enc) != 1 ||
	    EVP_CipherUpdate(c, NULL, &len, aad, (int)aad_len) != 1 ||
	    (n > 0 && EVP_CipherUpdate(c, out, &len, in, (int)n) != 1))
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, out + (n > 0 ? len : 0), &len) != 1)
		goto out;
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) != 1)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return rc;
}

edgeca_err
keyrecord_seal(const struct keyrecord_keys *k, uint32_t version, const char *meta,
               size_t meta_len, const unsigned char *secret, size_t secret_len,
               struct buf *out, struct edgeca_msg *msg)
{
	unsigned char head[HEAD_LEN], *ct = NULL, tag[TAG_LEN], lenb[4];
	struct buf aad = {0};
	edgeca_err rc = EDGECA_ERR_INTERNAL;

	if (HEAD_LEN + meta_len + 4 + secret_len + TAG_LEN > KEYRECORD_MAX) {
		edgeca_fail(msg, EDGECA_ERR_OVERSIZED, "key-record-too-large",
		            "the key's record would exceed %d bytes", KEYRECORD_MAX);
		return EDGECA_ERR_OVERSIZED;
	}
	memcpy(head, MAGIC, 4);
	head[4] = FORMAT;
	memcpy(head + 5, k->kek_id, KEYRECORD_KEK_ID_LEN);
	put_be32(head + 5 + KEYRECORD_KEK_ID_LEN, version);
	put_be32(head + HEAD_LEN - 4, (uint32_t)meta_len);
	put_be32(lenb, (uint32_t)secret_len);
	if (RAND_bytes(head + 9 + KEYRECORD_KEK_ID_LEN, NONCE_LEN) != 1 ||
	    (ct = malloc(secret_len + 1)) == NULL || buf_append(&aad, head, sizeof(head)) != 0 ||
	    buf_append(&aad, meta, meta_len) != 0 ||
	    gcm(1, k->key, head + 9 + KEYRECORD_KEK_ID_LEN, aad.data, aad.len, secret, secret_len,
	        ct, tag) != 0 ||
	    buf_append(out, aad.data, aad.len) != 0 || buf_append(out, lenb, 4) != 0 ||
	    buf_append(out, ct, secret_len) != 0 || buf_append(out, tag, TAG_LEN) != 0) {
		edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot seal the key's record");
		goto out;
	}
	rc = EDGECA_OK;
out:
	if (ct != NULL) {
		OPENSSL_cleanse(ct, secret_len);
		free(ct);
	}
	buf_free(&aad);
	return rc;
}

void
keyrecord_opened_free(struct keyrecord_opened *o)
{
	if (o == NULL)
		return;
	free(o->meta);
	if (o->secret != NULL) {
		OPENSSL_cleanse(o->secret, o->secret_len);
		free(o->secret);
	}
	memset(o, 0, sizeof(*o));
}

edgeca_err
keyrecord_open(const struct keyrecord_keys *k, const unsigned char *rec, size_t len,
               struct keyrecord_opened *out, struct edgeca_msg *msg)
{
	size_t meta_len, ct_len, aad_len;
	unsigned char tag[TAG_LEN];
	char theirs[2 * KEYRECORD_KEK_ID_LEN + 1], ours[2 * KEYRECORD_KEK_ID_LEN + 1];
	edgeca_err rc;

	memset(out, 0, sizeof(*out));
	if (len < HEAD_LEN + 4 + TAG_LEN || len > KEYRECORD_MAX || memcmp(rec, MAGIC, 4) != 0 ||
	    rec[4] != FORMAT)
		goto malformed;
	meta_len = get_be32(rec + HEAD_LEN - 4);
	if (meta_len > len - HEAD_LEN - 4 - TAG_LEN)
		goto malformed;
	aad_len = HEAD_LEN + meta_len;
	ct_len = get_be32(rec + aad_len);
	if (ct_len != len - aad_len - 4 - TAG_LEN || memchr(rec + HEAD_LEN, '\0', meta_len) != NULL)
		goto malformed;
	if (CRYPTO_memcmp(rec + 5, k->kek_id, KEYRECORD_KEK_ID_LEN) != 0) {
		hex_encode(rec + 5, KEYRECORD_KEK_ID_LEN, theirs);
		hex_encode(k->kek_id, KEYRECORD_KEK_ID_LEN, ours);
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "key-record-other-kek",
		                   "the key record was sealed under KEK %s; this signer holds KEK %s "
		                   "(every signer of a deployment needs the same KEK file)",
		                   theirs, ours);
	}
	out->version = get_be32(rec + 5 + KEYRECORD_KEK_ID_LEN);
	out->meta = malloc(meta_len + 1);
	out->secret = malloc(ct_len + 1);
	if (out->meta == NULL || out->secret == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto fail;
	}
	memcpy(tag, rec + len - TAG_LEN, TAG_LEN);
	if (gcm(0, k->key, rec + 9 + KEYRECORD_KEK_ID_LEN, rec, aad_len, rec + aad_len + 4, ct_len,
	        out->secret, tag) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "key-record-damaged",
		                 "the key record failed its authentication: it was altered");
		goto fail;
	}
	memcpy(out->meta, rec + HEAD_LEN, meta_len);
	out->meta[meta_len] = '\0';
	out->meta_len = meta_len;
	out->secret_len = ct_len;
	return EDGECA_OK;
malformed:
	return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "key-record-malformed",
	                   "the key record is not a sealed record of this signer's format");
fail:
	keyrecord_opened_free(out);
	return rc;
}
