#!/usr/bin/env python3
"""End-to-end check of `rme-bench run` (sim backend) on a small config.

Runs the default suite (every default pattern, realm and normal, 1 and 2
vCPUs) at 4 MiB per vCPU, then validates summary.json against issue 3:
the required fields, the counts' names, the distribution fields with the
CI of the median, and that the stage-2 faults equal the patterns' expected
first touches. Also checks meta.json, faults.csv, and --stage-timing off.
"""
import csv
import json
import os
import shutil
import subprocess
import sys

DIST = ("n", "min_ns", "p50_ns", "p90_ns", "p99_ns", "max_ns")
RUN_FIELDS = ("vm", "pattern", "policy", "abi", "page", "size", "vcpus", "faults",
              "counts", "stages", "fault_ns")
PATTERNS = ("seq", "block", "fold", "unfold", "ripas", "shared")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def run(exe, out, *args):
    if os.path.exists(out):
        shutil.rmtree(out)
    p = subprocess.run([exe, "run", "-b", "4M", "--out", out, *args],
                       capture_output=True, text=True, timeout=240)
    if p.returncode != 0:
        print(p.stdout, p.stderr, file=sys.stderr)
        sys.exit(f"rme-bench run {' '.join(args)} exited {p.returncode}")
    check("warning" not in p.stderr, f"warnings: {p.stderr.strip()}")
    with open(os.path.join(out, "summary.json")) as f:
        return json.load(f)


def check_dist(name, d, ci):
    for k in DIST:
        check(isinstance(d.get(k), int), f"{name}: {k} missing or not an integer")
    if all(isinstance(d.get(k), int) for k in DIST) and d["n"]:
        check(d["min_ns"] <= d["p50_ns"] <= d["p90_ns"] <= d["p99_ns"] <= d["max_ns"],
              f"{name}: quantiles out of order {d}")
    if ci and d.get("n", 0) >= 100:
        lo, hi = d.get("p50_ci_low_ns"), d.get("p50_ci_high_ns")
        check(isinstance(lo, int) and isinstance(hi, int) and lo <= d["p50_ns"] <= hi,
              f"{name}: CI of the median missing or not around p50: {d}")


def check_run(r, timing):
    tag = f"{r.get('vm')}/{r.get('pattern')}/{r.get('vcpus')}"
    for k in RUN_FIELDS:
        check(k in r, f"{tag}: field {k} missing")
    if any(k not in r for k in RUN_FIELDS):
        return
    check(r["size"] == 4 << 20, f"{tag}: size {r['size']}")
    check(r.get("source") == "sim-measured", f"{tag}: source {r.get('source')}")
    kinds = r.get("kinds", {})
    data_faults = r["faults"] - kinds.get("ripas_change", 0)
    # A race the host resolves by letting the guest retry (vCPUs sharing a
    # table page, kvm_pgtable's -EAGAIN) costs at most one more fault.
    races = r["extra"]["races"]
    check(r["extra"]["expected_faults"] <= data_faults <= r["extra"]["expected_faults"] + races,
          f"{tag}: {data_faults} stage-2 faults, pattern expects "
          f"{r['extra']['expected_faults']} (+ up to {races} races)")
    check(r["extra"]["missed_faults"] == 0, f"{tag}: missed faults")
    check(r["extra"]["leaked_granules"] == 0, f"{tag}: leaked granules")
    check_dist(f"{tag} fault_ns", r["fault_ns"], True)
    check(r["fault_ns"]["n"] == r["faults"], f"{tag}: fault_ns n != faults")
    for name, d in r["stages"].items():
        check_dist(f"{tag} stage {name}", d, False)
    counts = r["counts"]
    for name in counts:
        check(name.startswith(("RMI_", "RSI_", "SEA_")), f"{tag}: count name {name}")
    if r["vm"] == "normal":
        check(r["abi"] == "-" and not counts, f"{tag}: a normal VM has RMI counts")
        if timing:
            check("s2_map" in r["stages"], f"{tag}: no s2_map stage")
        return
    check(r["abi"] == "1.0" and r["policy"] == "cca-v1", f"{tag}: abi/policy")
    check(counts.get("RMI_REC_ENTER", 0) >= r["faults"], f"{tag}: REC_ENTER")
    p = r["pattern"]
    if p in ("seq", "fold"):
        n = data_faults
        rtts = counts.get("RMI_RTT_CREATE", 0)
        check(counts.get("RMI_DATA_CREATE_UNKNOWN") == n + rtts, f"{tag}: data creates")
        check(counts.get("RMI_GRANULE_DELEGATE") == n + rtts, f"{tag}: delegates")
        check("RMI_RTT_FOLD" not in counts, f"{tag}: a 4K fault folded")
    if p == "block":
        check(counts.get("RMI_DATA_CREATE_UNKNOWN") == 512 * data_faults, f"{tag}: 512/block")
        check(counts.get("RMI_RTT_FOLD") == data_faults, f"{tag}: one fold per block")
    if p in ("ripas", "unfold", "shared"):
        check(counts.get("RSI_IPA_STATE_SET", 0) > 0, f"{tag}: no RSI_IPA_STATE_SET")
        check(counts.get("RMI_RTT_SET_RIPAS", 0) > 0, f"{tag}: no RTT_SET_RIPAS")
    if p == "shared":
        check(counts.get("RMI_RTT_MAP_UNPROTECTED", 0) >= data_faults, f"{tag}: unprot maps")
    if timing:
        for st in ("rec_exit", "exit_decode", "memslot_lookup", "page_pin", "rec_enter"):
            check(st in r["stages"], f"{tag}: stage {st} missing")


