/* crl.c: revocation lists of a CA: build, sign with the token key, verify, number and journal them. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "crl.h"
#include "error.h"
#include "issue.h"
#include "media.h"
#include "token.h"
#include "util.h"

static const struct {
	int	 reason;
	const char *name;
} reasons[] = {
	{ CRL_REASON_UNSPECIFIED,		"unspecified" },
	{ CRL_REASON_KEY_COMPROMISE,		"keyCompromise" },
	{ CRL_REASON_CA_COMPROMISE,		"cACompromise" },
	{ CRL_REASON_AFFILIATION_CHANGED,	"affiliationChanged" },
	{ CRL_REASON_SUPERSEDED,		"superseded" },
	{ CRL_REASON_CESSATION,			"cessationOfOperation" },
	{ CRL_REASON_HOLD,			"certificateHold" },
	{ CRL_REASON_REMOVE,			"removeFromCRL" },
	{ CRL_REASON_PRIVILEGE_WITHDRAWN,	"privilegeWithdrawn" },
};
#define NREASONS	(sizeof(reasons) / sizeof(reasons[0]))

const char *
crl_reason_name(int reason)
{
	size_t i;

	for (i = 0; i < NREASONS; i++)
		if (reasons[i].reason == reason)
			return reasons[i].name;
	return NULL;
}

int
crl_reason_parse(const char *name, int *reasonp)
{
	size_t i;

	for (i = 0; i < NREASONS; i++) {
		if (strcasecmp(reasons[i].name, name) == 0) {
			*reasonp = reasons[i].reason;
			return 0;
		}
	}
	return airca_errf(AIRCA_ERR_USAGE, "reason '%.40s': use unspecified, "
	    "keyCompromise, cACompromise, affiliationChanged, superseded, "
	    "cessationOfOperation, certificateHold, removeFromCRL or "
	    "privilegeWithdrawn", name);
}

int
crl_serial_parse(const char *in, char out[SERIAL_HEX_MAX])
{
	char hex[2 * 20 + 1];
	size_t i, n = 0, bytes;
	unsigned char bin[20];
	int c;

	for (i = 0; in[i] != '\0'; i++) {
		c = (unsigned char)in[i];
		if (c == ':' && i > 0 && in[i + 1] != '\0' && in[i + 1] != ':')
			continue;
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F')))
			return airca_errf(AIRCA_ERR_USAGE, "serial '%.60s' is "
			    "not hex (digits 0-9, a-f; as 'openssl x509 "
			    "-serial' prints it)", in);
		if (n == sizeof(hex) - 1)
			return airca_errf(AIRCA_ERR_USAGE, "serial '%.60s' is "
			    "longer than 20 bytes: no certificate has it", in);
		hex[n++] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
	}
	hex[n] = '\0';
	if (n == 0 || n % 2 != 0)
		return airca_errf(AIRCA_ERR_USAGE, "serial '%.60s' is not whole "
		    "bytes of hex (an even number of digits)", in);
	if (hex_decode(hex, bin, sizeof(bin), &bytes) != 0)
		return airca_errf(AIRCA_ERR_USAGE, "serial '%.60s' is not hex",
		    in);
	memcpy(out, hex, n + 1);
	return 0;
}

/* SHA-256 for P-256 and RSA, SHA-384 for P-384: what issue.c signs with. */
static int
crl_digest(EVP_PKEY *pub, const EVP_MD **mdp)
{
	char group[64];
	int nid;

	switch (EVP_PKEY_get_base_id(pub)) {
	case EVP_PKEY_RSA:
		if (EVP_PKEY_get_bits(pub) < 2048)
			break;
		*mdp = EVP_sha256();
		return 0;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(pub, group, sizeof(group),
		    NULL) != 1)
			break;
		if ((nid = OBJ_sn2nid(group)) == NID_undef)
			nid = EC_curve_nist2nid(group);
		if (nid == NID_X9_62_prime256v1) {
			*mdp = EVP_sha256();
			return 0;
		}
		if (nid == NID_secp384r1) {
			*mdp = EVP_sha384();
			return 0;
		}
		break;
	}
	ERR_clear_error();
	return airca_errf(AIRCA_ERR_CRYPTO, "the CA key is not one airca signs "
	    "with: EC P-256, EC P-384 or RSA 2048 and up");
}

