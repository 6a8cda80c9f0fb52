/*
 * issue.c: build a certificate from a key, a subject and a profile; lint it;
 * sign it; check what was signed.  Over 1,000 lines on purpose: the lint that
 * runs before signing and again on the signed certificate must be the same
 * code as the builder it checks, so the pipeline stays in one file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "csr.h"
#include "der.h"
#include "error.h"
#include "issue.h"
#include "policy.h"
#include "token.h"
#include "util.h"

#define SHA1_LEN	20
#define SERIAL_MAX	20	/* RFC 5280 4.1.2.2: at most 20 octets */

enum key_kind {
	KIND_NONE = 0,
	KIND_P256,
	KIND_P384,
	KIND_RSA,
};

/* The key usage bits in BIT STRING order, as KU_* masks. */
static const struct {
	unsigned mask;
	const char *name;
} ku_bits[] = {
	{ KU_DIGITAL_SIGNATURE,	"digitalSignature" },
	{ KU_NON_REPUDIATION,	"nonRepudiation" },
	{ KU_KEY_ENCIPHERMENT,	"keyEncipherment" },
	{ KU_DATA_ENCIPHERMENT,	"dataEncipherment" },
	{ KU_KEY_AGREEMENT,	"keyAgreement" },
	{ KU_KEY_CERT_SIGN,	"keyCertSign" },
	{ KU_CRL_SIGN,		"cRLSign" },
	{ KU_ENCIPHER_ONLY,	"encipherOnly" },
	{ KU_DECIPHER_ONLY,	"decipherOnly" },
};
#define NKU_BITS	(sizeof(ku_bits) / sizeof(ku_bits[0]))

static int	lint_cert(X509 *, EVP_PKEY *, const struct profile *, X509 *);

/* What kind of key this is: P-256, P-384, RSA (any size), or none we use. */
static enum key_kind
key_kind(const EVP_PKEY *pkey, int *bitsp)
{
	char group[64];
	int nid;

	*bitsp = EVP_PKEY_get_bits(pkey);
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA:
		return KIND_RSA;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(pkey, group, sizeof(group),
		    NULL) != 1) {
			ERR_clear_error();
			return KIND_NONE;
		}
		if ((nid = OBJ_sn2nid(group)) == NID_undef)
			nid = EC_curve_nist2nid(group);
		if (nid == NID_X9_62_prime256v1)
			return KIND_P256;
		if (nid == NID_secp384r1)
			return KIND_P384;
		return KIND_NONE;
	}
	return KIND_NONE;
}

/*
 * The signature algorithm an issuer key signs with: ECDSA with SHA-256
 * (P-256) or SHA-384 (P-384), RSA PKCS#1 v1.5 with SHA-256 (2048 and up).
 */
static int
sig_alg(const EVP_PKEY *issuer_key, const EVP_MD **mdp, int *nidp)
{
	int bits;

	switch (key_kind(issuer_key, &bits)) {
	case KIND_P256:
		*mdp = EVP_sha256();
		*nidp = NID_ecdsa_with_SHA256;
		return 0;
	case KIND_P384:
		*mdp = EVP_sha384();
		*nidp = NID_ecdsa_with_SHA384;
		return 0;
	case KIND_RSA:
		if (bits < 2048)
			break;
		*mdp = EVP_sha256();
		*nidp = NID_sha256WithRSAEncryption;
		return 0;
	case KIND_NONE:
		break;
	}
	return airca_errf(AIRCA_ERR_CRYPTO, "the issuer key (%s, %d bits) is "
	    "not one airca signs with: EC P-256, EC P-384 or RSA 2048 and up",
	    OBJ_nid2sn(EVP_PKEY_get_base_id(issuer_key)), bits);
}

/*
 * The public half of a key, as a new key of the default provider: the
 * signing key may live in a token (libp11), and only its public part is
 * compared or inspected.
 */
static int
pubkey_of(EVP_PKEY *key, EVP_PKEY **pubp)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	EVP_PKEY *pub = NULL;
	int len, r = AIRCA_ERR_INTERNAL;

	if ((len = i2d_PUBKEY(key, &der)) <= 0) {
		r = airca_errssl(AIRCA_ERR_CRYPTO, "cannot encode the public "
		    "half of the signing key");
		goto out;
	}
	p = der;
	if ((pub = d2i_PUBKEY(NULL, &p, len)) == NULL || p != der + len) {
		r = airca_errssl(AIRCA_ERR_CRYPTO, "cannot decode the public "
		    "half of the signing key");
		goto out;
	}
	*pubp = pub;
	pub = NULL;
	r = 0;
 out:
	EVP_PKEY_free(pub);
	OPENSSL_free(der);
	return r;
}

int
issue_check(X509 *cert, const struct profile *prof, X509 *issuer)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	X509 *done = NULL;
	EVP_PKEY *key = NULL, *pub;
	bool legacy;
	int len, r = AIRCA_ERR_INTERNAL;

	if ((len = i2d_X509(cert, &der)) <= 0) {
		r = airca_errssl(AIRCA_ERR_NOMEM, "cannot encode the %s "
		    "certificate", prof->name);
		goto out;
	}
	/* parsed with its key left to der_pubkey(): see der.h */
	p = der;
	if ((done = der_x509(&p, len)) == NULL || p != der + len ||
	    der_pubkey(X509_get_X509_PUBKEY(done), &key, &legacy) != 0) {
		r = airca_errssl(AIRCA_ERR_CRYPTO, "the signed certificate does "
		    "not parse back");
		goto out;
	}
	pub = issuer != NULL ? X509_get0_pubkey(issuer) : key;
	if (pub == NULL || X509_verify(done, pub) != 1) {
		r = airca_errssl(AIRCA_ERR_CRYPTO, "the new %s certificate does "
		    "not verify with the issuer's public key", prof->name);
		goto out;
	}
	r = lint_cert(done, key, prof, issuer);
 out:
	X509_free(done);
	EVP_PKEY_free(key);
	OPENSSL_free(der);
	return r;
}

int
issue_signer_pub(EVP_PKEY *sign_key, EVP_PKEY **pubp)
{
	return pubkey_of(sign_key, pubp);
}

/* subjectKeyIdentifier method 1: SHA-1 of the subjectPublicKey BIT STRING. */
static int
key_id(const X509 *x, unsigned char out[SHA1_LEN])
{
	const ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(x);
	unsigned int len = SHA1_LEN;

	if (bits == NULL || EVP_Digest(ASN1_STRING_get0_data(bits),
	    (size_t)ASN1_STRING_length(bits), out, &len, EVP_sha1(),
	    NULL) != 1 || len != SHA1_LEN)
		return airca_errssl(AIRCA_ERR_CRYPTO, "cannot hash the public "
		    "key for its key identifier");
	return 0;
}

static time_t
asn1_time_t(const ASN1_TIME *t, bool *okp)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(t, &tm) != 1) {
		*okp = false;
		return 0;
	}
	*okp = true;
	return timegm(&tm);
}

/* ---- building ---- */

static int
add_ext(X509 *x, int nid, void *value, int crit)
{
	if (X509_add1_ext_i2d(x, nid, value, crit, X509V3_ADD_DEFAULT) != 1)
		return airca_errssl(AIRCA_ERR_CRYPTO, "cannot add extension %s",
		    OBJ_nid2sn(nid));
	return 0;
}

