/*
 * backup.h: the K-of-N backup bundle: every CA key of the home wrapped
 * under the token's custody key (backup), and those keys unwrapped onto a
 * fresh token once K custodians bring their shares (restore).  The bundle
 * is useless without K shares; the journal records every bundle and every
 * restore, never a share.
 */
#ifndef AIRCA_BACKUP_H
#define AIRCA_BACKUP_H

#include <stddef.h>

#include "ca.h"

#define BACKUP_MANIFEST		"manifest.json"
#define BACKUP_FORMAT		"airca-backup"
#define BACKUP_VERSION		1
#define BACKUP_KEYS_MAX		256
#define BACKUP_BLOB_MAX		(16 * 1024)

/*
 * Write the bundle into dir (new, or empty): for each CA key of the home
 * (root, audit, every device CA made here) LABEL.wrapped (the private key
 * wrapped by the token with CKM_AES_KEY_WRAP_PAD under the custody key)
 * and LABEL.pem (its certificate), manifest.json (label, id, type, SPKI
 * SHA-256, file hashes, custody set, the journal's head), SHA256SUMS; then
 * journal "backup-written" with the manifest's SHA-256.  ca open with the
 * token logged in.  Refused (AIRCA_ERR_POLICY, with the reason) in a home
 * whose key policy is none.
 */
int	backup_write(struct ca *ca, const char *dir);

/*
 * Restore the bundle in dir onto the token the HSM profile names, which
 * must be fresh (no root, audit or custody key): the bundle checked
 * against the journal (its manifest is one backup-written records, every
 * file hash, every certificate the home's), K shares (share_files, or
 * typed on the terminal when there are none) each checked against the
 * SHA-256 the journal records, the custody key rebuilt in locked memory
 * and checked against its check value, imported (SO) as the new token's
 * trusted wrapping key, each key unwrapped with the custody attributes,
 * its public key checked against its certificate, a test signature
 * verified; then journal "custody-restored" with the new token's serial.
 * ca open for writing, no token yet.  On success ca's root and audit keys
 * are set, so the close signs the journal with the restored audit key.
 */
int	backup_restore(struct ca *ca, const char *dir,
	    const char *const *share_files, size_t nfiles);

/*
 * A custodian's drill: read one share (file, or typed when path is NULL)
 * and check it against the journal's record without rebuilding anything;
 * journal "custody-checked" (share number, custodian, never the share).
 */
int	backup_custody_check(struct ca *ca, const char *path);

#endif
