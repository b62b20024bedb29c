#include "tests/integration/lifecycle.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

void
lifecycle_start(struct instance *in, struct lifecycle_env *env)
{
	env->smtp = smtp_sink_start();
	assert_non_null(env->smtp);
	snprintf(env->smtp_port, sizeof(env->smtp_port), "EDGECA_SMTP_PORT=%u",
	         sink_port(env->smtp));
	in->extra_env[0] = "EDGECA_SCHEDULER_INTERVAL=1";
	in->extra_env[1] = "EDGECA_SMTP_HOST=127.0.0.1";
	in->extra_env[2] = env->smtp_port;
	in->extra_env[3] = "EDGECA_SMTP_FROM=edgeca@ca.example.test";
	in->extra_env[4] = "EDGECA_WEBHOOK_RETRY_BASE_MS=200";
	in->extra_env[5] = "EDGECA_CLAIM_SECONDS=3";
	instance_start(in);
	snprintf(env->key_file, sizeof(env->key_file), "EDGECA_SECRETS_KEY_FILE=%s/secrets.key",
	         in->data_dir);
	in->extra_env[6] = env->key_file;
}

void
lifecycle_stop(struct instance *in, struct lifecycle_env *env)
{
	instance_destroy(in);
	sink_stop(env->smtp);
}

struct http_response
lifecycle_expiring_ca(struct instance *in, const char *name, const char *emails,
                      struct sink *hook)
{
	char body[1024], na[32], url[128] = "null";
	time_t t = time(NULL) + 3700;
	struct http_response r;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(na, sizeof(na), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (hook != NULL)
		snprintf(url, sizeof(url), "\"http://127.0.0.1:%u/hook\"", sink_port(hook));
	snprintf(body, sizeof(body),
	         "{\"common_name\": \"%s\", \"friendly_name\": \"%s CA\", \"not_after\": \"%s\", "
	         "\"lifecycle\": {\"notification_emails\": %s, \"webhook_url\": %s, "
	         "\"threshold_percent\": 1}}",
	         name, name, na, emails, url);
	r = http_post_expect(in, "/api/v1/cas", body, 201);
	if (hook != NULL) /* the receiver checks every event's signature */
		webhook_sink_secret(hook, json_string_value(json_object_get(
		                        json_object_get(r.json, "lifecycle"), "webhook_secret")));
	return r;
}

json_t *
lifecycle_notifications(struct instance *in, const char *ca_id)
{
	struct http_response r = {0};
	char path[128];
	json_t *items;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/notifications", ca_id);
	assert_int_equal(http_get(in, path, in->admin_token, &r), 200);
	items = json_incref(json_object_get(r.json, "items"));
	http_response_free(&r);
	return items;
}

json_t *
lifecycle_delivery(json_t *n, const char *channel)
{
	json_t *d = json_object_get(n, "deliveries"), *v;
	size_t i;

	json_array_foreach(d, i, v)
		if (strcmp(json_string_value(json_object_get(v, "channel")), channel) == 0)
			return v;
	return NULL;
}

/* The state of channel in the first of items, "" when there is none. */
static const char *
state_of(json_t *items, const char *channel)
{
	json_t *d = json_array_size(items) > 0
	                ? lifecycle_delivery(json_array_get(items, 0), channel)
	                : NULL;

	return d ? json_string_value(json_object_get(d, "state")) : "";
}

json_t *
lifecycle_wait_state(struct instance *in, const char *ca_id, const char *channel,
                     const char *state, int timeout_s)
{
	for (int i = 0; i < timeout_s * 4; i++) {
		json_t *items = lifecycle_notifications(in, ca_id);
		if (strcmp(state_of(items, channel), state) == 0)
			return items;
		json_decref(items);
		usleep(250000);
	}
	fail_msg("CA %s: the %s delivery did not become %s in %d s", ca_id, channel, state,
	         timeout_s);
	return NULL;
}
