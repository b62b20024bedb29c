/* Command-line numbers of the signer's commands (the daemon's options,
 * import-key's). */
#ifndef EDGECA_SIGNER_ARGS_H
#define EDGECA_SIGNER_ARGS_H

/* s as a decimal number of at most max: digits only, no sign. Returns 0,
 * or -1 when s is anything else. */
int args_parse_uint(const char *s, unsigned long max, unsigned long *out);

#endif
