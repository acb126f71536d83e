#!/usr/bin/env python3
"""Checks two merged instruction-accounting runs of the same configuration
(scripts/qemu/insn-e2e.sh, scripts/qemu/realm-insn.sh) and prints
instructions per fault by world. A realm's guest runs at realm EL1, a
normal VM's at NS EL1; a realm fault also has the RMM's (realm EL2) and
EL3's instructions.

Asserts: every fault has guest (EL1) and host kernel (EL2) instructions and
its stage split adds up to its EL2 count; meta.json and summary.json say
what the counts are; the guest's instructions per fault are identical in
the two runs, fault by fault, over the faults neither run flagged (a
flagged fault took an interrupt or waited inside its span: its count
depends on timing, so a difference there is reported, not gated). Each configuration's median host EL2
instructions per fault, over the faults neither run flagged (an interrupt
or a WFE wait inside the span: timing-dependent work), is compared across
the two boots and the spread printed, with a WARNING line and the stages
that moved above 1 %. The host spread is reported, not gated: two boots of
the same kernel were seen to differ by 0.000 % in some runs and by a
constant +503 EL2 instructions per fault (8.6 %; s2_map +338,
abort_dispatch +49) in another, i.e. the host kernel's work per fault
depends on state that differs between boots, not on the counting.

Usage: check_insn.py RESULTS_A RESULTS_B   (exit 0 pass, 1 fail, 2 usage)
"""
import csv
import json
import os
import statistics
import sys

TOLERANCE = 0.01


def load(d):
    with open(os.path.join(d, "faults.csv")) as f:
        rows = list(csv.DictReader(f))
    with open(os.path.join(d, "summary.json")) as f:
        summary = json.load(f)
    with open(os.path.join(d, "meta.json")) as f:
        meta = json.load(f)
    return rows, summary, meta


def label(run):
    return f"{run['vm'][0]} {run['pattern']} {run['vcpus']}vcpu"


def guest_col(summary, row):
    """The guest kernel's column: realm EL1 for a realm's faults, else NS EL1."""
    return "insn_el1_realm" if summary["runs"][int(row["run"])]["vm"] == "realm" else "insn_el1_ns"


