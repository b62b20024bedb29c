/* States and kinds travel inside edgeca as enums; their names appear only
 * where a row is read or written (PostgreSQL text columns) and where the
 * API renders or parses them. EDGECA_NAMES defines a module's pair
 * x_name(enum) / x_parse(text, &enum) over its table of names. */
#ifndef EDGECA_MODEL_NAMES_H
#define EDGECA_MODEL_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* The index of s in names[0..n), or -1 (also for NULL). */
static inline int
names_find(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s != NULL && i < n; i++)
		if (names[i] != NULL && strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

/* Declares the pair EDGECA_NAMES defines. */
#define EDGECA_NAMES_DECLARE(prefix, type)        \
	const char *prefix##_name(type v);         \
	bool prefix##_parse(const char *s, type *out)

/* Defines `const char *prefix_name(type v)` ("unknown" outside the table)
 * and `bool prefix_parse(const char *s, type *out)` (false, *out left
 * alone, for a name not in the table) over the array table, whose
 * entries are indexed by the enum's values. */
#define EDGECA_NAMES(prefix, type, table)                                           \
	const char *prefix##_name(type v)                                          \
	{                                                                          \
		size_t i = (size_t)v;                                              \
		return i < sizeof(table) / sizeof(table[0]) && table[i] != NULL ? table[i] \
		                                                                   : "unknown"; \
	}                                                                          \
	bool prefix##_parse(const char *s, type *out)                              \
	{                                                                          \
		int i = names_find(table, sizeof(table) / sizeof(table[0]), s);    \
		if (i < 0)                                                         \
			return false;                                              \
		*out = (type)i;                                                    \
		return true;                                                       \
	}

#endif
