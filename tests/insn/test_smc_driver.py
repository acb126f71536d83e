#!/usr/bin/env python3
"""The SMC driver under QEMU with the instruction plugin
(scripts/qemu/rmi-profile.sh), two ways:

  bare      no firmware: the driver boots alone at EL2 of a bare QEMU,
            where every SMC is answered by QEMU (SMC_UNKNOWN, no EL3): the
            plugin must see exactly the calls the driver printed, none
            flagged, with no EL3 or realm instructions -- a check of the
            driver, the plugin's per-SMC records and the join.
  firmware  TF-A + TF-RMM built outside the tree, found in the directory
            $RMEB_RME_FIRMWARE (bl1.bin, fip.bin, fiptool; see
            docs/qemu.md): the full tfrmm-qemu run, whose rows must equal
            results/profiles/tfrmm-qemu-icount.csv (instruction counts are
            the same on every run). Skipped (77) without it.

Usage: test_smc_driver.py bare|firmware SOURCE_DIR RME_BENCH DRIVER PLUGIN WORKDIR"""
import csv
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, data_lines, failures  # noqa: E402

mode, src, exe, driver, plugin, work = sys.argv[1:7]


args = ["bash", os.path.join(src, "scripts", "qemu", "rmi-profile.sh"), "--rme-bench", exe,
        "--driver", driver, "--plugin", plugin, "--out", work]
if mode == "firmware":
    fw = os.environ.get("RMEB_RME_FIRMWARE", "")
    if not fw or not os.path.isfile(os.path.join(fw, "bl1.bin")):
        print("SKIP: no TF-A + RMM firmware (set RMEB_RME_FIRMWARE to a directory with "
              "bl1.bin, fip.bin and fiptool; docs/qemu.md)")
        sys.exit(77)
    args += ["--firmware", fw]
else:
    args += ["--reps", "4"]
p = subprocess.run(args, capture_output=True, text=True)
if p.returncode == 2 and "insn-qemu.sh" in p.stderr:
    print(f"SKIP: this QEMU cannot run the plugin: {p.stderr.strip()}")
    sys.exit(77)
check(p.returncode == 0, f"rmi-profile.sh: exit {p.returncode}: {p.stderr[-2000:]}")
out = open(os.path.join(work, "costs.csv")).read() if p.returncode == 0 else ""

if mode == "bare" and out:
    rows = list(csv.DictReader(l for l in out.splitlines() if not l.startswith("#")))
    image_calls = sum(1 for l in open(os.path.join(work, "model.txt")) if l.strip())
    calls = sum(int(r["calls"]) for r in rows if r["command"] != "PSCI_VERSION")
    check(calls == image_calls + 3, f"{calls} calls joined, {image_calls} in the image + 3 boot calls")
    check("# " + str(image_calls + 3) + " RMI calls; 0 flagged" in out, "flagged calls or a wrong count")
    for r in rows:
        check(r["command"] == "PSCI_VERSION" or r["status"] == "SMC_UNKNOWN",
              f"{r['command']}: status {r['status']} without firmware")
        check(r["el3_max"] == "0" and r["rmm_max"] == "0" and r["total_p50"] == "0",
              f"{r['command']}: EL3/RMM instructions without firmware")
    check(any(r["command"] == "PSCI_VERSION" and r["calls"] == "8" for r in rows),
          "the driver's 8 PSCI_VERSION round trips are not there")
elif out:
    want = data_lines(open(os.path.join(src, "results", "profiles", "tfrmm-qemu-icount.csv")).read())
    got = data_lines(out)
    check(got == want, "this run's counts differ from results/profiles/tfrmm-qemu-icount.csv:\n" +
          "\n".join(f"  - {a}\n  + {b}" for a, b in zip(want, got) if a != b)[:3000])
print(f"smc driver ({mode}): {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
