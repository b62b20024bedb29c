/* Certificate search across CAs: the sort keys and their cursors, and the
 * query. Pages are keyset pages on (sort key, id): the cursor carries the
 * last row's id only, and the next page starts after that row's key as
 * the table has it, so no key value (a time, a name) is ever rounded or
 * re-parsed on the way through a client. Every sort key is a column or an
 * expression that migration 0021 indexes together with id. */
#include "model/cert/search.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "model/cert/store.h"
#include "model/store/db.h"

/* The key expressions, exactly as migration 0021 indexes them: names
 * sort by their bytes (COLLATE "C"), so that a common name prefix is an
 * index range; serials sort by number (hex padded to 64 digits). */
#define KEY_CN "(coalesce(common_name, '') COLLATE \"C\")"
#define KEY_SERIAL "(lpad(serial, 64, '0') COLLATE \"C\")"
/* Times by the table's column: in ORDER BY a bare created_at would name
 * the select list's created_at (its epoch seconds), which no index has,
 * and every page would sort the whole table. */
#define KEY_ISSUED "certificates.created_at"
#define KEY_EXPIRES "certificates.not_after"

/* An expiry window of at most this many certificates is searched from the
 * not_after index: its ids first, then the page in any order from them
 * (see expiry_window_narrow). */
#define EXPIRY_IDS_MAX 20000

static const struct {
	const char *name;
	const char *key;
	bool desc;
} sorts[CERT_SORT_COUNT] = {
	[CERT_SORT_ISSUED_DESC] = {"-issued_at", KEY_ISSUED, true},
	[CERT_SORT_ISSUED_ASC] = {"issued_at", KEY_ISSUED, false},
	[CERT_SORT_EXPIRES_ASC] = {"expires_at", KEY_EXPIRES, false},
	[CERT_SORT_EXPIRES_DESC] = {"-expires_at", KEY_EXPIRES, true},
	[CERT_SORT_CN_ASC] = {"common_name", KEY_CN, false},
	[CERT_SORT_CN_DESC] = {"-common_name", KEY_CN, true},
	[CERT_SORT_SERIAL_ASC] = {"serial", KEY_SERIAL, false},
	[CERT_SORT_SERIAL_DESC] = {"-serial", KEY_SERIAL, true},
};

/* The SAN types edgeca stores ("DNS:x"): a san filter that starts with
 * one is matched exactly, any other value as each of them. */
static const char *const san_types[] = {"DNS:", "IP:", "URI:", "email:", NULL};

edgeca_err
cert_search_sort_parse(const char *name, enum cert_sort *out, struct edgeca_msg *msg)
{
	*out = CERT_SORT_ISSUED_DESC;
	if (name == NULL || name[0] == '\0')
		return EDGECA_OK;
	for (int i = 0; i < CERT_SORT_COUNT; i++)
		if (strcmp(sorts[i].name, name) == 0) {
			*out = (enum cert_sort)i;
			return EDGECA_OK;
		}
	return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-parameter",
	                   "sort must be one of issued_at, -issued_at, expires_at, -expires_at, "
	                   "common_name, -common_name, serial, -serial");
}

/* FNV-1a over a value and a separator (NULL hashes apart from ""). */
static uint32_t
fnv(uint32_t h, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "\x01");

	for (; *p != '\0'; p++)
		h = (h ^ *p) * 16777619u;
	return (h ^ 0xff) * 16777619u;
}

static uint32_t
fnv_time(uint32_t h, bool has, time_t t)
{
	char s[32];

	snprintf(s, sizeof(s), "%lld", (long long)t);
	return fnv(h, has ? s : NULL);
}

uint32_t
cert_search_filter_hash(const struct cert_search_filter *f)
{
	uint32_t h = 2166136261u;

	h = fnv(h, f->only_cas ? "only" : "all");
	for (size_t i = 0; i < f->n_ca_ids; i++)
		h = fnv(h, f->ca_ids[i]);
	h = fnv(h, f->cn_prefix);
	h = fnv(h, f->san);
	h = fnv(h, f->serial);
	h = fnv(h, f->status);
	h = fnv(h, f->template_name);
	h = fnv(h, f->requester);
	h = fnv_time(h, f->has_issued_after, f->issued_after);
	h = fnv_time(h, f->has_issued_before, f->issued_before);
	h = fnv_time(h, f->has_expires_after, f->expires_after);
	return fnv_time(h, f->has_expires_before, f->expires_before);
}

void
cert_search_cursor_encode(enum cert_sort sort, uint32_t filters, long long id,
                          char out[CERT_SEARCH_CURSOR_MAX])
{
	char plain[48];

	/* the filter fingerprint last: a truncated cursor loses part of it */
	snprintf(plain, sizeof(plain), "s1:%d:%lld:%08x", (int)sort, id, (unsigned)filters);
	cursor_text_encode(plain, out);
}

