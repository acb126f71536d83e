#!/usr/bin/env python3
"""Recompute the numbers of the docs' tables from the committed results and
fail on a mismatch (ctest label `docs`).

A checked table is preceded by one comment line naming its data:

    <!-- check: SOURCE | KEYS | EXPR ; EXPR ; ... -->

SOURCE  `summary:DIR` (the runs of DIR/summary.json), `kernel:DIR` (the one
        run of each DIR/*/summary.json), `csv:FILE` (the rows of a CSV,
        '#' lines skipped), `sim` (each row runs `rme-bench run` on the sim
        backend: the key columns and FIXED name the configuration).
KEYS    the table's first columns, comma-separated, each one or more fields
        joined by '+' (the cell holds them separated by spaces), e.g.
        `pattern+page,vcpus`. A row matches the runs (or CSV rows) whose
        fields equal the cells (sizes as 2M, 4M, ...). `sim` appends
        `;FIXED` options after the keys: `pattern+page,vcpus;--policy cca-rmm2`.
EXPR    one per remaining column, a Python expression over `r` (the one
        matching run), `realm` / `normal` (the matching runs of that VM),
        `row` (a CSV row) and helpers: hist(run[, skip_kind]) = "calls:
        faults, ..." from the run's faults.csv (faults of SKIP_KIND left
        out), calls(run[, skip_kind]) their sum, num(x, fmt) formats, us(ns) = "%.0f",
        sim(run, OPTS...) the sim's run of the same configuration,
        insn(run, COLUMN[, STAT]) a merged instruction column's median (or
        STAT) from summary.json "insn",
        trimmed_mean(run) the mean whole fault up to the run's p99.
        A column whose header is in `...` brackets is not checked: write
        `-` as its EXPR. `cases:DIR` counts the RMI command files there
        (rows abi, files, commands).

Cells are compared as text after removing ** and backticks. Every
mismatch is printed with the file, line, expected and found value.
usage: check_numbers.py SOURCE_ROOT RME_BENCH WORKDIR [--fix]
--fix rewrites the cells that differ with the values the data give (after
regenerating results, e.g. results/reference); the test never passes it.
"""
import csv
import glob
import json
import os
import re
import shutil
import subprocess
import sys

root, bench, work = sys.argv[1], sys.argv[2], sys.argv[3]
FIX = "--fix" in sys.argv[4:]
fixes = {}  # (path, line) -> {column: value}
DOCS = ["README.md", "results/README.md"] + sorted(glob.glob(os.path.join(root, "docs", "*.md")))
MARK = re.compile(r"^<!-- check: (.*?) \| (.*?) \| (.*) -->\s*$")


