/* What PostgreSQL said about certificates of CA keys and about CAs'
 * OCSP settings, kept so that a nonce answer for a known certificate
 * costs no database round trip: 16 shards, each a fixed array of slots
 * under a rwlock, chained by a keyed hash (SipHash-2-4, a random key per
 * table) of "<key id> <serial>"; clock eviction. Only cache.c calls it. */
#include <openssl/rand.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/siphash.h"
#include "model/ocsp/internal/known.h"

#define SHARDS 16

struct known {
	struct known *next;
	uint64_t h;
	char key_id[SIGNER_KEY_ID_BYTES];
	char serial[SERIAL_HEX_MAX]; /* "": the CA's settings */
	struct ocsp_known v;
	bool used;
	atomic_bool referenced;
};

struct kshard {
	pthread_rwlock_t lock;
	struct known *slots;
	size_t n_slots, used, hand, mask;
	struct known **chains;
};

struct ocsp_known_table {
	struct kshard shards[SHARDS];
	unsigned char key[16];
};

static uint64_t
hash(const struct ocsp_known_table *t, const char *key_id, const char *serial)
{
	unsigned char b[SIGNER_KEY_ID_BYTES + SERIAL_HEX_MAX + 1];
	size_t kl = strnlen(key_id, SIGNER_KEY_ID_BYTES - 1);
	size_t sl = strnlen(serial, SERIAL_HEX_MAX - 1);

	memcpy(b, key_id, kl);
	b[kl] = ' ';
	memcpy(b + kl + 1, serial, sl);
	return siphash24(t->key, b, kl + 1 + sl);
}

struct ocsp_known_table *
known_new(size_t entries)
{
	struct ocsp_known_table *t = calloc(1, sizeof(*t));
	size_t per = entries / SHARDS + 1, nb = 1;

	if (t == NULL)
		return NULL;
	while (nb < per)
		nb <<= 1;
	if (RAND_bytes(t->key, sizeof(t->key)) != 1)
		goto fail;
	for (int i = 0; i < SHARDS; i++) {
		struct kshard *s = &t->shards[i];
		if (pthread_rwlock_init(&s->lock, NULL) != 0)
			goto fail;
		s->n_slots = per;
		s->mask = nb - 1;
		s->slots = calloc(per, sizeof(*s->slots));
		s->chains = calloc(nb, sizeof(*s->chains));
		if (s->slots == NULL || s->chains == NULL)
			goto fail;
	}
	return t;
fail:
	known_free(t);
	return NULL;
}

void
known_free(struct ocsp_known_table *t)
{
	if (t == NULL)
		return;
	for (int i = 0; i < SHARDS; i++) {
		free(t->shards[i].slots);
		free(t->shards[i].chains);
		if (t->shards[i].n_slots > 0)
			pthread_rwlock_destroy(&t->shards[i].lock);
	}
	free(t);
}

static struct known *
find(struct kshard *s, uint64_t h, const char *key_id, const char *serial)
{
	for (struct known *e = s->chains[(h >> 4) & s->mask]; e != NULL; e = e->next)
		if (e->h == h && strcmp(e->key_id, key_id) == 0 && strcmp(e->serial, serial) == 0)
			return e;
	return NULL;
}

/* Out of its chain, the slot free. Write lock. */
static void
unlink_known(struct kshard *s, struct known *e)
{
	for (struct known **pp = &s->chains[(e->h >> 4) & s->mask]; *pp != NULL; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	e->next = NULL;
	e->used = false;
	s->used--;
}

bool
known_get(struct ocsp_known_table *t, const char *key_id, const char *serial,
          struct ocsp_known *out)
{
	uint64_t h = hash(t, key_id, serial);
	struct kshard *s = &t->shards[h % SHARDS];
	struct known *e;

	pthread_rwlock_rdlock(&s->lock);
	if ((e = find(s, h, key_id, serial)) != NULL) {
		*out = e->v;
		atomic_store_explicit(&e->referenced, true, memory_order_relaxed);
	}
	pthread_rwlock_unlock(&s->lock);
	return e != NULL;
}

/* A slot to fill: a free one, else the clock's victim. Write lock. */
static struct known *
take_slot(struct kshard *s)
{
	for (;;) {
		struct known *e = &s->slots[s->hand];
		s->hand = (s->hand + 1) % s->n_slots;
		if (!e->used)
			return e;
		if (!atomic_exchange_explicit(&e->referenced, false, memory_order_relaxed)) {
			unlink_known(s, e);
			return e;
		}
	}
}

void
known_put(struct ocsp_known_table *t, const atomic_ulong *epoch, unsigned long expect,
          const char *key_id, const char *serial, const struct ocsp_known *v)
{
	uint64_t h;
	struct kshard *s;
	struct known *e;

	if (strlen(key_id) >= sizeof(e->key_id) || strlen(serial) >= sizeof(e->serial))
		return;
	h = hash(t, key_id, serial);
	s = &t->shards[h % SHARDS];
	pthread_rwlock_wrlock(&s->lock);
	/* forgotten since the status was read: that status may predate it */
	if (atomic_load(epoch) != expect)
		goto out;
	if ((e = find(s, h, key_id, serial)) == NULL) {
		e = take_slot(s);
		e->h = h;
		memcpy(e->key_id, key_id, strlen(key_id) + 1);
		memcpy(e->serial, serial, strlen(serial) + 1);
		e->used = true;
		e->next = s->chains[(h >> 4) & s->mask];
		s->chains[(h >> 4) & s->mask] = e;
		s->used++;
	}
	e->v = *v;
	atomic_store_explicit(&e->referenced, false, memory_order_relaxed);
out:
	pthread_rwlock_unlock(&s->lock);
}

void
known_forget(struct ocsp_known_table *t, const char *key_id, const char *serial)
{
	uint64_t h = key_id != NULL && serial != NULL ? hash(t, key_id, serial) : 0;

	for (int i = 0; i < SHARDS; i++) {
		struct kshard *s = &t->shards[i];
		struct known *e;
		if (key_id != NULL && serial != NULL && h % SHARDS != (uint64_t)i)
			continue;
		pthread_rwlock_wrlock(&s->lock);
		if (key_id != NULL && serial != NULL) {
			if ((e = find(s, h, key_id, serial)) != NULL)
				unlink_known(s, e);
		} else {
			for (size_t j = 0; j < s->n_slots; j++)
				if (s->slots[j].used &&
				    (key_id == NULL || strcmp(s->slots[j].key_id, key_id) == 0))
					unlink_known(s, &s->slots[j]);
		}
		pthread_rwlock_unlock(&s->lock);
	}
}

size_t
known_count(struct ocsp_known_table *t)
{
	size_t n = 0;

	for (int i = 0; i < SHARDS; i++) {
		pthread_rwlock_rdlock(&t->shards[i].lock);
		n += t->shards[i].used;
		pthread_rwlock_unlock(&t->shards[i].lock);
	}
	return n;
}
