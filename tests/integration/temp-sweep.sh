#!/usr/bin/env bash
# Temp files of a killed airca are removed at the next run and journaled:
# a batch killed with SIGKILL leaves its hidden report temp files in OUT
# (reproduced first), the next batch sign removes them; stale temp files in
# the home are removed by the next command that opens it for writing.  A
# temp file whose writer is alive is left alone.
. "$(dirname "$0")/../lib.sh"
GEN="$TOP/$AIRCA_BUILD/tests/gen-csrs"

init_ca acme
H=$AIRCA_HOME J=$H/journal.jsonl
airca device-ca create --user-id u1 --label dca1 >/dev/null
IN=$T/in OUT=$T/out
mkdir -p "$IN"
"$GEN" "$IN" 300 acme

tmps() { find "$1" -maxdepth 1 -name '.airca-tmp.*' -printf '%f\n' | sort; }

# 1. a killed batch leaves its temp files in OUT
issued() { grep -c '"event":"cert-issued"' "$J" || true; }
base=$(issued)
"$AIRCA_BIN" --pin-env TEST_PIN batch sign --ca dca1 --in "$IN" --out "$OUT" \
	>"$T/run.out" 2>"$T/run.err" &
pid=$!
for _ in $(seq 1 1000); do
	[ "$(issued)" -gt "$base" ] && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.01
done
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
tmps "$OUT" > "$T/left"
[ -s "$T/left" ] || fail "the killed batch left no temp file in OUT (did it finish before the kill?)"
grep -q "^\.airca-tmp\.$pid\." "$T/left" || fail "temp files do not carry the writer's pid: $(cat "$T/left")"
echo "killed batch (pid $pid) left: $(tr '\n' ' ' < "$T/left")"

# stale temp files in the home and HOME/certs (writer $pid is dead), and one of a live writer ($$)
printf 'x' > "$H/.airca-tmp.$pid.airca.json.AbCdEf"
mkdir -p "$H/certs"
printf 'x' > "$H/certs/.airca-tmp.$pid.0a1b.pem.AbCdEf"
printf 'x' > "$H/.airca-tmp.$$.registry.jsonl.AbCdEf"

# 2. the next run removes them and journals what it removed
airca batch sign --ca dca1 --in "$IN" --out "$OUT" >"$T/re.out" 2>"$T/re.err" || { cat "$T/re.err"; fail "re-run failed"; }
grep -q "removed .* temporary file" "$T/re.err" || { cat "$T/re.err"; fail "no warning about removed temp files"; }
[ -z "$(tmps "$OUT")" ] || fail "temp files still in OUT: $(tmps "$OUT")"
[ ! -e "$H/.airca-tmp.$pid.airca.json.AbCdEf" ] || fail "stale temp file in the home kept"
[ ! -e "$H/certs/.airca-tmp.$pid.0a1b.pem.AbCdEf" ] || fail "stale temp file in HOME/certs kept"
[ -e "$H/.airca-tmp.$$.registry.jsonl.AbCdEf" ] || fail "a live writer's temp file was removed"
(cd "$OUT" && sha256sum -c --quiet SHA256SUMS) || fail "SHA256SUMS after the re-run"

python3 - "$J" "$H" "$OUT" "$T/left" "$pid" <<'PY' || fail "temp-removed events"
import json, os, sys
j, home, out, left, pid = sys.argv[1:]
ev = [json.loads(l) for l in open(j)]
tr = [e["data"] for e in ev if e["event"] == "temp-removed"]
by = {d["dir"]: sorted(d["files"]) for d in tr}
want_out = sorted(open(left).read().split())
assert by.get(out) == want_out, ("OUT", by, want_out)
assert by.get(home) == [".airca-tmp.%s.airca.json.AbCdEf" % pid], by
# the killed batch may also have been writing one certificate to HOME/certs
assert ".airca-tmp.%s.0a1b.pem.AbCdEf" % pid in by.get(os.path.join(home, "certs"), []), by
for d in tr:
    assert all(".%d." % os.getppid() not in f for f in d["files"]), d
PY
airca journal verify >/dev/null || fail "journal verify after the sweep"
echo "temp-sweep ok"
