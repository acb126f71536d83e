#!/bin/sh
# Runs inside the QEMU arm64 host for the instruction-accounting e2e
# (scripts/qemu/insn-e2e.sh): the kvm backend on a normal VM, every
# pattern a normal VM runs, 1 vCPU, plus seq on 2 vCPUs, with RMEB_RUN_ID
# (from the kernel command line, rmeb.run_id=) so that the plugin's spans
# can be merged with these results and no others.
# Usage: inside-insn.sh PAGES [full]
#   full: the committed results/qemu-insn set instead: seq, rand, fold,
#   block and retouch at 2 MiB per vCPU, 1 and 2 vCPUs (minutes, not CI)
pages=${1:-64}
patterns=seq,rand,retouch size=$((pages * 4))K
[ "${2:-}" = full ] && patterns=seq,rand,fold,block,retouch size=2M
rid=$(sed -n 's/.*rmeb\.run_id=\([A-Za-z0-9_-]*\).*/\1/p' /proc/cmdline)
export RMEB_RUN_ID=${rid:-none}
echo "== rme-bench run --backend kvm --vm normal (run id $RMEB_RUN_ID)"
rme-bench run --backend kvm --vm normal --pattern "$patterns" --size "$size" \
	--vcpus 1,2 --out /results/insn-run
echo "RMEB-STEP insn $?"
exit 0
