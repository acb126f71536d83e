"""Shared helpers of the `hostile` tests: run rme-bench, expect a refusal
(exit 2, one line on stderr naming the cause, nothing on stdout), report
every failure and exit 1 if there was one."""
import os
import subprocess
import sys

failures = []


def run(argv, timeout=60, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)


def check(name, ok, detail=""):
    if not ok:
        failures.append(f"{name}: {detail}")
        print(f"FAIL {name}: {detail}", file=sys.stderr)


def refused(name, argv, needle, timeout=20, stdout_empty=True, **kw):
    """ARGV must exit 2 with a one-line message containing NEEDLE."""
    try:
        p = run(argv, timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        check(name, False, f"still running after {timeout} s (hangs)")
        return None
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    check(name, p.returncode == 2, f"exit {p.returncode}, expected 2; stderr {p.stderr.strip()!r}")
    check(name, any(needle in l for l in lines),
          f"stderr does not name {needle!r}: {p.stderr.strip()!r}")
    check(name, len(lines) == 1, f"{len(lines)} lines on stderr, expected one: {lines!r}")
    if stdout_empty:
        check(name, not p.stdout.strip(), f"printed on stdout: {p.stdout.strip()[:120]!r}")
    return p


def finish(what, cases):
    print(f"{what}: {cases} cases, {len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


def fresh(path):
    import shutil
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path
