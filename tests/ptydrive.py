#!/usr/bin/env python3
"""tests/ptydrive.py: run a command on a pseudo-terminal and talk to it, expect-style.

  ptydrive.py TIMEOUT STEP... -- COMMAND [ARGS]

Steps, in order:  expect:REGEX  (wait until the output so far matches)
                  send:TEXT     (type TEXT; \\n becomes Enter)
                  shell:CMD     (run a shell command, e.g. to insert a token)
Prints everything the command wrote; exits with its status, or 124 when an
expect times out (TIMEOUT seconds each) or the command outlives the steps.
"""
import os
import pty
import re
import select
import subprocess
import sys
import time


def main():
    timeout = float(sys.argv[1])
    sep = sys.argv.index("--")
    steps, cmd = sys.argv[2:sep], sys.argv[sep + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    out = b""
    seen = 0

    def read_some(deadline):
        nonlocal out
        left = deadline - time.time()
        if left <= 0:
            return False
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            return False
        try:
            data = os.read(fd, 4096)
        except OSError:
            return None
        if not data:
            return None
        out += data
        return True

    status = None
    for step in steps:
        kind, _, arg = step.partition(":")
        if kind == "expect":
            deadline = time.time() + timeout
            pat = re.compile(arg.encode())
            while not pat.search(out, seen):
                got = read_some(deadline)
                if not got:
                    sys.stdout.write(out.decode(errors="replace"))
                    print("\nptydrive.py: timed out or ended waiting for /%s/" % arg)
                    os.kill(pid, 9)
                    os.waitpid(pid, 0)
                    sys.exit(124)
            seen = pat.search(out, seen).end()
        elif kind == "send":
            os.write(fd, arg.replace("\\n", "\n").encode())
        elif kind == "shell":
            subprocess.run(arg, shell=True, check=True)
        else:
            sys.exit("ptydrive.py: unknown step " + step)
    deadline = time.time() + timeout
    while read_some(deadline):
        pass
    for _ in range(int(timeout * 10)):
        p, st = os.waitpid(pid, os.WNOHANG)
        if p:
            status = os.waitstatus_to_exitcode(st)
            break
        time.sleep(0.1)
    sys.stdout.write(out.decode(errors="replace"))
    if status is None:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        print("\nptydrive.py: the command did not end")
        sys.exit(124)
    sys.exit(status if status >= 0 else 128 - status)


main()
