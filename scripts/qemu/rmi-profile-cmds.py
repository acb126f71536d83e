#!/usr/bin/env python3
"""Writes the RMI command file (RMM ABI 2.0) whose calls the `tfrmm-qemu`
profile counts: every command of a realm's stage-2 fault path, population
and teardown, each issued many times at the size the host series uses (4
KiB pages, level-3 tables) and a few at 2 MiB, on one realm.

Run it through `rme-bench rmi --abi 2.0 --smc-image` and the SMC driver
(docs/qemu.md, "RMM and EL3 instructions per RMI command"). The physical
addresses are normal-world DRAM of QEMU's virt machine with -m 3G that
TF-A's QEMU platform leaves to the normal world (0x40000000-0xffffffff, the
driver itself at 0x60000000-0x61005000): metadata and data granules from
0x80000000, unprotected pages from 0xa0000000. The model's DRAM starts at
0x80000000, so the same file also runs on the model, whose results are the
expected ones of the differential check.

Usage: rmi-profile-cmds.py [REPS]   (REPS calls per measured 4 KiB command, default 64)
"""
import sys

K4, M2 = 0x1000, 0x200000
RD, ROOT = 0x80000000, 0x80002000          # RD; two concatenated level-1 tables (8 KiB aligned)
RTT_POOL = 0x80010000                      # RTT granules, one after the other
REC = 0x80008000                           # the REC granule
REC_PC = 0x100000                          # unmapped RAM in region 0 (reps < 256)
DATA = 0x80200000                          # 4 KiB data granules (region 0)
FOLD_DATA = 0x80400000                     # 2 MiB aligned data for the fold and block regions
NS_PAGES = 0xA0000000                      # unprotected pages: never delegated
UNPROT_IPA = 0x8000000000                  # s2sz=40: IPA bit 39 is the unprotected half
FOLDS, BLOCKS = 4, 2


