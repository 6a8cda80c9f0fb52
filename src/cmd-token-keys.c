/* cmd-token-keys.c: airca token keys: key pairs and certificates on the token, after login. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ca.h"
#include "cmd.h"
#include "error.h"
#include "hsm.h"
#include "prompt.h"
#include "token.h"
#include "util.h"


static const char *
type_name(enum key_type t)
{
	const char *s = key_type_name(t);

	return s != NULL ? s : "other";
}

static int
print_json(const struct token_key_info *k, size_t n)
{
	json_t *arr = NULL, *o;
	char *text = NULL, id[2 * TOKEN_ID_MAX + 1];
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
	}
	if ((text = json_dumps(arr, JSON_INDENT(2) | JSON_ENSURE_ASCII)) ==
	    NULL)
		goto out;
	printf("%s\n", text);
	r = 0;
 out:
	free(text);
	json_decref(arr);
	return r;
}

static void
print_text(const char *token, const struct token_key_info *k, size_t n)
{
	char id[2 * TOKEN_ID_MAX + 1];
	size_t i;

	if (n == 0)
		printf("no keys or certificates on token '%s'\n", token);
	for (i = 0; i < n; i++) {
		hex_encode(k[i].id, k[i].id_len, id);
		printf("%skey '%s'\n", i ? "\n" : "", k[i].label);
		printf("  id:          %s\n", id[0] ? id : "(none)");
		printf("  type:        %s\n", type_name(k[i].type));
		printf("  objects:     %s%s%s\n",
		    k[i].has_private ? "private " : "",
		    k[i].has_public ? "public " : "",
		    k[i].has_cert ? "certificate" : "");
		printf("  SPKI SHA-256: %s\n", k[i].spki_sha256[0] ?
		    k[i].spki_sha256 : "(unknown)");
	}
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
	/* no home: the profile, the air gap, the token (asked for), the login */
	ca_begin(&ca, ctx, "token keys");
	if ((r = ca_token_login(&ca)) != 0 ||
	    (r = token_keys(ca.tok, &keys, &n)) != 0)
		goto out;
	if (ctx->json)
		r = print_json(keys, n);
	else
		print_text(token_info(ca.tok)->label, keys, n);
 out:
	free(keys);
	return ca_close(&ca, r);
}

const struct cmd_entry cmd_token_keys_entry = {
	.name = "token keys",
	.summary = "key pairs and certificates on the token (logs in)",
	.exec = cmd_token_keys_exec,	/* no home: it logs in by itself */
};
