#!/usr/bin/env python3
"""doc-commands.py FILE...: print "FILE:LINE<TAB>airca ..." for every airca
command line the docs show: in code blocks (``` fences, the man page's
.Bd/.Ed displays) and in backquotes in prose.  Output lines ("airca X: ...")
and screen captures are left out; continuation lines are joined; shell syntax
after the command (pipes, redirections, comments) is cut."""
import re
import sys

for path in sys.argv[1:]:
    if path.endswith("/hacking.md"):
        continue        # its worked example adds a command that does not exist
    lines = open(path, encoding="utf-8").read().split("\n")
    block = False
    pending = ""
    for i, line in enumerate(lines, 1):
        s = line.strip()
        if s.startswith("```") or s.startswith(".Bd") or s == ".Ed":
            block = s.startswith(".Bd") or (s.startswith("```") and not block)
            continue
        cands = [m.group(1) for m in re.finditer(r"`(airca [^`]+)`", line)]
        if block:
            if pending:
                s = pending + " " + s
                pending = ""
            if s.endswith("\\e") or s.endswith("\\"):
                pending = re.sub(r"\\e?$", "", s)
                continue
            s = re.sub(r"^\$\s+", "", s)
            s = re.sub(r"^(sudo\s+|[A-Z_][A-Z0-9_]*=\S*\s+)+", "", s)
            if re.match(r"airca [a-z-]", s) and not re.match(r"airca [^:]*:", s):
                cands.append(s)
        for c in cands:
            c = re.split(r"\s(?:\||>|<|2>|&&|\|\||;|#)", c)[0]
            print(f"{path}:{i}\t{c}")
