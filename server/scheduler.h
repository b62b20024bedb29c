/* The background scheduler of edgeca-server: one thread with its own
 * database connection that keeps every CA location's CRL current (made
 * when missing, before nextUpdate minus the CA's overlap, and after
 * revocations, a burst coalesced into one CRL). Safe with several server
 * instances on one database: each CRL is built under a database lock by
 * one of them, and the others find it current. A second thread it owns
 * creates and sends CA lifecycle notifications (model/lifecycle/notification.h)
 * every EDGECA_SCHEDULER_INTERVAL; a due CRL it cannot make is notified
 * (crl_generation_failed, model/lifecycle/crl_failure.h). */
#ifndef EDGECA_SERVER_SCHEDULER_H
#define EDGECA_SERVER_SCHEDULER_H

#include "model/core/context.h"
#include "server/config.h"

struct scheduler;

edgeca_err scheduler_start(struct edgeca_ctx *ctx, const struct edgeca_config *cfg,
                           struct scheduler **out, struct edgeca_msg *msg);
/* Stops the thread (a CRL being built is finished first). NULL is fine. */
void scheduler_stop(struct scheduler *s);

#endif
