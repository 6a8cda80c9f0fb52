/* cmd-token-list.c: airca token list: the module's slots and their tokens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "error.h"
#include "out.h"
#include "hsm.h"
#include "token.h"

/* The flag words as a JSON array. */
static json_t *
flags_json(unsigned long flags)
{
	char words[512], *w, *save = NULL, *s;
	json_t *a;

	if ((a = json_array()) == NULL)
		return NULL;
	token_flag_words(flags, words, sizeof(words));
	for (s = words; (w = strtok_r(s, ", ", &save)) != NULL; s = NULL)
		json_array_append_new(a, json_string(w));
	return a;
}

static int
print_json(struct out *out, const struct token_info *ti, size_t n)
{
	json_t *arr = NULL, *o;
	size_t i;
	int r = AIRCA_ERR_NOMEM;

	if ((arr = json_array()) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if ((o = json_object()) == NULL ||
		    json_array_append_new(arr, o) != 0)
			goto out;
		json_object_set_new(o, "slot_id", json_integer(
		    (json_int_t)ti[i].slot_id));
		json_object_set_new(o, "slot_description",
		    json_string(ti[i].slot_desc));
		json_object_set_new(o, "token_present",
		    json_boolean(ti[i].present));
		if (!ti[i].present)
			continue;
		json_object_set_new(o, "label", json_string(ti[i].label));
		json_object_set_new(o, "serial", json_string(ti[i].serial));
		json_object_set_new(o, "manufacturer",
		    json_string(ti[i].manufacturer));
		json_object_set_new(o, "model", json_string(ti[i].model));
		json_object_set_new(o, "firmware", json_string(ti[i].firmware));
		json_object_set_new(o, "hardware", json_string(ti[i].hardware));
		json_object_set_new(o, "flags", flags_json(ti[i].flags));
	}
	r = out_set(out, "slots", arr);
	arr = NULL;
 out:
	json_decref(arr);
	return r;
}

static void
print_text(struct out *out, const struct token_info *ti, size_t n)
{
	char words[512];
	size_t i;

	if (n == 0)
		out_result(out, "no slots");
	for (i = 0; i < n; i++) {
		out_result(out, "%sslot %lu: %s", i ? "\n" : "", ti[i].slot_id,
		    ti[i].slot_desc);
		if (!ti[i].present) {
			out_result(out, "  no token");
			continue;
		}
		token_flag_words(ti[i].flags, words, sizeof(words));
		out_result(out, "  token:        %s", ti[i].initialized ?
		    ti[i].label : "(not initialised)");
		out_result(out, "  serial:       %s", ti[i].serial);
		out_result(out, "  manufacturer: %s", ti[i].manufacturer);
		out_result(out, "  model:        %s", ti[i].model);
		out_result(out, "  firmware:     %s (hardware %s)",
		    ti[i].firmware, ti[i].hardware);
		out_result(out, "  flags:        %s", words);
	}
}

static int
cmd_token_list_exec(struct cmd_ctx *ctx, struct ca *ca,
    const struct cmd_args *a)
{
	struct hsm_profile prof;
	struct token_info *ti = NULL;
	const char *module = args_get(a, "module");
	size_t n = 0;
	int r = AIRCA_ERR_INTERNAL;

	(void)ca;
	if (module == NULL) {
		if (ctx->hsm == NULL || *ctx->hsm == '\0') {
			r = airca_errf(AIRCA_ERR_USAGE, "which PKCS#11 module? "
			    "give --module PATH or --hsm PROFILE");
			goto out;
		}
		if ((r = hsm_profile_load(ctx->hsm, &prof)) != 0)
			goto out;
		module = prof.module;
	}
	if ((r = token_list(module, &ti, &n)) != 0)
		goto out;
	if (out_is_json(ctx->out))
		r = print_json(ctx->out, ti, n);
	else
		print_text(ctx->out, ti, n);
 out:
	free(ti);
	return r;
}

/* a module path is often a symlink into the distribution's library tree */
static const struct args_opt token_list_opts[] = {
	{ "module", ARGS_STRING, "PATH", 0, 0, 0, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

const struct cmd_entry cmd_token_list_entry = {
	.name = "token list",
	.summary = "slots and tokens of the PKCS#11 module",
	.args = { .opts = token_list_opts },
	.exec = cmd_token_list_exec,
};
