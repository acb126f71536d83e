#!/usr/bin/env python3
"""The figure of RMM and EL3 instructions per RMI command: one bar per
command of the fault path and teardown (at the variant the tfrmm-qemu
profile uses) stacked by world (EL3, RMM; none of these runs the RMM's
EL0 apps, which the script checks), from a CSV of rmi-costs.py, with
the tfrmm-n1 count of the same command (the x86 host build) as a marker.
The footnote names both CSVs and the first provenance line of the run.

Usage: rmi-costs-plot.py QEMU_CSV HOST_CSV OUT.png
Exit 0, 1 when gnuplot fails, 2 on a CSV without the rows it needs."""
import csv
import os
import subprocess
import sys
import tempfile

# command -> variant of the fault path (the tfrmm-qemu profile's choice)
COMMANDS = [("GRANULE_RANGE_DELEGATE", "4K"), ("RTT_DATA_MAP", "4K"), ("REC_ENTER", "exit sync"),
            ("RTT_CREATE", "L3"), ("RTT_FOLD", "L3"), ("RTT_UNPROT_MAP", "4K"),
            ("RTT_READ_ENTRY", "L3"), ("RTT_UNPROT_UNMAP", "4K"), ("RTT_DATA_UNMAP", "4K"),
            ("GRANULE_RANGE_UNDELEGATE", "4K"), ("RTT_DESTROY", "L3"), ("VERSION", "round trip")]


def rows_of(path):
    with open(path) as f:
        lines = f.read().splitlines()
    head = [l[2:] for l in lines if l.startswith("# ")]
    return head, list(csv.DictReader(l for l in lines if not l.startswith("#")))


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    qcsv, hcsv, out = argv
    head, qrows = rows_of(qcsv)
    _, hrows = rows_of(hcsv)
    q = {(r["command"], r["variant"]): r for r in qrows if r["status"] == "SUCCESS"}
    host = {}
    for r in hrows:  # each command's first row is its fault-path size (as tfrmm-n1 takes it)
        if r["abi"] == "2.0":
            host.setdefault(r["command"], r["rmm_ir"])
    host.setdefault("REC_ENTER", next((r["rmm_ir"] for r in hrows if r["command"] == "REC_ENTER"), "-"))
    lines = ["command\tEL3 (TF-A)\tRMM (R-EL2)\tx86"]
    for cmd, var in COMMANDS:
        r = q.get((cmd, var))
        if r is None:
            print(f"rmi-costs-plot: {qcsv} has no successful {cmd} {var}", file=sys.stderr)
            return 2
        if r["realm_el01_p50"] != "0":
            print(f"rmi-costs-plot: {cmd} {var} has R-EL0/1 instructions the figure does not "
                  "show", file=sys.stderr)
            return 2
        lines.append(f"{cmd} {var}\t{r['el3_p50']}\t{r['rmm_p50']}\t{host.get(cmd, '-')}")
    plots = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "plots")
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "rmi_costs.dat"), "w") as f:
            f.write("\n".join(lines) + "\n")
        title = ("RMI 2.0 commands on aarch64 TF-RMM + TF-A under QEMU TCG (emulator): instructions "
                 "per call (median), by world")
        foot = (f"data: {os.path.basename(qcsv)} ({head[0] if head else 'no provenance'}); "
                f"markers: {os.path.basename(hcsv)} (RMM 2.0 at another revision, 9a7f8ef46378; "
                "REC_ENTER 1.0). Emulated counts, not times.")
        tmp = out + ".tmp.png"
        p = subprocess.run(["gnuplot", "-e", f"fmt='png'; outfile='{tmp}'; figtitle='{title}'; "
                            f"footnote='{foot}'; datadir='{d}'; plotsdir='{os.path.abspath(plots)}'",
                            os.path.join(plots, "rmi_costs.gp")], capture_output=True, text=True)
        if p.returncode != 0 or not os.path.exists(tmp):
            print(f"rmi-costs-plot: gnuplot failed: {p.stderr.strip()}", file=sys.stderr)
            return 1
        os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
