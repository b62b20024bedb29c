/* Values read out of query results (text form: libpq's default): strings,
 * integers, times, bytea, certificates and text arrays, and text arrays
 * written as literals. The other half of model/store/db.h. */
#include "model/store/db.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/x509_cache.h"

const char *
db_get(const PGresult *r, int row, const char *col)
{
	int f = PQfnumber(r, col);

	if (f < 0 || row >= PQntuples(r) || PQgetisnull(r, row, f))
		return NULL;
	return PQgetvalue(r, row, f);
}

long long
db_get_ll(const PGresult *r, int row, const char *col)
{
	const char *v = db_get(r, row, col);

	return v ? strtoll(v, NULL, 10) : 0;
}

long long
db_get_time(const PGresult *r, int row, const char *col)
{
	return db_get_ll(r, row, col);
}

int
db_get_bytea(const PGresult *r, int row, const char *col, unsigned char **out, size_t *len)
{
	const char *v = db_get(r, row, col);
	unsigned char *tmp, *copy;
	size_t n = 0;

	*out = NULL;
	*len = 0;
	if (v == NULL)
		return -1;
	tmp = PQunescapeBytea((const unsigned char *)v, &n);
	if (tmp == NULL)
		return -1;
	copy = malloc(n ? n : 1);
	if (copy == NULL) {
		PQfreemem(tmp);
		return -1;
	}
	memcpy(copy, tmp, n);
	PQfreemem(tmp);
	*out = copy;
	*len = n;
	return 0;
}

int
db_get_certs(const PGresult *r, const char *col, STACK_OF(X509) *sk)
{
	for (int i = 0; i < PQntuples(r); i++) {
		unsigned char *der = NULL;
		size_t len = 0;
		X509 *x = NULL;

		if (db_get_bytea(r, i, col, &der, &len) == 0)
			x = x509_cache_get(der, len);
		free(der);
		if (x == NULL || !sk_X509_push(sk, x)) {
			X509_free(x);
			return -1;
		}
	}
	return 0;
}

/* Parses a PostgreSQL text[] output literal: {a,"b c",NULL}. */
int
db_get_text_array(const PGresult *r, int row, const char *col, char ***out)
{
	const char *v = db_get(r, row, col), *p;
	char **vec = NULL;
	size_t n = 0;
	struct buf item = {0};
	int rc = -1;

	*out = NULL;
	vec = calloc(1, sizeof(char *));
	if (vec == NULL)
		return -1;
	if (v == NULL || v[0] != '{')
		goto done_empty;
	p = v + 1;
	while (*p && *p != '}') {
		char **nv;
		buf_free(&item);
		if (*p == '"') {
			p++;
			while (*p && *p != '"') {
				if (*p == '\\' && p[1])
					p++;
				if (buf_append(&item, p, 1) != 0)
					goto out;
				p++;
			}
			if (*p != '"')
				goto out;
			p++;
		} else {
			while (*p && *p != ',' && *p != '}') {
				if (buf_append(&item, p, 1) != 0)
					goto out;
				p++;
			}
		}
		if (buf_terminate(&item) != 0)
			goto out;
		nv = realloc(vec, (n + 2) * sizeof(char *));
		if (nv == NULL)
			goto out;
		vec = nv;
		vec[n++] = (char *)buf_take(&item, NULL);
		vec[n] = NULL;
		if (*p == ',')
			p++;
	}
done_empty:
	*out = vec;
	vec = NULL;
	rc = 0;
out:
	buf_free(&item);
	if (vec != NULL) {
		for (size_t i = 0; i < n; i++)
			free(vec[i]);
		free(vec);
	}
	return rc;
}

char *
db_text_array_literal(const char *const *items, size_t n)
{
	struct buf b = {0};

	if (buf_append_str(&b, "{") != 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		if (buf_append_str(&b, i ? ",\"" : "\"") != 0)
			goto fail;
		for (const char *p = items[i]; *p; p++) {
			if ((*p == '"' || *p == '\\') && buf_append(&b, "\\", 1) != 0)
				goto fail;
			if (buf_append(&b, p, 1) != 0)
				goto fail;
		}
		if (buf_append_str(&b, "\"") != 0)
			goto fail;
	}
	if (buf_append_str(&b, "}") != 0)
		goto fail;
	return (char *)buf_take(&b, NULL);
fail:
	buf_free(&b);
	return NULL;
}
