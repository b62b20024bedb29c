/* Backup and restore, and the administration commands that need no API
 * token: edgeca-server token list|delete and ca list against a running
 * instance; edgeca-server backup of a running instance, the instance
 * destroyed (database and data directory), edgeca-server restore into a
 * new database and data directory with the KEK, and the restored instance
 * serving the old certificates, issuing under the old CA key and going on
 * with the CRL numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pwd.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/x509.h>

#include "tests/integration/public_crl.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"
#include "tests/support/process.h"

static const char *const env[] = {"EDGECA_CRL_DELAY_MS=300", NULL};

static void
start(struct instance *in)
{
	memset(in, 0, sizeof(*in));
	for (int i = 0; env[i] != NULL; i++)
		in->extra_env[i] = env[i];
	instance_start(in);
}

/* The id of the token named name in `token list --json`, or "" when none. */
static void
token_id(struct instance *in, const char *name, char id[64])
{
	const char *args[] = {"token", "list", "--json", NULL};
	static char out[65536];
	json_t *all, *t;
	size_t i;

	id[0] = '\0';
	assert_int_equal(instance_cli(in, args, out, sizeof(out)), 0);
	all = json_loads(out, 0, NULL);
	assert_true(json_is_array(all));
	json_array_foreach(all, i, t) {
		/* never a secret in the listing */
		assert_null(json_object_get(t, "secret"));
		assert_null(json_object_get(t, "token"));
		if (strcmp(json_string_value(json_object_get(t, "name")), name) == 0)
			snprintf(id, 64, "%s", json_string_value(json_object_get(t, "id")));
	}
	json_decref(all);
}

/* token list shows every token, token delete removes one (audited as the
 * command line's), and the deleted token no longer authenticates. */
static void
test_token_list_and_delete(void **state)
{
	struct instance in;
	char token[128], id[64], admin_id[64], text[8192], *actor;
	const char *list[] = {"token", "list", NULL};
	const char *bad[] = {"token", "delete", "00000000-0000-4000-8000-000000000000", NULL};
	struct http_response r;

	(void)state;
	start(&in);
	instance_token(&in, "auditor", "doomed-auditor", token, sizeof(token));
	token_id(&in, "admin", admin_id);
	token_id(&in, "doomed-auditor", id);
	assert_true(admin_id[0] != '\0' && id[0] != '\0');
	assert_int_equal(instance_cli(&in, list, text, sizeof(text)), 0);
	assert_non_null(strstr(text, "doomed-auditor"));
	assert_non_null(strstr(text, "auditor"));
	assert_non_null(strstr(text, id));
	assert_null(strstr(text, token)); /* the secret is nowhere */
	assert_int_equal(http_get(&in, "/api/v1/cas", token, &r), 200);
	http_response_free(&r);
	{
		const char *del[] = {"token", "delete", id, NULL};
		assert_int_equal(instance_cli(&in, del, NULL, 0), 0);
	}
	token_id(&in, "doomed-auditor", id);
	assert_string_equal(id, "");
	token_id(&in, "admin", id);
	assert_string_equal(id, admin_id);
	assert_int_equal(http_get(&in, "/api/v1/cas", token, &r), 401);
	http_response_free(&r);
	actor = instance_sql(&in, "SELECT actor FROM audit_events WHERE action = 'token.delete'");
	assert_non_null(actor);
	assert_string_equal(actor, "cli");
	free(actor);
	assert_int_equal(instance_cli(&in, bad, NULL, 0), 1);
	instance_destroy(&in);
}

