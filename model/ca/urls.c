/* The public URLs edgeca writes for a CA: into the certificates it issues
 * (CRL distribution point, issuer certificate: under the public PKI URL,
 * plain HTTP by default) and for devices (EST). */
#include <stdio.h>

#include "model/ca/ca.h"
#include "model/core/context.h"
#include "model/crl/crl.h"

void
ca_issuer_urls(const struct model_settings *settings, const struct ca *ca,
               const struct ca_location *loc, char crl_url[PUBLIC_URL_BYTES],
               char aia_url[PUBLIC_URL_BYTES])
{
	crl_url[0] = aia_url[0] = '\0';
	if (ca->crl_enabled && ca->crl_distribution_point != NULL)
		snprintf(crl_url, 1100, "%s", ca->crl_distribution_point);
	else if (ca->crl_enabled) /* the CRL of the key that issues */
		crl_public_url(settings, ca->id, loc->name, loc->generation, crl_url);
	if (loc->generation > 1) /* the certificate of the key that issues */
		snprintf(aia_url, 1100, "%s/ca/%s/%s.%d.crt", settings->public_pki_url, ca->id,
		         loc->name, loc->generation);
	else
		snprintf(aia_url, 1100, "%s/ca/%s/%s.crt", settings->public_pki_url, ca->id, loc->name);
}

void
ca_est_url(const struct model_settings *settings, const struct ca *ca, const struct ca_location *loc,
           char url[EST_URL_MAX])
{
	snprintf(url, EST_URL_MAX, "%s/est/%s/%s/.well-known/est", settings->public_est_url, ca->id,
	         loc->name);
}

void
ca_est_label_url(const struct model_settings *settings, const struct ca *ca, char url[EST_URL_MAX])
{
	url[0] = '\0';
	if (ca->est.label[0] != '\0')
		snprintf(url, EST_URL_MAX, "%s/.well-known/est/%s", settings->public_est_url, ca->est.label);
}

void
ca_est_default_url(const struct model_settings *settings, const struct ca *ca, char url[EST_URL_MAX])
{
	url[0] = '\0';
	if (ca->est.is_default)
		snprintf(url, EST_URL_MAX, "%s/.well-known/est", settings->public_est_url);
}

void
ca_ocsp_url(const struct model_settings *settings, const struct ca *ca,
            char url[PUBLIC_URL_BYTES])
{
	url[0] = '\0';
	if (ca->ocsp_enabled)
		snprintf(url, PUBLIC_URL_BYTES, "%s/ocsp", settings->public_pki_url);
}

void
crl_delta_public_url(const struct model_settings *settings, const struct ca *ca,
                     const struct ca_location *loc, char url[PUBLIC_URL_BYTES])
{
	url[0] = '\0';
	if (ca->crl_enabled && ca->crl_delta_enabled) /* the delta CRL of the key that issues */
		crl_delta_url(settings, ca->id, loc->name, loc->generation, url);
}
