/* SipHash-2-4: a fast keyed hash for in-memory tables whose keys come
 * from the network (the EST throttle, the OCSP answer cache), so that
 * chosen keys cannot pile into one chain. Shared by the server's modules. */
#ifndef EDGECA_COMMON_SIPHASH_H
#define EDGECA_COMMON_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* SipHash-2-4 of data under a 16-byte key (the reference vectors:
 * tests/unit/test_est_throttle.c). */
uint64_t siphash24(const unsigned char key[16], const void *data, size_t len);

#endif
