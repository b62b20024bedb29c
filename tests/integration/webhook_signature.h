/* Webhook signatures as a receiver checks them (webhook_signature.c). */
#ifndef EDGECA_TEST_WEBHOOK_SIGNATURE_H
#define EDGECA_TEST_WEBHOOK_SIGNATURE_H

#include <stddef.h>
#include <time.h>

/* The check a webhook receiver makes of a delivery: header, the
 * X-Edgeca-Signature value, is "t=<unix seconds>,v1=<hex>" (pairs in any
 * order, other keys ignored), t is within 300 s of now, and a v1 equals,
 * compared in constant time, HMAC-SHA256 under secret of "<t>.<body>".
 * Returns 0 when it verifies; -1 when the HMAC differs (another secret
 * may fit); -2 when malformed or stale (no secret fits); why says why. */
int webhook_verify(const char *header, const char *body, const char *secret, time_t now,
                   char *why, size_t why_len);

/* Fails the test unless the HTTP record of a webhook sink (sinks.h)
 * carries an X-Edgeca-Signature that verifies under secret now. */
void sink_expect_signature(const char *record, const char *secret);

#endif
