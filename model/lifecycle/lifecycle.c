#include "model/lifecycle/lifecycle.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/timeutil.h"
#include "common/x509util.h"

#define BACKOFF_MAX_MS (6LL * 3600 * 1000)

static const char *const kind_names[] = {
	[NOTIFY_THRESHOLD_REACHED] = "threshold_reached",
	[NOTIFY_REMINDER_90] = "reminder_90",
	[NOTIFY_REMINDER_95] = "reminder_95",
	[NOTIFY_REMINDER_99] = "reminder_99",
	[NOTIFY_EXPIRED] = "expired",
	[NOTIFY_RENEWED] = "renewed",
	[NOTIFY_RENEWAL_FAILED] = "renewal_failed",
	[NOTIFY_RENEWAL_REQUESTED] = "renewal_requested",
	[NOTIFY_CRL_GENERATION_FAILED] = "crl_generation_failed",
	[NOTIFY_ISSUANCE_SHORTENED] = "issuance_shortened"};
static const char *const channel_names[] = {[CHANNEL_EMAIL] = "email",
                                            [CHANNEL_WEBHOOK] = "webhook"};
static const char *const state_names[] = {
	[DELIVERY_PENDING] = "pending", [DELIVERY_SENDING] = "sending",
	[DELIVERY_DELIVERED] = "delivered", [DELIVERY_FAILED] = "failed",
	[DELIVERY_NOT_CONFIGURED] = "not_configured"};

EDGECA_NAMES(notification_kind, enum notification_kind, kind_names)
EDGECA_NAMES(delivery_channel, enum delivery_channel, channel_names)
EDGECA_NAMES(delivery_state, enum delivery_state, state_names)

void
notice_free(struct notice *n)
{
	if (n == NULL)
		return;
	strv_free(n->recipients);
	free(n->url);
	free(n->ca_name);
	free(n->subject);
	free(n->error);
	free(n->csr_pem);
	free(n->sealed_secret);
	memset(n, 0, sizeof(*n));
}

bool
lifecycle_issuance_shortened(time_t not_before, time_t not_after, int max_validity_days,
                             time_t now, time_t *due_at)
{
	const time_t max = (time_t)max_validity_days * 86400;

	*due_at = not_after - max;
	return max_validity_days > 0 && not_after - not_before > max && now >= not_after - max &&
	       now < not_after;
}

bool
lifecycle_due_kind(time_t not_before, time_t not_after, int threshold_percent, time_t now,
                   enum notification_kind *kind, time_t *due_at)
{
	static const struct {
		enum notification_kind kind;
		int percent;
	} steps[] = {{NOTIFY_EXPIRED, 100}, {NOTIFY_REMINDER_99, 99}, {NOTIFY_REMINDER_95, 95},
	             {NOTIFY_REMINDER_90, 90}};
	long double life = (long double)not_after - (long double)not_before;
	time_t at;

	*due_at = 0;
	if (not_after <= not_before)
		return false;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (steps[i].percent <= threshold_percent)
			break;
		at = not_before + (time_t)(life * steps[i].percent / 100);
		if (now >= at) {
			*due_at = at;
			*kind = steps[i].kind;
			return true;
		}
	}
	at = not_before + (time_t)(life * threshold_percent / 100);
	if (now >= at) {
		*due_at = at;
		*kind = NOTIFY_THRESHOLD_REACHED;
		return true;
	}
	return false;
}

long long
lifecycle_backoff_ms(unsigned base_ms, int attempts)
{
	long long d = base_ms;

	for (int i = 1; i < attempts && d < BACKOFF_MAX_MS; i++)
		d *= 2;
	return d < BACKOFF_MAX_MS ? d : BACKOFF_MAX_MS;
}

