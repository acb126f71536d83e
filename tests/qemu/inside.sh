#!/bin/sh
# Runs inside the QEMU arm64 host (scripts/qemu/e2e.sh puts it in the
# initramfs); writes under /results, which travels back to the build
# machine. Each step prints "RMEB-STEP name status" for check_results.py.
# Usage: inside.sh PAGES
pages=${1:-64}

echo "== rme-bench trace check --vm normal"
rme-bench trace check --vm normal
echo "RMEB-STEP check $?"

# A workload with a known fault count: PAGES data pages + 1 code page.
echo "== trace record -- kvm_touch $pages"
rme-bench trace record --vm normal --pattern touch --size $((pages * 4))K --keep-trace \
	--out /results/touch -- /bin/kvm_touch "$pages"
echo "RMEB-STEP touch $?"

# The suite's own KVM backend, traced from outside (rme-bench trace record
# follows its process tree), on the same number of 4K pages.
if rme-bench run --help 2>&1 | grep -q -- '--backend sim|kvm'; then
	echo "== trace record -- rme-bench run --backend kvm --vm normal --pattern seq"
	rme-bench trace record --vm normal --pattern seq --size $((pages * 4))K --keep-trace \
		--match-guest /results/kvm-run --out /results/kvm-trace -- \
		rme-bench run --backend kvm --vm normal --pattern seq --size $((pages * 4))K \
		--page 4K --vcpus 1 --out /results/kvm-run
	echo "RMEB-STEP kvm $?"
	# Two vCPU threads: the correlator must keep their faults apart.
	echo "== trace record -- rme-bench run --backend kvm --vcpus 2"
	rme-bench trace record --vm normal --pattern seq --size $((pages * 2))K \
		--match-guest /results/kvm2-run --out /results/kvm2-trace -- \
		rme-bench run --backend kvm --vm normal --pattern seq --size $((pages * 2))K \
		--page 4K --vcpus 2 --out /results/kvm2-run
	echo "RMEB-STEP kvm2 $?"
else
	echo "RMEB-STEP kvm absent"
fi
exit 0
