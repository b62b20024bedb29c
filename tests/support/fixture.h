/* The instance a test file shares between its tests: a cmocka group
 * setup/teardown pair that starts one edgeca instance (harness.h) for the
 * whole file, with the common variants as parameters (extra environment,
 * a first CA, tokens) and hooks for what a file needs besides. A file
 * declares one struct fixture and runs its tests with fixture_run_tests. */
#ifndef EDGECA_TEST_SUPPORT_FIXTURE_H
#define EDGECA_TEST_SUPPORT_FIXTURE_H

#include <stddef.h>

#include "tests/support/harness.h"

#define FIXTURE_MAX_ENV 12
#define FIXTURE_MAX_TOKENS 4

/* A token made through the CLI once the instance runs. */
struct fixture_token {
	const char *role;
	const char *name;
	char *out;  /* receives the token */
	size_t len; /* sizeof the buffer out points to */
};

struct fixture {
	struct instance *in;              /* the file's instance */
	const char *name;                 /* names its HTTP exchange log */
	const char *env[FIXTURE_MAX_ENV]; /* "NAME=value" for the instance */
	struct fixture_token tokens[FIXTURE_MAX_TOKENS]; /* made in order */
	const char *ca_json;              /* a first CA from this body, after */
	char *ca_id;                      /* the tokens (NULL: none); its id */
	void (*before)(void); /* before the instance starts (sinks, files) */
	void (*ready)(void);  /* once it runs and has its CA and tokens */
	void (*done)(void);   /* before it stops */
	void (*after)(void);  /* once it is gone */
};

/* Makes fx the fixture of the next fixture_setup (borrowed: fx must
 * outlive the group). */
void fixture_use(const struct fixture *fx);
/* cmocka group setup: starts the instance, makes the tokens and the CA,
 * calls ready. *state receives the instance. Fails the group otherwise. */
int fixture_setup(void **state);
/* cmocka group teardown: done, the instance stopped and removed, after. */
int fixture_teardown(void **state);

/* Runs a file's tests (an array, as for cmocka_run_group_tests) against
 * one instance made as fx says. */
#define fixture_run_tests(tests, fx) \
	(fixture_use(fx), cmocka_run_group_tests(tests, fixture_setup, fixture_teardown))

#endif
