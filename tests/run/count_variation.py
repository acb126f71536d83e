#!/usr/bin/env python3
"""Multi-vCPU counts of one seed: where they vary between runs, the
interleaving events summary.json counts explain every difference.

cca-v1 at 2 vCPUs (issue 18): GRANULE_UNDELEGATE and GRANULE_DELEGATE
differ between runs of the same seed because the vCPU threads interleave
differently: the fold scan after a RIPAS change folds a table only when
the other vCPU's pages in it are in the same state (fold_scan_folded), and
the realm's one spare RTT page goes to whichever vCPU asks first
(spare_rtt_taken / spare_rtt_full), a vCPU whose RTT_CREATE finds
the table already made by the other (rtt_create_lost) has delegated a
page for nothing, and a table the scan folded that a later touch needs
again is created again (rtt_recreated: one more RTT_CREATE and its
page's DELEGATE). Whatever the interleaving,
    GRANULE_DELEGATE + spare_rtt_taken - rtt_create_lost - rtt_recreated
    GRANULE_UNDELEGATE - spare_rtt_full - fold_scan_folded
    RTT_CREATE - rtt_create_lost - rtt_recreated
are the same in every run; this test runs each configuration RUNS times
and fails if they are not (or if the events do not add up).

usage: count_variation.py RME_BENCH WORKDIR [RUNS]
"""
import json
import os
import shutil
import subprocess
import sys

CONFIGS = [
    ["--pattern", "ripas", "--size", "4M"],
    ["--pattern", "unfold", "--size", "8M"],
    ["--pattern", "block", "--size", "8M", "--backing", "hugetlb"],
]


def invariants(run):
    c, x = run["counts"], run["extra"]
    lost = x["rtt_create_lost"] + x["rtt_recreated"]
    deleg = c.get("RMI_GRANULE_DELEGATE", 0) + x["spare_rtt_taken"] - lost
    undeleg = (c.get("RMI_GRANULE_UNDELEGATE", 0) - x["spare_rtt_full"]
               - x["fold_scan_folded"])
    return deleg, undeleg, c.get("RMI_RTT_CREATE", 0) - lost


def main():
    bench, work = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    failures = 0
    for k, cfg in enumerate(CONFIGS):
        seen = {}
        for i in range(runs):
            out = os.path.join(work, "c%d-r%d" % (k, i))
            cmd = [bench, "run", "--vm", "realm", "--policy", "cca-v1", "--vcpus", "2",
                   "--seed", "7", "--out", out] + cfg
            p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
            if p.returncode != 0:
                if "hugetlb" in cfg and "hugetlb" in p.stderr:
                    print("skip %s: no hugetlb pages here" % " ".join(cfg))
                    break
                print("FAIL: %s: exit %d: %s" % (" ".join(cmd), p.returncode, p.stderr))
                failures += 1
                break
            with open(os.path.join(out, "summary.json")) as f:
                for run in json.load(f)["runs"]:
                    key = (run["page"], run["pattern"])
                    inv = invariants(run)
                    raw = (run["counts"].get("RMI_GRANULE_DELEGATE", 0),
                           run["counts"].get("RMI_GRANULE_UNDELEGATE", 0))
                    events = {k: run["extra"][k] for k in (
                        "races", "rtt_create_lost", "rtt_recreated", "spare_rtt_taken",
                        "spare_rtt_kept",
                        "spare_rtt_full", "fold_scan_folded", "fold_scan_refused")}
                    seen.setdefault(key, []).append((inv, raw, events))
        for key, vals in seen.items():
            invs = {v[0] for v in vals}
            raws = sorted({v[1] for v in vals})
            print("%s %s: DELEGATE/UNDELEGATE seen %s; invariants %s" %
                  (key[1], key[0], raws, sorted(invs)))
            if len(invs) != 1:
                print("FAIL: %s %s: the interleaving counters do not explain the "
                      "variation" % key)
                for inv, raw, events in vals:  # what a diagnosis needs
                    print("  DELEGATE/UNDELEGATE %s invariants %s events %s" % (raw, inv, events))
                failures += 1
    print("%d failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
