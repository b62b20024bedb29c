/* CA lifecycle notifications as the tests see them: an instance whose
 * scheduler mails an SMTP sink (sinks.h), CAs near their threshold, and
 * the notifications and deliveries the API shows (admin token). */
#ifndef EDGECA_TEST_LIFECYCLE_H
#define EDGECA_TEST_LIFECYCLE_H

#include <jansson.h>

#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/integration/sinks.h"

/* What the instance's environment points to while it runs. */
struct lifecycle_env {
	struct sink *smtp;
	char smtp_port[64];
	char key_file[256];
};

/* Starts in with env->smtp (started here) as its mail server, a scheduler
 * pass every second, webhook retries from 200 ms and claims of 3 s; then
 * names its secrets key file in in->extra_env, so that peers started from
 * in share it, as documented. */
void lifecycle_start(struct instance *in, struct lifecycle_env *env);
/* Destroys in, then stops env->smtp. */
void lifecycle_stop(struct instance *in, struct lifecycle_env *env);

/* Creates a root CA named name ending a little over an hour from now
 * (notBefore is backdated a minute, so 1 % of its life has passed at
 * once) with threshold 1 %, e-mail addresses emails (a JSON array) and,
 * when hook is given, hook as its webhook, told the CA's secret. Returns
 * the creation answer (the caller frees it). */
struct http_response lifecycle_expiring_ca(struct instance *in, const char *name,
                                           const char *emails, struct sink *hook);
/* The CA's notifications (admin), through in; the caller decrefs them. */
json_t *lifecycle_notifications(struct instance *in, const char *ca_id);
/* The delivery of channel ("email", "webhook") in notification n, or NULL. */
json_t *lifecycle_delivery(json_t *n, const char *channel);
/* Waits up to timeout_s for the channel of the CA's first notification
 * to reach state; returns the notifications (the caller decrefs them),
 * fails the test if it never does. */
json_t *lifecycle_wait_state(struct instance *in, const char *ca_id, const char *channel,
                             const char *state, int timeout_s);

#endif
