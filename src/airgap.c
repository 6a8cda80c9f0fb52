/* airgap.c: is the machine air-gapped (no network interface up but loopback), and what host and binary is this. */
#include <sys/types.h>
#include <sys/utsname.h>

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "airgap.h"
#include "error.h"
#include "util.h"

#define EXE_MAX		(512L * 1024 * 1024)	/* bytes of our binary we hash */

int
airgap_check(enum net_policy policy, struct airgap_report *rep)
{
	struct ifaddrs *ifa = NULL, *i;
	size_t k, len;
	bool seen;
	int r = AIRCA_ERR_INTERNAL;

	memset(rep, 0, sizeof(*rep));
	if (getifaddrs(&ifa) == -1) {
		r = airca_errf(AIRCA_ERR_IO, "cannot list network interfaces: "
		    "%s", strerror(errno));
		goto out;
	}
	/* getifaddrs lists an interface once per address family */
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_name == NULL || !(i->ifa_flags & IFF_UP) ||
		    (i->ifa_flags & IFF_LOOPBACK))
			continue;
		for (seen = false, k = 0; k < rep->nup && k < AIRGAP_MAX_IFACES;
		    k++)
			if (strcmp(rep->up[k], i->ifa_name) == 0)
				seen = true;
		if (seen)
			continue;
		if (rep->nup < AIRGAP_MAX_IFACES)
			snprintf(rep->up[rep->nup], IF_NAMESIZE, "%s",
			    i->ifa_name);
		rep->nup++;
	}
	if (rep->nup == 0)
		snprintf(rep->summary, sizeof(rep->summary),
		    "no interface up but lo");
	else {
		for (k = 0; k < rep->nup && k < AIRGAP_MAX_IFACES; k++) {
			len = strlen(rep->summary);
			snprintf(rep->summary + len, sizeof(rep->summary) - len,
			    "%s%s", k ? ", " : "", rep->up[k]);
		}
		len = strlen(rep->summary);
		snprintf(rep->summary + len, sizeof(rep->summary) - len,
		    "%s up", rep->nup > AIRGAP_MAX_IFACES ? ", ..." : "");
	}
	if (rep->nup > 0 && policy == NET_REFUSE) {
		r = airca_errf(AIRCA_ERR_NETWORK, "%s: this machine is not "
		    "air-gapped; unplug the cable, switch radios off (rfkill "
		    "block all) or run 'ip link set %s down', then check again",
		    rep->summary, rep->up[0]);
		goto out;
	}
	r = 0;
 out:
	if (ifa != NULL)
		freeifaddrs(ifa);
	return r;
}

/* SHA-256 of /proc/self/exe, read in bounded chunks. */
static int
exe_sha256(char out[SHA256_HEX_LEN + 1])
{
	unsigned char chunk[64 * 1024], md[SHA256_LEN];
	unsigned int mdlen = sizeof(md);
	EVP_MD_CTX *ctx = NULL;
	long total = 0;
	ssize_t n;
	int fd = -1, r = AIRCA_ERR_INTERNAL;

	if ((fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)) == -1) {
		r = airca_errf(AIRCA_ERR_IO, "/proc/self/exe: %s",
		    strerror(errno));
		goto out;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		r = airca_errssl(AIRCA_ERR_CRYPTO, "SHA-256");
		goto out;
	}
	for (;;) {
		if ((n = read(fd, chunk, sizeof(chunk))) == -1) {
			if (errno == EINTR)
				continue;
			r = airca_errf(AIRCA_ERR_IO, "/proc/self/exe: %s",
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if ((total += n) > EXE_MAX) {
			r = airca_errf(AIRCA_ERR_UNSAFE, "/proc/self/exe: larger "
			    "than %ld bytes", EXE_MAX);
			goto out;
		}
		if (EVP_DigestUpdate(ctx, chunk, (size_t)n) != 1) {
			r = airca_errssl(AIRCA_ERR_CRYPTO, "SHA-256");
			goto out;
		}
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1) {
		r = airca_errssl(AIRCA_ERR_CRYPTO, "SHA-256");
		goto out;
	}
	hex_encode(md, sizeof(md), out);
	r = 0;
 out:
	EVP_MD_CTX_free(ctx);
	if (fd != -1)
		close(fd);
	return r;
}

int
airgap_host(struct host_info *hi)
{
	struct utsname u;

	memset(hi, 0, sizeof(*hi));
	if (gethostname(hi->hostname, sizeof(hi->hostname) - 1) == -1)
		return airca_errf(AIRCA_ERR_IO, "gethostname: %s",
		    strerror(errno));
	if (uname(&u) == -1)
		return airca_errf(AIRCA_ERR_IO, "uname: %s", strerror(errno));
	snprintf(hi->kernel, sizeof(hi->kernel), "%.80s %.80s %.60s",
	    u.sysname, u.release, u.machine);
	snprintf(hi->airca_version, sizeof(hi->airca_version), "%s",
	    AIRCA_VERSION);
	return exe_sha256(hi->binary_sha256);
}