def main():
    exe, base = sys.argv[1], sys.argv[2]
    os.makedirs(base, exist_ok=True)
    out = os.path.join(base, "on")
    s = run(exe, out)
    runs = s["runs"]
    want = {(vm, p, v) for vm in ("realm", "normal") for p in PATTERNS for v in (1, 2)}
    got = {(r.get("vm"), r.get("pattern"), r.get("vcpus")) for r in runs}
    check(got == want, f"configurations: missing {want - got}, extra {got - want}")
    for r in runs:
        check_run(r, True)
    with open(os.path.join(out, "meta.json")) as f:
        meta = json.load(f)
    for k in ("backend", "abi", "policy", "source"):
        check(k in meta, f"meta.json: {k} missing")
    with open(os.path.join(out, "faults.csv")) as f:
        rows = sum(1 for _ in csv.DictReader(f))
    check(rows == sum(r["faults"] for r in runs), f"faults.csv has {rows} rows")
    leftovers = [n for n in os.listdir(out) if n.startswith(".") or n.endswith(".tmp")]
    check(not leftovers, f"temporary files left: {leftovers}")

    # --stage-timing off: same faults and counts, whole-fault times only.
    off = run(exe, os.path.join(base, "off"), "--vm", "realm", "--pattern", "seq", "-v", "1",
              "--stage-timing", "off")
    r = off["runs"][0]
    check_run(r, False)
    ref = next(x for x in runs if (x["vm"], x["pattern"], x["vcpus"]) == ("realm", "seq", 1))
    check(r["counts"] == ref["counts"], "stage timing off changed the counts")
    check(set(r["stages"]) <= {"rec_exit", "rec_enter", "unattributed"},
          f"stage timing off still has stages {sorted(r['stages'])}")

    # Issue 4 run side: pin plans, topology, perf availability, repeats.
    extra = meta.get("extra", {})
    check(set(extra.get("pinning", {})) == {"1", "2"}, "meta: pin plan per vCPU count")
    check(os.path.getsize(os.path.join(out, "topology.xml")) > 0 or "topology" not in extra,
          "topology.xml missing or empty")
    perf = extra.get("perf", {})
    check("available" in perf and "unavailable" in perf, "meta: perf availability")
    for r in runs:
        for name in perf.get("available", []):
            check(f"perf.{name}" in r["extra"], f"run lacks perf.{name}")
    with open(os.path.join(out, "repeats.csv")) as f:
        rep_rows = list(csv.DictReader(f))
    check(len(rep_rows) == len(runs), f"repeats.csv has {len(rep_rows)} rows")

    # A cost profile adds separately labelled modeled time to realm runs.
    prof = run(exe, os.path.join(base, "prof"), "--vm", "realm", "--pattern", "seq", "-v",
               "1", "--profile", "n1-smc-low", "--repeat", "2")
    r = prof["runs"][0]
    e = r["extra"]
    check(e.get("modeled.smc_ns") == 80, "profile: modeled.smc_ns")
    # Purely modeled (no measured time in it): the median seq fault's 2
    # calls plus the REC_ENTER, one 80 ns SMC each.
    check(e.get("modeled.fault_p50_ns") == 3 * 80,
          "profile: modeled p50 is the median fault's SMCs alone")
    check(e.get("repeats") == 2 and e.get("pooled_repeats") == 2, "profile: two repeats")

    # meta.json records the command line whole: comma lists included (the
    # list parsers once split argv in place, so a realm run on TF-RMM
    # recorded "--pattern seq --vcpus 1" for "seq,rand,... 1,2").
    cl_args = ["--vm", "normal", "--pattern", "seq,rand", "-v", "1,2", "-b", "1M"]
    run(exe, os.path.join(base, "cmdline"), *cl_args)
    with open(os.path.join(base, "cmdline", "meta.json")) as f:
        cl = json.load(f)["command_line"]
    check(cl[-len(cl_args):] == cl_args, f"command line recorded as {cl}")

    # --repeat auto: a loose target is reached (>= 6 repeats), an
    # impossible one ends on the time budget; either way it says which.
    # (The impossible one runs with --prefault off: host page faults make
    # repeat medians differ; on prefaulted memory they can be identical to
    # the clock's resolution, and then any target is met.)
    auto = run(exe, os.path.join(base, "auto1"), "--vm", "normal", "--pattern", "seq", "-v",
               "1", "-b", "1M", "--repeat", "auto", "--ci-target", "50", "--time-budget", "20")
    e = auto["runs"][0]["extra"]
    check(e.get("repeat_stop") == 1 and e.get("repeats", 0) >= 6
          and e.get("repeat_p50_ci_halfwidth_pct", 100) <= 50,
          f"auto: loose target not reached: {e}")
    auto = run(exe, os.path.join(base, "auto2"), "--vm", "normal", "--pattern", "seq", "-v",
               "1", "-b", "1M", "--repeat", "auto", "--ci-target", "0.0001",
               "--time-budget", "0.3", "--prefault", "off")
    e = auto["runs"][0]["extra"]
    check(e.get("repeat_stop") == 2 and e.get("repeats", 0) >= 1, f"auto: budget: {e}")

    for f_ in failures:
        print("FAIL:", f_, file=sys.stderr)
    print(f"{len(runs) + 1} runs checked, {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
