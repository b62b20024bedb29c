/* What the PKI listener's handlers read of a request: its path
 * parameters and headers. */
#include <string.h>

#include "api/pki/pki.h"

const char *
pki_param(const struct pki_request *r, const char *name)
{
	for (size_t i = 0; i < r->n_params; i++)
		if (strcmp(r->names[i], name) == 0)
			return r->values[i];
	return NULL;
}

const char *
pki_header(const struct pki_request *r, const char *name)
{
	return r->con != NULL ? MHD_lookup_connection_value(r->con, MHD_HEADER_KIND, name) : NULL;
}
