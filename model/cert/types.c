/* Issued certificates as values. */
#include "model/cert/certificate.h"

#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "model/core/names.h"

static const char *const status_names[] = {[CERT_VALID] = "valid", [CERT_REVOKED] = "revoked",
                                           [CERT_ISSUER_REVOKED] = "issuer_revoked",
                                           [CERT_EXPIRED] = "expired"};

EDGECA_NAMES(cert_status, enum cert_status, status_names)

void
cert_issue_req_init(struct cert_issue_req *r)
{
	memset(r, 0, sizeof(*r));
	r->validity_days = CA_FIELD_UNSET;
	r->path_length = CA_FIELD_UNSET;
}

void
cert_free(struct certificate *c)
{
	if (c == NULL)
		return;
	free(c->subject);
	free(c->common_name);
	strv_free(c->sans);
	free(c->der);
	free(c->chain_pem);
	strv_free(c->warnings);
	free(c);
}

void
cert_list_free(struct cert_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		cert_free(l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}
