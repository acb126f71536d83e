#!/usr/bin/env python3
"""The SMC sites of an arm64 kernel, for `rme-bench trace --rmi-sites`.

A CCA host kernel issues RMI calls as inline `smc #0` (arm_smccc_1_1_invoke),
so there is no function to probe per call, and arm64 kprobes refuse an
`smc` instruction. This lists, for each `smc` in VMLINUX, a probe point
that runs once per call and knows the function ID. The predecessors of an
`smc` are the instruction before it, unless that one cannot fall through
(ret, b), and every branch to it (arm_smccc_1_1_invoke's conduit check
jumps to the smc: on a CCA host the conduit is SMC, so the branch leads
to it each time it runs):

  SYMBOL+0xOFF          the instruction just before the smc leaves x0
                        alone: x0 holds the FID there (fetched as %x0)
  SYMBOL+0xOFF FID      the instruction before the smc writes x0, from a
                        constant this script read (mov/movk): the site is
                        that instruction, its FID given here

Sites whose FID cannot be found either way are listed as comments (their
calls would go uncounted; the comment says where). Only functions whose
name matches --match (a regular expression, default: the CCA host code)
are scanned. Usage:
  rmi-smc-sites.py [--match REGEX] [--objdump CMD] VMLINUX > sites
"""
import argparse
import re
import subprocess
import sys

INSN = re.compile(r"^\s*([0-9a-f]+):\s+(\S+)\s*(.*)$")
FUNC = re.compile(r"^([0-9a-f]+) <([^>]+)>:$")
BRANCHES = {"b", "cbz", "cbnz", "tbz", "tbnz"}
NO_FALLTHROUGH = {"b", "br", "ret", "retaa", "retab", "brk", "eret"}
NO_WRITE = {"str", "stp", "stur", "strb", "strh", "cmp", "cmn", "tst", "cbz", "cbnz",
            "tbz", "tbnz", "b", "ret", "br", "nop", "hint", "isb", "dsb", "dmb", "prfm"}


def writes_x0(mnem, ops):
    if mnem in ("bl", "blr"):
        return True  # a call returns in x0
    if mnem in NO_WRITE or mnem.startswith("b."):
        return False
    first = ops.split(",")[0].strip()
    return first in ("x0", "w0")


def static_fid(body, i):
    """The constant x0 holds at instruction i (the smc), from the mov/movk
    pair that builds it just before, or None."""
    lo = hi = None
    for j in range(i - 1, max(-1, i - 12), -1):
        _, mnem, ops = body[j]
        parts = [p.strip() for p in ops.split(",")]
        if not parts or parts[0] not in ("x0", "w0"):
            continue
        if mnem == "movk" and len(parts) >= 3 and "lsl #16" in parts[2] and hi is None:
            hi = int(parts[1].lstrip("#"), 0)
        elif mnem == "mov" and len(parts) >= 2 and parts[1].startswith("#") and lo is None:
            lo = int(parts[1].lstrip("#").split()[0], 0)
            break
        else:
            return None  # x0 comes from elsewhere
    if lo is None or hi is None:
        return None
    return (hi << 16) | (lo & 0xffff)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("vmlinux")
    ap.add_argument("--match", default=r"realm|rmi|rec_|rtt|ripas|gmem|delegat|populate")
    ap.add_argument("--objdump", default="aarch64-linux-gnu-objdump")
    a = ap.parse_args()
    want = re.compile(a.match)
    try:
        out = subprocess.run([a.objdump, "-d", "--no-show-raw-insn", a.vmlinux],
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"rmi-smc-sites.py: cannot disassemble {a.vmlinux}: {e}", file=sys.stderr)
        return 1
    funcs, name, base, body = [], None, 0, []
    for line in out.splitlines():
        m = FUNC.match(line)
        if m:
            if name:
                funcs.append((name, base, body))
            name, base, body = m.group(2), int(m.group(1), 16), []
            continue
        m = INSN.match(line)
        if m and name:
            body.append((int(m.group(1), 16), m.group(2), m.group(3).split("//")[0].strip()))
    if name:
        funcs.append((name, base, body))
    sites = resolved = skipped = 0
    print(f"# SMC sites of {a.vmlinux} (functions matching {a.match!r}); see the script's help")
    for name, base, body in funcs:
        if not want.search(name):
            continue
        # Branches into each address of the function (an smc is often the
        # target of the conduit check's b.eq, not reached by falling in).
        into = {}
        for k, (baddr, bmnem, bops) in enumerate(body):
            if bmnem in BRANCHES or bmnem.startswith("b."):
                m = re.search(r"\b([0-9a-f]{8,})\b", bops)
                if m:
                    into.setdefault(int(m.group(1), 16), []).append(k)
        for i, (addr, mnem, ops) in enumerate(body):
            if mnem != "smc":
                continue
            preds = [k for k in into.get(addr, [])]
            if i > 0 and body[i - 1][1] not in NO_FALLTHROUGH:
                preds.append(i - 1)
            if not preds:
                print(f"# unresolved: smc at {name}+{addr - base:#x} has no predecessor")
                skipped += 1
            for k in sorted(set(preds)):
                paddr, pmnem, pops = body[k]
                if not writes_x0(pmnem, pops):
                    print(f"{name}+{paddr - base:#x}")
                    sites += 1
                    continue
                fid = static_fid(body, i) if k == i - 1 else None
                if fid is not None:
                    print(f"{name}+{paddr - base:#x} {fid:#x}")
                    resolved += 1
                else:
                    print(f"# unresolved: smc at {name}+{addr - base:#x} "
                          f"(x0 set by '{pmnem} {pops}')")
                    skipped += 1
    print(f"rmi-smc-sites.py: {sites} sites with x0 live, {resolved} with a constant FID, "
          f"{skipped} unresolved", file=sys.stderr)
    return 0 if sites + resolved else 1


if __name__ == "__main__":
    sys.exit(main())
