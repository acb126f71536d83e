#!/usr/bin/env python3
"""Bad input to `rme-bench run`: each case must exit 2, name the argument
on stderr, and leave no results directory behind."""
import os
import shutil
import subprocess
import sys

exe, base = sys.argv[1], sys.argv[2]
shutil.rmtree(base, ignore_errors=True)
os.makedirs(base)
afile = os.path.join(base, "a-file")
with open(afile, "w") as f:
    f.write("not a directory\n")
done = os.path.join(base, "done")
os.makedirs(done)
with open(os.path.join(done, "summary.json"), "w") as f:
    f.write('{"runs": []}\n')

# (arguments, text the message must contain)
CASES = [
    (["--pattern", "nosuch"], "--pattern"),
    (["--pattern", "seq,,"], "nosuch-never"),  # replaced below: empty list item ok?
    (["--size", "5000"], "--size"),
    (["--size", "3M", "--pattern", "block"], "--size"),
    (["--size", "0"], "--size"),
    (["--size", "12Q"], "--size"),
    (["--pattern", "block", "--page", "4K"], "--page"),
    (["--page", "1G"], "--page"),
    (["--backing", "shm"], "--backing"),
    (["--backing", "thp", "--page", "4K"], "--backing"),
    (["--abi", "2.0", "--policy", "cca-v1"], "--abi"),
    (["--abi", "1.0", "--policy", "cca-rmm2"], "--abi"),
    (["--abi", "3.0"], "--abi"),
    (["--vm", "realm", "--policy", "normal"], "--policy"),
    (["--policy", "nosuch"], "--policy"),
    (["--vm", "sometimes"], "--vm"),
    (["--backend", "kvm"], "--backend"),
    # kvm realms are labelled with the kernel's CCA series: only a series
    # policy (cca-v14, cca-v15) may be named, and only RMI 2.0.
    (["--backend", "kvm", "--policy", "cca-v1"], "--policy"),
    (["--backend", "kvm", "--policy", "cca-rmm2-2m"], "--policy"),
    (["--backend", "kvm", "--abi", "1.0"], "--abi"),
    (["--backend", "qemu"], "--backend"),
    (["--vcpus", "0"], "--vcpus"),
    (["--vcpus", "1000"], "--vcpus"),
    (["--repeat", "0"], "--repeat"),
    (["--stage-timing", "maybe"], "--stage-timing"),
    (["--pin", "99999"], "--pin"),
    (["--profile", "nosuch"], "--profile"),
    (["--ci-target", "5"], "--ci-target"),
    (["--repeat", "auto", "--ci-target", "0"], "--ci-target"),
    (["--repeat", "auto", "--time-budget", "-1"], "--time-budget"),
    (["--repeat", "sometimes"], "--repeat"),
    (["--pin", "0-1,0"], "--pin"),
    (["--out", afile], "--out"),
    (["--out", done], "--out"),
    (["--frobnicate"], "--frobnicate"),
    (["extra-arg"], "extra-arg"),
]
CASES = [c for c in CASES if c[1] != "nosuch-never"]

failures = 0
for i, (args, needle) in enumerate(CASES):
    out = os.path.join(base, f"out{i}")
    argv = [exe, "run", *args]
    if "--out" not in args:
        argv += ["--out", out]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    problems = []
    if p.returncode != 2:
        problems.append(f"exit {p.returncode}, expected 2")
    if needle not in p.stderr:
        problems.append(f"stderr does not name {needle!r}: {p.stderr.strip()!r}")
    if "--out" not in args and os.path.exists(out):
        problems.append("a results directory was created")
    if p.stdout.strip():
        problems.append(f"printed on stdout: {p.stdout.strip()[:80]!r}")
    if problems:
        failures += 1
        print(f"FAIL {' '.join(args)}: {'; '.join(problems)}", file=sys.stderr)
print(f"{len(CASES)} bad inputs, {failures} failure(s)")
sys.exit(1 if failures else 0)
