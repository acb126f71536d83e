#!/usr/bin/env python3
"""`rme-bench run` before harm: a configuration that cannot fit is refused
before anything is mapped, printed or written (under an address-space
rlimit, so this test can never wake the machine's OOM killer; and against
the modeled DRAM); an --out holding a partial run is refused; a second
writer of one directory is refused; SIGINT and SIGTERM leave no
temporaries."""
import os
import resource
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from hostile import check, finish, fresh, refused, run  # noqa: E402

exe, base = sys.argv[1], fresh(sys.argv[2])
n = 0
LIMIT = 1 << 30  # 1 GiB of address space


def limited():
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def nothing_written(name, out):
    check(name, not os.path.exists(out), f"{out} was created")


# Does the binary start at all under the limit? (A sanitizer build maps
# terabytes of shadow memory and cannot: then only the limit-free cases.)
probe = run([exe, "list", "patterns"], preexec_fn=limited)
if probe.returncode == 0:
    for args in (["--pattern", "seq", "--vcpus", "1", "--size", "2G"],
                 ["--pattern", "seq", "--vcpus", "1", "--size", "64G"],
                 ["--pattern", "seq", "--vcpus", "64"],
                 ["--pattern", "seq", "--vcpus", "256"]):
        out = os.path.join(base, f"mem{n}")
        refused(f"under RLIMIT_AS 1G: {' '.join(args)}", [exe, "run", *args, "--out", out],
                "needs", preexec_fn=limited)
        nothing_written(f"under RLIMIT_AS: {' '.join(args)}", out)
        n += 1
    out = os.path.join(base, "fits")
    p = run([exe, "run", "--pattern", "seq", "--vcpus", "1", "--size", "1M", "--out", out],
            preexec_fn=limited)
    check("a run that fits under the limit", p.returncode == 0, p.stderr)
    n += 1
else:
    print("(the binary does not start under RLIMIT_AS (sanitizers?): rlimit cases skipped)")
# No host has these: the model's metadata alone (16 B per 4 KiB) is 256 GiB
# and more, whatever the guest RAM window.
for args, needle in ((["--size", "65536G", "--prefault", "off"], "host memory"),
                     (["--size", "1048576G", "--vcpus", "256"], "host memory")):
    out = os.path.join(base, f"mem{n}")
    refused(f"run {' '.join(args)}", [exe, "run", "--pattern", "seq", *args, "--out", out], needle)
    nothing_written(f"run {' '.join(args)}", out)
    n += 1

# A partial run in --out: refused, its files untouched.
partial = fresh(os.path.join(base, "partial"))
for name in ("faults.csv", "meta.json"):
    with open(os.path.join(partial, name), "w") as f:
        f.write("earlier\n")
refused("--out holds a partial run", [exe, "run", "--pattern", "seq", "--size", "1M",
                                      "--vcpus", "1", "--out", partial], "partial run")
with open(os.path.join(partial, "faults.csv")) as f:
    check("partial run kept", f.read() == "earlier\n", "faults.csv was overwritten")
n += 1

SLOW = ["--pattern", "seq,fold,shared", "--size", "128M", "--vcpus", "1"]


def wait_for_temp(d, proc, seconds=20):
    t0 = time.time()
    while time.time() - t0 < seconds and proc.poll() is None:
        if os.path.isdir(d) and any(x.startswith(".faults.csv.tmp-") for x in os.listdir(d)):
            return True
        time.sleep(0.02)
    return False


# Two writers of one directory: the second is refused while the first runs.
busy = os.path.join(base, "busy")
first = subprocess.Popen([exe, "run", *SLOW, "--out", busy], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
if wait_for_temp(busy, first):
    refused("a second writer", [exe, "run", "--pattern", "seq", "--size", "1M", "--vcpus", "1",
                                "--out", busy], "another run")
else:
    check("a second writer", False, "the first run never started writing")
first.send_signal(signal.SIGTERM)
first.wait(timeout=60)
n += 1

# Interrupted runs leave no temporaries.
for sig in (signal.SIGINT, signal.SIGTERM):
    d = os.path.join(base, f"interrupted-{sig.name}")
    p = subprocess.Popen([exe, "run", *SLOW, "--out", d], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    started = wait_for_temp(d, p)
    p.send_signal(sig)
    rc = p.wait(timeout=60)
    check(f"{sig.name}: the run was writing", started, "no temporary appeared")
    check(f"{sig.name}: the run ended by the signal", rc == -sig, f"exit {rc}")
    left = os.listdir(d) if os.path.isdir(d) else []
    check(f"{sig.name}: no temporaries left", not left, f"left {left}")
    n += 1
finish("hostile run", n)