/* The public half of a (token) key as a plain key, to compare. */
static int
same_key(EVP_PKEY *sign_key, EVP_PKEY *cert_pub)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	EVP_PKEY *pub = NULL;
	int len, r;

	if ((len = i2d_PUBKEY(sign_key, &der)) <= 0) {
		r = airca_errssl(AIRCA_ERR_CRYPTO, "cannot encode the public "
		    "half of the CRL signing key");
		goto out;
	}
	p = der;
	if ((pub = d2i_PUBKEY(NULL, &p, len)) == NULL) {
		r = airca_errssl(AIRCA_ERR_CRYPTO, "cannot decode the public "
		    "half of the CRL signing key");
		goto out;
	}
	if (EVP_PKEY_eq(pub, cert_pub) != 1) {
		ERR_clear_error();
		r = airca_errf(AIRCA_ERR_CRYPTO, "the CRL signing key is not "
		    "the key of the CA certificate");
		goto out;
	}
	r = 0;
 out:
	EVP_PKEY_free(pub);
	OPENSSL_free(der);
	return r;
}

static ASN1_INTEGER *
serial_integer(const char *hex)
{
	unsigned char bin[20];
	size_t len;
	BIGNUM *bn;
	ASN1_INTEGER *ai = NULL;

	if (hex_decode(hex, bin, sizeof(bin), &len) != 0)
		return NULL;
	if ((bn = BN_bin2bn(bin, (int)len, NULL)) != NULL)
		ai = BN_to_ASN1_INTEGER(bn, NULL);
	BN_free(bn);
	return ai;
}

static int
add_entry(X509_CRL *crl, const struct crl_entry *e)
{
	X509_REVOKED *rev = NULL;
	ASN1_INTEGER *sn = NULL;
	ASN1_TIME *when = NULL;
	ASN1_ENUMERATED *code = NULL;
	int r = AIRCA_ERR_NOMEM;

	if (crl_reason_name(e->reason) == NULL) {
		r = airca_errf(AIRCA_ERR_INTERNAL, "CRL reason %d for serial %s",
		    e->reason, e->serial);
		goto out;
	}
	if ((sn = serial_integer(e->serial)) == NULL) {
		r = airca_errf(AIRCA_ERR_STATE, "serial '%s' in the registry is "
		    "not hex", e->serial);
		goto out;
	}
	if ((rev = X509_REVOKED_new()) == NULL ||
	    (when = ASN1_TIME_set(NULL, e->when)) == NULL ||
	    !X509_REVOKED_set_serialNumber(rev, sn) ||
	    !X509_REVOKED_set_revocationDate(rev, when))
		goto out;
	if (e->reason != CRL_REASON_UNSPECIFIED) {
		if ((code = ASN1_ENUMERATED_new()) == NULL ||
		    !ASN1_ENUMERATED_set(code, e->reason) ||
		    X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, code, 0,
		    X509V3_ADD_DEFAULT) != 1)
			goto out;
	}
	if (!X509_CRL_add0_revoked(crl, rev))
		goto out;
	rev = NULL;
	r = 0;
 out:
	if (r == AIRCA_ERR_NOMEM)
		r = airca_errssl(AIRCA_ERR_NOMEM, "cannot add serial %s to the "
		    "CRL", e->serial);
	X509_REVOKED_free(rev);
	ASN1_INTEGER_free(sn);
	ASN1_TIME_free(when);
	ASN1_ENUMERATED_free(code);
	return r;
}

