/* The cache of nonce-less OCSP answers: 16 shards, each a fixed array of
 * slots under a rwlock, found by a keyed hash (SipHash-2-4, a random key
 * per process, so that chosen serials cannot pile into one chain) of the
 * CertID's DER, and by a second chain on (key id, serial) for
 * invalidation. A hit takes the read lock only; eviction is clock. */
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/siphash.h"
#include "model/ocsp/internal/known.h"
#include "model/ocsp/ocsp.h"

#define SHARDS 16

struct entry {
	struct entry *next_id;   /* chain of by_id */
	struct entry *next_cert; /* chain of by_cert */
	uint64_t h_id, h_cert;
	unsigned char certid[224];
	size_t certid_len;
	char key_id[SIGNER_KEY_ID_BYTES];
	char serial[SERIAL_HEX_MAX];
	struct ocsp_answer *a; /* NULL: slot free */
	atomic_bool referenced;
};

struct shard {
	pthread_rwlock_t lock;
	struct entry *slots;
	size_t n_slots, used, hand;
	struct entry **by_id, **by_cert;
	size_t mask;
};

struct ocsp_cache {
	struct shard shards[SHARDS];
	unsigned char key[16]; /* of the hash, random per cache */
	atomic_ulong epoch;
	atomic_bool enabled; /* off while invalidations may be missed */
	struct ocsp_known_table *known; /* statuses and settings, forgotten with answers */
};

static uint64_t
cert_hash(const struct ocsp_cache *c, const char *key_id, const char *serial)
{
	unsigned char b[SIGNER_KEY_ID_BYTES + SERIAL_HEX_MAX + 1];
	size_t kl = strlen(key_id), sl = strlen(serial);

	memcpy(b, key_id, kl);
	b[kl] = ' ';
	memcpy(b + kl + 1, serial, sl);
	return siphash24(c->key, b, kl + 1 + sl);
}

struct ocsp_cache *
ocsp_cache_new(size_t entries)
{
	struct ocsp_cache *c = calloc(1, sizeof(*c));
	size_t per = entries / SHARDS + 1, nb = 1;

	if (c == NULL)
		return NULL;
	while (nb < per)
		nb <<= 1;
	atomic_init(&c->enabled, true);
	if (RAND_bytes(c->key, sizeof(c->key)) != 1 || (c->known = known_new(entries)) == NULL)
		goto fail;
	for (int i = 0; i < SHARDS; i++) {
		struct shard *s = &c->shards[i];
		if (pthread_rwlock_init(&s->lock, NULL) != 0)
			goto fail;
		s->n_slots = per;
		s->mask = nb - 1;
		s->slots = calloc(per, sizeof(*s->slots));
		s->by_id = calloc(nb, sizeof(*s->by_id));
		s->by_cert = calloc(nb, sizeof(*s->by_cert));
		if (s->slots == NULL || s->by_id == NULL || s->by_cert == NULL)
			goto fail;
	}
	return c;
fail:
	ocsp_cache_free(c);
	return NULL;
}

/* Empties a slot: out of both chains, its answer released. Write lock. */
static void
unlink_entry(struct shard *s, struct entry *e)
{
	struct entry **pp;

	for (pp = &s->by_id[(e->h_id >> 4) & s->mask]; *pp != NULL; pp = &(*pp)->next_id)
		if (*pp == e) {
			*pp = e->next_id;
			break;
		}
	for (pp = &s->by_cert[(e->h_cert >> 4) & s->mask]; *pp != NULL; pp = &(*pp)->next_cert)
		if (*pp == e) {
			*pp = e->next_cert;
			break;
		}
	ocsp_answer_release(e->a);
	e->a = NULL;
	e->next_id = e->next_cert = NULL;
	s->used--;
}

void
ocsp_cache_free(struct ocsp_cache *c)
{
	if (c == NULL)
		return;
	known_free(c->known);
	for (int i = 0; i < SHARDS; i++) {
		struct shard *s = &c->shards[i];
		for (size_t j = 0; s->slots != NULL && j < s->n_slots; j++)
			ocsp_answer_release(s->slots[j].a);
		free(s->slots);
		free(s->by_id);
		free(s->by_cert);
		if (s->n_slots > 0)
			pthread_rwlock_destroy(&s->lock);
	}
	free(c);
}