int
lifecycle_signature(const char *secret, time_t t, const unsigned char *body, size_t len,
                    char out[LIFECYCLE_SIGNATURE_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	struct buf signed_text = {0};
	int rc = -1;

	/* "<t>.<body>": the dot ends the digits, so no other time and body
	 * make the same bytes */
	if (t < 0 || buf_printf(&signed_text, "%lld.", (long long)t) != 0 ||
	    buf_append(&signed_text, body, len) != 0 ||
	    HMAC(EVP_sha256(), secret, (int)strlen(secret), signed_text.data, signed_text.len, md,
	         &md_len) == NULL ||
	    md_len != 32)
		goto out;
	snprintf(out, LIFECYCLE_SIGNATURE_LEN, "t=%lld,v1=", (long long)t);
	hex_encode(md, md_len, out + strlen(out));
	rc = 0;
out:
	OPENSSL_cleanse(md, sizeof(md));
	buf_free(&signed_text);
	return rc;
}

static json_t *
time_json(time_t t)
{
	char s[RFC3339_LEN];

	rfc3339_format(t, s);
	return json_string(s);
}

char *
lifecycle_event_json(const struct notice *n)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "id",
	                      n->notification_id, "kind", notification_kind_name(n->kind),
	                      "ca_id", n->ca_id, "ca_name", n->ca_name, "location", n->location,
	                      "subject", n->subject,
	                      "not_after", time_json(n->not_after), "due_at", time_json(n->due_at),
	                      "created_at", time_json(n->created_at));
	char *s = NULL;

	/* what a CRL failure adds: the key, the error and the CRL served */
	if (j != NULL && n->error != NULL &&
	    (json_object_set_new(j, "generation", json_integer(n->generation)) != 0 ||
	     json_object_set_new(j, "error", json_string(n->error)) != 0 ||
	     json_object_set_new(j, "crl_next_update", n->crl_next_update
	                                                   ? time_json(n->crl_next_update)
	                                                   : json_null()) != 0))
		goto out;
	/* a renewal_requested event carries the CSR to be signed */
	if (j != NULL && n->csr_pem != NULL &&
	    json_object_set_new(j, "csr", json_string(n->csr_pem)) != 0)
		goto out;
	s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
out:
	json_decref(j);
	return s;
}

/* What happened, in one sentence. */
static void
what_happened(const struct notice *n, char *out, size_t len)
{
	const char *kind = notification_kind_name(n->kind);

	switch (n->kind) {
	case NOTIFY_EXPIRED:
		snprintf(out, len, "has EXPIRED: it can no longer issue certificates that verify");
		break;
	case NOTIFY_RENEWED:
		snprintf(out, len, "was RENEWED automatically: a new key and certificate replace "
		         "the one below");
		break;
	case NOTIFY_RENEWAL_FAILED:
		snprintf(out, len, "could NOT be renewed automatically");
		break;
	case NOTIFY_CRL_GENERATION_FAILED:
		snprintf(out, len, "could NOT publish a new CRL for its key of generation %d",
		         n->generation);
		break;
	case NOTIFY_RENEWAL_REQUESTED:
		snprintf(out, len, "is being RENEWED: the CSR of its new key waits to be signed by "
		         "the external root");
		break;
	case NOTIFY_ISSUANCE_SHORTENED:
		snprintf(out, len, "can no longer issue certificates of the CA's full "
		         "max_validity_days: a certificate may not outlive its issuer, so every one "
		         "it issues from now on ends at its notAfter");
		break;
	case NOTIFY_THRESHOLD_REACHED:
		snprintf(out, len, "has reached %d %% of its lifetime, the threshold set for it",
		         n->threshold_percent);
		break;
	case NOTIFY_REMINDER_90:
	case NOTIFY_REMINDER_95:
	case NOTIFY_REMINDER_99:
		/* the percentage is the name's: reminder_90 */
		snprintf(out, len, "has reached %s %% of its lifetime", kind + strlen("reminder_"));
		break;
	default:
		snprintf(out, len, "has a lifecycle event (%s)", kind);
		break;
	}
}

/* The body of a crl_generation_failed e-mail after its first sentence:
 * the key, the error, when relying parties start to reject, what to do. */
static int
crl_failure_text(struct buf *b, const struct notice *n, const char *since)
{
	char next[RFC3339_LEN];
	int rc = 0;

	rc |= buf_printf(b, "  Subject:   %s\r\n  Key:       generation %d of location %s\r\n"
	                    "  Error:     %s\r\n  Since:     %s\r\n  Event:     %s (id %s)\r\n\r\n",
	                 n->subject, n->generation, n->location, n->error ? n->error : "unknown",
	                 since, notification_kind_name(n->kind), n->notification_id);
	if (n->crl_next_update != 0) {
		rfc3339_format(n->crl_next_update, next);
		rc |= buf_printf(b, "The CRL this key publishes now has nextUpdate %s: relying "
		                    "parties that check CRLs reject the certificates of this key "
		                    "after that time unless a new CRL is published; a certificate "
		                    "revoked since that CRL is not on it.\r\n\r\n", next);
	} else {
		rc |= buf_printf(b, "This key has no CRL yet: relying parties that require one "
		                    "reject the certificates of this key until one is "
		                    "published.\r\n\r\n");
	}
	rc |= buf_printf(b, "What edgeca does: the scheduler keeps trying (about once a "
	                    "minute) and publishes the CRL as soon as it can; this incident is "
	                    "not notified again (a new one is, after a CRL of this key has been "
	                    "published).\r\n");
	rc |= buf_printf(b, "What you must do: check that the signer (edgeca-signer) runs and "
	                    "read the logs of edgeca-server and edgeca-signer for the error "
	                    "above; once fixed, POST /api/v1/cas/%s/crl with "
	                    "{\"location\": \"%s\"} makes the location's current CRL at once "
	                    "(the scheduler makes those of previous keys).\r\n",
	                 n->ca_id, n->location);
	return rc;
}

