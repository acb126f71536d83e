#!/usr/bin/env python3
"""`rme-bench run --phases`: phase records in summary.json for realm (both
ABIs) and normal VMs, none without --phases, and the bad input refusals
(exit 2, a one-line message naming the option, nothing written)."""
import json
import os
import shutil
import subprocess
import sys

exe, base = sys.argv[1], sys.argv[2]
shutil.rmtree(base, ignore_errors=True)
os.makedirs(base)
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL:", msg)


def run(args, out):
    return subprocess.run([exe, "run", "--out", out] + args, capture_output=True, text=True)


# (arguments, text the one-line message must contain)
BAD = [
    (["--phases", "populate,boot"], "unknown phase 'boot'"),
    (["--phases", "fault,populate,fault"], "'fault' given twice"),
    (["--phases", "populate", "--populate", "8M", "--size", "4M", "--vcpus", "1,2"],
     "larger than the 4M memslot"),
    (["--populate", "1M"], "needs --phases with populate"),
    (["--populate-unmeasured", "--phases", "fault"], "needs --phases with populate"),
    (["--phases", "populate", "--populate", "5000"], "multiple of 4 KiB"),
    (["--backend", "kvm", "--phases", "teardown"], "kvm backend"),
    # 64 TiB: even aliased, the model's metadata (16 B per 4 KiB) is 256 GiB
    (["--size", "65536G", "--vcpus", "1"], "host memory"),
]
for i, (args, needle) in enumerate(BAD):
    out = os.path.join(base, f"bad{i}")
    p = run(args + ["--pattern", "seq"], out)
    lines = p.stderr.strip().splitlines()
    if p.returncode != 2 or len(lines) != 1 or needle not in lines[0]:
        fail(f"{args}: exit {p.returncode}, stderr {p.stderr!r}")
    if os.path.exists(out):
        fail(f"{args}: {out} was written")

PHASES = ["populate", "fault", "teardown"]
for abi in ["1.0", "2.0"]:
    out = os.path.join(base, f"ok{abi}")
    p = run(["--vm", "both", "--abi", abi, "--pattern", "seq", "--size", "4M", "--vcpus", "1",
             "--phases", "populate,fault,teardown", "--populate", "1M", "--populate-unmeasured"],
            out)
    if p.returncode:
        fail(f"abi {abi}: exit {p.returncode}: {p.stderr}")
        continue
    runs = json.load(open(os.path.join(out, "summary.json")))["runs"]
    for r in runs:
        names = [ph["phase"] for ph in r.get("phases", [])]
        if names != PHASES:
            fail(f"{r['vm']} {abi}: phases {names}")
            continue
        pop, flt, td = r["phases"]
        realm = r["vm"] == "realm"
        fault_bytes = (3 if realm else 4) << 20  # a realm's image is mapped
        if pop["bytes"] != 1 << 20 or flt["bytes"] != fault_bytes or td["bytes"] != 4 << 20:
            fail(f"{r['vm']}: bytes {pop['bytes']} {flt['bytes']} {td['bytes']}")
        if realm != ("measured" in pop) or (realm and pop["measured"] is not False):
            fail(f"{r['vm']}: measured {pop.get('measured')}")
        if realm and pop["rmi_calls"] != sum(pop["counts"].values()):
            fail(f"{r['vm']}: populate calls {pop['rmi_calls']} vs {pop['counts']}")
        if realm and abs(pop["rmi_calls_per_mib"] - pop["rmi_calls"]) > 1e-9:
            fail(f"{r['vm']}: calls per MiB of 1 MiB {pop['rmi_calls_per_mib']}")
        if flt["rmi_calls"] != r["rmi_calls"] or flt["total_ns"] != r["total_ns"]:
            fail(f"{r['vm']}: fault phase differs from the run")
        if not realm and any(ph["rmi_calls"] for ph in r["phases"]):
            fail("normal VM made RMI calls")
        if "free" not in td["stages_ns"] or "copy" not in pop["stages_ns"]:
            fail(f"{r['vm']}: stages {td['stages_ns']} {pop['stages_ns']}")

# plot draws the phases figure from phase records (when gnuplot is here).
if shutil.which("gnuplot") or os.environ.get("RMEB_GNUPLOT"):
    figs = os.path.join(base, "figs")
    p = subprocess.run([exe, "plot", os.path.join(base, "ok1.0"), os.path.join(base, "ok2.0"),
                        "--out", figs], capture_output=True, text=True)
    dat = os.path.join(figs, "data", "phases.dat")
    if p.returncode or not os.path.exists(os.path.join(figs, "phases.png")):
        fail(f"plot: exit {p.returncode}, no phases figure: {p.stderr}")
    else:
        # one line per VM kind, policy and phase: realm cca-v1, realm
        # cca-rmm2, normal (both directories' normal runs share one line)
        blocks = open(dat).read().count('"gib"')
        if blocks != 9:
            fail(f"plot: phases.dat has {blocks} lines, expected 9")

# Without --phases: no phase records (today's format).
out = os.path.join(base, "default")
p = run(["--pattern", "seq", "--size", "1M", "--vcpus", "1"], out)
if p.returncode:
    fail(f"default: {p.stderr}")
else:
    for r in json.load(open(os.path.join(out, "summary.json")))["runs"]:
        if "phases" in r:
            fail("a run without --phases has phase records")

print("lifecycle:", "ok" if not failures else f"{failures} failures")
sys.exit(1 if failures else 0)
