/* edgeca-signer import-key: adopts an operator's existing CA private key
 * (PKCS#8 PEM, encrypted or plain) into a sealed key record under the
 * deployment's KEK, on the signer's machine, so that the key never passes
 * through the API server in clear. Called from main() only, and by the
 * unit tests (import_key_seal). */
#ifndef EDGECA_SIGNER_IMPORT_H
#define EDGECA_SIGNER_IMPORT_H

#include <openssl/evp.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"
#include "signer/daemon/keystore.h"
#include "signer/daemon/policy.h"

/* Reads a private key from PEM text: "ENCRYPTED PRIVATE KEY" (PKCS#8,
 * decrypted with passphrase), "PRIVATE KEY" (PKCS#8), or the traditional
 * "EC PRIVATE KEY" / "RSA PRIVATE KEY". Anything else is refused
 * (key-format-unsupported), as is an encrypted key without a passphrase
 * (key-passphrase-needed) or one that does not decrypt
 * (key-passphrase-wrong). passphrase may be NULL.
 * Ownership: *out is the caller's (EVP_PKEY_free). */
edgeca_err import_read_key(const char *pem, size_t len, const char *passphrase, EVP_PKEY **out,
                           struct edgeca_msg *msg);

/* Reads the key as import_read_key does, adopts it in ks under policy p
 * (keystore_import: the checks of KEY_CREATE's policy, the key types the
 * signer supports) and appends its sealed record (version 1) to rec.
 * key_id receives the new key's id. */
edgeca_err import_key_seal(struct keystore *ks, const char *pem, size_t len,
                           const char *passphrase, const struct signer_policy *p,
                           struct buf *rec, char key_id[KEY_ID_LEN + 1], struct edgeca_msg *msg);

/* The import-key subcommand; argv[0] is "import-key". Returns the exit
 * status: 0, 1 (refused or failed), 2 (usage). */
int import_key_main(int argc, char **argv);

#endif
