#!/usr/bin/env python3
"""Hostile results directories: well-formed files that contradict the
schema or each other, and files that are not regular or not bounded.
`compare` and `plot` must refuse each with exit 2 and one line naming the
field or the file (never draw or report it, never hang)."""
import copy
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(__file__))
from hostile import check, finish, fresh, refused, run  # noqa: E402

exe, base = sys.argv[1], fresh(sys.argv[2])
good = os.path.join(base, "good")
p = run([exe, "run", "--pattern", "seq,block", "--size", "2M", "--vcpus", "1", "--out", good])
check("good run", p.returncode == 0, p.stderr)
if p.returncode:
    finish("hostile results", 0)
p = run([exe, "compare", good, good])
check("good dir compares", p.returncode == 0, p.stderr)

with open(os.path.join(good, "summary.json")) as f:
    SUMMARY = json.load(f)
with open(os.path.join(good, "faults.csv")) as f:
    CSV = f.read()


def realm(s):
    return next(r for r in s["runs"] if r["vm"] == "realm" and r["pattern"] == "seq")


def edit(fn):
    s = copy.deepcopy(SUMMARY)
    fn(s)
    return s


def set_in(path, value):
    def fn(s):
        obj = realm(s)
        for k in path[:-1]:
            obj = obj[k]
        obj[path[-1]] = value
    return fn


def rmi_count(s):
    r = realm(s)
    k = next(k for k in r["counts"] if k.startswith("RMI_"))
    r["counts"][k] = 10**15


def stage_p50(s):
    """A stage's median moved within its order (min <= p50 <= p90)."""
    for d in realm(s)["stages"].values():
        if d["n"] and d["p50_ns"] != d["p90_ns"]:
            d["p50_ns"] = d["p90_ns"]
            return
        if d["n"] and d["p50_ns"] != d["min_ns"]:
            d["p50_ns"] = d["min_ns"]
            return
    raise SystemExit("no stage with a median to move")


def move_fault_p50(s):
    """The fault median moved within its order (min <= p50 <= p90 <= max),
    with its CI: only faults.csv's rows can tell. On a quick machine the
    sim's fault times can be so even that p90 == p50 (a CI run saw it), so
    the median moves to p90, or else down to min, and only when the three
    are equal one nanosecond up with the upper percentiles (still in
    order)."""
    d = realm(s)["fault_ns"]
    p50 = d["p50_ns"]
    new = next((d[k] for k in ("p90_ns", "min_ns") if d[k] != p50), None)
    if new is None:
        new = p50 + 1
        for k in ("p90_ns", "p99_ns", "max_ns"):
            d[k] = max(d[k], new)
    d["p50_ns"] = new
    if d.get("p50_ci_low_ns") is not None:  # null when the run has no CI
        d["p50_ci_low_ns"] = min(d["p50_ci_low_ns"], new)
        d["p50_ci_high_ns"] = max(d["p50_ci_high_ns"], new)


def move_rows(csv):
    """One row of run 0 moved to run 1: counts per run no longer match."""
    lines = csv.splitlines(keepends=True)
    for i, l in enumerate(lines[1:], 1):
        if l.startswith("0,"):
            lines[i] = "1," + l[2:]
            break
    return "".join(lines)


