#include "signer/daemon/siglog.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/digests.h"
#include "common/encoding.h"
#include "common/timeutil.h"
#include "common/x509util.h"

struct siglog {
	int fd;
	pthread_mutex_t lock;
	char *path; /* read back by siglog_key_signed */
};

struct siglog *
siglog_open(const char *path)
{
	struct siglog *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (l->fd < 0 || (l->path = strdup(path)) == NULL) {
		if (l->fd >= 0)
			close(l->fd);
		free(l);
		return NULL;
	}
	pthread_mutex_init(&l->lock, NULL);
	return l;
}

void
siglog_close(struct siglog *l)
{
	if (l == NULL)
		return;
	close(l->fd);
	pthread_mutex_destroy(&l->lock);
	free(l->path);
	free(l);
}

/* Subjects are printed with their quotes and backslashes escaped and
 * control bytes as \xNN, so a hostile CN cannot forge log lines. */
static int
append_quoted(struct buf *b, const char *s)
{
	if (buf_append_str(b, "\"") != 0)
		return -1;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int r;
		if (*p == '"' || *p == '\\')
			r = buf_printf(b, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			r = buf_printf(b, "\\x%02x", *p);
		else
			r = buf_append(b, p, 1);
		if (r != 0)
			return -1;
	}
	return buf_append_str(b, "\"");
}

static int
write_line(struct siglog *l, const struct buf *b)
{
	int rc;

	pthread_mutex_lock(&l->lock);
	rc = write(l->fd, b->data, b->len) == (ssize_t)b->len ? 0 : -1;
	pthread_mutex_unlock(&l->lock);
	return rc;
}

/* One line: time, key, operation, template, serial, subject, digest. */
static int
append_line(struct siglog *l, const char *key_id, const char *op, const char *tpl,
            const char *serial, const X509_NAME *name, const unsigned char *der, size_t der_len)
{
	unsigned char md[32];
	unsigned int md_len = sizeof(md);
	char stamp[RFC3339_LEN], md_hex[SHA256_HEX_BYTES], *subject = NULL;
	struct buf b = {0};
	int rc = -1;

	if (EVP_Digest(der, der_len, md, &md_len, digest_sha256(), NULL) != 1 ||
	    (subject = x509_name_string(name)) == NULL)
		goto out;
	hex_encode(md, md_len, md_hex);
	rfc3339_format(time(NULL), stamp);
	if (buf_printf(&b, "%s key=%s op=%s template=%s serial=%s subject=", stamp, key_id, op,
	               tpl, serial) != 0 ||
	    append_quoted(&b, subject) != 0 || buf_printf(&b, " sha256=%s\n", md_hex) != 0)
		goto out;
	rc = write_line(l, &b);
out:
	free(subject);
	buf_free(&b);
	return rc;
}

int
siglog_append(struct siglog *l, const char *key_id, const char *op, const char *tpl,
              const X509 *cert)
{
	unsigned char *der = NULL;
	size_t der_len = 0;
	char serial[SERIAL_HEX_MAX];
	int rc = -1;

	if (x509_der(cert, &der, &der_len) == 0 &&
	    asn1_integer_hex(X509_get0_serialNumber(cert), serial) == 0)
		rc = append_line(l, key_id, op, tpl, serial, X509_get_subject_name(cert), der, der_len);
	OPENSSL_free(der);
	return rc;
}

int
siglog_append_csr(struct siglog *l, const char *key_id, const X509_REQ *csr)
{
	unsigned char *der = NULL;
	int len = i2d_X509_REQ((X509_REQ *)csr, &der), rc = -1;

	if (len > 0)
		rc = append_line(l, key_id, "csr", "-", "-", X509_REQ_get_subject_name(csr), der,
		                 (size_t)len);
	OPENSSL_free(der);
	return rc;
}

int
siglog_append_crl(struct siglog *l, const char *key_id, uint64_t number,
                  uint64_t entries_bytes, const unsigned char tbs_sha256[32])
{
	char stamp[RFC3339_LEN], md_hex[SHA256_HEX_BYTES];
	struct buf b = {0};
	int rc = -1;

	hex_encode(tbs_sha256, 32, md_hex);
	rfc3339_format(time(NULL), stamp);
	if (buf_printf(&b, "%s key=%s op=crl number=%" PRIu64 " entries_bytes=%" PRIu64
	               " sha256=%s\n", stamp, key_id, number, entries_bytes, md_hex) == 0)
		rc = write_line(l, &b);
	buf_free(&b);
	return rc;
}

int
siglog_append_destroy(struct siglog *l, const char *key_id)
{
	char stamp[RFC3339_LEN];
	struct buf b = {0};
	int rc = -1;

	rfc3339_format(time(NULL), stamp);
	if (buf_printf(&b, "%s key=%s op=destroy\n", stamp, key_id) == 0)
		rc = write_line(l, &b);
	buf_free(&b);
	return rc;
}

/* Whether one log line is a signature of key_id other than its own root
 * certificate or request. The first " key=" of a line is its key field:
 * the time before it has no space, subjects come after it. */
static bool
line_signed(const char *line, const char *key_id)
{
	const char *k = strstr(line, " key="), *op;
	size_t n = strlen(key_id), len;

	if (k == NULL || strncmp(k + 5, key_id, n) != 0 || strncmp(k + 5 + n, " op=", 4) != 0)
		return false;
	op = k + 5 + n + 4;
	len = strcspn(op, " \n");
	return !((len == 9 && strncmp(op, "self_sign", 9) == 0) ||
	         (len == 3 && strncmp(op, "csr", 3) == 0) ||
	         (len == 7 && strncmp(op, "destroy", 7) == 0));
}

int
siglog_key_signed(struct siglog *l, const char *key_id, off_t *from)
{
	FILE *f = fopen(l->path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	int rc = -1, found = 0;

	if (f == NULL || fseeko(f, *from, SEEK_SET) != 0)
		goto out;
	while (!found && (got = getline(&line, &cap, f)) > 0) {
		if (line[got - 1] != '\n')
			break; /* a line being written: read again next time */
		*from += got;
		found = line_signed(line, key_id);
	}
	rc = ferror(f) ? -1 : found;
out:
	free(line);
	if (f != NULL)
		fclose(f);
	return rc;
}
