/* Certificate authorities: creation (keys and certificates through the
 * signer), chaining of subordinates to an internal parent or an external
 * root, reading and listing. A CA has one or more locations, each with its
 * own signer key and CA certificate carrying the CA's subject. */
#ifndef EDGECA_MODEL_CA_H
#define EDGECA_MODEL_CA_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "common/digests.h"
#include "common/encoding.h"
#include "common/name_rules.h"
#include "common/x509util.h"
#include "model/auth/principal.h"
#include "model/core/context.h"
#include "model/core/names.h"
#include "model/store/cursor.h"
#include "signer/proto/protocol.h"

/* "Not given": no request value can be this (JSON integers are bounded to
 * +-1e9 when read, query values are digits). */
#define CA_FIELD_UNSET LONG_MIN
#define CA_MAX_LOCATIONS 16

/* Each enum below has its name pair x_name() ("unknown" outside the enum)
 * and x_parse() (false for a name it does not know): the names are those
 * of the columns of cas and ca_locations and of the API. */
enum ca_kind { CA_KIND_ROOT, CA_KIND_SUBORDINATE };
EDGECA_NAMES_DECLARE(ca_kind, enum ca_kind);

/* A CA is active while one of its locations is; disabled is in the
 * schema, edgeca never sets it. */
enum ca_status { CA_STATUS_ACTIVE, CA_STATUS_PENDING_CHAINING, CA_STATUS_DISABLED,
                 CA_STATUS_REVOKED };
EDGECA_NAMES_DECLARE(ca_status, enum ca_status);

enum ca_location_status { LOCATION_ACTIVE, LOCATION_PENDING_CHAINING, LOCATION_REVOKED };
EDGECA_NAMES_DECLARE(ca_location_status, enum ca_location_status);

/* How a CA's certificates are signed: self (a root), by an internal
 * parent, by an external one, or pending (not yet chained). */
enum ca_chaining { CA_CHAINING_SELF, CA_CHAINING_INTERNAL, CA_CHAINING_EXTERNAL,
                   CA_CHAINING_PENDING };
EDGECA_NAMES_DECLARE(ca_chaining, enum ca_chaining);

/* What edgeca does when a CA nears its end: notify only, or also renew
 * it (never a root). */
enum ca_lifecycle_action { CA_ACTION_NOTIFY, CA_ACTION_AUTO_RENEW };
EDGECA_NAMES_DECLARE(ca_lifecycle_action, enum ca_lifecycle_action);

/* A certificate a location had before a renewal replaced it. */
struct ca_prev_cert {
	int generation;
	char serial[SERIAL_HEX_MAX];
	time_t not_before;
	time_t not_after;
	unsigned char *der;
	size_t der_len;
};

/* A renewal of an externally chained location waiting for its
 * certificate: the new signer key and its CSR. */
struct ca_renewal {
	char key_id[SIGNER_KEY_ID_BYTES];         /* "" when none is pending */
	unsigned char *csr_der;
	size_t csr_len;
	time_t requested_at;
	char requested_by[ACTOR_BYTES];
};

/* Why, when and by whom a CA location was revoked; reason "" when it is
 * not. revoked_by is "" for a revocation recorded before edgeca kept it
 * and no audit row names. */
struct ca_revocation {
	char reason[32];
	time_t revoked_at;
	char revoked_by[ACTOR_BYTES];
};

struct ca_location {
	char name[64];
	enum ca_location_status status;
	char key_id[SIGNER_KEY_ID_BYTES];
	unsigned char *cert_der;
	size_t cert_len;
	char serial[SERIAL_HEX_MAX];
	time_t not_before;
	time_t not_after;
	unsigned char *csr_der;  /* the request for this location's certificate, or NULL */
	size_t csr_len;
	char *chain_pem;         /* the certificates above cert_der, PEM; "" for a root */
	char parent_location[64]; /* internal chaining: the parent's location that signed */
	int generation;           /* of the key: 1 for the first, +1 per renewal */
	struct ca_prev_cert *previous; /* newest first; only in API reads (ca_get, ...) */
	size_t n_previous;
	struct ca_renewal renewal;    /* external chaining: the pending renewal, if any */
	struct ca_revocation revocation; /* set when status is revoked */
};

/* A bootstrap trust anchor of a CA's EST service (summary; the DER is
 * read by EST authentication only). */
struct ca_est_anchor {
	char sha256[SHA256_HEX_BYTES]; /* hex of the certificate's SHA-256 */
	char *subject;
	time_t not_after;
	unsigned char *der; /* NULL unless read for authentication or just given */
	size_t der_len;
};

#define EST_LABEL_MAX 32
#define EST_USERNAME_MAX 64
#define EST_MAX_ANCHORS 16

