#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "server/notify.h"

/* The answer's body is not needed: drop it. */
static size_t
discard(char *ptr, size_t size, size_t nmemb, void *arg)
{
	return size * nmemb;
}

static int
progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	const struct notify_cancel *c = arg;

	return c->cancelled(c->arg) ? 1 : 0;
}

int
notify_set_cancel(void *h, const struct notify_cancel *cancel, long timeout_s)
{
	long timeout_ms = timeout_s * 1000L;

	if (cancel != NULL && cancel->limit_ms > 0 && cancel->limit_ms < timeout_ms)
		timeout_ms = cancel->limit_ms;
	if (curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms) != CURLE_OK)
		return -1;
	if (cancel == NULL)
		return 0;
	if (curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_XFERINFODATA, cancel) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L) != CURLE_OK)
		return -1;
	return 0;
}

int
notify_webhook_send(const char *url, const char *secret, const char *body,
                    const struct notify_cancel *cancel, char err[NOTIFY_ERR_MAX])
{
	char sig[LIFECYCLE_SIGNATURE_LEN], header[sizeof(sig) + 32], errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL, *tmp;
	long status = 0;
	CURL *h = NULL;
	CURLcode cc;
	int rc = -1;

	snprintf(err, NOTIFY_ERR_MAX, "cannot prepare the webhook request");
	/* signed now, for this attempt: a retry carries its own time */
	if (lifecycle_signature(secret, time(NULL), (const unsigned char *)body, strlen(body),
	                        sig) != 0 ||
	    (h = curl_easy_init()) == NULL)
		goto out;
	snprintf(header, sizeof(header), "X-Edgeca-Signature: %s", sig);
	if ((tmp = curl_slist_append(hdrs, "Content-Type: application/json")) == NULL)
		goto out;
	hdrs = tmp;
	if ((tmp = curl_slist_append(hdrs, header)) == NULL)
		goto out;
	hdrs = tmp;
	if ((tmp = curl_slist_append(hdrs, "Expect:")) == NULL)
		goto out;
	hdrs = tmp;
	if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_USERAGENT, "edgeca") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)NOTIFY_CONNECT_TIMEOUT_S) != CURLE_OK ||
	    notify_set_cancel(h, cancel, NOTIFY_WEBHOOK_TIMEOUT_S) != 0)
		goto out;
	cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		snprintf(err, NOTIFY_ERR_MAX, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
		goto out;
	}
	if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
	    status < 200 || status > 299) {
		snprintf(err, NOTIFY_ERR_MAX, "the webhook answered HTTP %ld", status);
		goto out;
	}
	rc = 0;
out:
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return rc;
}
