#include "model/issue_policy.h"

#include <string.h>

#include "signer/templates.h"

edgeca_err
issue_location(const struct ca *ca, const char *name, const struct ca_location **loc,
               struct edgeca_msg *msg)
{
	const struct ca_location *l;

	*loc = NULL;
	if (strcmp(ca->status, "active") != 0)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT,
		                   strcmp(ca->status, "revoked") == 0 ? "ca-revoked" : "ca-not-active",
		                   "CA %s is %s and issues no certificates", ca->id, ca->status);
	l = ca_find_location(ca, name);
	if (l != NULL && strcmp(l->status, "revoked") == 0)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "location-revoked",
		                   "location %s of CA %s is revoked and issues no certificates",
		                   l->name, ca->id);
	if (l == NULL || strcmp(l->status, "active") != 0)
		return name ? edgeca_fail(msg, EDGECA_ERR_INVALID, "location-not-active",
		                          "CA %s has no active location \"%s\"", ca->id, name)
		            : edgeca_fail(msg, EDGECA_ERR_CONFLICT, "ca-not-active",
		                          "CA %s has no active location", ca->id);
	*loc = l;
	return EDGECA_OK;
}

long
issue_child_path_length(const struct ca *child)
{
	if (child->path_length >= 0)
		return child->path_length;
	for (char **t = child->allowed_templates; t && *t; t++)
		if (tpl_by_name(*t) != NULL && tpl_by_name(*t)->is_ca)
			return -1;
	return 0;
}