edgeca_err
cert_search_cursor_decode(const char *cursor, enum cert_sort sort, uint32_t filters,
                          long long *id, struct edgeca_msg *msg)
{
	char text[48], want[24], tail[24], *end;
	long long v;

	*id = 0;
	if (cursor == NULL || cursor[0] == '\0')
		return EDGECA_OK;
	if (cursor_text_decode(cursor, text, sizeof(text)) != 0)
		goto bad;
	snprintf(want, sizeof(want), "s1:%d:", (int)sort);
	snprintf(tail, sizeof(tail), ":%08x", (unsigned)filters);
	if (strncmp(text, want, strlen(want)) != 0)
		goto bad;
	if (text[strlen(want)] < '1' || text[strlen(want)] > '9')
		goto bad;
	errno = 0;
	v = strtoll(text + strlen(want), &end, 10);
	if (errno != 0 || strcmp(end, tail) != 0)
		goto bad;
	*id = v;
	return EDGECA_OK;
bad:
	return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-cursor",
	                   "the cursor is not one this API returned for this sort and these "
	                   "filters");
}

/* The query's values as SQL text parameters, and the WHERE they fill. */
struct query {
	struct db_param p[16];
	int np;
	struct buf where;
	char times[4][24], serial[SERIAL_HEX_MAX], after[24], rows[24];
	char *ca_ids, *cn_like, *sans;
	bool failed; /* out of memory */
};

/* Appends " AND <pre>$N<post>", $N the next parameter, value. */
static void
add(struct query *q, const char *pre, const char *post, const char *value)
{
	q->p[q->np++] = (struct db_param){value, 0, false};
	if (buf_printf(&q->where, " AND %s$%d%s", pre, q->np, post) != 0)
		q->failed = true;
}

static void
add_time(struct query *q, int slot, bool has, time_t t, const char *pre)
{
	if (!has)
		return;
	snprintf(q->times[slot], sizeof(q->times[slot]), "%lld", (long long)t);
	add(q, pre, ")", q->times[slot]);
}

/* The LIKE pattern of a prefix: the prefix with \ % _ escaped, then %. */
static char *
like_prefix(const char *prefix)
{
	char *out = malloc(2 * strlen(prefix) + 2), *o = out;

	if (out == NULL)
		return NULL;
	for (const char *s = prefix; *s != '\0'; s++) {
		if (*s == '\\' || *s == '%' || *s == '_')
			*o++ = '\\';
		*o++ = *s;
	}
	*o++ = '%';
	*o = '\0';
	return out;
}

/* The SAN values a san filter matches: itself when typed, else the value
 * under each type. */
static char *
san_array(const char *san)
{
	char typed[4][CERT_SEARCH_VALUE_MAX + 8];
	const char *each[4];

	for (size_t i = 0; san_types[i] != NULL; i++)
		if (strncmp(san, san_types[i], strlen(san_types[i])) == 0) {
			each[0] = san;
			return db_text_array_literal(each, 1);
		}
	for (size_t i = 0; i < 4; i++) {
		snprintf(typed[i], sizeof(typed[i]), "%s%s", san_types[i], san);
		each[i] = typed[i];
	}
	return db_text_array_literal(each, 4);
}

/* The expiry window as the ids of its certificates, from the not_after
 * index (see expiry_window_narrow). */
static void
add_expiry_ids(struct query *q, const struct cert_search_filter *f)
{
	if (buf_append_str(&q->where, " AND id = ANY (ARRAY(SELECT s.id FROM certificates s "
	                              "WHERE true") != 0)
		q->failed = true;
	add_time(q, 2, f->has_expires_after, f->expires_after, "s.not_after >= to_timestamp(");
	add_time(q, 3, f->has_expires_before, f->expires_before, "s.not_after < to_timestamp(");
	if (buf_append_str(&q->where, "))") != 0)
		q->failed = true;
}

/* Checks the filter values and builds q's WHERE from them; expiry_ids:
 * the expiry window as a set of ids (add_expiry_ids). */
