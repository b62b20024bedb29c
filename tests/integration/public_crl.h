/* The CRLs edgeca publishes at its distribution points
 * (/crl/{ca_id}/{file}), fetched without a token as relying parties do. */
#ifndef EDGECA_TEST_PUBLIC_CRL_H
#define EDGECA_TEST_PUBLIC_CRL_H

#include <openssl/x509.h>
#include <stdbool.h>

#include "tests/support/harness.h"

/* The CRL at file ("default.crl", "eu.2.crl") of ca_id; NULL when it
 * answers 404, a failed test for any other answer, for a content type
 * other than application/pkix-crl or for bytes after the DER. */
X509_CRL *public_crl_fetch(struct instance *in, const char *ca_id, const char *file);
/* Waits up to 60 s for the CRL at file to list x; fails the test if it
 * never does. */
X509_CRL *public_crl_wait_listing(struct instance *in, const char *ca_id, const char *file,
                                  X509 *x);
/* Waits up to 20 s for a CRL at file numbered above after that lists
 * serial (hex as the API writes it), or any such CRL when serial is NULL;
 * fails the test if none comes. */
X509_CRL *public_crl_wait_newer(struct instance *in, const char *ca_id, const char *file,
                                long after, const char *serial);
bool crl_lists(X509_CRL *crl, X509 *x);
/* The CRL's cRLNumber (fails the test without one). */
long crl_number(X509_CRL *crl);
/* The entry of serial (hex as the API writes it), or NULL. */
X509_REVOKED *crl_entry(X509_CRL *crl, const char *serial);
/* An entry's reasonCode, -1 when it has none. */
int crl_entry_reason(X509_REVOKED *e);

#endif
