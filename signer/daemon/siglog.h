/* The signer's own append-only log: one line per signature, written before
 * the signed object is returned. */
#ifndef EDGECA_SIGNER_SIGLOG_H
#define EDGECA_SIGNER_SIGLOG_H

#include <openssl/x509.h>
#include <stdint.h>
#include <sys/types.h>

struct siglog;

struct siglog *siglog_open(const char *path);
void siglog_close(struct siglog *l);
/* "2026-11-26T18:00:00Z key=<id> op=<op> template=<t> serial=<hex>
 *  subject="<dn>" sha256=<hex of the DER>". Returns 0 or -1. */
int siglog_append(struct siglog *l, const char *key_id, const char *op, const char *tpl,
                  const X509 *cert);
/* The same for a certification request the key signed ("op=csr", no
 * template, no serial). */
int siglog_append_csr(struct siglog *l, const char *key_id, const X509_REQ *csr);
/* A CRL: "... key=<id> op=crl number=<n> entries_bytes=<bytes of the
 * revokedCertificates entries> sha256=<hex of the DER TBSCertList>". */
int siglog_append_crl(struct siglog *l, const char *key_id, uint64_t number,
                      uint64_t entries_bytes, const unsigned char tbs_sha256[32]);

/* A key destroyed (KEY_DESTROY): "... key=<id> op=destroy". */
int siglog_append_destroy(struct siglog *l, const char *key_id);

/* Whether the log has a line of key_id for a signature other than its
 * own root certificate (op=self_sign) or its own request (op=csr): a
 * certificate issued, a CRL, or anything a later version adds. Reads from
 * *from (0: the beginning) to the last complete line, and sets *from
 * there, so a second call reads only what came since. Returns 1 (it
 * has), 0 (it has not) or -1 (the log cannot be read). */
int siglog_key_signed(struct siglog *l, const char *key_id, off_t *from);

#endif
