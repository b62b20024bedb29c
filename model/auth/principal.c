#include "model/auth/principal.h"

#include <string.h>

const char *
role_name(enum role r)
{
	switch (r) {
	case ROLE_AUDITOR: return "auditor";
	case ROLE_REQUESTER: return "requester";
	case ROLE_PKI_ADMIN: return "pki_admin";
	default: return "none";
	}
}

enum role
role_parse(const char *name)
{
	if (strcmp(name, "auditor") == 0)
		return ROLE_AUDITOR;
	if (strcmp(name, "requester") == 0)
		return ROLE_REQUESTER;
	if (strcmp(name, "pki_admin") == 0)
		return ROLE_PKI_ADMIN;
	return ROLE_NONE;
}