struct ocsp_answer *
ocsp_cache_get(struct ocsp_cache *c, const unsigned char *certid, size_t certid_len, time_t now)
{
	uint64_t h;
	struct shard *s;
	struct ocsp_answer *a = NULL;

	if (c == NULL || !atomic_load(&c->enabled))
		return NULL;
	h = siphash24(c->key, certid, certid_len);
	s = &c->shards[h % SHARDS];
	pthread_rwlock_rdlock(&s->lock);
	for (struct entry *e = s->by_id[(h >> 4) & s->mask]; e != NULL; e = e->next_id)
		if (e->h_id == h && e->certid_len == certid_len &&
		    memcmp(e->certid, certid, certid_len) == 0) {
			const struct ocsp_answer *x = e->a;
			if (now < x->next_update &&
			    now - x->this_update < (x->next_update - x->this_update) / 2) {
				atomic_store_explicit(&e->referenced, true, memory_order_relaxed);
				a = ocsp_answer_ref(e->a);
			}
			break;
		}
	pthread_rwlock_unlock(&s->lock);
	return a;
}

unsigned long
ocsp_cache_epoch(struct ocsp_cache *c)
{
	return c == NULL ? 0 : atomic_load(&c->epoch);
}

/* A slot to fill: a free one, else the clock's victim. Write lock. */
static struct entry *
take_slot(struct shard *s)
{
	for (;;) {
		struct entry *e = &s->slots[s->hand];
		s->hand = (s->hand + 1) % s->n_slots;
		if (e->a == NULL)
			return e;
		if (!atomic_exchange_explicit(&e->referenced, false, memory_order_relaxed)) {
			unlink_entry(s, e);
			return e;
		}
	}
}

void
ocsp_cache_put(struct ocsp_cache *c, unsigned long epoch, const unsigned char *certid,
               size_t certid_len, const char *key_id, const char *serial, struct ocsp_answer *a)
{
	uint64_t h;
	struct shard *s;
	struct entry *e;

	if (c == NULL || certid_len > sizeof(e->certid) || !atomic_load(&c->enabled))
		return;
	h = siphash24(c->key, certid, certid_len);
	s = &c->shards[h % SHARDS];
	pthread_rwlock_wrlock(&s->lock);
	/* forgotten since the status was read: that status may predate it */
	if (atomic_load(&c->epoch) != epoch)
		goto out;
	for (e = s->by_id[(h >> 4) & s->mask]; e != NULL; e = e->next_id)
		if (e->h_id == h && e->certid_len == certid_len &&
		    memcmp(e->certid, certid, certid_len) == 0) {
			unlink_entry(s, e);
			break;
		}
	e = take_slot(s);
	e->h_id = h;
	e->h_cert = cert_hash(c, key_id, serial);
	memcpy(e->certid, certid, certid_len);
	e->certid_len = certid_len;
	snprintf(e->key_id, sizeof(e->key_id), "%s", key_id);
	snprintf(e->serial, sizeof(e->serial), "%s", serial);
	e->a = ocsp_answer_ref(a);
	atomic_store_explicit(&e->referenced, false, memory_order_relaxed);
	e->next_id = s->by_id[(h >> 4) & s->mask];
	s->by_id[(h >> 4) & s->mask] = e;
	e->next_cert = s->by_cert[(e->h_cert >> 4) & s->mask];
	s->by_cert[(e->h_cert >> 4) & s->mask] = e;
	s->used++;
out:
	pthread_rwlock_unlock(&s->lock);
}

/* Drops what matches (serial NULL: every answer of key_id; key_id NULL:
 * all). The epoch moves first, so that an answer being made from an
 * older status is not stored after this. */
