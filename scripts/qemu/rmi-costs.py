#!/usr/bin/env python3
"""RMM and EL3 instructions per RMI command, from one run of the SMC
driver (tools/rmi_smc_driver) under QEMU with rme-bench's instruction
plugin.

Inputs, all of the same run:
  PLUGIN  the plugin's out= file: one "C" record per SMC the normal world
          issued at EL2 (function ID, status, counts by world and class)
  UART    the driver's console: "rmeb-smc LINE FID X0 X1 X2 X3 X4 [exit=R]"
  CMDS    the RMI command file the SMC image was made from
  MODEL   (optional) `rme-bench rmi` output for CMDS: the model's status of
          each line, held against the real RMM's (a differential check)

The k-th RMI call of the plugin is the k-th call line of the UART log; the
two must agree on function ID and status, else the run is refused (exit 2):
nothing is joined by guesswork. A call whose record is flagged (the normal
world resumed elsewhere than after the SMC, or the call never returned) is
reported and left out of the statistics.

Writes CSV on stdout: one row per (command, variant, status) -- and one
for the driver's PSCI_VERSION calls, the bare SMC round trip -- with the call
count and min/p50/max of the EL3 (root) and RMM (realm EL2) instructions,
the median of realm EL1/EL0 (the RMM's own EL0 apps -- REALM_CREATE runs
its attestation and crypto app -- and, in REC_ENTER, the realm guest),
their total, and the op classes' medians over all three. The variant says what size of work a call did: level
for table commands, bytes for range commands, exit reason for REC_ENTER.

Usage: rmi-costs.py [--provenance TEXT]... PLUGIN UART CMDS [MODEL]
"""
import statistics
import sys

PSCI_VERSION = 0x84000000  # the driver's bare SMC round trips
# The driver's own calls (line 0): the host's once-per-boot RMM set-up.
BOOT_CALLS = {0xC40001EC: "RMM_CONFIG_GET", 0xC400016E: "RMM_CONFIG_SET",
              0xC4000202: "RMM_ACTIVATE"}
# Calls the driver makes to finish a stateful operation (RMI_INCOMPLETE).
STEP_CALLS = {0xC40001F1: "GRANULE_RANGE_DELEGATE", 0xC4000203: "OP_CONTINUE",
              0xC4000208: "OP_MEM_DONATE", 0xC4000209: "OP_MEM_RECLAIM"}
RMI_FID_BASE, RMI_FID_END = 0xC4000150, 0xC40002D0  # SMCCC: the RMI range
LEVEL_ARG = {"RTT_CREATE": 4, "RTT_DESTROY": 3, "RTT_FOLD": 3, "RTT_READ_ENTRY": 3}
RANGE_ARGS = {"GRANULE_RANGE_DELEGATE": (1, 2), "GRANULE_RANGE_UNDELEGATE": (1, 2),
              "RTT_DATA_MAP": (2, 3), "RTT_DATA_UNMAP": (2, 3), "RTT_UNPROT_MAP": (2, 3),
              "RTT_UNPROT_UNMAP": (2, 3), "RTT_INIT_RIPAS": (2, 3), "RTT_SET_RIPAS": (3, 4)}
OPS = ["tlbi_bcast", "tlbi_local", "tlbi_gpt", "dsb", "isb", "dc_zva", "dc_va", "dc_pa", "smc",
       "eret", "msr_trans", "msr_gpt"]


def die(msg):
    print(f"rmi-costs: {msg}", file=sys.stderr)
    sys.exit(2)


