#include "common/metrics.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"

#define LABELS_MAX 3
#define LABEL_BYTES 80 /* a UUID, a route pattern, a template name */
#define BUCKETS_MAX 16

enum { SLOT_FREE = 0, SLOT_CLAIMED, SLOT_READY };

/* One label set of a family: its value, or its histogram's buckets (not
 * cumulative; the last one is +Inf) and sum. */
struct series {
	atomic_uint state;
	uint64_t hash;
	char labels[LABELS_MAX][LABEL_BYTES];
	atomic_uint_fast64_t count;
	atomic_uint_fast64_t sum_ns;
	atomic_uint_fast64_t buckets[BUCKETS_MAX];
};

/* A family's series live in a fixed open-addressing table: a new label
 * set claims a free slot with one compare-and-swap and is never moved or
 * removed, so a lookup takes no lock. cap is a power of two. */
struct family {
	const char *name;
	const char *help;
	const char *counter_name; /* histograms: also rendered as this counter */
	const char *counter_help;
	const char *label_names[LABELS_MAX];
	unsigned n_labels;
	const double *bounds; /* histograms only */
	unsigned n_bounds;
	struct series *slots;
	size_t cap;
	atomic_bool full_logged;
};

static const double http_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                     0.5,   1,    2.5,   5,    10};
static const double signer_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                       0.05,   0.1,   0.25,   0.5,   1,    2.5};

static struct series issued_slots[256], http_slots[512], signer_slots[64], est_auth_slots[32];

static struct family fam_issued = {
	"edgeca_certificates_issued_total", "Certificates signed and stored, by CA, template "
	"and the channel that asked for them.", NULL, NULL, {"ca_id", "template", "channel"}, 3,
	NULL, 0, issued_slots, 256, false};
static struct family fam_http = {
	"edgeca_http_request_duration_seconds", "Time from a request's first byte to the end "
	"of its answer, by listener, route pattern and status class.",
	"edgeca_http_requests_total", "Requests answered, by listener, route pattern and "
	"status class.", {"listener", "route", "code"}, 3, http_bounds,
	sizeof(http_bounds) / sizeof(http_bounds[0]), http_slots, 512, false};
static struct family fam_signer = {
	"edgeca_signer_call_duration_seconds", "Time of a call to the signer, by operation and "
	"result.", NULL, NULL, {"operation", "result"}, 2, signer_bounds,
	sizeof(signer_bounds) / sizeof(signer_bounds[0]), signer_slots, 64, false};
static struct family fam_est_auth = {
	"edgeca_est_auth_failures_total", "EST requests refused for their client's "
	"authentication, by reason (the problem type).", NULL, NULL, {"reason"}, 1, NULL, 0,
	est_auth_slots, 32, false};

static struct family *const families[] = {&fam_issued, &fam_http, &fam_signer, &fam_est_auth};

static atomic_bool enabled;

void
metrics_enable(void)
{
	atomic_store(&enabled, true);
}

bool
metrics_enabled(void)
{
	return atomic_load_explicit(&enabled, memory_order_relaxed);
}

static uint64_t
labels_hash(const char *const *values, unsigned n)
{
	uint64_t h = 1469598103934665603ULL;

	for (unsigned i = 0; i < n; i++) {
		for (size_t k = 0; k < LABEL_BYTES - 1 && values[i][k] != '\0'; k++)
			h = (h ^ (unsigned char)values[i][k]) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL;
	}
	return h;
}

static bool
labels_equal(const struct series *s, const char *const *values, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (strncmp(s->labels[i], values[i], LABEL_BYTES - 1) != 0)
			return false;
	return true;
}

/* The series of values in f, made on first use; NULL when f's table is
 * full (the sample is dropped, and that said once in the log). */
static struct series *
series_get(struct family *f, const char *const *values)
{
	uint64_t h = labels_hash(values, f->n_labels);

	for (size_t probe = 0; probe < f->cap; probe++) {
		struct series *s = &f->slots[(h + probe) & (f->cap - 1)];
		unsigned st = atomic_load_explicit(&s->state, memory_order_acquire);
		if (st == SLOT_FREE) {
			unsigned expected = SLOT_FREE;
			if (atomic_compare_exchange_strong(&s->state, &expected, SLOT_CLAIMED)) {
				s->hash = h;
				for (unsigned i = 0; i < f->n_labels; i++)
					snprintf(s->labels[i], LABEL_BYTES, "%s", values[i]);
				atomic_store_explicit(&s->state, SLOT_READY, memory_order_release);
				return s;
			}
			st = expected;
		}
		/* another thread is writing this slot's labels: a moment */
		while (st == SLOT_CLAIMED) {
			sched_yield();
			st = atomic_load_explicit(&s->state, memory_order_acquire);
		}
		if (s->hash == h && labels_equal(s, values, f->n_labels))
			return s;
	}
	if (!atomic_exchange(&f->full_logged, true))
		log_warn("metrics: %s: more than %zu label sets; new ones are not counted", f->name,
		         f->cap);
	return NULL;
}

static void
count(struct family *f, const char *const *values)
{
	struct series *s = series_get(f, values);

	if (s != NULL)
		atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
}

