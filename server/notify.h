/* Delivery of lifecycle notices over the network with libcurl, always
 * with connect and total timeouts; called by the scheduler's sender
 * thread only, never on a request thread. Each returns 0 when the notice
 * was accepted, else -1 with a one-line reason in err. */
#ifndef EDGECA_MODEL_NOTIFY_H
#define EDGECA_MODEL_NOTIFY_H

#include <stdbool.h>

#include "server/config.h"
#include "model/lifecycle/lifecycle.h"

#define NOTIFY_ERR_MAX 256
#define NOTIFY_CONNECT_TIMEOUT_S 10
#define NOTIFY_SMTP_TIMEOUT_S 30
#define NOTIFY_WEBHOOK_TIMEOUT_S 10

/* Asked during a transfer: true ends it at once (the server stops).
 * limit_ms, when not 0, ends the transfer after that many milliseconds
 * whatever its own timeout: what is left of the delivery's claim, so that
 * no other instance can claim it while this one is still sending. */
struct notify_cancel {
	bool (*cancelled)(void *arg);
	void *arg;
	long limit_ms;
};

/* Mails n to its recipients through EDGECA_SMTP_*. */
int notify_smtp_send(const struct edgeca_config *cfg, const struct notice *n,
                     const struct notify_cancel *cancel, char err[NOTIFY_ERR_MAX]);

/* POSTs the JSON body to url with X-Edgeca-Signature under secret, signed
 * at the time of this attempt (lifecycle_signature); a 2xx answer is
 * success. */
int notify_webhook_send(const char *url, const char *secret, const char *body,
                        const struct notify_cancel *cancel, char err[NOTIFY_ERR_MAX]);

/* Installs cancel as h's progress callback and h's total timeout: timeout_s,
 * or cancel's limit_ms when shorter (server/notify_*.c). */
int notify_set_cancel(void *h, const struct notify_cancel *cancel, long timeout_s);

#endif
