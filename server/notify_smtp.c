#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/notify.h"

struct upload {
	const char *data;
	size_t len;
	size_t off;
};

static size_t
read_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb;

	if (n > u->len - u->off)
		n = u->len - u->off;
	memcpy(ptr, u->data + u->off, n);
	u->off += n;
	return n;
}

int
notify_smtp_send(const struct edgeca_config *cfg, const struct notice *n,
                 const struct notify_cancel *cancel, char err[NOTIFY_ERR_MAX])
{
	char url[600], errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *rcpt = NULL, *tmp;
	struct upload up = {0};
	char *text = NULL;
	CURL *h = NULL;
	CURLcode cc;
	int rc = -1;

	snprintf(err, NOTIFY_ERR_MAX, "cannot prepare the e-mail");
	if (cfg->smtp_host == NULL) {
		snprintf(err, NOTIFY_ERR_MAX, "SMTP is not configured");
		goto out;
	}
	if ((text = lifecycle_email(n, cfg->smtp_from, time(NULL))) == NULL ||
	    (h = curl_easy_init()) == NULL)
		goto out;
	for (size_t i = 0; n->recipients && n->recipients[i]; i++) {
		if ((tmp = curl_slist_append(rcpt, n->recipients[i])) == NULL)
			goto out;
		rcpt = tmp;
	}
	if (rcpt == NULL) {
		snprintf(err, NOTIFY_ERR_MAX, "no recipients");
		goto out;
	}
	up.data = text;
	up.len = strlen(text);
	snprintf(url, sizeof(url), "%s://%s:%u",
	         cfg->smtp_tls == SMTP_TLS_IMPLICIT ? "smtps" : "smtp", cfg->smtp_host,
	         cfg->smtp_port);
	if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAIL_FROM, cfg->smtp_from) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt) != CURLE_OK ||
	    /* an address the server refuses (a mailbox gone) must not keep
	     * the message from the others; all refused still fails */
	    curl_easy_setopt(h, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_body) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_READDATA, &up) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)NOTIFY_CONNECT_TIMEOUT_S) != CURLE_OK ||
	    notify_set_cancel(h, cancel, NOTIFY_SMTP_TIMEOUT_S) != 0)
		goto out;
	/* STARTTLS is required, never optional: no fallback to plain text */
	if (cfg->smtp_tls == SMTP_TLS_STARTTLS &&
	    curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL) != CURLE_OK)
		goto out;
	if (cfg->smtp_tls != SMTP_TLS_NONE &&
	    (curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	     curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	     curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK ||
	     (cfg->smtp_ca_file != NULL &&
	      curl_easy_setopt(h, CURLOPT_CAINFO, cfg->smtp_ca_file) != CURLE_OK)))
		goto out;
	if (cfg->smtp_user != NULL &&
	    (curl_easy_setopt(h, CURLOPT_USERNAME, cfg->smtp_user) != CURLE_OK ||
	     curl_easy_setopt(h, CURLOPT_PASSWORD, cfg->smtp_password) != CURLE_OK))
		goto out;
	cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		snprintf(err, NOTIFY_ERR_MAX, "SMTP %.100s:%u: %.120s", cfg->smtp_host, cfg->smtp_port,
		         errbuf[0] ? errbuf : curl_easy_strerror(cc));
		goto out;
	}
	rc = 0;
out:
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(h);
	free(text);
	return rc;
}
