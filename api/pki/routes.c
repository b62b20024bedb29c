/* The plain-HTTP PKI listener's routes: what it serves, and nothing else
 * (every other path is a 404, another method a 405 with Allow). */
#include <string.h>

#include "api/pki/pki.h"

const struct pki_route pki_routes[] = {
	/* CRLs at the distribution points certificates name (public_file.h) */
	{"/crl/:ca_id/:file", PKI_GET | PKI_HEAD, pki_crl_get},
	/* CA certificates at the AIA caIssuers URLs, DER */
	{"/ca/:ca_id/:file", PKI_GET | PKI_HEAD, pki_ca_certificate_get},
	/* OCSP (RFC 6960, RFC 5019 GET): ocsp.c */
	{"/ocsp", PKI_POST, pki_ocsp_post},
	{"/ocsp/*", PKI_GET | PKI_HEAD, pki_ocsp_get},
};

const size_t pki_routes_count = sizeof(pki_routes) / sizeof(pki_routes[0]);

static unsigned
method_bit(const char *method)
{
	if (strcmp(method, "GET") == 0)
		return PKI_GET;
	if (strcmp(method, "HEAD") == 0)
		return PKI_HEAD;
	if (strcmp(method, "POST") == 0)
		return PKI_POST;
	return 0;
}

/* Whether path (its copy in scratch, cut at each '/') matches pattern;
 * the parameters into r. A ":name" segment matches one non-empty
 * segment, a last "*" the rest of the path (non-empty, '/' included). */
static bool
matches(const char *pattern, const char *path, char *scratch, struct pki_request *r)
{
	const char *p = pattern;
	size_t n = 0, i = 0;

	strcpy(scratch, path);
	while (*p != '\0') {
		size_t seg = strcspn(p, "/"), len;
		if (p[0] == '*') {
			if (scratch[i] == '\0' || n == PKI_MAX_PARAMS)
				return false;
			strcpy(r->names[n], "rest");
			r->values[n++] = scratch + i;
			r->n_params = n;
			return true;
		}
		len = strcspn(scratch + i, "/");
		if (p[0] == ':') {
			if (len == 0 || n == PKI_MAX_PARAMS || seg - 1 >= sizeof(r->names[n]))
				return false;
			memcpy(r->names[n], p + 1, seg - 1);
			r->names[n][seg - 1] = '\0';
			r->values[n++] = scratch + i;
		} else if (len != seg || strncmp(p, scratch + i, seg) != 0) {
			return false;
		}
		p += seg;
		i += len;
		if ((*p == '/') != (scratch[i] == '/'))
			return false;
		if (*p == '/') {
			scratch[i++] = '\0';
			p++;
		}
	}
	if (scratch[i] != '\0')
		return false;
	r->n_params = n;
	return true;
}

const struct pki_route *
pki_route_match(const char *method, const char *path, char *scratch, struct pki_request *r,
                unsigned *allowed)
{
	unsigned bit = method_bit(method);

	*allowed = 0;
	for (size_t i = 0; i < pki_routes_count; i++) {
		if (!matches(pki_routes[i].pattern, path, scratch, r))
			continue;
		if ((pki_routes[i].methods & bit) != 0)
			return &pki_routes[i];
		*allowed |= pki_routes[i].methods;
	}
	r->n_params = 0;
	return NULL;
}