/* One GENERAL_NAME of type type holding bytes d (len) into names. */
static int
push_name(GENERAL_NAMES *names, int type, const void *d, size_t len)
{
	GENERAL_NAME *gen = NULL;
	ASN1_STRING *s = NULL;

	if ((s = type == GEN_IPADD ? ASN1_OCTET_STRING_new() :
	    ASN1_IA5STRING_new()) == NULL ||
	    !ASN1_STRING_set(s, d, (int)len) ||
	    (gen = GENERAL_NAME_new()) == NULL)
		goto nomem;
	GENERAL_NAME_set0_value(gen, type, s);
	s = NULL;
	if (!sk_GENERAL_NAME_push(names, gen))
		goto nomem;
	return 0;
 nomem:
	ASN1_STRING_free(s);
	GENERAL_NAME_free(gen);
	return airca_errssl(AIRCA_ERR_NOMEM, "cannot build subjectAltName");
}

/*
 * A user profile's subjectAltName: the DNS names, IP addresses and URIs of
 * the types it takes, in that order; none at all: no extension.
 */
static int
add_user_san(X509 *x, const struct issue_params *ip)
{
	const struct profile *prof = ip->prof;
	GENERAL_NAMES *san = NULL;
	size_t i;
	int r = 0;

	if ((san = GENERAL_NAMES_new()) == NULL)
		return airca_errssl(AIRCA_ERR_NOMEM, "cannot build "
		    "subjectAltName");
	for (i = 0; r == 0 && prof->san_rule[0] != RULE_DROP && i < ip->ndns;
	    i++)
		r = push_name(san, GEN_DNS, ip->dns[i], strlen(ip->dns[i]));
	for (i = 0; r == 0 && prof->san_rule[1] != RULE_DROP && i < ip->nip;
	    i++)
		r = push_name(san, GEN_IPADD, ip->ip[i].addr, ip->ip[i].len);
	for (i = 0; r == 0 && prof->san_rule[2] != RULE_DROP && i < ip->nuri;
	    i++)
		r = push_name(san, GEN_URI, ip->uri[i], strlen(ip->uri[i]));
	if (r == 0 && sk_GENERAL_NAME_num(san) > 0)
		r = add_ext(x, NID_subject_alt_name, san, 0);
	GENERAL_NAMES_free(san);
	return r;
}

static int
add_extensions(X509 *x, const struct issue_params *ip,
    const ASN1_OCTET_STRING *issuer_ski)
{
	const struct profile *prof = ip->prof;
	BASIC_CONSTRAINTS *bc = NULL;
	ASN1_BIT_STRING *ku = NULL;
	EXTENDED_KEY_USAGE *eku = NULL;
	GENERAL_NAMES *san = NULL;
	GENERAL_NAME *gen = NULL;
	ASN1_IA5STRING *ia5 = NULL;
	ASN1_OCTET_STRING *ski = NULL;
	AUTHORITY_KEYID *aki = NULL;
	unsigned char id[SHA1_LEN];
	size_t i;
	int r = AIRCA_ERR_INTERNAL;

	/* basicConstraints, critical */
	if ((bc = BASIC_CONSTRAINTS_new()) == NULL)
		goto nomem;
	bc->ca = prof->ca ? 0xff : 0;
	if (prof->ca && prof->pathlen >= 0) {
		if ((bc->pathlen = ASN1_INTEGER_new()) == NULL ||
		    !ASN1_INTEGER_set(bc->pathlen, prof->pathlen))
			goto nomem;
	}
	if ((r = add_ext(x, NID_basic_constraints, bc, 1)) != 0)
		goto out;

	/* keyUsage, critical */
	if ((ku = ASN1_BIT_STRING_new()) == NULL)
		goto nomem;
	for (i = 0; i < NKU_BITS; i++)
		if ((prof->key_usage & ku_bits[i].mask) &&
		    !ASN1_BIT_STRING_set_bit(ku, (int)i, 1))
			goto nomem;
	if ((r = add_ext(x, NID_key_usage, ku, 1)) != 0)
		goto out;

	/* extendedKeyUsage, not critical */
	if (prof->eku != 0) {
		if ((eku = sk_ASN1_OBJECT_new_null()) == NULL)
			goto nomem;
		if ((prof->eku & EKU_SERVER) &&
		    !sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_server_auth)))
			goto nomem;
		if ((prof->eku & EKU_CLIENT) &&
		    !sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_client_auth)))
			goto nomem;
		if (prof->eku & EKU_DOCSIGN) {
			ASN1_OBJECT *o = OBJ_txt2obj(EKU_DOCSIGN_OID, 1);

			if (o == NULL || !sk_ASN1_OBJECT_push(eku, o)) {
				ASN1_OBJECT_free(o);
				goto nomem;
			}
		}
		if ((r = add_ext(x, NID_ext_key_usage, eku, 0)) != 0)
			goto out;
	}

	/* subjectAltName with the DNS names, not critical (subject not empty) */
	if (prof->kind != KIND_BUILTIN) {
		if ((r = add_user_san(x, ip)) != 0)
			goto out;
	} else if (prof->san != SAN_NONE) {
		if ((san = GENERAL_NAMES_new()) == NULL)
			goto nomem;
		for (i = 0; i < ip->ndns; i++) {
			if ((ia5 = ASN1_IA5STRING_new()) == NULL ||
			    !ASN1_STRING_set(ia5, ip->dns[i],
			    (int)strlen(ip->dns[i])) ||
			    (gen = GENERAL_NAME_new()) == NULL)
				goto nomem;
			GENERAL_NAME_set0_value(gen, GEN_DNS, ia5);
			ia5 = NULL;
			if (!sk_GENERAL_NAME_push(san, gen))
				goto nomem;
			gen = NULL;
		}
		if ((r = add_ext(x, NID_subject_alt_name, san, 0)) != 0)
			goto out;
	}

	/* subjectKeyIdentifier (method 1) and authorityKeyIdentifier keyid */
	if ((r = key_id(x, id)) != 0)
		goto out;
	if ((ski = ASN1_OCTET_STRING_new()) == NULL ||
	    !ASN1_OCTET_STRING_set(ski, id, sizeof(id)))
		goto nomem;
	if ((r = add_ext(x, NID_subject_key_identifier, ski, 0)) != 0)
		goto out;
	if ((aki = AUTHORITY_KEYID_new()) == NULL ||
	    (aki->keyid = ASN1_OCTET_STRING_dup(issuer_ski != NULL ?
	    issuer_ski : ski)) == NULL)
		goto nomem;
	if ((r = add_ext(x, NID_authority_key_identifier, aki, 0)) != 0)
		goto out;
	r = 0;
	goto out;
 nomem:
	r = airca_errssl(AIRCA_ERR_NOMEM, "cannot build the extensions");
 out:
	BASIC_CONSTRAINTS_free(bc);
	ASN1_BIT_STRING_free(ku);
	EXTENDED_KEY_USAGE_free(eku);
	GENERAL_NAMES_free(san);
	GENERAL_NAME_free(gen);
	ASN1_IA5STRING_free(ia5);
	ASN1_OCTET_STRING_free(ski);
	AUTHORITY_KEYID_free(aki);
	return r;
}

