/* Rules of issuance: the path length of the subordinates edgeca chains.
 * Pure. Called by CA chaining. */
#ifndef EDGECA_MODEL_ISSUE_POLICY_H
#define EDGECA_MODEL_ISSUE_POLICY_H

#include "model/ca.h"

/* The path length edgeca asks for in the certificate of a subordinate it
 * chains: the CA's own path_length when set; 0 when its policy allows no
 * CA template (nothing below it may be a CA, which relying parties then
 * enforce too, as for roots); -1 (the most the parent allows) otherwise.
 * Pure. */
long issue_child_path_length(const struct ca *child);

#endif