/* How a CA serves EST (RFC 7030). */
struct ca_est {
	bool enabled;
	char label[EST_LABEL_MAX + 1];  /* "" when none */
	bool is_default;                /* served at /.well-known/est/ without a label */
	char template[32];
	int validity_days;              /* 0: the CA's max_validity_days */
	char subject_policy[24];        /* match_client_cert or any */
	char key_algorithm[16];         /* "" any; else required of CSRs */
	char basic_username[EST_USERNAME_MAX * 4 + 1]; /* "" when none */
	char *basic_password_hash;      /* NULL when none; never shown */
	bool require_pop_linking;       /* CSRs must carry the TLS channel binding (RFC 7030 3.5) */
	struct ca_est_anchor *anchors;
	size_t n_anchors;
};

struct ca {
	char id[UUID_TEXT_BYTES];
	long long seq;
	enum ca_kind kind;
	enum ca_status status;
	enum ca_chaining chaining;
	char parent_ca_id[UUID_TEXT_BYTES];   /* "" unless chained to an internal parent */
	char *common_name;
	char *friendly_name;
	char *organization;        /* NULL when absent */
	char *organizational_unit; /* NULL when absent */
	char *country;             /* NULL when absent */
	char *subject;
	char key_algorithm[16];
	/* lifecycle */
	char **notification_emails; /* NULL-terminated */
	enum ca_lifecycle_action lifecycle_action;
	int threshold_percent;
	char *webhook_url;        /* NULL when none */
	char *new_webhook_secret; /* only in the answer that set the URL: shown once */
	/* crl */
	bool crl_enabled;
	int crl_validity_days;
	int crl_overlap_hours;
	char *crl_distribution_point; /* NULL: edgeca's own URL */
	/* ocsp */
	bool ocsp_enabled;
	int ocsp_validity_seconds;
	bool ocsp_delegated_responder;
	int ocsp_responder_validity_days;
	bool crl_delta_enabled;       /* delta CRLs (needs crl_enabled) */
	int crl_delta_interval_minutes;
	/* issuance */
	char template[32];
	char **allowed_templates; /* NULL-terminated */
	int max_validity_days;
	int path_length; /* -1: none */
	struct name_rules *name_rules; /* issuance.name_rules; NULL: none */
	struct ca_est est;
	struct ca_location *locations;
	size_t n_locations;
	time_t created_at;
	char created_by[ACTOR_BYTES];
	/* while disabled: when, by whom (the audit trail's actor) and why
	 * (NULL: no reason); 0 and "" for a CA disabled with no record of it */
	time_t disabled_at;
	char disabled_by[ACTOR_BYTES];
	char *disabled_reason;
	/* NULL-terminated notes on what an operation that succeeded could not
	 * finish (a first CRL that failed); NULL outside such answers */
	char **warnings;
};

/* EST settings in a creation or update request. Borrowed strings; unset
 * members (NULL, CA_FIELD_UNSET, -1) are left as they are (update) or
 * take their default (creation); the *_null flags ask for the default
 * explicitly (JSON null in an update). */
struct ca_est_req {
	int enabled;                  /* -1, 0, 1 */
	const char *label;
	bool label_null;
	int is_default;               /* -1, 0, 1 */
	const char *template;
	long validity_days;
	bool validity_days_null;
	const char *subject_policy;
	const char *key_algorithm;
	bool key_algorithm_null;
	bool has_basic_auth;          /* basic_auth given (both members) or null */
	const char *basic_username;   /* NULL with has_basic_auth: remove */
	const char *basic_password;
	bool has_anchors;             /* bootstrap_trust given (replaces the list) */
	const char *const *anchors_pem; /* each one or more PEM certificates */
	long n_anchors_pem;
	int require_pop_linking;      /* -1, 0, 1 */
};

void ca_est_req_init(struct ca_est_req *r);

/* OCSP settings in a creation or update request (ocsp): unset members
 * (-1, CA_FIELD_UNSET) stay as they are (update) or take their default
 * (creation: on, 3600 s, no delegated responder, 7 days). */
struct ca_ocsp_req {
	int enabled;
	long validity_seconds;
	int delegated_responder;
	long responder_validity_days;
};

void ca_ocsp_req_init(struct ca_ocsp_req *r);

/* The import form of a creation request: an existing CA's key, sealed
 * by edgeca-signer import-key, and its certificate. Borrowed strings. */
