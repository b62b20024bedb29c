/* Unit tests of model/est_throttle: SipHash against its reference vectors,
 * the keys of addresses (IPv4-mapped IPv6 as IPv4, IPv6 by /64), a
 * client's free failures and its doubling waits up to the cap, one check
 * at a time after that, failures forgotten after a quiet spell, the CA
 * budget that holds back only anonymous clients that have not succeeded
 * lately, and tables that never hold more than their size however many
 * keys arrive, replacing the entry idle longest. Time is given, never
 * read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "model/est/internal/throttle.h"

static struct est_throttle_limits
limits(void)
{
	struct est_throttle_limits lim;

	est_throttle_defaults(&lim);
	lim.free_failures = 3;
	lim.first_delay_ms = 1000;
	lim.max_delay_ms = 8000;
	lim.forget_ms = 60000;
	lim.ca_burst = 3;
	lim.ca_per_minute = 60; /* one a second */
	lim.recent_ms = 3600000;
	lim.clients = 64;
	lim.cas = 16;
	return lim;
}

static struct est_throttle_key
addr(const char *text)
{
	struct est_throttle_key k;

	assert_int_equal(est_throttle_key_address(text, &k), 0);
	return k;
}

/* One check by client on ca at now: GO and done with outcome, or the
 * verdict (and *wait) of a refusal. */
static enum est_throttle_verdict
attempt(struct est_throttle *t, const char *client, bool anonymous, const char *ca,
        uint64_t now, enum est_throttle_outcome outcome, uint64_t *wait)
{
	struct est_throttle_key k = addr(client);
	struct est_throttle_ticket ticket;
	uint64_t w = 0;
	enum est_throttle_verdict v = est_throttle_admit(t, &k, anonymous, ca, now, &ticket, &w);

	if (v == EST_THROTTLE_GO)
		est_throttle_done(t, &ticket, outcome, now);
	if (wait != NULL)
		*wait = w;
	return v;
}

static void
test_siphash_vectors(void **state)
{
	unsigned char key[16], msg[64];

	(void)state;
	for (int i = 0; i < 16; i++)
		key[i] = (unsigned char)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (unsigned char)i;
	/* the SipHash-2-4 paper's test vectors (64-bit output) */
	assert_true(est_siphash(key, msg, 0) == 0x726fdb47dd0e0e31ULL);
	assert_true(est_siphash(key, msg, 1) == 0x74f839c593dc67fdULL);
	assert_true(est_siphash(key, msg, 8) == 0x93f5f5799a932462ULL);
	assert_true(est_siphash(key, msg, 15) == 0xa129ca6149be45e5ULL);
	assert_true(est_siphash(key, msg, 63) == 0x958a324ceb064572ULL);
}

static void
test_address_keys(void **state)
{
	struct est_throttle_key a, b;

	(void)state;
	a = addr("192.0.2.1");
	b = addr("::ffff:192.0.2.1");
	assert_memory_equal(a.b, b.b, sizeof(a.b));
	b = addr("192.0.2.2");
	assert_memory_not_equal(a.b, b.b, sizeof(a.b));
	/* one IPv6 host usually holds a whole /64 */
	a = addr("2001:db8::1");
	b = addr("2001:db8::ffff:2");
	assert_memory_equal(a.b, b.b, sizeof(a.b));
	b = addr("2001:db8:0:1::1");
	assert_memory_not_equal(a.b, b.b, sizeof(a.b));
	assert_int_equal(est_throttle_key_address("not-an-address", &a), -1);
	assert_int_equal(est_throttle_key_address("192.0.2.1, 10.0.0.1", &a), -1);
	assert_int_equal(est_throttle_key_address("", &a), -1);
	/* a certificate's key is no address's */
	est_throttle_key_cert((const unsigned char *)"der", 3, &b);
	assert_memory_not_equal(a.b, b.b, sizeof(a.b));
}

