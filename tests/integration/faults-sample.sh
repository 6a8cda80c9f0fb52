#!/usr/bin/env bash
# faults-sample.sh: a sample of the write-failure and kill harness
# (tests/faults/run.sh --sample: ENOSPC, EIO and SIGKILL at a few calls of
# init, api sign, device-ca revoke, journal seal and batch sign, and two each
# of keygen, backup and renew (FAULT_SAMPLE_SPECS in tests/faults/lib.sh), invariants
# checked after each and after a retry; violations listed in
# tests/faults/known-failures are reported, not failed), and a batch that
# fills a small tmpfs (as root).  `make faults` runs the full sweep.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
rc=0
"$TOP/tests/faults/run.sh" --sample || rc=1
bash "$TOP/tests/faults/tmpfs-enospc.sh" || rc=1
exit $rc
