/* The key types the signer generates and accepts in its key store. */
#ifndef EDGECA_SIGNER_ALGORITHMS_H
#define EDGECA_SIGNER_ALGORITHMS_H

#include <stddef.h>

struct key_algorithm {
	const char *name;  /* EC-P256, ... as the protocol names it */
	const char *type;  /* OpenSSL key type */
	const char *param; /* curve, or NULL for RSA */
	size_t bits;
};

/* The algorithm named name, or NULL when the signer knows none of that
 * name (the names match exactly, case included). */
const struct key_algorithm *key_algorithm_find(const char *name);

#endif
