/* edgeca-signer import-key: reads an operator's CA private key, binds it
 * to a policy checked as KEY_CREATE checks one, and writes its sealed
 * record (base64, one line) for the API's CA import. The key is held in
 * memory only: the key store opened here lives in a private temporary
 * directory, and what was read is cleansed. */
#include "signer/daemon/args.h"
#include "signer/daemon/import.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/encoding.h"
#include "common/log.h"
#include "signer/daemon/files.h"
#include "signer/proto/templates.h"

#define KEY_FILE_MAX 65536
#define PASSPHRASE_MAX 1024

static const char *const key_labels[] = {"ENCRYPTED PRIVATE KEY", "PRIVATE KEY",
                                         "EC PRIVATE KEY", "RSA PRIVATE KEY", NULL};

/* The label of the first PEM block of text into label ("" when none). */
static void
pem_first_label(const char *text, size_t len, char *label, size_t n)
{
	static const char begin[] = "-----BEGIN ";
	const char *end = text + len, *p, *q;
	size_t k;

	label[0] = '\0';
	for (p = text; (size_t)(end - p) >= sizeof(begin) - 1; p++)
		if (memcmp(p, begin, sizeof(begin) - 1) == 0)
			break;
	if ((size_t)(end - p) < sizeof(begin) - 1)
		return;
	p += sizeof(begin) - 1;
	for (q = p; q < end && *q != '-' && *q != '\n'; q++)
		;
	k = (size_t)(q - p);
	if (q + 5 > end || memcmp(q, "-----", 5) != 0 || k == 0 || k >= n)
		return;
	memcpy(label, p, k);
	label[k] = '\0';
}

static int
passphrase_cb(char *buf, int size, int rwflag, void *u)
{
	const char *pass = u;
	size_t len;

	(void)rwflag;
	if (pass == NULL)
		return -1;
	len = strlen(pass);
	if (len > (size_t)size)
		return -1;
	memcpy(buf, pass, len);
	return (int)len;
}

edgeca_err
import_read_key(const char *pem, size_t len, const char *passphrase, EVP_PKEY **out,
                struct edgeca_msg *msg)
{
	char label[64];
	bool known = false, encrypted;
	BIO *bio = NULL;
	edgeca_err rc = EDGECA_OK;

