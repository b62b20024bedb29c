/* The public per-key file names and the caching rules of their answers
 * (see public_file.h). */
#include <stdlib.h>
#include <string.h>

#include "api/pki/public_file.h"

int
public_file_generation(const char *file, const char *ext, char name[64])
{
	size_t n = file ? strlen(file) : 0, e = strlen(ext);
	const char *dot;
	char *end;
	long gen = 1;

	if (n <= e || n - e >= 64 || strcmp(file + n - e, ext) != 0)
		return 0;
	memcpy(name, file, n - e);
	name[n - e] = '\0';
	if ((dot = strchr(name, '.')) != NULL) { /* location names have no dot */
		if (dot[1] < '1' || dot[1] > '9')
			return 0;
		gen = strtol(dot + 1, &end, 10);
		if (*end != '\0' || gen < 2 || gen > 1000000)
			return 0;
		name[dot - name] = '\0';
	}
	return (int)gen;
}

const unsigned char *
public_file_location_der(const struct ca_location *loc, int gen, size_t *len)
{
	if (loc->cert_der != NULL && loc->generation == gen) {
		*len = loc->cert_len;
		return loc->cert_der;
	}
	for (size_t i = 0; i < loc->n_previous; i++)
		if (loc->previous[i].generation == gen) {
			*len = loc->previous[i].der_len;
			return loc->previous[i].der;
		}
	return NULL;
}

void
public_http_date(time_t t, char out[40])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 40, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

long
public_crl_max_age(time_t next_update, time_t now)
{
	long age = next_update > now ? (long)(next_update - now) : 0;

	return age > PUBLIC_CRL_MAX_AGE_S ? PUBLIC_CRL_MAX_AGE_S : age;
}

/* If-None-Match holds the ETag (or *), as one of a list, weak or not. */
static bool
etag_matches(const char *header, const char *etag)
{
	const char *p = header;
	size_t n = strlen(etag);

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (strncmp(p, etag, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
			return true;
		p = strchr(p, ',');
	}
	return false;
}

bool
public_not_modified(const char *inm, const char *ims, const char *etag, time_t last_modified)
{
	struct tm tm = {0};
	const char *end;

	if (inm != NULL)
		return etag_matches(inm, etag);
	if (ims == NULL)
		return false;
	end = strptime(ims, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end == NULL || *end != '\0' || timegm(&tm) > time(NULL))
		return false; /* unreadable, or a date in the future: ignored (RFC 9110 13.1.3) */
	return last_modified <= timegm(&tm);
}
