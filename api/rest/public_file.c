/* Parsing of the public per-key file names (see public_file.h). */
#include <stdlib.h>
#include <string.h>

#include "api/rest/public_file.h"

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
