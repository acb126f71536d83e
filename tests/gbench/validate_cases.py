#!/usr/bin/env python3
"""Runs `rme-bench gbench` briefly over every case and checks DIR/gbench.json:
strict JSON, every expected case present, the context keys, numbers where a
case measured something, errors only where documented (a fault configuration
whose sim_run fails: "sim_run failed: ..."), and the command's bad-input
handling.
Usage: validate_cases.py RME_BENCH"""
import os
import re
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import strict_json  # noqa: E402

failures = []

# RMI commands of the model measured per ABI (docs/gbench.md); PSCI_COMPLETE
# (not in the model) and OP_CONTINUE (never valid in the model) are not.
COMMON = ["VERSION", "FEATURES", "REALM_CREATE", "REALM_ACTIVATE",
          "REALM_DESTROY", "REC_CREATE", "REC_DESTROY", "REC_ENTER",
          "RTT_CREATE", "RTT_CREATE/unfold", "RTT_DESTROY", "RTT_FOLD",
          "RTT_READ_ENTRY", "RTT_INIT_RIPAS", "RTT_SET_RIPAS"]
RMI = {
    "1.0": COMMON + ["GRANULE_DELEGATE", "GRANULE_UNDELEGATE", "DATA_CREATE",
                     "DATA_CREATE_UNKNOWN", "DATA_DESTROY",
                     "RTT_MAP_UNPROTECTED", "RTT_UNMAP_UNPROTECTED",
                     "REC_AUX_COUNT"],
    "2.0": COMMON + ["GRANULE_RANGE_DELEGATE/4K", "GRANULE_RANGE_DELEGATE/2M",
                     "GRANULE_RANGE_UNDELEGATE/4K",
                     "GRANULE_RANGE_UNDELEGATE/2M", "RTT_DATA_MAP_INIT",
                     "RTT_DATA_MAP/4K", "RTT_DATA_MAP/2M", "RTT_DATA_UNMAP/4K",
                     "RTT_DATA_UNMAP/2M", "RTT_UNPROT_MAP", "RTT_UNPROT_UNMAP"],
}
OTHERS = ["clock/now", "clock/ticks_to_ns", "clock/stage_mark",
          "clock/stage_mark_off", "clock/fault_timer", "s2map/4K",
          "s2map/4K_shared", "s2map/2M", "s2map/relax_4K"]
CONTEXT = ["abi", "policy", "clock_source", "clock_freq_hz", "topology",
           "source", "backend", "rmeb_version"]
BRIEF = ["--min-time", "0.002", "--fault-runs", "1", "--fault-size", "2M",
         "--fault-timeout", "5"]


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def run(prog, *args, env=None):
    return subprocess.run([prog, *args], capture_output=True, text=True,
                          timeout=600, env=env)


def listed(prog, what):
    r = run(prog, "list", what)
    return [(l.split()[0], l.split()[1], l) for l in r.stdout.splitlines()
            if l.strip()]


def base(name):
    """Case name without the library's suffixes (/min_time:..., ...)."""
    return re.sub(r"/(min_time|iterations|manual_time|repeats).*$", "", name)


def check_full(prog, out):
    r = run(prog, "gbench", "--out", out, *BRIEF)
    check(r.returncode in (0, 1), "full run: exit 0 or 1 (got %d: %s)"
          % (r.returncode, r.stderr.strip()[-500:]))
    path = os.path.join(out, "gbench.json")
    try:
        doc = strict_json.load_file(path)
    except (OSError, ValueError) as e:
        check(False, "gbench.json strict JSON: %s" % e)
        return
    ctx = doc["context"]
    for key in CONTEXT:
        check(key in ctx and ctx[key] != "", "context key " + key)
    check(ctx.get("topology") == "topology.xml", "context topology file name")
    check(ctx.get("source") == "sim-measured", "context source")
    check(ctx.get("abi") == "1.0,2.0", "context abi")
    check(int(ctx.get("clock_freq_hz", "0")) > 0, "context clock frequency")
    try:
        with open(os.path.join(out, "topology.xml")) as f:
            check("<topology" in f.read(), "topology.xml is hwloc XML")
    except OSError as e:
        check(False, "topology.xml written: %s" % e)

    runs = {base(b["name"]): b for b in doc["benchmarks"]}
    expected = ["rmi/%s/%s" % (abi, c) for abi in RMI for c in RMI[abi]]
    expected += OTHERS
    patterns = listed(prog, "patterns")
    policies = [p[0] for p in listed(prog, "policies")]
    check(len(patterns) >= 9 and len(policies) >= 3, "list patterns/policies")
    for pol in policies:
        for name, _, line in patterns:
            for page in ("4K", "2M"):
                if page == "4K" and "[2M backing]" in line:
                    continue
                expected.append("fault/%s/%s/%s" % (pol, name, page))
    for name in expected:
        check(name in runs, "case present: " + name)
    errors = 0
    for name, b in runs.items():
        if b.get("error_occurred"):
            errors += 1
            msg = b.get("error_message", "")
            check(name.startswith("fault/") and msg.startswith("sim_run failed:"),
                  "undocumented error in %s: %s" % (name, msg))
            continue
        check(b["real_time"] > 0, name + ": time > 0")
        check("sim-measured" in b.get("label", ""), name + ": label says sim-measured")
        if name.startswith("fault/"):
            check(b.get("fault_p50_ns", 0) > 0 and b.get("faults", 0) > 0,
                  name + ": fault counters")
            check(any(k.endswith("_p50_ns") and k != "fault_p50_ns" for k in b),
                  name + ": per-stage counters")
        else:
            check(b.get("p50_ns", 0) > 0, name + ": p50_ns")
    check((errors == 0) == (r.returncode == 0),
          "exit status 1 exactly when a case reported an error")
    # The baseline configurations must measure: a broken fault case
    # cannot pass as "documented".
    for name in ("fault/normal/seq/4K", "fault/cca-v1/seq/4K"):
        check(name in runs and not runs[name].get("error_occurred"),
              name + " measured")
    print("full run: %d cases, %d documented error(s)" % (len(runs), errors))


