/* Unit tests of common/password: the stored format password_hash writes,
 * verification against hashes the test computes itself with cheap scrypt
 * parameters, and the refusal of every malformed stored string. Only a
 * handful of calls use the product's real (~40 ms) parameters, among them
 * eight threads checking at once, which must not hold more than two
 * scrypt blocks (16 MiB each) at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/password.h"

#define HASH_BYTES 32

/* scrypt through OpenSSL's EVP_PBE_scrypt, not the product's code path. */
static void
kdf(const char *pw, const unsigned char *salt, size_t salt_len, unsigned ln, unsigned r,
    unsigned p, unsigned char out[HASH_BYTES])
{
	int ok = EVP_PBE_scrypt(pw, strlen(pw), salt, salt_len, (uint64_t)1 << ln, r, p,
	                        256ULL * 1024 * 1024, out, HASH_BYTES);

	assert_int_equal(ok, 1);
}

/* "$scrypt$<params>$<salt_b64>$<hash_b64>", malloc'ed. */
static char *
join(const char *params, const char *salt_b64, const char *hash_b64)
{
	size_t need = strlen(params) + strlen(salt_b64) + strlen(hash_b64) + 16;
	char *s = malloc(need);

	assert_non_null(s);
	snprintf(s, need, "$scrypt$%s$%s$%s", params, salt_b64, hash_b64);
	return s;
}

/* A stored string for pw made by the test: salt (salt_len bytes), the
 * scrypt hash for (ln, r, p) written with those parameters, its first
 * hash_len bytes kept (hash_len 33: one byte 0x00 appended). */
static char *
make_stored(const char *pw, const char *salt, size_t salt_len, unsigned ln, unsigned r,
            unsigned p, size_t hash_len)
{
	unsigned char hash[HASH_BYTES + 1] = {0};
	char params[64], *salt_b64, *hash_b64, *s;

	kdf(pw, (const unsigned char *)salt, salt_len, ln, r, p, hash);
	snprintf(params, sizeof(params), "ln=%u,r=%u,p=%u", ln, r, p);
	salt_b64 = base64_encode((const unsigned char *)salt, salt_len, 0);
	hash_b64 = base64_encode(hash, hash_len, 0);
	assert_non_null(salt_b64);
	assert_non_null(hash_b64);
	s = join(params, salt_b64, hash_b64);
	free(salt_b64);
	free(hash_b64);
	return s;
}

/* The cheapest parameters password_verify accepts. */
static char *
cheap_stored(const char *pw)
{
	return make_stored(pw, "sixteen-byte-slt", 16, 10, 1, 1, HASH_BYTES);
}

static void
never_verifies(const char *pw, const char *stored)
{
	if (password_verify(pw, stored))
		fail_msg("password_verify accepted \"%s\"", stored ? stored : "(null)");
}

/* Splits a product hash into its decoded salt and hash, checking the
 * format the header promises. */
static void
split_product_hash(const char *h, unsigned char **salt, size_t *salt_len, unsigned char **hash,
                   size_t *hash_len)
{
	static const char prefix[] = "$scrypt$ln=14,r=8,p=1$";
	const char *salt_b64 = h + sizeof(prefix) - 1, *dollar;

	assert_non_null(h);
	assert_memory_equal(h, prefix, sizeof(prefix) - 1);
	dollar = strchr(salt_b64, '$');
	assert_non_null(dollar);
	assert_int_equal(base64_decode(salt_b64, (size_t)(dollar - salt_b64), false, salt, salt_len),
	                 0);
	assert_int_equal(base64_decode(dollar + 1, strlen(dollar + 1), false, hash, hash_len), 0);
	assert_int_equal(*salt_len, 16);
	assert_int_equal(*hash_len, HASH_BYTES);
}

/* password_hash writes real scrypt with its salt; verify takes the right
 * password and refuses a wrong one. */
