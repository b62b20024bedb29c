/* Certificate search across CAs (GET /api/v1/certificates): filters on
 * the certificates table combined with AND, a fixed set of sort keys, and
 * keyset pages whose opaque cursor names the sort and the filter set it
 * belongs to. Called by api/rest; reads through model/cert/store.h. */
#ifndef EDGECA_MODEL_CERT_SEARCH_H
#define EDGECA_MODEL_CERT_SEARCH_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "model/cert/certificate.h"
#include "model/core/context.h"

/* At most this many CAs in one ca_id filter. */
#define CERT_SEARCH_CAS_MAX 100
/* The longest text filter value: longer matches nothing edgeca stores. */
#define CERT_SEARCH_VALUE_MAX 256
#define CERT_SEARCH_CURSOR_MAX CURSOR_MAX

/* The sort keys, in the order cert_search_sort_parse knows their names. */
enum cert_sort {
	CERT_SORT_ISSUED_DESC = 0, /* -issued_at, the default */
	CERT_SORT_ISSUED_ASC,      /* issued_at */
	CERT_SORT_EXPIRES_ASC,     /* expires_at */
	CERT_SORT_EXPIRES_DESC,    /* -expires_at */
	CERT_SORT_CN_ASC,          /* common_name */
	CERT_SORT_CN_DESC,         /* -common_name */
	CERT_SORT_SERIAL_ASC,      /* serial */
	CERT_SORT_SERIAL_DESC,     /* -serial */
	CERT_SORT_COUNT
};

/* Every member optional (NULL / false / 0); all given ones must match. */
struct cert_search_filter {
	const char *const *ca_ids; /* n_ca_ids lower- or upper-case UUIDs */
	size_t n_ca_ids;
	bool only_cas;             /* true: ca_ids applies even when empty (a
	                            * token limited to CAs) */
	const char *cn_prefix;     /* case-sensitive prefix of the common name */
	const char *san;           /* "DNS:x" exactly, or x as any SAN type */
	const char *serial;        /* hex, as serial_hex_normalize takes it */
	const char *status;        /* a cert_status name */
	const char *template_name;
	const char *requester;
	bool has_issued_after, has_issued_before, has_expires_after, has_expires_before;
	time_t issued_after, issued_before, expires_after, expires_before;
};

struct cert_search_result {
	struct cert_list page; /* the items and next_cursor */
	bool has_total;
	long long total;
};

/* The sort named (NULL or "": the default, -issued_at).
 * Returns: EDGECA_OK; EDGECA_ERR_MALFORMED (invalid-parameter naming sort). */
edgeca_err cert_search_sort_parse(const char *name, enum cert_sort *out,
                                  struct edgeca_msg *msg);

/* A fingerprint of the filter set, so that a cursor is refused under
 * other filters. Pure. */
uint32_t cert_search_filter_hash(const struct cert_search_filter *f);

/* The cursor after the row id, under sort and the filter fingerprint. */
void cert_search_cursor_encode(enum cert_sort sort, uint32_t filters, long long id,
                               char out[CERT_SEARCH_CURSOR_MAX]);
/* Reads a cursor (NULL or "": the first page, *id = 0). Returns:
 * EDGECA_OK; EDGECA_ERR_MALFORMED (invalid-cursor) for anything this API
 * did not return for this sort and filter set. */
edgeca_err cert_search_cursor_decode(const char *cursor, enum cert_sort sort, uint32_t filters,
                                     long long *id, struct edgeca_msg *msg);

/* A page of the certificates matching f, sorted by sort, with the total
 * count of matches when want_total.
 * Returns: EDGECA_OK; EDGECA_ERR_MALFORMED (invalid-parameter naming the
 * parameter, invalid-cursor); EDGECA_ERR_UNAVAILABLE (database).
 * Ownership: out's items are the caller's (cert_search_result_free). */
edgeca_err cert_search(struct edgeca_ctx *ctx, const struct cert_search_filter *f,
                       enum cert_sort sort, long limit, const char *cursor, bool want_total,
                       struct cert_search_result *out, struct edgeca_msg *msg);
void cert_search_result_free(struct cert_search_result *r);

#endif
