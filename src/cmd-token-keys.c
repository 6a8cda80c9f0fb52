/* cmd-token-keys.c: airca token keys: key pairs and certificates on the token, after login. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ca.h"
#include "cmd.h"
#include "custody.h"
#include "error.h"
#include "out.h"
#include "hsm.h"
#include "media.h"
#include "prompt.h"
#include "token.h"
#include "util.h"


static const char *
type_name(enum key_type t)
{
	const char *s = key_type_name(t);

	return s != NULL ? s : "other";
}

/* A private key's access attributes in words ("" when unreadable). */
static void
access_words(struct token *tok, const struct token_key_info *k, char *buf,
    size_t size)
{
	struct key_attrs at;

	buf[0] = '\0';
	if (!k->has_private || token_key_attrs(tok, k->label, &at) != 0) {
		airca_errclear();
		return;
	}
	snprintf(buf, size, "%s%s%s%s%s", at.sensitive ? "sensitive" :
	    "NOT SENSITIVE", at.extractable ? (at.wrap_with_trusted ?
	    ", extractable only wrapped under a trusted key "
	    "(wrap-with-trusted)" : ", EXTRACTABLE") : ", never extractable",
	    at.local ? ", generated on the token" : ", restored (not local)",
	    at.always_sensitive ? ", always sensitive" : "",
	    at.never_extractable ? ", never extractable since generation" : "");
}

static void
custody_words(struct token *tok, char *buf, size_t size)
{
	struct secret_attrs sa;

	buf[0] = '\0';
	if (token_secret_attrs(tok, CUSTODY_LABEL, &sa) != 0) {
		airca_errclear();
		return;
	}
	snprintf(buf, size, "AES, %lu bytes, %s, %s%s, %s, %s, %s",
	    sa.value_len, sa.trusted ? "trusted" : "NOT TRUSTED",
	    sa.wrap ? "wraps" : "does not wrap", sa.unwrap ? ", UNWRAPS" : "",
	    sa.sensitive ? "sensitive" : "NOT SENSITIVE",
	    sa.extractable ? "EXTRACTABLE" : "not extractable",
	    sa.modifiable ? "MODIFIABLE" : "not modifiable");
}

static int
print_json(struct out *out, struct token *tok,
    const struct token_key_info *k, size_t n)
{
	json_t *arr = NULL, *o;
	char id[2 * TOKEN_ID_MAX + 1], acc[256];
	size_t i;
	int r = AIRCA_ERR_NOMEM;

	if ((arr = json_array()) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if ((o = json_object()) == NULL ||
		    json_array_append_new(arr, o) != 0)
			goto out;
		hex_encode(k[i].id, k[i].id_len, id);
		json_object_set_new(o, "label", json_string(k[i].label));
		json_object_set_new(o, "id", json_string(id));
		json_object_set_new(o, "type", json_string(type_name(k[i].type)));
		json_object_set_new(o, "private", json_boolean(k[i].has_private));
		json_object_set_new(o, "public", json_boolean(k[i].has_public));
		json_object_set_new(o, "certificate",
		    json_boolean(k[i].has_cert));
		json_object_set_new(o, "spki_sha256", k[i].spki_sha256[0] ?
		    json_string(k[i].spki_sha256) : json_null());
		access_words(tok, &k[i], acc, sizeof(acc));
		if (acc[0] != '\0')
			json_object_set_new(o, "access", json_string(acc));
	}
	custody_words(tok, acc, sizeof(acc));
	if (acc[0] != '\0' && ((o = json_pack("{s:s,s:s,s:s}", "label",
	    CUSTODY_LABEL, "type", "custody", "access", acc)) == NULL ||
	    json_array_append_new(arr, o) != 0))
		goto out;
	r = out_set(out, "keys", arr);
	arr = NULL;
 out:
	json_decref(arr);
	return r;
}

static void
print_text(struct out *out, struct token *tok,
    const struct token_key_info *k, size_t n)
{
	const char *token = token_info(tok)->label;
	char id[2 * TOKEN_ID_MAX + 1], acc[256];
	size_t i;

	if (n == 0)
		out_result(out, "no keys or certificates on token '%s'", token);
	for (i = 0; i < n; i++) {
		hex_encode(k[i].id, k[i].id_len, id);
		out_result(out, "%skey '%s'", i ? "\n" : "", k[i].label);
		out_result(out, "  id:          %s", id[0] ? id : "(none)");
		out_result(out, "  type:        %s", type_name(k[i].type));
		out_result(out, "  objects:     %s%s%s",
		    k[i].has_private ? "private " : "",
		    k[i].has_public ? "public " : "",
		    k[i].has_cert ? "certificate" : "");
		out_result(out, "  SPKI SHA-256: %s", k[i].spki_sha256[0] ?
		    k[i].spki_sha256 : "(unknown)");
		access_words(tok, &k[i], acc, sizeof(acc));
		if (acc[0] != '\0')
			out_result(out, "  access:      %s", acc);
	}
	custody_words(tok, acc, sizeof(acc));
	if (acc[0] != '\0')
		out_result(out, "\ncustody key '%s' (K-of-N backup)\n  access: "
		    "     %s", CUSTODY_LABEL, acc);
}

/* A home with its airca.json at --home/AIRCA_HOME. */
static bool
home_exists(struct cmd_ctx *ctx)
{
	char home[PATH_MAX], state[PATH_MAX];

	if (ca_home_path(ctx, home, sizeof(home)) != 0 ||
	    path_join(state, sizeof(state), home, CA_STATE_FILE) != 0) {
		airca_errclear();
		return false;
	}
	return media_exists(state);
}

static int
cmd_token_keys_exec(struct cmd_ctx *ctx, struct ca *unused,
    const struct cmd_args *a)
{
	struct ca ca;
	struct token_key_info *keys = NULL;
	size_t n = 0;
	int r;

	(void)unused;
	(void)a;
	/*
	 * The profile, the air gap, the token (asked for), the login.  When
	 * there is a home, its journal says whether its token logs in with
	 * PIN shares (init --pin-shares): read, never written.
	 */
	if (home_exists(ctx)) {
		if ((r = ca_open(&ca, ctx, "token keys", CA_HOME)) != 0) {
			r = airca_errctx(r, "token keys reads the home (whether "
			    "its token logs in with PIN shares)");
			goto out;
		}
	} else
		ca_begin(&ca, ctx, "token keys");
	if ((r = ca_token_login(&ca)) != 0 ||
	    (r = token_keys(ca.tok, &keys, &n)) != 0)
		goto out;
	if (out_is_json(ctx->out))
		r = print_json(ctx->out, ca.tok, keys, n);
	else
		print_text(ctx->out, ca.tok, keys, n);
 out:
	free(keys);
	return ca_close(&ca, r);
}

const struct cmd_entry cmd_token_keys_entry = {
	.name = "token keys",
	.summary = "key pairs and certificates on the token (logs in)",
	.exec = cmd_token_keys_exec,	/* no home: it logs in by itself */
};
