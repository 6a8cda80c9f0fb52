/*
 * keystore.h: device key pairs made in memory for devices that cannot make
 * their own (profiles with keygen = allowed), and the PKCS#12 that carries
 * one with its certificate and chain.  Never a CA key: those exist only in
 * the token.
 */
#ifndef AIRCA_KEYSTORE_H
#define AIRCA_KEYSTORE_H

#include <stddef.h>

#include <openssl/x509.h>

#define KEYSTORE_SEED_LEN	48	/* bytes of the token's RNG mixed in per key */
#define KEYSTORE_PASS_BYTES	16	/* a password's randomness (hex: 32 characters) */
#define KEYSTORE_PBKDF2_ITER	10000	/* the passwords are random: the count is not their strength */

/*
 * An EC P-256 key pair generated in memory by OpenSSL's DRBG after seed
 * (seedlen bytes from the token's RNG) was mixed into it, so that the key
 * is no weaker than the better of the token's and the host's generators.
 * The caller wipes seed; EVP_PKEY_free() clears the private key.  *keyp
 * owned by the caller.
 */
int	keystore_keygen(const unsigned char *seed, size_t seedlen,
	    EVP_PKEY **keyp);

/*
 * A PKCS#12 (DER in *derp, freed with OPENSSL_free) of key, cert and chain (the issuer
 * upward, may be NULL), friendlyName name: key and certificates encrypted
 * with PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC), the MAC HMAC-SHA256, all
 * with KEYSTORE_PBKDF2_ITER iterations, under pass.  The DER holds the key
 * only encrypted.
 */
int	keystore_p12(EVP_PKEY *key, X509 *cert, STACK_OF(X509) *chain,
	    const char *name, const char *pass, unsigned char **derp,
	    size_t *lenp);

#endif