static void
test_client_waits_double(void **state)
{
	struct est_throttle_limits lim = limits();
	struct est_throttle *t = est_throttle_new(&lim);
	uint64_t now = 1000000, wait = 0;
	const uint64_t waits[] = {1000, 2000, 4000, 8000, 8000};

	(void)state;
	assert_non_null(t);
	/* the free failures */
	for (int i = 0; i < 3; i++)
		assert_int_equal(attempt(t, "192.0.2.1", false, "ca", now, EST_THROTTLE_FAILED, NULL),
		                 EST_THROTTLE_GO);
	/* then a wait after each failure, doubled up to the cap */
	for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++) {
		assert_int_equal(attempt(t, "192.0.2.1", false, "ca", now, EST_THROTTLE_OK, &wait),
		                 EST_THROTTLE_CLIENT_WAIT);
		assert_true(wait == waits[i]);
		assert_int_equal(attempt(t, "192.0.2.1", false, "ca", now + wait - 1, EST_THROTTLE_OK,
		                         &wait),
		                 EST_THROTTLE_CLIENT_WAIT);
		assert_true(wait == 1);
		now += waits[i];
		assert_int_equal(attempt(t, "192.0.2.1", false, "ca", now, EST_THROTTLE_FAILED, NULL),
		                 EST_THROTTLE_GO);
	}
	/* other clients are not held back */
	assert_int_equal(attempt(t, "192.0.2.2", false, "ca", now, EST_THROTTLE_OK, NULL),
	                 EST_THROTTLE_GO);
	/* after the wait a success clears the count: the free failures again */
	now += 8000;
	assert_int_equal(attempt(t, "192.0.2.1", false, "ca", now, EST_THROTTLE_OK, NULL),
	                 EST_THROTTLE_GO);
	for (int i = 0; i < 3; i++)
		assert_int_equal(attempt(t, "192.0.2.1", false, "ca", now, EST_THROTTLE_FAILED, NULL),
		                 EST_THROTTLE_GO);
	assert_int_equal(attempt(t, "192.0.2.1", false, "ca", now, EST_THROTTLE_OK, &wait),
	                 EST_THROTTLE_CLIENT_WAIT);
	assert_true(wait == 1000);
	est_throttle_free(t);
}

static void
test_forget_and_one_at_a_time(void **state)
{
	struct est_throttle_limits lim = limits();
	struct est_throttle *t = est_throttle_new(&lim);
	struct est_throttle_key k = addr("198.51.100.1");
	struct est_throttle_ticket first, second;
	uint64_t now = 5000000, wait = 0;

	(void)state;
	/* two failures, then a quiet spell longer than forget_ms */
	for (int i = 0; i < 2; i++)
		attempt(t, "198.51.100.1", false, "ca", now, EST_THROTTLE_FAILED, NULL);
	now += lim.forget_ms + 1;
	for (int i = 0; i < 3; i++)
		assert_int_equal(attempt(t, "198.51.100.1", false, "ca", now, EST_THROTTLE_FAILED, NULL),
		                 EST_THROTTLE_GO);
	/* blocked; after the wait one check at a time */
	now += 1000;
	assert_int_equal(est_throttle_admit(t, &k, false, "ca", now, &first, &wait),
	                 EST_THROTTLE_GO);
	assert_int_equal(est_throttle_admit(t, &k, false, "ca", now, &second, &wait),
	                 EST_THROTTLE_CLIENT_WAIT);
	/* given back unchecked (no scrypt slot): the next one may run */
	est_throttle_done(t, &first, EST_THROTTLE_ABANDONED, now);
	assert_int_equal(est_throttle_admit(t, &k, false, "ca", now, &first, &wait),
	                 EST_THROTTLE_GO);
	est_throttle_done(t, &first, EST_THROTTLE_FAILED, now);
	assert_int_equal(est_throttle_admit(t, &k, false, "ca", now, &second, &wait),
	                 EST_THROTTLE_CLIENT_WAIT);
	assert_true(wait == 2000);
	est_throttle_free(t);
}

