/* The portal's first-page modules for index.html's Link header
 * (ui_preload.h). The import statements are found by a scan of each
 * module's text, not a JavaScript parser: `from "<spec>"` (import and
 * export ... from) and `import "<spec>"`, never `import(` (a page's module,
 * loaded when visited). A look-alike in a comment or a string can only
 * add a module of the portal to the list, which costs a fetch, not a
 * fault. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/rest/ui_preload.h"

#define UI_PRELOAD_PREFIX "/ui/"
#define UI_PRELOAD_NAME_MAX 256

static size_t
table_len(const struct edgeca_embedded_file *files)
{
	size_t n = 0;

	while (files[n].name != NULL)
		n++;
	return n;
}

static long
table_find(const struct edgeca_embedded_file *files, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(files[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* The table name a relative specifier (spec, len bytes) names from the
 * module `from`; 0, or -1 when it is not relative or leaves the root. */
static int
resolve(const char *from, const char *spec, size_t len, char out[UI_PRELOAD_NAME_MAX])
{
	const char *slash = strrchr(from, '/');
	size_t used = slash != NULL ? (size_t)(slash - from) + 1 : 0;
	size_t i = 0;

	if (len < 2 || spec[0] != '.' || used >= UI_PRELOAD_NAME_MAX)
		return -1;
	memcpy(out, from, used);
	while (i < len) {
		size_t seg = i;

		while (i < len && spec[i] != '/')
			i++;
		if (i - seg == 2 && spec[seg] == '.' && spec[seg + 1] == '.') {
			if (used == 0)
				return -1; /* above the portal's root */
			used--;        /* the slash that ends the directory */
			while (used > 0 && out[used - 1] != '/')
				used--;
		} else if (!(i - seg == 1 && spec[seg] == '.') && i > seg) {
			if (used + (i - seg) + 1 >= UI_PRELOAD_NAME_MAX)
				return -1;
			memcpy(out + used, spec + seg, i - seg);
			used += i - seg;
			if (i < len)
				out[used++] = '/';
		}
		i++; /* the slash */
	}
	out[used] = '\0';
	return used > 0 && out[used - 1] != '/' ? 0 : -1;
}

static bool
ident_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$';
}

/* The next static import's specifier in text (from *pos on): its start
 * and length; false when there is none. */
static bool
next_import(const char *text, size_t *pos, const char **spec, size_t *len)
{
	static const char *const words[] = {"from", "import"};

	for (size_t i = *pos; text[i] != '\0'; i++) {
		for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
			size_t wl = strlen(words[w]), j = i + wl;
			char quote;
			const char *end;

			if (strncmp(text + i, words[w], wl) != 0 ||
			    (i > 0 && ident_char((unsigned char)text[i - 1])))
				continue;
			while (text[j] == ' ' || text[j] == '\t' || text[j] == '\n' || text[j] == '\r')
				j++;
			quote = text[j];
			if (quote != '"' && quote != '\'')
				continue; /* "fromage", "import(", "import { x }" */
			end = strchr(text + j + 1, quote);
			if (end == NULL || memchr(text + j + 1, '\n', (size_t)(end - text - j - 1)))
				continue;
			*spec = text + j + 1;
			*len = (size_t)(end - *spec);
			*pos = (size_t)(end - text) + 1;
			return true;
		}
	}
	*pos = strlen(text);
	return false;
}

static int
append_link(char *out, size_t size, size_t *used, const char *name)
{
	int n = snprintf(out + *used, size - *used, "%s<" UI_PRELOAD_PREFIX "%s>; rel=modulepreload",
	                 *used > 0 ? ", " : "", name);

	if (n < 0 || (size_t)n >= size - *used)
		return -1;
	*used += (size_t)n;
	return 0;
}

int
ui_preload_links(const struct edgeca_embedded_file *files, const char *entry, char *out,
                 size_t size)
{
	size_t n = table_len(files), head = 0, tail = 0, used = 0;
	size_t *queue = NULL;
	bool *seen = NULL;
	long first;
	int rc = -1;

	if (size == 0)
		return -1;
	out[0] = '\0';
	first = table_find(files, n, entry);
	if (first < 0)
		goto out;
	queue = calloc(n, sizeof(*queue));
	seen = calloc(n, sizeof(*seen));
	if (queue == NULL || seen == NULL)
		goto out;
	queue[tail++] = (size_t)first;
	seen[first] = true;
	while (head < tail) {
		const struct edgeca_embedded_file *f = &files[queue[head++]];
		const char *text = (const char *)f->data, *spec;
		size_t pos = 0, len;
		char name[UI_PRELOAD_NAME_MAX];

		if (append_link(out, size, &used, f->name) != 0)
			goto out;
		while (next_import(text, &pos, &spec, &len)) {
			long k;

			if (resolve(f->name, spec, len, name) != 0 ||
			    (k = table_find(files, n, name)) < 0 || seen[k])
				continue;
			seen[k] = true;
			queue[tail++] = (size_t)k;
		}
	}
	rc = 0;
out:
	if (rc != 0)
		out[0] = '\0';
	free(queue);
	free(seen);
	return rc;
}
