/* A growable byte buffer. buf_* functions return 0 or -1 (out of memory
 * or over the buffer's limit); buf_free() accepts a zeroed buffer. */
#ifndef EDGECA_COMMON_BUF_H
#define EDGECA_COMMON_BUF_H

#include <stddef.h>

/* Room for a file path: a configured directory and a file name in it. */
#define PATH_BYTES 4200

struct buf {
	unsigned char *data;
	size_t len;
	size_t cap;
};

int buf_append(struct buf *b, const void *data, size_t len);
int buf_append_str(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Makes the content a NUL-terminated string (the NUL is not counted in len). */
int buf_terminate(struct buf *b);
/* Hands the bytes to the caller (free() them) and empties the buffer. */
unsigned char *buf_take(struct buf *b, size_t *len);
void buf_free(struct buf *b);

#endif
