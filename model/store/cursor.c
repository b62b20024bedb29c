#include "model/store/cursor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"

void
cursor_text_encode(const char *plain, char out[CURSOR_MAX])
{
	char *b64 = base64url_encode((const unsigned char *)plain, strlen(plain));

	snprintf(out, CURSOR_MAX, "%s", b64 ? b64 : "");
	free(b64);
}

void
cursor_encode(long long seq, char out[CURSOR_MAX])
{
	char plain[32];

	snprintf(plain, sizeof(plain), "v1:%lld", seq);
	cursor_text_encode(plain, out);
}

int
cursor_text_decode(const char *cursor, char *text, size_t text_len)
{
	unsigned char *plain = NULL;
	size_t len = 0;

	if (strlen(cursor) >= CURSOR_MAX ||
	    base64url_decode(cursor, strlen(cursor), &plain, &len) != 0 || len >= text_len) {
		free(plain);
		return -1;
	}
	memcpy(text, plain, len);
	text[len] = '\0';
	free(plain);
	return 0;
}

edgeca_err
cursor_decode(const char *cursor, long long *seq, struct edgeca_msg *msg)
{
	char text[32], *end;
	long long v;

	*seq = 0;
	if (cursor == NULL || cursor[0] == '\0')
		return EDGECA_OK;
	if (cursor_text_decode(cursor, text, sizeof(text)) != 0)
		goto bad;
	if (strncmp(text, "v1:", 3) != 0 || text[3] < '0' || text[3] > '9')
		goto bad;
	errno = 0;
	v = strtoll(text + 3, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0)
		goto bad;
	*seq = v;
	return EDGECA_OK;
bad:
	return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-cursor",
	                   "the cursor is not one this API returned");
}

edgeca_err
page_limit(long limit, long *out, struct edgeca_msg *msg)
{
	if (limit < 0) {
		*out = 100;
		return EDGECA_OK;
	}
	if (limit < 1 || limit > 1000)
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-parameter",
		                   "limit must be between 1 and 1000");
	*out = limit;
	return EDGECA_OK;
}

edgeca_err
page_sql_read(long limit, const char *cursor, struct page_sql *p, struct edgeca_msg *msg)
{
	long long after;
	edgeca_err rc;

	if ((rc = page_limit(limit, &p->page, msg)) != EDGECA_OK ||
	    (rc = cursor_decode(cursor, &after, msg)) != EDGECA_OK)
		return rc;
	snprintf(p->after, sizeof(p->after), "%lld", after);
	snprintf(p->rows, sizeof(p->rows), "%ld", p->page + 1);
	return EDGECA_OK;
}
