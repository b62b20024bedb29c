/* Where CRLs are published: the distribution point of each key's
 * complete CRL and the Freshest CRL URL of its delta CRL, under
 * EDGECA_PUBLIC_PKI_URL. A file of its own, so that every CRL builder and
 * reader can name them. */
#include <stdio.h>

#include "model/core/context.h"
#include "model/crl/crl.h"

void
crl_public_url(const struct model_settings *settings, const char *ca_id, const char *location,
               int generation, char url[PUBLIC_URL_BYTES])
{
	if (generation > 1)
		snprintf(url, 1100, "%s/crl/%s/%s.%d.crl", settings->public_pki_url, ca_id, location,
		         generation);
	else
		snprintf(url, 1100, "%s/crl/%s/%s.crl", settings->public_pki_url, ca_id, location);
}

void
crl_delta_url(const struct model_settings *settings, const char *ca_id, const char *location,
              int generation, char url[PUBLIC_URL_BYTES])
{
	if (generation > 1)
		snprintf(url, 1100, "%s/crl/%s/%s.%d.delta.crl", settings->public_pki_url, ca_id,
		         location, generation);
	else
		snprintf(url, 1100, "%s/crl/%s/%s.delta.crl", settings->public_pki_url, ca_id, location);
}
