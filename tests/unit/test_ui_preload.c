/* Unit tests of the portal's preload list (api/rest/ui_preload.h): the
 * entry module's static imports followed through the graph, dynamic
 * import() left out, relative paths resolved from the importing module,
 * cycles, look-alikes and a buffer too small; and the real portal's list,
 * which must name what the sign-in page runs and no page's own module. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "api/rest/ui_preload.h"

#define FILE_OF(n, text) {n, (const unsigned char *)(text), sizeof(text) - 1}

static const struct edgeca_embedded_file graph[] = {
	FILE_OF("index.html", "<script type=\"module\" src=\"/ui/app.js\"></script>"),
	FILE_OF("app.js", "import { a } from \"./api.js\";\n"
	                  "import * as s from './pages/signin.js';\n"
	                  "const routes = [() => import(\"./pages/cas.js\")];\n"
	                  "// taken from \"the manual\"\n"
	                  "const fromage = 1; import{b}from\"./dom.js\";\n"),
	FILE_OF("api.js", "import \"./dom.js\";\nexport { x } from \"./util/x.js\";\n"),
	FILE_OF("dom.js", "import { a } from \"./api.js\"; // a cycle\n"),
	FILE_OF("util/x.js", "import { y } from \"../../outside.js\";\n"
	                     "import { z } from \"https://cdn.example/z.js\";\n"
	                     "import { w } from \"./missing.js\";\n"),
	FILE_OF("pages/signin.js", "import { a } from \"../api.js\";\n"
	                           "import { l } from \"./lib/./l.js\";\n"),
	FILE_OF("pages/lib/l.js", "export const l = 1;\n"),
	FILE_OF("pages/cas.js", "import { a } from \"../api.js\";\n"),
	{NULL, NULL, 0},
};

static void
test_follows_static_imports(void **state)
{
	char out[1024];

	(void)state;
	assert_int_equal(ui_preload_links(graph, "app.js", out, sizeof(out)), 0);
	/* breadth first from the entry; each module once; cas.js only by import() */
	assert_string_equal(out, "</ui/app.js>; rel=modulepreload, "
	                         "</ui/api.js>; rel=modulepreload, "
	                         "</ui/pages/signin.js>; rel=modulepreload, "
	                         "</ui/dom.js>; rel=modulepreload, "
	                         "</ui/util/x.js>; rel=modulepreload, "
	                         "</ui/pages/lib/l.js>; rel=modulepreload");
}

static void
test_unknown_entry(void **state)
{
	char out[64] = "untouched";

	(void)state;
	assert_int_equal(ui_preload_links(graph, "main.js", out, sizeof(out)), -1);
	assert_string_equal(out, "");
}

static void
test_too_small(void **state)
{
	char out[60] = "untouched";

	(void)state;
	assert_int_equal(ui_preload_links(graph, "app.js", out, sizeof(out)), -1);
	assert_string_equal(out, "");
	/* exactly the size of the one-module list with its NUL fits */
	assert_int_equal(ui_preload_links(graph, "pages/lib/l.js", out,
	                                  sizeof("</ui/pages/lib/l.js>; rel=modulepreload")),
	                 0);
	assert_string_equal(out, "</ui/pages/lib/l.js>; rel=modulepreload");
	assert_int_equal(ui_preload_links(graph, "pages/lib/l.js", out,
	                                  sizeof("</ui/pages/lib/l.js>; rel=modulepreload") - 1),
	                 -1);
}

/* The portal as built: the sign-in page's modules and none of the pages'. */
static void
test_real_portal(void **state)
{
	char out[2048];

	(void)state;
	assert_int_equal(ui_preload_links(edgeca_ui, "app.js", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "</ui/app.js>; rel=modulepreload"));
	assert_non_null(strstr(out, "</ui/api.js>; rel=modulepreload"));
	assert_non_null(strstr(out, "</ui/dom.js>; rel=modulepreload"));
	assert_non_null(strstr(out, "</ui/pages/signin.js>; rel=modulepreload"));
	for (const struct edgeca_embedded_file *f = edgeca_ui; f->name != NULL; f++)
		if (strncmp(f->name, "pages/", 6) == 0 && strcmp(f->name, "pages/signin.js") != 0)
			assert_null(strstr(out, f->name));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_follows_static_imports),
		cmocka_unit_test(test_unknown_entry),
		cmocka_unit_test(test_too_small),
		cmocka_unit_test(test_real_portal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