/*
 * Put the signature algorithm in the TBS before it is linted, so that the
 * bytes linted are the bytes signed: X509_sign() writes the same value
 * again, and issue_cert() checks that it did.
 */
static int
set_tbs_sigalg(X509 *x, int signid)
{
	X509_ALGOR *alg = (X509_ALGOR *)X509_get0_tbs_sigalg(x);
	int ptype = signid == NID_sha256WithRSAEncryption ? V_ASN1_NULL :
	    V_ASN1_UNDEF;

	if (alg == NULL ||
	    !X509_ALGOR_set0(alg, OBJ_nid2obj(signid), ptype, NULL))
		return airca_errssl(AIRCA_ERR_CRYPTO, "cannot set the signature "
		    "algorithm");
	return 0;
}

/* The to-be-signed part of a DER certificate: its first inner element. */
static int
der_tbs(const unsigned char *der, long len, const unsigned char **tbsp,
    long *tbslenp)
{
	const unsigned char *p = der, *start;
	long clen;
	int tag, xclass, ret;

	ret = ASN1_get_object(&p, &clen, &tag, &xclass, len);
	if ((ret & 0x80) || tag != V_ASN1_SEQUENCE)
		goto bad;
	start = p;
	ret = ASN1_get_object(&p, &clen, &tag, &xclass, len - (p - der));
	if ((ret & 0x80) || tag != V_ASN1_SEQUENCE)
		goto bad;
	*tbsp = start;
	*tbslenp = (p - start) + clen;
	return 0;
 bad:
	ERR_clear_error();
	return airca_errf(AIRCA_ERR_CRYPTO, "the signed certificate does not "
	    "parse back");
}

struct issue_tbs {
	X509	*x;			/* built and linted, not signed yet */
	unsigned char *tbs;		/* the DER that passed the lint */
	int	tbslen;
	const EVP_MD *md;
	EVP_PKEY *sign_key;		/* borrowed from the parameters */
	EVP_PKEY *issuer_pub;		/* borrowed: the issuer's (self-signed: the subject's) */
	const struct profile *prof;
	X509	*issuer;		/* borrowed; NULL: self-signed */
	bool	deferred_check;
};

void
issue_tbs_free(struct issue_tbs *t)
{
	if (t == NULL)
		return;
	X509_free(t->x);
	OPENSSL_free(t->tbs);
	free(t);
}

int
issue_build(const struct issue_params *ip, struct issue_tbs **tp)
{
	const struct profile *prof = ip->prof;
	struct issue_tbs *t = NULL;
	X509 *x = NULL;
	EVP_PKEY *signer_pub = NULL, *issuer_pub;
	ASN1_OCTET_STRING *issuer_ski = NULL;
	ASN1_INTEGER *serial = NULL;
	BIGNUM *bn = NULL;
	const EVP_MD *md = NULL;
	unsigned char sbytes[SERIAL_LEN];
	int signid, crit, r = AIRCA_ERR_INTERNAL;
	unsigned days;
	time_t not_after, issuer_not_after;
	bool ok;

	if (prof == NULL || ip->subject == NULL || ip->pubkey == NULL ||
	    ip->sign_key == NULL || (ip->ndns > 0 && ip->dns == NULL)) {
		r = airca_errf(AIRCA_ERR_INTERNAL, "issue_cert: missing "
		    "parameters");
		goto out;
	}
	if ((ip->issuer == NULL) != (prof->id == PROFILE_ROOT)) {
		r = airca_errf(AIRCA_ERR_INTERNAL, "issue_cert: profile %s %s",
		    prof->name, ip->issuer == NULL ? "needs an issuer" :
		    "is self-signed");
		goto out;
	}
	days = ip->days != 0 ? ip->days : prof->days;
	if (prof->unlimited && ip->days != 0) {
		r = airca_errf(AIRCA_ERR_POLICY, "profile %s is unlimited "
		    "(notAfter 99991231235959Z): --days does not apply",
		    prof->name);
		goto out;
	}
	if (days > prof->days) {
		r = airca_errf(AIRCA_ERR_POLICY, "%u days is longer than "
		    "profile %s allows (%u)", days, prof->name, prof->days);
		goto out;
	}

	/* the signer must be the issuer certificate's key (root: its own) */
	issuer_pub = ip->issuer != NULL ? X509_get0_pubkey(ip->issuer) :
	    ip->pubkey;
	if (issuer_pub == NULL) {
		r = airca_errssl(AIRCA_ERR_CRYPTO, "cannot read the issuer's "
		    "public key");
		goto out;
	}
	if (ip->sign_pub != NULL) {
		if (EVP_PKEY_up_ref(ip->sign_pub) != 1)
			goto nomem;
		signer_pub = ip->sign_pub;
	} else if ((r = pubkey_of(ip->sign_key, &signer_pub)) != 0)
		goto out;
	if (EVP_PKEY_eq(issuer_pub, signer_pub) != 1) {
		ERR_clear_error();
		r = airca_errf(AIRCA_ERR_CRYPTO, "the signing key is not the "
		    "key of the %s", ip->issuer != NULL ? "issuer certificate" :
		    "certificate (self-signed)");
		goto out;
	}
	if ((r = sig_alg(signer_pub, &md, &signid)) != 0)
		goto out;
	if (ip->issuer != NULL) {
		issuer_ski = X509_get_ext_d2i(ip->issuer,
		    NID_subject_key_identifier, &crit, NULL);
		if (issuer_ski == NULL) {
			r = airca_errf(AIRCA_ERR_LINT, "lint: "
			    "authorityKeyIdentifier: the issuer has no "
			    "subjectKeyIdentifier");
			goto out;
		}
	}

	if ((t = calloc(1, sizeof(*t))) == NULL || (x = X509_new()) == NULL)
		goto nomem;
	if (!X509_set_version(x, X509_VERSION_3))
		goto nomem;

	/* 16 bytes, positive, never shortened: 0 1 x x x x x x ... */
	memcpy(sbytes, ip->serial, sizeof(sbytes));
	sbytes[0] = (unsigned char)((sbytes[0] & 0x7f) | 0x40);
	if ((bn = BN_bin2bn(sbytes, sizeof(sbytes), NULL)) == NULL ||
	    (serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    !X509_set_serialNumber(x, serial))
		goto nomem;

	not_after = ip->not_before + (time_t)days * 86400;
	if (prof->unlimited)
		not_after = UNLIMITED_NOT_AFTER;	/* never clipped: the lint judges it */
	else if (ip->issuer != NULL) {
		issuer_not_after = asn1_time_t(X509_get0_notAfter(ip->issuer),
		    &ok);
		if (!ok) {
			r = airca_errf(AIRCA_ERR_CRYPTO, "cannot read the "
			    "issuer's notAfter");
			goto out;
		}
		if (not_after > issuer_not_after)
			not_after = issuer_not_after;
	}
	if (ASN1_TIME_set(X509_getm_notBefore(x), ip->not_before) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), not_after) == NULL)
		goto nomem;

	if (!X509_set_subject_name(x, ip->subject) ||
	    !X509_set_issuer_name(x, ip->issuer != NULL ?
	    X509_get_subject_name(ip->issuer) : ip->subject) ||
	    !X509_set_pubkey(x, ip->pubkey))
		goto nomem;
	if ((r = add_extensions(x, ip, issuer_ski)) != 0 ||
	    (r = set_tbs_sigalg(x, signid)) != 0)
		goto out;

	/* lint, and keep the bytes that passed */
	if ((r = issue_lint(x, prof, ip->issuer)) != 0)
		goto out;
	if ((t->tbslen = i2d_re_X509_tbs(x, &t->tbs)) <= 0)
		goto nomem;
	t->x = x;
	x = NULL;
	t->md = md;
	t->sign_key = ip->sign_key;
	t->issuer_pub = issuer_pub;
	t->prof = prof;
	t->issuer = ip->issuer;
	t->deferred_check = ip->deferred_check;
	*tp = t;
	t = NULL;
	r = 0;
	goto out;
 nomem:
	r = airca_errssl(AIRCA_ERR_NOMEM, "cannot build the %s certificate",
	    prof->name);
 out:
	issue_tbs_free(t);
	X509_free(x);
	EVP_PKEY_free(signer_pub);
	ASN1_OCTET_STRING_free(issuer_ski);
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	return r;
}

