#!/usr/bin/env python3
"""The per-call cost profiles against their data: `rme-bench list profiles`
prints the per-call instruction tables compiled into rme-bench.
- tfrmm-n1: the rmm_ir column of results/profiles/tfrmm-host-icount.csv at
  each command's first (fault path) size, and a run's
  modeled.rmm_ns_per_fault must be what the run's own counts by command
  give at 2 GHz, IPC 1.
- tfrmm-qemu: results/profiles/tfrmm-qemu-icount.csv's total_p50 at the
  fault path's variant minus the bare PSCI_VERSION round trip's EL3 count
  (REC_CREATE: its three calls), a 2.0 run's modeled fault is exactly its
  calls' counts, and a 1.0 run is refused (no 1.0 counts).
Usage: profiles.py RME_BENCH CSV WORKDIR   (CSV: tfrmm-host-icount.csv; the
qemu CSV is found next to it)"""
import csv, json, os, re, shutil, subprocess, sys

exe, csv_path, work = sys.argv[1:4]
fails = []
want = {}
with open(csv_path) as f:
    rows = csv.DictReader(l for l in f if not l.startswith("#"))
    for r in rows:
        want.setdefault((r["abi"], "RMI_" + r["command"]), float(r["rmm_ir"]))
out = subprocess.run([exe, "list", "profiles"], capture_output=True, text=True, check=True).stdout
tables, name = {}, None
for line in out.splitlines():
    if line and not line[0].isspace():
        name = line.split()[0]
    m = re.match(r"^\s+(1\.0|2\.0) (RMI_\w+)\s+(\d+) instructions$", line)
    if m:
        tables.setdefault(name, {})[(m.group(1), m.group(2))] = float(m.group(3))
got = tables.get("tfrmm-n1", {})
for k, v in want.items():
    if got.get(k) != v:
        fails.append(f"{k}: table {got.get(k)}, csv {v}")
# 2.0 REC_ENTER and RTT_SET_RIPAS are not measured: the 1.0 counts stand in.
extra = set(got) - set(want)
if extra != {("2.0", "RMI_REC_ENTER"), ("2.0", "RMI_RTT_SET_RIPAS")}:
    fails.append(f"table rows not in the csv: {sorted(extra)}")

shutil.rmtree(work, ignore_errors=True)
subprocess.run([exe, "run", "--vm", "realm", "--pattern", "seq", "-v", "1", "-b", "4M",
                "--profile", "tfrmm-n1", "--out", work], check=True, capture_output=True)
run = json.load(open(os.path.join(work, "summary.json")))["runs"][0]
calls = sum(c["count"] for c in run["counts"] if c["name"].startswith("RMI_") and c["name"] != "RMI_REC_ENTER") \
    if isinstance(run["counts"], list) else \
    sum(v for k, v in run["counts"].items() if k.startswith("RMI_") and k != "RMI_REC_ENTER")
counts = {c["name"]: c["count"] for c in run["counts"]} if isinstance(run["counts"], list) else run["counts"]
ns = sum(n * got[("1.0", k)] for k, n in counts.items() if k.startswith("RMI_") and k != "RMI_REC_ENTER") / 2.0
faults = run["faults"]
rmi_per_fault = run["rmi_calls"] / faults
expect = rmi_per_fault * (ns / calls) + got[("1.0", "RMI_REC_ENTER")] / 2.0
e = run["extra"]
if abs(e.get("modeled.rmm_ns_per_fault", -1) - expect) > 1e-6 * expect:
    fails.append(f"modeled.rmm_ns_per_fault {e.get('modeled.rmm_ns_per_fault')}, expected {expect}")
if e.get("modeled.uncosted_calls") != 0:
    fails.append(f"uncosted calls: {e.get('modeled.uncosted_calls')}")
# Purely modeled, per fault (issue 18): the median seq fault is DELEGATE +
# DATA_CREATE_UNKNOWN, so its modeled cost is 3 SMCs (with the REC_ENTER)
# and exactly those commands' instructions; no measured time in it, and a
# ripas run's 2-call faults cost the same (no run-mean per call charged).
two_call = 3 * 80 + (got[("1.0", "RMI_GRANULE_DELEGATE")] + got[("1.0", "RMI_DATA_CREATE_UNKNOWN")]
                     + got[("1.0", "RMI_REC_ENTER")]) / 2.0
