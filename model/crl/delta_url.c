/* Where a key's delta CRL is published: the URL its complete CRL and the
 * certificates it issues name in their Freshest CRL extension. A file of
 * its own, so that the complete CRL's builder can name it. */
#include "model/crl/crl.h"

#include <stdio.h>

/* Under public_url, as the CRLs are, until the plain-HTTP listener's
 * public_pki_url exists (then both move there). */
void
crl_delta_url(const struct model_settings *settings, const char *ca_id, const char *location,
              int generation, char url[PUBLIC_URL_BYTES])
{
	if (generation > 1)
		snprintf(url, 1100, "%s/crl/%s/%s.%d.delta.crl", settings->public_url, ca_id, location,
		         generation);
	else
		snprintf(url, 1100, "%s/crl/%s/%s.delta.crl", settings->public_url, ca_id, location);
}
