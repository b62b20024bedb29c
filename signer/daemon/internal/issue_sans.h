/* The SANs of a certificate the signer issues (issue_sans.c), for
 * issue.c alone. */
#ifndef EDGECA_SIGNER_ISSUE_SANS_H
#define EDGECA_SIGNER_ISSUE_SANS_H

#include <openssl/x509v3.h>

#include "common/error.h"
#include "signer/proto/templates.h"

/* The SANs the template lets through: DNS and IP names of the CSR (at most
 * 100 names and 8 KiB of them, DNS names host names with an optional
 * leading wildcard label), and the CN as a DNS name (or IP address) where
 * the template says so. *out receives them (possibly none), the caller's
 * to free. */
edgeca_err issue_build_sans(const struct tpl_def *t, X509_REQ *req, const char *cn,
                            GENERAL_NAMES **out, struct edgeca_msg *msg);

#endif