static void
test_round_trip(void **state)
{
	char *h = password_hash("correct horse:battery staple");
	unsigned char *salt = NULL, *hash = NULL, want[HASH_BYTES];
	size_t salt_len = 0, hash_len = 0;

	split_product_hash(h, &salt, &salt_len, &hash, &hash_len);
	kdf("correct horse:battery staple", salt, salt_len, 14, 8, 1, want);
	assert_memory_equal(hash, want, HASH_BYTES);
	assert_true(password_verify("correct horse:battery staple", h));
	assert_false(password_verify("correct horse:battery stapl", h));
	free(salt);
	free(hash);
	free(h);
}

/* Two hashes of one password differ in salt and so in hash. */
static void
test_salt_is_random(void **state)
{
	char *h1 = password_hash("same password"), *h2 = password_hash("same password");
	unsigned char *s1 = NULL, *s2 = NULL, *d1 = NULL, *d2 = NULL;
	size_t s1_len = 0, s2_len = 0, d1_len = 0, d2_len = 0;

	split_product_hash(h1, &s1, &s1_len, &d1, &d1_len);
	split_product_hash(h2, &s2, &s2_len, &d2, &d2_len);
	assert_string_not_equal(h1, h2);
	assert_memory_not_equal(s1, s2, 16);
	assert_memory_not_equal(d1, d2, HASH_BYTES);
	free(s1);
	free(s2);
	free(d1);
	free(d2);
	free(h1);
	free(h2);
}

/* The parameters come from the stored string, not from constants; near
 * misses of the password are refused. */
static void
test_stored_parameters_honoured(void **state)
{
	char *s = cheap_stored("pw:with:colons");
	char *s2 = make_stored("", "eight-by", 8, 11, 2, 2, HASH_BYTES);

	assert_true(password_verify("pw:with:colons", s));
	never_verifies("pw:with:colon", s);
	never_verifies("pw:with:colons ", s);
	never_verifies("PW:with:colons", s);
	never_verifies("", s);
	/* an empty password and the shortest salt allowed */
	assert_true(password_verify("", s2));
	never_verifies(" ", s2);
	free(s);
	free(s2);
}

/* Correct hashes with parameters outside the accepted ranges, or too short
 * a salt, are refused: the range checks, not a mismatch, refuse them. */
static void
test_parameters_out_of_range(void **state)
{
	char *ok_salt = make_stored("pw", "12345678", 8, 10, 1, 1, HASH_BYTES);
	char *short_salt = make_stored("pw", "1234567", 7, 10, 1, 1, HASH_BYTES);
	char *low_n = make_stored("pw", "sixteen-byte-slt", 16, 9, 1, 1, HASH_BYTES);
	char *big_r = make_stored("pw", "sixteen-byte-slt", 16, 10, 33, 1, HASH_BYTES);
	char *big_p = make_stored("pw", "sixteen-byte-slt", 16, 10, 1, 5, HASH_BYTES);
	char *m, *s = cheap_stored("pw");
	const char *salt_b64 = strstr(s, "p=1$") + 4, *hash_b64 = strchr(salt_b64, '$') + 1;
	char salt_part[64];
	static const char *const absurd[] = {"ln=40,r=1,p=1", "ln=21,r=1,p=1", "ln=10,r=0,p=1",
	                                     "ln=10,r=1,p=100", "ln=10,r=1,p=0", "ln=0,r=1,p=1",
	                                     "ln=-1,r=1,p=1", "ln=40,r=0,p=100"};

	assert_true(password_verify("pw", ok_salt));
	never_verifies("pw", short_salt);
	never_verifies("pw", low_n);
	never_verifies("pw", big_r);
	never_verifies("pw", big_p);
	/* the parameters of s replaced by absurd ones, salt and hash kept */
	snprintf(salt_part, sizeof(salt_part), "%.*s", (int)(hash_b64 - 1 - salt_b64), salt_b64);
	for (size_t i = 0; i < sizeof(absurd) / sizeof(absurd[0]); i++) {
		m = join(absurd[i], salt_part, hash_b64);
		never_verifies("pw", m);
		free(m);
	}
	assert_true(password_verify("pw", s)); /* the unaltered string does */
	free(ok_salt);
	free(short_salt);
	free(low_n);
	free(big_r);
	free(big_p);
	free(s);
}

