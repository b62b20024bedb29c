/* Opaque pagination cursors: base64url of "v1:<sequence number>". */
#ifndef EDGECA_MODEL_CURSOR_H
#define EDGECA_MODEL_CURSOR_H

#include "common/error.h"

#define CURSOR_MAX 64

void cursor_encode(long long seq, char out[CURSOR_MAX]);
/* NULL or "" decodes to 0 (the start). */
edgeca_err cursor_decode(const char *cursor, long long *seq, struct edgeca_msg *msg);

/* Checks a page size: 1..1000, default 100 when limit < 0. */
edgeca_err page_limit(long limit, long *out, struct edgeca_msg *msg);

#endif