static void
observe(struct family *f, const char *const *values, double seconds)
{
	struct series *s = series_get(f, values);
	unsigned b = 0;

	if (s == NULL)
		return;
	if (seconds < 0)
		seconds = 0;
	while (b < f->n_bounds && seconds > f->bounds[b])
		b++;
	atomic_fetch_add_explicit(&s->buckets[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->sum_ns, (uint_fast64_t)(seconds * 1e9), memory_order_relaxed);
}

static const char *
or_other(const char *v)
{
	return v != NULL && v[0] != '\0' ? v : "other";
}

void
metrics_cert_issued(const char *ca_id, const char *template_name, const char *channel)
{
	const char *v[] = {or_other(ca_id), or_other(template_name), or_other(channel)};

	if (metrics_enabled())
		count(&fam_issued, v);
}

void
metrics_http_done(const char *listener, const char *route, unsigned status, double seconds)
{
	static const char *const classes[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
	const char *v[] = {or_other(listener), or_other(route),
	                   classes[status >= 100 && status < 600 ? status / 100 : 0]};

	if (metrics_enabled())
		observe(&fam_http, v, seconds);
}

void
metrics_signer_call(const char *operation, bool ok, double seconds)
{
	const char *v[] = {or_other(operation), ok ? "ok" : "error"};

	if (metrics_enabled())
		observe(&fam_signer, v, seconds);
}

void
metrics_est_auth_failure(const char *reason)
{
	const char *v[] = {or_other(reason)};

	if (metrics_enabled())
		count(&fam_est_auth, v);
}

double
metrics_seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

int
metrics_label(struct buf *out, const char *name, const char *value)
{
	int rc = buf_printf(out, "%s=\"", name);

	for (const char *p = value; rc == 0 && *p != '\0'; p++) {
		if (*p == '\\' || *p == '"')
			rc = buf_printf(out, "\\%c", *p);
		else if (*p == '\n')
			rc = buf_append_str(out, "\\n");
		else
			rc = buf_append(out, p, 1);
	}
	return rc == 0 ? buf_append_str(out, "\"") : -1;
}

/* name{labels[,extra]} */
static int
series_head(struct buf *out, const char *name, const struct family *f, const struct series *s,
            const char *extra)
{
	int rc = buf_printf(out, "%s{", name);

	for (unsigned i = 0; rc == 0 && i < f->n_labels; i++)
		if ((i > 0 && buf_append_str(out, ",") != 0) ||
		    metrics_label(out, f->label_names[i], s->labels[i]) != 0)
			rc = -1;
	if (rc == 0 && extra != NULL)
		rc = buf_printf(out, ",%s", extra);
	return rc == 0 ? buf_append_str(out, "} ") : -1;
}

static uint64_t
histogram_total(const struct family *f, struct series *s, uint64_t *cumulative)
{
	uint64_t total = 0;

	for (unsigned b = 0; b <= f->n_bounds; b++) {
		total += atomic_load_explicit(&s->buckets[b], memory_order_relaxed);
		cumulative[b] = total;
	}
	return total;
}

static int
render_buckets(struct buf *out, const char *name, const struct family *f, struct series *s)
{
	uint64_t cumulative[BUCKETS_MAX];
	char le[48];
	int rc = 0;

	histogram_total(f, s, cumulative);
	for (unsigned b = 0; rc == 0 && b <= f->n_bounds; b++) {
		if (b < f->n_bounds)
			snprintf(le, sizeof(le), "le=\"%g\"", f->bounds[b]);
		else
			snprintf(le, sizeof(le), "le=\"+Inf\"");
		rc = series_head(out, name, f, s, le);
		if (rc == 0)
			rc = buf_printf(out, "%llu\n", (unsigned long long)cumulative[b]);
	}
	return rc;
}

/* The rows of one family (its histogram's name has _bucket, _sum and
 * _count rows). */
static int
render_family(struct buf *out, const struct family *f)
{
	char name[96];
	int rc = buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
	                    f->bounds ? "histogram" : "counter");

	for (size_t i = 0; rc == 0 && i < f->cap; i++) {
		struct series *s = &f->slots[i];
		uint64_t cumulative[BUCKETS_MAX];
		if (atomic_load_explicit(&s->state, memory_order_acquire) != SLOT_READY)
			continue;
		if (f->bounds == NULL) {
			rc = series_head(out, f->name, f, s, NULL);
			if (rc == 0)
				rc = buf_printf(out, "%llu\n", (unsigned long long)atomic_load_explicit(
				                                       &s->count, memory_order_relaxed));
			continue;
		}
		snprintf(name, sizeof(name), "%s_bucket", f->name);
		rc = render_buckets(out, name, f, s);
		snprintf(name, sizeof(name), "%s_sum", f->name);
		if (rc == 0)
			rc = series_head(out, name, f, s, NULL);
		if (rc == 0)
			rc = buf_printf(out, "%.9f\n", (double)atomic_load_explicit(
			                                       &s->sum_ns, memory_order_relaxed) / 1e9);
		snprintf(name, sizeof(name), "%s_count", f->name);
		if (rc == 0)
			rc = series_head(out, name, f, s, NULL);
		if (rc == 0)
			rc = buf_printf(out, "%llu\n",
			                (unsigned long long)histogram_total(f, s, cumulative));
	}
	return rc;
}

/* A histogram's count of requests as a counter of its own. */
static int
render_counter_of(struct buf *out, const struct family *f)
{
	int rc = buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n", f->counter_name,
	                    f->counter_help, f->counter_name);

	for (size_t i = 0; rc == 0 && i < f->cap; i++) {
		struct series *s = &f->slots[i];
		uint64_t cumulative[BUCKETS_MAX];
		if (atomic_load_explicit(&s->state, memory_order_acquire) != SLOT_READY)
			continue;
		rc = series_head(out, f->counter_name, f, s, NULL);
		if (rc == 0)
			rc = buf_printf(out, "%llu\n",
			                (unsigned long long)histogram_total(f, s, cumulative));
	}
	return rc;
}

int
metrics_render(struct buf *out)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < sizeof(families) / sizeof(families[0]); i++) {
		rc = render_family(out, families[i]);
		if (rc == 0 && families[i]->counter_name != NULL)
			rc = render_counter_of(out, families[i]);
	}
	return rc;
}
