/* Unit tests of signer/stall: when the signer counts as stalled (calls
 * wait and it has replied to nothing for more than SIGNER_STALL_MS), with
 * the clock passed in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "signer/client/stall.h"

static struct signer_stall s;

static int
reset(void **state)
{
	(void)state;
	memset(&s, 0, sizeof(s));
	return 0;
}

static void
test_idle_is_never_stalled(void **state)
{
	int64_t silent = -1;

	(void)state;
	assert_false(stall_check(&s, 0, &silent));
	assert_int_equal(silent, 0);
	stall_reply(&s, 1000);
	assert_false(stall_check(&s, 1000000, &silent));
	assert_int_equal(silent, 0);
}

static void
test_a_call_without_reply(void **state)
{
	int64_t silent = 0;

	(void)state;
	stall_begin(&s, 1000);
	assert_false(stall_check(&s, 1000 + SIGNER_STALL_MS, &silent));
	assert_true(stall_check(&s, 1001 + SIGNER_STALL_MS, &silent));
	assert_int_equal(silent, SIGNER_STALL_MS + 1);
	/* any reply is progress */
	stall_reply(&s, 2500);
	assert_false(stall_check(&s, 2500 + SIGNER_STALL_MS, NULL));
	assert_true(stall_check(&s, 2501 + SIGNER_STALL_MS, NULL));
	/* no call waiting: not stalled, however long since the last reply */
	stall_end(&s);
	assert_false(stall_check(&s, 100000, NULL));
}

/* A call after a quiet spell starts the clock: the last reply, long ago,
 * does not count against it. */
static void
test_clock_starts_with_the_first_call(void **state)
{
	(void)state;
	stall_reply(&s, 1000);
	stall_begin(&s, 100000);
	assert_false(stall_check(&s, 100000 + SIGNER_STALL_MS, NULL));
	assert_true(stall_check(&s, 100001 + SIGNER_STALL_MS, NULL));
}

/* Later calls do not restart the clock of one already waiting; calls
 * that give up without a reply do not count as progress. */
static void
test_later_calls_and_abandoned_ones(void **state)
{
	int64_t silent = 0;

	(void)state;
	stall_begin(&s, 0);
	stall_begin(&s, 1900);
	assert_true(stall_check(&s, 2100, &silent));
	assert_int_equal(silent, 2100);
	stall_end(&s); /* the first gave up at its deadline */
	assert_true(stall_check(&s, 5000, &silent));
	assert_int_equal(silent, 5000);
	stall_end(&s);
	assert_false(stall_check(&s, 5000, NULL));
	stall_end(&s); /* never below zero */
	assert_int_equal(atomic_load(&s.waiting), 0);
	/* the next call is a fresh probe */
	stall_begin(&s, 6000);
	assert_false(stall_check(&s, 6500, NULL));
}

/* A reply stored late by a slower thread does not move the clock back. */
static void
test_replies_out_of_order(void **state)
{
	(void)state;
	stall_begin(&s, 0);
	stall_reply(&s, 3000);
	stall_reply(&s, 2000);
	assert_false(stall_check(&s, 3000 + SIGNER_STALL_MS, NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_idle_is_never_stalled, reset),
		cmocka_unit_test_setup(test_a_call_without_reply, reset),
		cmocka_unit_test_setup(test_clock_starts_with_the_first_call, reset),
		cmocka_unit_test_setup(test_later_calls_and_abandoned_ones, reset),
		cmocka_unit_test_setup(test_replies_out_of_order, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
