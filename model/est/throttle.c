#include "model/est/internal/throttle.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/siphash.h"

/* Entries per bucket: a new key replaces the one idle longest among
 * these, so one client's entries cannot push out another's unless they
 * land in its bucket, which without the hash key it cannot aim at. */
#define WAYS 8
/* A CA's budget counts in 1/60,000 of a failure: refilled by
 * ca_per_minute units a millisecond. */
#define UNIT 60000ULL

struct client_entry {
	struct est_throttle_key key;
	bool used;
	uint32_t failures;      /* failed checks in the current count */
	uint32_t inflight;      /* checks admitted and not done */
	uint64_t last_fail_ms;
	uint64_t blocked_until; /* refused unchecked until then */
	uint64_t last_ms;       /* last seen: the longest idle is replaced first */
	uint64_t ok_ca;         /* the CA of its last success, and when */
	uint64_t ok_ms;
};

struct ca_entry {
	uint64_t ca; /* the keyed hash of the CA id */
	bool used;
	uint64_t units;
	uint64_t refill_ms;
	uint64_t last_ms;
};

struct est_throttle {
	struct est_throttle_limits lim;
	unsigned char hash_key[16];
	pthread_mutex_t lock;
	struct client_entry *clients;
	size_t n_clients;
	struct ca_entry *cas;
	size_t n_cas;
};

uint64_t
est_siphash(const unsigned char key[16], const void *data, size_t len)
{
	return siphash24(key, data, len);
}

int
est_throttle_key_address(const char *text, struct est_throttle_key *key)
{
	static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	unsigned char a[16];

	memset(key, 0, sizeof(*key));
	if (inet_pton(AF_INET, text, a) == 1) {
		key->b[0] = 4;
		memcpy(key->b + 1, a, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, text, a) != 1)
		return -1;
	if (memcmp(a, v4_mapped, sizeof(v4_mapped)) == 0) {
		key->b[0] = 4;
		memcpy(key->b + 1, a + 12, 4);
	} else {
		key->b[0] = 6;
		memcpy(key->b + 1, a, 8); /* the /64 prefix */
	}
	return 0;
}

void
est_throttle_key_cert(const unsigned char *der, size_t len, struct est_throttle_key *key)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;

	memset(key, 0, sizeof(*key));
	key->b[0] = 'c';
	if (EVP_Digest(der, len, md, &md_len, EVP_sha256(), NULL) == 1 && md_len >= 16)
		memcpy(key->b + 1, md, 16);
}

void
est_throttle_defaults(struct est_throttle_limits *lim)
{
	*lim = (struct est_throttle_limits){
		EST_THROTTLE_FREE_FAILURES, EST_THROTTLE_FIRST_DELAY_MS, EST_THROTTLE_MAX_DELAY_MS,
		EST_THROTTLE_FORGET_MS,     EST_THROTTLE_CA_BURST,       EST_THROTTLE_CA_PER_MINUTE,
		EST_THROTTLE_RECENT_MS,     EST_THROTTLE_CLIENTS,        EST_THROTTLE_CAS,
	};
}

static size_t
table_size(size_t want)
{
	size_t n = WAYS;

	while (n < want && n < ((size_t)1 << 24))
		n <<= 1;
	return n;
}

struct est_throttle *
est_throttle_new(const struct est_throttle_limits *lim)
{
	struct est_throttle *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->lim = *lim;
	t->n_clients = table_size(lim->clients);
	t->n_cas = table_size(lim->cas);
	t->clients = calloc(t->n_clients, sizeof(*t->clients));
	t->cas = calloc(t->n_cas, sizeof(*t->cas));
	if (t->clients == NULL || t->cas == NULL ||
	    RAND_bytes(t->hash_key, sizeof(t->hash_key)) != 1 ||
	    pthread_mutex_init(&t->lock, NULL) != 0) {
		free(t->clients);
		free(t->cas);
		free(t);
		return NULL;
	}
	return t;
}

void
est_throttle_free(struct est_throttle *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->lock);
	OPENSSL_cleanse(t->hash_key, sizeof(t->hash_key));
	free(t->clients);
	free(t->cas);
	free(t);
}

