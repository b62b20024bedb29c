/* Unit tests of model/token_scope: the checks of a requested CA list
 * (UUIDs, each once, 1 to 100, canonical lower case), the test a request
 * about one CA goes through, reading the list from a database row (fail
 * closed on anything malformed) and its SQL and audit forms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/auth/token_scope.h"
#include "tests/support/certs.h"

#define ID_A "0b7c6f1e-2d3a-4c5b-8e9f-a0b1c2d3e4f5"
#define ID_A_UPPER "0B7C6F1E-2D3A-4C5B-8E9F-A0B1C2D3E4F5"
#define ID_B "11111111-2222-4333-8444-555555555555"

static void
test_from_ids(void **state)
{
	const char *two[] = {ID_A_UPPER, ID_B};
	struct edgeca_msg msg = {0};
	struct ca_scope s;

	/* NULL: every CA */
	assert_int_equal(token_scope_from_ids(NULL, 0, &s, &msg), EDGECA_OK);
	assert_false(s.limited);
	assert_int_equal(s.n, 0);
	/* the ids as given, lower-cased */
	assert_int_equal(token_scope_from_ids(two, 2, &s, &msg), EDGECA_OK);
	assert_true(s.limited);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.ids[0], ID_A);
	assert_string_equal(s.ids[1], ID_B);
}

static void
test_from_ids_refusals(void **state)
{
	const char *empty[] = {NULL}, *dup[] = {ID_A, ID_B, ID_A_UPPER},
	           *junk[] = {ID_A, "not-a-uuid"}, *longer[] = {ID_A "0"},
	           *quoted[] = {"\"" ID_B "\""};
	const char *many[TOKEN_CA_IDS_MAX + 1];
	struct edgeca_msg msg = {0};
	struct ca_scope s;

	assert_int_equal(token_scope_from_ids(empty, 0, &s, &msg), EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "invalid-field");
	assert_non_null(strstr(msg.detail, "at least one CA"));
	assert_false(s.limited);
	assert_int_equal(token_scope_from_ids(dup, 3, &s, &msg), EDGECA_ERR_INVALID);
	assert_non_null(strstr(msg.detail, ID_A));
	assert_non_null(strstr(msg.detail, "twice"));
	assert_int_equal(token_scope_from_ids(junk, 2, &s, &msg), EDGECA_ERR_INVALID);
	assert_non_null(strstr(msg.detail, "not-a-uuid"));
	assert_int_equal(token_scope_from_ids(longer, 1, &s, &msg), EDGECA_ERR_INVALID);
	assert_int_equal(token_scope_from_ids(quoted, 1, &s, &msg), EDGECA_ERR_INVALID);
	for (size_t i = 0; i <= TOKEN_CA_IDS_MAX; i++)
		many[i] = ID_A;
	assert_int_equal(token_scope_from_ids(many, TOKEN_CA_IDS_MAX + 1, &s, &msg),
	                 EDGECA_ERR_INVALID);
	assert_non_null(strstr(msg.detail, "more than 100"));
	/* a refused list never leaves a usable scope behind */
	assert_false(s.limited);
}

static void
test_allows(void **state)
{
	const char *one[] = {ID_A};
	struct edgeca_msg msg = {0};
	struct ca_scope every, s, none;

	assert_int_equal(token_scope_from_ids(NULL, 0, &every, &msg), EDGECA_OK);
	assert_true(token_scope_allows(&every, ID_B));
	assert_true(token_scope_allows(&every, "anything"));
	assert_int_equal(token_scope_from_ids(one, 1, &s, &msg), EDGECA_OK);
	assert_true(token_scope_allows(&s, ID_A));
	assert_true(token_scope_allows(&s, ID_A_UPPER));
	assert_false(token_scope_allows(&s, ID_B));
	assert_false(token_scope_allows(&s, NULL));
	assert_false(token_scope_allows(&s, ""));
	assert_false(token_scope_allows(&s, ID_A "/"));
	assert_false(token_scope_allows(&s, "{" ID_A "}"));
	assert_false(token_scope_allows(&s, "0b7c6f1e2d3a4c5b8e9fa0b1c2d3e4f5"));
	/* limited to nothing (a row without ids): nothing */
	memset(&none, 0, sizeof(none));
	none.limited = true;
	assert_false(token_scope_allows(&none, ID_A));
}

