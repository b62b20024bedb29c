#include "api/rest/query.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "api/rest/handlers.h"

/* The longest parameter name compared; longer ones are unknown anyway. */
#define NAME_MAX_LEN 64

static const char *const page[] = {"limit", "cursor", NULL};
static const char *const cert_filters[] = {"status", "common_name", "expires_before", "limit",
                                        "cursor", NULL};
static const char *const audit[] = {"actor", "action", "object_type", "object_id",
                                    "since", "until", "limit", "cursor", NULL};
/* a raw CSR's options; with a JSON body the handler refuses them by name */
static const char *const csr_options[] = {"validity_days", "not_after", "template",
                                          "location", "path_length", NULL};
static const char *const cert_search[] = {
	"ca_id", "common_name_prefix", "san", "serial", "status", "template", "requester",
	"issued_after", "issued_before", "expires_after", "expires_before", "sort", "total",
	"limit", "cursor", NULL};
/* list parameters that may be repeated (?ca_id=a&ca_id=b, the OpenAPI
 * default for a query array, which generated clients send): Ulfius joins
 * the values with commas, the same as ?ca_id=a,b */
static const char *const cert_search_lists[] = {"ca_id", NULL};
static const char *const ca_crl[] = {"location", "delta", NULL};
static const char *const iotedge[] = {"registration_id", "id_scope", "location", NULL};

/* What each handler reads with api_query, api_query_long, api_query_time
 * or u_map_get on map_url (path parameters aside). */
static const struct {
	api_handler handler;
	const char *const *names;
	const char *const *lists; /* of names, those that may repeat; NULL: none */
} takes[] = {
	{api_cas_list, page, NULL},
	{api_tokens_list, page, NULL},
	{api_notifications_list, page, NULL},
	{api_certificates_list, cert_filters, NULL},
	{api_audit_list, audit, NULL},
	{api_cert_search, cert_search, cert_search_lists},
	{api_certificates_issue, csr_options, NULL},
	{api_cas_sign_subordinate, csr_options, NULL},
	{api_cas_crl_get, ca_crl, NULL},
	{api_cas_iotedge_config, iotedge, NULL},
};

bool
api_query_takes(api_handler handler, const char *name)
{
	for (size_t i = 0; i < sizeof(takes) / sizeof(takes[0]); i++) {
		if (takes[i].handler != handler)
			continue;
		for (const char *const *n = takes[i].names; *n != NULL; n++)
			if (strcmp(*n, name) == 0)
				return true;
		return false;
	}
	return false;
}

static bool
repeatable(api_handler handler, const char *name)
{
	for (size_t i = 0; i < sizeof(takes) / sizeof(takes[0]); i++) {
		if (takes[i].handler != handler || takes[i].lists == NULL)
			continue;
		for (const char *const *n = takes[i].lists; *n != NULL; n++)
			if (strcmp(*n, name) == 0)
				return true;
	}
	return false;
}

bool
api_query_ignored(api_handler handler)
{
	return handler == api_public_ca_certificate || handler == api_public_crl ||
	       handler == api_ui_file;
}

static int
hex(char c)
{
	if (isdigit((unsigned char)c))
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The decoded name of the parameter starting at p (up to '=', '&' or the
 * end) into out, as libmicrohttpd decodes it ('+' is a blank); false when
 * longer than the buffer. Bytes that are not printable become '?', so the
 * name can go into a message. *next: where the parameter ends. */
static bool
param_name(const char *p, char *out, size_t len, const char **next)
{
	size_t n = 0;
	bool fits = true;

	while (*p != '\0' && *p != '&' && *p != '=') {
		int c = (unsigned char)*p++;
		if (c == '+')
			c = ' ';
		else if (c == '%' && hex(p[0]) >= 0 && hex(p[1]) >= 0) {
			c = hex(p[0]) * 16 + hex(p[1]);
			p += 2;
		}
		if (n + 1 < len)
			out[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
		else
			fits = false;
	}
	out[n] = '\0';
	p += strcspn(p, "&");
	*next = *p == '&' ? p + 1 : p;
	return fits;
}

int
api_query_refused(const char *target, api_handler handler, char *detail, size_t len)
{
	const char *q = target != NULL ? strchr(target, '?') : NULL;
	char name[NAME_MAX_LEN + 1], other[NAME_MAX_LEN + 1];
	const char *p, *next, *rest;

	if (q == NULL || api_query_ignored(handler))
		return 0;
	for (p = q + 1; *p != '\0'; p = next) {
		bool fits = param_name(p, name, sizeof(name), &next);
		if (p[0] == '&' || p[0] == '\0')
			continue; /* an empty parameter (?&a=1, a trailing &) names nothing */
		if (!fits || !api_query_takes(handler, name)) {
			snprintf(detail, len, "unknown query parameter %.*s%s", NAME_MAX_LEN, name,
			         fits ? "" : "...");
			return 1;
		}
		for (const char *o = next; *o != '\0' && !repeatable(handler, name); o = rest) {
			param_name(o, other, sizeof(other), &rest);
			if (strcmp(name, other) == 0) {
				snprintf(detail, len, "the query parameter %s is given more than once",
				         name);
				return 1;
			}
		}
	}
	return 0;
}
