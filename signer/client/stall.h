/* Whether the signer makes progress, as the server's signer pool sees it
 * (signer/client/client_pool.c): how many exchanges wait for a reply and when the
 * signer last replied. Kept in atomics so that the request gates of the
 * listeners (api/listen/gate.c) read it on every signer-bound request without a
 * lock; the pool writes it. Times are CLOCK_MONOTONIC milliseconds passed
 * in by the caller, so the rules are pure and tested as such. */
#ifndef EDGECA_SIGNER_STALL_H
#define EDGECA_SIGNER_STALL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Exchanges wait and no reply has come for longer than this: the signer
 * is stalled (stopped, hung, or starved of CPU). */
#define SIGNER_STALL_MS 2000

struct signer_stall {
	atomic_int waiting;        /* exchanges under way (key generation not counted) */
	atomic_llong progress_ms;  /* the last reply, or the start of an exchange that
	                              found none under way */
};

/* An exchange starts / ends (answered or not). The pool serialises these
 * two under its lock. */
void stall_begin(struct signer_stall *s, int64_t now_ms);
void stall_end(struct signer_stall *s);
/* A reply came (any reply, an error included: the signer works). */
void stall_reply(struct signer_stall *s, int64_t now_ms);

/* True when exchanges wait and the signer has replied to nothing for more
 * than SIGNER_STALL_MS; *silent_ms (may be NULL) receives how long it has
 * been silent (0 when it is not stalled). */
bool stall_check(struct signer_stall *s, int64_t now_ms, int64_t *silent_ms);

#endif
