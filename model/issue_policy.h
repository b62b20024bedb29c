/* Rules of issuance: which location of a CA signs, and the path length of
 * the subordinates edgeca chains. Pure. Called by subordinate signing and
 * CA chaining. */
#ifndef EDGECA_MODEL_ISSUE_POLICY_H
#define EDGECA_MODEL_ISSUE_POLICY_H

#include "model/ca.h"

/* The location of ca that signs a request naming name (NULL: the first
 * active one). Pure.
 * Returns: EDGECA_OK with *loc set; EDGECA_ERR_CONFLICT (ca-revoked,
 * ca-not-active, location-revoked); EDGECA_ERR_INVALID
 * (location-not-active) for a named location that does not exist or
 * waits for its certificate. */
edgeca_err issue_location(const struct ca *ca, const char *name, const struct ca_location **loc,
                          struct edgeca_msg *msg);

/* The path length edgeca asks for in the certificate of a subordinate it
 * chains: the CA's own path_length when set; 0 when its policy allows no
 * CA template (nothing below it may be a CA, which relying parties then
 * enforce too, as for roots); -1 (the most the parent allows) otherwise.
 * Pure. */
long issue_child_path_length(const struct ca *child);

#endif
