/*
 * token-certs.c: certificates on the token: storing a CA's certificate
 * beside its key (libp11, or the PKCS#11 v2.20 attributes only for the
 * modules that refuse libp11's v2.40 ones).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include <libp11.h>
#include <p11-kit/pkcs11.h>

#include "error.h"
#include "token.h"
#include "token-int.h"
#include "util.h"

/*
 * The certificate object with the PKCS#11 v2.20 attributes only: libp11
 * adds CKA_NAME_HASH_ALGORITHM and CKA_HASH_OF_SUBJECT_PUBLIC_KEY (v2.40),
 * which openCryptoki 3.8 refuses with CKR_ATTRIBUTE_TYPE_INVALID.
 */
static CK_RV
store_cert_v220(struct token *tok, X509 *cert, const char *label,
    unsigned char *id, size_t idlen)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_BBOOL yes = CK_TRUE;
	CK_OBJECT_HANDLE h;
	unsigned char *der = NULL, *subj = NULL, *iss = NULL, *sn = NULL;
	int dlen, slen, ilen, nlen;
	CK_RV rv = CKR_HOST_MEMORY;

	dlen = i2d_X509(cert, &der);
	slen = i2d_X509_NAME(X509_get_subject_name(cert), &subj);
	ilen = i2d_X509_NAME(X509_get_issuer_name(cert), &iss);
	nlen = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &sn);
	if (dlen > 0 && slen > 0 && ilen > 0 && nlen > 0) {
		CK_ATTRIBUTE tmpl[] = {
			{ CKA_CLASS, &cls, sizeof(cls) },
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) },
			{ CKA_SUBJECT, subj, (CK_ULONG)slen },
			{ CKA_ISSUER, iss, (CK_ULONG)ilen },
			{ CKA_SERIAL_NUMBER, sn, (CK_ULONG)nlen },
			{ CKA_VALUE, der, (CK_ULONG)dlen },
			{ CKA_LABEL, (void *)label, strlen(label) },
			{ CKA_ID, id, idlen },
		};

		rv = tok->raw.f->C_CreateObject(tok->sess, tmpl,
		    sizeof(tmpl) / sizeof(tmpl[0]), &h);
	}
	OPENSSL_free(der);
	OPENSSL_free(subj);
	OPENSSL_free(iss);
	OPENSSL_free(sn);
	return rv;
}

int
token_store_cert(struct token *tok, const char *label, X509 *cert)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_OBJECT_HANDLE obj, certs[1];
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, NULL, 0 },
	};
	unsigned char *id = NULL;
	size_t idlen = 0, n;
	EVP_PKEY *pub = NULL;
	char *lab = NULL;
	int r = AIRCA_ERR_INTERNAL;

	if ((r = find_labelled(tok, CKO_PUBLIC_KEY, label, &obj)) != 0)
		goto out;
	if ((r = get_attr(tok, obj, CKA_ID, &id, &idlen)) != 0 ||
	    idlen == 0) {
		r = airca_errf(AIRCA_ERR_KEYATTR, "key '%s' on token '%s' has "
		    "no CKA_ID", label, tok->info.label);
		goto out;
	}
	if ((r = object_pubkey(tok, obj, &pub)) != 0)
		goto out;
	if (X509_get0_pubkey(cert) == NULL ||
	    EVP_PKEY_eq(X509_get0_pubkey(cert), pub) != 1) {
		r = airca_errf(AIRCA_ERR_CRYPTO, "the certificate's public key "
		    "is not key '%s' on token '%s'", label, tok->info.label);
		goto out;
	}
	tmpl[1].pValue = id;
	tmpl[1].ulValueLen = idlen;
	if ((r = find_objects(tok, tmpl, 2, certs, 1, &n)) != 0)
		goto out;
	if (n > 0) {
		r = airca_errf(AIRCA_ERR_EXISTS, "token '%s' already holds a "
		    "certificate for key '%s'", tok->info.label, label);
		goto out;
	}
	if ((lab = xstrdup(label)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if (PKCS11_store_certificate(tok->slot->token, cert, lab, id, idlen,
	    NULL) != 0) {
		CK_RV rv = libp11_ckr();

		/* a v2.20 module (openCryptoki 3.8) refuses libp11's v2.40 hashes */
		if (rv == CKR_ATTRIBUTE_TYPE_INVALID)
			rv = store_cert_v220(tok, cert, label, id, idlen);
		if (rv != CKR_OK) {
			r = airca_errf(AIRCA_ERR_TOKEN, "token '%s': cannot "
			    "store the certificate for '%s': %s",
			    tok->info.label, label, ckr_say(rv));
			goto out;
		}
	}
	r = 0;
 out:
	free(lab);
	free(id);
	EVP_PKEY_free(pub);
	ERR_clear_error();
	return r;
}
