/* The metadata file of a signer key (keys/<id>.meta): the key's
 * algorithm, the digest of its public key, its policy and, once it has
 * one, its CA certificate, as "name value" lines under an HMAC-SHA-256.
 * Used by the key store only; the MAC key comes from it. */
#ifndef EDGECA_SIGNER_KEYMETA_H
#define EDGECA_SIGNER_KEYMETA_H

#include <stddef.h>

#include "common/buf.h"
#include "signer/daemon/keystore.h"

#define KEYMETA_MAC_KEY_LEN 32

/* The whole file for key k, its hmac line last. Returns 0 or -1. */
int keymeta_format(const unsigned char mac_key[KEYMETA_MAC_KEY_LEN], const struct signer_key *k,
                   struct buf *out);

/* Fills k's algorithm, public key digest, policy and certificate from
 * the file text (len bytes, modified) when its HMAC verifies and every
 * line is exactly where and what it must be; k->id must be set and must
 * be the file's. Returns 0, or -1 with k's policy names and certificate
 * possibly set (the caller frees k either way). */
int keymeta_parse(const unsigned char mac_key[KEYMETA_MAC_KEY_LEN], struct signer_key *k,
                  char *text, size_t len);

#endif