def read_plugin(path):
    cols, calls, bare = None, [], []
    with open(path) as f:
        lines = f.read().splitlines()
    if not lines or not lines[0].startswith("rmeb-insn "):
        die(f"{path} is not the instruction plugin's output")
    if lines[-1] != "end":
        die(f"{path} has no final 'end': QEMU did not exit cleanly")
    for ln in lines:
        if ln.startswith("columns "):
            cols = ln.split()[1:]
        elif ln.startswith("C "):
            t = ln.split()
            fid, status, flags = int(t[2], 16), int(t[3], 16), int(t[4])
            if RMI_FID_BASE <= fid < RMI_FID_END:
                calls.append((fid, status, flags, [int(v) for v in t[5:]]))
            elif fid == PSCI_VERSION and not flags:
                bare.append([int(v) for v in t[5:]])
    if cols is None:
        die(f"{path} has no columns line")
    for c in calls + [(0, 0, 0, b) for b in bare]:
        if len(c[3]) != len(cols):
            die(f"{path}: a C record has {len(c[3])} counts for {len(cols)} columns")
    return cols, calls, bare


def read_uart(path):
    calls, done = [], None
    with open(path, errors="replace") as f:
        for ln in f:
            t = ln.split()
            if len(t) >= 8 and t[0] == "rmeb-smc" and t[1].isdigit():
                exitr = next((x[5:] for x in t[8:] if x.startswith("exit=")), None)
                calls.append((int(t[1]), int(t[2], 16), int(t[3], 16),
                              [int(x, 16) for x in t[4:8]], exitr))
            elif len(t) == 3 and t[:2] == ["rmeb-smc", "done"]:
                done = int(t[2])
            elif t[:2] == ["rmeb-smc", "error:"]:
                die(f"{path}: the driver says: {ln.strip()}")
    if done is None:
        die(f"{path} has no 'rmeb-smc done' line: the driver did not finish")
    if done != len(calls):
        die(f"{path}: the driver says {done} calls but printed {len(calls)}")
    return calls


def read_cmds(path):
    """line -> (words, tag): a comment's "@tag" names the variant."""
    cmds = {}
    with open(path) as f:
        for n, ln in enumerate(f, 1):
            code, _, comment = ln.partition("#")
            t = code.split()
            if t:
                tag = comment.strip()[1:].strip() if comment.strip().startswith("@") else None
                cmds[n] = (t, tag)
    return cmds


def read_model(path):
    status = {}
    with open(path) as f:
        for ln in f:
            t = ln.split()
            if len(t) >= 3 and t[0].isdigit():
                status[int(t[0])] = t[2]
    return status


def num(s):
    return int(s, 0)


def human(nbytes):
    for unit, size in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if nbytes >= size and nbytes % size == 0:
            return f"{nbytes // size}{unit}"
    return str(nbytes)


def variant(words, exitr):
    name = words[0]
    try:
        if name in LEVEL_ARG:
            return f"L{num(words[LEVEL_ARG[name]])}"
        if name in RANGE_ARGS:
            b, t = RANGE_ARGS[name]
            return human(num(words[t]) - num(words[b]))
    except (IndexError, ValueError):
        return "?"
    if name == "REC_ENTER":
        reasons = {0: "sync", 1: "irq", 2: "fiq", 3: "psci", 4: "ripas_change", 5: "host_call",
                   6: "serror"}
        return f"exit {reasons.get(int(exitr, 16), exitr)}" if exitr is not None else "-"
    return "-"


def status_name(x0):
    names = {0: "SUCCESS", 1: "ERROR_INPUT", 2: "ERROR_REALM", 3: "ERROR_REC", 4: "ERROR_RTT",
             5: "ERROR_NOT_SUPPORTED", 6: "ERROR_DEVICE", 7: "ERROR_RTT_AUX",
             8: "ERROR_PSMMU_ST", 9: "ERROR_DPT", 10: "BUSY", 11: "ERROR_GLOBAL",
             12: "ERROR_TRACKING", 13: "INCOMPLETE", 14: "BLOCKED", 15: "ERROR_GPT"}
    if x0 == 0xFFFFFFFFFFFFFFFF:
        return "SMC_UNKNOWN"
    code = x0 & 0xFF
    return names.get(code, f"0x{x0:x}")


