/* hsm.h: HSM profiles (hsm-profiles/NAME.conf): module, token selection, key types, quirks, network policy. */
#ifndef AIRCA_HSM_H
#define AIRCA_HSM_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

enum key_type {
	KEY_EC_P256 = 0,
	KEY_EC_P384,
	KEY_RSA_3072,
	KEY_RSA_4096,
	KEY_NTYPES
};

/* "ec-p256" ... ; NULL for an unknown type. */
const char *key_type_name(enum key_type);
/* Parse a name; returns 0 or AIRCA_ERR_USAGE. */
int	key_type_parse(const char *name, enum key_type *typep);

enum net_policy {
	NET_REFUSE = 0,		/* any non-loopback interface up: refuse to run */
	NET_WARN,		/* warn and journal it */
	NET_ALLOW,		/* network-attached HSM: allowed, journaled */
};

struct hsm_profile {
	char	name[64];		/* [hsm] name */
	char	path[PATH_MAX];		/* the file it was read from */
	char	module[PATH_MAX];	/* [hsm] module = PKCS#11 module path */
	/* [token] exactly one of these picks the token */
	char	token_label[33];
	char	token_serial[17];
	char	token_uri[512];		/* RFC 7512 pkcs11: URI */
	unsigned key_types;		/* [keys] generate = ...: bit (1 << enum key_type) */
	int	generate_line;		/* its line in path; 0: not given (ec-p256) */
	size_t	id_len;			/* [keys] id_len: CKA_ID bytes (default 16) */
	size_t	label_max;		/* [keys] label_max (default 32) */
	bool	wrap_with_trusted;	/* [keys] wrap_with_trusted: enforces CKA_WRAP_WITH_TRUSTED
					   and imports CKA_TRUSTED keys (--backup K-of-N); default no */
	bool	login_before_search;	/* [quirks] login_before_search */
	bool	no_rng;			/* [quirks] no_rng: use the host RNG for ids/serials */
	unsigned max_sessions;		/* [quirks] max_sessions (0 = no limit) */
	/*
	 * [quirks] batch_sessions: the signing sessions of batch sign when
	 * --sessions is not given (0: TOKEN_SIGN_SESSIONS_DEFAULT), or
	 * HSM_SESSIONS_CPUS for a token that computes its signatures on this
	 * machine's processors (a software token): half of them, at least 1.
	 */
	unsigned batch_sessions;
	enum net_policy network;	/* [network] policy = refuse|warn|allow */
};

#define HSM_SESSIONS_CPUS	(~0u)

/*
 * Load a profile by name ("softhsm2": hsm-profiles/softhsm2.conf, found
 * in $AIRCA_PROFILES, then along datadir_list("hsm-profiles"): beside the
 * installed binary, the compiled-in prefix, the source tree) or
 * by path (anything with a '/').  Unknown sections or keys are errors with
 * the line number.  Returns 0 and fills *p.
 */
int	hsm_profile_load(const char *name_or_path, struct hsm_profile *p);

/*
 * Can the profile's token generate keys of type kt?  0, or
 * AIRCA_ERR_USAGE with a sentence naming the token, the profile's
 * generate line and the types it lists.
 */
int	hsm_profile_can_generate(const struct hsm_profile *p, enum key_type kt);

#endif