/* ca list shows each CA with its kind, status and locations. */
static void
test_ca_list(void **state)
{
	struct instance in;
	const char *json_args[] = {"ca", "list", "--json", NULL};
	const char *text_args[] = {"ca", "list", NULL};
	static char out[65536];
	char ca_id[64];
	json_t *all, *c, *found = NULL;
	size_t i;

	(void)state;
	start(&in);
	http_create_ca(&in, "{\"common_name\": \"Listed Root\", \"issuance\": {\"template\": "
	                    "\"client\"}}", ca_id);
	assert_int_equal(instance_cli(&in, json_args, out, sizeof(out)), 0);
	all = json_loads(out, 0, NULL);
	assert_true(json_is_array(all));
	json_array_foreach(all, i, c) {
		if (strcmp(json_string_value(json_object_get(c, "id")), ca_id) == 0)
			found = c;
	}
	assert_non_null(found);
	assert_string_equal(json_string_value(json_object_get(found, "common_name")), "Listed Root");
	assert_string_equal(json_string_value(json_object_get(found, "kind")), "root");
	assert_string_equal(json_string_value(json_object_get(found, "status")), "active");
	c = json_array_get(json_object_get(found, "locations"), 0);
	assert_non_null(c);
	assert_non_null(json_string_value(json_object_get(c, "not_after")));
	json_decref(all);
	assert_int_equal(instance_cli(&in, text_args, out, sizeof(out)), 0);
	assert_non_null(strstr(out, ca_id));
	assert_non_null(strstr(out, "Listed Root"));
	assert_non_null(strstr(out, "not after"));
	instance_destroy(&in);
}

/* A copy of path at to, 0600. */
static void
copy_private(const char *path, const char *to)
{
	size_t len;
	char *data = read_file(path, &len);
	FILE *f;

	unlink(to);
	f = fopen(to, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(to, 0600), 0);
	free(data);
}

/* The restore command's arguments: the archive, the KEK, and as root the
 * signer's user, who owns its restored state as the harness runs it. */
static int
restore(struct instance *in, const char *file, const char *kek)
{
	const char *args[] = {"restore", file, "--kek", kek, NULL, NULL, NULL};

	if (running_as_root() && getpwnam("edgeca-signer") != NULL) {
		args[4] = "--signer-user";
		args[5] = "edgeca-signer";
	}
	return instance_cli_admin(in, args, NULL, 0);
}

