/* Child programs of the integration tests (node, openssl), run through the
 * shell with their output collected, and the environment a Node script
 * needs to talk to an instance. Any integration test may call these. */
#ifndef EDGECA_TEST_PROCESS_H
#define EDGECA_TEST_PROCESS_H

#include <stddef.h>

#include "tests/support/harness.h"

/* Runs cmd through the shell, its output left where cmd sends it.
 * Returns: its exit status; -1 when it did not run or did not exit. */
int process_run(const char *cmd);

/* The same for the command printf would make of fmt and its arguments;
 * -1 also when that command cannot be made. */
int process_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs cmd through the shell and collects what it writes to stdout (add
 * 2>&1 to cmd for stderr too).
 * Returns: its exit status; -1 when it did not run, did not exit or its
 * output could not be kept.
 * Ownership: *out is the caller's (free): the whole output, NUL-terminated,
 * or NULL when none could be read. */
int process_run_capture(const char *cmd, char **out);

/* The same into out (len bytes, at least 1): as much of the output as fits,
 * NUL-terminated. Returns the exit status as process_run_capture. */
int process_run_into(const char *cmd, char *out, size_t len);

/* Sets what a Node script run against in reads: EDGECA_URL, EDGECA_TOKEN
 * (the admin), EDGECA_READONLY_TOKEN (readonly_token) and
 * NODE_EXTRA_CA_CERTS (the service CA: TLS stays verified); removes
 * LD_PRELOAD, which Node would inherit from a sanitizer build.
 * Returns: 0, or -1 when the environment could not be changed. */
int process_node_env(const struct instance *in, const char *readonly_token);

/* Runs `node 'script' args 2>&1` (args may be NULL), prints its whole
 * output to stdout and, when it fails, its exit status.
 * Returns: node's exit status, -1 as process_run_capture. */
int process_run_node(const char *script, const char *args);

#endif
