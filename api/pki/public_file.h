/* edgeca's public PKI objects as both listeners serve them (the HTTPS
 * API's public paths and the plain-HTTP PKI listener): the file names of
 * the per-key URLs, /crl/{ca}/{name}.crl and /ca/{ca}/{name}.crt for a
 * location's first key, {name}.N.crl and {name}.N.crt for the key of its
 * generation N (N >= 2, no leading zero), and the HTTP caching rules of
 * their answers. A URL names one key for good: a renewal adds one, never
 * re-points one. */
#ifndef EDGECA_API_PUBLIC_FILE_H
#define EDGECA_API_PUBLIC_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "model/ca/ca.h"

/* Caches may keep a CRL until its nextUpdate, but at most this long, so
 * that a revocation reaches relying parties that honour caching soon. */
#define PUBLIC_CRL_MAX_AGE_S 600

/* Cache-Control of a CA certificate: a URL names one certificate for good. */
#define PUBLIC_CERT_CACHE_CONTROL "public, max-age=3600"

/* The generation file names (1 for "name.ext", N for "name.N.ext"), with
 * the location into name; 0 when file is not spelled so. ext is the
 * extension with its dot (".crl"). */
int public_file_generation(const char *file, const char *ext, char name[64]);

/* The DER of generation gen of loc: its current certificate or one a
 * renewal replaced; NULL when it has none. Borrowed from loc. */
const unsigned char *public_file_location_der(const struct ca_location *loc, int gen,
                                              size_t *len);

/* t as an HTTP date (RFC 9110 5.6.7). */
void public_http_date(time_t t, char out[40]);

/* The max-age of a CRL answer now: until next_update, at most
 * PUBLIC_CRL_MAX_AGE_S, never negative. */
long public_crl_max_age(time_t next_update, time_t now);

/* RFC 9110 13.2.2 for an answer with etag, last modified at
 * last_modified: If-None-Match (inm, may be NULL) decides when present;
 * otherwise If-Modified-Since (ims, may be NULL). */
bool public_not_modified(const char *inm, const char *ims, const char *etag,
                         time_t last_modified);

#endif
