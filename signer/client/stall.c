#include "signer/client/stall.h"

#include <stddef.h>

void
stall_begin(struct signer_stall *s, int64_t now_ms)
{
	/* After a quiet spell the clock starts with this exchange, not with
	 * the last reply long ago. progress_ms is stored before waiting, so
	 * a reader that sees the new count also sees the new time. */
	if (atomic_load(&s->waiting) == 0)
		atomic_store(&s->progress_ms, now_ms);
	atomic_fetch_add(&s->waiting, 1);
}

void
stall_end(struct signer_stall *s)
{
	if (atomic_load(&s->waiting) > 0)
		atomic_fetch_sub(&s->waiting, 1);
}

void
stall_reply(struct signer_stall *s, int64_t now_ms)
{
	/* replies of concurrent exchanges may store out of order: a few
	 * milliseconds of difference, never a false stall */
	if (atomic_load(&s->progress_ms) < now_ms)
		atomic_store(&s->progress_ms, now_ms);
}

bool
stall_check(struct signer_stall *s, int64_t now_ms, int64_t *silent_ms)
{
	int64_t silent = 0;
	bool stalled = false;

	if (atomic_load(&s->waiting) > 0) {
		silent = now_ms - atomic_load(&s->progress_ms);
		stalled = silent > SIGNER_STALL_MS;
	}
	if (silent_ms != NULL)
		*silent_ms = stalled ? silent : 0;
	return stalled;
}
