#include "api/rest/query.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* The longest parameter name compared; longer ones are unknown anyway. */
#define NAME_MAX_LEN 64

static bool
listed(const char *const *names, const char *name)
{
	for (const char *const *n = names; n != NULL && *n != NULL; n++)
		if (strcmp(*n, name) == 0)
			return true;
	return false;
}

bool
api_query_takes(const struct api_route *route, const char *name)
{
	return route != NULL && route->query != NULL && listed(route->query->names, name);
}

static bool
repeatable(const struct api_route *route, const char *name)
{
	return route != NULL && route->query != NULL && listed(route->query->lists, name);
}

bool
api_query_ignored(const struct api_route *route)
{
	return route != NULL && (route->props & ROUTE_ANY_QUERY) != 0;
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
api_query_refused(const char *target, const struct api_route *route, char *detail, size_t len)
{
	const char *q = target != NULL ? strchr(target, '?') : NULL;
	char name[NAME_MAX_LEN + 1], other[NAME_MAX_LEN + 1];
	const char *p, *next, *rest;

	if (q == NULL || api_query_ignored(route))
		return 0;
	for (p = q + 1; *p != '\0'; p = next) {
		bool fits = param_name(p, name, sizeof(name), &next);
		if (p[0] == '&' || p[0] == '\0')
			continue; /* an empty parameter (?&a=1, a trailing &) names nothing */
		if (!fits || !api_query_takes(route, name)) {
			snprintf(detail, len, "unknown query parameter %.*s%s", NAME_MAX_LEN, name,
			         fits ? "" : "...");
			return 1;
		}
		for (const char *o = next; *o != '\0' && !repeatable(route, name); o = rest) {
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
