#!/bin/sh
# /init of the QEMU arm64 host (busybox, static). Mounts the kernel
# filesystems, reports what the kernel offers for in-kernel stage timing
# (KVM, tracefs, kprobes, tracepoints, probe points), runs /etc/rmeb/run.sh
# if the image has one, sends /results back over the console as a base64
# tar between markers, and powers off. Every report line starts "RMEB-".
/bin/busybox mkdir -p /proc /sys /dev /tmp /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
mount -t debugfs nodev /sys/kernel/debug 2>/dev/null
dmesg -n 1 # keep kernel messages off the console we report on

echo "RMEB-KERNEL $(uname -r) $(uname -m)"
[ -c /dev/kvm ] && echo "RMEB-KVM yes" || echo "RMEB-KVM no"
t=/sys/kernel/tracing
[ -f $t/trace ] && echo "RMEB-TRACEFS yes" || echo "RMEB-TRACEFS no"
[ -f $t/kprobe_events ] && echo "RMEB-KPROBES yes" || echo "RMEB-KPROBES no"
echo "RMEB-KVM-EVENTS $(ls $t/events/kvm 2>/dev/null | grep -vc -e enable -e filter)"
for tp in kvm_entry kvm_exit kvm_guest_fault; do
	[ -d $t/events/kvm/$tp ] && echo "RMEB-TP $tp yes" || echo "RMEB-TP $tp no"
done
# Probe points rme-bench's tracefs module asks for (host/tracefs/src/tracefs_session.c).
for sym in kvm_handle_guest_abort user_mem_abort gfn_to_memslot __gfn_to_pfn_memslot \
	__kvm_faultin_pfn kvm_pgtable_stage2_map kvm_pgtable_stage2_relax_perms \
	realm_map_protected realm_map_non_secure realm_create_rtt_levels; do
	if grep -qE " [tT] $sym(\.[a-z0-9.]+)?\$" /proc/kallsyms; then
		echo "RMEB-SYM $sym yes"
	else
		echo "RMEB-SYM $sym no"
	fi
done
# Can a kprobe event be created, enabled in an instance and torn down?
if [ -f $t/kprobe_events ] && echo 'p:rmeb_init/probe kvm_handle_guest_abort' >>$t/kprobe_events &&
	mkdir $t/instances/rmeb_init && echo 1 >$t/instances/rmeb_init/events/rmeb_init/probe/enable &&
	echo 0 >$t/instances/rmeb_init/events/rmeb_init/probe/enable && rmdir $t/instances/rmeb_init &&
	echo '-:rmeb_init/probe' >>$t/kprobe_events; then
	echo "RMEB-KPROBE-CREATE yes"
else
	echo "RMEB-KPROBE-CREATE no"
fi
# Stage functions' addresses for the instruction plugin (scripts/qemu/insn-stages.py
# names them in /etc/rmeb/ksyms): "RMEB-KSYM ADDR TYPE NAME NEXT_ADDR".
if [ -f /etc/rmeb/ksyms ]; then
	sort /proc/kallsyms | awk 'NR == FNR { want[$1] = 1; next }
		have { print "RMEB-KSYM " line " " $1; have = 0 }
		{ n = $3; sub(/\..*/, "", n) }
		($2 ~ /^[tT]$/) && (n in want) { line = $1 " " $2 " " $3; have = 1 }' /etc/rmeb/ksyms -
fi
if [ -x /bin/rme-bench ] && /bin/rme-bench list stages >/dev/null 2>&1; then
	echo "RMEB-BINARY runs"
else
	echo "RMEB-BINARY fails"
fi

rc=none
if [ -x /etc/rmeb/run.sh ]; then
	mkdir -p /results
	cd /tmp
	/etc/rmeb/run.sh >/results/run.log 2>&1
	rc=$?
	cat /results/run.log
fi
echo "RMEB-EXIT $rc"
if [ -d /results ]; then
	echo "RMEB-RESULTS-BEGIN"
	tar -C /results -czf - . | base64
	echo "RMEB-RESULTS-END"
fi
sync
poweroff -f
