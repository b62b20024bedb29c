/* One instance per test file: the group setup/teardown pair of fixture.h. */
#include "tests/support/fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/support/http.h"

static const struct fixture *current;

void
fixture_use(const struct fixture *fx)
{
	current = fx;
}

int
fixture_setup(void **state)
{
	const struct fixture *fx = current;
	struct instance *in;

	assert_non_null(fx);
	assert_non_null(fx->in);
	in = fx->in;
	http_set_test_name(fx->name);
	for (size_t i = 0; i < FIXTURE_MAX_ENV && fx->env[i] != NULL; i++)
		in->extra_env[i] = fx->env[i];
	if (fx->before != NULL)
		fx->before();
	instance_start(in);
	for (size_t i = 0; i < FIXTURE_MAX_TOKENS && fx->tokens[i].role != NULL; i++)
		instance_token(in, fx->tokens[i].role, fx->tokens[i].name, fx->tokens[i].out,
		               fx->tokens[i].len);
	if (fx->ca_json != NULL)
		http_create_ca(in, fx->ca_json, fx->ca_id);
	if (fx->ready != NULL)
		fx->ready();
	*state = in;
	return 0;
}

int
fixture_teardown(void **state)
{
	const struct fixture *fx = current;

	(void)state;
	if (fx == NULL)
		return 0;
	if (fx->done != NULL)
		fx->done();
	instance_destroy(fx->in);
	if (fx->after != NULL)
		fx->after();
	return 0;
}