/* Every proper prefix of a valid stored string is refused. */
static void
test_truncated(void **state)
{
	char *s = cheap_stored("pw"), *cut = strdup(s);
	size_t n = strlen(s);

	assert_non_null(cut);
	assert_true(password_verify("pw", s));
	for (size_t len = 0; len < n; len++) {
		memcpy(cut, s, len);
		cut[len] = '\0';
		never_verifies("pw", cut);
	}
	free(cut);
	free(s);
}

/* Replaces the first occurrence of from in s by to (malloc'ed). */
static char *
replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	size_t need = strlen(s) + strlen(to) + 1;
	char *out = malloc(need);

	assert_non_null(at);
	assert_non_null(out);
	snprintf(out, need, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
	return out;
}

/* Wrong prefixes, separators and field order; bad base64 in salt or hash;
 * trailing data; a hash of the wrong length; NULL. */
static void
test_malformed(void **state)
{
	char *s = cheap_stored("pw"), *m;
	char *long_hash = make_stored("pw", "sixteen-byte-slt", 16, 10, 1, 1, HASH_BYTES + 1);
	char *short_hash = make_stored("pw", "sixteen-byte-slt", 16, 10, 1, 1, HASH_BYTES - 1);
	const char *salt_b64 = strstr(s, "p=1$") + 4, *hash_b64 = strchr(salt_b64, '$') + 1;
	char salt_part[64], hash_part[64], bad[128];
	static const char *const prefix_swaps[][2] = {
		{"$scrypt$", "$scrypt2$"}, {"$scrypt$", "$SCRYPT$"}, {"$scrypt$", "scrypt$"},
		{"$scrypt$", "$argon2id$"}, {"$scrypt$", " $scrypt$"}, {"$scrypt$", "$scrypt$$"},
		{"ln=10,", "ln=10;"}, {"ln=10,r=1,p=1", "r=1,ln=10,p=1"}, {"ln=10,r=1,p=1", "ln=10,r=1"},
		{"ln=10,r=1,p=1", "N=1024,r=1,p=1"}, {"p=1$", "p=1"},
	};

	snprintf(salt_part, sizeof(salt_part), "%.*s", (int)(hash_b64 - 1 - salt_b64), salt_b64);
	snprintf(hash_part, sizeof(hash_part), "%s", hash_b64);
	assert_int_equal(strlen(hash_part), 44);
	assert_true(password_verify("pw", s));

	for (size_t i = 0; i < sizeof(prefix_swaps) / sizeof(prefix_swaps[0]); i++) {
		m = replace(s, prefix_swaps[i][0], prefix_swaps[i][1]);
		never_verifies("pw", m);
		free(m);
	}
	/* bad base64: a character outside the alphabet, missing or extra
	 * padding, white space, the URL alphabet */
	snprintf(bad, sizeof(bad), "!%s", salt_part + 1);
	m = join("ln=10,r=1,p=1", bad, hash_part);
	never_verifies("pw", m);
	free(m);
	snprintf(bad, sizeof(bad), "%.43s", hash_part); /* no '=' */
	m = join("ln=10,r=1,p=1", salt_part, bad);
	never_verifies("pw", m);
	free(m);
	snprintf(bad, sizeof(bad), "%s=", hash_part);
	m = join("ln=10,r=1,p=1", salt_part, bad);
	never_verifies("pw", m);
	free(m);
	snprintf(bad, sizeof(bad), "%.20s %s", hash_part, hash_part + 20);
	m = join("ln=10,r=1,p=1", salt_part, bad);
	never_verifies("pw", m);
	free(m);
	snprintf(bad, sizeof(bad), "%s\n", hash_part);
	m = join("ln=10,r=1,p=1", salt_part, bad);
	never_verifies("pw", m);
	free(m);
	snprintf(bad, sizeof(bad), "%s", hash_part);
	for (char *c = bad; *c; c++)
		*c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
	if (strcmp(bad, hash_part) != 0) { /* only when the hash has + or / */
		m = join("ln=10,r=1,p=1", salt_part, bad);
		never_verifies("pw", m);
		free(m);
	}
	/* trailing data after the hash */
	snprintf(bad, sizeof(bad), "%s$", hash_part);
	m = join("ln=10,r=1,p=1", salt_part, bad);
	never_verifies("pw", m);
	free(m);
	snprintf(bad, sizeof(bad), "%s$AAAA", hash_part);
	m = join("ln=10,r=1,p=1", salt_part, bad);
	never_verifies("pw", m);
	free(m);
	/* the right hash with one byte more, or one byte less */
	never_verifies("pw", long_hash);
	never_verifies("pw", short_hash);
	never_verifies("pw", "");
	never_verifies("pw", "$scrypt$ln=10,r=1,p=1$$");
	never_verifies("pw", NULL);
	never_verifies("", NULL);
	free(long_hash);
	free(short_hash);
	free(s);
}

