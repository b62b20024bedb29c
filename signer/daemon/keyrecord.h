/* Sealed key records: how a signer key leaves the signer (see "Sealed key
 * records" in signer/PROTOCOL.md). A record is a header, the key's
 * metadata in clear (signer/daemon/keymeta.h: id, algorithm, public key
 * digest, policy, CA certificate) and the private key (PKCS#8 DER)
 * encrypted with AES-256-GCM; header and metadata are its authenticated
 * data. The record key is derived from the KEK that every signer of a
 * deployment holds; the KEK itself never leaves the signers. The server
 * stores records and hands them back: it can read a key's policy but can
 * neither read the private key nor change a byte of either. */
#ifndef EDGECA_SIGNER_KEYRECORD_H
#define EDGECA_SIGNER_KEYRECORD_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

#define KEYRECORD_KEY_LEN 32
#define KEYRECORD_KEK_ID_LEN 8
/* The largest record: a CA certificate of 32 KiB in base64 in the
 * metadata, an RSA-8192 private key and the header fit. */
#define KEYRECORD_MAX 49152

/* The keys a store seals with: the record key and the KEK's id, both
 * derived from the KEK. */
struct keyrecord_keys {
	unsigned char key[KEYRECORD_KEY_LEN];
	unsigned char kek_id[KEYRECORD_KEK_ID_LEN];
};

/* An opened record: version, metadata text (NUL-terminated) and the
 * private key bytes (cleansed by keyrecord_opened_free). */
struct keyrecord_opened {
	uint32_t version;
	char *meta;
	size_t meta_len;
	unsigned char *secret;
	size_t secret_len;
};

/* Derives both from the 32-byte KEK. Returns 0 or -1. */
int keyrecord_keys_derive(const unsigned char kek[32], struct keyrecord_keys *out);

/* Seals metadata and secret as record version into out (appended). */
edgeca_err keyrecord_seal(const struct keyrecord_keys *k, uint32_t version, const char *meta,
                          size_t meta_len, const unsigned char *secret, size_t secret_len,
                          struct buf *out, struct edgeca_msg *msg);

/* Opens a record: key-record-malformed (MALFORMED) when it is not one,
 * key-record-other-kek (INVALID) when another KEK sealed it,
 * key-record-damaged (INVALID) when it fails authentication. */
edgeca_err keyrecord_open(const struct keyrecord_keys *k, const unsigned char *rec, size_t len,
                          struct keyrecord_opened *out, struct edgeca_msg *msg);
void keyrecord_opened_free(struct keyrecord_opened *o);

#endif