/* What a renewal_requested e-mail asks for, with the CSR (CRLF lines). */
static int
renewal_request_text(struct buf *b, const struct notice *n)
{
	const char *csr = n->csr_pem ? n->csr_pem : "";
	int rc = 0;

	rc |= buf_printf(b, "What edgeca did: the signer made a new key for this location and a "
	                    "CSR for it with the CA's subject. The location keeps issuing with "
	                    "its current key and certificate until the new certificate is "
	                    "uploaded.\r\n\r\n");
	rc |= buf_printf(b, "What you must do: have the external root sign the CSR below as a CA "
	                    "certificate (basicConstraints CA:TRUE, keyUsage keyCertSign) with "
	                    "the same subject, before the notAfter above. The CSR is also at\r\n"
	                    "  GET /api/v1/cas/%s/locations/%s/csr\r\n"
	                    "Upload the signed certificate, optionally followed by its issuer "
	                    "chain (Content-Type: application/pem-certificate-chain), to\r\n"
	                    "  POST /api/v1/cas/%s/locations/%s/certificate\r\n"
	                    "Certificates issued before keep verifying with the current "
	                    "certificate.\r\n\r\n", n->ca_id, n->location, n->ca_id, n->location);
	while (*csr != '\0') {
		size_t line = strcspn(csr, "\r\n");
		if (line > 0)
			rc |= buf_printf(b, "%.*s\r\n", (int)line, csr);
		csr += line;
		csr += strspn(csr, "\r\n");
	}
	return rc;
}

/* The Subject header: RFC 2047 encoded when it is not plain ASCII. */
static int
subject_header(struct buf *b, const char *text)
{
	char *enc;
	int rc;

	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if (*p >= 0x80) {
			if ((enc = base64_encode((const unsigned char *)text, strlen(text), 0)) == NULL)
				return -1;
			rc = buf_printf(b, "Subject: =?UTF-8?B?%s?=\r\n", enc);
			free(enc);
			return rc;
		}
	return buf_printf(b, "Subject: %s\r\n", text);
}