static void
test_ca_budget(void **state)
{
	struct est_throttle_limits lim = limits();
	struct est_throttle *t = est_throttle_new(&lim);
	struct est_throttle_key k = addr("203.0.113.50");
	struct est_throttle_ticket ticket;
	uint64_t now = 9000000, wait = 0;
	char client[32];

	(void)state;
	/* a device that succeeds on "fleet" now */
	assert_int_equal(attempt(t, "203.0.113.200", true, "fleet", now, EST_THROTTLE_OK, NULL),
	                 EST_THROTTLE_GO);
	/* guesses from three addresses, each its first: the budget (3) is
	 * spent */
	for (int i = 1; i <= 3; i++) {
		snprintf(client, sizeof(client), "203.0.113.%d", i);
		assert_int_equal(attempt(t, client, true, "fleet", now, EST_THROTTLE_FAILED, NULL),
		                 EST_THROTTLE_GO);
	}
	assert_int_equal(attempt(t, "203.0.113.4", true, "fleet", now, EST_THROTTLE_OK, &wait),
	                 EST_THROTTLE_CA_WAIT);
	assert_true(wait == 1000);
	/* other CAs have their own budget */
	assert_int_equal(attempt(t, "203.0.113.4", true, "other", now, EST_THROTTLE_OK, NULL),
	                 EST_THROTTLE_GO);
	/* a client with a certificate, and one that succeeded lately, go on */
	assert_int_equal(attempt(t, "203.0.113.5", false, "fleet", now, EST_THROTTLE_OK, NULL),
	                 EST_THROTTLE_GO);
	assert_int_equal(attempt(t, "203.0.113.200", true, "fleet", now, EST_THROTTLE_OK, NULL),
	                 EST_THROTTLE_GO);
	/* refilled one a second */
	now += 1000;
	assert_int_equal(est_throttle_admit(t, &k, true, "fleet", now, &ticket, &wait),
	                 EST_THROTTLE_GO);
	assert_int_equal(attempt(t, "203.0.113.6", true, "fleet", now, EST_THROTTLE_OK, NULL),
	                 EST_THROTTLE_CA_WAIT);
	/* a success gives back what its admission took */
	est_throttle_done(t, &ticket, EST_THROTTLE_OK, now);
	assert_int_equal(attempt(t, "203.0.113.6", true, "fleet", now, EST_THROTTLE_FAILED, NULL),
	                 EST_THROTTLE_GO);
	/* the lately successful client's failures still spend the budget,
	 * and its exemption ends after recent_ms */
	assert_int_equal(attempt(t, "203.0.113.200", true, "fleet", now, EST_THROTTLE_FAILED, NULL),
	                 EST_THROTTLE_GO);
	now += lim.recent_ms;
	assert_int_equal(attempt(t, "203.0.113.200", true, "fleet", now, EST_THROTTLE_OK, NULL),
	                 EST_THROTTLE_GO); /* the budget is full again by then */
	for (int i = 10; i < 13; i++) {
		snprintf(client, sizeof(client), "203.0.113.%d", i);
		attempt(t, client, true, "fleet", now + lim.recent_ms, EST_THROTTLE_FAILED, NULL);
	}
	assert_int_equal(attempt(t, "203.0.113.200", true, "fleet", now + lim.recent_ms,
	                         EST_THROTTLE_OK, NULL),
	                 EST_THROTTLE_CA_WAIT);
	est_throttle_free(t);
}

static void
test_bounded_oldest_replaced(void **state)
{
	struct est_throttle_limits lim = limits();
	struct est_throttle *t = est_throttle_new(&lim);
	uint64_t now = 100000, wait = 0;
	char client[64], ca[32];

	(void)state;
	est_throttle_free(t);
	lim.first_delay_ms = 600000;
	lim.max_delay_ms = 3600000;
	t = est_throttle_new(&lim);
	/* one client blocked for a long time that keeps trying: never idle */
	for (int i = 0; i < 5; i++)
		attempt(t, "192.0.2.99", false, "ca", now, EST_THROTTLE_FAILED, NULL);
	assert_int_equal(attempt(t, "192.0.2.99", false, "ca", now, EST_THROTTLE_OK, NULL),
	                 EST_THROTTLE_CLIENT_WAIT);
	/* and one blocked that goes quiet */
	for (int i = 0; i < 5; i++)
		attempt(t, "192.0.2.98", false, "ca", now, EST_THROTTLE_FAILED, NULL);
	/* 20,000 other clients fail once each, on as many CAs */
	for (int i = 0; i < 20000; i++) {
		now++;
		snprintf(client, sizeof(client), "2001:db8:%x:%x::1", i >> 12, i & 0xfff);
		snprintf(ca, sizeof(ca), "ca-%d", i);
		attempt(t, client, true, ca, now, EST_THROTTLE_FAILED, NULL);
		assert_int_equal(attempt(t, "192.0.2.99", false, "ca", now, EST_THROTTLE_OK, NULL),
		                 EST_THROTTLE_CLIENT_WAIT);
	}
	assert_true(est_throttle_clients_used(t) <= 64);
	assert_true(est_throttle_clients_used(t) >= 8);
	assert_true(est_throttle_cas_used(t) <= 16);
	/* the active one is still held back, the quiet one was replaced */
	assert_int_equal(attempt(t, "192.0.2.99", false, "ca", now, EST_THROTTLE_OK, &wait),
	                 EST_THROTTLE_CLIENT_WAIT);
	assert_true(wait > 1000);
	assert_int_equal(attempt(t, "192.0.2.98", false, "ca", now, EST_THROTTLE_OK, NULL),
	                 EST_THROTTLE_GO);
	est_throttle_free(t);
}

static void
test_shared_and_null(void **state)
{
	(void)state;
	assert_non_null(est_throttle_shared());
	assert_ptr_equal(est_throttle_shared(), est_throttle_shared());
	est_throttle_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_address_keys),
		cmocka_unit_test(test_client_waits_double),
		cmocka_unit_test(test_forget_and_one_at_a_time),
		cmocka_unit_test(test_ca_budget),
		cmocka_unit_test(test_bounded_oldest_replaced),
		cmocka_unit_test(test_shared_and_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
