/* The OCSP responder (RFC 6960, RFC 5019 for GET): request parsing with
 * hard limits, the issuer found by its CertID hashes among the CA
 * location keys, status from the certificates table, the ResponseData
 * built here and signed by the signer, and the cache of nonce-less
 * answers and of the statuses behind nonce answers, with their
 * invalidation. Called by api/pki (requests), by
 * model/revoke (invalidation) and by server/ (the cache's life, the
 * LISTEN connection). Reads cas, ca_locations, ca_location_history and
 * certificates; writes no table. */
#ifndef EDGECA_MODEL_OCSP_H
#define EDGECA_MODEL_OCSP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "model/core/context.h"
#include "model/store/db.h"
#include "signer/proto/protocol.h"

/* A request over this is malformedRequest (POST body or decoded GET). */
#define OCSP_REQUEST_MAX 4096
/* More entries in one request are malformedRequest. */
#define OCSP_MAX_ENTRIES 20
/* RFC 8954: a nonce of 1..32 octets; longer is malformedRequest. */
#define OCSP_NONCE_MAX 32
#define OCSP_CACHE_DEFAULT_ENTRIES 100000
/* The NOTIFY channel revocations signal on. */
#define OCSP_CHANNEL "edgeca_ocsp"

/* OCSPResponseStatus */
enum ocsp_status {
	OCSP_SUCCESSFUL = 0,
	OCSP_MALFORMED = 1,
	OCSP_INTERNAL_ERROR = 2,
	OCSP_TRY_LATER = 3,
	OCSP_UNAUTHORIZED = 6,
};

/* An encoded OCSPResponse, immutable once made and shared by reference
 * between the cache and the answers in flight: whoever holds one calls
 * ocsp_answer_release once. */
struct ocsp_answer {
	atomic_int refs;
	enum ocsp_status status;
	bool cacheable;      /* nonce-less and successful: RFC 5019 caching headers */
	time_t this_update;  /* cacheable only */
	time_t next_update;
	char etag[68];       /* "\"<hex SHA-256 of der>\"", cacheable only */
	size_t len;
	unsigned char der[];
};

void ocsp_answer_release(struct ocsp_answer *a);
/* Takes one more reference and returns a. */
struct ocsp_answer *ocsp_answer_ref(struct ocsp_answer *a);

/* One entry of a parsed request. */
struct ocsp_certid {
	int hash_nid;                /* NID_sha1, NID_sha256, NID_sha384, NID_sha512; 0 other */
	const unsigned char *der;    /* the CertID's DER inside the request */
	size_t der_len;
	const unsigned char *name_hash;
	size_t name_hash_len;
	const unsigned char *key_hash;
	size_t key_hash_len;
	char serial[SERIAL_HEX_MAX]; /* "" when negative or too long: never issued */
};

struct ocsp_request {
	struct ocsp_certid ids[OCSP_MAX_ENTRIES];
	size_t n;
	bool has_nonce;
	unsigned char nonce_ext[OCSP_NONCE_MAX + 2]; /* extnValue: OCTET STRING of 1..32 */
	size_t nonce_ext_len;
};

/* Parses der (borrowed; ids point into it): size and entry limits first,
 * strict DER, then OpenSSL's decoder. A signed request is accepted, its
 * signature not checked. Returns OCSP_SUCCESSFUL or OCSP_MALFORMED. Pure. */
enum ocsp_status ocsp_request_parse(const unsigned char *der, size_t len,
                                    struct ocsp_request *out);

/* The CertID of a request with one entry and nothing else (no nonce, no
 * extensions, no signature), found by walking the DER headers only: the
 * cache's key. Returns false when der is not such a request. Pure. */
bool ocsp_request_single_certid(const unsigned char *der, size_t len,
                                const unsigned char **certid, size_t *certid_len);

enum ocsp_cert_status { OCSP_CERT_GOOD, OCSP_CERT_REVOKED, OCSP_CERT_UNKNOWN };

/* What a SingleResponse says. */
struct ocsp_single {
	const struct ocsp_certid *id;
	enum ocsp_cert_status status;
	time_t revoked_at;
	int reason; /* CRLReason, -1 none */
};

/* What PostgreSQL said about one certificate of a CA key (status,
 * revoked_at, reason) or about the CA's OCSP settings (enabled,
 * delegated, validity): what a freshly signed answer is built from. */
struct ocsp_known {
	enum ocsp_cert_status status;
	time_t revoked_at;
	int reason;
	bool enabled, delegated;
	int validity;
};

/* The DER ResponseData: responderID byKey (SHA-1 key_hash), producedAt
 * now, one SingleResponse per single (thisUpdate now, nextUpdate
 * next_update), the nonce when the request had one. Returns 0 or -1 (out
 * of memory). Pure. */
int ocsp_response_data(const unsigned char key_hash[20], time_t now, time_t next_update,
                       const struct ocsp_single *singles, size_t n,
                       const struct ocsp_request *req, struct buf *out);

/* An OCSPResponse: status alone, or successful with the DER
 * BasicOCSPResponse basic. NULL when out of memory. */
struct ocsp_answer *ocsp_answer_new(enum ocsp_status status, const unsigned char *basic,
                                    size_t basic_len);

/* The cache of nonce-less answers, keyed by the CertID's DER, bounded
 * (clock eviction), read-mostly (sharded rwlocks). */
struct ocsp_cache;

struct ocsp_cache *ocsp_cache_new(size_t entries);
void ocsp_cache_free(struct ocsp_cache *c);
/* The answer for certid, a reference the caller releases, or NULL when
 * none is fresh at now (older than half its validity counts as none, so
 * that it is signed again; past nextUpdate it is never served). */