struct ca_import_req {
	const char *key_record;      /* base64 of the sealed key record */
	const char *certificate_pem; /* the CA certificate of that key */
	const char *chain_pem;       /* its issuers up to the anchor; NULL for a root */
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
	const char *webhook_url;
	int crl_enabled; /* -1, 0, 1 */
	long crl_validity_days;
	long crl_overlap_hours;
	const char *crl_distribution_point;
	int crl_delta_enabled; /* -1, 0, 1 */
	long crl_delta_interval_minutes;
	const char *template;
	const char *const *allowed_templates;
	long n_allowed_templates;
	long max_validity_days;
	long path_length;
	/* issuance.name_rules: each list, indexed by enum name_rule_list, NULL
	 * with a count of -1 when absent; has_name_rules when the object is
	 * given (not null) */
	bool has_name_rules;
	const char *const *name_rules[NR_LISTS];
	long n_name_rules[NR_LISTS];
	const char *parent_ca_id;           /* subordinates: chain to this CA at once */
	const char *const *locations;       /* location names; NULL: the default one */
	long n_locations;
	struct ca_est_req est;
	struct ca_ocsp_req ocsp;
	/* NULL: a new key; else adopt this key and certificate (ca_create) */
	const struct ca_import_req *import;
};

void ca_create_req_init(struct ca_create_req *r);

/* Lifecycle settings in an update (PATCH "lifecycle"). Borrowed strings;
 * unset members (NULL, CA_FIELD_UNSET, n_emails -1) stay as they are, the
 * *_null flags (JSON null) reset to the default: no addresses, no
 * webhook, notify, 80 %. */
struct ca_lifecycle_req {
	const char *const *emails;
	long n_emails;
	bool emails_null;
	const char *webhook_url;
	bool webhook_url_null;
	const char *action;
	bool action_null;
	long threshold_percent;
	bool threshold_null;
};

void ca_lifecycle_req_init(struct ca_lifecycle_req *r);

/* A change of a CA's CRL settings (PATCH "crl"): unset members (enabled
 * -1, CA_FIELD_UNSET, NULL distribution point) stay as they are;
 * distribution_point_null goes back to edgeca's own URL. */
struct ca_crl_req {
	int enabled;
	long validity_days;
	long overlap_hours;
	const char *distribution_point;
	bool distribution_point_null;
	int delta_enabled; /* -1: unchanged */
	long delta_interval_minutes;
};

void ca_crl_req_init(struct ca_crl_req *r);

/* Applies req to ca's OCSP settings and checks them (validity_seconds
 * 300..604800, responder_validity_days 1..30). Pure. */
edgeca_err ca_ocsp_apply(const struct ca_ocsp_req *req, struct ca *ca, struct edgeca_msg *msg);

/* Applies req to ca's CRL settings and checks them as at creation. A new
 * validity_days without overlap_hours brings the default overlap for it.
 * Pure. */
edgeca_err ca_crl_apply(const struct ca_crl_req *req, struct ca *ca, struct edgeca_msg *msg);

/* Applies req to ca's lifecycle settings and checks them (addresses, an
 * http(s) URL, the action, which is never auto_renew for a root, the
 * threshold 1..99). Pure. */
edgeca_err ca_lifecycle_apply(const struct ca_lifecycle_req *req, struct ca *ca,
                              struct edgeca_msg *msg);

/* Validates req, applies defaults and fills a new struct ca (no id; its
 * locations named, without keys) and the CA certificate's notAfter, 0 when
 * a subordinate's validity is left to its parent's limits. default_location
 * names the location when req names none. Pure: no I/O. */
edgeca_err ca_settings_resolve(const struct ca_create_req *req, const char *default_location,
                               time_t now, struct ca **out, time_t *not_after,
                               struct edgeca_msg *msg);

/* Creates a CA: new signer keys for its locations, or, with req->import,
 * the imported key and certificate (one location, active: a root when the
 * certificate is self-signed, else chained to an external root; the
 * request's issuance settings must be the key's sealed policy).
 * Returns: EDGECA_OK; INVALID, MALFORMED (the request, the record, the
 * certificate: slugs in openapi/openapi.yaml); CONFLICT (key-in-use,
 * key-id-in-use); the signer's errors. Ownership: *out is the caller's. */
edgeca_err ca_create(struct edgeca_ctx *ctx, const struct principal *who,
                     const struct ca_create_req *req, struct ca **out, struct edgeca_msg *msg);
edgeca_err ca_get(struct edgeca_ctx *ctx, const char *id, struct ca **out,
                  struct edgeca_msg *msg);

struct ca_list {
	struct ca **items;
	size_t n;
	char next_cursor[CURSOR_MAX];
};
/* The CAs who may see (a token limited to CAs: only those), a page of
 * them in creation order after cursor. */
edgeca_err ca_list(struct edgeca_ctx *ctx, const struct principal *who, long limit,
                   const char *cursor, struct ca_list *out, struct edgeca_msg *msg);
void ca_list_free(struct ca_list *l);

void ca_free(struct ca *ca);

/* The location named name, or the first active one when name is NULL;
 * NULL when none matches. */
const struct ca_location *ca_find_location(const struct ca *ca, const char *name);

