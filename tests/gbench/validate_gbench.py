#!/usr/bin/env python3
"""Runs test_gbench with different flags; checks exit status and that every
JSON it writes is strict (no NaN/Infinity, no duplicate keys) and complete.
Usage: validate_gbench.py PROGRAM"""
import glob
import os
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import strict_json  # noqa: E402

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def run(prog, *args):
    return subprocess.run([prog, *args], capture_output=True, text=True,
                          timeout=300)


def check_full_output(doc):
    ctx = doc["context"]
    check(ctx.get("rmeb_backend") == "sim", "context key rmeb_backend")
    check(ctx.get("rmeb_escape") == 'a"b\\c\td', "context value escaped")
    runs = {b["name"]: b for b in doc["benchmarks"]}
    for pages in (4, 16, 64):
        name = "touch/pages:%d" % pages
        check(name in runs, "case " + name)
        if name not in runs:
            continue
        r = runs[name]
        check(r["time_unit"] == "us", name + " unit")
        check(r["pages"] == pages, name + " counter pages")
        check(r["touches"] > 0, name + " rate counter")
        check(abs(r["per_iter"] - pages) < 1e-9, name + " avg counter")
        check(r["bytes_per_second"] > 0, name + " bytes_per_second")
        check(r.get('odd "name" \\') == 1, name + " escaped counter name")
        check(r["label"] == 'label with "quotes" and \\ backslash',
              name + " label")
    for a, b in ((1, 2), (3, 4)):
        name = "manual_zero/%d/%d/iterations:5/manual_time" % (a, b)
        check(name in runs, "case " + name)
        if name not in runs:
            continue
        r = runs[name]
        check(r["iterations"] == 5, name + " iterations")
        check(r["real_time"] == 0, name + " manual time 0")
        check(r["kept"] == a + b, name + " finite counter kept")
        for gone in ("rate", "zero_rate", "items_per_second", "nan", "inf"):
            check(gone not in r, name + " non-finite " + gone + " omitted")
        check("non-finite omitted: items_per_second,rate,zero_rate"
              in r.get("label", ""), name + " label names omitted counters")
    name = "threaded/real_time/threads:2"
    check(name in runs, "case " + name)
    if name in runs:
        check(runs[name]["threads"] == 2, name + " threads")
        check(runs[name].get("per_thread") == 1, name + " avg over threads")
    check(not any(n.startswith(("fails", "returns_early", "refusals"))
                  for n in runs), "filter respected")


def main():
    prog = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "gbench.json")
        r = run(prog, "--benchmark_filter=^(touch|manual_zero|threaded)",
                "--benchmark_min_time=0.01", "--benchmark_out=" + out,
                "--benchmark_out_format=json")
        check(r.returncode == 0, "normal run exit 0 (got %d: %s)"
              % (r.returncode, r.stderr.strip()))
        try:
            with open(out) as f:
                check_full_output(strict_json.loads(f.read()))
        except (OSError, ValueError, KeyError) as e:
            check(False, "output file strict JSON: %s" % e)

        # JSON on stdout goes through the same strict reporter.
        r = run(prog, "--benchmark_filter=manual_zero",
                "--benchmark_format=json")
        check(r.returncode == 0, "json display exit 0")
        try:
            doc = strict_json.loads(r.stdout)
            check(len(doc["benchmarks"]) == 2, "json display: 2 cases")
        except ValueError as e:
            check(False, "stdout strict JSON: %s" % e)

        # Repetitions: the cv aggregate of all-zero times is 0/0.
        r = run(prog, "--benchmark_filter=manual_zero/1/",
                "--benchmark_repetitions=2", "--benchmark_format=json")
        check(r.returncode == 0, "repetitions exit 0")
        try:
            doc = strict_json.loads(r.stdout)
            cv = [b for b in doc["benchmarks"]
                  if b.get("aggregate_name") == "cv"]
            check(len(cv) == 1 and "non-finite time written as 0"
                  in cv[0].get("label", ""), "cv aggregate noted")
        except (ValueError, KeyError) as e:
            check(False, "repetitions strict JSON: %s" % e)

        # Listing writes nothing to the output file: none is left.
        listed = os.path.join(tmp, "list.json")
        r = run(prog, "--benchmark_list_tests=true",
                "--benchmark_out=" + listed)
        check(r.returncode == 0 and "touch/pages:4" in r.stdout,
              "list tests")
        check(not glob.glob(listed + "*"), "list tests: no empty file")

        # Errors: exit 1, and no output file (not even a temporary).
        for case in ("fails", "returns_early"):
            bad = os.path.join(tmp, case + ".json")
            r = run(prog, "--benchmark_filter=^%s$" % case,
                    "--benchmark_out=" + bad)
            check(r.returncode == 1, case + ": exit 1 (got %d)"
                  % r.returncode)
            check(not glob.glob(bad + "*"), case + ": no file left")

        # Kept on request: the file is written, strict, and marks the error.
        kept = os.path.join(tmp, "kept.json")
        env = dict(os.environ, RMEB_TEST_KEEP_OUTPUT="1")
        r = subprocess.run([prog, "--benchmark_filter=^(fails|manual_zero/1/)",
                            "--benchmark_out=" + kept], capture_output=True,
                           text=True, timeout=300, env=env)
        check(r.returncode == 1, "kept output: exit 1 (got %d)" % r.returncode)
        check("runs_failed=1" in r.stderr, "kept output: one failed run counted")
        try:
            with open(kept) as f:
                doc = strict_json.loads(f.read())
            errs = [b["name"] for b in doc["benchmarks"] if b.get("error_occurred")]
            check(len(errs) == 1 and errs[0].startswith("fails/"),
                  "kept output: error entry for fails only (%s)" % errs)
            check(len(doc["benchmarks"]) == 2, "kept output: both cases present")
        except (OSError, ValueError, KeyError) as e:
            check(False, "kept output strict JSON: %s" % e)
        check(not glob.glob(kept + ".tmp*"), "kept output: no temporary left")
        r = subprocess.run([prog, "--benchmark_filter=matches_nothing",
                            "--benchmark_out=" + kept + "2"],
                           capture_output=True, text=True, timeout=300, env=env)
        check(r.returncode == 1 and not glob.glob(kept + "2*"),
              "kept output: nothing ran, no file")

        r = run(prog, "--benchmark_filter=matches_nothing")
        check(r.returncode == 1, "empty filter: exit 1")
        r = run(prog, "--no_such_flag")
        check(r.returncode == 2, "unknown flag: exit 2")
        r = run(prog, "--benchmark_out_format=xml")
        check(r.returncode == 2, "unknown format: exit 2")
        r = run(prog, "--benchmark_filter=touch",
                "--benchmark_out=" + os.path.join(tmp, "no/such/dir.json"))
        check(r.returncode == 1, "unwritable output: exit 1")
    if failures:
        print("%d check(s) failed" % len(failures), file=sys.stderr)
        return 1
    print("gbench JSON strict and complete")
    return 0


if __name__ == "__main__":
    sys.exit(main())
