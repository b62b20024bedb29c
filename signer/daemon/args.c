#include "signer/daemon/args.h"

#include <errno.h>
#include <stdlib.h>

int
args_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *s == '\0' || *end || v > max || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}
