/* cmd-device-ca.c: airca device-ca create: a local device CA whose key is generated on the token, signed by the root. */
#include <errno.h>
#include <getopt.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "cmd.h"
#include "error.h"
#include "issue.h"
#include "util.h"

/* The API's polis-id: letters, digits, '.', '_', '-'; 1..60 bytes. */
static bool
user_id_ok(const char *uid)
{
	size_t i, n = strlen(uid);

	if (n == 0 || n > 60)
		return false;
	for (i = 0; i < n; i++) {
		char c = uid[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int
device_ca_create(struct ca *ca, const char *uid, const char *label,
    unsigned days)
{
	struct ca_issue ci;
	X509_NAME *req = NULL, *subj = NULL;
	EVP_PKEY *pub = NULL, *sign = NULL;
	X509 *cert = NULL;
	json_t *extra = NULL;
	char cn[80], serial[SERIAL_HEX_MAX], fp[SHA256_HEX_LEN + 1];
	char groups[96];
	int r;

	if (registry_by_label(ca->reg, label) != NULL) {
		r = airca_errf(AIRCA_ERR_EXISTS, "label '%s' is taken by an "
		    "earlier CA of this home: choose another --label", label);
		goto out;
	}
	snprintf(cn, sizeof(cn), "fio-%s", uid);
	if ((req = X509_NAME_new()) == NULL ||
	    !X509_NAME_add_entry_by_NID(req, NID_commonName, MBSTRING_UTF8,
	    (unsigned char *)cn, -1, -1, 0)) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = policy_subject(&ca->pol.profiles[PROFILE_DEVICE_CA], req,
	    X509_get_subject_name(ca->root), &subj)) != 0)
		goto out;
	if ((r = ca_generate_key(ca, ca->pol.ca_key, label, &pub, &sign)) != 0)
		goto out;
	memset(&ci, 0, sizeof(ci));
	ci.prof = &ca->pol.profiles[PROFILE_DEVICE_CA];
	ci.subject = subj;
	ci.pubkey = pub;
	ci.issuer = ca->root;
	ci.issuer_key = ca->root_key;
	ci.days = days;
	ci.label = label;
	if ((extra = json_pack("{s:s}", "user-id", uid)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	ci.extra = extra;
	if ((r = ca_issue(ca, &ci, &cert)) != 0 ||
	    (r = token_store_cert(ca->tok, label, cert)) != 0)
		goto out;
	cert_serial_hex(cert, serial, sizeof(serial));
	cert_fingerprint(cert, fp);
	hex_groups(fp, groups, sizeof(groups));
	if (ca->ctx->json) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "label", label,
		    "cn", cn, "serial", serial, "fingerprint", fp);

		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(o);
	} else
		printf("device CA '%s' (CN=%s) serial %s\n  SHA-256 %s\n"
		    "  next: 'airca api device-cas --out DIR' for the factory "
		    "API's ca-crt upload\n", label, cn, serial, groups);
 out:
	json_decref(extra);
	X509_free(cert);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(sign);
	X509_NAME_free(req);
	X509_NAME_free(subj);
	return r;
}

static int
cmd_device_ca_create_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "user-id",	required_argument, NULL, 'u' },
		{ "label",	required_argument, NULL, 'l' },
		{ "days",	required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	struct ca ca;
	const char *uid = NULL, *label = NULL;
	char deflabel[64], *end;
	unsigned long days = 0;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			uid = optarg;
			break;
		case 'l':
			label = optarg;
			break;
		case 'd':
			errno = 0;
			days = strtoul(optarg, &end, 10);
			if (errno || *end != '\0' || days == 0 || days > 36500)
				return cmd_usage(&cmd_device_ca_create_entry);
			break;
		default:
			return cmd_usage(&cmd_device_ca_create_entry);
		}
	}
	if (optind != argc || uid == NULL)
		return cmd_usage(&cmd_device_ca_create_entry);
	if (!user_id_ok(uid))
		return airca_errf(AIRCA_ERR_USAGE, "--user-id '%.80s': use the "
		    "owner's user id from the factory API (letters, digits, "
		    "'.', '_', '-'; at most 60)", uid);
	if (label == NULL) {
		snprintf(deflabel, sizeof(deflabel), "airca-dca-%.20s", uid);
		label = deflabel;
	}
	if (!name_safe(label, 32))
		return airca_errf(AIRCA_ERR_USAGE, "--label '%.80s': 1..32 "
		    "printable characters, no '/', not starting with '.'",
		    label);
	if ((r = ca_open(&ca, ctx, "device-ca create",
	    CA_HOME | CA_WRITE | CA_TOKEN)) == 0) {
		if (strlen(label) > ca.hsm.label_max)
			r = airca_errf(AIRCA_ERR_USAGE, "--label '%s' is longer "
			    "than the %zu characters HSM '%s' takes", label,
			    ca.hsm.label_max, ca.hsm.name);
		else
			r = device_ca_create(&ca, uid, label, (unsigned)days);
	}
	return ca_close(&ca, r);
}

const struct cmd_entry cmd_device_ca_create_entry = {
	.name = "device-ca create",
	.usage = "--user-id UID [--label L] [--days N]",
	.summary = "a local device CA: key on the token, signed by the root",
	.exec_argv = cmd_device_ca_create_exec,
};