int
crl_sign(const struct crl_params *p, X509_CRL **crlp)
{
	X509_CRL *crl = NULL, *back = NULL;
	EVP_PKEY *pub;
	const EVP_MD *md = NULL;
	ASN1_TIME *t = NULL;
	ASN1_INTEGER *num = NULL;
	ASN1_OCTET_STRING *ski = NULL;
	AUTHORITY_KEYID *akid = NULL;
	unsigned char *der = NULL;
	const unsigned char *q;
	size_t i;
	int len, crit, r = AIRCA_ERR_NOMEM;

	if (p->issuer == NULL || p->sign_key == NULL || p->number == 0 ||
	    (p->n > 0 && p->entries == NULL)) {
		r = airca_errf(AIRCA_ERR_INTERNAL, "crl_sign: missing parameters");
		goto out;
	}
	if ((pub = X509_get0_pubkey(p->issuer)) == NULL) {
		r = airca_errssl(AIRCA_ERR_CRYPTO, "cannot read the CA's public "
		    "key");
		goto out;
	}
	if ((r = same_key(p->sign_key, pub)) != 0 ||
	    (r = crl_digest(pub, &md)) != 0)
		goto out;
	if ((ski = X509_get_ext_d2i(p->issuer, NID_subject_key_identifier,
	    &crit, NULL)) == NULL) {
		r = airca_errf(AIRCA_ERR_STATE, "the CA certificate has no "
		    "subjectKeyIdentifier for the CRL's authorityKeyIdentifier");
		goto out;
	}
	r = AIRCA_ERR_NOMEM;
	if ((crl = X509_CRL_new()) == NULL ||
	    !X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
	    !X509_CRL_set_issuer_name(crl,
	    X509_get_subject_name(p->issuer)) ||
	    (t = ASN1_TIME_set(NULL, p->this_update)) == NULL ||
	    !X509_CRL_set1_lastUpdate(crl, t) ||
	    ASN1_TIME_set(t, p->this_update +
	    (time_t)p->next_minutes * 60) == NULL ||
	    !X509_CRL_set1_nextUpdate(crl, t))
		goto out;
	if ((num = ASN1_INTEGER_new()) == NULL ||
	    !ASN1_INTEGER_set_uint64(num, p->number) ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0,
	    X509V3_ADD_DEFAULT) != 1)
		goto out;
	if ((akid = AUTHORITY_KEYID_new()) == NULL ||
	    (akid->keyid = ASN1_OCTET_STRING_dup(ski)) == NULL ||
	    X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid, 0,
	    X509V3_ADD_DEFAULT) != 1)
		goto out;
	for (i = 0; i < p->n; i++)
		if ((r = add_entry(crl, &p->entries[i])) != 0)
			goto out;
	if (!X509_CRL_sort(crl)) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if (X509_CRL_sign(crl, p->sign_key, md) <= 0) {
		r = token_errssl(AIRCA_ERR_CRYPTO, "the token did not sign the "
		    "CRL");
		goto out;
	}

	/* what leaves is the DER that parses back and verifies */
	if ((len = i2d_X509_CRL(crl, &der)) <= 0) {
		r = airca_errssl(AIRCA_ERR_NOMEM, "cannot encode the CRL");
		goto out;
	}
	q = der;
	if ((back = d2i_X509_CRL(NULL, &q, len)) == NULL || q != der + len) {
		r = airca_errssl(AIRCA_ERR_CRYPTO, "the signed CRL does not "
		    "parse back");
		goto out;
	}
	if (X509_CRL_verify(back, pub) != 1) {
		r = airca_errssl(AIRCA_ERR_CRYPTO, "the signed CRL does not "
		    "verify with the CA certificate's key");
		goto out;
	}
	if (X509_NAME_cmp(X509_CRL_get_issuer(back),
	    X509_get_subject_name(p->issuer)) != 0 ||
	    (X509_CRL_get_REVOKED(back) == NULL ? 0 :
	    sk_X509_REVOKED_num(X509_CRL_get_REVOKED(back))) != (int)p->n) {
		r = airca_errf(AIRCA_ERR_CRYPTO, "the signed CRL is not the one "
		    "built (issuer or entries differ)");
		goto out;
	}
	*crlp = back;
	back = NULL;
	r = 0;
 out:
	if (r == AIRCA_ERR_NOMEM && airca_errmsg()[0] == '\0')
		r = airca_errssl(AIRCA_ERR_NOMEM, "cannot build the CRL");
	X509_CRL_free(crl);
	X509_CRL_free(back);
	ASN1_TIME_free(t);
	ASN1_INTEGER_free(num);
	ASN1_OCTET_STRING_free(ski);
	AUTHORITY_KEYID_free(akid);
	OPENSSL_free(der);
	return r;
}

int
crl_pem(X509_CRL *crl, char **pemp, size_t *lenp)
{
	BIO *bio;
	char *data, *s = NULL;
	long len;
	int r = 0;

	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_X509_CRL(bio, crl) ||
	    (len = BIO_get_mem_data(bio, &data)) <= 0 ||
	    (s = malloc((size_t)len + 1)) == NULL) {
		r = airca_errssl(AIRCA_ERR_NOMEM, "cannot write the CRL as PEM");
		goto out;
	}
	memcpy(s, data, (size_t)len);
	s[len] = '\0';
	*pemp = s;
	*lenp = (size_t)len;
 out:
	BIO_free(bio);
	return r;
}

static int
number_path(const char *home, const char *serial, char *out, size_t len)
{
	if (!name_safe(serial, SERIAL_HEX_MAX - 1))
		return airca_errf(AIRCA_ERR_STATE, "bad CA serial '%.60s'", serial);
	if (snprintf(out, len, "%s/%s/%s.number", home, CRL_DIR, serial) >=
	    (int)len)
		return airca_errf(AIRCA_ERR_INPUT, "%s: path too long", home);
	return 0;
}

