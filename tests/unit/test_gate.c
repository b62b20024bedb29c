/* Unit tests of api/gate: the size of a listener's signer gate, and who
 * gets in, waits or is refused, with the signer's state given by a probe
 * the test controls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "api/listen/gate.h"
#include "common/timeutil.h"
#include "tests/support/harness.h"

static atomic_bool stalled;

static bool
probe(void *arg, unsigned *retry_after_s, unsigned *silent_s)
{
	(void)arg;
	if (!atomic_load(&stalled))
		return false;
	*retry_after_s = 7;
	*silent_s = 3;
	return true;
}

static int
reset(void **state)
{
	(void)state;
	atomic_store(&stalled, false);
	return 0;
}

/* A quarter of the threads (rounded up) stays for what needs no signer;
 * at least 2 may wait on it, never more than there are threads. */
static void
test_capacity(void **state)
{
	(void)state;
	assert_int_equal(gate_capacity(16, 0), 12);
	assert_int_equal(gate_capacity(4, 0), 3);
	assert_int_equal(gate_capacity(5, 0), 3);
	assert_int_equal(gate_capacity(3, 0), 2);
	assert_int_equal(gate_capacity(2, 0), 2);
	assert_int_equal(gate_capacity(1, 0), 1);
	assert_int_equal(gate_capacity(16, 5), 5);
	assert_int_equal(gate_capacity(16, 40), 40);
}

static void
test_full_gate_refuses_after_the_wait(void **state)
{
	struct signer_gate *g = NULL;
	unsigned retry = 0, silent = 9;

	(void)state;
	assert_int_equal(gate_new(2, probe, NULL, &g, NULL), EDGECA_OK);
	assert_int_equal(gate_enter(g, 0, &retry, &silent), GATE_ADMITTED);
	assert_int_equal(gate_enter(g, 0, &retry, &silent), GATE_ADMITTED);
	assert_int_equal(gate_enter(g, 50, &retry, &silent), GATE_FULL);
	assert_true(retry >= 1);
	assert_int_equal(silent, 0);
	gate_leave(g);
	assert_int_equal(gate_enter(g, 0, &retry, &silent), GATE_ADMITTED);
	gate_leave(g);
	gate_leave(g);
	gate_free(g);
	gate_free(NULL);
}

/* A stalled signer is refused at once, places free or not. */
static void
test_stalled_signer_is_refused_at_once(void **state)
{
	struct signer_gate *g = NULL;
	unsigned retry = 0, silent = 0;

	(void)state;
	assert_int_equal(gate_new(4, probe, NULL, &g, NULL), EDGECA_OK);
	atomic_store(&stalled, true);
	assert_int_equal(gate_enter(g, 60000, &retry, &silent), GATE_STALLED);
	assert_int_equal(retry, 7);
	assert_int_equal(silent, 3);
	atomic_store(&stalled, false);
	assert_int_equal(gate_enter(g, 0, &retry, &silent), GATE_ADMITTED);
	gate_leave(g);
	gate_free(g);
}

struct waiter {
	struct signer_gate *g;
	atomic_bool *left;
	enum gate_verdict v;
	bool left_before;
	double took;
};

static void *
wait_in(void *arg)
{
	struct waiter *w = arg;
	unsigned retry = 0, silent = 0;
	double t = now_s();

	w->v = gate_enter(w->g, 60000, &retry, &silent);
	w->took = now_s() - t;
	w->left_before = w->left != NULL && atomic_load(w->left);
	if (w->v == GATE_ADMITTED)
		gate_leave(w->g);
	return NULL;
}

/* A gate of one place, taken, and a thread waiting for it (give it a
 * moment to start waiting). */
static struct signer_gate *
full_gate_with_waiter(struct waiter *w, atomic_bool *left, pthread_t *t)
{
	struct signer_gate *g = NULL;
	struct timespec pause = {0, 100000000L};
	unsigned retry, silent;

	assert_int_equal(gate_new(1, probe, NULL, &g, NULL), EDGECA_OK);
	assert_int_equal(gate_enter(g, 0, &retry, &silent), GATE_ADMITTED);
	w->g = g;
	w->left = left;
	assert_int_equal(pthread_create(t, NULL, wait_in, w), 0);
	nanosleep(&pause, NULL);
	return g;
}

/* A request that finds the gate full gets the place a leaving one frees,
 * and only then. */
static void
test_waiter_gets_the_freed_place(void **state)
{
	atomic_bool left = false;
	struct waiter w = {0};
	pthread_t t;
	struct signer_gate *g = full_gate_with_waiter(&w, &left, &t);

	(void)state;
	atomic_store(&left, true);
	gate_leave(g);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.v, GATE_ADMITTED);
	assert_true(w.left_before);
	gate_free(g);
}

/* A waiter does not sit out its whole wait once the signer is found
 * stalled: it is refused within moments (a generous bound here). */
static void
test_waiter_leaves_when_the_signer_stalls(void **state)
{
	struct waiter w = {0};
	pthread_t t;
	struct signer_gate *g = full_gate_with_waiter(&w, NULL, &t);

	(void)state;
	atomic_store(&stalled, true);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.v, GATE_STALLED);
	assert_true(w.took < 30.0); /* its wait was 60 s */
	gate_leave(g);
	gate_free(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capacity),
		cmocka_unit_test_setup(test_full_gate_refuses_after_the_wait, reset),
		cmocka_unit_test_setup(test_stalled_signer_is_refused_at_once, reset),
		cmocka_unit_test_setup(test_waiter_gets_the_freed_place, reset),
		cmocka_unit_test_setup(test_waiter_leaves_when_the_signer_stalls, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
