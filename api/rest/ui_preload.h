/* The modules the portal's first page needs, named in index.html's Link
 * header (rel=modulepreload) so that the browser fetches them together
 * with the page instead of finding them import by import. Only the entry
 * module's static imports, followed through every module they import:
 * the pages' own modules are loaded by import() when first visited and
 * are not named (fetching them would compete with the sign-in page). */
#ifndef EDGECA_API_REST_UI_PRELOAD_H
#define EDGECA_API_REST_UI_PRELOAD_H

#include <stddef.h>

#include "common/embedded.h"

/* Writes the Link header value for entry (a name in files, "app.js") and
 * the modules it imports statically, entry first, into out (size bytes):
 * "</ui/app.js>; rel=modulepreload, </ui/api.js>; rel=modulepreload".
 * An import that names no file of the table, or one outside it ("../x"
 * above the root, a URL), is left out. Returns 0, or -1 with out = ""
 * when the entry is not in files or the value does not fit. */
int ui_preload_links(const struct edgeca_embedded_file *files, const char *entry, char *out,
                     size_t size);

#endif
