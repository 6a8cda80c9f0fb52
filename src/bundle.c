/* bundle.c: reading the factory API's CSR response and writing upload bundles. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "error.h"
#include "media.h"
#include "util.h"

static const struct {
	const char *key, *profile, *file, *crt;
} api_fields[API_NCSR] = {
	{ "tls-csr",	 "tls",	      "tls.pem",	"tls-crt" },
	{ "ca-csr",	 "online-ca", "online-ca.pem",	"ca-crt" },
	{ "est-tls-csr", "est-tls",   "est-tls.pem",	"est-tls-crt" },
};

/*
 * Keys the API's response held in fioctl's script era (the shell scripts
 * fioctl ran to sign the CSRs, client/foundries_pki.go before fioctl commit
 * 058fae9): known, and ignored.
 */
static const char *const api_legacy_keys[] = {
	"create_ca", "create_device_ca", "sign_ca_csr", "sign_tls_csr", NULL
};

const char *api_csr_key(enum api_csr i) { return api_fields[i].key; }
const char *api_csr_profile(enum api_csr i) { return api_fields[i].profile; }
const char *api_csr_file(enum api_csr i) { return api_fields[i].file; }
const char *api_crt_key(enum api_csr i) { return api_fields[i].crt; }

int
bundle_parse_response(const char *what, const unsigned char *data, size_t len,
    struct api_response *resp)
{
	json_t *root = NULL, *v;
	json_error_t jerr;
	const char *key;
	int i, k, n = 0, r = AIRCA_ERR_INPUT;

	memset(resp, 0, sizeof(*resp));
	snprintf(resp->path, sizeof(resp->path), "%s", what);
	sha256(data, len, resp->sha256);
	if ((root = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s:%d:%d: not valid JSON: %s",
		    what, jerr.line, jerr.column, jerr.text);
		goto out;
	}
	if (!json_is_object(root)) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s: not a JSON object: expected "
		    "the factory API's CSR response", what);
		goto out;
	}
	/*
	 * Every key known, or refused by name: a typo such as est_tls_csr
	 * would otherwise make a run quietly sign less than the API asked.
	 */
	json_object_foreach(root, key, v) {
		for (i = 0; i < API_NCSR; i++)
			if (strcmp(key, api_fields[i].key) == 0)
				break;
		for (k = 0; i == API_NCSR && api_legacy_keys[k] != NULL; k++)
			if (strcmp(key, api_legacy_keys[k]) == 0)
				break;
		if (i == API_NCSR && api_legacy_keys[k] == NULL) {
			r = airca_errf(AIRCA_ERR_INPUT, "%s: unknown key \"%.64s\":"
			    " the factory API's CSR response holds tls-csr, "
			    "ca-csr and est-tls-csr (docs/api.md); check the file "
			    "for a typo or bring the response the API returned",
			    what, key);
			goto out;
		}
	}
	for (i = 0; i < API_NCSR; i++) {
		if ((v = json_object_get(root, api_fields[i].key)) == NULL ||
		    json_is_null(v))
			continue;
		if (!json_is_string(v)) {
			r = airca_errf(AIRCA_ERR_INPUT, "%s: \"%s\" is not a "
			    "string", what, api_fields[i].key);
			goto out;
		}
		resp->csr_len[i] = json_string_length(v);
		if ((resp->csr[i] = malloc(resp->csr_len[i] + 1)) == NULL) {
			r = AIRCA_ERR_NOMEM;
			goto out;
		}
		memcpy(resp->csr[i], json_string_value(v), resp->csr_len[i]);
		resp->csr[i][resp->csr_len[i]] = '\0';
		n++;
	}
	if (n == 0) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s holds none of tls-csr, "
		    "ca-csr, est-tls-csr: is it the factory API's CSR response?",
		    what);
		goto out;
	}
	r = 0;
 out:
	json_decref(root);
	if (r != 0)
		bundle_response_free(resp);
	return r;
}

int
bundle_read_response(const char *path, struct api_response *resp)
{
	unsigned char *buf = NULL;
	size_t len;
	int r;

	memset(resp, 0, sizeof(*resp));
	if ((r = media_read(path, MEDIA_MAX_JSON, &buf, &len)) != 0)
		return r;
	r = bundle_parse_response(path, buf, len, resp);
	free(buf);
	return r;
}

void
bundle_response_free(struct api_response *resp)
{
	int i;

	for (i = 0; i < API_NCSR; i++) {
		free(resp->csr[i]);
		resp->csr[i] = NULL;
	}
}

void
bundle_init(struct bundle *b, const char *dir)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->dir, sizeof(b->dir), "%s", dir);
}

int
bundle_add(struct bundle *b, const char *name, const char *data, size_t len)
{
	if (b->n == BUNDLE_MAX_FILES)
		return airca_errf(AIRCA_ERR_INTERNAL, "too many files in bundle");
	if ((b->name[b->n] = xstrdup(name)) == NULL ||
	    (b->data[b->n] = malloc(len + 1)) == NULL) {
		free(b->name[b->n]);
		return AIRCA_ERR_NOMEM;
	}
	memcpy(b->data[b->n], data, len);
	b->len[b->n] = len;
	b->n++;
	return 0;
}

int
bundle_check_free(const char *dir, const char *const *names, size_t n)
{
	char path[4096];
	size_t i;
	int r;

	for (i = 0; i <= n; i++) {
		if ((r = path_join(path, sizeof(path), dir,
		    i < n ? names[i] : "SHA256SUMS")) != 0)
			return r;
		if (media_exists(path))
			return airca_errf(AIRCA_ERR_EXISTS, "%s exists; airca "
			    "never overwrites an output: move it away or choose "
			    "another --out", path);
	}
	return 0;
}

int
bundle_commit(struct bundle *b)
{
	char path[4096];
	size_t i, done = 0;
	bool sums = false;
	int r;

	if ((r = bundle_check_free(b->dir, (const char *const *)b->name,
	    b->n)) != 0)
		return r;
	for (i = 0; i < b->n; i++, done++) {
		if ((r = path_join(path, sizeof(path), b->dir, b->name[i])) != 0 ||
		    (r = media_write(path, b->data[i], b->len[i], 0)) != 0)
			goto out;
	}
	if ((r = media_write_sums(b->dir, (const char *const *)b->name,
	    b->n)) != 0)
		goto out;
	sums = true;
	if ((r = media_check_sums(b->dir)) != 0)
		goto out;
	done = 0;
	sums = false;
 out:
	/* a failed bundle leaves none of its files: no upload without its sums */
	for (i = 0; i < done; i++)
		if (path_join(path, sizeof(path), b->dir, b->name[i]) == 0)
			(void)unlink(path);
	if (sums && path_join(path, sizeof(path), b->dir, "SHA256SUMS") == 0)
		(void)unlink(path);
	return r;
}

json_t *
bundle_manifest(const struct bundle *b)
{
	char hex[SHA256_HEX_LEN + 1];
	json_t *o;
	size_t i;

	if ((o = json_object()) == NULL)
		return NULL;
	for (i = 0; i < b->n; i++) {
		sha256_hex(b->data[i], b->len[i], hex);
		json_object_set_new(o, b->name[i], json_string(hex));
	}
	return o;
}

void
bundle_free(struct bundle *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free(b->name[i]);
		free(b->data[i]);
	}
	b->n = 0;
}
