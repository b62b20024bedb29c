#include "api/listen/cors.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* host[:port] of an origin: a DNS name or IPv4 address in lower case, or
 * a bracketed IPv6 address, then an optional port 1-65535. */
static bool
host_port_valid(const char *s)
{
	const char *p = s;

	if (*p == '[') {
		for (p++; isxdigit((unsigned char)*p) || *p == ':' || *p == '.'; p++)
			if (isupper((unsigned char)*p))
				return false;
		if (*p != ']' || p == s + 1)
			return false;
		p++;
	} else {
		for (; islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-' ||
		       *p == '.';
		     p++)
			;
		if (p == s || *s == '.' || *s == '-' || p[-1] == '.' || p[-1] == '-')
			return false;
	}
	if (*p == '\0')
		return true;
	if (*p++ != ':' || *p == '\0' || *p == '0' || strlen(p) > 5)
		return false;
	for (const char *d = p; *d != '\0'; d++)
		if (!isdigit((unsigned char)*d))
			return false;
	return atol(p) <= 65535;
}

/* An origin as browsers send it: they serialise scheme and host in lower
 * case, and edgeca compares exactly. */
static bool
origin_valid(const char *o)
{
	if (strlen(o) > CORS_ORIGIN_MAX_LEN)
		return false;
	if (strncmp(o, "https://", 8) == 0)
		return host_port_valid(o + 8);
	if (strncmp(o, "http://", 7) == 0)
		return host_port_valid(o + 7);
	return false;
}

static char *
trimmed(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

edgeca_err
cors_origins_parse(const char *list, struct cors_origins **out, struct edgeca_msg *msg)
{
	struct cors_origins *c = NULL;
	char *copy = NULL, *save = NULL, *tok;
	edgeca_err rc = EDGECA_OK;

	*out = NULL;
	if (list == NULL || list[strspn(list, " \t")] == '\0')
		return EDGECA_OK;
	copy = strdup(list);
	c = calloc(1, sizeof(*c));
	if (copy == NULL || c == NULL ||
	    (c->origins = calloc(CORS_ORIGINS_MAX, sizeof(*c->origins))) == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (char *s = copy; (tok = strtok_r(s, ",", &save)) != NULL; s = NULL) {
		tok = trimmed(tok);
		if (strcmp(tok, "*") == 0) {
			c->any = true;
			continue;
		}
		if (!origin_valid(tok)) {
			rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
			                 "EDGECA_CORS_ORIGINS: \"%.*s\" is not an origin: write "
			                 "scheme://host[:port] (http or https, lower case, no path or "
			                 "trailing slash), e.g. https://portal.example.com",
			                 CORS_ORIGIN_MAX_LEN, tok);
			goto out;
		}
		if (c->n == CORS_ORIGINS_MAX) {
			rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
			                 "EDGECA_CORS_ORIGINS lists more than %d origins",
			                 CORS_ORIGINS_MAX);
			goto out;
		}
		if ((c->origins[c->n] = strdup(tok)) == NULL) {
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
			goto out;
		}
		c->n++;
	}
	if (c->any && c->n > 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
		                 "EDGECA_CORS_ORIGINS: \"*\" allows every origin and stands alone; "
		                 "list exact origins or \"*\", not both");
		goto out;
	}
	if (!c->any && c->n == 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
		                 "EDGECA_CORS_ORIGINS lists no origin between its commas");
		goto out;
	}
	*out = c;
	c = NULL;
out:
	cors_origins_free(c);
	free(copy);
	return rc;
}

void
cors_origins_free(struct cors_origins *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; c->origins != NULL && i < c->n; i++)
		free(c->origins[i]);
	free(c->origins);
	free(c);
}

const char *
cors_origin_allowed(const struct cors_origins *c, const char *origin)
{
	if (c == NULL || origin == NULL)
		return NULL;
	if (c->any)
		return "*";
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->origins[i], origin) == 0)
			return c->origins[i];
	return NULL;
}