SUMMARY_CASES = [
    # the CI moved along, so only faults.csv's rows can tell
    ("p50 set to p90", move_fault_p50, "fault_ns.p50_ns"),
    ("RMI count 1e15", rmi_count, "count \"RMI_"),
    ("negative rate", set_in(["faults_per_sec"], -90576.5), "faults_per_sec"),
    ("made-up source", set_in(["source"], "made-up"), "source"),
    ("vm banana", set_in(["vm"], "banana"), "vm"),
    ("page 3K", set_in(["page"], "3K"), "page"),
    ("vcpus 2^32-1", set_in(["vcpus"], 4294967295), "vcpus"),
    ("size 0", set_in(["size"], 0), "size"),
    ("total_ns 0", set_in(["total_ns"], 0), "faults_per_sec"),
    ("total_ns 2^64-1", set_in(["total_ns"], 2**64 - 1), "total_ns"),
    ("pattern with a quote and newline", set_in(["pattern"], 'se"q\nx'), "pattern"),
    ("unknown policy", set_in(["policy"], "made-up"), "policy"),
    ("normal VM with a realm policy",
     lambda s: next(r for r in s["runs"] if r["vm"] == "normal").update(policy="cca-v1"),
     "policy"),
    ("kinds contradict rows", lambda s: realm(s)["kinds"].update(protected=1), "kinds."),
    ("rmi_calls contradict rows", set_in(["rmi_calls"], 7), "rmi_calls"),
    ("stage p50 contradicts rows", stage_p50, "stages."),
    ("schema 1.0", lambda s: s.update(schema=1.5), "not an integer"),
]

n = 0


# plot and compare share one loader: every case through compare, and a
# few (one of each kind) through plot too.
PLOT_TOO = {"p50 set to p90", "made-up source", "pattern with a quote and newline",
            "rows moved between runs", "summary.json is a FIFO", "faults.csv is /dev/zero"}


def expect(name, d, needle, timeout=20):
    global n
    n += 1
    refused(f"compare: {name}", [exe, "compare", d, d], needle, timeout=timeout)
    if name not in PLOT_TOO:
        return
    refused(f"plot: {name}", [exe, "plot", "--out", os.path.join(d, "fig"), d], needle,
            timeout=timeout)
    check(f"plot: {name}", not os.path.exists(os.path.join(d, "fig", "data", "cdf.dat")),
          "plot wrote data")


def variant(name):
    d = os.path.join(base, name.replace(" ", "_").replace("/", "_").replace('"', ""))
    shutil.copytree(good, d)
    return d


for name, fn, needle in SUMMARY_CASES:
    d = variant(name)
    text = json.dumps(edit(fn), indent=2)
    if name == "schema 1.0":
        text = text.replace('"schema": 1.5', '"schema": 1.0')
    with open(os.path.join(d, "summary.json"), "w") as f:
        f.write(text)
    expect(name, d, needle)

d = variant("rows moved")
with open(os.path.join(d, "faults.csv"), "w") as f:
    f.write(move_rows(CSV))
expect("rows moved between runs", d, "faults.csv")

# A partial directory (no summary.json) and files that are not regular.
d = variant("partial")
os.unlink(os.path.join(d, "summary.json"))
expect("partial run", d, "summary.json")
for fname in ("summary.json", "faults.csv", "meta.json"):
    d = variant(f"fifo {fname}")
    os.unlink(os.path.join(d, fname))
    os.mkfifo(os.path.join(d, fname))
    expect(f"{fname} is a FIFO", d, "FIFO", timeout=10)
    d = variant(f"dir {fname}")
    os.unlink(os.path.join(d, fname))
    os.mkdir(os.path.join(d, fname))
    expect(f"{fname} is a directory", d, "directory", timeout=10)
for dev in ("/dev/zero", "/dev/urandom"):
    d = variant(f"dev {os.path.basename(dev)}")
    os.unlink(os.path.join(d, "faults.csv"))
    os.symlink(dev, os.path.join(d, "faults.csv"))
    expect(f"faults.csv is {dev}", d, "character device", timeout=10)
d = variant("sparse")
with open(os.path.join(d, "faults.csv"), "w") as f:
    f.truncate(3 << 30)
expect("3 GB sparse faults.csv", d, "faults.csv", timeout=10)
d = variant("sparse after header")
with open(os.path.join(d, "faults.csv"), "r+") as f:
    f.seek(0, 2)
    f.truncate(f.tell() + (3 << 30))
expect("faults.csv with 3 GB of zeros after its rows", d, "NUL", timeout=10)
finish("hostile results", n)
