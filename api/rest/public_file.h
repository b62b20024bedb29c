/* The file names of edgeca's public, per-key URLs: /crl/{ca}/{name}.crl
 * and /ca/{ca}/{name}.crt for a location's first key, {name}.N.crl and
 * {name}.N.crt for the key of its generation N (N >= 2, no leading zero).
 * A URL names one key for good: a renewal adds one, never re-points one. */
#ifndef EDGECA_API_PUBLIC_FILE_H
#define EDGECA_API_PUBLIC_FILE_H

/* The generation file names (1 for "name.ext", N for "name.N.ext"), with
 * the location into name; 0 when file is not spelled so. ext is the
 * extension with its dot (".crl"). */
int public_file_generation(const char *file, const char *ext, char name[64]);

#endif
