/* Files compiled into the binaries (SQL migrations, the OpenAPI document,
 * the portal's static files).
 * Generated tables end with an entry whose name is NULL. */
#ifndef EDGECA_COMMON_EMBEDDED_H
#define EDGECA_COMMON_EMBEDDED_H

#include <stddef.h>

struct edgeca_embedded_file {
	const char *name;
	const unsigned char *data; /* NUL-terminated for convenience */
	size_t len;
};

extern const struct edgeca_embedded_file edgeca_migrations[];
extern const struct edgeca_embedded_file edgeca_openapi[];
/* the portal (ui/), named by path below ui/: "index.html", "js/app.js" */
extern const struct edgeca_embedded_file edgeca_ui[];

#endif