struct ocsp_answer *ocsp_cache_get(struct ocsp_cache *c, const unsigned char *certid,
                                   size_t certid_len, time_t now);
/* The generation of the cache's content: taken before reading a status,
 * given to ocsp_cache_put, which then stores nothing if anything was
 * forgotten in between (the status read may be older than the
 * revocation). */
unsigned long ocsp_cache_epoch(struct ocsp_cache *c);
void ocsp_cache_put(struct ocsp_cache *c, unsigned long epoch, const unsigned char *certid,
                    size_t certid_len, const char *key_id, const char *serial,
                    struct ocsp_answer *a);
/* Drops the answers about one certificate of the CA key key_id, every
 * answer of that key, or all. c may be NULL (no cache). */
void ocsp_cache_forget(struct ocsp_cache *c, const char *key_id, const char *serial);
void ocsp_cache_forget_key(struct ocsp_cache *c, const char *key_id);
void ocsp_cache_flush(struct ocsp_cache *c);
/* A notification's payload: "<key id> <serial>", "<key id>" or "*". */
void ocsp_cache_forget_payload(struct ocsp_cache *c, const char *payload);
size_t ocsp_cache_count(struct ocsp_cache *c);
/* The statuses of every entry of req under the CA key key_id and the
 * CA's OCSP settings (into *ca: enabled, delegated, validity), as last
 * read from PostgreSQL: true when all are known (singles filled, a
 * nonce answer needs no database), false when they must be read. */
bool ocsp_cache_known(struct ocsp_cache *c, const char *key_id, const struct ocsp_request *req,
                      struct ocsp_known *ca, struct ocsp_single *singles);
/* Remembers what PostgreSQL said, unless anything was forgotten since
 * epoch (as ocsp_cache_put): the CA's settings and the good and revoked
 * statuses; never unknown (the serial may be issued later). Forgotten
 * with the answers (ocsp_cache_forget*, flush, set_enabled). */
void ocsp_cache_put_known(struct ocsp_cache *c, unsigned long epoch, const char *key_id,
                          const struct ocsp_known *ca, const struct ocsp_single *singles,
                          size_t n);
size_t ocsp_cache_known_count(struct ocsp_cache *c);
/* Off: nothing is served or stored (while the LISTEN connection is
 * down, revocations elsewhere would go unheard). Either way the cache
 * is emptied. */
void ocsp_cache_set_enabled(struct ocsp_cache *c, bool on);

/* Inside a revocation's transaction: NOTIFY edgeca_ocsp with
 * "<key_id> <serial>" (serial NULL: the whole key; key_id NULL: "*"),
 * delivered to every server's LISTEN connection at the commit. */
edgeca_err ocsp_notify(PGconn *c, const char *key_id, const char *serial,
                       struct edgeca_msg *msg);

/* The issuers edgeca answers for: every CA location key (all
 * generations) with the hashes of its subject and key. */
struct ocsp_issuers;

struct ocsp_issuers *ocsp_issuers_new(void);
void ocsp_issuers_free(struct ocsp_issuers *ix);

struct ocsp_issuer {
	char key_id[SIGNER_KEY_ID_BYTES];
	char ca_id[40];
	unsigned char sha1_key[20]; /* also the responderID byKey */
};

/* Finds the key whose subject and key hashes are id's, reading the keys
 * again from the database when none matches and the last read is older
 * than a second. Returns EDGECA_OK (*found tells), or a database error. */
edgeca_err ocsp_issuers_find(struct ocsp_issuers *ix, struct db_pool *db,
                             const struct ocsp_certid *id, struct ocsp_issuer *out, bool *found,
                             struct edgeca_msg *msg);

/* A CA key's delegated responder: its signer key and the SHA-1 of its
 * public key (the responderID). */
struct ocsp_responder {
	char key_id[SIGNER_KEY_ID_BYTES];
	unsigned char sha1_key[20];
	time_t fresh_until; /* then it is due for renewal */
};

/* The responder of the CA key issuer_key_id, made (key, certificate,
 * audited ocsp.responder_issue) when it has none or the one it has is
 * in the last third of its life. Holds a connection across the signer
 * calls; one server at a time per key (advisory lock). */
edgeca_err ocsp_responder_get(struct edgeca_ctx *ctx, const char *issuer_key_id,
                              struct ocsp_responder *out, struct edgeca_msg *msg);
/* The scheduler's job: renews the responders of CAs that still use them
 * when a third of their life is left; *renewed counts them. */
edgeca_err ocsp_responders_renew_due(struct edgeca_ctx *ctx, size_t *renewed,
                                     struct edgeca_msg *msg);

/* The responder of key_id remembered by this process while it is fresh
 * (false when none is), and remembering one. */
bool ocsp_issuers_responder(struct ocsp_issuers *ix, const char *key_id, time_t now,
                            struct ocsp_responder *out);
void ocsp_issuers_set_responder(struct ocsp_issuers *ix, const char *key_id,
                                const struct ocsp_responder *r);

/* Answers one DER request: from the cache when it may, else looked up,
 * built and signed. Never NULL but out of memory; errors are answers
 * (malformedRequest, unauthorized, tryLater, internalError). */
struct ocsp_answer *ocsp_respond(struct edgeca_ctx *ctx, const unsigned char *der, size_t len);
/* The cached answer to a nonce-less single request, found by walking
 * its DER headers only, or NULL (then ocsp_respond). */
struct ocsp_answer *ocsp_respond_cached(struct edgeca_ctx *ctx, const unsigned char *der,
                                        size_t len);

#endif
