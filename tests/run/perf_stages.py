#!/usr/bin/env python3
"""`rme-bench run --perf-stages` (sim backend), small realm and normal runs.

  perf_stages.py EXE DIR        per-stage counters: present, non-negative,
                                page_pin's minor faults > 0 with --prefault
                                off and ~0 with it on, per-stage sums within
                                the per-run totals, meta.json says so; a run
                                without the option has no per-stage keys
  perf_stages.py EXE DIR --bad  refusals: exit 2, both options named,
                                nothing written
"""
import json
import math
import os
import shutil
import subprocess
import sys

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def run(exe, out, *args):
    shutil.rmtree(out, ignore_errors=True)
    p = subprocess.run([exe, "run", "--pattern", "seq", "-b", "1M", "--out", out, *args],
                       capture_output=True, text=True, timeout=240)
    if p.returncode != 0:
        print(p.stdout, p.stderr, file=sys.stderr)
        sys.exit(f"rme-bench run {' '.join(args)} exited {p.returncode}")
    with open(os.path.join(out, "summary.json")) as f:
        summary = json.load(f)
    with open(os.path.join(out, "meta.json")) as f:
        meta = json.load(f)
    return summary, meta


def stage_keys(extra):
    """{stage: {counter: total}} from perf_stage.<stage>.<counter> keys."""
    stages = {}
    for k, v in extra.items():
        parts = k.split(".")
        if parts[0] != "perf_stage" or len(parts) != 3 or parts[2].endswith("_per_fault"):
            continue
        stages.setdefault(parts[1], {})[parts[2]] = v
    return stages


def check_run(r, meta, prefault):
    tag = f"{r['vm']}/{r['vcpus']} prefault {'on' if prefault else 'off'}"
    e = r["extra"]
    faults = r["faults"]
    check(faults > 0, f"{tag}: no faults")
    check(e.get("perf_stages") == 1, f"{tag}: extra perf_stages missing")
    check(e.get("perf_stage.read_cost_ns", 0) > 0, f"{tag}: read cost missing or 0")
    check(e.get("perf_stage.reads_per_fault", 0) >= 2,
          f"{tag}: fewer than 2 boundaries read per fault")
    for k, v in e.items():
        if k.startswith("perf_stage."):
            check(isinstance(v, (int, float)) and math.isfinite(v) and v >= 0,
                  f"{tag}: {k} = {v}")
    stages = stage_keys(e)
    check("page_pin" in stages, f"{tag}: no page_pin counters: {sorted(stages)}")
    if "page_pin" not in stages:
        return
    available = meta["extra"]["perf"]["available"]
    for c in available:
        check(c in stages["page_pin"], f"{tag}: page_pin lacks available counter {c}")
        total = e.get(f"perf.{c}")
        check(total is not None, f"{tag}: per-run perf.{c} missing")
        if total is None:
            continue
        summed = sum(s.get(c, 0) for s in stages.values())
        check(summed <= total, f"{tag}: {c}: stages sum {summed} > run total {total}")
        if c == "task-clock":
            check(summed > 0, f"{tag}: task-clock of every stage is 0")
    check(stages["page_pin"]["marks"] == faults,
          f"{tag}: page_pin marked {stages['page_pin']['marks']} times, {faults} faults")
    mf = sum(s.get("minor-faults", 0) for s in stages.values())
    check(mf <= e.get("perf_stage.minor-faults", -1),
          f"{tag}: stage minor faults {mf} > run's {e.get('perf_stage.minor-faults')}")
    pin = stages["page_pin"].get("minor-faults", -1)
    if prefault:
        # Guest RAM is resident: pinning faults no guest page in. (Under
        # TSan its shadow memory still faults a few pages: ~5 % of faults.)
        check(0 <= pin <= faults / 4, f"{tag}: page_pin minor faults {pin} (prefaulted)")
    else:
        # The host's own page fault happens in page_pin, once per 4K page.
        check(pin >= faults * 0.9, f"{tag}: page_pin minor faults {pin}, {faults} faults")
    # perf's page-faults event is not raised for get_user_pages-style
    # faults (MADV_POPULATE_WRITE); whatever it says must stay in range.
    if "page-faults" in available:
        check(stages["page_pin"]["page-faults"] <= e["perf.page-faults"],
              f"{tag}: page_pin page-faults above the run's")


def check_meta(meta):
    ps = meta["extra"].get("perf_stages")
    check(isinstance(ps, dict) and ps.get("on") is True, f"meta perf_stages: {ps}")
    if isinstance(ps, dict):
        check(ps.get("counters") == meta["extra"]["perf"]["available"],
              f"meta perf_stages counters {ps.get('counters')}")
        check(ps.get("read_cost_ns_median", 0) > 0, "meta: read cost missing")
        check("not comparable" in ps.get("note", ""), "meta: caveat missing")


def main():
    exe, base = sys.argv[1], sys.argv[2]
    os.makedirs(base, exist_ok=True)
    if sys.argv[3:] == ["--bad"]:
        for args in (["--perf-stages", "--stage-timing", "off"],
                     ["--stage-timing", "off", "--perf-stages"]):
            out = os.path.join(base, "bad")
            shutil.rmtree(out, ignore_errors=True)
            p = subprocess.run([exe, "run", "--out", out, *args], capture_output=True,
                               text=True, timeout=60)
            check(p.returncode == 2, f"{args}: exit {p.returncode}")
            check("--perf-stages" in p.stderr and "--stage-timing" in p.stderr,
                  f"{args}: message does not name both options: {p.stderr.strip()}")
            check(not os.path.exists(out), f"{args}: {out} written")
        p = subprocess.run([exe, "run", "--backend", "kvm", "--perf-stages", "--out",
                            os.path.join(base, "kvm")], capture_output=True, text=True,
                           timeout=60)
        check(p.returncode == 2 and "--perf-stages" in p.stderr,
              f"kvm: exit {p.returncode}: {p.stderr.strip()}")
    else:
        for prefault in (False, True):
            summary, meta = run(exe, os.path.join(base, f"pf{int(prefault)}"),
                                "--vcpus", "1,2", "--perf-stages",
                                "--prefault", "on" if prefault else "off")
            check_meta(meta)
            check(len(summary["runs"]) == 4, f"{len(summary['runs'])} runs, not 4")
            for r in summary["runs"]:
                check_run(r, meta, prefault)
        summary, meta = run(exe, os.path.join(base, "plain"), "--vcpus", "1")
        for r in summary["runs"]:
            extra = [k for k in r["extra"] if k.startswith("perf_stage")]
            check(not extra, f"run without --perf-stages has {extra[:3]}")
        check("perf_stages" not in meta["extra"], "meta perf_stages without the option")
    for f in failures:
        print("FAIL:", f)
    sys.exit(1 if failures else 0)


main()