int
issue_sign(struct issue_tbs *t, X509 **certp)
{
	const struct profile *prof = t->prof;
	X509 *done = NULL;
	const unsigned char *p, *signed_tbs = NULL;
	unsigned char *der = NULL;
	long signed_tbslen = 0;
	int derlen, r = AIRCA_ERR_INTERNAL;

	if (X509_sign(t->x, t->sign_key, t->md) <= 0) {
		r = token_errssl(AIRCA_ERR_CRYPTO, "signing the %s certificate "
		    "failed", prof->name);
		goto out;
	}

	/* what leaves this function is the DER that was checked */
	if ((derlen = i2d_X509(t->x, &der)) <= 0)
		goto nomem;
	if ((r = der_tbs(der, derlen, &signed_tbs, &signed_tbslen)) != 0)
		goto out;
	if (signed_tbslen != t->tbslen ||
	    memcmp(signed_tbs, t->tbs, (size_t)t->tbslen) != 0) {
		r = airca_errf(AIRCA_ERR_CRYPTO, "the signed certificate is not "
		    "the one linted: its TBS differs");
		goto out;
	}
	if (t->deferred_check) {
		/* the caller runs issue_check() before anything uses it */
		*certp = t->x;
		t->x = NULL;
		r = 0;
		goto out;
	}
	p = der;
	if ((done = d2i_X509(NULL, &p, derlen)) == NULL || p != der + derlen) {
		r = airca_errssl(AIRCA_ERR_CRYPTO, "the signed certificate does "
		    "not parse back");
		goto out;
	}
	if (X509_verify(done, t->issuer_pub) != 1) {
		r = airca_errssl(AIRCA_ERR_CRYPTO, "the new %s certificate does "
		    "not verify with the issuer's public key", prof->name);
		goto out;
	}
	if ((r = issue_lint(done, prof, t->issuer)) != 0)
		goto out;
	*certp = done;
	done = NULL;
	r = 0;
	goto out;
 nomem:
	r = airca_errssl(AIRCA_ERR_NOMEM, "cannot build the %s certificate",
	    prof->name);
 out:
	X509_free(done);
	OPENSSL_free(der);
	return r;
}

int
issue_cert(const struct issue_params *ip, X509 **certp)
{
	struct issue_tbs *t = NULL;
	int r;

	if ((r = issue_build(ip, &t)) == 0)
		r = issue_sign(t, certp);
	issue_tbs_free(t);
	return r;
}

/* ---- lint ---- */

static int
lint_serial(X509 *cert)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(cert);
	const unsigned char *d;
	int i, len, derlen;

	if (sn == NULL)
		return airca_errf(AIRCA_ERR_LINT, "lint: serial: missing");
	if (ASN1_STRING_type(sn) == V_ASN1_NEG_INTEGER)
		return airca_errf(AIRCA_ERR_LINT, "lint: serial: negative");
	d = ASN1_STRING_get0_data(sn);
	len = ASN1_STRING_length(sn);
	for (i = 0; i < len && d[i] == 0; i++)
		;
	if (i == len)
		return airca_errf(AIRCA_ERR_LINT, "lint: serial: zero");
	/* content octets of the DER INTEGER, sign octet included */
	derlen = len + ((d[0] & 0x80) ? 1 : 0);
	if (derlen > SERIAL_MAX)
		return airca_errf(AIRCA_ERR_LINT, "lint: serial: %d octets, "
		    "more than %d", derlen, SERIAL_MAX);
	return 0;
}

/* UTCTime through 2049, GeneralizedTime from 2050, in seconds with Z. */
static int
lint_time(const ASN1_TIME *t, const char *what)
{
	struct tm tm;
	int type, len;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
		ERR_clear_error();
		return airca_errf(AIRCA_ERR_LINT, "lint: validity: %s is not a "
		    "valid time", what);
	}
	type = ASN1_STRING_type(t);
	len = ASN1_STRING_length(t);
	if ((tm.tm_year + 1900 < 2050 ?
	    (type != V_ASN1_UTCTIME || len != 13) :
	    (type != V_ASN1_GENERALIZEDTIME || len != 15)) ||
	    ASN1_STRING_get0_data(t)[len - 1] != 'Z')
		return airca_errf(AIRCA_ERR_LINT, "lint: validity: %s is not "
		    "encoded as RFC 5280 4.1.2.5 requires", what);
	return 0;
}

static int
lint_validity(X509 *cert, const struct profile *prof, X509 *issuer)
{
	const ASN1_TIME *nb = X509_get0_notBefore(cert);
	const ASN1_TIME *na = X509_get0_notAfter(cert);
	int r, pday, psec;
	bool unlimited;

	if ((r = lint_time(nb, "notBefore")) != 0 ||
	    (r = lint_time(na, "notAfter")) != 0)
		return r;
	if (ASN1_TIME_compare(nb, na) != -1)
		return airca_errf(AIRCA_ERR_LINT, "lint: validity: notBefore is "
		    "not before notAfter");
	/* RFC 5280 4.1.2.5: no well-defined expiration is 99991231235959Z */
	unlimited = ASN1_STRING_length(na) == 15 &&
	    memcmp(ASN1_STRING_get0_data(na), "99991231235959Z", 15) == 0;
	if (prof->unlimited) {
		if (!unlimited)
			return airca_errf(AIRCA_ERR_LINT, "lint: validity: "
			    "profile %s is unlimited but notAfter is not "
			    "99991231235959Z", prof->name);
		if (prof->ca || prof->kind == KIND_BUILTIN)
			return airca_errf(AIRCA_ERR_LINT, "lint: validity: "
			    "profile %s may not be unlimited: only a leaf of a "
			    "user-defined profile may", prof->name);
	} else if (!ASN1_TIME_diff(&pday, &psec, nb, na) || pday < 0 ||
	    (pday > (int)prof->days) ||
	    (pday == (int)prof->days && psec > 0))
		return airca_errf(AIRCA_ERR_LINT, "lint: validity: longer than "
		    "the %u days of profile %s", prof->days, prof->name);
	if (issuer == NULL)
		return 0;
	if (ASN1_TIME_compare(nb, X509_get0_notBefore(issuer)) < 0)
		return airca_errf(AIRCA_ERR_LINT, "lint: validity: notBefore is "
		    "before the issuer's notBefore");
	/*
	 * Never past the issuer's notAfter, except an unlimited leaf: an
	 * IEEE 802.1AR device identity has no well-defined expiration
	 * whatever its issuer's (a CA never outlives its issuer).
	 */
	if (ASN1_TIME_compare(na, X509_get0_notAfter(issuer)) > 0 &&
	    !(prof->unlimited && unlimited && !prof->ca))
		return airca_errf(AIRCA_ERR_LINT, "lint: validity: notAfter is "
		    "after the issuer's notAfter");
	return 0;
}

