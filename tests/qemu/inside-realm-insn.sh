#!/bin/sh
# Runs inside the CCA host kernel under QEMU's RME emulation for the realm
# instruction accounting (docs/qemu.md, "The realm half"): the kvm backend,
# realm and normal VMs in one boot, the six patterns of results/qemu-realm
# at 2 MiB per vCPU, 1 and 2 vCPUs, with RMEB_RUN_ID from the kernel
# command line (rmeb.run_id=) so that the plugin's spans of this boot can
# be merged with these results and no others. No tracing: kprobes would
# add instructions to what the plugin counts.
rid=$(sed -n 's/.*rmeb\.run_id=\([A-Za-z0-9_-]*\).*/\1/p' /proc/cmdline)
export RMEB_RUN_ID=${rid:-none}
echo "== rme-bench run --backend kvm --vm both (run id $RMEB_RUN_ID)"
rme-bench run --backend kvm --vm both --pattern seq,rand,block,fold,shared,ripas \
	--size 2M --vcpus 1,2 --out /results/realm-insn
echo "RMEB-STEP realm-insn $?"
exit 0
