/* Throttling of EST HTTP Basic password checks (model-internal: called by
 * est_auth.c around each check). Two fixed-size tables whose memory never
 * grows, whatever clients send: one of clients (an address, or the
 * certificate that authenticated the request), one of CA credentials.
 * Keys are hashed with SipHash-2-4 under a random key of the process, so
 * a client cannot aim its entries at a chosen bucket; within its bucket a
 * new entry replaces the one idle longest. Thread-safe. */
#ifndef EDGECA_MODEL_EST_THROTTLE_H
#define EDGECA_MODEL_EST_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The limits edgeca runs with (docs/behaviour.md, "EST HTTP Basic throttling"). */
#define EST_THROTTLE_FREE_FAILURES 5          /* failed checks before a client waits */
#define EST_THROTTLE_FIRST_DELAY_MS 1000      /* its first wait, doubled after each failure */
#define EST_THROTTLE_MAX_DELAY_MS 600000      /* 10 minutes at most */
#define EST_THROTTLE_FORGET_MS 1800000        /* failures 30 min apart start a new count */
#define EST_THROTTLE_CA_BURST 20              /* a CA credential's failure budget ... */
#define EST_THROTTLE_CA_PER_MINUTE 10         /* ... refilled at this rate */
#define EST_THROTTLE_RECENT_MS 86400000       /* a success keeps a client clear of the budget */
#define EST_THROTTLE_CLIENTS 4096
#define EST_THROTTLE_CAS 1024

struct est_throttle_limits {
	unsigned free_failures;
	uint64_t first_delay_ms;
	uint64_t max_delay_ms;
	uint64_t forget_ms;
	unsigned ca_burst;
	unsigned ca_per_minute;
	uint64_t recent_ms;
	size_t clients; /* table sizes: rounded up to a power of two, at least 8 */
	size_t cas;
};

/* Who asks: an IP address (IPv4, or the /64 prefix of IPv6 where one
 * host usually holds the whole prefix), or a client certificate. */
#define EST_THROTTLE_KEY_BYTES 17
struct est_throttle_key {
	unsigned char b[EST_THROTTLE_KEY_BYTES];
};

/* The key of an address given as text; -1 when it is not an address. */
int est_throttle_key_address(const char *text, struct est_throttle_key *key);
/* The key of a certificate (its DER). */
void est_throttle_key_cert(const unsigned char *der, size_t len, struct est_throttle_key *key);

enum est_throttle_verdict {
	EST_THROTTLE_GO,          /* check the password, then call est_throttle_done */
	EST_THROTTLE_CLIENT_WAIT, /* this client failed too often: refused unchecked */
	EST_THROTTLE_CA_WAIT,     /* the CA credential's budget is spent: refused unchecked */
};

enum est_throttle_outcome {
	EST_THROTTLE_OK,
	EST_THROTTLE_FAILED,
	EST_THROTTLE_ABANDONED, /* no check ran after all (no scrypt slot) */
};

/* What est_throttle_admit let through, for est_throttle_done. */
struct est_throttle_ticket {
	struct est_throttle_key client;
	uint64_t ca;
	bool anonymous;
	bool charged; /* took one from the CA's budget at admission */
};

struct est_throttle;

void est_throttle_defaults(struct est_throttle_limits *lim);
/* A new pair of tables; NULL when out of memory or randomness. */
struct est_throttle *est_throttle_new(const struct est_throttle_limits *lim);
void est_throttle_free(struct est_throttle *t);
/* The process's tables (edgeca's limits), made on first use; NULL when
 * they cannot be made. */
struct est_throttle *est_throttle_shared(void);

/* Whether a password check for client against the credential of CA ca_id
 * may run at now_ms (a monotonic clock). anonymous: no client certificate
 * authenticated the request, so the CA's failure budget applies unless
 * this client succeeded on this CA within recent_ms. A client past its
 * free failures waits first_delay_ms doubled for each further failure,
 * and then has one check at a time. On a refusal *wait_ms says how long
 * to wait. On EST_THROTTLE_GO ticket must go to est_throttle_done. */
enum est_throttle_verdict est_throttle_admit(struct est_throttle *t,
                                             const struct est_throttle_key *client,
                                             bool anonymous, const char *ca_id,
                                             uint64_t now_ms, struct est_throttle_ticket *ticket,
                                             uint64_t *wait_ms);
/* Records the outcome of an admitted check. A success clears the
 * client's failures and gives back the budget its admission took. */
void est_throttle_done(struct est_throttle *t, const struct est_throttle_ticket *ticket,
                       enum est_throttle_outcome outcome, uint64_t now_ms);

/* How many entries each table holds (for tests): never more than its
 * size. */
size_t est_throttle_clients_used(struct est_throttle *t);
size_t est_throttle_cas_used(struct est_throttle *t);

/* SipHash-2-4 of data under a 16-byte key (tested against the reference
 * vectors). */
uint64_t est_siphash(const unsigned char key[16], const void *data, size_t len);

#endif
