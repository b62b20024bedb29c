/* GET /api/v1/certificates: certificates across CAs, filtered, sorted, in
 * keyset cursor pages (model/cert/search.h), each item as the per-CA list
 * shows it. A token limited to CAs searches those CAs only. */
#include <stdio.h>
#include <string.h>

#include "api/rest/handlers.h"
#include "api/rest/problem.h"
#include "api/rest/render.h"
#include "api/rest/request.h"
#include "model/auth/token_scope.h"
#include "model/cert/search.h"

/* The ca_id filter: CA ids separated by commas (a repeated ca_id arrives
 * joined by commas too). ids point into buf. */
struct ca_filter {
	char buf[CERT_SEARCH_CAS_MAX * (UUID_TEXT_BYTES + 1)];
	const char *ids[CERT_SEARCH_CAS_MAX];
	size_t n;
};

static edgeca_err
read_ca_ids(const struct api_call *call, struct ca_filter *cf, struct cert_search_filter *f,
            struct edgeca_msg *msg)
{
	const char *v = api_query(call->req, "ca_id");
	const struct ca_scope *scope = &call->who.scope;
	char *save = NULL, *id;

	cf->n = 0;
	if (v != NULL) {
		if (strlen(v) >= sizeof(cf->buf) || v[strlen(v) - 1] == ',' || strstr(v, ",,") ||
		    v[0] == ',')
			return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-parameter",
			                   "the query parameter ca_id must be at most %d CA ids "
			                   "separated by commas", CERT_SEARCH_CAS_MAX);
		snprintf(cf->buf, sizeof(cf->buf), "%s", v);
		for (id = strtok_r(cf->buf, ",", &save); id != NULL; id = strtok_r(NULL, ",", &save)) {
			if (cf->n == CERT_SEARCH_CAS_MAX)
				return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-parameter",
				                   "the query parameter ca_id names more than %d CAs",
				                   CERT_SEARCH_CAS_MAX);
			/* as for /api/v1/cas/{ca_id}/...: another CA is refused */
			if (uuid_valid(id) && !token_scope_allows(scope, id))
				return edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "ca-out-of-scope",
				                   "this token is limited to certain CAs, and CA %.64s is "
				                   "not one of them", id);
			cf->ids[cf->n++] = id;
		}
	} else if (scope->limited) {
		for (size_t i = 0; i < scope->n && i < CERT_SEARCH_CAS_MAX; i++)
			cf->ids[cf->n++] = scope->ids[i];
	}
	f->ca_ids = cf->ids;
	f->n_ca_ids = cf->n;
	f->only_cas = scope->limited;
	return EDGECA_OK;
}

static edgeca_err
read_total(const struct api_call *call, bool *total, struct edgeca_msg *msg)
{
	const char *v = api_query(call->req, "total");

	*total = v != NULL && strcmp(v, "true") == 0;
	if (v != NULL && strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-parameter",
		                   "the query parameter total must be true or false");
	return EDGECA_OK;
}

void
api_cert_search(struct api_call *call)
{
	struct edgeca_msg msg = {0};
	struct cert_search_filter f = {0};
	struct cert_search_result res = {0};
	struct ca_filter cf;
	enum cert_sort sort;
	long limit = -1;
	bool total = false;
	json_t *items, *page;
	edgeca_err rc;

	f.cn_prefix = api_query(call->req, "common_name_prefix");
	f.san = api_query(call->req, "san");
	f.serial = api_query(call->req, "serial");
	f.status = api_query(call->req, "status");
	f.template_name = api_query(call->req, "template");
	f.requester = api_query(call->req, "requester");
	if ((rc = read_ca_ids(call, &cf, &f, &msg)) != EDGECA_OK ||
	    (rc = cert_search_sort_parse(api_query(call->req, "sort"), &sort, &msg)) != EDGECA_OK ||
	    (rc = read_total(call, &total, &msg)) != EDGECA_OK ||
	    (rc = api_query_long(call->req, "limit", &limit, &msg)) != EDGECA_OK ||
	    (rc = api_query_time(call->req, "issued_after", &f.has_issued_after, &f.issued_after,
	                         &msg)) != EDGECA_OK ||
	    (rc = api_query_time(call->req, "issued_before", &f.has_issued_before,
	                         &f.issued_before, &msg)) != EDGECA_OK ||
	    (rc = api_query_time(call->req, "expires_after", &f.has_expires_after,
	                         &f.expires_after, &msg)) != EDGECA_OK ||
	    (rc = api_query_time(call->req, "expires_before", &f.has_expires_before,
	                         &f.expires_before, &msg)) != EDGECA_OK ||
	    (rc = cert_search(call->ctx, &f, sort, limit, api_query(call->req, "cursor"), total,
	                      &res, &msg)) != EDGECA_OK)
		goto out;
	items = json_array();
	for (size_t i = 0; items != NULL && i < res.page.n; i++)
		items = render_append(items, render_certificate(res.page.items[i], 0));
	page = render_page(items, res.page.next_cursor);
	if (page != NULL && res.has_total)
		json_object_set_new(page, "total", json_integer(res.total));
	api_json(call->resp, 200, page);
out:
	if (rc != EDGECA_OK)
		api_problem(call->resp, rc, &msg, call->path);
	cert_search_result_free(&res);
}