static bool
nid_printable(int nid)
{
	return nid == NID_countryName || nid == NID_serialNumber;
}

static int
lint_subject(X509 *cert, const struct profile *prof)
{
	const X509_NAME *name = X509_get_subject_name(cert);
	const X509_NAME_ENTRY *e;
	const ASN1_STRING *s;
	const char *sn;
	char v[RULE_VALUE_MAX];
	int i, n, nid, len, last_set = -1;
	size_t k, last = 0;
	bool seen[PROFILE_MAX_RULES] = { false };

	if ((n = X509_NAME_entry_count(name)) <= 0)
		return airca_errf(AIRCA_ERR_LINT, "lint: subject: empty");
	if (X509_NAME_get_index_by_NID(name, NID_commonName, -1) < 0)
		return airca_errf(AIRCA_ERR_LINT, "lint: subject: no CN");
	for (i = 0; i < n; i++) {
		e = X509_NAME_get_entry(name, i);
		nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
		sn = nid != NID_undef ? OBJ_nid2sn(nid) : "an attribute";
		if (X509_NAME_ENTRY_set(e) == last_set)
			return airca_errf(AIRCA_ERR_LINT, "lint: subject: %s "
			    "shares a multi-valued RDN", sn);
		last_set = X509_NAME_ENTRY_set(e);
		s = X509_NAME_ENTRY_get_data(e);
		if (ASN1_STRING_type(s) != (nid_printable(nid) ?
		    V_ASN1_PRINTABLESTRING : V_ASN1_UTF8STRING))
			return airca_errf(AIRCA_ERR_LINT, "lint: subject: %s is "
			    "a %s, not a %s", sn,
			    ASN1_tag2str(ASN1_STRING_type(s)), nid_printable(nid) ?
			    "PRINTABLESTRING" : "UTF8STRING");
		len = ASN1_STRING_length(s);
		if (len <= 0 || len >= (int)sizeof(v) ||
		    memchr(ASN1_STRING_get0_data(s), '\0', (size_t)len) ||
		    !text_printable((const char *)ASN1_STRING_get0_data(s),
		    (size_t)len))
			return airca_errf(AIRCA_ERR_LINT, "lint: subject: %s is "
			    "empty, too long, or not printable UTF-8", sn);
		memcpy(v, ASN1_STRING_get0_data(s), (size_t)len);
		v[len] = '\0';
		for (k = 0; k < prof->nrules; k++)
			if (prof->rules[k].nid == nid &&
			    prof->rules[k].presence != RULE_DROP)
				break;
		if (k == prof->nrules)
			return airca_errf(AIRCA_ERR_LINT, "lint: subject: %s is "
			    "not named by profile %s", sn, prof->name);
		if (seen[k] || (i > 0 && k < last))
			return airca_errf(AIRCA_ERR_LINT, "lint: subject: %s "
			    "twice or out of the profile's order", sn);
		seen[k] = true;
		last = k;
		if ((size_t)len > prof->rules[k].max)
			return airca_errf(AIRCA_ERR_LINT, "lint: subject: %s is "
			    "longer than max=%zu", sn, prof->rules[k].max);
		if (prof->rules[k].fixed && strcmp(v, prof->rules[k].value) != 0)
			return airca_errf(AIRCA_ERR_LINT, "lint: subject: %s is "
			    "not the fixed '%s'", sn, prof->rules[k].value);
		if (prof->rules[k].has_pattern &&
		    regexec(&prof->rules[k].re, v, 0, NULL, 0) != 0)
			return airca_errf(AIRCA_ERR_LINT, "lint: subject: %s does "
			    "not match pattern %s", sn, prof->rules[k].value);
	}
	for (k = 0; k < prof->nrules; k++)
		if (prof->rules[k].presence == RULE_SUPPLIED && !seen[k])
			return airca_errf(AIRCA_ERR_LINT, "lint: subject: %s "
			    "missing", OBJ_nid2sn(prof->rules[k].nid));
	return 0;
}

/* Decode extension nid: present once, criticality crit (-1: either). */
static int
lint_ext(X509 *cert, int nid, bool want, int want_crit, void **valp)
{
	X509_EXTENSION *ext;
	int idx, crit;

	*valp = NULL;
	idx = X509_get_ext_by_NID(cert, nid, -1);
	if (idx < 0) {
		if (want)
			return airca_errf(AIRCA_ERR_LINT, "lint: %s: missing",
			    OBJ_nid2sn(nid));
		return 0;
	}
	if (!want)
		return airca_errf(AIRCA_ERR_LINT, "lint: %s: present but the "
		    "profile has none", OBJ_nid2sn(nid));
	if (X509_get_ext_by_NID(cert, nid, idx) >= 0)
		return airca_errf(AIRCA_ERR_LINT, "lint: %s: present twice",
		    OBJ_nid2sn(nid));
	ext = X509_get_ext(cert, idx);
	crit = X509_EXTENSION_get_critical(ext);
	if (want_crit >= 0 && crit != want_crit)
		return airca_errf(AIRCA_ERR_LINT, "lint: %s: must %sbe critical",
		    OBJ_nid2sn(nid), want_crit ? "" : "not ");
	if ((*valp = X509V3_EXT_d2i(ext)) == NULL) {
		ERR_clear_error();
		return airca_errf(AIRCA_ERR_LINT, "lint: %s: cannot be decoded",
		    OBJ_nid2sn(nid));
	}
	return 0;
}

static unsigned
ku_mask(const ASN1_BIT_STRING *ku, bool *extrap)
{
	unsigned mask = 0;
	int i;

	*extrap = false;
	for (i = 0; i < ASN1_STRING_length(ku) * 8; i++) {
		if (!ASN1_BIT_STRING_get_bit(ku, i))
			continue;
		if ((size_t)i < NKU_BITS)
			mask |= ku_bits[i].mask;
		else
			*extrap = true;
	}
	return mask;
}