static edgeca_err
build_where(const struct cert_search_filter *f, bool expiry_ids, struct query *q,
            struct edgeca_msg *msg)
{
	const char *texts[] = {f->cn_prefix, f->san, f->template_name, f->requester, f->serial};
	const char *names[] = {"common_name_prefix", "san", "template", "requester", "serial"};
	enum cert_status status = CERT_VALID;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (texts[i] != NULL && strlen(texts[i]) > CERT_SEARCH_VALUE_MAX)
			return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-parameter",
			                   "the query parameter %s is longer than %d bytes", names[i],
			                   CERT_SEARCH_VALUE_MAX);
	if (f->n_ca_ids > CERT_SEARCH_CAS_MAX)
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-parameter",
		                   "the query parameter ca_id names more than %d CAs",
		                   CERT_SEARCH_CAS_MAX);
	for (size_t i = 0; i < f->n_ca_ids; i++)
		if (!uuid_valid(f->ca_ids[i]))
			return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-parameter",
			                   "the query parameter ca_id must be CA ids (UUIDs) "
			                   "separated by commas");
	if (f->serial != NULL && serial_hex_normalize(f->serial, q->serial) != 0)
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-parameter",
		                   "the query parameter serial must be a serial number in hex");
	if (f->status != NULL && !cert_status_parse(f->status, &status))
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-parameter",
		                   "status must be valid, revoked, issuer_revoked or expired");
	if (f->has_issued_after && f->has_issued_before && f->issued_before < f->issued_after)
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-parameter",
		                   "the query parameter issued_before is before issued_after");
	if (f->has_expires_after && f->has_expires_before && f->expires_before < f->expires_after)
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-parameter",
		                   "the query parameter expires_before is before expires_after");
	if (buf_append_str(&q->where, "WHERE true") != 0)
		q->failed = true;
	if (f->only_cas || f->n_ca_ids > 0) {
		q->ca_ids = db_text_array_literal(f->ca_ids, f->n_ca_ids);
		if (q->ca_ids == NULL)
			q->failed = true;
		/* one CA as an equality, so that its index gives the order */
		add(q, f->n_ca_ids == 1 ? "ca_id = (" : "ca_id = ANY (",
		    f->n_ca_ids == 1 ? "::uuid[])[1]" : "::uuid[])", q->ca_ids);
	}
	if (f->cn_prefix != NULL) {
		if ((q->cn_like = like_prefix(f->cn_prefix)) == NULL)
			q->failed = true;
		add(q, KEY_CN " LIKE ", "", q->cn_like);
	}
	if (f->san != NULL) {
		if ((q->sans = san_array(f->san)) == NULL)
			q->failed = true;
		/* the matching ids first, from the GIN index: the planner would
		 * rather walk the sort's index and filter every row */
		add(q, "id = ANY (ARRAY(SELECT s.id FROM certificates s WHERE s.subject_alt_names && ",
		    "::text[]))", q->sans);
	}
	if (f->serial != NULL)
		add(q, KEY_SERIAL " = lpad(", ", 64, '0')", q->serial);
	if (f->status != NULL && buf_append_str(&q->where, cert_status_condition(status)) != 0)
		q->failed = true;
	if (f->template_name != NULL)
		add(q, "template = ", "", f->template_name);
	if (f->requester != NULL)
		add(q, "requester = ", "", f->requester);
	add_time(q, 0, f->has_issued_after, f->issued_after, "created_at >= to_timestamp(");
	add_time(q, 1, f->has_issued_before, f->issued_before, "created_at < to_timestamp(");
	if (expiry_ids) {
		add_expiry_ids(q, f);
	} else {
		add_time(q, 2, f->has_expires_after, f->expires_after, "not_after >= to_timestamp(");
		add_time(q, 3, f->has_expires_before, f->expires_before,
		         "not_after < to_timestamp(");
	}
	return q->failed ? edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory") : EDGECA_OK;
}

struct search_args {
	struct query *q;
	const char *page_tail;
	int page_np;
	long limit;
	bool want_total, more;
	struct cert_search_result *out;
};

static edgeca_err
search_on(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	struct search_args *a = arg;
	edgeca_err rc = cert_store_select(c, a->page_tail, a->q->p, a->page_np, a->limit,
	                                  &a->out->page.items, &a->out->page.n, &a->more, msg);

	if (rc == EDGECA_OK && a->want_total) {
		rc = cert_store_count(c, (const char *)a->q->where.data, a->q->p, a->q->np,
		                      &a->out->total, msg);
		a->out->has_total = rc == EDGECA_OK;
	}
	return rc;
}

struct probe_args {
	const struct cert_search_filter *f;
	bool narrow;
};

