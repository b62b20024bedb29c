/* Child programs of the integration tests: see process.h. */
#include "tests/support/process.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define CAPTURE_STEP 65536

int
process_run(const char *cmd)
{
	int status;

	status = system(cmd);
	return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int
process_sh(const char *fmt, ...)
{
	char *cmd = NULL;
	va_list ap;
	int rc = -1;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		cmd = NULL;
	va_end(ap);
	if (cmd == NULL)
		goto out;
	rc = process_run(cmd);
out:
	free(cmd);
	return rc;
}

int
process_run_capture(const char *cmd, char **out)
{
	FILE *p = NULL;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	int status, rc = -1;

	*out = NULL;
	p = popen(cmd, "r");
	if (p == NULL)
		goto out;
	for (;;) {
		if (cap - len < 4096) {
			char *grown = realloc(buf, cap + CAPTURE_STEP);

			if (grown == NULL)
				goto out;
			buf = grown;
			cap += CAPTURE_STEP;
		}
		n = fread(buf + len, 1, cap - len - 1, p);
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	status = pclose(p);
	p = NULL;
	if (status != -1 && WIFEXITED(status))
		rc = WEXITSTATUS(status);
	*out = buf;
	buf = NULL;
out:
	if (p != NULL)
		pclose(p);
	free(buf);
	return rc;
}

int
process_run_into(const char *cmd, char *out, size_t len)
{
	char *all = NULL;
	int rc;

	rc = process_run_capture(cmd, &all);
	if (len > 0)
		snprintf(out, len, "%s", all != NULL ? all : "");
	free(all);
	return rc;
}

int
process_node_env(const struct instance *in, const char *readonly_token)
{
	int rc = -1;

	if (setenv("EDGECA_URL", in->base_url, 1) != 0)
		goto out;
	if (setenv("EDGECA_TOKEN", in->admin_token, 1) != 0)
		goto out;
	if (setenv("EDGECA_READONLY_TOKEN", readonly_token, 1) != 0)
		goto out;
	if (setenv("NODE_EXTRA_CA_CERTS", in->ca_file, 1) != 0)
		goto out;
	if (unsetenv("LD_PRELOAD") != 0)
		goto out;
	rc = 0;
out:
	return rc;
}

int
process_run_node(const char *script, const char *args)
{
	char *cmd = NULL, *output = NULL;
	const char *sep = args != NULL ? " " : "", *more = args != NULL ? args : "";
	int rc = -1;

	if (asprintf(&cmd, "node '%s'%s%s 2>&1", script, sep, more) < 0) {
		cmd = NULL;
		goto out;
	}
	rc = process_run_capture(cmd, &output);
	/* whole: cmocka's print_message cuts long messages */
	fputs(output != NULL ? output : "(no output)\n", stdout);
	if (rc != 0)
		printf("node %s%s%s exited with %d\n", script, sep, more, rc);
	fflush(stdout);
out:
	free(output);
	free(cmd);
	return rc;
}
