/* Parsed certificates of edgeca's own CAs and trust anchors, shared by the
 * server's threads. These come from the database as DER on every EST
 * request, and parsing one costs OpenSSL 3.0 a public-key decode through
 * its provider machinery (about a tenth of a millisecond, and locks every
 * thread contends for). Only certificates edgeca stores go in, never a
 * client's: the cache has a fixed number of slots, each holding the last
 * certificate whose DER hashed to it, so nothing can make it grow. */
#ifndef EDGECA_COMMON_X509_CACHE_H
#define EDGECA_COMMON_X509_CACHE_H

#include <openssl/x509.h>
#include <stddef.h>

/* The certificate of this DER (the whole buffer, as x509_from_der reads
 * it): a new reference the caller frees with X509_free, shared with other
 * callers, so it must not be modified. NULL when the DER is not a
 * certificate or memory runs out. */
X509 *x509_cache_get(const unsigned char *der, size_t len);

/* Drops every entry (references held by callers stay valid). */
void x509_cache_clear(void);

#endif
