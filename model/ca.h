/* Certificate authorities: creation (keys and certificates through the
 * signer), reading and listing. A CA has one or more locations, each with
 * its own signer key and CA certificate carrying the CA's subject. */
#ifndef EDGECA_MODEL_CA_H
#define EDGECA_MODEL_CA_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "common/x509util.h"
#include "model/context.h"
#include "model/cursor.h"

/* "Not given": no request value can be this (JSON integers are bounded to
 * +-1e9 when read, query values are digits). */
#define CA_FIELD_UNSET LONG_MIN

struct ca_location {
	char name[64];
	char status[24];
	char key_id[65];
	unsigned char *cert_der;
	size_t cert_len;
	char serial[SERIAL_HEX_MAX];
	time_t not_before;
	time_t not_after;
};

struct ca {
	char id[37];
	long long seq;
	char kind[16];
	char status[24];
	char *common_name;
	char *friendly_name;
	char *organization;        /* NULL when absent */
	char *organizational_unit; /* NULL when absent */
	char *country;             /* NULL when absent */
	char *subject;
	char key_algorithm[16];
	/* lifecycle */
	char **notification_emails; /* NULL-terminated */
	char lifecycle_action[16];
	int threshold_percent;
	/* crl */
	bool crl_enabled;
	int crl_validity_days;
	int crl_overlap_hours;
	char *crl_distribution_point; /* NULL: edgeca's own URL */
	/* issuance */
	char template[32];
	char **allowed_templates; /* NULL-terminated */
	int max_validity_days;
	int path_length; /* -1: none */
	struct ca_location *locations;
	size_t n_locations;
	time_t created_at;
	char created_by[ACTOR_BYTES];
};

/* A creation request. Borrowed strings; NULL, CA_FIELD_UNSET or a negative
 * count mean "not given" and take the documented default. */
struct ca_create_req {
	const char *kind;
	const char *common_name;
	const char *friendly_name;
	const char *organization;
	const char *organizational_unit;
	const char *country;
	const char *key_algorithm;
	long validity_days;
	bool has_not_after;
	time_t not_after;
	const char *const *notification_emails;
	long n_notification_emails;
	const char *lifecycle_action;
	long threshold_percent;
	int crl_enabled; /* -1, 0, 1 */
	long crl_validity_days;
	long crl_overlap_hours;
	const char *crl_distribution_point;
	const char *template;
	const char *const *allowed_templates;
	long n_allowed_templates;
	long max_validity_days;
	long path_length;
};

void ca_create_req_init(struct ca_create_req *r);

/* Validates req, applies defaults and fills a new struct ca (no id, no
 * locations yet) and the CA certificate's notAfter. Pure: no I/O. */
edgeca_err ca_settings_resolve(const struct ca_create_req *req, time_t now, struct ca **out,
                               time_t *not_after, struct edgeca_msg *msg);

edgeca_err ca_create(struct edgeca_ctx *ctx, const struct principal *who,
                     const struct ca_create_req *req, struct ca **out, struct edgeca_msg *msg);
edgeca_err ca_get(struct edgeca_ctx *ctx, const char *id, struct ca **out,
                  struct edgeca_msg *msg);

struct ca_list {
	struct ca **items;
	size_t n;
	char next_cursor[CURSOR_MAX];
};
edgeca_err ca_list(struct edgeca_ctx *ctx, long limit, const char *cursor, struct ca_list *out,
                   struct edgeca_msg *msg);
void ca_list_free(struct ca_list *l);

void ca_free(struct ca *ca);

/* The location named name, or the first active one when name is NULL;
 * NULL when none matches. */
const struct ca_location *ca_find_location(const struct ca *ca, const char *name);

/* PEM of the chain from this location's CA certificate up to the root. */
char *ca_chain_pem(const struct ca *ca, const struct ca_location *loc);

bool ca_allows_template(const struct ca *ca, const char *tpl);

#endif
