/* Secrets stored in the database (a CA's webhook secret) are sealed with
 * AES-256-GCM under the server's key file (EDGECA_SECRETS_KEY_FILE), a
 * random 12-byte nonce per seal and the owning object's id as associated
 * data, so a sealed value copied to another row does not open. */
#ifndef EDGECA_COMMON_SECRETBOX_H
#define EDGECA_COMMON_SECRETBOX_H

#include <stddef.h>

#include "common/error.h"

#define SECRETBOX_KEY_LEN 32
#define SECRETBOX_NONCE_LEN 12
#define SECRETBOX_TAG_LEN 16
#define SECRETBOX_OVERHEAD (SECRETBOX_NONCE_LEN + SECRETBOX_TAG_LEN)

/* Reads the 32-byte key at path; creates it (mode 0600, random) when it
 * does not exist. A key file readable or writable by group or others, or
 * not 32 bytes long, is refused. */
edgeca_err secretbox_load_key(const char *path, unsigned char key[SECRETBOX_KEY_LEN],
                              struct edgeca_msg *msg);

/* nonce || ciphertext || tag, malloc'ed (len + SECRETBOX_OVERHEAD bytes). */
edgeca_err secretbox_seal(const unsigned char key[SECRETBOX_KEY_LEN], const char *aad,
                          const unsigned char *plain, size_t len, unsigned char **out,
                          size_t *out_len, struct edgeca_msg *msg);
/* The plain text, malloc'ed and NUL-terminated; refused when the tag,
 * the key or the associated data do not match. */
edgeca_err secretbox_open(const unsigned char key[SECRETBOX_KEY_LEN], const char *aad,
                          const unsigned char *sealed, size_t len, unsigned char **out,
                          size_t *out_len, struct edgeca_msg *msg);

#endif