static edgeca_err
probe_on(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	struct probe_args *a = arg;
	struct query q = {0};
	struct buf sql = {0};
	PGresult *r = NULL;
	edgeca_err rc;

	add_time(&q, 2, a->f->has_expires_after, a->f->expires_after, "not_after >= to_timestamp(");
	add_time(&q, 3, a->f->has_expires_before, a->f->expires_before,
	         "not_after < to_timestamp(");
	if (q.failed || buf_printf(&sql, "SELECT count(*) AS n FROM (SELECT 1 FROM certificates "
	                           "WHERE true%s LIMIT %d) w",
	                           q.where.data != NULL ? (const char *)q.where.data : "",
	                           EXPIRY_IDS_MAX + 1) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	rc = db_exec(c, (const char *)sql.data, q.p, q.np, &r, "count an expiry window", msg);
	if (rc == EDGECA_OK)
		a->narrow = db_get_ll(r, 0, "n") <= EXPIRY_IDS_MAX;
out:
	PQclear(r);
	buf_free(&sql);
	buf_free(&q.where);
	return rc;
}

/* Whether f's expiry window holds few enough certificates to be searched
 * as their ids. The planner walks the index of the sort (newest first by
 * default) and filters each row by not_after, expecting matches to be
 * spread evenly; but expiry follows issuance, so the rows of a window
 * ahead all sit far down that index (at a million certificates, a week's
 * window discarded some 500,000 rows first). Counting the window from the
 * not_after index, up to EXPIRY_IDS_MAX, costs a few milliseconds; a
 * window wider than that matches often enough for the walk to find a page
 * soon. Not asked when the window is the sort (its index gives both) or a
 * SAN or serial already names a few rows. */
static edgeca_err
expiry_window_narrow(struct edgeca_ctx *ctx, const struct cert_search_filter *f,
                     enum cert_sort sort, bool *narrow, struct edgeca_msg *msg)
{
	struct probe_args a = {f, false};
	edgeca_err rc;

	*narrow = false;
	if ((!f->has_expires_after && !f->has_expires_before) || f->san != NULL ||
	    f->serial != NULL || sort == CERT_SORT_EXPIRES_ASC || sort == CERT_SORT_EXPIRES_DESC)
		return EDGECA_OK;
	rc = db_with(ctx->db, probe_on, &a, msg);
	*narrow = rc == EDGECA_OK && a.narrow;
	return rc;
}

edgeca_err
cert_search(struct edgeca_ctx *ctx, const struct cert_search_filter *f, enum cert_sort sort,
            long limit, const char *cursor, bool want_total, struct cert_search_result *out,
            struct edgeca_msg *msg)
{
	struct query q = {0};
	struct buf tail = {0};
	struct search_args a = {&q, NULL, 0, 0, want_total, false, out};
	uint32_t filters = cert_search_filter_hash(f);
	long long after = 0;
	int n_filter;
	bool expiry_ids = false;
	edgeca_err rc;

	memset(out, 0, sizeof(*out));
	if ((rc = page_limit(limit, &a.limit, msg)) != EDGECA_OK ||
	    (rc = expiry_window_narrow(ctx, f, sort, &expiry_ids, msg)) != EDGECA_OK ||
	    (rc = build_where(f, expiry_ids, &q, msg)) != EDGECA_OK ||
	    (rc = cert_search_cursor_decode(cursor, sort, filters, &after, msg)) != EDGECA_OK)
		goto out;
	/* the page: the filters (the count's parameters), then the keyset
	 * condition after the cursor's row, the order and the limit */
	n_filter = q.np;
	snprintf(q.after, sizeof(q.after), "%lld", after);
	snprintf(q.rows, sizeof(q.rows), "%ld", a.limit + 1);
	q.p[q.np++] = (struct db_param){q.after, 0, false};
	q.p[q.np++] = (struct db_param){q.rows, 0, false};
	if (buf_printf(&tail, "%s", (const char *)q.where.data) != 0 ||
	    (after > 0 &&
	     buf_printf(&tail, " AND (%s, id) %c ((SELECT %s FROM certificates WHERE id = "
	                "$%d::bigint), $%d::bigint)", sorts[sort].key, sorts[sort].desc ? '<' : '>',
	                sorts[sort].key, n_filter + 1, n_filter + 1) != 0) ||
	    (after == 0 && buf_printf(&tail, " AND $%d::bigint = 0", n_filter + 1) != 0) ||
	    buf_printf(&tail, " ORDER BY %s %s, id %s LIMIT $%d::bigint", sorts[sort].key,
	               sorts[sort].desc ? "DESC" : "ASC", sorts[sort].desc ? "DESC" : "ASC",
	               n_filter + 2) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	a.page_tail = (const char *)tail.data;
	a.page_np = q.np;
	q.np = n_filter; /* the count takes the filters only */
	if ((rc = db_with(ctx->db, search_on, &a, msg)) != EDGECA_OK)
		goto out;
	if (a.more && out->page.n > 0)
		cert_search_cursor_encode(sort, filters, out->page.items[out->page.n - 1]->id,
		                          out->page.next_cursor);
out:
	if (rc != EDGECA_OK)
		cert_search_result_free(out);
	buf_free(&tail);
	buf_free(&q.where);
	free(q.ca_ids);
	free(q.cn_like);
	free(q.sans);
	return rc;
}

void
cert_search_result_free(struct cert_search_result *r)
{
	if (r == NULL)
		return;
	cert_list_free(&r->page);
	memset(r, 0, sizeof(*r));
}