static int
lint_usage(X509 *cert, const struct profile *prof)
{
	BASIC_CONSTRAINTS *bc = NULL;
	ASN1_BIT_STRING *ku = NULL;
	EXTENDED_KEY_USAGE *eku = NULL;
	unsigned mask, want, got;
	size_t i;
	char oid[80];
	long pathlen;
	bool extra;
	int k, nid, r;

	/* a user profile is held to its kind, whatever its fields say */
	if (!policy_kind_ok(prof)) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: profile %s is not the "
		    "vetted set of its kind", prof->name);
		goto out;
	}
	if ((r = lint_ext(cert, NID_basic_constraints, true, 1,
	    (void **)&bc)) != 0)
		goto out;
	if ((bc->ca != 0) != prof->ca) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: basicConstraints: CA:%s "
		    "but profile %s is %sa CA", bc->ca ? "TRUE" : "FALSE",
		    prof->name, prof->ca ? "" : "not ");
		goto out;
	}
	pathlen = bc->pathlen != NULL ? ASN1_INTEGER_get(bc->pathlen) : -1;
	if ((bc->pathlen != NULL && (!bc->ca || pathlen < 0)) ||
	    pathlen != prof->pathlen) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: basicConstraints: "
		    "pathlen %ld, the profile wants %d", pathlen, prof->pathlen);
		goto out;
	}

	if ((r = lint_ext(cert, NID_key_usage, true, 1, (void **)&ku)) != 0)
		goto out;
	mask = ku_mask(ku, &extra);
	if (mask == 0 || extra) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: keyUsage: %s",
		    extra ? "unknown bits set" : "no bits set");
		goto out;
	}
	if (((mask & KU_KEY_CERT_SIGN) != 0) != (bc->ca != 0)) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: keyUsage: keyCertSign is "
		    "%sset but the certificate is %sa CA (RFC 5280 4.2.1.3)",
		    mask & KU_KEY_CERT_SIGN ? "" : "not ", bc->ca ? "" : "not ");
		goto out;
	}
	if (mask != prof->key_usage) {
		for (i = 0; i < NKU_BITS; i++)
			if ((mask ^ prof->key_usage) & ku_bits[i].mask)
				break;
		r = airca_errf(AIRCA_ERR_LINT, "lint: keyUsage: %s is %s the "
		    "profile's", ku_bits[i].name, mask & ku_bits[i].mask ?
		    "set, not in" : "missing from");
		goto out;
	}

	if ((r = lint_ext(cert, NID_ext_key_usage, prof->eku != 0, 0,
	    (void **)&eku)) != 0)
		goto out;
	got = 0;
	for (k = 0; eku != NULL && k < sk_ASN1_OBJECT_num(eku); k++) {
		nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, k));
		want = nid == NID_server_auth ? EKU_SERVER :
		    nid == NID_client_auth ? EKU_CLIENT : 0;
		if (want == 0 && OBJ_obj2txt(oid, sizeof(oid),
		    sk_ASN1_OBJECT_value(eku, k), 1) > 0 &&
		    strcmp(oid, EKU_DOCSIGN_OID) == 0) {
			/* the journal trusts this purpose: the audit profile's alone */
			if (prof->id != PROFILE_AUDIT) {
				r = airca_errf(AIRCA_ERR_LINT, "lint: "
				    "extendedKeyUsage: documentSigning (%s) is "
				    "the audit certificate's alone, not profile "
				    "%s's", EKU_DOCSIGN_OID, prof->name);
				goto out;
			}
			want = EKU_DOCSIGN;
		}
		if (want == 0 || (got & want)) {
			r = airca_errf(AIRCA_ERR_LINT, "lint: extendedKeyUsage: "
			    "%s is not the profile's, or given twice",
			    nid != NID_undef ? OBJ_nid2sn(nid) : "a purpose");
			goto out;
		}
		got |= want;
	}
	if (got != prof->eku) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: extendedKeyUsage: not the "
		    "profile's purposes");
		goto out;
	}
	r = 0;
 out:
	BASIC_CONSTRAINTS_free(bc);
	ASN1_BIT_STRING_free(ku);
	EXTENDED_KEY_USAGE_free(eku);
	return r;
}

/* A user profile's subjectAltName: only the types it takes, as policy_san() judges them. */
static int
lint_san_user(X509 *cert, const struct profile *prof)
{
	GENERAL_NAMES *san = NULL;
	const GENERAL_NAME *gen;
	char *dns[CSR_MAX_DNS], *uri[CSR_MAX_URI];
	struct san_ip ips[CSR_MAX_IP];
	const ASN1_STRING *v;
	size_t ndns = 0, nuri = 0, nip = 0;
	int i, n, t, r;
	bool any = false, req = false;

	for (t = 0; t < 3; t++) {
		any |= prof->san_rule[t] != RULE_DROP;
		req |= prof->san_rule[t] == RULE_SUPPLIED;
	}
	if (X509_get_ext_by_NID(cert, NID_subject_alt_name, -1) < 0) {
		if (req)
			return airca_errf(AIRCA_ERR_LINT, "lint: "
			    "subjectAltName: missing, and profile %s requires "
			    "one", prof->name);
		return 0;
	}
	if ((r = lint_ext(cert, NID_subject_alt_name, any, 0,
	    (void **)&san)) != 0)
		goto out;
	n = sk_GENERAL_NAME_num(san);
	if (n <= 0) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: subjectAltName: empty");
		goto out;
	}
	for (i = 0; i < n; i++) {
		gen = sk_GENERAL_NAME_value(san, i);
		t = gen->type == GEN_DNS ? 0 : gen->type == GEN_IPADD ? 1 :
		    gen->type == GEN_URI ? 2 : -1;
		if (t < 0 || prof->san_rule[t] == RULE_DROP) {
			r = airca_errf(AIRCA_ERR_LINT, "lint: subjectAltName: "
			    "an entry of a type profile %s does not take",
			    prof->name);
			goto out;
		}
		v = t == 1 ? gen->d.iPAddress : gen->d.ia5;
		if (ASN1_STRING_length(v) <= 0 || (t != 1 &&
		    memchr(ASN1_STRING_get0_data(v), '\0',
		    (size_t)ASN1_STRING_length(v)) != NULL)) {
			r = airca_errf(AIRCA_ERR_LINT, "lint: subjectAltName: "
			    "entry #%d is empty or has a NUL", i + 1);
			goto out;
		}
		if ((t == 0 && ndns == CSR_MAX_DNS) ||
		    (t == 1 && nip == CSR_MAX_IP) ||
		    (t == 2 && nuri == CSR_MAX_URI) ||
		    (t == 1 && ASN1_STRING_length(v) != 4 &&
		    ASN1_STRING_length(v) != 16)) {
			r = airca_errf(AIRCA_ERR_LINT, "lint: subjectAltName: "
			    "too many entries, or a bad IP address");
			goto out;
		}
		if (t == 1) {
			memcpy(ips[nip].addr, ASN1_STRING_get0_data(v),
			    (size_t)ASN1_STRING_length(v));
			ips[nip++].len = (size_t)ASN1_STRING_length(v);
			continue;
		}
		if ((t == 0 ? (dns[ndns] = strndup((const char *)
		    ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v))) :
		    (uri[nuri] = strndup((const char *)ASN1_STRING_get0_data(v),
		    (size_t)ASN1_STRING_length(v)))) == NULL) {
			r = airca_errf(AIRCA_ERR_NOMEM, "out of memory");
			goto out;
		}
		if (t == 0)
			ndns++;
		else
			nuri++;
	}
	if ((r = policy_san(prof, dns, ndns, ips, nip, uri, nuri, false,
	    false)) != 0) {
		r = airca_errctx(AIRCA_ERR_LINT, "lint: subjectAltName");
		goto out;
	}
	r = 0;
 out:
	while (ndns > 0)
		free(dns[--ndns]);
	while (nuri > 0)
		free(uri[--nuri]);
	GENERAL_NAMES_free(san);
	return r;
}

