/* Password hashing for the few secrets edgeca must check but never keep
 * (EST HTTP Basic credentials): scrypt (RFC 7914) with a random 16-byte
 * salt, stored as "$scrypt$ln=14,r=8,p=1$<salt>$<hash>" (base64). Each
 * scrypt run needs 16 MiB: at most PASSWORD_MAX_RUNNING run at once in
 * the process, whatever the number of threads asking. */
#ifndef EDGECA_COMMON_PASSWORD_H
#define EDGECA_COMMON_PASSWORD_H

#include <stdbool.h>

/* scrypt runs at once in the process at most: 2 x 16 MiB. */
#define PASSWORD_MAX_RUNNING 2

enum password_result {
	PASSWORD_MATCH,
	PASSWORD_MISMATCH,
	PASSWORD_BUSY, /* no scrypt slot came free within the wait */
};

/* A new hash of password (malloc'ed), or NULL when out of memory or
 * randomness. */
char *password_hash(const char *password);

/* True when password matches stored (compared in constant time). A stored
 * string that is not in the format above never matches. Waits as long as
 * it takes for a scrypt slot. */
bool password_verify(const char *password, const char *stored);

/* password_verify waiting at most wait_ms for a scrypt slot:
 * PASSWORD_BUSY (nothing computed) when none came free. */
enum password_result password_check(const char *password, const char *stored,
                                    unsigned wait_ms);

#endif
