#include "common/email.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/x509util.h"

bool
email_valid(const char *e)
{
	const char *at = strchr(e, '@');

	if (at == NULL || at == e || at[1] == '\0' || strchr(at + 1, '@') != NULL ||
	    strlen(e) > 254 || strchr(at + 1, '.') == NULL)
		return false;
	for (const unsigned char *p = (const unsigned char *)e; *p; p++)
		if (*p <= 0x20 || *p == 0x7f || *p == ',' || *p == '<' || *p == '>' || *p == '"')
			return false;
	return true;
}

static bool
seen(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(v[i], s) == 0)
			return true;
	return false;
}

static size_t
count(char *const *v)
{
	size_t n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

char **
email_recipients_merge(char *const *a, char *const *b)
{
	char *const *in[2] = {a, b};
	char **out;
	size_t n = 0;

	out = calloc(count(a) + count(b) + 1, sizeof(*out));
	if (out == NULL)
		return NULL;
	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; in[k] != NULL && in[k][i] != NULL; i++) {
			if (seen(out, n, in[k][i]))
				continue;
			out[n] = strdup(in[k][i]);
			if (out[n] == NULL) {
				strv_free(out);
				return NULL;
			}
			n++;
		}
	}
	return out;
}
