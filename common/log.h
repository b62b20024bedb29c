/* Line-oriented logging to stderr for both processes, as text or as one
 * JSON object a line (EDGECA_LOG_FORMAT). Messages name the function and
 * the object; never key material, never whole requests. A thread serving
 * a request carries its request id (api/listen), so every line logged
 * while it is served names the request. */
#ifndef EDGECA_COMMON_LOG_H
#define EDGECA_COMMON_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_LEVEL_ERROR = 0, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };
enum log_format { LOG_FORMAT_TEXT = 0, LOG_FORMAT_JSON };

/* Request ids are up to this many characters (api/listen/request.h). */
#define LOG_REQUEST_ID_MAX 128
/* A principal's name as audit rows record it ("token:<name>", "est:...");
 * longer names are cut at a character boundary. */
#define LOG_PRINCIPAL_BYTES 512

void log_init(const char *program, enum log_level level);
/* Parses "error", "warn", "info", "debug"; returns -1 when unknown. */
int log_level_parse(const char *s, enum log_level *out);
/* Parses "text", "json"; returns -1 when unknown. */
int log_format_parse(const char *s, enum log_format *out);
/* The format of every line from now on (text unless set). */
void log_set_format(enum log_format format);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* A named value of a structured line; number: value is written as a JSON
 * number (the caller made it from an integer or a double). A NULL value
 * leaves the field out. */
struct log_field {
	const char *key;
	const char *value;
	bool number;
};

/* A line with fields besides its message: in JSON, members of the line's
 * object; in text, " key=value" after the message. */
void log_fields(enum log_level level, const struct log_field *fields, size_t n,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The request the calling thread serves: set at its start (request_id
 * borrowed text, copied), the principal once authenticated, cleared at
 * its end. JSON lines logged meanwhile carry request_id and principal. */
void log_context_set(const char *request_id);
void log_context_principal(const char *name);
void log_context_clear(void);
/* The current request id and principal; "" outside a request. */
const char *log_context_request_id(void);
const char *log_context_principal_name(void);

/* One JSON line (with its "\n") into out: time, level, component,
 * message, fields in order, then ca and serial when the message names
 * them as ca=... and serial=... and no field did. Strings are escaped
 * (quotes, backslashes, control characters, invalid UTF-8 as U+FFFD) and
 * cut to fit; the object is always closed. Returns the length written.
 * Ownership: out is the caller's, cap at least 128 (room for the time,
 * level, component and a message, however short). */
size_t log_json_line(char *out, size_t cap, const char *time, enum log_level level,
                     const char *component, const char *message,
                     const struct log_field *fields, size_t n);

/* Logs the OpenSSL error queue at debug level and clears it. */
void log_openssl_errors(const char *where);

#endif
