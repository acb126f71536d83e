#!/usr/bin/env python3
"""`plot` writes a fresh set each time: after `plot --out F A; plot --out F
B` F/data holds B's data only (no stale .dat of A), and a plot that fails
midway leaves the previous complete set untouched (no new data beside old
figures). Needs gnuplot (else SKIP, 77)."""
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from hostile import check, finish, fresh, run  # noqa: E402

exe, plots, base = sys.argv[1], sys.argv[2], fresh(sys.argv[3])
if not shutil.which("gnuplot") and not os.environ.get("RMEB_GNUPLOT"):
    print("gnuplot not found: SKIP")
    sys.exit(77)
a, b, fig = (os.path.join(base, x) for x in ("a", "b", "fig"))
for d, args in ((a, ["--pattern", "seq,block", "--vcpus", "1,2"]), (b, ["--pattern", "seq", "--vcpus", "1"])):
    p = run([exe, "run", *args, "--size", "2M", "--out", d])
    check(f"run {d}", p.returncode == 0, p.stderr)


def listing(d):
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


p = run([exe, "plot", "--format", "svg", "--out", fig, a], timeout=120)
check("plot A", p.returncode == 0, p.stderr)
check("plot A drew 2M data", "stages_2M.dat" in listing(os.path.join(fig, "data")),
      f"data {listing(os.path.join(fig, 'data'))}")
first = {x: open(os.path.join(fig, x), "rb").read() for x in listing(fig) if x.endswith(".svg")}

# A failing figure script: the call fails, the previous set stays whole.
broken = os.path.join(base, "plots")
shutil.copytree(plots, broken)
with open(os.path.join(broken, "overhead.gp"), "w") as f:
    f.write("exit status 3\n")
env = dict(os.environ, RMEB_PLOTS_DIR=broken)
p = run([exe, "plot", "--format", "svg", "--out", fig, b], timeout=120, env=env)
check("plot B with a failing script fails", p.returncode == 1, f"exit {p.returncode} {p.stderr}")
check("failure: one line", len(p.stderr.strip().splitlines()) == 1, p.stderr)
check("failure: previous data kept", "stages_2M.dat" in listing(os.path.join(fig, "data")),
      f"data {listing(os.path.join(fig, 'data'))}")
for x, content in first.items():
    check(f"failure: {x} kept", open(os.path.join(fig, x), "rb").read() == content, "replaced")
check("failure: no staging left", not [x for x in listing(fig) if x.startswith(".")],
      f"{listing(fig)}")

# Interrupted while drawing: the staging folder goes, the set stays.
proc = subprocess.Popen([exe, "plot", "--format", "svg", "--out", fig, b],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
for _ in range(500):
    if [x for x in listing(fig) if x.startswith(".plot-")] or proc.poll() is not None:
        break
    time.sleep(0.01)
proc.send_signal(signal.SIGTERM)
rc = proc.wait(timeout=60)
check("SIGTERM: no staging left", not [x for x in listing(fig) if x.startswith(".")],
      f"exit {rc}, {listing(fig)}")
check("SIGTERM: previous data kept", rc == 0 or "stages_2M.dat" in listing(os.path.join(fig, "data")),
      f"exit {rc}, data {listing(os.path.join(fig, 'data'))}")

p = run([exe, "plot", "--format", "svg", "--out", fig, b], timeout=120)
check("plot B", p.returncode == 0, p.stderr)
data = listing(os.path.join(fig, "data"))
check("no stale data of A", "stages_2M.dat" not in data and "rmi_2M.dat" not in data
      and "scaling.dat" not in data, f"data {data}")
check("no stale scaling figure", "scaling.svg" not in listing(fig), f"{listing(fig)}")
check("no staging left", not [x for x in listing(fig) if x.startswith(".")], f"{listing(fig)}")
finish("hostile plot", 5)
