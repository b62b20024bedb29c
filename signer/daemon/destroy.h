/* KEY_DESTROY (signer/PROTOCOL.md): the signer destroys a key that never
 * signed anything but its own root certificate or request. Two steps, so
 * that the long one (reading the signature log) runs beside other
 * requests: destroy_check under the service's shared lock, then
 * destroy_finish under its exclusive lock, when no request uses any key,
 * which checks again what came since and destroys. */
#ifndef EDGECA_SIGNER_DESTROY_H
#define EDGECA_SIGNER_DESTROY_H

#include <sys/types.h>

#include "signer/daemon/service.h"

struct destroy_plan {
	char id[SIGNER_KEY_ID_BYTES];
	off_t log_read; /* how far destroy_check read the signature log */
};

/* Finds the key of req (holding it first from req's KEY_RECORD when the
 * signer does not hold it: as KEY_LOAD) and checks that it may be
 * destroyed: not the service CA's key (key-protected, POLICY), no CRL
 * signed and no signature in the log but its own root certificate or
 * request (key-has-signed, CONFLICT). */
edgeca_err destroy_check(struct signer_service *s, const struct signer_msg *req,
                         struct destroy_plan *plan, struct edgeca_msg *msg);

/* The checks again on what changed since destroy_check, then the key
 * destroyed (keystore_destroy), a line in the signature log and an OK
 * reply in w. */
edgeca_err destroy_finish(struct signer_service *s, struct destroy_plan *plan,
                          struct signer_writer *w, struct edgeca_msg *msg);

#endif
