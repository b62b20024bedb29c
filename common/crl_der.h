/* The revokedCertificates entries of a CRL (RFC 5280 5.1.2.6), in DER
 * written by hand: the server encodes one per revoked certificate, the
 * signer checks every one it is asked to sign with the same, strict rules.
 * No OpenSSL object is made per entry (a CRL may hold a million). */
#ifndef EDGECA_COMMON_CRL_DER_H
#define EDGECA_COMMON_CRL_DER_H

#include <stddef.h>
#include <time.h>

#include "common/buf.h"

/* RFC 5280 5.3.1 CRLReason: 0..10, 7 unused. */
#define CRL_REASON_MAX 10

/* The longest entry crl_entry_append writes (a 20-octet serial, a
 * GeneralizedTime, reasonCode and invalidityDate). */
#define CRL_ENTRY_MAX 96

/* Appends one DER RevokedCertificate: serial (lower-case hex, as edgeca
 * stores it, 1..40 hex digits), revocation time, reason code (RFC 5280
 * CRLReason 0..10 except 7 and 8 (removeFromCRL belongs to delta CRLs
 * only); -1 or 0 (unspecified): no reasonCode
 * extension, as RFC 5280 recommends), invalidity date (0: none). UTCTime
 * before 2050, GeneralizedTime from 2050 (RFC 5280). Returns 0, or -1 on
 * bad input / out of memory.
 * Bad input also covers: a serial of value zero or whose INTEGER would
 * exceed 20 octets (40 digits from 8 up), upper-case digits, a time
 * before 1970 or after 9999. out is unchanged on failure. */
int crl_entry_append(struct buf *out, const char *serial_hex, time_t revoked_at, int reason,
                     time_t invalidity_date);

/* Checks the RevokedCertificate at the start of p[0..len): SEQUENCE {
 * serial INTEGER (positive, minimal, at most 20 octets), revocationDate
 * (UTCTime through 2049, GeneralizedTime from 2050), optionally a
 * non-empty SEQUENCE of extensions that are only reasonCode (ENUMERATED
 * 0..10 but 7) and invalidityDate (GeneralizedTime), each at most once and
 * non-critical }, strict DER with nothing left over inside. Returns the
 * entry's size, or 0 when it breaks any rule or is cut short. */
size_t crl_entry_check(const unsigned char *p, size_t len);

/* The same for a delta CRL (RFC 5280 5.2.4): reasonCode may also be 8,
 * removeFromCRL (a released hold, or an entry the base CRL lists that is
 * gone). */
int crl_delta_entry_append(struct buf *out, const char *serial_hex, time_t revoked_at,
                           int reason, time_t invalidity_date);
size_t crl_delta_entry_check(const unsigned char *p, size_t len);

#endif