def main(argv):
    prov = []
    while argv and argv[0] == "--provenance":
        prov.append(argv[1])
        argv = argv[2:]
    if len(argv) not in (3, 4):
        die(__doc__.strip().splitlines()[-1])
    cols, pcalls, bare = read_plugin(argv[0])
    ucalls = read_uart(argv[1])
    cmds = read_cmds(argv[2])
    model = read_model(argv[3]) if len(argv) == 4 else None
    if len(pcalls) != len(ucalls):
        die(f"the plugin saw {len(pcalls)} RMI calls, the driver printed {len(ucalls)}: "
            "not the same run")
    ix = {c: i for i, c in enumerate(cols)}
    need = ["insn_el3_root", "insn_el2_realm", "insn_el1_realm", "insn_el0_realm"]
    for c in need:
        if c not in ix:
            die(f"the plugin's columns have no {c}")
    groups, flagged, final = {}, [], {}
    if bare:
        groups[("PSCI_VERSION", "bare SMC", "-")] = bare
    for k, ((fid, st, flags, v), (line, ufid, ux0, _, exitr)) in enumerate(zip(pcalls, ucalls)):
        if fid != ufid or (not flags and st != ux0):
            die(f"call {k + 1}: the plugin has FID 0x{fid:x} status 0x{st:x}, the driver "
                f"line {line} FID 0x{ufid:x} status 0x{ux0:x}: not the same run")
        if line == 0 and fid in BOOT_CALLS:
            words, tag = [BOOT_CALLS[fid]], "host boot"
        elif line not in cmds:
            die(f"{argv[2]} has no command at line {line}")
        else:
            words, tag = cmds[line]
        command = words[0]
        # A line's first call is its command; later ones (same line) are the
        # steps the driver took to finish it (RMI_INCOMPLETE): named by FID.
        if line and line in final:
            words, tag = [STEP_CALLS.get(fid, f"0x{fid:x}")], f"{command} step"
        sname = status_name(ux0)
        final[line] = (command, sname)
        if flags:
            flagged.append(f"line {line} {words[0]} flags {flags}")
            continue
        key = (words[0], tag or variant(words, exitr), sname)
        groups.setdefault(key, []).append(v)
    # The differential check: each line's final status against the model's.
    mismatches = [f"line {ln} {cmd}: by SMC {sname}, model {model.get(ln)}"
                  for ln, (cmd, sname) in sorted(final.items())
                  if model is not None and model.get(ln) not in (None, "RMI_" + sname, sname)]
    for p in prov:
        print(f"# {p}")
    print(f"# {len(pcalls)} RMI calls; {len(flagged)} flagged and left out"
          + (f": {'; '.join(flagged)}" if flagged else ""))
    if model is not None:
        print(f"# model vs SMC status: {len(mismatches)} of {len(final)} lines differ"
              + (f", first: {'; '.join(mismatches[:8])}" if mismatches else ""))
        for m in mismatches:
            print(f"rmi-costs: status differs: {m}", file=sys.stderr)
    opcols = [f"op_{o}" for o in OPS if f"op_{o}" in ix]
    head = ["command", "variant", "status", "calls",
            "el3_min", "el3_p50", "el3_max", "rmm_min", "rmm_p50", "rmm_max",
            "realm_el01_p50", "total_p50"] + [f"{c}_p50" for c in opcols]
    print(",".join(head))
    for (cmd, var, sname), vs in sorted(groups.items()):
        el3 = [v[ix["insn_el3_root"]] for v in vs]
        rmm = [v[ix["insn_el2_realm"]] for v in vs]
        el01 = [v[ix["insn_el1_realm"]] + v[ix["insn_el0_realm"]] for v in vs]
        med = lambda xs: int(statistics.median_low(xs))  # noqa: E731 (a count, not a mean)
        row = [cmd, var, sname, len(vs), min(el3), med(el3), max(el3), min(rmm), med(rmm),
               max(rmm), med(el01), med([a + b + c for a, b, c in zip(el3, rmm, el01)])]
        row += [med([v[ix[c]] for v in vs]) for c in opcols]
        print(",".join(str(x) for x in row))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