def lower_median(v):
    v = sorted(v)
    return v[(len(v) - 1) // 2] if v else 0


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    (ra, sa, ma), (rb, sb, mb) = load(argv[1]), load(argv[2])
    errors = []
    for name, meta, summary in (("A", ma, sa), ("B", mb, sb)):
        insn = meta.get("insn", {})
        if insn.get("source") != "emulator" or "instruction counts" not in insn.get("what", ""):
            errors.append(f"{name}: meta.json insn does not say these are emulated counts")
        if len(summary.get("insn", [])) != len(summary["runs"]):
            errors.append(f"{name}: summary.json insn has not one entry per run")
    if len(ra) != len(rb):
        errors.append(f"fault rows differ: {len(ra)} vs {len(rb)}")
    stages = [c for c in ra[0] if c.startswith("insn_s_")] if ra else []
    for i, r in enumerate(ra):
        el1, el2 = int(r[guest_col(sa, r)]), int(r["insn_el2_ns"])
        if el1 <= 0 or el2 <= 0:
            errors.append(f"A row {i}: no guest or no host kernel instructions ({el1}, {el2})")
        if sum(int(r[s]) for s in stages) != el2:
            errors.append(f"A row {i}: stage split {sum(int(r[s]) for s in stages)} != EL2 {el2}")
    # The guest's instructions per fault must be identical between boots
    # where neither boot flagged the fault: an interrupt taken inside the
    # span (its handler runs in the guest's EL1) or a WFE wait adds work
    # that depends on timing -- counted and flagged, so reported, not gated.
    differ = [(a, b) for a, b in zip(ra, rb) if a[guest_col(sa, a)] != b[guest_col(sa, a)]]
    guest_diff = sum(1 for a, b in differ if not int(a["insn_flags"]) and not int(b["insn_flags"]))
    flagged_diff = len(differ) - guest_diff
    both_clean = sum(1 for a, b in zip(ra, rb) if not int(a["insn_flags"]) and not int(b["insn_flags"]))
    if guest_diff:
        errors.append(f"{guest_diff} faults unflagged in both runs with different guest "
                      "instruction counts")
    worst = 0.0
    ungated = []
    warnings = []
    print("instructions per fault (medians; run A), QEMU TCG; n/r: normal VM / realm:")
    print(f"{'config':<16} {'faults':>6} {'guest EL1':>10} {'host EL2':>10} {'host EL0':>9} "
          f"{'RMM':>8} {'EL3':>7} {'EL2 B/A-1':>10} {'flagged':>7}  stages (EL2)")
    print("  (EL2 B/A-1: medians over faults unflagged in both runs; '*': all flagged, over all)")
    for k, run in enumerate(sa["runs"]):
        fa = [r for r in ra if int(r["run"]) == k]
        fb = [r for r in rb if int(r["run"]) == k]
        gcol = "insn_el1_realm" if run["vm"] == "realm" else "insn_el1_ns"
        cols = ["insn_el0_ns", gcol, "insn_el2_ns", "insn_el2_realm", "insn_el3_root"] + stages
        med = {c: lower_median([int(r[c]) for r in fa]) for c in cols if not fa or c in fa[0]}
        clean = [i for i, (x, y) in enumerate(zip(fa, fb))
                 if not int(x["insn_flags"]) and not int(y["insn_flags"])]
        ea = lower_median([int(fa[i]["insn_el2_ns"]) for i in clean])
        eb = lower_median([int(fb[i]["insn_el2_ns"]) for i in clean])
        mb_all = lower_median([int(r["insn_el2_ns"]) for r in fb])
        spread_all = abs(mb_all - med["insn_el2_ns"]) / med["insn_el2_ns"]
        gated = bool(clean)
        spread = abs(eb - ea) / ea if gated and ea else spread_all
        if gated:
            worst = max(worst, spread)
        else:
            ungated.append(f"{label(run)} ({spread_all:.2%} over all {len(fa)} faults)")
        if gated and spread > TOLERANCE:
            ma = {st: lower_median([int(fa[i][st]) for i in clean]) for st in stages}
            mb = {st: lower_median([int(fb[i][st]) for i in clean]) for st in stages}
            moved = " ".join(f"{st[7:]} {ma[st]}->{mb[st]}" for st in stages if ma[st] != mb[st])
            warnings.append(f"{label(run)}: host EL2 medians of unflagged faults {ea} vs {eb} "
                            f"differ by {spread:.2%} (> 1 %, reported, not gated): {moved}")
        flagged = sum(1 for r in fa if int(r["insn_flags"]))
        split = " ".join(f"{s[7:]}={med[s]}" for s in stages if med[s])
        print(f"{label(run):<16} {len(fa):>6} {med.get(gcol, 0):>10} {med['insn_el2_ns']:>10} "
              f"{med['insn_el0_ns']:>9} {med.get('insn_el2_realm', 0):>8} "
              f"{med.get('insn_el3_root', 0):>7} {spread:>9.3%}{' ' if gated else '*'} "
              f"{flagged:>7}  {split}")
    print(f"determinism: guest instructions identical in {both_clean - guest_diff} of "
          f"{both_clean} faults unflagged in both runs ({len(ra) - len(differ)} of {len(ra)} "
          f"in all; the {flagged_diff} that differ were flagged: an interrupt or a wait "
          f"inside the span); host EL2 medians (unflagged faults) differ by at most {worst:.3%}")
    if ungated:
        print("not gated (every fault flagged in one of the runs): " + "; ".join(ungated))
    for w in warnings:
        print("WARNING:", w)
    for e in errors:
        print("FAIL:", e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
