#!/usr/bin/env python3
"""Hostile command lines: numbers parsed one way only (decimal, the
documented suffixes), lists without empty or repeated items, options
that contradict each other, empty and existing output names. Each is
exit 2, one line naming the option, nothing written."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from hostile import check, finish, fresh, refused, run  # noqa: E402

exe, base = sys.argv[1], fresh(sys.argv[2])

RUN = [
    (["--vcpus", "010"], "--vcpus"),
    (["--vcpus", "0x2"], "--vcpus"),
    (["--vcpus", "+1"], "--vcpus"),
    (["--vcpus", " 1"], "--vcpus"),
    (["--repeat", "0x3"], "--repeat"),
    (["--repeat", "03"], "--repeat"),
    (["--seed", "-1"], "--seed"),
    (["--seed", "99999999999999999999"], "--seed"),
    (["--size", "0x100000"], "--size"),
    (["--size", "1.5M"], "--size"),
    (["--size", "18014398509481983K"], "18014398509481983K"),
    (["--vcpus", "1,,2"], "--vcpus"),
    (["--vcpus", "1,"], "--vcpus"),
    (["--pattern", ",seq"], "--pattern"),
    (["--vcpus", "1,1"], "--vcpus"),
    (["--pattern", "seq,seq"], "--pattern"),
    (["--pin", "0,,1"], "--pin"),
    (["--page", "hugetlb", "--backing", "thp"], "--backing"),
    (["--backing", "thp", "--page", "hugetlb"], "--backing"),
    (["--page", "anonymous_thp", "--backing", "hugetlb"], "--backing"),
    (["--vm", "normal", "--policy", "cca-rmm2"], "--policy"),
    (["--vm", "normal", "--abi", "2.0"], "--abi"),
    (["--out", ""], "--out"),
]
n = 0
for i, (args, needle) in enumerate(RUN):
    out = os.path.join(base, f"run{i}")
    argv = [exe, "run", *args] + ([] if "--out" in args else ["--out", out])
    refused(f"run {' '.join(args)}", argv, needle)
    check(f"run {' '.join(args)}", not os.path.exists(out), "a results directory was created")
    n += 1

# The other commands share the parser.
gdir = fresh(os.path.join(base, "gbench"))
with open(os.path.join(gdir, "gbench.json"), "w") as f:
    f.write("{}\n")
OTHER = [
    ([exe, "plot", "--bootstrap", "abc", "x"], "--bootstrap"),
    ([exe, "plot", "--bootstrap", "5", "x"], "--bootstrap"),
    ([exe, "plot", "--format", "png,png", "x"], "--format"),
    ([exe, "compare", "--seed", "0x1", "a", "b"], "--seed"),
    ([exe, "compare", "--ignore", "pattern,,vm", "a", "b"], "--ignore"),
    ([exe, "trace", "ingest", "--size", "08K", "--out", "o", "t"], "--size"),
    ([exe, "trace", "ingest", "--buffer-kb", "0x100", "--out", "o", "t"], "--buffer-kb"),
    ([exe, "gbench", "--fault-runs", "010"], "--fault-runs"),
    ([exe, "gbench", "--out", gdir], "gbench.json"),
    ([exe, "rmi", "--rec-aux", "0x1", "x"], "--rec-aux"),
]
for argv, needle in OTHER:
    name = " ".join(argv[1:])
    # rmi prints its usage after the one-line cause: check the first line.
    p = refused(name, argv, needle) if argv[1] != "rmi" else None
    if argv[1] == "rmi":
        q = run(argv)
        check(name, q.returncode == 2 and needle in q.stderr.splitlines()[0],
              f"exit {q.returncode}: {q.stderr.strip()[:200]!r}")
    n += 1
with open(os.path.join(gdir, "gbench.json")) as f:
    check("gbench --out existing", f.read() == "{}\n", "gbench.json was replaced")
finish("hostile cli", n)
