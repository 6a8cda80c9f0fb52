/*
 * issue.c: build a certificate from a key, a subject and a profile; lint it
 * (issue-lint.c); sign it; check what was signed.  The builder and the lint
 * share the key usage table, the key kinds, the signature algorithm and the
 * key identifier through issue-int.h, so the lint checks a certificate
 * against the very rules that built it.  Also the X.509 helpers the rest of
 * airca reads certificates with (serial, fingerprints, names, PEM).
 */
#include <limits.h>
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
#include "issue-int.h"
#include "policy.h"
#include "token.h"
#include "util.h"

/* The key usage bits in BIT STRING order, as KU_* masks. */
const struct ku_bit issue_ku_bits[NKU_BITS] = {
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

/* What kind of key this is: P-256, P-384, RSA (any size), or none we use. */
enum key_kind
issue_key_kind(const EVP_PKEY *pkey, int *bitsp)
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
int
issue_sig_alg(const EVP_PKEY *issuer_key, const EVP_MD **mdp, int *nidp)
{
	int bits;

	switch (issue_key_kind(issuer_key, &bits)) {
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

/*
 * The signature of a certificate (done, parsed from der) with the issuer's
 * key: ECDSA on the key itself where der_signed_verify() can, else
 * X509_verify(); both refuse a certificate whose signature algorithm is
 * not the one its TBS names.  1 if it verifies.
 */
static int
cert_verify(X509 *done, const unsigned char *der, size_t len, EVP_PKEY *pub)
{
	const X509_ALGOR *outer;
	int v;

	if ((v = der_signed_verify(der, len, pub)) == DER_VERIFY_OTHER)
		return X509_verify(done, pub);
	X509_get0_signature(NULL, &outer, done);
	if (X509_ALGOR_cmp(outer, X509_get0_tbs_sigalg(done)) != 0)
		return 0;
	return v;
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
	if (pub == NULL || cert_verify(done, der, (size_t)len, pub) != 1) {
		r = airca_errssl(AIRCA_ERR_CRYPTO, "the new %s certificate does "
		    "not verify with the issuer's public key", prof->name);
		goto out;
	}
	r = issue_lint_cert(done, key, prof, issuer);
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
int
issue_key_id(const X509 *x, unsigned char out[SHA1_LEN])
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
		if ((prof->key_usage & issue_ku_bits[i].mask) &&
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
	if ((r = issue_key_id(x, id)) != 0)
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
	unsigned char dgst[EVP_MAX_MD_SIZE];	/* of tbs, with md */
	unsigned int dgstlen;
	unsigned char *sig;		/* issue_sign_digest()'s */
	size_t	siglen;
};

void
issue_tbs_free(struct issue_tbs *t)
{
	if (t == NULL)
		return;
	X509_free(t->x);
	OPENSSL_free(t->tbs);
	OPENSSL_free(t->sig);
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
	if ((r = issue_sig_alg(signer_pub, &md, &signid)) != 0)
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
	if ((t->tbslen = i2d_re_X509_tbs(x, &t->tbs)) <= 0 ||
	    EVP_Digest(t->tbs, (size_t)t->tbslen, t->dgst, &t->dgstlen, md,
	    NULL) != 1)
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
	struct der_signed sp;
	const unsigned char *p;
	unsigned char *der = NULL;
	int derlen, r = AIRCA_ERR_INTERNAL;

	if (X509_sign(t->x, t->sign_key, t->md) <= 0) {
		r = token_errssl(AIRCA_ERR_CRYPTO, "signing the %s certificate "
		    "failed", prof->name);
		goto out;
	}

	/* what leaves this function is the DER that was checked */
	if ((derlen = i2d_X509(t->x, &der)) <= 0)
		goto nomem;
	if (!der_signed_parts(der, (size_t)derlen, &sp)) {
		r = airca_errf(AIRCA_ERR_CRYPTO, "the signed certificate does "
		    "not parse back");
		goto out;
	}
	if (sp.tbslen != (size_t)t->tbslen ||
	    memcmp(sp.tbs, t->tbs, (size_t)t->tbslen) != 0) {
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
	if (cert_verify(done, der, (size_t)derlen, t->issuer_pub) != 1) {
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

bool
issue_sign_split(const struct issue_tbs *t)
{
	return t->deferred_check && t->dgstlen > 0 &&
	    EVP_PKEY_get_base_id(t->sign_key) == EVP_PKEY_EC;
}

int
issue_sign_digest(struct issue_tbs *t)
{
	EVP_PKEY_CTX *pc = NULL;
	size_t len;
	int r = 0;

	OPENSSL_free(t->sig);
	t->sig = NULL;
	if ((len = (size_t)EVP_PKEY_get_size(t->sign_key)) == 0 ||
	    (t->sig = OPENSSL_malloc(len)) == NULL ||
	    (pc = EVP_PKEY_CTX_new(t->sign_key, NULL)) == NULL ||
	    EVP_PKEY_sign_init(pc) <= 0 ||
	    EVP_PKEY_sign(pc, t->sig, &len, t->dgst, t->dgstlen) <= 0)
		r = token_errssl(AIRCA_ERR_CRYPTO, "signing the %s certificate "
		    "failed", t->prof->name);
	t->siglen = len;
	EVP_PKEY_CTX_free(pc);
	return r;
}

/* DER: SEQUENCE { tbs, signatureAlgorithm, BIT STRING { 0 unused bits, sig } }. */
int
issue_assemble(struct issue_tbs *t, X509 **certp)
{
	unsigned char *alg = NULL, *der = NULL, *p;
	const unsigned char *q;
	int alglen, bitlen, inner, total, r;
	X509 *x = NULL;

	if (t->sig == NULL)
		return airca_errf(AIRCA_ERR_INTERNAL, "no signature to put in");
	if ((alglen = i2d_X509_ALGOR((X509_ALGOR *)X509_get0_tbs_sigalg(t->x),
	    &alg)) <= 0 || t->siglen > INT_MAX / 2) {
		r = airca_errssl(AIRCA_ERR_NOMEM, "cannot encode the signature "
		    "algorithm");
		goto out;
	}
	bitlen = ASN1_object_size(0, (int)t->siglen + 1, V_ASN1_BIT_STRING);
	inner = t->tbslen + alglen + bitlen;
	if (bitlen <= 0 || (total = ASN1_object_size(1, inner,
	    V_ASN1_SEQUENCE)) <= 0 || (der = OPENSSL_malloc((size_t)total)) ==
	    NULL) {
		r = airca_errf(AIRCA_ERR_NOMEM, "cannot put the certificate "
		    "together");
		goto out;
	}
	p = der;
	ASN1_put_object(&p, 1, inner, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	memcpy(p, t->tbs, (size_t)t->tbslen);
	p += t->tbslen;
	memcpy(p, alg, (size_t)alglen);
	p += alglen;
	ASN1_put_object(&p, 0, (int)t->siglen + 1, V_ASN1_BIT_STRING,
	    V_ASN1_UNIVERSAL);
	*p++ = 0;
	memcpy(p, t->sig, t->siglen);
	p += t->siglen;
	q = der;
	if (p != der + total || (x = der_x509(&q, total)) == NULL ||
	    q != der + total) {
		r = airca_errssl(AIRCA_ERR_CRYPTO, "the signed %s certificate "
		    "does not parse back", t->prof->name);
		goto out;
	}
	*certp = x;
	x = NULL;
	r = 0;
 out:
	X509_free(x);
	OPENSSL_free(der);
	OPENSSL_free(alg);
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