static void
forget(struct ocsp_cache *c, const char *key_id, const char *serial)
{
	uint64_t hc = 0;

	if (c == NULL)
		return;
	atomic_fetch_add(&c->epoch, 1);
	known_forget(c->known, key_id, serial);
	if (key_id != NULL && serial != NULL)
		hc = cert_hash(c, key_id, serial);
	for (int i = 0; i < SHARDS; i++) {
		struct shard *s = &c->shards[i];
		pthread_rwlock_wrlock(&s->lock);
		if (serial != NULL) {
			struct entry *e = s->by_cert[(hc >> 4) & s->mask], *next;
			for (; e != NULL; e = next) {
				next = e->next_cert;
				if (e->h_cert == hc && strcmp(e->key_id, key_id) == 0 &&
				    strcmp(e->serial, serial) == 0)
					unlink_entry(s, e);
			}
		} else {
			for (size_t j = 0; j < s->n_slots; j++)
				if (s->slots[j].a != NULL &&
				    (key_id == NULL || strcmp(s->slots[j].key_id, key_id) == 0))
					unlink_entry(s, &s->slots[j]);
		}
		pthread_rwlock_unlock(&s->lock);
	}
}

void
ocsp_cache_forget(struct ocsp_cache *c, const char *key_id, const char *serial)
{
	forget(c, key_id, serial);
}

void
ocsp_cache_forget_key(struct ocsp_cache *c, const char *key_id)
{
	forget(c, key_id, NULL);
}

void
ocsp_cache_flush(struct ocsp_cache *c)
{
	forget(c, NULL, NULL);
}

void
ocsp_cache_forget_payload(struct ocsp_cache *c, const char *payload)
{
	char key[SIGNER_KEY_ID_BYTES], serial[SERIAL_HEX_MAX];
	const char *sp = strchr(payload, ' ');

	if (strcmp(payload, "*") == 0 || (sp == NULL && strlen(payload) >= sizeof(key)) ||
	    (sp != NULL && ((size_t)(sp - payload) >= sizeof(key) || strlen(sp + 1) >= sizeof(serial)))) {
		ocsp_cache_flush(c); /* what is not understood drops everything */
		return;
	}
	if (sp == NULL) {
		ocsp_cache_forget_key(c, payload);
		return;
	}
	memcpy(key, payload, (size_t)(sp - payload));
	key[sp - payload] = '\0';
	snprintf(serial, sizeof(serial), "%s", sp + 1);
	ocsp_cache_forget(c, key, serial);
}

void
ocsp_cache_set_enabled(struct ocsp_cache *c, bool on)
{
	if (c == NULL)
		return;
	if (!on)
		atomic_store(&c->enabled, false);
	ocsp_cache_flush(c);
	if (on)
		atomic_store(&c->enabled, true);
}

size_t
ocsp_cache_count(struct ocsp_cache *c)
{
	size_t n = 0;

	for (int i = 0; c != NULL && i < SHARDS; i++) {
		pthread_rwlock_rdlock(&c->shards[i].lock);
		n += c->shards[i].used;
		pthread_rwlock_unlock(&c->shards[i].lock);
	}
	return n;
}

bool
ocsp_cache_known(struct ocsp_cache *c, const char *key_id, const struct ocsp_request *req,
                 struct ocsp_known *ca, struct ocsp_single *singles)
{
	struct ocsp_known k;

	if (c == NULL || !atomic_load(&c->enabled) || !known_get(c->known, key_id, "", ca))
		return false;
	for (size_t i = 0; i < req->n; i++) {
		/* "": a serial never issued, never stored (nor confused with
		 * the settings) */
		if (req->ids[i].serial[0] == '\0' ||
		    !known_get(c->known, key_id, req->ids[i].serial, &k))
			return false;
		singles[i] = (struct ocsp_single){&req->ids[i], k.status, k.revoked_at, k.reason};
	}
	return true;
}

void
ocsp_cache_put_known(struct ocsp_cache *c, unsigned long epoch, const char *key_id,
                     const struct ocsp_known *ca, const struct ocsp_single *singles, size_t n)
{
	if (c == NULL || !atomic_load(&c->enabled))
		return;
	known_put(c->known, &c->epoch, epoch, key_id, "", ca);
	for (size_t i = 0; i < n; i++) {
		struct ocsp_known k = {singles[i].status, singles[i].revoked_at, singles[i].reason,
		                       false, false, 0};
		if (singles[i].status != OCSP_CERT_UNKNOWN && singles[i].id->serial[0] != '\0')
			known_put(c->known, &c->epoch, epoch, key_id, singles[i].id->serial, &k);
	}
}

size_t
ocsp_cache_known_count(struct ocsp_cache *c)
{
	return c == NULL ? 0 : known_count(c->known);
}
