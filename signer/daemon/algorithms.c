#include "signer/daemon/algorithms.h"

#include <string.h>

static const struct key_algorithm algorithms[] = {
	{"EC-P256", "EC", "P-256", 0},     {"EC-P384", "EC", "P-384", 0},
	{"RSA-2048", "RSA", NULL, 2048}, {"RSA-3072", "RSA", NULL, 3072},
	{"RSA-4096", "RSA", NULL, 4096},
};

const struct key_algorithm *
key_algorithm_find(const char *name)
{
	for (size_t i = 0; i < sizeof(algorithms) / sizeof(algorithms[0]); i++)
		if (strcmp(algorithms[i].name, name) == 0)
			return &algorithms[i];
	return NULL;
}
