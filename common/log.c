#include "common/log.h"

#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *log_program = "edgeca";
static enum log_level log_current = LOG_LEVEL_INFO;
static enum log_format log_format_current = LOG_FORMAT_TEXT;

/* The request the thread serves (log_context_set). */
static _Thread_local struct {
	char request_id[LOG_REQUEST_ID_MAX + 1];
	char principal[LOG_PRINCIPAL_BYTES];
} log_ctx;

/* Longest message; a JSON line has room for it escaped and its fields. */
#define LOG_MESSAGE_BYTES 1024
#define LOG_LINE_BYTES 4096

void
log_init(const char *program, enum log_level level)
{
	log_program = program;
	log_current = level;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	static const char *names[] = {"error", "warn", "info", "debug"};

	for (int i = 0; i < 4; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

int
log_format_parse(const char *s, enum log_format *out)
{
	if (strcmp(s, "text") == 0)
		*out = LOG_FORMAT_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = LOG_FORMAT_JSON;
	else
		return -1;
	return 0;
}

void
log_set_format(enum log_format format)
{
	log_format_current = format;
}

/* Copies src into dst (size bytes), cut before a UTF-8 continuation byte
 * so a character is never split. */
static void
copy_whole(char *dst, size_t size, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

void
log_context_set(const char *request_id)
{
	copy_whole(log_ctx.request_id, sizeof(log_ctx.request_id), request_id);
	log_ctx.principal[0] = '\0';
}

void
log_context_principal(const char *name)
{
	copy_whole(log_ctx.principal, sizeof(log_ctx.principal), name);
}

void
log_context_clear(void)
{
	log_ctx.request_id[0] = '\0';
	log_ctx.principal[0] = '\0';
}

const char *
log_context_request_id(void)
{
	return log_ctx.request_id;
}

const char *
log_context_principal_name(void)
{
	return log_ctx.principal;
}

/* A JSON text being written into a fixed buffer; cap leaves room for the
 * closing "}\n" and the NUL. */
struct jw {
	char *buf;
	size_t len, cap;
};

static int
jw_room(const struct jw *w, size_t n)
{
	return w->cap - w->len >= n;
}

static void
jw_put(struct jw *w, const char *s, size_t n)
{
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

/* The length of the valid UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF); 0 when invalid. The NUL
 * that ends s is never a continuation byte, so reading stops at it. */
static size_t
utf8_seq(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Writes s as a JSON string, cut (at a character) so its closing quote
 * fits. The caller made sure two bytes fit. */
static void
jw_string(struct jw *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	jw_put(w, "\"", 1);
	while (*p != '\0') {
		char esc[8];
		const char *out = esc;
		size_t k = 2, adv = 1;

		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
		} else if (*p == '\n' || *p == '\r' || *p == '\t') {
			esc[0] = '\\';
			esc[1] = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
		} else if (*p < 0x20 || *p == 0x7f) {
			k = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", *p);
		} else if (*p < 0x80) {
			out = (const char *)p;
			k = 1;
		} else if ((adv = utf8_seq(p)) != 0) {
			out = (const char *)p;
			k = adv;
		} else {
			out = "\\ufffd";
			k = 6;
			adv = 1;
		}
		if (!jw_room(w, k + 1))
			break;
		jw_put(w, out, k);
		p += adv;
	}
	jw_put(w, "\"", 1);
}

/* A number field's value as it is, when it looks like a JSON number. */
static int
is_number(const char *v)
{
	return v[0] != '\0' && strspn(v, "0123456789.-+eE") == strlen(v);
}

/* ,"key":value, or nothing when even an empty value would not fit. */
static void
jw_member(struct jw *w, const char *key, const char *value, bool number)
{
	size_t klen = strlen(key), vlen = strlen(value);

	if (number && is_number(value)) {
		if (!jw_room(w, klen + vlen + 4))
			return;
		jw_put(w, ",", 1);
		jw_string(w, key);
		jw_put(w, ":", 1);
		jw_put(w, value, vlen);
		return;
	}
	if (!jw_room(w, klen + 6))
		return;
	jw_put(w, ",", 1);
	jw_string(w, key);
	jw_put(w, ":", 1);
	jw_string(w, value);
}

static bool
has_field(const struct log_field *fields, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(fields[i].key, key) == 0)
			return true;
	return false;
}

/* The value of "key=" in message (at its start or after a space), up to
 * a space or punctuation, into out; "" when it has none. */
static void
named_value(const char *message, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key), n;
	const char *p = message;

	out[0] = '\0';
	while ((p = strstr(p, key)) != NULL) {
		if ((p == message || p[-1] == ' ' || p[-1] == '(') && p[klen] == '=')
			break;
		p += klen;
	}
	if (p == NULL)
		return;
	p += klen + 1;
	n = strcspn(p, " ,;:()");
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

size_t
log_json_line(char *out, size_t cap, const char *time, enum log_level level,
              const char *component, const char *message, const struct log_field *fields,
              size_t n)
{
	static const char *levels[] = {"error", "warn", "info", "debug"};
	static const char *const named[] = {"ca", "serial"};
	struct jw w = {out, 0, cap - 3};
	char value[130];

	jw_put(&w, "{\"time\":", 8);
	jw_string(&w, time);
	jw_member(&w, "level", levels[level], false);
	jw_member(&w, "component", component, false);
	jw_member(&w, "message", message, false);
	for (size_t i = 0; i < n; i++)
		if (fields[i].value != NULL)
			jw_member(&w, fields[i].key, fields[i].value, fields[i].number);
	if (log_ctx.request_id[0] != '\0' && !has_field(fields, n, "request_id"))
		jw_member(&w, "request_id", log_ctx.request_id, false);
	if (log_ctx.principal[0] != '\0' && !has_field(fields, n, "principal"))
		jw_member(&w, "principal", log_ctx.principal, false);
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		if (has_field(fields, n, named[i]))
			continue;
		named_value(message, named[i], value, sizeof(value));
		if (value[0] != '\0')
			jw_member(&w, named[i], value, false);
	}
	memcpy(out + w.len, "}\n", 3);
	return w.len + 2;
}

/* Writes one line of message (and fields) in the current format. */
static void
log_emit(enum log_level level, const char *message, const struct log_field *fields, size_t n)
{
	static const char *tags[] = {"ERROR", "WARN", "INFO", "DEBUG"};
	char line[LOG_LINE_BYTES], stamp[40];
	struct timespec ts;
	struct tm tm;
	size_t len;
	int k;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	if (log_format_current == LOG_FORMAT_JSON) {
		len = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(stamp + len, sizeof(stamp) - len, ".%03ldZ", ts.tv_nsec / 1000000);
		log_json_line(line, sizeof(line), stamp, level, log_program, message, fields, n);
	} else {
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
		k = snprintf(line, sizeof(line) - 1, "%s %s[%d] %s %s", stamp, log_program,
		             (int)getpid(), tags[level], message);
		len = k < 0 ? 0 : (size_t)k >= sizeof(line) - 1 ? sizeof(line) - 2 : (size_t)k;
		for (size_t i = 0; i < n && len < sizeof(line) - 2; i++) {
			if (fields[i].value == NULL)
				continue;
			k = snprintf(line + len, sizeof(line) - 1 - len, " %s=%s", fields[i].key,
			             fields[i].value);
			len = k < 0 ? len : len + (size_t)k >= sizeof(line) - 1 ? sizeof(line) - 2
			                                                         : len + (size_t)k;
		}
		line[len] = '\n';
		line[len + 1] = '\0';
	}
	/* One fputs per line keeps concurrent lines whole. */
	fputs(line, stderr);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char message[LOG_MESSAGE_BYTES];
	va_list ap;

	if (level > log_current)
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	log_emit(level, message, NULL, 0);
}

void
log_fields(enum log_level level, const struct log_field *fields, size_t n, const char *fmt, ...)
{
	char message[LOG_MESSAGE_BYTES];
	va_list ap;

	if (level > log_current)
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	log_emit(level, message, fields, n);
}

void
log_openssl_errors(const char *where)
{
	unsigned long e;
	char buf[256];

	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		log_debug("%s: openssl: %s", where, buf);
	}
}
