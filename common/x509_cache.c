#include "common/x509_cache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/x509util.h"

#define SLOTS 256

struct slot {
	unsigned char *der;
	size_t len;
	X509 *x;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot slots[SLOTS];

/* FNV-1a: spreads the DER over the slots; equality is always checked on
 * the bytes themselves. */
static size_t
slot_of(const unsigned char *der, size_t len)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ der[i]) * 1099511628211ULL;
	return (size_t)(h % SLOTS);
}

/* A new reference to the slot's certificate when it holds this DER. */
static X509 *
lookup(const struct slot *s, const unsigned char *der, size_t len)
{
	if (s->x == NULL || s->len != len || memcmp(s->der, der, len) != 0)
		return NULL;
	return X509_up_ref(s->x) == 1 ? s->x : NULL;
}

X509 *
x509_cache_get(const unsigned char *der, size_t len)
{
	struct slot *s, old = {0};
	unsigned char *copy;
	X509 *x;

	if (der == NULL || len == 0)
		return NULL;
	s = &slots[slot_of(der, len)];
	pthread_mutex_lock(&lock);
	x = lookup(s, der, len);
	pthread_mutex_unlock(&lock);
	if (x != NULL)
		return x;
	/* Parsed outside the lock: other threads keep being served. */
	x = x509_from_der(der, len);
	copy = x ? malloc(len) : NULL;
	if (copy == NULL || X509_up_ref(x) != 1) {
		free(copy);
		return x; /* parsed, just not kept */
	}
	memcpy(copy, der, len);
	pthread_mutex_lock(&lock);
	old = *s;
	*s = (struct slot){copy, len, x};
	pthread_mutex_unlock(&lock);
	free(old.der);
	X509_free(old.x);
	return x;
}

void
x509_cache_clear(void)
{
	struct slot old[SLOTS];

	pthread_mutex_lock(&lock);
	memcpy(old, slots, sizeof(old));
	memset(slots, 0, sizeof(slots));
	pthread_mutex_unlock(&lock);
	for (size_t i = 0; i < SLOTS; i++) {
		free(old[i].der);
		X509_free(old[i].x);
	}
}
