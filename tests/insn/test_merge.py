#!/usr/bin/env python3
"""`rme-bench insn merge` and `compare` on instruction counts, without QEMU:
a sim results directory and a span file written here in the plugin's
format (tools/qemu_insn_plugin/insn_plugin.c). Checks the merged columns
and summary, every refusal (exit 2: run id, vCPU count, fault count,
truncated file, merged twice) and that `compare --metric insn_el2_ns
--fail-above 1` passes on equal counts and fails on 5 % more.

Usage: test_merge.py RME_BENCH WORKDIR
"""
import csv
import json
import os
import shutil
import subprocess
import sys

WORLDS = ["ns", "realm", "secure", "root"]
OPS = ["tlbi_bcast", "tlbi_local", "tlbi_va", "tlbi_ipa", "tlbi_all", "tlbi_gpt", "dsb", "isb",
       "dc_zva", "dc_va", "dc_sw", "dc_pa", "smc", "hvc", "svc", "eret", "msr_trans", "msr_gpt",
       "wfi", "wfe"]
STAGES = ["exit_decode", "s2_map"] + [f"unused{i}" for i in range(2, 24)]
COLS = ([f"insn_el{el}_{w}" for el in range(4) for w in WORLDS] + [f"op_{o}" for o in OPS] +
        [f"stage_{s}" for s in STAGES] + ["exc_sync", "exc_irq", "exc_fiq", "exc_serror"])
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def span_counts(i, el2_scale=1.0):
    v = dict.fromkeys(COLS, 0)
    v["insn_el1_ns"] = 9
    v["insn_el2_ns"] = int((18000 + i) * el2_scale)
    v["stage_s2_map"] = 1000
    v["stage_exit_decode"] = 200
    v["op_dsb"] = 3
    v["exc_sync"] = 1
    v["exc_irq"] = 1 if i == 2 else 0
    return [v[c] for c in COLS]


def call_counts(el3, rmm):
    v = dict.fromkeys(COLS, 0)
    v["insn_el3_root"], v["insn_el2_realm"] = el3, rmm
    return " ".join(str(v[c]) for c in COLS)


# "C" records the plugin writes per NS-EL2 SMC: three RANGE_DELEGATEs (one
# of them flagged: resumed elsewhere), a REC_ENTER, a PSCI call (not RMI:
# ignored) and a command the model does not know (named from the table).
CALLS = [("0xc40001f1", 0, 2185, 257), ("0xc40001f1", 0, 2185, 259), ("0xc40001f1", 1, 900, 10),
         ("0xc400015c", 0, 1179, 9193), ("0x84000000", 0, 249, 0), ("0xc4000208", 0, 1179, 3536)]


def write_spans(path, results, run_id, vcpus_override=None, drop=0, end=True, el2_scale=1.0,
                calls=False):
    rows = list(csv.DictReader(open(os.path.join(results, "faults.csv"))))
    runs = json.load(open(os.path.join(results, "summary.json")))["runs"]
    with open(path, "w") as f:
        f.write(f"rmeb-insn 1\nplugin_version 1\nqemu_plugin_api 4\nrun_id {run_id}\nvcpus 2\n"
                "qemu_version 10.0.2\nmarkers span_begin=hint#104 span_end=hint#105 "
                "run_begin=hint#106\nsecurity no EL3: non-secure\nstages_missing data_create\n")
        f.write("columns " + " ".join(COLS) + "\n")
        for fid, flags, el3, rmm in (CALLS if calls else []):
            f.write(f"C 0 {fid} 0x0 {flags} {call_counts(el3, rmm)}\n")
        for k, run in enumerate(runs):
            for v in range(run["vcpus"]):
                f.write(f"R {v} {v} {vcpus_override or run['vcpus']}\n")
            mine = [r for r in rows if int(r["run"]) == k]
            if k == 0 and drop:
                mine = mine[drop:]
            for i, r in enumerate(mine):
                counts = " ".join(map(str, span_counts(i, el2_scale)))
                f.write(f"S {r['vcpu']} {r['vcpu']} {i} 0 {counts}\n")
        if end:
            f.write("end\n")


def merge(rmeb, spans, results):
    p = subprocess.run([rmeb, "insn", "merge", "--spans", spans, results],
                       capture_output=True, text=True)
    return p.returncode, p.stderr.strip()


def fresh(base, name, run_id="rid-1"):
    d = os.path.join(os.path.dirname(base), name)
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(base, d)
    meta_path = os.path.join(d, "meta.json")
    meta = json.load(open(meta_path))
    meta.setdefault("extra", {})["run_id"] = run_id
    json.dump(meta, open(meta_path, "w"), indent=2)
    return d


