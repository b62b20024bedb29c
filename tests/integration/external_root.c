#include "tests/integration/external_root.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/support/harness.h"
#include "tests/support/pki.h"

void
shell(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

void
external_root_make(struct external_root *root)
{
	char path[128];

	memset(root, 0, sizeof(*root));
	snprintf(root->dir, sizeof(root->dir), "/tmp/edgeca-extroot-XXXXXX");
	assert_non_null(mkdtemp(root->dir));
	shell("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "
	      "%s/root.key -out %s/root.pem -days 3650 -subj '/CN=Offline Root' "
	      "-addext basicConstraints=critical,CA:TRUE "
	      "-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null", root->dir, root->dir);
	snprintf(path, sizeof(path), "%s/root.pem", root->dir);
	root->pem = read_file(path, NULL);
	root->cert = pem_cert(root->pem);
	assert_non_null(root->cert);
}

void
external_root_free(struct external_root *root)
{
	if (root->dir[0] != '\0')
		shell("rm -rf %s", root->dir);
	free(root->pem);
	X509_free(root->cert);
	memset(root, 0, sizeof(*root));
}

char *
external_root_sign(const struct external_root *root, const char *csr_pem, const char *ext,
                   int days)
{
	char csr[128], out[128], extfile[128];

	snprintf(csr, sizeof(csr), "%s/req.csr", root->dir);
	snprintf(out, sizeof(out), "%s/signed.pem", root->dir);
	snprintf(extfile, sizeof(extfile), "%s/ext.cnf", root->dir);
	write_text(csr, csr_pem);
	write_text(extfile, ext);
	shell("openssl x509 -req -in %s -CA %s/root.pem -CAkey %s/root.key -CAcreateserial "
	      "-days %d -extfile %s -extensions v3 -out %s 2>/dev/null", csr, root->dir, root->dir,
	      days, extfile, out);
	return read_file(out, NULL);
}

bool
external_root_verifies(const struct external_root *root, const char *ca_pem,
                       const char *leaf_pem)
{
	char ca[128], leaf[128], cmd[512];

	snprintf(ca, sizeof(ca), "%s/issuing.pem", root->dir);
	snprintf(leaf, sizeof(leaf), "%s/leaf.pem", root->dir);
	write_text(ca, ca_pem);
	write_text(leaf, leaf_pem);
	snprintf(cmd, sizeof(cmd), "openssl verify -CAfile %s/root.pem -untrusted %s %s "
	         ">/dev/null 2>&1", root->dir, ca, leaf);
	return system(cmd) == 0;
}