static int
lint_san(X509 *cert, const struct profile *prof)
{
	GENERAL_NAMES *san = NULL;
	const GENERAL_NAME *gen;
	char *names[CSR_MAX_DNS];
	const ASN1_IA5STRING *ia5;
	int i, n, r;
	size_t count = 0;

	if (prof->kind != KIND_BUILTIN)
		return lint_san_user(cert, prof);
	if ((r = lint_ext(cert, NID_subject_alt_name, prof->san != SAN_NONE, 0,
	    (void **)&san)) != 0 || san == NULL)
		goto out;
	n = sk_GENERAL_NAME_num(san);
	if (n > CSR_MAX_DNS) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: subjectAltName: %d names, "
		    "too many", n);
		goto out;
	}
	for (i = 0; i < n; i++) {
		gen = sk_GENERAL_NAME_value(san, i);
		if (gen->type != GEN_DNS) {
			r = airca_errf(AIRCA_ERR_LINT, "lint: subjectAltName: "
			    "an entry that is not a dNSName");
			goto out;
		}
		ia5 = gen->d.dNSName;
		if (ASN1_STRING_length(ia5) <= 0 ||
		    memchr(ASN1_STRING_get0_data(ia5), '\0',
		    (size_t)ASN1_STRING_length(ia5)) != NULL) {
			r = airca_errf(AIRCA_ERR_LINT, "lint: subjectAltName: "
			    "dNSName #%d is empty or has a NUL", i + 1);
			goto out;
		}
		if ((names[count] = strndup((const char *)
		    ASN1_STRING_get0_data(ia5),
		    (size_t)ASN1_STRING_length(ia5))) == NULL) {
			r = airca_errf(AIRCA_ERR_NOMEM, "out of memory");
			goto out;
		}
		count++;
	}
	if ((r = policy_dns(prof, names, count)) != 0) {
		r = airca_errctx(AIRCA_ERR_LINT, "lint: subjectAltName");
		goto out;
	}
	r = 0;
 out:
	while (count > 0)
		free(names[--count]);
	GENERAL_NAMES_free(san);
	return r;
}

static int
lint_keyids(X509 *cert, X509 *issuer)
{
	ASN1_OCTET_STRING *ski = NULL, *iski = NULL;
	AUTHORITY_KEYID *aki = NULL;
	unsigned char id[SHA1_LEN];
	int crit, r;

	if ((r = lint_ext(cert, NID_subject_key_identifier, true, 0,
	    (void **)&ski)) != 0 || (r = key_id(cert, id)) != 0)
		goto out;
	if (ASN1_STRING_length(ski) != SHA1_LEN ||
	    memcmp(ASN1_STRING_get0_data(ski), id, SHA1_LEN) != 0) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: subjectKeyIdentifier: not "
		    "the SHA-1 of the public key (RFC 5280 method 1)");
		goto out;
	}
	if ((r = lint_ext(cert, NID_authority_key_identifier, true, 0,
	    (void **)&aki)) != 0)
		goto out;
	if (aki->keyid == NULL || aki->issuer != NULL || aki->serial != NULL) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: authorityKeyIdentifier: "
		    "must hold the keyIdentifier only");
		goto out;
	}
	if (issuer != NULL && (iski = X509_get_ext_d2i(issuer,
	    NID_subject_key_identifier, &crit, NULL)) == NULL) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: authorityKeyIdentifier: "
		    "the issuer has no subjectKeyIdentifier");
		goto out;
	}
	if (ASN1_OCTET_STRING_cmp(aki->keyid, iski != NULL ? iski : ski) != 0) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: authorityKeyIdentifier: "
		    "not the issuer's subjectKeyIdentifier");
		goto out;
	}
	r = 0;
 out:
	ASN1_OCTET_STRING_free(ski);
	ASN1_OCTET_STRING_free(iski);
	AUTHORITY_KEYID_free(aki);
	return r;
}

/* The issuer must be a CA that may sign this certificate. */
static int
lint_issuer(X509 *cert, const struct profile *prof, X509 *issuer)
{
	BASIC_CONSTRAINTS *bc = NULL;
	ASN1_BIT_STRING *ku = NULL;
	bool extra;
	int crit, r;

	if (X509_NAME_cmp(X509_get_issuer_name(cert), issuer != NULL ?
	    X509_get_subject_name(issuer) : X509_get_subject_name(cert)) != 0) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: issuer: the issuer name is "
		    "not the issuer's subject");
		goto out;
	}
	if (issuer == NULL) {
		r = 0;
		goto out;
	}
	bc = X509_get_ext_d2i(issuer, NID_basic_constraints, &crit, NULL);
	ku = X509_get_ext_d2i(issuer, NID_key_usage, &crit, NULL);
	if (bc == NULL || !bc->ca || ku == NULL ||
	    !(ku_mask(ku, &extra) & KU_KEY_CERT_SIGN)) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: issuer: not a CA with "
		    "keyCertSign");
		goto out;
	}
	if (prof->ca && bc->pathlen != NULL &&
	    ASN1_INTEGER_get(bc->pathlen) == 0) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: issuer: pathlen 0 allows "
		    "no CA below it");
		goto out;
	}
	r = 0;
 out:
	BASIC_CONSTRAINTS_free(bc);
	ASN1_BIT_STRING_free(ku);
	return r;
}

static int
lint_keys(X509 *cert, EVP_PKEY *pub, const struct profile *prof,
    X509 *issuer)
{
	const X509_ALGOR *inner = X509_get0_tbs_sigalg(cert), *outer;
	const ASN1_BIT_STRING *sig;
	const ASN1_OBJECT *obj;
	const void *pval;
	const EVP_MD *md;
	EVP_PKEY *ipub;
	int bits, ptype, want, nid;

	if (pub == NULL) {
		ERR_clear_error();
		return airca_errf(AIRCA_ERR_LINT, "lint: public key: cannot be "
		    "read");
	}
	switch (key_kind(pub, &bits)) {
	case KIND_P256:
		break;
	case KIND_P384:
		if (!prof->allow_p384)
			return airca_errf(AIRCA_ERR_LINT, "lint: public key: EC "
			    "P-384 not allowed in profile %s", prof->name);
		break;
	case KIND_RSA:
		if (!prof->allow_rsa || bits < (int)prof->min_rsa_bits)
			return airca_errf(AIRCA_ERR_LINT, "lint: public key: RSA "
			    "%d not allowed in profile %s", bits, prof->name);
		break;
	case KIND_NONE:
		return airca_errf(AIRCA_ERR_LINT, "lint: public key: not EC "
		    "P-256, P-384 or RSA");
	}

	ipub = issuer != NULL ? X509_get0_pubkey(issuer) : pub;
	if (ipub == NULL || sig_alg(ipub, &md, &want) != 0)
		return airca_errf(AIRCA_ERR_LINT, "lint: signature: the issuer's "
		    "key is not one airca signs with");
	X509_ALGOR_get0(&obj, &ptype, &pval, inner);
	nid = OBJ_obj2nid(obj);
	if (nid != want || ptype != (want == NID_sha256WithRSAEncryption ?
	    V_ASN1_NULL : V_ASN1_UNDEF))
		return airca_errf(AIRCA_ERR_LINT, "lint: signature: %s, but the "
		    "issuer's key signs with %s", nid != NID_undef ?
		    OBJ_nid2sn(nid) : "none", OBJ_nid2sn(want));
	X509_get0_signature(&sig, &outer, cert);
	X509_ALGOR_get0(&obj, &ptype, &pval, outer);
	if (OBJ_obj2nid(obj) != NID_undef && X509_ALGOR_cmp(outer, inner) != 0)
		return airca_errf(AIRCA_ERR_LINT, "lint: signature: the outer "
		    "algorithm differs from the TBS one");
	return 0;
}

