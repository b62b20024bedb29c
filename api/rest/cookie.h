/* The Cookie request header (RFC 6265 section 5.4): finding one cookie's
 * value among those a browser sends. Used by api/rest/auth.c. */
#ifndef EDGECA_API_COOKIE_H
#define EDGECA_API_COOKIE_H

#include <stddef.h>

/* Finds cookie name in a Cookie header ("a=1; b=2"), its value without
 * the double quotes it may have, into out (len bytes).
 * Returns: 1 found; 0 not there (or header NULL); -1 when it is there
 * more than once with different values, or its value is empty, holds
 * characters a cookie value may not, or does not fit out. */
int api_cookie_get(const char *header, const char *name, char *out, size_t len);

#endif