def check_options(prog, tmp):
    out = os.path.join(tmp, "abi2")
    r = run(prog, "gbench", "--out", out, "--abi", "2.0", "--filter",
            "^rmi/.*VERSION", *BRIEF)
    check(r.returncode == 0, "--abi 2.0 run exit 0")
    try:
        doc = strict_json.load_file(os.path.join(out, "gbench.json"))
        names = [base(b["name"]) for b in doc["benchmarks"]]
        check(names == ["rmi/2.0/VERSION"], "--abi 2.0 selects 2.0 cases (%s)" % names)
        check(doc["context"].get("abi") == "2.0", "--abi 2.0 in context")
    except (OSError, ValueError, KeyError) as e:
        check(False, "--abi run output: %s" % e)

    # A run that never finishes is killed and reported, not waited for.
    out = os.path.join(tmp, "hang")
    env = dict(os.environ, RMEB_GBENCH_TEST_HANG="1")
    r = run(prog, "gbench", "--out", out, "--filter", "^fault/normal/seq/4K",
            "--fault-timeout", "0.5", *BRIEF, env=env)
    check(r.returncode == 1, "hung run: exit 1 (got %d)" % r.returncode)
    try:
        doc = strict_json.load_file(os.path.join(out, "gbench.json"))
        b = doc["benchmarks"][0]
        check(b.get("error_occurred") and "killed" in b.get("error_message", ""),
              "hung run reported as killed")
    except (OSError, ValueError, KeyError, IndexError) as e:
        check(False, "hung run output: %s" % e)

    out = os.path.join(tmp, "none")
    r = run(prog, "gbench", "--out", out, "--filter", "matches_nothing")
    check(r.returncode == 1, "empty selection: exit 1")
    check(not os.path.exists(os.path.join(out, "gbench.json")),
          "empty selection: no gbench.json")

    for args, opt in ((["--min-time", "0"], "--min-time"),
                      (["--min-time", "x"], "--min-time"),
                      (["--abi", "3.0"], "--abi"),
                      (["--policy", "nope"], "--policy"),
                      (["--fault-size", "3M"], "--fault-size"),
                      (["--fault-runs", "0"], "--fault-runs"),
                      (["--fault-vcpus", "0"], "--fault-vcpus"),
                      (["--fault-timeout", "-1"], "--fault-timeout"),
                      (["--bogus"], "--bogus"),
                      (["stray"], "stray"),
                      (["--", "--benchmark_out=x.json"], "--out"),
                      (["--", "--no_such_gbench_flag"], "")):
        r = run(prog, "gbench", "--out", os.path.join(tmp, "bad"), *args)
        check(r.returncode == 2 and opt in r.stderr,
              "bad input %s: exit 2 naming %s (got %d: %s)"
              % (args, opt, r.returncode, r.stderr.strip()[-200:]))


def main():
    prog = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        check_full(prog, os.path.join(tmp, "full"))
        check_options(prog, tmp)
    if failures:
        print("%d check(s) failed" % len(failures), file=sys.stderr)
        return 1
    print("gbench cases: complete, strict JSON, documented errors only")
    return 0


if __name__ == "__main__":
    sys.exit(main())
