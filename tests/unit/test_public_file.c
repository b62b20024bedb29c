/* Unit tests of the public file names (api/pki/public_file.c): a CRL, a
 * later key's CRL and their delta CRLs name one key each, and the forms
 * never read as each other (location names have no dot). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "api/pki/public_file.h"

static void
expect(const char *file, const char *ext, int generation, const char *location)
{
	char name[64] = "";

	assert_int_equal(public_file_generation(file, ext, name), generation);
	if (generation > 0)
		assert_string_equal(name, location);
}

static void
test_crl_and_delta_names(void **state)
{
	expect("westeurope.crl", ".crl", 1, "westeurope");
	expect("westeurope.2.crl", ".crl", 2, "westeurope");
	expect("westeurope.delta.crl", ".delta.crl", 1, "westeurope");
	expect("westeurope.2.delta.crl", ".delta.crl", 2, "westeurope");
	/* a delta's name is no complete CRL's, and the reverse */
	expect("westeurope.delta.crl", ".crl", 0, NULL);
	expect("westeurope.2.delta.crl", ".crl", 0, NULL);
	expect("westeurope.crl", ".delta.crl", 0, NULL);
	expect("westeurope.2.crl", ".delta.crl", 0, NULL);
	/* no generation 1 spelled out, no leading zero, no empty location */
	expect("westeurope.1.delta.crl", ".delta.crl", 0, NULL);
	expect("westeurope.02.delta.crl", ".delta.crl", 0, NULL);
	expect(".delta.crl", ".delta.crl", 0, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crl_and_delta_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