/* PEM of the chain from this location's CA certificate up to the root
 * (as far as edgeca knows it: an external root's chain is what was
 * uploaded). */
char *ca_chain_pem(const struct ca *ca, const struct ca_location *loc);
/* The same as a DER certs-only PKCS#7 (RFC 5652 SignedData, no signers);
 * *der is malloc'ed. */
edgeca_err ca_chain_pkcs7(const struct ca_location *loc, unsigned char **der, size_t *len,
                          struct edgeca_msg *msg);

/* Chains a subordinate waiting for its certificates to the internal CA
 * parent_id: the parent's signer key signs each location's certificate.
 * Validity as in creation (CA_FIELD_UNSET / has_not_after false: the
 * longest the parent allows, at most 1,825 days). */
edgeca_err ca_chain_to_parent(struct edgeca_ctx *ctx, const struct principal *who,
                              const char *ca_id, const char *parent_id, long validity_days,
                              bool has_not_after, time_t not_after, struct ca **out,
                              struct edgeca_msg *msg);

/* The URLs certificates issued by this location carry: the CRL
 * distribution point (when CRLs are on: the CA's own, or edgeca's under
 * the public PKI URL; else empty) and the issuer certificate (AIA
 * caIssuers, under the public PKI URL). */
void ca_issuer_urls(const struct model_settings *settings, const struct ca *ca,
                    const struct ca_location *loc, char crl_url[PUBLIC_URL_BYTES],
                    char aia_url[PUBLIC_URL_BYTES]);

/* The OCSP URL (AIA id-ad-ocsp) of certificates ca issues: the public
 * PKI URL's /ocsp while OCSP is on for ca, else "". */
void ca_ocsp_url(const struct model_settings *settings, const struct ca *ca,
                 char url[PUBLIC_URL_BYTES]);
/* The Freshest CRL URL certificates issued by this location carry: its
 * key's delta CRL when the CA publishes delta CRLs (whatever its
 * distribution_point), else empty. */
void crl_delta_public_url(const struct model_settings *settings, const struct ca *ca,
                          const struct ca_location *loc, char url[PUBLIC_URL_BYTES]);

bool ca_allows_template(const struct ca *ca, const char *tpl);

/* The pathLenConstraint of ca's certificate as its parent signs it: its
 * path_length when set; else -1 (none) when it may issue CA
 * certificates, 0 when not. */
long ca_child_path_length(const struct ca *child);

/* A new webhook secret: 64 hex characters, used as the HMAC key as is. */
#define CA_WEBHOOK_SECRET_LEN 64
int ca_webhook_secret_new(char out[CA_WEBHOOK_SECRET_LEN + 1]);

/* A condition a change of a CA must meet (an If-Match entity tag):
 * holds() is given the CA as ca_get reads it, under the CA's row lock. */
struct ca_precondition {
	bool (*holds)(const struct ca *current, const void *arg);
	const void *arg;
};

/* PATCH /api/v1/cas/{id}: changes how a CA serves EST (est: members set
 * replace the current values, the anchors list as a whole), its
 * lifecycle settings (lifecycle: a new webhook_url gets a new secret,
 * returned once in (*out)->new_webhook_secret) and its CRL settings
 * (crl: for the CRLs the scheduler makes from now on and the certificates
 * issued from now on), any NULL, in one transaction; each part audited
 * (ca.update_est, ca.update_lifecycle, ca.update_crl, ca.update_ocsp). */
/* pre, when non-NULL, is checked under the CA's row lock before any part
 * is applied (If-Match): a CA it does not hold for is left unchanged.
 * Returns: EDGECA_OK; EDGECA_ERR_PRECONDITION (precondition-failed);
 * NOT_FOUND (ca-not-found); INVALID, CONFLICT with msg set. */
edgeca_err ca_update(struct edgeca_ctx *ctx, const struct principal *who, const char *ca_id,
                     const struct ca_est_req *est, const struct ca_lifecycle_req *lifecycle,
                     const struct ca_crl_req *crl, const struct ca_ocsp_req *ocsp,
                     const struct ca_precondition *pre, struct ca **out,
                     struct edgeca_msg *msg);

#define EST_URL_MAX 1200
/* The EST base URL devices are configured with, ending in
 * /.well-known/est: of a location, of the CA's label ("" when it has
 * none) and the unlabelled one ("" unless the CA is the default). */
void ca_est_url(const struct model_settings *settings, const struct ca *ca,
                const struct ca_location *loc, char url[EST_URL_MAX]);
void ca_est_label_url(const struct model_settings *settings, const struct ca *ca,
                      char url[EST_URL_MAX]);
void ca_est_default_url(const struct model_settings *settings, const struct ca *ca,
                        char url[EST_URL_MAX]);

#endif
