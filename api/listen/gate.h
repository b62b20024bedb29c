/* The signer gate of a listener: at most `capacity` of its requests at once
 * may need the signer (issuance, CA creation and chaining, CRLs on demand,
 * EST enrollment). The listener's other threads never wait on the signer,
 * so reads, /healthz, /readyz and EST cacerts are served whatever it does.
 * A request that finds the gate full waits for a place while the signer
 * makes progress; once the signer is stalled (signer/client/stall.h), signer-bound
 * requests are refused at once, to be answered 503 with Retry-After.
 * Each listener (api/rest/server.c, api/est/est_server.c) owns one. */
#ifndef EDGECA_API_GATE_H
#define EDGECA_API_GATE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

struct signer_gate;

/* Whether the signer is stalled; if so *retry_after_s and *silent_s
 * (how long it has answered nothing) are set. */
typedef bool (*gate_stalled_fn)(void *arg, unsigned *retry_after_s, unsigned *silent_s);

enum gate_verdict {
	GATE_ADMITTED, /* go on; gate_leave afterwards */
	GATE_STALLED,  /* the signer answers nothing: refuse at once */
	GATE_FULL,     /* no place came free within the wait */
};

/* The gate's size for a listener with `threads` worker threads: the
 * configured number when not 0, else the threads minus a reserve of a
 * quarter of them (rounded up), at least 2 (and at most the threads). */
unsigned gate_capacity(unsigned threads, unsigned configured);

edgeca_err gate_new(unsigned capacity, gate_stalled_fn stalled, void *stalled_arg,
                    struct signer_gate **out, struct edgeca_msg *msg);
void gate_free(struct signer_gate *g);

/* Enters the gate, waiting at most wait_ms for a place while the signer
 * is not stalled. On refusal *retry_after_s is the seconds to advertise
 * and *silent_s how long the signer has been silent (0 for GATE_FULL). */
enum gate_verdict gate_enter(struct signer_gate *g, unsigned wait_ms, unsigned *retry_after_s,
                             unsigned *silent_s);
void gate_leave(struct signer_gate *g);

/* The one-line reason of a refusal (v not GATE_ADMITTED), for people. */
void gate_refusal_text(enum gate_verdict v, unsigned silent_s, char *out, size_t len);

/* A gate_stalled_fn over the server's signer pool (arg: struct signer_pool). */
bool gate_signer_stalled(void *pool, unsigned *retry_after_s, unsigned *silent_s);

#endif