static void
test_backup_restore_round_trip(void **state)
{
	struct instance a, b;
	char ca_id[64], path[256], file[128], kek[128], wrong[128], token[128];
	char serial_kept[80], serial_revoked[80], serial_late[80], *pem_kept, *v;
	X509 *ca, *kept, *revoked, *late;
	X509_CRL *crl;
	long number;
	struct http_response r;
	struct stat st;

	(void)state;
	snprintf(file, sizeof(file), "/tmp/edgeca-it-backup-%d.tar.gz", (int)getpid());
	snprintf(kek, sizeof(kek), "/tmp/edgeca-it-kek-%d", (int)getpid());
	snprintf(wrong, sizeof(wrong), "/tmp/edgeca-it-wrong-kek-%d", (int)getpid());
	unlink(file);

	/* an instance with a CA, two certificates, one revoked, and its CRL */
	start(&a);
	http_create_ca(&a, "{\"common_name\": \"Kept Root\", \"issuance\": {\"template\": "
	                   "\"client\"}}", ca_id);
	snprintf(path, sizeof(path), "/api/v1/cas/%s", ca_id);
	assert_int_equal(http_get(&a, path, a.admin_token, &r), 200);
	ca = http_location_cert(&r, "default");
	http_response_free(&r);
	kept = http_issue_cert(&a, ca_id, "kept-device", NULL, serial_kept);
	revoked = http_issue_cert(&a, ca_id, "revoked-device", NULL, serial_revoked);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s", ca_id, serial_kept);
	assert_int_equal(http_get(&a, path, a.admin_token, &r), 200);
	pem_kept = strdup(http_json_str(&r, "certificate_pem"));
	http_response_free(&r);
	http_revoke(&a, ca_id, serial_revoked, "keyCompromise");
	crl = public_crl_wait_newer(&a, ca_id, "default.crl", 0, serial_revoked);
	number = crl_number(crl);
	X509_CRL_free(crl);

	/* the backup, of the running instance: 0600, without the KEK */
	{
		const char *args[] = {"backup", file, NULL};
		assert_int_equal(instance_cli_admin(&a, args, NULL, 0), 0);
	}
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(process_sh("tar -tzf '%s' | grep -q '^./signer/keys/.*\\.crl$'", file), 0);
	assert_int_equal(process_sh("tar -tzf '%s' | grep -q '^./database.dump$'", file), 0);
	assert_int_not_equal(process_sh("tar -tzf '%s' | grep -q 'kek'", file), 0);
	{
		const char *again[] = {"backup", file, NULL};
		assert_int_equal(instance_cli_admin(&a, again, NULL, 0), 1); /* never overwritten */
	}

	/* the operator's copy of the KEK, then the instance is gone */
	snprintf(path, sizeof(path), "%s/signer/kek", a.data_dir);
	copy_private(path, kek);
	snprintf(token, sizeof(token), "%s", a.admin_token);
	instance_destroy(&a);

	/* a new, empty database and data directory */
	memset(&b, 0, sizeof(b));
	for (int i = 0; env[i] != NULL; i++)
		b.extra_env[i] = env[i];
	instance_create(&b);
	/* another KEK is refused before anything is written */
	assert_int_equal(process_sh("head -c 32 /dev/urandom > '%s'", wrong), 0);
	assert_int_equal(restore(&b, file, wrong), 1);
	v = instance_sql(&b, "SELECT to_regclass('schema_migrations') IS NULL");
	assert_string_equal(v, "t");
	free(v);
	snprintf(path, sizeof(path), "%s/signer/keys", b.data_dir);
	assert_int_not_equal(access(path, F_OK), 0);
	/* the right one restores */
	assert_int_equal(restore(&b, file, kek), 0);
	assert_int_equal(restore(&b, file, kek), 1); /* never over a restored instance */
	{
		const char *migrate[] = {"migrate", NULL};
		assert_int_equal(instance_cli_admin(&b, migrate, NULL, 0), 0);
	}
	instance_start_signer(&b);
	snprintf(b.admin_token, sizeof(b.admin_token), "%s", token); /* the old token works */
	instance_start_server(&b);

	/* the old certificates, by serial */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s", ca_id, serial_kept);
	assert_int_equal(http_get(&b, path, b.admin_token, &r), 200);
	assert_string_equal(http_json_str(&r, "certificate_pem"), pem_kept);
	http_response_free(&r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s", ca_id, serial_revoked);
	assert_int_equal(http_get(&b, path, b.admin_token, &r), 200);
	assert_string_equal(http_json_str(&r, "status"), "revoked");
	http_response_free(&r);
	/* the CA issues with its old key */
	late = http_issue_cert(&b, ca_id, "after-restore", NULL, serial_late);
	assert_int_equal(X509_verify(late, X509_get0_pubkey(ca)), 1);
	assert_int_equal(verify_chain(late, NULL, ca), X509_V_OK);
	/* CRL numbers go on above the old one; the revoked serial stays listed */
	http_revoke(&b, ca_id, serial_late, "superseded");
	crl = public_crl_wait_newer(&b, ca_id, "default.crl", number, serial_late);
	assert_true(crl_number(crl) > number);
	assert_non_null(crl_entry(crl, serial_revoked));
	assert_null(crl_entry(crl, serial_kept));
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(ca)), 1);
	X509_CRL_free(crl);

	X509_free(ca);
	X509_free(kept);
	X509_free(revoked);
	X509_free(late);
	free(pem_kept);
	instance_destroy(&b);
	unlink(file);
	unlink(kek);
	unlink(wrong);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_list_and_delete),
		cmocka_unit_test(test_ca_list),
		cmocka_unit_test(test_backup_restore_round_trip),
	};
	http_set_test_name("backup_restore");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
