/* cmd-check-airgap.c: airca check-airgap: network interfaces up, host and binary fingerprint. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "airgap.h"
#include "cmd.h"
#include "error.h"
#include "out.h"
#include "hsm.h"

static const char *
policy_name(enum net_policy p)
{
	switch (p) {
	case NET_REFUSE:	return "refuse";
	case NET_WARN:		return "warn";
	case NET_ALLOW:		return "allow";
	}
	return "?";
}

static int
cmd_check_airgap_exec(struct cmd_ctx *ctx, struct ca *ca,
    const struct cmd_args *a)
{
	struct hsm_profile prof;
	struct airgap_report rep;
	struct host_info hi;
	enum net_policy policy = NET_REFUSE;
	bool policy_given = false;
	json_t *o = NULL, *up;
	size_t i;
	int r = AIRCA_ERR_INTERNAL, rc;

	(void)ca;
	(void)a;
	/* without an HSM profile, the strictest policy */
	if (ctx->hsm != NULL && *ctx->hsm != '\0') {
		if ((r = hsm_profile_load(ctx->hsm, &prof)) != 0)
			goto out;
		policy = prof.network;
		policy_given = true;
	}
	if ((r = airgap_host(&hi)) != 0)
		goto out;
	rc = airgap_check(policy, &rep);
	if (rc != 0 && rc != AIRCA_ERR_NETWORK) {
		r = rc;
		goto out;
	}
	if (out_is_json(ctx->out)) {
		if ((o = json_object()) == NULL || (up = json_array()) == NULL) {
			r = AIRCA_ERR_NOMEM;
			goto out;
		}
		for (i = 0; i < rep.nup && i < AIRGAP_MAX_IFACES; i++)
			json_array_append_new(up, json_string(rep.up[i]));
		json_object_set_new(o, "interfaces_up", up);
		json_object_set_new(o, "policy",
		    json_string(policy_name(policy)));
		json_object_set_new(o, "air_gapped", json_boolean(rep.nup == 0));
		json_object_set_new(o, "hostname", json_string(hi.hostname));
		json_object_set_new(o, "kernel", json_string(hi.kernel));
		json_object_set_new(o, "airca_version",
		    json_string(hi.airca_version));
		json_object_set_new(o, "binary_sha256",
		    json_string(hi.binary_sha256));
		r = out_merge(ctx->out, o);
		o = NULL;
		if (r != 0)
			goto out;
	} else {
		out_result(ctx->out, "network:  %s (policy %s%s)", rep.summary,
		    policy_name(policy), policy_given ? "" :
		    ": no HSM profile given");
		out_result(ctx->out, "host:     %s", hi.hostname);
		out_result(ctx->out, "kernel:   %s", hi.kernel);
		out_result(ctx->out, "airca:    %s, binary SHA-256 %s",
		    hi.airca_version, hi.binary_sha256);
	}
	if (rc == 0 && rep.nup > 0)
		out_warn(ctx->out, "%s; allowed only by the HSM profile's "
		    "network policy %s", rep.summary, policy_name(policy));
	if (rc != 0)
		/* airgap_check's message is the detail main() prints */
		r = rc;
	else
		r = 0;
 out:
	json_decref(o);
	return r;
}

const struct cmd_entry cmd_check_airgap_entry = {
	.name = "check-airgap",
	.summary = "check that no network interface is up but loopback",
	.exec = cmd_check_airgap_exec,
};
