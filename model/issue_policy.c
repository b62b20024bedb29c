#include "model/issue_policy.h"

#include "signer/templates.h"

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