def main(argv):
    if len(argv) != 3:
        print("usage: test_merge.py RME_BENCH WORKDIR", file=sys.stderr)
        return 2
    rmeb, work = argv[1], argv[2]
    os.makedirs(work, exist_ok=True)
    base = os.path.join(work, "sim")
    shutil.rmtree(base, ignore_errors=True)
    subprocess.run([rmeb, "run", "--backend", "sim", "--vm", "normal", "--pattern", "seq",
                    "--size", "64K", "--vcpus", "1,2", "--out", base], check=True,
                   stdout=subprocess.DEVNULL)
    spans = os.path.join(work, "spans.txt")

    d = fresh(base, "ok")
    write_spans(spans, d, "rid-1")
    rc, err = merge(rmeb, spans, d)
    check(rc == 0, f"merge of a matching span file: exit {rc} ({err})")
    rows = list(csv.DictReader(open(os.path.join(d, "faults.csv"))))
    for col in ["insn_el0_ns", "insn_el1_ns", "insn_el2_ns", "insn_el0_realm", "insn_el1_realm",
                "insn_el2_realm", "insn_el3_root", "op_tlbi_bcast", "op_dc_pa", "op_smc",
                "op_eret", "insn_s_s2_map", "insn_s_el2_other", "insn_flags"]:
        check(col in rows[0], f"faults.csv has {col}")
    check(all(int(r["insn_el1_ns"]) == 9 for r in rows), "guest counts carried per fault")
    check(all(int(r["insn_s_el2_other"]) == int(r["insn_el2_ns"]) - 1200 for r in rows),
          "insn_s_el2_other is EL2 minus the stages")
    check(sum(1 for r in rows if int(r["insn_flags"]) & 4) == 2,
          "a span with an interrupt is flagged, not dropped (one per run)")
    summary = json.load(open(os.path.join(d, "summary.json")))
    meta = json.load(open(os.path.join(d, "meta.json")))
    check(len(summary["insn"]) == len(summary["runs"]), "summary.json insn per run")
    check(summary["insn"][0]["metrics"]["insn_el1_ns"]["p50"] == 9, "summary p50 of insn_el1_ns")
    check(meta["insn"]["source"] == "emulator" and meta["insn"]["qemu_version"] == "10.0.2" and
          "hint#104" in meta["insn"]["markers"] and meta["insn"]["stages_missing"] == "data_create",
          "meta.json insn says what the counts are")
    rc, err = merge(rmeb, spans, d)
    check(rc == 2, f"merging twice is refused with 2, got {rc}")
    check("insn_rmi" not in summary, "no RMI call records, no insn_rmi")

    # RMI calls the host issued (C records): per command, flagged ones apart
    d3 = fresh(base, "calls")
    write_spans(spans, d3, "rid-1", calls=True)
    rc, err = merge(rmeb, spans, d3)
    check(rc == 0, f"merge with call records: exit {rc} ({err})")
    rmi = {e["command"]: e for e in json.load(open(os.path.join(d3, "summary.json")))["insn_rmi"]}
    dl = rmi.get("GRANULE_RANGE_DELEGATE", {})
    check(dl.get("calls") == 2 and dl.get("flagged_calls") == 1 and dl.get("fid") == "0xC40001F1",
          f"RANGE_DELEGATE: 2 calls + 1 flagged, got {dl}")
    check(dl.get("el3") == {"min": 2185, "p50": 2185, "max": 2185} and
          dl.get("rmm", {}).get("max") == 259, f"RANGE_DELEGATE worlds: {dl}")
    check(rmi.get("REC_ENTER", {}).get("rmm", {}).get("p50") == 9193, "REC_ENTER's RMM count")
    check("OP_MEM_DONATE" in rmi, f"a command outside the model is named: {sorted(rmi)}")
    check(not any(e["fid"] == "0x84000000" for e in rmi.values()), "PSCI is not an RMI call")
    check("insn_rmi" in json.load(open(os.path.join(d3, "meta.json")))["insn"],
          "meta.json says what insn_rmi is")

    cases = [("run id", dict(run_id="rid-other")), ("vcpus", dict(vcpus_override=3)),
             ("fault count", dict(drop=1)), ("truncated", dict(end=False))]
    for what, kw in cases:
        d2 = fresh(base, "bad")
        write_spans(spans, d2, kw.pop("run_id", "rid-1"), **kw)
        rc, err = merge(rmeb, spans, d2)
        check(rc == 2 and err.count("\n") == 0 and err,
              f"{what} mismatch: exit {rc}, one line expected ({err})")
        check("insn_el2_ns" not in open(os.path.join(d2, "faults.csv")).readline(),
              f"{what}: nothing written")

    # compare: equal counts pass the 1 % gate, 5 % more host EL2 fails it
    same = fresh(base, "same")
    write_spans(spans, same, "rid-1")
    merge(rmeb, spans, same)
    more = fresh(base, "more")
    write_spans(spans, more, "rid-1", el2_scale=1.05)
    merge(rmeb, spans, more)
    gate = [rmeb, "compare", "--metric", "insn_el2_ns", "--fail-above", "1"]
    p = subprocess.run(gate + [d, same], capture_output=True, text=True)
    check(p.returncode == 0 and "insn_el2_ns" in p.stdout,
          f"compare gate on equal counts: exit {p.returncode}")
    p = subprocess.run(gate + [d, more], capture_output=True, text=True)
    check(p.returncode == 1 and "REGRESSION" in p.stdout,
          f"compare gate on 5 % more EL2 instructions: exit {p.returncode}")
    print("test_merge:", "ok" if not failures else f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