/* Only the profile's extensions. */
static int
lint_ext_list(X509 *cert, const struct profile *prof)
{
	int i, n, nid;

	n = X509_get_ext_count(cert);
	for (i = 0; i < n; i++) {
		nid = OBJ_obj2nid(X509_EXTENSION_get_object(X509_get_ext(cert,
		    i)));
		if (nid == NID_basic_constraints || nid == NID_key_usage ||
		    nid == NID_subject_key_identifier ||
		    nid == NID_authority_key_identifier ||
		    (nid == NID_ext_key_usage && prof->eku != 0) ||
		    (nid == NID_subject_alt_name && (prof->san != SAN_NONE ||
		    prof->kind != KIND_BUILTIN)))
			continue;
		return airca_errf(AIRCA_ERR_LINT, "lint: extensions: %s is not "
		    "in profile %s", nid != NID_undef ? OBJ_nid2sn(nid) :
		    "an unknown extension", prof->name);
	}
	return 0;
}

/* The lint, with the certificate's public key given (issue_lint: its own). */
static int
lint_cert(X509 *cert, EVP_PKEY *pub, const struct profile *prof,
    X509 *issuer)
{
	const ASN1_BIT_STRING *iuid, *suid;
	int r;

	if (cert == NULL || prof == NULL)
		return airca_errf(AIRCA_ERR_INTERNAL, "issue_lint: no cert");
	if (X509_get_version(cert) != X509_VERSION_3)
		return airca_errf(AIRCA_ERR_LINT, "lint: version: not v3");
	X509_get0_uids(cert, &iuid, &suid);
	if (iuid != NULL || suid != NULL)
		return airca_errf(AIRCA_ERR_LINT, "lint: version: unique "
		    "identifiers are not allowed");
	if ((r = lint_serial(cert)) != 0 ||
	    (r = lint_validity(cert, prof, issuer)) != 0 ||
	    (r = lint_subject(cert, prof)) != 0 ||
	    (r = lint_issuer(cert, prof, issuer)) != 0 ||
	    (r = lint_ext_list(cert, prof)) != 0 ||
	    (r = lint_usage(cert, prof)) != 0 ||
	    (r = lint_san(cert, prof)) != 0 ||
	    (r = lint_keyids(cert, issuer)) != 0 ||
	    (r = lint_keys(cert, pub, prof, issuer)) != 0)
		return r;
	return 0;
}

int
issue_lint(X509 *cert, const struct profile *prof, X509 *issuer)
{
	EVP_PKEY *pub = NULL;

	if (cert != NULL && (pub = X509_get0_pubkey(cert)) == NULL)
		ERR_clear_error();
	return lint_cert(cert, pub, prof, issuer);
}

/* ---- helpers ---- */

void
cert_serial_hex(const X509 *cert, char *out, size_t outlen)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(cert);
	unsigned char *der = NULL;
	const unsigned char *p;
	long clen;
	int len, tag, xclass;

	if (outlen == 0)
		return;
	out[0] = '\0';
	if (sn == NULL || (len = i2d_ASN1_INTEGER(sn, &der)) <= 0)
		goto out;
	p = der;
	if ((ASN1_get_object(&p, &clen, &tag, &xclass, len) & 0x80) ||
	    (size_t)clen * 2 + 1 > outlen)
		goto out;
	hex_encode(p, (size_t)clen, out);
 out:
	ERR_clear_error();
	OPENSSL_free(der);
}

void
cert_fingerprint(const X509 *cert, char out[65])
{
	unsigned char *der = NULL;
	int len;

	out[0] = '\0';
	if ((len = i2d_X509(cert, &der)) > 0)
		sha256_hex(der, (size_t)len, out);
	OPENSSL_free(der);
}

int
pubkey_spki_sha256(EVP_PKEY *pkey, char out[65])
{
	unsigned char *der = NULL;
	int len;

	if ((len = i2d_PUBKEY(pkey, &der)) <= 0)
		return airca_errssl(AIRCA_ERR_CRYPTO, "cannot encode the public "
		    "key");
	sha256_hex(der, (size_t)len, out);
	OPENSSL_free(der);
	return 0;
}

int
cert_spki_sha256(X509 *cert, char out[65])
{
	unsigned char *der = NULL;
	int len;

	if ((len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der)) <= 0)
		return airca_errssl(AIRCA_ERR_CRYPTO, "cannot encode the "
		    "certificate's public key");
	sha256_hex(der, (size_t)len, out);
	OPENSSL_free(der);
	return 0;
}

static char *
bio_string(BIO *bio)
{
	char *data, *s;
	long len;

	if ((len = BIO_get_mem_data(bio, &data)) < 0 ||
	    (s = malloc((size_t)len + 1)) == NULL)
		return NULL;
	memcpy(s, data, (size_t)len);
	s[len] = '\0';
	return s;
}

char *
name_oneline(const X509_NAME *name)
{
	BIO *bio;
	char *s = NULL;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	if (X509_NAME_print_ex(bio, name, 0,
	    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0)
		s = bio_string(bio);
	BIO_free(bio);
	return s;
}

char *
name_cn(const X509_NAME *name)
{
	unsigned char *u = NULL;
	char *s = NULL;
	int i, n;

	if ((i = X509_NAME_get_index_by_NID(name, NID_commonName, -1)) < 0)
		return NULL;
	n = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(
	    X509_NAME_get_entry(name, i)));
	if (n >= 0 && memchr(u, '\0', (size_t)n) == NULL &&
	    (s = malloc((size_t)n + 1)) != NULL) {
		memcpy(s, u, (size_t)n);
		s[n] = '\0';
	}
	ERR_clear_error();
	OPENSSL_free(u);
	return s;
}

int
cert_pem(X509 *cert, char **pemp, size_t *lenp)
{
	BIO *bio;
	char *s = NULL;
	int r = AIRCA_ERR_INTERNAL;

	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		r = airca_errssl(AIRCA_ERR_NOMEM, "BIO_new");
		goto out;
	}
	if (!PEM_write_bio_X509(bio, cert) || (s = bio_string(bio)) == NULL) {
		r = airca_errssl(AIRCA_ERR_NOMEM, "cannot write the PEM");
		goto out;
	}
	*lenp = strlen(s);
	*pemp = s;
	r = 0;
 out:
	BIO_free(bio);
	return r;
}