	*out = NULL;
	pem_first_label(pem, len, label, sizeof(label));
	for (const char *const *l = key_labels; *l != NULL; l++)
		known = known || strcmp(label, *l) == 0;
	if (!known) {
		rc = edgeca_fail(msg, EDGECA_ERR_FORMAT_UNSUPPORTED, "key-format-unsupported",
		                 "%s%s%s is not a private key edgeca reads: give a PKCS#8 PEM "
		                 "(BEGIN PRIVATE KEY or BEGIN ENCRYPTED PRIVATE KEY)",
		                 label[0] ? "a PEM " : "the file", label[0] ? label : "",
		                 label[0] ? " block" : "");
		goto out;
	}
	encrypted = strcmp(label, "ENCRYPTED PRIVATE KEY") == 0 ||
	            memmem(pem, len, "Proc-Type: 4,ENCRYPTED", 22) != NULL;
	if (encrypted && passphrase == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "key-passphrase-needed",
		                 "the key is encrypted: give its passphrase (--passphrase-file)");
		goto out;
	}
	if (len > INT_MAX || (bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	*out = PEM_read_bio_PrivateKey(bio, NULL, passphrase_cb, (void *)passphrase);
	if (*out == NULL)
		rc = encrypted ? edgeca_fail(msg, EDGECA_ERR_INVALID, "key-passphrase-wrong",
		                             "the key does not decrypt with the passphrase given")
		               : edgeca_fail(msg, EDGECA_ERR_INVALID, "key-unreadable",
		                             "the %s block cannot be read as a private key", label);
out:
	ERR_clear_error();
	BIO_free(bio);
	return rc;
}

edgeca_err
import_key_seal(struct keystore *ks, const char *pem, size_t len, const char *passphrase,
                const struct signer_policy *p, struct buf *rec, char key_id[KEY_ID_LEN + 1],
                struct edgeca_msg *msg)
{
	EVP_PKEY *pkey = NULL;
	struct signer_key *key = NULL;
	uint32_t version = 0;
	edgeca_err rc;

	key_id[0] = '\0';
	if ((rc = import_read_key(pem, len, passphrase, &pkey, msg)) != EDGECA_OK ||
	    (rc = keystore_import(ks, pkey, p, &key, msg)) != EDGECA_OK ||
	    (rc = keystore_seal(ks, key, rec, &version, msg)) != EDGECA_OK)
		goto out;
	memcpy(key_id, key->id, KEY_ID_LEN + 1);
out:
	EVP_PKEY_free(pkey);
	return rc;
}

struct import_args {
	const char *state_dir;
	const char *kek_file;
	const char *key_file;
	const char *passphrase_file;
	const char *out_file;
	struct signer_policy policy;
};

static void
import_usage(void)
{
	fprintf(stderr,
	        "usage: edgeca-signer import-key (--kek-file PATH | --state-dir DIR) --key KEY.pem\n"
	        "                     [--passphrase-file FILE] --templates T1,T2,...\n"
	        "                     --max-validity-days N [--path-length N]\n"
	        "                     [--name-rules TEXT] --out FILE\n");
}

/* The options into a; 0, or -1 after printing why (usage). */
static int
parse_args(int argc, char **argv, struct import_args *a)
{
	static const struct option opts[] = {
		{"state-dir", required_argument, NULL, 'd'},
		{"kek-file", required_argument, NULL, 'k'},
		{"key", required_argument, NULL, 'K'},
		{"passphrase-file", required_argument, NULL, 'p'},
		{"templates", required_argument, NULL, 't'},
		{"max-validity-days", required_argument, NULL, 'm'},
		{"path-length", required_argument, NULL, 'l'},
		{"name-rules", required_argument, NULL, 'n'},
		{"out", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	struct edgeca_msg msg = {0};
	unsigned long v;
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': a->state_dir = optarg; break;
		case 'k': a->kek_file = optarg; break;
		case 'K': a->key_file = optarg; break;
		case 'p': a->passphrase_file = optarg; break;
		case 'o': a->out_file = optarg; break;
		case 't':
			if (tpl_mask_parse(optarg, &a->policy.templates) != 0) {
				fprintf(stderr, "import-key: unknown or repeated template in \"%s\"\n",
				        optarg);
				return -1;
			}
			break;
		case 'm':
			if (args_parse_uint(optarg, POLICY_MAX_VALIDITY_DAYS, &v) != 0 || v == 0) {
				fprintf(stderr, "import-key: --max-validity-days must be 1 to %d\n",
				        POLICY_MAX_VALIDITY_DAYS);
				return -1;
			}
			a->policy.max_validity_days = (uint32_t)v;
			break;
		case 'l':
			if (args_parse_uint(optarg, 16, &v) != 0) {
				fprintf(stderr, "import-key: --path-length must be 0 to 16\n");
				return -1;
			}
			a->policy.path_length = (int32_t)v;
			break;
		case 'n':
			name_rules_free(a->policy.names);
			a->policy.names = NULL;
			if (name_rules_parse(optarg, &a->policy.names, &msg) != EDGECA_OK) {
				fprintf(stderr, "import-key: --name-rules: %s\n", msg.detail);
				return -1;
			}
			break;
		default: import_usage(); return -1;
		}
	}
	if ((a->state_dir == NULL) == (a->kek_file == NULL) || a->key_file == NULL ||
	    a->out_file == NULL || a->policy.templates == 0 || a->policy.max_validity_days == 0 ||
	    optind != argc) {
		import_usage();
		return -1;
	}
	return 0;
}

/* The passphrase file's first line (*out NULL when no file is given). */
static int
read_passphrase(const char *path, char **out)
{
	unsigned char *text = NULL;
	size_t len = 0;

	*out = NULL;
	if (path == NULL)
		return 0;
	if (file_read(path, PASSPHRASE_MAX, &text, &len) != 0) {
		fprintf(stderr, "import-key: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	text[strcspn((char *)text, "\r\n")] = '\0';
	*out = (char *)text;
	return 0;
}

/* Writes the record as one line of base64 to path, mode 0600, never over
 * an existing file. */
static int
write_record(const char *path, const struct buf *rec)
{
	char *b64 = base64_encode(rec->data, rec->len, 0);
	size_t len, done = 0;
	int fd = -1, rc = -1;

	if (b64 == NULL)
		goto out;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		goto out;
	len = strlen(b64);
	b64[len++] = '\n'; /* the NUL's place */
	while (done < len) {
		ssize_t w = write(fd, b64 + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto out;
		done += (size_t)w;
	}
	rc = fsync(fd);
out:
	if (rc != 0)
		fprintf(stderr, "import-key: cannot write %s: %s\n", path, strerror(errno));
	if (fd >= 0 && close(fd) != 0)
		rc = -1;
	free(b64);
	return rc;
}

/* Run as root, the KEK is read as its owner, the signer's user, whose
 * effective ids the command takes while the key store is open (the key
 * store refuses a KEK of another user); the operator's files are read
 * and written as root. Returns 0, or -1 after saying why. */
static int
become(uid_t uid, gid_t gid)
{
	/* back to root: the uid first, which then allows the gid */
	if (uid == 0 ? (seteuid(uid) != 0 || setegid(gid) != 0)
	             : (setegid(gid) != 0 || seteuid(uid) != 0)) {
		fprintf(stderr, "import-key: cannot switch to uid %d: %s\n", (int)uid,
		        strerror(errno));
		return -1;
	}
	return 0;
}

int
import_key_main(int argc, char **argv)
{
	struct import_args a = {.policy = {0, 0, -1, NULL}};
	struct edgeca_msg msg = {0};
	struct keystore *ks = NULL;
	struct buf rec = {0};
	char kek[PATH_BYTES], tmp[] = "/tmp/edgeca-import-XXXXXX", keys[sizeof(tmp) + 8];
	char key_id[KEY_ID_LEN + 1] = "", *pass = NULL;
	unsigned char *pem = NULL;
	size_t pem_len = 0;
	struct stat st;
	bool made_tmp = false, root = geteuid() == 0;
	int rc = 1;

	log_init("edgeca-signer import-key", LOG_LEVEL_WARN);
	if (parse_args(argc, argv, &a) != 0) {
		rc = 2;
		goto out;
	}
	if (a.kek_file != NULL)
		snprintf(kek, sizeof(kek), "%s", a.kek_file);
	else
		snprintf(kek, sizeof(kek), "%s/kek", a.state_dir);
	/* keystore_open makes a KEK where none is: a record sealed under a
	 * new one would open nowhere */
	if (stat(kek, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "import-key: no KEK at %s: give the KEK of the deployment's "
		        "signers (start the signer once to make it)\n", kek);
		goto out;
	}
	if (read_passphrase(a.passphrase_file, &pass) != 0)
		goto out;
	if (file_read(a.key_file, KEY_FILE_MAX, &pem, &pem_len) != 0) {
		fprintf(stderr, "import-key: cannot read %s: %s\n", a.key_file,
		        errno ? strerror(errno) : "too large");
		goto out;
	}
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (root && st.st_uid != 0 && become(st.st_uid, st.st_gid) != 0)
		goto out;
	if (mkdtemp(tmp) == NULL) {
		fprintf(stderr, "import-key: cannot make a temporary directory: %s\n",
		        strerror(errno));
		goto out;
	}
	made_tmp = true;
	if (keystore_open(tmp, kek, 1, &ks, &msg) != EDGECA_OK ||
	    import_key_seal(ks, (const char *)pem, pem_len, pass, &a.policy, &rec, key_id, &msg) !=
	        EDGECA_OK) {
		fprintf(stderr, "import-key: %s (%s)\n", msg.detail, msg.type[0] ? msg.type : "error");
		goto out;
	}
	if (root && become(0, 0) != 0)
		goto out;
	if (write_record(a.out_file, &rec) != 0)
		goto out;
	printf("%s\n", key_id);
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	keystore_free(ks);
	if (root && geteuid() != 0 && become(0, 0) != 0)
		rc = 1;
	if (made_tmp) {
		snprintf(keys, sizeof(keys), "%s/keys", tmp);
		rmdir(keys);
		rmdir(tmp);
	}
	if (pem != NULL)
		OPENSSL_cleanse(pem, pem_len);
	free(pem);
	if (pass != NULL)
		OPENSSL_cleanse(pass, strlen(pass));
	free(pass);
	buf_free(&rec);
	name_rules_free(a.policy.names);
	return rc;
}
