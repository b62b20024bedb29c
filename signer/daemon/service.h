/* The signer's operations: one request message in, one reply out. This is
 * the whole attack surface the server sees; every field is checked here or
 * in the modules it calls, whatever the server already checked. */
#ifndef EDGECA_SIGNER_SERVICE_H
#define EDGECA_SIGNER_SERVICE_H

#include "signer/daemon/keystore.h"
#include "signer/proto/protocol.h"
#include "signer/daemon/siglog.h"

struct signer_service {
	struct keystore *ks;
	struct siglog *log;
};

struct crl_session;

/* What a connection carries from one request to the next: the CRL it is
 * building, if any. Zero-initialise it; signer_session_end frees it. */
struct signer_session {
	struct crl_session *crl;
	/* the key KEY_LOAD loaded just before, taken as its newest record by
	 * the request that follows (empty: none) */
	char loaded[SIGNER_KEY_ID_BYTES];
};

void signer_session_end(struct signer_session *ss);

/* Handles req, one of the requests of the connection whose state is ss,
 * and writes the reply frame into reply (initialised here). Returns -1
 * when req is malformed for its operation: the caller closes the
 * connection without replying (and ends ss). */
int signer_service_handle(struct signer_service *s, struct signer_session *ss,
                          const struct signer_msg *req, struct signer_writer *reply);

#endif
