#!/usr/bin/env python3
"""The tfrmm-qemu profile's data is traceable: scripts/qemu/rmi-costs.py,
run on the committed raw records of the run (results/profiles/tfrmm-qemu:
the plugin's C records and the SMC driver's console), the command file that
scripts/qemu/rmi-profile-cmds.py writes and the model's answers to it,
gives back results/profiles/tfrmm-qemu-icount.csv line for line (the
provenance comments aside). And it refuses what does not belong together
(exit 2, one line): a console with a call missing, a plugin file cut
short, a driver that reported an error, another command file. The
figure script draws the CSV and refuses one without a row it draws.

Usage: test_rmi_costs.py SOURCE_DIR RME_BENCH WORKDIR"""
import gzip
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, data_lines, failures  # noqa: E402

src, exe, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
prof = os.path.join(src, "results", "profiles")
costs = os.path.join(src, "scripts", "qemu", "rmi-costs.py")


def unzip(name):
    path = os.path.join(work, name)
    with gzip.open(os.path.join(prof, "tfrmm-qemu", name + ".gz"), "rt") as f, open(path, "w") as o:
        o.write(f.read())
    return path


plugin, uart = unzip("plugin.out"), unzip("uart.log")
cmds, model = os.path.join(work, "cmds.rmi"), os.path.join(work, "model.txt")
with open(cmds, "w") as f:
    subprocess.run([sys.executable, os.path.join(src, "scripts", "qemu", "rmi-profile-cmds.py"), "64"],
                   stdout=f, check=True)
with open(model, "w") as f:
    subprocess.run([exe, "rmi", "--abi", "2.0", "--follow", "tfrmm", cmds], stdout=f, check=True)


def run(*args):
    return subprocess.run([sys.executable, costs, *args], capture_output=True, text=True)



p = run(plugin, uart, cmds, model)
check(p.returncode == 0, f"rmi-costs on the committed data: exit {p.returncode} {p.stderr}")
want = data_lines(open(os.path.join(prof, "tfrmm-qemu-icount.csv")).read())
got = data_lines(p.stdout)
check(got == want, "the committed CSV is not what its raw data gives:\n" +
      "\n".join(f"  - {a}\n  + {b}" for a, b in zip(want, got) if a != b)[:2000])


def refused(name, args, needle):
    q = run(*args)
    lines = q.stderr.strip().splitlines()
    check(q.returncode == 2 and len(lines) == 1 and needle in q.stderr,
          f"{name}: exit {q.returncode}, stderr {q.stderr!r}, expected one line with {needle!r}")


lines = open(uart).read().splitlines(keepends=True)
short = os.path.join(work, "uart-short.log")
k = next(i for i, l in enumerate(lines) if l.startswith("rmeb-smc 2 "))
open(short, "w").write("".join(lines[:k] + lines[k + 1:]))
refused("a call missing from the console", [plugin, short, cmds, model], "driver says")
cut = os.path.join(work, "plugin-cut.out")
open(cut, "w").write("".join(open(plugin).read().splitlines(keepends=True)[:-1]))
refused("a plugin file without its end", [cut, uart, cmds, model], "no final 'end'")
err = os.path.join(work, "uart-error.log")
open(err, "w").write("".join(lines[:k]) + "rmeb-smc error: the SMC image is truncated or malformed\n")
refused("a driver error", [plugin, err, cmds, model], "the driver says")
other = os.path.join(work, "other.rmi")
open(other, "w").write("VERSION 0x20000\n")
refused("another command file", [plugin, uart, other, model], "has no command at line")
# The figure: drawn from the committed CSV; refused from one without a row it draws.
plot = os.path.join(src, "scripts", "qemu", "rmi-costs-plot.py")
qcsv = os.path.join(prof, "tfrmm-qemu-icount.csv")
hcsv = os.path.join(prof, "tfrmm-host-icount.csv")
if shutil.which("gnuplot"):
    png = os.path.join(work, "rmi-costs.png")
    q = subprocess.run([sys.executable, plot, qcsv, hcsv, png], capture_output=True, text=True)
    check(q.returncode == 0 and os.path.getsize(png) > 10000, f"plot: exit {q.returncode} {q.stderr}")
thin = os.path.join(work, "no-rec-enter.csv")
open(thin, "w").write("".join(l for l in open(qcsv) if not l.startswith("REC_ENTER,")))
q = subprocess.run([sys.executable, plot, thin, hcsv, os.path.join(work, "thin.png")],
                   capture_output=True, text=True)
check(q.returncode == 2 and "no successful REC_ENTER" in q.stderr, f"plot of a thin CSV: {q.returncode} {q.stderr!r}")
print(f"rmi-costs: {len(want)} lines checked, {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