#ifdef __SANITIZE_ADDRESS__
/* ASan would keep freed blocks in its quarantine: then the process's
 * memory is not what it holds. */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "quarantine_size_mb=0";
}
#endif

#define CHECKERS 8

struct checker {
	pthread_barrier_t *start;
	const char *stored;
	const char *password;
	int matches;
};

static void *
checker_run(void *arg)
{
	struct checker *c = arg;

	pthread_barrier_wait(c->start);
	for (int i = 0; i < 3; i++)
		c->matches += password_verify(c->password, c->stored);
	return NULL;
}

/* kB on the "VmHWM:" line of this process's status. */
static long
peak_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

/* Eight threads checking at once, right and wrong passwords: each gets
 * its answer, and the process's peak memory grows by two scrypt blocks
 * at most (eight at once would take 128 MiB). */
static void
test_concurrent_checks_bounded(void **state)
{
	char *h = password_hash("a fleet password");
	struct checker c[CHECKERS];
	pthread_t t[CHECKERS];
	pthread_barrier_t start;
	long before, after;

	assert_non_null(h);
	before = peak_kb();
	assert_int_equal(pthread_barrier_init(&start, NULL, CHECKERS), 0);
	for (int i = 0; i < CHECKERS; i++) {
		c[i] = (struct checker){&start, h, i % 2 ? "a fleet password" : "a wrong guess", 0};
		assert_int_equal(pthread_create(&t[i], NULL, checker_run, &c[i]), 0);
	}
	for (int i = 0; i < CHECKERS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(c[i].matches, i % 2 ? 3 : 0);
	}
	pthread_barrier_destroy(&start);
	after = peak_kb();
	print_message("VmHWM %ld -> %ld kB\n", before, after);
	assert_true(after - before < (PASSWORD_MAX_RUNNING * 16 + 16) * 1024);
	/* a check that cannot wait for a slot gets an answer all the same
	 * when one is free */
	assert_int_equal(password_check("a fleet password", h, 0), PASSWORD_MATCH);
	assert_int_equal(password_check("a wrong guess", h, 0), PASSWORD_MISMATCH);
	assert_int_equal(password_check("a fleet password", "$scrypt$garbage", 0),
	                 PASSWORD_MISMATCH);
	free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_salt_is_random),
		cmocka_unit_test(test_stored_parameters_honoured),
		cmocka_unit_test(test_parameters_out_of_range),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_concurrent_checks_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
