/* RFC 3339 timestamps and ASN.1 time conversion, all in UTC. */
#ifndef EDGECA_COMMON_TIMEUTIL_H
#define EDGECA_COMMON_TIMEUTIL_H

#include <openssl/asn1.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define RFC3339_LEN 32

/* "2026-11-26T18:00:00Z" */
void rfc3339_format(time_t t, char out[RFC3339_LEN]);
/* Accepts "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)" ('t'/'z' and a
 * space separator too). Fractions are dropped. Returns 0 or -1. */
int rfc3339_parse(const char *s, time_t *out);
/* ASN1_TIME to time_t; returns 0 or -1. */
int asn1_time_to_time_t(const ASN1_TIME *t, time_t *out);

/* CLOCK_MONOTONIC in milliseconds, for deadlines (no system call on
 * Linux). */
int64_t mono_ms(void);
/* CLOCK_REALTIME ms from now, the form pthread_mutex_timedlock takes. */
void realtime_in(unsigned ms, struct timespec *out);

#endif
