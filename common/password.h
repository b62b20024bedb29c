/* Password hashing for the few secrets edgeca must check but never keep
 * (EST HTTP Basic credentials): scrypt (RFC 7914) with a random 16-byte
 * salt, stored as "$scrypt$ln=14,r=8,p=1$<salt>$<hash>" (base64). */
#ifndef EDGECA_COMMON_PASSWORD_H
#define EDGECA_COMMON_PASSWORD_H

#include <stdbool.h>

/* A new hash of password (malloc'ed), or NULL when out of memory or
 * randomness. */
char *password_hash(const char *password);

/* True when password matches stored (compared in constant time). A stored
 * string that is not in the format above never matches. */
bool password_verify(const char *password, const char *stored);

#endif