/* A one-row result with columns ca_scoped and ca_ids (NULL: SQL NULL). */
static PGresult *
row(const char *scoped, const char *ids)
{
	PGresAttDesc cols[2] = {{.name = "ca_scoped", .format = 0, .typid = 16, .typlen = 1,
	                         .atttypmod = -1},
	                        {.name = "ca_ids", .format = 0, .typid = 25, .typlen = -1,
	                         .atttypmod = -1}};
	PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);

	assert_non_null(r);
	assert_int_equal(PQsetResultAttrs(r, 2, cols), 1);
	assert_int_equal(PQsetvalue(r, 0, 0, (char *)scoped, scoped ? (int)strlen(scoped) : -1), 1);
	assert_int_equal(PQsetvalue(r, 0, 1, (char *)ids, ids ? (int)strlen(ids) : -1), 1);
	return r;
}

static void
test_from_row(void **state)
{
	struct ca_scope s;
	PGresult *r;
	char *many = calloc(TOKEN_CA_IDS_MAX + 1, 37);

	r = row("f", NULL);
	assert_int_equal(token_scope_from_row(r, 0, &s), 0);
	assert_false(s.limited);
	PQclear(r);
	r = row("t", ID_A "," ID_B);
	assert_int_equal(token_scope_from_row(r, 0, &s), 0);
	assert_true(s.limited);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.ids[1], ID_B);
	PQclear(r);
	/* limited without rows: limited to nothing, never to everything */
	r = row("t", NULL);
	assert_int_equal(token_scope_from_row(r, 0, &s), 0);
	assert_true(s.limited);
	assert_int_equal(s.n, 0);
	PQclear(r);
	/* a flag that is not plainly false limits */
	r = row("x", NULL);
	assert_int_equal(token_scope_from_row(r, 0, &s), 0);
	assert_true(s.limited);
	PQclear(r);
	/* malformed lists are refused */
	r = row(NULL, NULL);
	assert_int_equal(token_scope_from_row(r, 0, &s), -1);
	PQclear(r);
	r = row("t", ID_A ",");
	assert_int_equal(token_scope_from_row(r, 0, &s), -1);
	PQclear(r);
	r = row("t", ID_A ",zzzzzzzz-2222-4333-8444-555555555555");
	assert_int_equal(token_scope_from_row(r, 0, &s), -1);
	PQclear(r);
	assert_non_null(many);
	for (int i = 0; i <= TOKEN_CA_IDS_MAX; i++)
		strcat(strcat(many, i ? "," : ""), ID_B);
	r = row("t", many);
	assert_int_equal(token_scope_from_row(r, 0, &s), -1);
	PQclear(r);
	free(many);
}

static void
test_sql_and_text(void **state)
{
	const char *two[] = {ID_B, ID_A};
	struct edgeca_msg msg = {0};
	struct ca_scope s;
	char *out = (char *)"unset";

	assert_int_equal(token_scope_from_ids(NULL, 0, &s, &msg), EDGECA_OK);
	assert_int_equal(token_scope_sql(&s, &out, &msg), EDGECA_OK);
	assert_null(out);
	out = token_scope_text(&s);
	assert_string_equal(out, "all");
	free(out);
	assert_int_equal(token_scope_from_ids(two, 2, &s, &msg), EDGECA_OK);
	assert_int_equal(token_scope_sql(&s, &out, &msg), EDGECA_OK);
	assert_string_equal(out, "{\"" ID_B "\",\"" ID_A "\"}");
	free(out);
	out = token_scope_text(&s);
	assert_string_equal(out, ID_B "," ID_A);
	free(out);
	/* limited to nothing: an empty array, which matches no CA */
	s.n = 0;
	assert_int_equal(token_scope_sql(&s, &out, &msg), EDGECA_OK);
	assert_string_equal(out, "{}");
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_ids),
		cmocka_unit_test(test_from_ids_refusals),
		cmocka_unit_test(test_allows),
		cmocka_unit_test(test_from_row),
		cmocka_unit_test(test_sql_and_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
