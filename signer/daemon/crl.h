/* CRL signing inside the signer: a session of requests on one connection
 * (CRL_BEGIN, CRL_ENTRIES..., CRL_FINISH; see signer/PROTOCOL.md). The
 * signer writes every part of the CRL but its entries, checks each entry
 * and the CRL number itself, and hashes the TBSCertList as it streams
 * past: one pass over the entries, no OpenSSL object per entry. Called by
 * service.c only. */
#ifndef EDGECA_SIGNER_CRL_H
#define EDGECA_SIGNER_CRL_H

#include "common/error.h"
#include "signer/proto/protocol.h"
#include "signer/daemon/service.h"

/* How far thisUpdate may lie from the signer's clock, in seconds. */
#define CRL_CLOCK_SKEW_S 600
/* The longest nextUpdate - thisUpdate, in seconds. */
#define CRL_MAX_PERIOD_S ((uint64_t)366 * 86400)

struct crl_session;

void crl_session_free(struct crl_session *cs);

/* CRL_BEGIN: checks the key, its CA certificate, the times, the number and
 * the announced size; on success opens *out and replies with the CRL's
 * bytes before the entries. */
edgeca_err crl_begin(struct signer_service *s, const struct signer_msg *req,
                     struct crl_session **out, struct signer_writer *w,
                     struct edgeca_msg *msg);

/* CRL_ENTRIES: checks and hashes one run of complete entries. */
edgeca_err crl_entries(struct crl_session *cs, const struct signer_msg *req,
                       struct signer_writer *w, struct edgeca_msg *msg);

/* CRL_FINISH: signs, records the CRL number and logs, then replies with
 * the CRL's bytes after the entries. The session is over either way. */
edgeca_err crl_finish(struct signer_service *s, struct crl_session *cs, struct signer_writer *w,
                      struct edgeca_msg *msg);

#endif
