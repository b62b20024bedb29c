/* Opaque pagination cursors: base64url of "v1:<sequence number>". */
#ifndef EDGECA_MODEL_CURSOR_H
#define EDGECA_MODEL_CURSOR_H

#include <stddef.h>

#include "common/error.h"

#define CURSOR_MAX 64

void cursor_encode(long long seq, char out[CURSOR_MAX]);
/* NULL or "" decodes to 0 (the start). */
edgeca_err cursor_decode(const char *cursor, long long *seq, struct edgeca_msg *msg);

/* The plain text of a cursor (base64url, shorter than CURSOR_MAX) into
 * text, NUL-terminated; -1 when it is not one or does not fit. For the
 * lists whose cursors carry more than a sequence number. */
int cursor_text_decode(const char *cursor, char *text, size_t text_len);
/* The cursor of a plain text (base64url, no padding). */
void cursor_text_encode(const char *plain, char out[CURSOR_MAX]);

/* Checks a page size: 1..1000, default 100 when limit < 0. */
edgeca_err page_limit(long limit, long *out, struct edgeca_msg *msg);

/* A page as SQL text parameters: the sequence number after which it
 * starts (from cursor) and the rows to read (the page size plus one, to
 * know whether more follow). */
struct page_sql {
	long page; /* the page size */
	char after[24];
	char rows[24];
};

/* page_limit and cursor_decode at once, into p. */
edgeca_err page_sql_read(long limit, const char *cursor, struct page_sql *p,
                         struct edgeca_msg *msg);

#endif