static struct est_throttle *shared;
static pthread_once_t shared_once = PTHREAD_ONCE_INIT;

static void
shared_init(void)
{
	struct est_throttle_limits lim;

	est_throttle_defaults(&lim);
	shared = est_throttle_new(&lim);
}

struct est_throttle *
est_throttle_shared(void)
{
	pthread_once(&shared_once, shared_init);
	return shared;
}

/* The bucket of a client key: its first entry. */
static struct client_entry *
client_bucket(struct est_throttle *t, const struct est_throttle_key *key)
{
	uint64_t h = est_siphash(t->hash_key, key->b, sizeof(key->b));

	return &t->clients[(h & (t->n_clients / WAYS - 1)) * WAYS];
}

static struct client_entry *
client_find(struct est_throttle *t, const struct est_throttle_key *key)
{
	struct client_entry *b = client_bucket(t, key);

	for (int i = 0; i < WAYS; i++)
		if (b[i].used && memcmp(b[i].key.b, key->b, sizeof(key->b)) == 0)
			return &b[i];
	return NULL;
}

/* Whether e is a better entry to replace than v: one with no check
 * running, else the one idle longer. */
static bool
replace_first(const struct client_entry *e, const struct client_entry *v)
{
	if ((e->inflight == 0) != (v->inflight == 0))
		return e->inflight == 0;
	return e->last_ms < v->last_ms;
}

/* A fresh entry for key in place of a free one, or of the one idle
 * longest (among those with no check running, when there are). */
static struct client_entry *
client_insert(struct est_throttle *t, const struct est_throttle_key *key, uint64_t now_ms)
{
	struct client_entry *b = client_bucket(t, key), *victim = &b[0];

	for (int i = 0; i < WAYS && victim->used; i++)
		if (!b[i].used || replace_first(&b[i], victim))
			victim = &b[i];
	memset(victim, 0, sizeof(*victim));
	victim->used = true;
	victim->key = *key;
	victim->last_ms = now_ms;
	return victim;
}

/* A CA's entry, its budget refilled up to now; made full when absent
 * (create) in place of the one idle longest. NULL when absent and not
 * create. */
static struct ca_entry *
ca_get(struct est_throttle *t, uint64_t ca, uint64_t now_ms, bool create)
{
	struct ca_entry *b = &t->cas[(ca & (t->n_cas / WAYS - 1)) * WAYS], *e = NULL;
	uint64_t cap = (uint64_t)t->lim.ca_burst * UNIT;

	for (int i = 0; i < WAYS && e == NULL; i++)
		if (b[i].used && b[i].ca == ca)
			e = &b[i];
	if (e == NULL && !create)
		return NULL;
	if (e == NULL) {
		e = &b[0];
		for (int i = 1; i < WAYS && e->used; i++)
			if (!b[i].used || b[i].last_ms < e->last_ms)
				e = &b[i];
		*e = (struct ca_entry){ca, true, cap, now_ms, now_ms};
	}
	if (now_ms > e->refill_ms) {
		uint64_t add = (now_ms - e->refill_ms) * t->lim.ca_per_minute;
		e->units = add >= cap || e->units >= cap - add ? cap : e->units + add;
		e->refill_ms = now_ms;
	}
	e->last_ms = now_ms;
	return e;
}

/* Failures more than forget_ms after the last one start a new count. */
static void
forget_old(const struct est_throttle *t, struct client_entry *c, uint64_t now_ms)
{
	if (c->failures > 0 && now_ms - c->last_fail_ms > t->lim.forget_ms) {
		c->failures = 0;
		c->blocked_until = 0;
	}
}

/* The wait after the n-th failure (n >= free_failures). */
static uint64_t
delay_after(const struct est_throttle *t, uint32_t n)
{
	uint64_t d = t->lim.first_delay_ms;

	for (uint32_t i = t->lim.free_failures; i < n && d < t->lim.max_delay_ms; i++)
		d *= 2;
	return d < t->lim.max_delay_ms ? d : t->lim.max_delay_ms;
}

