#!/usr/bin/env python3
"""Check what the QEMU arm64 host sent back (scripts/qemu/e2e.sh).

Usage: check_results.py OUT_DIR PAGES
OUT_DIR holds console.log and results/ (touch/, and kvm-run/ + kvm-trace/
when the tree has the kvm backend). Prints the kernel stage breakdown it
found; exit 0 when every check holds, 1 otherwise, 2 on bad usage.
"""
import json
import os
import sys


def main():
    if len(sys.argv) != 3 or not sys.argv[2].isdigit():
        print(__doc__, file=sys.stderr)
        return 2
    out, pages = sys.argv[1], int(sys.argv[2])
    failures = []

    def check(cond, what):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            failures.append(what)

    with open(os.path.join(out, "console.log"), errors="replace") as f:
        console = f.read().splitlines()
    lines = {l.strip() for l in console if l.startswith("RMEB-")}
    for want in ("RMEB-KVM yes", "RMEB-TRACEFS yes", "RMEB-KPROBES yes",
                 "RMEB-TP kvm_entry yes", "RMEB-TP kvm_exit yes",
                 "RMEB-KPROBE-CREATE yes", "RMEB-BINARY runs",
                 "RMEB-STEP check 0", "RMEB-STEP touch 0"):
        check(want in lines, "console: " + want)

    def load(name, what):
        path = os.path.join(out, "results", name)
        try:
            with open(os.path.join(path, "summary.json")) as f:
                summary = json.load(f)
            with open(os.path.join(path, "meta.json")) as f:
                meta = json.load(f)
        except (OSError, ValueError) as e:
            check(False, "%s: %s readable (%s)" % (what, name, e))
            return None, None
        check(len(summary.get("runs", [])) == 1, "%s: one run" % what)
        return (summary["runs"][0] if summary.get("runs") else None), meta

    def breakdown(run, what):
        stages = run.get("stages", {})
        print("  %s: %d faults, median fault %.1f us (kernel view, QEMU TCG)" %
              (what, run["faults"], run["fault_ns"]["p50_ns"] / 1000.0))
        for name, d in stages.items():
            if d.get("n"):
                print("    %-16s n=%-5d p50=%8.1f us  p90=%8.1f us" %
                      (name, d["n"], d["p50_ns"] / 1000.0, d["p90_ns"] / 1000.0))

    # The known workload: PAGES data pages and the code page, all kernel-timed.
    run, meta = load("touch", "kvm_touch")
    if run:
        check(run["source"] == "real-vm", "kvm_touch: source real-vm")
        check(run["faults"] == pages + 1,
              "kvm_touch: %d faults (expected %d)" % (run["faults"], pages + 1))
        check(run.get("kinds", {}).get("normal") == pages + 1, "kvm_touch: all faults normal")
        st = run.get("stages", {})
        check(st.get("s2_map", {}).get("n") == pages + 1, "kvm_touch: s2_map timed per fault")
        check(st.get("page_pin", {}).get("n", 0) >= pages, "kvm_touch: page_pin timed")
        check(st.get("abort_dispatch", {}).get("n") == pages + 1,
              "kvm_touch: abort_dispatch timed per fault")
        plat = meta.get("host", {}).get("platform", {})
        check(plat.get("kind") == "qemu-tcg" and plat.get("emulated") is True,
              "kvm_touch: meta says the platform is QEMU TCG (emulated CPU)")
        breakdown(run, "kvm_touch")

    # The suite's kvm backend, when this tree has it.
    if "RMEB-STEP kvm absent" in lines:
        print("note kvm backend: not in this build (rme-bench run has no --backend kvm)")
    else:
        check("RMEB-STEP kvm 0" in lines, "console: RMEB-STEP kvm 0")
        vrun, _ = load("kvm-run", "kvm run")
        trun, _ = load("kvm-trace", "kvm trace")
        if vrun:
            check(vrun["faults"] == pages,
                  "kvm run: %d guest-timed first touches (expected %d)" % (vrun["faults"], pages))
        if trun:
            check(trun["faults"] == pages,
                  "kvm trace: %d kernel-timed faults at the guest's pages (expected %d)" %
                  (trun["faults"], pages))
            ex = trun.get("extra", {})
            check(ex.get("guest_touches_without_kernel_fault") == 0,
                  "kvm trace: every guest-timed touch has its kernel fault")
            print("  kvm trace: %s kernel faults outside the pattern (payload pages)" %
                  ex.get("kernel_faults_outside_guest_touches"))
            check(trun.get("stages", {}).get("s2_map", {}).get("n", 0) >= pages,
                  "kvm trace: s2_map timed")
            breakdown(trun, "rme-bench run --backend kvm")

        # Two vCPUs, half the pages each: per-thread correlation.
        check("RMEB-STEP kvm2 0" in lines, "console: RMEB-STEP kvm2 0")
        t2, _ = load("kvm2-trace", "kvm 2 vCPUs trace")
        if t2:
            check(t2["vcpus"] == 2 and t2["faults"] == pages,
                  "kvm 2 vCPUs: %d faults on %d vCPUs (expected %d on 2)" %
                  (t2["faults"], t2["vcpus"], pages))
            per = {}
            with open(os.path.join(out, "results", "kvm2-trace", "faults.csv")) as f:
                next(f)
                for row in f:
                    v = row.split(",")[1]
                    per[v] = per.get(v, 0) + 1
            check(sorted(per.values()) == [pages // 2, pages // 2],
                  "kvm 2 vCPUs: %s faults per vCPU (expected %d each)" % (per, pages // 2))

    if failures:
        print("check_results: %d check(s) failed" % len(failures))
        return 1
    print("check_results: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