int
crl_last_number(const char *home, struct registry *reg,
    const struct reg_entry *ca, unsigned long long *lastp)
{
	const struct reg_entry *e;
	char path[PATH_MAX], *end;
	unsigned char *buf = NULL;
	unsigned long long last = 0, v;
	size_t i, len;
	int r;

	for (i = 0; i < registry_count(reg); i++) {
		if ((e = registry_peek(reg, i)) == NULL) {
			r = registry_error(reg);
			goto out;
		}
		if (strcmp(e->serial, ca->serial) == 0 ||
		    (ca->label[0] != '\0' && strcmp(e->label, ca->label) == 0))
			if (e->crl_number > last)
				last = e->crl_number;
	}
	if ((r = number_path(home, ca->serial, path, sizeof(path))) != 0)
		goto out;
	r = media_read(path, 64, &buf, &len);
	if (r == AIRCA_ERR_NOTFOUND) {
		airca_errclear();
		r = 0;
		goto done;
	}
	if (r != 0)
		goto out;
	errno = 0;
	v = strtoull((char *)buf, &end, 10);
	if (errno != 0 || end == (char *)buf || (*end != '\n' &&
	    *end != '\0') || v == 0) {
		r = airca_errf(AIRCA_ERR_STATE, "%s does not hold a CRL number; "
		    "remove it (the registry keeps the last number too) and try "
		    "again", path);
		goto out;
	}
	if (v > last)
		last = v;
 done:
	*lastp = last;
 out:
	free(buf);
	return r;
}

static int
save_number(const char *home, const char *serial, unsigned long long number)
{
	char dir[PATH_MAX], path[PATH_MAX], text[32];
	int r, n;

	if ((r = path_join(dir, sizeof(dir), home, CRL_DIR)) != 0 ||
	    (r = media_mkdir(dir)) != 0 ||
	    (r = number_path(home, serial, path, sizeof(path))) != 0)
		return r;
	n = snprintf(text, sizeof(text), "%llu\n", number);
	if (n < 0 || (size_t)n >= sizeof(text))
		return AIRCA_ERR_INTERNAL;
	return media_write(path, text, (size_t)n, MEDIA_REPLACE);
}

int
crl_issue(struct ca *ca, const struct reg_entry *cae, X509 *cacert,
    EVP_PKEY *key, const struct crl_entry *entries, size_t n,
    const char *purpose, char **pemp, size_t *lenp,
    unsigned long long *nump)
{
	struct crl_params p;
	X509_CRL *crl = NULL;
	unsigned char *der = NULL;
	char sha[SHA256_HEX_LEN + 1], tu[21], nu[21], serial[SERIAL_HEX_MAX];
	char *pem = NULL;
	size_t pemlen;
	unsigned long long last;
	json_t *d = NULL;
	int len, r;

	snprintf(serial, sizeof(serial), "%s", cae->serial);
	if ((r = crl_last_number(ca->home, ca->reg, cae, &last)) != 0)
		goto out;
	if (last >= (unsigned long long)INT64_MAX) {
		r = airca_errf(AIRCA_ERR_STATE, "CRL number of CA %s exhausted",
		    serial);
		goto out;
	}
	memset(&p, 0, sizeof(p));
	p.issuer = cacert;
	p.sign_key = key;
	p.number = last + 1;
	p.this_update = now();
	p.next_minutes = ca->pol.crl_next_update_minutes;
	p.entries = entries;
	p.n = n;
	if ((r = crl_sign(&p, &crl)) != 0 ||
	    (r = crl_pem(crl, &pem, &pemlen)) != 0)
		goto out;
	if ((len = i2d_X509_CRL(crl, &der)) <= 0) {
		r = airca_errssl(AIRCA_ERR_NOMEM, "cannot encode the CRL");
		goto out;
	}
	sha256_hex(der, (size_t)len, sha);
	time_iso(p.this_update, tu);
	time_iso(p.this_update + (time_t)p.next_minutes * 60, nu);
	if ((d = json_pack("{s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:s}", "ca", serial,
	    "label", cae->label, "number", (json_int_t)p.number, "entries",
	    (json_int_t)n, "this-update", tu, "next-update", nu, "sha256", sha,
	    "purpose", purpose)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	/* journal first: the registry follows the journal, the file follows both */
	if ((r = ca_journal(ca, "crl-issued", d, 0)) != 0 ||
	    (r = registry_apply(ca->reg, "crl-issued", d)) != 0)
		goto out;
	ca->reg_dirty = true;
	if ((r = save_number(ca->home, serial, p.number)) != 0)
		goto out;
	*pemp = pem;
	*lenp = pemlen;
	*nump = p.number;
	pem = NULL;
 out:
	json_decref(d);
	X509_CRL_free(crl);
	OPENSSL_free(der);
	free(pem);
	return r;
}
