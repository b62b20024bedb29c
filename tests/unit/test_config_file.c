/* Unit tests of server/config_file: reading edgeca.conf (comments, quotes,
 * refused lines), check-config's report of every bad line, and the file
 * put into the environment with the environment winning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/config_file.h"

static char path[64];

/* Writes text to a new temporary file, its name in path. */
static void
write_file(const char *text)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/edgeca-conf-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int
remove_file(void **state)
{
	if (path[0] != '\0')
		unlink(path);
	path[0] = '\0';
	return 0;
}

/* What check writes, and the number it returns. */
static unsigned
check(char *out, size_t out_len)
{
	struct edgeca_msg msg = {0};
	struct config_file *f = NULL;
	FILE *mem = fmemopen(out, out_len, "w");
	unsigned n;

	assert_non_null(mem);
	assert_int_equal(config_file_read(path, mem, &f, &msg), EDGECA_OK);
	n = config_file_check(f, mem);
	fclose(mem);
	config_file_free(f);
	return n;
}

static bool
reported(const char *out, unsigned line, const char *what)
{
	char want[256];

	snprintf(want, sizeof(want), "%s:%u: %s", path, line, what);
	return strstr(out, want) != NULL;
}

static void
test_read_values(void **state)
{
	struct edgeca_msg msg = {0};
	struct config_file *f = NULL;

	write_file("# comment\n\n  ; another\nEDGECA_API_PORT = 9443 \n"
	           "EDGECA_DATABASE_URL=\"host=/x dbname=y\"\nEDGECA_SMTP_FROM='a@b.example'\r\n"
	           "EDGECA_BIND_ADDRESS=");
	assert_int_equal(config_file_read(path, NULL, &f, &msg), EDGECA_OK);
	assert_int_equal(f->n_problems, 0);
	assert_int_equal(f->n_entries, 4);
	assert_string_equal(f->entries[0].name, "EDGECA_API_PORT");
	assert_string_equal(f->entries[0].value, "9443");
	assert_int_equal(f->entries[0].line, 4);
	assert_string_equal(f->entries[1].value, "host=/x dbname=y");
	assert_string_equal(f->entries[2].value, "a@b.example");
	assert_string_equal(f->entries[3].value, "");
	assert_int_equal(f->entries[3].line, 7);
	config_file_free(f);
}

static void
test_missing_file(void **state)
{
	struct edgeca_msg msg = {0};
	struct config_file *f = NULL;

	assert_int_equal(config_file_read("/nonexistent/edgeca.conf", NULL, &f, &msg),
	                 EDGECA_ERR_UNAVAILABLE);
	assert_null(f);
	assert_non_null(strstr(msg.detail, "/nonexistent/edgeca.conf"));
}

static void
test_check_every_bad_line(void **state)
{
	char out[4096] = "";

	write_file("EDGECA_HTTP_THREADS=4\n"      /* 1: good */
	           "EDGECA_API_PORT=0\n"          /* 2: out of range */
	           "no equals here\n"             /* 3 */
	           "EDGECA_UNHEARD_OF=1\n"        /* 4: unknown */
	           "EDGECA_SMTP_TLS=maybe\n"      /* 5 */
	           "EDGECA_HTTP_THREADS=5\n"      /* 6: twice */
	           "EDGECA_TLS_CERT=/a.pem\n"     /* 7: without its key */
	           "EDGECA_SMTP_PASSWORD=p\\w\n"  /* 8: backslash */
	           "EDGECA_EST_PORT=8444\n");     /* 9: good */
	assert_int_equal(check(out, sizeof(out)), 7);
	assert_true(reported(out, 2, "EDGECA_API_PORT must be a whole number from 1 to 65535"));
	assert_true(reported(out, 3, "not NAME=VALUE"));
	assert_true(reported(out, 4, "EDGECA_UNHEARD_OF: unknown setting"));
	assert_true(reported(out, 5, "EDGECA_SMTP_TLS must be none, starttls or tls"));
	assert_true(reported(out, 6, "EDGECA_HTTP_THREADS: set already on line 1"));
	assert_true(reported(out, 7, "EDGECA_TLS_CERT and EDGECA_TLS_KEY must be set together"));
	assert_true(reported(out, 8, "EDGECA_SMTP_PASSWORD: quotes may only enclose"));
	assert_false(reported(out, 1, ""));
	assert_false(reported(out, 9, ""));
}

/* A value refused only beside another: the line of the one in the file. */
static void
test_check_across_lines(void **state)
{
	char out[4096] = "";

	write_file("EDGECA_API_PORT=9000\nEDGECA_EST_PORT=9000\n");
	assert_int_equal(check(out, sizeof(out)), 1);
	assert_true(reported(out, 2, "EDGECA_EST_PORT and EDGECA_API_PORT must differ"));

	remove_file(NULL);
	write_file("EDGECA_SMTP_USER=u\nEDGECA_SMTP_PASSWORD=p\n");
	assert_int_equal(check(out, sizeof(out)), 0);
}

static void
test_apply_env_wins(void **state)
{
	struct edgeca_msg msg = {0};

	write_file("EDGECA_API_PORT=9443\nEDGECA_EST_PORT=9444\nEDGECA_BIND_ADDRESS=::1\n");
	setenv("EDGECA_CONFIG", path, 1);
	setenv("EDGECA_API_PORT", "7443", 1);
	setenv("EDGECA_BIND_ADDRESS", "", 1); /* empty counts as unset */
	unsetenv("EDGECA_EST_PORT");
	assert_int_equal(config_file_apply_env(&msg), EDGECA_OK);
	assert_string_equal(getenv("EDGECA_API_PORT"), "7443");
	assert_string_equal(getenv("EDGECA_EST_PORT"), "9444");
	assert_string_equal(getenv("EDGECA_BIND_ADDRESS"), "::1");

	remove_file(NULL);
	write_file("EDGECA_API_PORT=1\nEDGECA_WHAT=2\n");
	setenv("EDGECA_CONFIG", path, 1);
	assert_int_equal(config_file_apply_env(&msg), EDGECA_ERR_INVALID);
	assert_non_null(strstr(msg.detail, "1 line(s) refused"));

	unsetenv("EDGECA_CONFIG");
	unsetenv("EDGECA_API_PORT");
	unsetenv("EDGECA_EST_PORT");
	unsetenv("EDGECA_BIND_ADDRESS");
	assert_int_equal(config_file_apply_env(&msg), EDGECA_OK);
	assert_null(getenv("EDGECA_API_PORT"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_read_values, remove_file),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test_teardown(test_check_every_bad_line, remove_file),
		cmocka_unit_test_teardown(test_check_across_lines, remove_file),
		cmocka_unit_test_teardown(test_apply_env_wins, remove_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
