/* bundle.h: the factory API's files: the CSR response read in, the upload body and PEMs written out with SHA256SUMS. */
#ifndef AIRCA_BUNDLE_H
#define AIRCA_BUNDLE_H

#include <stddef.h>

#include <jansson.h>

#include "util.h"

enum api_csr {
	API_TLS = 0,		/* "tls-csr"     -> tls.pem,       "tls-crt" */
	API_CA,			/* "ca-csr"      -> online-ca.pem, "ca-crt" */
	API_EST,		/* "est-tls-csr" -> est-tls.pem,   "est-tls-crt" */
	API_NCSR
};

struct api_response {
	char	*csr[API_NCSR];		/* PEM text, or NULL when absent; owned */
	size_t	csr_len[API_NCSR];
	unsigned char sha256[SHA256_LEN];	/* of the whole file */
	char	path[4096];
};

/* "tls-csr"; the profile name ("tls"); the output file ("tls.pem"); the upload key ("tls-crt"). */
const char *api_csr_key(enum api_csr i);
const char *api_csr_profile(enum api_csr i);
const char *api_csr_file(enum api_csr i);
const char *api_crt_key(enum api_csr i);

/*
 * Read the factory API's CSR response (JSON object, at most
 * MEDIA_MAX_JSON bytes, through media_read): the CSR fields must be
 * strings; other fields are ignored.  A response with none of the three
 * is an error.  Free with bundle_response_free().
 */
int	bundle_read_response(const char *path, struct api_response *resp);

/* The same from a buffer (fuzzing, tests); what names the input in errors. */
int	bundle_parse_response(const char *what, const unsigned char *data,
	    size_t len, struct api_response *resp);
void	bundle_response_free(struct api_response *resp);

/*
 * A set of output files written together into an existing directory:
 * add them, then bundle_commit() writes every file (refusing if any
 * exists, before writing any), then SHA256SUMS, and checks them back.
 */
#define BUNDLE_MAX_FILES	16
struct bundle {
	char	dir[4096];
	size_t	n;
	char	*name[BUNDLE_MAX_FILES];
	char	*data[BUNDLE_MAX_FILES];
	size_t	len[BUNDLE_MAX_FILES];
};

void	bundle_init(struct bundle *b, const char *dir);
/* Add a file; data copied. */
int	bundle_add(struct bundle *b, const char *name, const char *data, size_t len);
/* Fail (AIRCA_ERR_EXISTS) if any named output, or SHA256SUMS, exists in dir. */
int	bundle_check_free(const char *dir, const char *const *names, size_t n);
/*
 * Write every file, then SHA256SUMS, then check them all (read back).  On
 * failure the files this call wrote are removed again, so an error leaves
 * no bundle without its sums (a kill can: files without SHA256SUMS are an
 * incomplete bundle).  Returns 0 or the first error.
 */
int	bundle_commit(struct bundle *b);
/* {"file": sha256, ...} for the journal; NULL on allocation failure. */
json_t	*bundle_manifest(const struct bundle *b);
void	bundle_free(struct bundle *b);

#endif
