#include "api/rest/cookie.h"

#include <stdbool.h>
#include <string.h>

/* RFC 6265 cookie-octet: printable US-ASCII but for space, '"', ',', ';'
 * and '\'. */
static bool
cookie_octet(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != ',' && c != ';' && c != '\\';
}

/* The value of the pair at p (up to ';' or the end) into out: 0, or -1
 * when malformed or too long. */
static int
pair_value(const char *v, size_t n, char *out, size_t len)
{
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v++;
		n -= 2;
	}
	if (n == 0 || n >= len)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!cookie_octet((unsigned char)v[i]))
			return -1;
	memcpy(out, v, n);
	out[n] = '\0';
	return 0;
}

int
api_cookie_get(const char *header, const char *name, char *out, size_t len)
{
	size_t name_len = strlen(name);
	const char *p = header;
	char value[256];
	int found = 0;

	if (len > 0)
		out[0] = '\0';
	while (p != NULL && *p != '\0') {
		size_t pair = strcspn(p, ";"), key, vlen;
		const char *v;
		while (pair > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			pair--;
		}
		key = strcspn(p, "=;");
		v = p + key + 1;
		vlen = pair > key ? pair - key - 1 : 0;
		while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		if (key == name_len && key < pair && strncmp(p, name, name_len) == 0) {
			if (pair_value(v, vlen, value, sizeof(value) < len ? sizeof(value) : len) != 0 ||
			    (found && strcmp(value, out) != 0)) {
				found = -1;
				break;
			}
			memcpy(out, value, strlen(value) + 1);
			found = 1;
		}
		p += pair;
		if (*p == ';')
			p++;
	}
	if (found != 1 && len > 0)
		out[0] = '\0';
	return found;
}
