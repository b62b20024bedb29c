/* Issued certificates: issuance from a CSR under a CA's policy (the signer
 * builds and signs; the certificate is returned only once it is committed
 * together with its audit row), reading and listing; revocation is in
 * model/revoke/revocation.h. */
#ifndef EDGECA_MODEL_CERTIFICATE_H
#define EDGECA_MODEL_CERTIFICATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "common/encoding.h"
#include "common/x509util.h"
#include "model/auth/principal.h"
#include "model/ca/ca.h"
#include "model/core/context.h"
#include "model/store/cursor.h"
#include "signer/proto/protocol.h"

/* Why and when a certificate was revoked; reason "" when it is not. */
struct cert_revocation {
	char reason[32];          /* RFC 5280 name, e.g. keyCompromise */
	time_t revoked_at;
	time_t invalidity_date;   /* 0: none given */
	char revoked_by[ACTOR_BYTES];
};

/* A certificate's status as the API shows it: revoked, else
 * issuer_revoked (its issuing location or CA is), else expired, else
 * valid. cert_status_name() gives "unknown" outside the enum,
 * cert_status_parse() false for a name it does not know. */
enum cert_status { CERT_VALID, CERT_REVOKED, CERT_ISSUER_REVOKED, CERT_EXPIRED };
EDGECA_NAMES_DECLARE(cert_status, enum cert_status);

struct certificate {
	long long id;
	char ca_id[UUID_TEXT_BYTES];
	char location[64];
	char issuer_key_id[SIGNER_KEY_ID_BYTES]; /* the signer key that signed it (stored, not shown) */
	char serial[SERIAL_HEX_MAX];
	char *subject;
	char *common_name;  /* NULL when the subject has none */
	char **sans;        /* NULL-terminated, "DNS:x" / "IP:y" */
	char key_algorithm[80];
	char template[32];
	enum cert_status status;
	time_t not_before;
	time_t not_after;
	time_t created_at;
	char requester[ACTOR_BYTES];
	unsigned char *der; /* NULL in list results */
	size_t der_len;
	char *chain_pem;    /* issuer chain; set by cert_issue and cert_get */
	char **warnings;    /* NULL-terminated notes on issuance, e.g. shortened validity */
	struct cert_revocation revocation;
	/* the revocation of the location that issued it (all of its keys,
	 * current and previous, or its whole CA); reason "" when none */
	struct ca_revocation issuer_revocation;
};

struct cert_issue_req {
	const unsigned char *csr; /* PEM or DER */
	size_t csr_len;
	const char *template;     /* NULL: the CA's default */
	long validity_days;       /* CA_FIELD_UNSET when not given */
	bool has_not_after;
	time_t not_after;
	const char *location;     /* NULL: the first active location */
	/* Signing an external subordinate CA's CSR (pki_admin, checked by its
	 * route): template subordinate_ca, always with path_length (0..16),
	 * audited as ca.sign_subordinate. */
	bool subordinate;
	long path_length;         /* CA_FIELD_UNSET when not given */
};

void cert_issue_req_init(struct cert_issue_req *r);

/* Issues a certificate for a CSR under the CA's policy and stores it: the
 * template who may have (issue_authorize), or for req->subordinate the
 * subordinate_ca template with req->path_length (issue_subordinate_rule).
 * Returns: EDGECA_OK; the errors of those rules, of the CA's state
 * (issue_location), of the validity (cert_resolve_validity) and of the
 * signer; EDGECA_ERR_CONFLICT when the CA or location is revoked while the
 * signer signs (nothing is stored).
 * Ownership: *out is the caller's (cert_free).
 * Locks: none while the signer signs; the location's row FOR KEY SHARE
 * while the certificate is stored. */
edgeca_err cert_issue(struct edgeca_ctx *ctx, const struct principal *who, const char *ca_id,
                      const struct cert_issue_req *req, struct certificate **out,
                      struct edgeca_msg *msg);

edgeca_err cert_get(struct edgeca_ctx *ctx, const char *ca_id, const char *serial,
                    struct certificate **out, struct edgeca_msg *msg);

struct cert_filter {
	const char *status;       /* a cert_status name, or NULL; cert_list checks it */
	const char *common_name;  /* exact match or NULL */
	bool has_expires_before;
	time_t expires_before;
};

struct cert_list {
	struct certificate **items;
	size_t n;
	char next_cursor[CURSOR_MAX];
};

edgeca_err cert_list(struct edgeca_ctx *ctx, const char *ca_id, const struct cert_filter *f,
                     long limit, const char *cursor, struct cert_list *out,
                     struct edgeca_msg *msg);
void cert_list_free(struct cert_list *l);
void cert_free(struct certificate *c);

/* Decides notAfter for a request: the given days or date, or the CA's
 * maximum shortened to the issuer's remaining lifetime (warning set).
 * Pure: no I/O. */
edgeca_err cert_resolve_validity(const struct cert_issue_req *req, int max_validity_days,
                                 time_t issuer_not_after, time_t now, time_t *not_after,
                                 char *warning, size_t warning_len, struct edgeca_msg *msg);

#endif
