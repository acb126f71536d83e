#!/usr/bin/env python3
"""Address ranges of the host kernel's fault-path stage functions, for
rme-bench's QEMU instruction plugin (stages=FILE).

The stages are the tracefs path's (docs/qemu.md), each given by the kernel
functions whose own instructions belong to it (the functions the tracefs
path probes, and the KVM helpers only they call). A function's range is
from its address to the next higher text symbol's.

Usage:
  insn-stages.py names                       the symbol names, one a line
  insn-stages.py ranges SYMFILE OUT          SYMFILE: kallsyms, System.map or
                                             `nm vmlinux` output ("ADDR TYPE NAME"),
                                             or a console log with RMEB-KSYM lines
Writes OUT ("range STAGE START END" / "missing STAGE"); prints the missing
stages on stderr. Exit 0 (also with missing stages: the counts by world do
not need them), 2 when SYMFILE has no usable symbol at all.
"""
import sys

# stage -> functions (first ones are what the tracefs path probes)
STAGES = [
    ("exit_decode", ["handle_exit", "handle_exit_early", "handle_trap_exceptions",
                     "kvm_handle_sys_reg"]),
    ("abort_dispatch", ["kvm_handle_guest_abort"]),
    ("memslot_lookup", ["gfn_to_memslot", "kvm_vcpu_gfn_to_memslot", "__gfn_to_memslot"]),
    ("page_pin", ["user_mem_abort", "__kvm_faultin_pfn", "__gfn_to_pfn_memslot",
                  "hva_to_pfn", "hva_to_pfn_slow", "gfn_to_pfn_prot"]),
    ("s2_map", ["kvm_pgtable_stage2_map", "kvm_pgtable_stage2_relax_perms",
                "kvm_pgtable_walk", "__kvm_pgtable_walk", "__kvm_pgtable_visit",
                "stage2_map_walker", "stage2_map_walk_leaf", "stage2_map_walker_try_leaf",
                "stage2_map_walk_table_pre", "stage2_attr_walker", "stage2_update_leaf_attrs"]),
    ("data_create", ["realm_map_protected"]),
    ("unprot_map", ["realm_map_non_secure"]),
    ("rtt_create", ["realm_create_rtt_levels", "realm_rtt_create"]),
    # v14 names its fold and RIPAS-change helpers realm_fold_rtt_level / ripas_change
    ("rtt_fold", ["realm_rtt_fold", "fold_rtt", "realm_fold_rtt_level"]),
    ("set_ripas", ["rec_exit_ripas_change", "realm_set_ipa_state", "ripas_change"]),
    # a realm's vCPU enters through the RMM (kvm_rec_enter: REC_ENTER's SMC)
    ("rec_enter", ["__kvm_vcpu_run", "__kvm_vcpu_run_vhe", "kvm_vcpu_run_vhe",
                   "__guest_enter", "__guest_exit", "kvm_arm_vcpu_enter_exit",
                   "kvm_rec_enter", "kvm_rec_pre_enter"]),
    # Delegation's own share of the host's work (the tracefs path cannot
    # split it out of data_create); its EL3 and RMM part is in the worlds'
    # columns and, per call, in the plugin's C records.
    ("delegate", ["rmi_delegate_range", "rmi_undelegate_range", "free_delegated_page"]),
]


def base_name(name):
    return name.split(".")[0]  # gcc clones: foo.isra.0, foo.constprop.0


def read_symbols(path):
    """[(addr, type, name)] of text symbols, and console RMEB-KSYM pairs."""
    syms, ends = [], {}
    with open(path, errors="replace") as f:
        for line in f:
            parts = line.split()
            if parts and parts[0] == "RMEB-KSYM" and len(parts) >= 4:
                try:
                    syms.append((int(parts[1], 16), "t", parts[3]))
                    if len(parts) >= 5:
                        ends[(int(parts[1], 16), parts[3])] = int(parts[4], 16)
                except ValueError:
                    pass
                continue
            if len(parts) >= 3 and parts[1] in "tTwW" and len(parts[1]) == 1:
                try:
                    syms.append((int(parts[0], 16), parts[1], parts[2]))
                except ValueError:
                    pass
    return syms, ends


def main(argv):
    if len(argv) == 2 and argv[1] == "names":
        for _, names in STAGES:
            print("\n".join(names))
        return 0
    if len(argv) != 4 or argv[1] != "ranges":
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("usage: insn-stages.py names | ranges SYMFILE OUT", file=sys.stderr)
        return 2
    syms, ends = read_symbols(argv[2])
    syms = [s for s in syms if s[0] != 0]
    if not syms:
        print(f"insn-stages.py: {argv[2]} has no text symbols with addresses "
              "(kallsyms read as non-root shows zeros)", file=sys.stderr)
        return 2
    addrs = sorted({a for a, _, _ in syms})
    nxt = {a: b for a, b in zip(addrs, addrs[1:])}
    out, missing = [], []
    for stage, names in STAGES:
        found = False
        for a, _, n in syms:
            if base_name(n) in names:
                end = ends.get((a, n)) or nxt.get(a)
                if end and end > a:
                    out.append(f"range {stage} {a:x} {end:x} {n}")
                    found = True
        if not found:
            missing.append(stage)
            out.append(f"missing {stage}")
    with open(argv[3], "w") as f:
        f.write("# stage ranges for rme-bench's QEMU instruction plugin (insn-stages.py)\n")
        f.write("\n".join(out) + "\n")
    if missing:
        print("insn-stages.py: no symbols for the stages " + ", ".join(missing) +
              " (their instructions count in insn_s_el2_other; the counts by world are "
              "complete)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