char *
lifecycle_email(const struct notice *n, const char *from, time_t now)
{
	char na[RFC3339_LEN], due[RFC3339_LEN], happened[256], subject[512], date[64];
	const bool root = n->ca_kind == CA_KIND_ROOT;
	const bool auto_renew = n->action == CA_ACTION_AUTO_RENEW && !n->ca_disabled;
	const bool renew_held = n->action == CA_ACTION_AUTO_RENEW && n->ca_disabled;
	struct buf b = {0};
	struct tm tm;
	int rc = 0;

	rfc3339_format(n->not_after, na);
	rfc3339_format(n->due_at, due);
	what_happened(n, happened, sizeof(happened));
	snprintf(subject, sizeof(subject), "[edgeca] CA \"%s\" location %s %s", n->ca_name,
	         n->location,
	         n->kind == NOTIFY_EXPIRED                 ? "has expired"
	         : n->kind == NOTIFY_RENEWED               ? "was renewed"
	         : n->kind == NOTIFY_RENEWAL_FAILED        ? "could not be renewed"
	         : n->kind == NOTIFY_CRL_GENERATION_FAILED ? "could not publish its CRL"
	         : n->kind == NOTIFY_RENEWAL_REQUESTED     ? "waits for its renewed certificate"
	         : n->kind == NOTIFY_ISSUANCE_SHORTENED    ? "issues shortened certificates"
	                                                   : "expires soon");
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm) == 0)
		return NULL;
	rc |= buf_printf(&b, "From: %s\r\nTo: ", from);
	for (size_t i = 0; n->recipients && n->recipients[i]; i++)
		rc |= buf_printf(&b, "%s%s", i ? ", " : "", n->recipients[i]);
	rc |= buf_printf(&b, "\r\nDate: %s\r\nMessage-ID: <%s.%s@edgeca>\r\n", date,
	                 n->notification_id, delivery_channel_name(n->channel));
	rc |= subject_header(&b, subject);
	rc |= buf_printf(&b, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
	                     "Content-Transfer-Encoding: 8bit\r\n\r\n");
	rc |= buf_printf(&b, "The %s CA \"%s\" (id %s), location %s, %s.\r\n\r\n",
	                 root ? "root" : "subordinate", n->ca_name, n->ca_id, n->location, happened);
	if (n->kind == NOTIFY_CRL_GENERATION_FAILED) {
		/* about a key's CRL, not the certificate's lifetime */
		rc |= crl_failure_text(&b, n, due);
		goto out;
	}
	rc |= buf_printf(&b, "  Subject:   %s\r\n  notAfter:  %s\r\n  Due at:    %s\r\n"
	                     "  Event:     %s (id %s)\r\n\r\n", n->subject, na, due,
	                 notification_kind_name(n->kind),
	                 n->notification_id);
	if (n->kind == NOTIFY_RENEWED) {
		rc |= buf_printf(&b, "What edgeca did: the location now issues with a new key and a "
		                     "new certificate signed by the parent CA (see GET "
		                     "/api/v1/cas/%s); the certificate above stays valid until its "
		                     "notAfter and its key keeps publishing its CRL.\r\n", n->ca_id);
		rc |= buf_printf(&b, "What you must do: nothing, unless relying parties pin the CA "
		                     "certificate: give them the new chain.\r\n");
	} else if (n->kind == NOTIFY_RENEWAL_FAILED) {
		rc |= buf_printf(&b, "What edgeca does: it tries again at every lifecycle pass; the "
		                     "server log says why it failed (e.g. the parent CA expires "
		                     "first).\r\n");
		rc |= buf_printf(&b, "What you must do: fix the cause (often: renew the parent CA) "
		                     "or renew by hand with POST /api/v1/cas/%s/renew before the "
		                     "notAfter above.\r\n", n->ca_id);
	} else if (n->kind == NOTIFY_RENEWAL_REQUESTED) {
		rc |= renewal_request_text(&b, n);
	} else if (n->kind == NOTIFY_ISSUANCE_SHORTENED) {
		rc |= buf_printf(&b, "What edgeca does: %s, each certificate ending at "
		                     "the notAfter above (requests for longer get the shorter validity "
		                     "and a warning); %s\r\n",
		                 n->ca_disabled ? "the CA is disabled and issues nothing; once "
		                                  "enabled it issues"
		                                : "it keeps issuing",
		                 auto_renew
		                     ? "it renews this CA automatically when its threshold is reached."
		                     : "reminders follow at the lifetime milestones still ahead.");
		if (root)
			rc |= buf_printf(&b, "What you must do: plan the new root CA that replaces this "
			                     "one, and move issuance to it before the notAfter above.\r\n");
		else
			rc |= buf_printf(&b, "What you must do: renew this CA now (POST "
			                     "/api/v1/cas/%s/renew) so that devices get certificates of "
			                     "their full lifetime again.\r\n", n->ca_id);
	} else {
		rc |= buf_printf(&b, "What edgeca does: %s\r\n\r\n",
		                 auto_renew && n->chaining == CA_CHAINING_EXTERNAL
		                     ? "this CA is set to auto_renew: edgeca requests its renewal (a "
		                       "renewal_requested notification with the CSR to be signed by "
		                       "the external root follows); reminders at those of 90, 95 and 99 % "
		                       "of the lifetime still ahead and at expiry continue until the signed certificate "
		                       "is uploaded."
		                 : auto_renew
		                     ? "this CA is set to auto_renew: edgeca renews it (a renewed or "
		                       "renewal_failed notification follows); reminders at those of 90, 95 "
		                       "and 99 % of the lifetime still ahead and at expiry continue until "
		                       "then."
		                 : renew_held
		                     ? "this CA is set to auto_renew but is disabled: edgeca does not "
		                       "renew it while it is disabled (once enabled again with POST "
		                       "/api/v1/cas/{id}/enable, it is renewed at the next lifecycle "
		                       "pass); "
		                       "reminders at those of 90, 95 and 99 % of the lifetime still "
		                       "ahead and at expiry continue."
		                     : "nothing beyond notifying (lifecycle action \"notify\"): "
		                       "reminders follow at those of 90, 95 and 99 % of the lifetime "
		                       "still ahead and at expiry.");
		if (root)
			rc |= buf_printf(&b, "What you must do: create a new root CA, distribute its "
			                     "certificate to every relying party and move issuance to it "
			                     "(or to subordinates under it) before the notAfter above.\r\n");
		else
			rc |= buf_printf(&b, "What you must do: renew this CA (POST /api/v1/cas/%s/renew) "
			                     "or create a new subordinate CA, and move issuance to it "
			                     "before the notAfter above; certificates issued by this CA "
			                     "cannot outlive it.\r\n", n->ca_id);
	}
out:
	if (rc != 0 || buf_terminate(&b) != 0) {
		buf_free(&b);
		return NULL;
	}
	return (char *)buf_take(&b, NULL);
}