def size_str(n):
    for unit, div in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if n % div == 0:
            return "%d%s" % (n // div, unit)
    return str(n)


def field(run, name):
    v = run[name]
    return size_str(v) if name == "size" and isinstance(v, int) else str(v)


def load_runs(src):
    kind, _, arg = src.partition(":")
    path = os.path.join(root, arg)
    if kind == "summary":
        with open(os.path.join(path, "summary.json")) as f:
            runs = json.load(f)["runs"]
        for i, r in enumerate(runs):
            r["_dir"], r["_id"] = path, i
        return runs
    if kind == "kernel":
        out = []
        for d in sorted(glob.glob(os.path.join(path, "*", "summary.json"))):
            with open(d) as f:
                r = json.load(f)["runs"][0]
            r["_dir"], r["_id"] = os.path.dirname(d), 0
            out.append(r)
        return out
    if kind == "cases":
        # RMI command files: v1_*.rmi are RMI 1.0, v2_*.rmi RMI 2.0; a
        # command is a line that is neither blank nor a comment.
        out = []
        for abi, prefix in (("1.0", "v1_"), ("2.0", "v2_")):
            files = sorted(glob.glob(os.path.join(path, prefix + "*.rmi")))
            n = 0
            for fn in files:
                with open(fn) as f:
                    n += sum(1 for l in f if l.strip() and not l.lstrip().startswith("#"))
            out.append({"abi": abi, "files": len(files), "commands": n})
        return out
    if kind == "csv":
        with open(path) as f:
            return list(csv.DictReader(l for l in f if not l.startswith("#")))
    raise SystemExit("unknown source " + src)


def fault_calls(run, skip_kind=None):
    with open(os.path.join(run["_dir"], "faults.csv")) as f:
        for row in csv.DictReader(f):
            if int(row["run"]) == run["_id"] and row["kind"] != skip_kind:
                yield int(row["rmi_calls"])


def calls(run, skip_kind=None):
    return sum(fault_calls(run, skip_kind))


def hist(run, skip_kind=None):
    n = {}
    for c in fault_calls(run, skip_kind):
        n[c] = n.get(c, 0) + 1
    return ", ".join("%d: %d" % (k, n[k]) for k in sorted(n))


def trimmed_mean(run):
    """The stages figure's dot: the mean whole fault over the run's faults
    up to its p99 (summary.json fault_ns.p99_ns)."""
    p99 = run["fault_ns"]["p99_ns"]
    with open(os.path.join(run["_dir"], "faults.csv")) as f:
        t = [int(row["total_ns"]) for row in csv.DictReader(f)
             if int(row["run"]) == run["_id"] and int(row["total_ns"]) <= p99]
    return sum(t) / len(t)


def num(x, fmt):
    return format(x, fmt)


def us(ns):
    return "%.0f" % (ns / 1000.0)


sim_cache = {}


def sim_runs(opts):
    key = tuple(opts)
    if key not in sim_cache:
        out = os.path.join(work, "sim%d" % len(sim_cache))
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run([bench, "run"] + list(opts) + ["--out", out], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sim_cache[key] = load_runs("summary:" + os.path.relpath(out, root))
    return sim_cache[key]


def sim(run, *opts):
    """The sim's run of RUN's configuration (pattern, page, size, vCPUs, VM)
    with extra OPTS, e.g. sim(r, '--policy', 'cca-rmm2')."""
    base = ["--vm", run["vm"], "--pattern", run["pattern"], "--page", run["page"],
            "--size", size_str(run["size"]), "--vcpus", str(run["vcpus"])]
    for r in sim_runs(base + list(opts)):
        if r["vm"] == run["vm"]:
            return r
    raise KeyError("no %s run in the sim output" % run["vm"])


def cells(line):
    return [c.strip().replace("**", "").replace("`", "") for c in line.strip().strip("|").split("|")]


insn_cache = {}  # results dir -> {run index: metrics}: one read per directory


def insn(run, column, stat="p50"):
    """A merged instruction column's statistic for one run (summary.json
    "insn", written by `rme-bench insn merge`)."""
    if run["_dir"] not in insn_cache:
        with open(os.path.join(run["_dir"], "summary.json")) as f:
            insn_cache[run["_dir"]] = {e["run"]: e["metrics"] for e in json.load(f)["insn"]}
    return insn_cache[run["_dir"]][run["_id"]][column][stat]


def check_table(path, lineno, lines, src, keys, exprs):
    fails = 0
    fixed = []
    if src == "sim":
        keys, _, rest = keys.partition(";")
        fixed = rest.split()
        runs = None
    else:
        runs = load_runs(src)
    keyspec = [k.strip().split("+") for k in keys.split(",")]
    exprs = [e.strip() for e in exprs.split(";")]
    rows = 0
    for n, line in enumerate(lines, start=lineno):
        if not line.startswith("|"):
            break
        c = cells(line)
        if set(line.strip()) <= set("|-: ") or n == lineno:
            continue  # header and rule
        want = {}
        for spec, cell in zip(keyspec, c):
            # One field takes the whole cell ("L3 to 2M"); several split it.
            parts = cell.split() if len(spec) > 1 else [cell]
            if len(parts) != len(spec):
                print("%s:%d: key cell %r does not hold %s" % (path, n, cell, "+".join(spec)))
                fails += 1
                break
            want.update(zip(spec, parts))
        if src == "sim":
            opts = list(fixed)
            for k, v in want.items():
                opts += ["--" + k, v]
            cand = sim_runs(opts)
        else:
            cand = runs
        match = [r for r in cand if all(field(r, k) == v for k, v in want.items())]
        env = {"hist": hist, "calls": calls, "num": num, "us": us, "sim": sim,
               "trimmed_mean": trimmed_mean, "insn": insn}
        env["realm"] = next((r for r in match if r.get("vm") == "realm"), None)
        env["normal"] = next((r for r in match if r.get("vm") == "normal"), None)
        env["r"] = match[0] if len(match) == 1 else env["realm"]
        env["row"] = match[0] if match else None
        if not match:
            print("%s:%d: no data for %s" % (path, n, want))
            fails += 1
            continue
        for col, (expr, cell) in enumerate(zip(exprs, c[len(keyspec):]), start=len(keyspec)):
            if expr == "-":
                continue
            try:
                got = str(eval(expr, env))
            except Exception as e:  # a broken expression is a failure, never a pass
                got = "<%s: %s>" % (type(e).__name__, e)
            if got != cell:
                print("%s:%d: %s: the table says %r, the data give %r" % (path, n, expr, cell, got))
                fails += 1
                fixes.setdefault((path, n), {})[col] = got
        rows += 1
    if rows == 0:
        print("%s:%d: a check marker with no table rows under it" % (path, lineno))
        fails += 1
    return fails, rows


def apply_fixes():
    by_file = {}
    for (path, n), cols in fixes.items():
        by_file.setdefault(path, {})[n] = cols
    for path, rows in by_file.items():
        full = os.path.join(root, path)
        with open(full) as f:
            lines = f.read().split("\n")
        for n, cols in rows.items():
            c = [x.strip() for x in lines[n - 1].strip().strip("|").split("|")]
            for col, v in cols.items():
                c[col] = v
            lines[n - 1] = "| " + " | ".join(c) + " |"
        with open(full, "w") as f:
            f.write("\n".join(lines))


def main():
    os.makedirs(work, exist_ok=True)
    fails = tables = rows = 0
    for doc in DOCS:
        path = os.path.join(root, doc) if not os.path.isabs(doc) else doc
        with open(path) as f:
            lines = f.read().split("\n")
        for i, line in enumerate(lines):
            m = MARK.match(line)
            if m:
                f_, r_ = check_table(os.path.relpath(path, root), i + 2, lines[i + 1:], *m.groups())
                fails += f_
                rows += r_
                tables += 1
    print("%d tables, %d rows checked, %d mismatches" % (tables, rows, fails))
    if FIX and fixes:
        apply_fixes()
        print("rewrote %d rows" % len(fixes))
        return 0
    if tables == 0:
        print("no checked tables found: the docs lost their markers")
        return 1
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