enum est_throttle_verdict
est_throttle_admit(struct est_throttle *t, const struct est_throttle_key *client, bool anonymous,
                   const char *ca_id, uint64_t now_ms, struct est_throttle_ticket *ticket,
                   uint64_t *wait_ms)
{
	enum est_throttle_verdict v = EST_THROTTLE_GO;
	struct client_entry *c;
	struct ca_entry *b;
	bool exempt;

	memset(ticket, 0, sizeof(*ticket));
	ticket->client = *client;
	ticket->ca = est_siphash(t->hash_key, ca_id, strlen(ca_id));
	ticket->anonymous = anonymous;
	*wait_ms = 0;
	pthread_mutex_lock(&t->lock);
	c = client_find(t, client);
	if (c != NULL) {
		forget_old(t, c, now_ms);
		c->last_ms = now_ms;
		if (now_ms < c->blocked_until) {
			v = EST_THROTTLE_CLIENT_WAIT;
			*wait_ms = c->blocked_until - now_ms;
		} else if (c->failures >= t->lim.free_failures && c->inflight > 0) {
			/* past its free failures a client has one check at a time */
			v = EST_THROTTLE_CLIENT_WAIT;
			*wait_ms = t->lim.first_delay_ms;
		}
	}
	exempt = c != NULL && c->ok_ms != 0 && c->ok_ca == ticket->ca &&
	         now_ms - c->ok_ms < t->lim.recent_ms;
	if (v == EST_THROTTLE_GO && anonymous && !exempt) {
		b = ca_get(t, ticket->ca, now_ms, true);
		if (b->units < UNIT) {
			v = EST_THROTTLE_CA_WAIT;
			*wait_ms = t->lim.ca_per_minute > 0
			               ? (UNIT - b->units + t->lim.ca_per_minute - 1) / t->lim.ca_per_minute
			               : t->lim.max_delay_ms;
		} else {
			b->units -= UNIT;
			ticket->charged = true;
		}
	}
	if (v == EST_THROTTLE_GO) {
		if (c == NULL)
			c = client_insert(t, client, now_ms);
		c->inflight++;
	}
	pthread_mutex_unlock(&t->lock);
	return v;
}

void
est_throttle_done(struct est_throttle *t, const struct est_throttle_ticket *ticket,
                  enum est_throttle_outcome outcome, uint64_t now_ms)
{
	struct client_entry *c;
	struct ca_entry *b;
	uint64_t cap = (uint64_t)t->lim.ca_burst * UNIT;

	pthread_mutex_lock(&t->lock);
	c = client_find(t, &ticket->client);
	if (c == NULL && outcome != EST_THROTTLE_ABANDONED)
		c = client_insert(t, &ticket->client, now_ms); /* replaced meanwhile */
	if (c != NULL) {
		if (c->inflight > 0)
			c->inflight--;
		c->last_ms = now_ms;
		forget_old(t, c, now_ms);
	}
	if (outcome == EST_THROTTLE_FAILED) {
		c->failures++;
		c->last_fail_ms = now_ms;
		if (c->failures >= t->lim.free_failures)
			c->blocked_until = now_ms + delay_after(t, c->failures);
		/* a client clear of the budget still spends it when it fails */
		if (ticket->anonymous && !ticket->charged) {
			b = ca_get(t, ticket->ca, now_ms, true);
			b->units = b->units >= UNIT ? b->units - UNIT : 0;
		}
	} else {
		if (outcome == EST_THROTTLE_OK) {
			c->failures = 0;
			c->blocked_until = 0;
			c->ok_ca = ticket->ca;
			c->ok_ms = now_ms;
		}
		if (ticket->charged && (b = ca_get(t, ticket->ca, now_ms, false)) != NULL)
			b->units = b->units + UNIT < cap ? b->units + UNIT : cap;
	}
	pthread_mutex_unlock(&t->lock);
}

size_t
est_throttle_clients_used(struct est_throttle *t)
{
	size_t n = 0;

	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->n_clients; i++)
		n += t->clients[i].used;
	pthread_mutex_unlock(&t->lock);
	return n;
}

size_t
est_throttle_cas_used(struct est_throttle *t)
{
	size_t n = 0;

	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->n_cas; i++)
		n += t->cas[i].used;
	pthread_mutex_unlock(&t->lock);
	return n;
}
