/* /ui/: the portal's static files, compiled into the server (ui/,
 * common/embedded.h). A path whose last segment has no dot is one of the
 * portal's own routes and gets index.html; other unknown files are 404. */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/rest/etag.h"
#include "api/rest/handlers.h"
#include "api/rest/problem.h"
#include "api/rest/ui_preload.h"
#include "common/digests.h"
#include "common/embedded.h"
#include "common/encoding.h"

#define UI_PREFIX "/ui"

/* docs/security.md: scripts, styles, fonts and images from edgeca only,
 * no inline code, no framing, no forms or links posting elsewhere. */
#define UI_CSP                                                                                 \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "        \
	"connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "     \
	"base-uri 'none'"

static const struct {
	const char *ext;
	const char *type;
} types[] = {
	{".html", "text/html; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".mjs", "text/javascript; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},
	{".json", "application/json"},
	{".svg", "image/svg+xml"},
	{".png", "image/png"},
	{".ico", "image/x-icon"},
	{".woff2", "font/woff2"},
	{".txt", "text/plain; charset=utf-8"},
};

static const char *
content_type(const char *name)
{
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

static const struct edgeca_embedded_file *
ui_find(const char *name)
{
	for (const struct edgeca_embedded_file *f = edgeca_ui; f->name != NULL; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

/* The embedded file a request path names: "" and "/" are index.html, as
 * is any path whose last segment has no dot (a portal route). */
static const struct edgeca_embedded_file *
ui_resolve(const char *path)
{
	const char *name = path + strlen(UI_PREFIX), *last;
	const struct edgeca_embedded_file *f;

	while (*name == '/')
		name++;
	last = strrchr(name, '/');
	last = last != NULL ? last + 1 : name;
	if (*name != '\0' && (f = ui_find(name)) != NULL)
		return f;
	return strchr(last, '.') == NULL ? ui_find("index.html") : NULL;
}

/* The strong entity tag of a file's content: 128 bits of its SHA-256. */
static int
file_etag(const struct edgeca_embedded_file *f, char tag[API_ETAG_BYTES])
{
	unsigned char md[32];
	unsigned int len = sizeof(md);
	char hex[33];

	tag[0] = '\0';
	if (EVP_Digest(f->data, f->len, md, &len, digest_sha256(), NULL) != 1)
		return -1;
	hex_encode(md, 16, hex);
	snprintf(tag, API_ETAG_BYTES, "\"%s\"", hex);
	return 0;
}

/* index.html's Link header: the first page's modules (ui_preload.h),
 * found once, and the session check app.js makes first (a fetch the
 * browser then answers from the preload, so it runs beside the modules
 * instead of after them); "" when the modules do not fit (they then load
 * as imported). */
static char preload_links[2048];
static pthread_once_t preload_once = PTHREAD_ONCE_INIT;

static void
preload_init(void)
{
	size_t used;

	if (ui_preload_links(edgeca_ui, "app.js", preload_links, sizeof(preload_links)) != 0)
		return;
	used = strlen(preload_links);
	if ((size_t)snprintf(preload_links + used, sizeof(preload_links) - used, "%s",
	                     ", </api/v1/sessions/current>; rel=preload; as=fetch; crossorigin") >=
	    sizeof(preload_links) - used)
		preload_links[used] = '\0';
}

void
api_ui_file(struct api_call *call)
{
	const struct edgeca_embedded_file *f;
	const char *inm;
	char tag[API_ETAG_BYTES];

	u_map_put(call->resp->map_header, "Content-Security-Policy", UI_CSP);
	u_map_put(call->resp->map_header, "X-Frame-Options", "DENY");
	u_map_put(call->resp->map_header, "Referrer-Policy", "no-referrer");
	if (strncmp(call->path, UI_PREFIX, strlen(UI_PREFIX)) != 0 ||
	    (f = ui_resolve(call->path)) == NULL) {
		api_problem_text(call->resp, EDGECA_ERR_NOT_FOUND, "not-found",
		                 "the portal has no such file", call->path);
		return;
	}
	if (file_etag(f, tag) != 0) {
		api_problem_text(call->resp, EDGECA_ERR_INTERNAL, NULL, "cannot digest the file",
		                 call->path);
		return;
	}
	u_map_put(call->resp->map_header, "Cache-Control", "no-cache");
	u_map_put(call->resp->map_header, "ETag", tag);
	if (strcmp(f->name, "index.html") == 0) {
		(void)pthread_once(&preload_once, preload_init);
		if (preload_links[0] != '\0')
			u_map_put(call->resp->map_header, "Link", preload_links);
	}
	inm = u_map_get_case(call->req->map_header, "If-None-Match");
	if (inm != NULL && api_etag_match(inm, tag, true) == API_ETAG_MATCH) {
		call->resp->status = 304;
		return;
	}
	api_body(call->resp, 200, content_type(f->name), f->data, f->len);
}
