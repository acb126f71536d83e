#!/usr/bin/env python3
"""Hostile input to `rme-bench trace ingest`: files that are not regular
(FIFO, /dev/zero) or not text (a sparse file), lines that do not parse
(counted in the results, refused above 0.1 %), a stage too long for
faults.csv, labels `run` would refuse, a trace with no fault spans, an
existing --out. Each refusal is exit 2 and one line; nothing written."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from hostile import check, finish, fresh, refused, run  # noqa: E402

exe, fixtures, base = sys.argv[1], sys.argv[2], fresh(sys.argv[3])
trace = os.path.join(fixtures, "normal_1vcpu.trace")
with open(trace) as f:
    TEXT = f.read()
n = 0


def write(name, text):
    path = os.path.join(base, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def ingest_refused(name, path, needle, *labels, out=None):
    global n
    n += 1
    new = out is None
    out = out or os.path.join(base, f"out{n}")
    refused(f"ingest {name}", [exe, "trace", "ingest", *labels, "--out", out, path], needle,
            timeout=10)
    check(f"ingest {name}", not new or not os.path.exists(os.path.join(out, "summary.json")),
          "results were written")


fifo = os.path.join(base, "fifo")
os.mkfifo(fifo)
ingest_refused("a FIFO", fifo, "FIFO")
n += 1
refused("record --rmi-sites FIFO", [exe, "trace", "record", "--rmi-sites", fifo, "--out",
                                    os.path.join(base, "rec"), "--", "true"], "FIFO", timeout=10)
ingest_refused("/dev/zero", "/dev/zero", "character device")
sparse = os.path.join(base, "sparse")
with open(sparse, "w") as f:
    f.truncate(3 << 30)
ingest_refused("a 3 GB sparse file", sparse, "NUL")
bad_cpu = write("cpu65536.trace", TEXT.replace("[001] .....   100.000027", "[65536] .....   100.000027", 1))
ingest_refused("a line whose CPU does not parse", bad_cpu, "not in the kernel's trace format")
long_stage = write("long.trace", TEXT.replace("100.000036: rmeb_abort_ret", "10100.000036: rmeb_abort_ret", 1)
                   .replace("100.000040: kvm_entry", "10100.000040: kvm_entry", 1))
ingest_refused("a 10,000 s stage", long_stage, "4.29 s")
headers = write("headers.trace", "".join(l + "\n" for l in TEXT.splitlines() if l.startswith("#")))
ingest_refused("a trace of headers only", headers, "nothing to write")
ingest_refused("an empty trace", write("empty.trace", ""), "nothing to write")
no_faults = write("nofaults.trace", "".join(
    l + "\n" for l in TEXT.splitlines() if l.startswith("#") or "kvm_exit" in l or "kvm_entry" in l))
ingest_refused("a trace with no fault spans", no_faults, "no fault spans")
for labels, needle in ((["--page", "3K"], "--page"), (["--abi", "banana"], "--abi"),
                       (["--vm", "realm", "--policy", "cca-v14", "--abi", "banana"], "--abi"),
                       (["--policy", "cca-rmm2"], "--policy"),
                       (["--pattern", 'se"q'], "--pattern")):
    ingest_refused(" ".join(labels), trace, needle, *labels)
done = os.path.join(base, "done")
p = run([exe, "trace", "ingest", "--out", done, trace])
check("ingest the fixture", p.returncode == 0, p.stderr)
ingest_refused("into an existing --out", trace, "already holds", out=done)
with open(os.path.join(done, "summary.json")) as f:
    extra = json.load(f)["runs"][0]["extra"]
check("unparsed lines are counted", extra.get("unparsed_lines") == 0, f"extra {extra}")

# Below the threshold a bad line is counted, not hidden: 60 copies of the
# trace's spans, one second apart, then one line that does not parse.
body = [l for l in TEXT.splitlines() if not l.startswith("#")]
copies = []
for k in range(60):
    copies += [re.sub(r"(\s)100\.(\d{6}):", lambda m: f"{m.group(1)}{100 + k}.{m.group(2)}:", l)
               for l in body]
copies.insert(len(body), "this line is not a trace event")
big = write("big.trace", "".join(l + "\n" for l in copies))
out = os.path.join(base, "counted")
p = run([exe, "trace", "ingest", "--out", out, big])
check("one bad line in 60 copies", p.returncode == 0, p.stderr)
if p.returncode == 0:
    with open(os.path.join(out, "summary.json")) as f:
        extra = json.load(f)["runs"][0]["extra"]
    check("the bad line is in the results", extra.get("unparsed_lines") == 1, f"extra {extra}")
n += 2
finish("hostile trace", n)
