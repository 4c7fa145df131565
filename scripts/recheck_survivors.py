#!/usr/bin/env python3
"""Re-run the survivors of a gremlins run against the present tests.

    scripts/recheck_survivors.py LOG PACKAGE [REV]

LOG is gremlins' output for PACKAGE (scripts/mutation.sh -l DIR keeps it);
every "LIVED <TYPE> at <file>:<line>:<col>" mutant, and every TIMED OUT
one, is planted again, one at a time, in a copy of REV (default HEAD, taken
with git archive, so the work tree is never touched), and PACKAGE's tests
are run (go test -count=1 -vet=off; the environment's GOFLAGS apply; RECHECK_TIMEOUT,
default 5m, is go test's -timeout: a mutant that makes the tests hang is
TIMED OUT; RECHECK_JOBS, default 1, mutants at a time, each in a copy of
its own). It prints KILLED, LIVED, TIMED OUT or NOT VIABLE per mutant,
what it was in LOG, the mutated line of a survivor, and the counts.

This is stage 2 of the two-stage run: stage 1 (scripts/mutation.sh -s)
runs every mutant against the package's fast subset (GOFLAGS=-short); run
this with GOFLAGS free of -short, so that what the subset let through or
could not finish meets the whole suite. It also checks a fix for the
survivors without a whole gremlins run. The mutations are gremlins
v0.6.0's: CONDITIONALS_BOUNDARY (< <=, > >=), CONDITIONALS_NEGATION (== !=,
< >=, > <=), ARITHMETIC_BASE (+ -, * /, % *), INCREMENT_DECREMENT (++ --)
and INVERT_NEGATIVES (unary - dropped).
"""
import concurrent.futures
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading

SWAP = {
    "CONDITIONALS_BOUNDARY": {"<": "<=", "<=": "<", ">": ">=", ">=": ">"},
    "CONDITIONALS_NEGATION": {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"},
    "ARITHMETIC_BASE": {"+": "-", "-": "+", "*": "/", "/": "*", "%": "*"},
    "INCREMENT_DECREMENT": {"++": "--", "--": "++"},
    "INVERT_NEGATIVES": {"-": ""},
}
TIMEOUT = os.environ.get("RECHECK_TIMEOUT", "5m")  # go test -timeout per mutant
TOKENS = ["++", "--", "<=", ">=", "==", "!=", "<", ">", "+", "-", "*", "/", "%"]


def mutate(line, col, kind):
    """Returns line with the operator at 1-based byte column col mutated."""
    b = line.encode()
    i = col - 1
    for tok in TOKENS:
        if b[i:i + len(tok)].decode(errors="replace") == tok and tok in SWAP[kind]:
            return (b[:i] + SWAP[kind][tok].encode() + b[i + len(tok):]).decode()
    raise ValueError(f"no {kind} operator at column {col}: {line.strip()}")


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    log, pkg = sys.argv[1], sys.argv[2].strip("./")
    rev = sys.argv[3] if len(sys.argv) > 3 else "HEAD"
    root = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=True).stdout.strip()
    lived = []
    for line in open(log):
        m = re.match(r"\s*(LIVED|TIMED OUT) (\S+) at (\S+):(\d+):(\d+)", line)
        if m:
            lived.append((m.group(2), m.group(3), int(m.group(4)), int(m.group(5)), m.group(1)))
    archive = subprocess.run(["git", "-C", root, "archive", rev], capture_output=True, check=True).stdout
    jobs = max(1, int(os.environ.get("RECHECK_JOBS", "1")))
    dirs = queue.Queue()
    tmps = [tempfile.TemporaryDirectory() for _ in range(jobs)]
    for t in tmps:
        subprocess.run(["tar", "-x", "-C", t.name], input=archive, check=True)
        dirs.put(t.name)
    lock = threading.Lock()
    counts = {"KILLED": 0, "TIMED OUT": 0}

    def one(m):
        tmp = dirs.get()
        try:
            status, lines = replant(tmp, pkg, *m)
        finally:
            dirs.put(tmp)
        with lock:
            counts[status] = counts.get(status, 0) + 1
            for line in lines:
                print(line, flush=True)

    with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
        list(ex.map(one, lived))
    for t in tmps:
        t.cleanup()
    print(f"{counts['KILLED']} killed, {counts['TIMED OUT']} timed out (the tests hang: a mutant that loops) of {len(lived)} survivors and timed-out mutants")


def replant(tmp, pkg, kind, f, ln, col, was):
    """Plants one mutant in the copy at tmp, runs pkg's tests, restores the file."""
    path = os.path.join(tmp, pkg, f)
    src = open(path).read().split("\n")
    orig = src[ln - 1]
    try:
        src[ln - 1] = mutate(orig, col, kind)
    except ValueError as e:
        return "SKIPPED", [f"SKIPPED {kind} at {f}:{ln}:{col} ({e}; was {was})"]
    open(path, "w").write("\n".join(src))
    try:
        r = subprocess.run(["go", "test", "-count=1", "-vet=off", "-failfast", "-timeout=" + TIMEOUT, "./" + pkg], cwd=tmp, capture_output=True, text=True)
    finally:
        src[ln - 1] = orig
        open(path, "w").write("\n".join(src))
    out = r.stdout + r.stderr
    if "panic: test timed out" in out:
        return "TIMED OUT", [f"TIMED OUT {kind} at {f}:{ln}:{col} (was {was})"]
    if r.returncode != 0 and ("build failed" in out or "setup failed" in out):
        return "NOT VIABLE", [f"NOT VIABLE {kind} at {f}:{ln}:{col} (was {was})"]
    if r.returncode != 0:
        return "KILLED", [f"KILLED {kind} at {f}:{ln}:{col} (was {was})"]
    return "LIVED", [f"LIVED {kind} at {f}:{ln}:{col} (was {was})", f"    {mutate(orig, col, kind).strip()}"]


if __name__ == "__main__":
    main()
