/* An external root CA for the integration tests, played by the openssl
 * command line in a temporary directory: it signs the CSRs edgeca makes
 * for subordinates chained to it, as an operator's offline root would. */
#ifndef EDGECA_TEST_EXTERNAL_ROOT_H
#define EDGECA_TEST_EXTERNAL_ROOT_H

#include <openssl/x509.h>
#include <stdbool.h>

/* What an operator gives a subordinate CA certificate (openssl -extfile). */
#define EXTERNAL_CA_EXT                                                                        \
	"[v3]\nbasicConstraints=critical,CA:TRUE,pathlen:0\n"                                    \
	"keyUsage=critical,keyCertSign,cRLSign\n"                                                 \
	"subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
/* CA certificates edgeca refuses: without a subjectKeyIdentifier (which
 * openssl 3 adds unless told "none"), and without keyUsage. */
#define EXTERNAL_CA_EXT_NO_SKI                                                                 \
	"[v3]\nbasicConstraints=critical,CA:TRUE,pathlen:0\n"                                    \
	"keyUsage=critical,keyCertSign,cRLSign\n"                                                 \
	"subjectKeyIdentifier=none\nauthorityKeyIdentifier=none\n"
#define EXTERNAL_CA_EXT_NO_CRL_SIGN                                                            \
	"[v3]\nbasicConstraints=critical,CA:TRUE,pathlen:0\n"                                    \
	"keyUsage=critical,keyCertSign\n"                                                         \
	"subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
#define EXTERNAL_CA_EXT_NO_KU                                                                  \
	"[v3]\nbasicConstraints=critical,CA:TRUE,pathlen:0\n"                                    \
	"subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"

struct external_root {
	char dir[64];  /* its key, certificate and work files */
	char *pem;     /* its certificate */
	X509 *cert;
};

/* Makes the root (EC P-256, CN "Offline Root", ten years). */
void external_root_make(struct external_root *root);
/* Removes its directory and frees it. */
void external_root_free(struct external_root *root);
/* Signs csr_pem with extensions ext (openssl config text with a [v3]
 * section), valid for days (negative: expired); the PEM certificate. */
char *external_root_sign(const struct external_root *root, const char *csr_pem, const char *ext,
                         int days);
/* True when `openssl verify` accepts leaf (PEM) under the root through
 * the issuing CA certificate ca (PEM). */
bool external_root_verifies(const struct external_root *root, const char *ca_pem,
                            const char *leaf_pem);

/* Runs a shell command; fails the test when it fails. */
void shell(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Writes text to path; fails the test when it cannot. */
void write_text(const char *path, const char *text);

#endif
