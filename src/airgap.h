/* airgap.h: the air gap (network interfaces up), and the host and binary fingerprint for the journal. */
#ifndef AIRCA_AIRGAP_H
#define AIRCA_AIRGAP_H

#include <net/if.h>
#include <stddef.h>

#include "hsm.h"

#define AIRGAP_MAX_IFACES	32

struct airgap_report {
	size_t	nup;				/* non-loopback interfaces that are up */
	char	up[AIRGAP_MAX_IFACES][IF_NAMESIZE];
	char	summary[512];			/* "eth0, wlan0 up" or "no interface up but lo" */
};

/*
 * Look at the network interfaces (getifaddrs; IFF_UP, not IFF_LOOPBACK).
 * Fills *rep.  Under NET_REFUSE any interface up is AIRCA_ERR_NETWORK with
 * the names and what to do (unplug, rfkill, ip link set down); under
 * NET_WARN and NET_ALLOW it returns 0 and the caller warns and journals.
 */
int	airgap_check(enum net_policy policy, struct airgap_report *rep);

struct host_info {
	char	hostname[256];
	char	kernel[256];			/* uname -srm */
	char	airca_version[32];
	char	binary_sha256[65];		/* SHA-256 of /proc/self/exe */
};

int	airgap_host(struct host_info *hi);

#endif