def main(argv):
    reps = int(argv[0]) if argv else 64
    out = []
    rtt = [RTT_POOL]

    def emit(line, tag=None):
        out.append(line + (f"  # @{tag}" if tag else ""))

    def new_rtt():
        pa = rtt[0]
        rtt[0] += K4
        return pa

    def desc(pa, level=3, count=1):
        return pa | (count << 2) | (3 - level)

    out.append("# RMI calls counted for the tfrmm-qemu profile (written by "
               "scripts/qemu/rmi-profile-cmds.py); '@tag' names a variant.")
    for _ in range(8):
        emit("VERSION 0x20000", "round trip")
    def delegate(base, size, tag=None):
        """One call per granule: TF-RMM delegates one granule per call
        (out_top = base + 4 KiB) and the host series calls it per page."""
        for pa in range(base, base + size, K4):
            emit(f"GRANULE_RANGE_DELEGATE 0x{pa:x} 0x{pa + K4:x}", tag)

    # The realm: RD, root tables and RTT pool.
    delegate(RD, K4, "setup")
    delegate(ROOT, 2 * K4, "setup")
    delegate(RTT_POOL, 16 * K4, "setup")
    emit(f"REALM_CREATE 0x{RD:x} s2sz=40 rtt_base=0x{ROOT:x} rtt_level_start=1 rtt_num_start=2 "
         "vmid=1 hash_algo=sha256 num_bps=1 num_wps=1")
    # Protected IPA: region r = [r * 2M, (r + 1) * 2M); 0 for 4 KiB pages,
    # 1..FOLDS folded, then BLOCKS mapped as 2 MiB blocks.
    emit(f"RTT_CREATE 0x{RD:x} 0x{new_rtt():x} 0x0 2")
    regions = 1 + FOLDS + BLOCKS
    for r in range(1 + FOLDS):
        emit(f"RTT_CREATE 0x{RD:x} 0x{new_rtt():x} 0x{r * M2:x} 3")
    for r in range(regions):
        emit(f"RTT_INIT_RIPAS 0x{RD:x} 0x{r * M2:x} 0x{(r + 1) * M2:x}")
    emit(f"RTT_CREATE 0x{RD:x} 0x{new_rtt():x} 0x{UNPROT_IPA:x} 2")
    emit(f"RTT_CREATE 0x{RD:x} 0x{new_rtt():x} 0x{UNPROT_IPA:x} 3")
    # One REC, made before activation (REC_CREATE needs a NEW realm; it asks
    # for its auxiliary granules, which the driver donates). Its PC is an
    # unmapped IPA of RAM: every REC_ENTER comes straight back with an
    # instruction abort, the world switch of a stage-2 fault and nothing else.
    delegate(REC, K4, "setup")
    emit(f"REC_CREATE 0x{RD:x} 0x{REC:x} mpidr=0 pc=0x{REC_PC:x} flags=1")
    emit(f"REALM_ACTIVATE 0x{RD:x}")
    for _ in range(reps):
        emit(f"REC_ENTER 0x{REC:x}")
    # The fault path of the 2026 host series: one delegation and one
    # map per 4 KiB page.
    delegate(DATA, reps * K4)
    for i in range(reps):
        ipa = i * K4
        emit(f"RTT_DATA_MAP 0x{RD:x} 0x{ipa:x} 0x{ipa + K4:x} 1 0x{desc(DATA + i * K4):x}")
    for i in range(min(reps, 16)):
        emit(f"RTT_READ_ENTRY 0x{RD:x} 0x{i * K4:x} 3")
    for i in range(reps):
        ipa, pa = UNPROT_IPA + i * K4, NS_PAGES + i * K4
        emit(f"RTT_UNPROT_MAP 0x{RD:x} 0x{ipa:x} 0x{ipa + K4:x} 0x180001 0x{desc(pa):x}")
    # Fold: a level-3 table full of contiguous pages becomes one block;
    # unfold: a new level-3 table under the block.
    for f in range(FOLDS):
        base_ipa, base_pa = (1 + f) * M2, FOLD_DATA + f * M2
        delegate(base_pa, M2, "fold fill")
        for i in range(512):
            emit(f"RTT_DATA_MAP 0x{RD:x} 0x{base_ipa + i * K4:x} 0x{base_ipa + (i + 1) * K4:x} 1 "
                 f"0x{desc(base_pa + i * K4):x}", "fold fill")
        emit(f"RTT_FOLD 0x{RD:x} 0x{base_ipa:x} 3")
    for f in range(FOLDS):
        emit(f"RTT_CREATE 0x{RD:x} 0x{new_rtt():x} 0x{(1 + f) * M2:x} 3", "unfold")
    # 2 MiB blocks mapped in one call (population of a 2 MiB region).
    for b in range(BLOCKS):
        base_ipa, base_pa = (1 + FOLDS + b) * M2, FOLD_DATA + (FOLDS + b) * M2
        delegate(base_pa, M2, "block fill")
        emit(f"RTT_DATA_MAP 0x{RD:x} 0x{base_ipa:x} 0x{base_ipa + M2:x} 1 "
             f"0x{desc(base_pa, level=2):x}")
    # Teardown of what the fault path made: unmap, undelegate, destroy.
    for i in range(reps):
        ipa = UNPROT_IPA + i * K4
        emit(f"RTT_UNPROT_UNMAP 0x{RD:x} 0x{ipa:x} 0x{ipa + K4:x} 1 0x0")
    for i in range(reps):
        ipa = i * K4
        emit(f"RTT_DATA_UNMAP 0x{RD:x} 0x{ipa:x} 0x{ipa + K4:x} 1 0x0")
    for i in range(reps):
        emit(f"GRANULE_RANGE_UNDELEGATE 0x{DATA + i * K4:x} 0x{DATA + (i + 1) * K4:x}")
    for b in range(BLOCKS):
        base_ipa = (1 + FOLDS + b) * M2
        emit(f"RTT_DATA_UNMAP 0x{RD:x} 0x{base_ipa:x} 0x{base_ipa + M2:x} 1 0x0")
    emit(f"RTT_DESTROY 0x{RD:x} 0x0 3")
    emit(f"RTT_DESTROY 0x{RD:x} 0x{UNPROT_IPA:x} 3")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
