#!/usr/bin/env python3
"""tests/mutants/run.py: the mutation harness ('make mutate', and a sample in 'make test').

Each mutant of tests/mutants/mutants.tsv is a small plausible bug in a
safety check: a pattern of the code and its replacement.  Every mutant is
applied, one at a time, to a scratch copy of the tree (never the working
tree), built, and only its own tests are run; a test that fails kills it.
The result is a table (killed / SURVIVED / DOES NOT APPLY / ...) and a
score.  tests/mutants.md explains the columns and every survivor.

A pattern matches code text, not line numbers, so that it survives
reformatting and moved code: its whitespace matches any run of blanks and
newlines (or none).  A pattern starting with 're:' is a Python regular
expression instead.  A pattern must match exactly once; one that matches
no more (or twice) is reported as DOES NOT APPLY and fails the run: the
data must follow the code, never silently skip a check.

Exit status: 0 when every mutant run was killed or is a documented
survivor (flag 'survives') or waits for a module not merged yet (flag
'needs-p11shim'), and the score reaches --min-score; 1 otherwise; 2 for a
usage or setup error (the baseline fails, the data is malformed).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(TOP, "tests", "mutants", "mutants.tsv")
FIELDS = ["id", "flags", "file", "pattern", "replacement", "tests", "why"]
KNOWN_FLAGS = {"sample", "survives", "needs-p11shim"}


class DataError(Exception):
    pass


def load(path):
    mutants, ids = [], set()
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) != len(FIELDS):
                raise DataError("%s:%d: %d columns, want %d (%s) separated "
                                "by tabs" % (path, n, len(cols), len(FIELDS),
                                             ", ".join(FIELDS)))
            m = dict(zip(FIELDS, cols))
            m["line"] = n
            m["flags"] = set() if m["flags"] in ("", "-") else set(m["flags"].split(","))
            bad = m["flags"] - KNOWN_FLAGS
            if bad:
                raise DataError("%s:%d: unknown flag %s" % (path, n, ",".join(sorted(bad))))
            if m["id"] in ids:
                raise DataError("%s:%d: id %s used twice" % (path, n, m["id"]))
            ids.add(m["id"])
            m["tests"] = m["tests"].split()
            if not m["tests"]:
                raise DataError("%s:%d: mutant %s names no test" % (path, n, m["id"]))
            for t in m["tests"]:
                if not (t.startswith("unit/test-") or t.startswith("integration/")):
                    raise DataError("%s:%d: test %s: use unit/test-NAME or "
                                    "integration/NAME.sh" % (path, n, t))
            # \t and \n in the data stand for a tab and a newline
            m["replacement"] = m["replacement"].replace("\\n", "\n").replace("\\t", "\t")
            mutants.append(m)
    return mutants


def pattern_re(pattern):
    if pattern.startswith("re:"):
        return re.compile(pattern[3:], re.S)
    tokens = pattern.split()
    return re.compile(r"\s*".join(re.escape(t) for t in tokens))


def copy_tree(dst, build):
    """The sources (as they are in the work tree, edits included) and the chosen build dir."""
    tar = subprocess.Popen(["tar", "-C", TOP, "-c", "--exclude=./build",
                            "--exclude=./.git", "."], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-C", dst, "-x"], stdin=tar.stdout, check=True)
    if tar.wait() != 0:
        raise DataError("cannot copy the tree")
    src_build = os.path.join(TOP, build)
    if os.path.isdir(src_build):
        os.makedirs(os.path.dirname(os.path.join(dst, build)), exist_ok=True)
        # objects keep their times, so make rebuilds only what a mutant touches
        subprocess.run(["cp", "-a", src_build, os.path.join(dst, build)], check=True)
        shutil.rmtree(os.path.join(dst, build, "test-logs"), ignore_errors=True)


def targets_for(tests, build):
    t = set()
    for name in tests:
        if name.startswith("unit/"):
            t.add(os.path.join(build, "tests", name[len("unit/"):]))
        else:
            t.add("bins")
    return sorted(t)


def make(scratch, build, opt, targets, log):
    cmd = ["make", "--no-print-directory", "-s", "BUILD=" + build]
    if opt is not None:
        cmd.append("OPT=" + opt)
    r = subprocess.run(cmd + targets, cwd=scratch, stdout=log, stderr=log)
    return r.returncode == 0


def run_test(scratch, build, name, timeout, log):
    env = dict(os.environ, AIRCA_BUILD=build)
    if name.startswith("unit/"):
        cmd = [os.path.join(build, "tests", name[len("unit/"):])]
    else:
        cmd = ["bash", os.path.join("tests", name)]
    log.write("--- %s\n" % name)
    log.flush()
    try:
        r = subprocess.run(cmd, cwd=scratch, env=env, stdout=log, stderr=log,
                           stdin=subprocess.DEVNULL, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    return "pass" if r.returncode == 0 else "fail"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build",
                    help="build dir to copy and rebuild in the scratch tree (default build)")
    ap.add_argument("--opt", default=None, help="OPT for make (the one that build dir was made with)")
    ap.add_argument("--sample", action="store_true", help="only the mutants flagged 'sample'")
    ap.add_argument("--only", default="", help="comma-separated ids")
    ap.add_argument("--no-baseline", action="store_true",
                    help="do not first run the tests on the unmutated tree")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per test run")
    ap.add_argument("--min-score", type=float, default=90.0)
    ap.add_argument("--report", default=None, help="also write the table (markdown) here")
    ap.add_argument("--keep", action="store_true", help="keep the scratch tree")
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--check", action="store_true",
                    help="only check that every pattern matches once (no build, no test)")
    a = ap.parse_args()

    try:
        mutants = load(a.data)
    except (OSError, DataError) as e:
        print("mutants: %s" % e, file=sys.stderr)
        return 2
    if a.sample:
        mutants = [m for m in mutants if "sample" in m["flags"]]
    if a.only:
        want = set(a.only.split(","))
        unknown = want - {m["id"] for m in mutants}
        if unknown:
            print("mutants: no mutant %s" % ",".join(sorted(unknown)), file=sys.stderr)
            return 2
        mutants = [m for m in mutants if m["id"] in want]
    have_shim = os.path.isdir(os.path.join(TOP, "tests", "p11shim"))
    if a.check:
        return check_only(mutants, a)

    scratch = tempfile.mkdtemp(prefix="airca-mutants.")
    logdir = os.path.join(TOP, a.build, "mutant-logs")
    os.makedirs(logdir, exist_ok=True)
    results = []
    try:
        copy_tree(scratch, a.build)
        runnable = [m for m in mutants if have_shim or "needs-p11shim" not in m["flags"]]
        alltests = sorted({t for m in runnable for t in m["tests"]})
        with open(os.path.join(logdir, "baseline.log"), "w") as log:
            if not make(scratch, a.build, a.opt, targets_for(alltests, a.build), log):
                print("mutants: the unmutated tree does not build (log: %s)" % log.name,
                      file=sys.stderr)
                return 2
            if not a.no_baseline:
                for t in alltests:
                    if run_test(scratch, a.build, t, a.timeout, log) != "pass":
                        print("mutants: %s fails on the unmutated tree, so it "
                              "cannot judge a mutant (log: %s)" % (t, log.name),
                              file=sys.stderr)
                        return 2
        for m in mutants:
            results.append(run_one(m, scratch, a, logdir, have_shim))
    finally:
        if a.keep:
            print("scratch tree kept: %s" % scratch)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return report(results, a)


def check_only(mutants, a):
    bad = 0
    for m in mutants:
        try:
            with open(os.path.join(TOP, m["file"]), encoding="utf-8") as f:
                n = len(pattern_re(m["pattern"]).findall(f.read()))
        except (OSError, re.error) as e:
            n, why = -1, str(e)
        if n != 1:
            bad += 1
            print("mutants: %s (%s:%d) DOES NOT APPLY: %s" % (
                m["id"], os.path.relpath(a.data, TOP), m["line"],
                why if n < 0 else "pattern matches %d times in %s, want once" % (n, m["file"])),
                file=sys.stderr)
    print("%d mutants, %d apply" % (len(mutants), len(mutants) - bad))
    return 1 if bad else 0


def run_one(m, scratch, a, logdir, have_shim):
    path = os.path.join(scratch, m["file"])
    t0 = time.time()
    res = {"m": m, "status": "", "by": "", "secs": 0.0}
    try:
        with open(path, encoding="utf-8") as f:
            orig = f.read()
    except OSError as e:
        res["status"] = "DOES NOT APPLY"
        res["by"] = "cannot read %s: %s" % (m["file"], e.strerror)
        return show(res)
    try:
        rx = pattern_re(m["pattern"])
    except re.error as e:
        res["status"] = "DOES NOT APPLY"
        res["by"] = "bad regular expression: %s" % e
        return show(res)
    found = list(rx.finditer(orig))
    if len(found) != 1:
        res["status"] = "DOES NOT APPLY"
        res["by"] = "pattern matches %d times in %s, want once" % (len(found), m["file"])
        return show(res)
    if "needs-p11shim" in m["flags"] and not have_shim:
        res["status"] = "needs p11shim"
        res["by"] = "tests/p11shim is not merged yet"
        return show(res)
    s, e = found[0].span()
    mutated = orig[:s] + m["replacement"] + orig[e:]
    logpath = os.path.join(logdir, m["id"] + ".log")
    with open(logpath, "w") as log:
        log.write("mutant %s: %s\n%s -> %s\n" % (m["id"], m["file"], orig[s:e], m["replacement"]))
        try:
            with open(path, "w", encoding="utf-8") as f:
                f.write(mutated)
            # each test's binaries just before it: a unit test that kills
            # the mutant spares relinking everything for the integration ones
            res["status"] = "SURVIVED"
            for t in m["tests"]:
                if not make(scratch, a.build, a.opt, targets_for([t], a.build), log):
                    res["status"] = "DOES NOT BUILD"
                    res["by"] = "the replacement does not compile (log: %s)" % logpath
                    break
                out = run_test(scratch, a.build, t, a.timeout, log)
                if out != "pass":
                    res["status"] = "killed"
                    res["by"] = t + (" (timeout)" if out == "timeout" else "")
                    break
        finally:
            with open(path, "w", encoding="utf-8") as f:
                f.write(orig)
            # newer than the mutated object, so the next build recompiles it
            now = time.time()
            os.utime(path, (now, now))
    if res["status"] == "SURVIVED" and "survives" in m["flags"]:
        res["status"] = "survived (known)"
    elif res["status"] == "killed" and "survives" in m["flags"]:
        res["by"] += "; flagged 'survives': drop the flag"
    res["secs"] = time.time() - t0
    return show(res)


def show(res):
    m = res["m"]
    print("%-16s %-16s %5.0fs  %s" % (m["id"], res["status"], res["secs"],
                                     res["by"] or " ".join(m["tests"])), flush=True)
    return res


def report(results, a):
    killed = sum(r["status"] == "killed" for r in results)
    survived = sum(r["status"].startswith("SURVIVED") or r["status"] == "survived (known)"
                   for r in results)
    unexpected = [r for r in results if r["status"] == "SURVIVED"]
    broken = [r for r in results if r["status"] in ("DOES NOT APPLY", "DOES NOT BUILD")]
    shim = sum(r["status"] == "needs p11shim" for r in results)
    judged = killed + survived
    score = 100.0 * killed / judged if judged else 100.0
    line = ("mutation score: %d of %d killed (%.1f%%); %d survived; %d wait for "
            "the p11shim; %d do not apply or build"
            % (killed, judged, score, survived, shim, len(broken)))
    print()
    print(line)
    if a.report:
        with open(a.report, "w") as f:
            f.write("| id | file | status | killed by |\n| --- | --- | --- | --- |\n")
            for r in results:
                f.write("| %s | %s | %s | %s |\n" % (r["m"]["id"], r["m"]["file"],
                                                     r["status"], r["by"]))
            f.write("\n%s\n" % line)
    fail = False
    for r in broken:
        print("mutants: %s (%s:%d) %s: %s" % (r["m"]["id"], os.path.relpath(a.data, TOP),
                                             r["m"]["line"], r["status"], r["by"]),
              file=sys.stderr)
        fail = True
    for r in unexpected:
        print("mutants: %s survived: %s -- %s" % (r["m"]["id"], r["m"]["file"], r["m"]["why"]),
              file=sys.stderr)
        fail = True
    if score < a.min_score:
        print("mutants: score %.1f%% is below %.1f%%" % (score, a.min_score), file=sys.stderr)
        fail = True
    return 1 if fail else 0


if __name__ == "__main__":
    sys.exit(main())