if e.get("modeled.fault_p50_ns") != int(two_call + 0.5):
    fails.append(f"modeled.fault_p50_ns {e.get('modeled.fault_p50_ns')}, expected {int(two_call + 0.5)}")
rip = work + "-ripas"
shutil.rmtree(rip, ignore_errors=True)
subprocess.run([exe, "run", "--vm", "realm", "--pattern", "ripas", "-v", "1", "-b", "8M",
                "--profile", "tfrmm-n1", "--out", rip], check=True, capture_output=True)
rrun = json.load(open(os.path.join(rip, "summary.json")))["runs"][0]
if rrun["extra"].get("modeled.fault_p50_ns") != int(two_call + 0.5):
    fails.append(f"ripas modeled.fault_p50_ns {rrun['extra'].get('modeled.fault_p50_ns')}, "
                 f"expected the 2-call fault's {int(two_call + 0.5)}")

# ---- tfrmm-qemu ----
qcsv = os.path.join(os.path.dirname(csv_path), "tfrmm-qemu-icount.csv")
with open(qcsv) as f:
    rows = {(r["command"], r["variant"], r["status"]): r
            for r in csv.DictReader(l for l in f if not l.startswith("#"))}
bare = int(rows[("PSCI_VERSION", "bare SMC", "-")]["el3_p50"])
variant = {"VERSION": "round trip", "RTT_CREATE": "L3", "RTT_DESTROY": "L3", "RTT_FOLD": "L3",
           "RTT_READ_ENTRY": "L3", "RTT_INIT_RIPAS": "2M", "REC_ENTER": "exit sync",
           "REALM_CREATE": "-", "REALM_ACTIVATE": "-"}
qwant = {}
for (cmd, var, st), r in rows.items():
    if st == "SUCCESS" and var == variant.get(cmd, "4K"):
        qwant[("2.0", "RMI_" + cmd)] = float(int(r["total_p50"]) - bare)
steps = [("REC_CREATE", "-", "INCOMPLETE"), ("OP_MEM_DONATE", "REC_CREATE step", "INCOMPLETE"),
         ("OP_CONTINUE", "REC_CREATE step", "SUCCESS")]
qwant[("2.0", "RMI_REC_CREATE")] = float(sum(int(rows[k]["total_p50"]) for k in steps) - 3 * bare)
qgot = tables.get("tfrmm-qemu", {})
if qgot != qwant:
    fails.append("tfrmm-qemu table differs from its csv: " + str(
        sorted(set(qgot.items()) ^ set(qwant.items()))))
q = work + "-qemu"
shutil.rmtree(q, ignore_errors=True)
subprocess.run([exe, "run", "--vm", "realm", "--pattern", "seq", "-v", "1", "-b", "4M", "--abi", "2.0",
                "--profile", "tfrmm-qemu", "--out", q], check=True, capture_output=True)
qe = json.load(open(os.path.join(q, "summary.json")))["runs"][0]["extra"]
# the median seq fault of the 2.0 series: RANGE_DELEGATE + DATA_MAP, plus the REC_ENTER back
fault = 3 * 80 + (qgot.get(("2.0", "RMI_GRANULE_RANGE_DELEGATE"), 0) + qgot.get(("2.0", "RMI_RTT_DATA_MAP"), 0)
                  + qgot.get(("2.0", "RMI_REC_ENTER"), 0)) / 2.0
if qe.get("modeled.fault_p50_ns") != int(fault + 0.5) or qe.get("modeled.uncosted_calls") != 0:
    fails.append(f"tfrmm-qemu run: modeled.fault_p50_ns {qe.get('modeled.fault_p50_ns')} "
                 f"(expected {int(fault + 0.5)}), uncosted {qe.get('modeled.uncosted_calls')}")
r1 = subprocess.run([exe, "run", "--vm", "realm", "--pattern", "seq", "-v", "1", "-b", "4M",
                     "--profile", "tfrmm-qemu", "--out", q + "-v1"], capture_output=True, text=True)
if r1.returncode != 2 or "no RMI 1.0 command" not in r1.stderr or os.path.exists(q + "-v1"):
    fails.append(f"tfrmm-qemu on an RMI 1.0 run: exit {r1.returncode} {r1.stderr!r}")
for f_ in fails:
    print("FAIL:", f_, file=sys.stderr)
print(f"tfrmm-n1: {len(want)} csv rows, {len(got)} table rows; tfrmm-qemu: {len(qwant)} rows; "
      f"{len(fails)} failure(s)")
sys.exit(1 if fails else 0)
