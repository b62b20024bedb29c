/* The connection pool under the signer client (signer/client/client.c,
 * signer/client/client_crl.c; nothing else includes this): a fixed set of Unix
 * socket connections opened lazily, one thread per connection at a time,
 * a deadline on every call covering the wait for a connection and the
 * exchange, the bookkeeping that tells a stalled signer (signer/client/stall.h),
 * and one connection of its own for readiness checks. */
#ifndef EDGECA_SIGNER_CLIENT_POOL_H
#define EDGECA_SIGNER_CLIENT_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "signer/client/client.h"
#include "signer/proto/protocol.h"
#include "signer/client/stall.h"

/* Key generation (RSA-4096 takes seconds) gets at least this long. */
#define SIGNER_KEYGEN_TIMEOUT_MS 60000

struct signer_pool {
	char path[108];
	unsigned size;
	unsigned timeout_ms;        /* every call but key generation */
	unsigned keygen_timeout_ms;
	int *fds;                   /* -1: not connected */
	bool *busy;
	int64_t *deadline_ms;       /* of a busy slot's counted call; 0: none */
	pthread_mutex_t lock;
	pthread_cond_t freed;       /* waits on CLOCK_MONOTONIC */
	struct signer_stall stall;
	pthread_mutex_t check_lock; /* the readiness connection */
	int check_fd;
	struct signer_records records; /* set once, before any call */
};

/* A free slot by deadline_ms (-1 past it). counted: the call is one the
 * stall rule watches (all but key generation). */
int pool_acquire(struct signer_pool *p, int64_t deadline_ms, bool counted);
/* Frees slot; a connection not known to be healthy is closed. */
void pool_release(struct signer_pool *p, int slot, bool healthy);
/* The answer to a call that found no free connection in time. */
edgeca_err pool_busy(struct signer_pool *p, unsigned timeout_ms, struct edgeca_msg *msg);

/* Sends the frame built in w on slot's connection and checks the reply
 * against ok_schema, by deadline_ms. *healthy tells whether the
 * connection is still in a known state (an error reply leaves it so; a
 * broken or late exchange does not, and the connection is then closed).
 * may_reconnect: a reused connection found dead is replaced once (never
 * inside a CRL session, whose state lives on the connection). */
edgeca_err pool_slot_call(struct signer_pool *p, int slot, struct signer_writer *w,
                          const struct signer_schema *ok_schema, int64_t deadline_ms,
                          bool may_reconnect, struct signer_msg *reply, bool *healthy,
                          struct edgeca_msg *msg);

/* pool_slot_call for a request on key key_id (NULL: on none;
 * signer/client/client_records.c): when the signer asks for the key's
 * record (key-record-needed), it is fetched from the server's store,
 * loaded on the same connection and the request sent again, once; a
 * record an OK reply carries is stored before this returns (if that
 * fails, so does the call). */
edgeca_err records_slot_call(struct signer_pool *p, int slot, struct signer_writer *w,
                             const char *key_id, const struct signer_schema *ok_schema,
                             int64_t deadline_ms, bool may_reconnect, struct signer_msg *reply,
                             bool *healthy, struct edgeca_msg *msg);

/* One request (on key key_id, or NULL) on a pooled connection within
 * timeout_ms (wait and exchange), through records_slot_call; counted as
 * for pool_acquire. */
edgeca_err pool_call(struct signer_pool *p, struct signer_writer *w, const char *key_id,
                     const struct signer_schema *ok_schema, unsigned timeout_ms, bool counted,
                     struct signer_msg *reply, struct edgeca_msg *msg);

/* pool_call for a request that must see the key's newest record (its CA
 * certificate, which another signer may have installed): the record is
 * loaded from the store first, on the same connection. */
edgeca_err pool_call_newest(struct signer_pool *p, struct signer_writer *w, const char *key_id,
                            const struct signer_schema *ok_schema, struct signer_msg *reply,
                            struct edgeca_msg *msg);

/* One request on the readiness connection within timeout_ms; state gets a
 * short phrase when it fails ("not answering within 1 s", ...). */
edgeca_err pool_check_call(struct signer_pool *p, struct signer_writer *w,
                           const struct signer_schema *ok_schema, unsigned timeout_ms,
                           struct signer_msg *reply, char *state, size_t state_len);

/* Seconds until the last call now under way reaches its deadline (its
 * connection is then closed, and the next call tries the signer afresh);
 * at least 1. */
unsigned pool_retry_after(struct signer_pool *p, int64_t now_ms);

#endif
