"""tests/pinscan.py: gdb Python: count copies of a PIN in the stopped inferior's memory.

  gdb -batch -ex 'break F' -ex run -ex 'source tests/pinscan.py' ...

Reads the PIN from the file named by the convenience variable $pinfile (so
it is in neither gdb's environment nor the inferior's), reads every
readable mapping of the inferior (up to 1 GiB each: ASan's shadow is left
out), and prints one line per copy found, "PINSCAN hit ADDR MAPPING dd=0|1 pre=TEXT"
(dd: the mapping is left out of core dumps, MADV_DONTDUMP; TEXT: the
bytes before it back to a NUL, "VAR=" for an environment string), then
"PINSCAN total N".  The PIN is never printed.
"""
import re

import gdb

path = gdb.parse_and_eval("$pinfile").string()
with open(path, "rb") as f:
    pin = f.read().rstrip(b"\n")
inf = gdb.selected_inferior()
pid = inf.pid

flags = {}
cur = None
with open("/proc/%d/smaps" % pid) as f:
    for line in f:
        m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) ", line)
        if m:
            cur = int(m.group(1), 16)
        elif line.startswith("VmFlags:") and cur is not None:
            flags[cur] = line.split()[1:]

total = 0
with open("/proc/%d/maps" % pid) as f:
    maps = f.read().splitlines()
for line in maps:
    parts = line.split(None, 5)
    lo, hi = (int(x, 16) for x in parts[0].split("-"))
    name = parts[5] if len(parts) > 5 else "[anon]"
    if "r" not in parts[1] or name in ("[vvar]", "[vsyscall]"):
        continue
    if hi - lo > (1 << 30):
        continue
    try:
        mem = bytes(inf.read_memory(lo, hi - lo))
    except gdb.MemoryError:
        continue
    for m in re.finditer(re.escape(pin), mem):
        total += 1
        dd = 1 if "dd" in flags.get(lo, []) else 0
        # what comes before it, back to a NUL: "VAR=" for an environment string
        pre = mem[max(0, m.start() - 40):m.start()].split(b"\0")[-1]
        pre = pre.decode("ascii", "replace") if pre.isascii() else "?"
        print("PINSCAN hit 0x%x %s %s dd=%d pre=%s" % (lo + m.start(),
              parts[0], name, dd, pre))
print("PINSCAN total %d" % total)
