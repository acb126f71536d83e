#!/usr/bin/env bash
# Boots the arm64 host built by build-host.sh under qemu-system-aarch64
# (TCG, EL2 with VHE so the host has /dev/kvm), saves the console to
# OUT_DIR/console.log and unpacks the results the host sends back
# (base64 tar between RMEB-RESULTS-BEGIN/END) into OUT_DIR/results.
#
# Usage: scripts/qemu/boot.sh HOST_DIR OUT_DIR [TIMEOUT_SECONDS]
#   HOST_DIR  holds vmlinuz and initrd.gz
# Env: RMEB_QEMU_FIRMWARE  a flash image of TF-A with an RMM whose BL33 is a
#      CCA host kernel (its initramfs and command line built in: through
#      the firmware QEMU passes neither): the machine then has EL3 and RME
#      (secure=on, x-rme=on, 3 GiB: the normal-world DRAM TF-A's QEMU
#      platform describes to the RMM), HOST_DIR is not read, and
#      RMEB_QEMU_APPEND cannot apply (docs/qemu.md, "The realm half").
#      RMEB_QEMU_SMP (default 2), RMEB_QEMU_MEM (default 2048, MiB; 3072
#      with firmware),
#      RMEB_QEMU_PLUGIN (a -plugin argument: FILE,ARG=V,..., e.g. the
#      instruction plugin, scripts/qemu/insn-e2e.sh), RMEB_QEMU_APPEND (more
#      kernel arguments).
# Exit: the status of the command run inside (RMEB-EXIT), 0 if none ran;
# 1 if QEMU failed, timed out or the results did not come back; 2 usage.
set -euo pipefail

if [ $# -lt 2 ]; then
	echo "usage: boot.sh HOST_DIR OUT_DIR [TIMEOUT_SECONDS]" >&2
	exit 2
fi
host=$1 out=$2 limit=${3:-900}
die() { echo "boot.sh: $*" >&2; exit 1; }
command -v qemu-system-aarch64 >/dev/null || die "qemu-system-aarch64 not found (scripts/deps.sh qemu)"
fw=${RMEB_QEMU_FIRMWARE:-}
if [ -n "$fw" ]; then
	[ -f "$fw" ] || die "no firmware flash image $fw"
	[ -z "${RMEB_QEMU_APPEND:-}" ] ||
		die "RMEB_QEMU_APPEND cannot reach a kernel booted by firmware (build the command line in)"
else
	[ -f "$host/vmlinuz" ] && [ -f "$host/initrd.gz" ] || die "no vmlinuz/initrd.gz in $host (run build-host.sh)"
fi
mkdir -p "$out"
log="$out/console.log"

# virtualization=on: the guest kernel starts at EL2 and, with VHE (-cpu
# max), runs KVM itself. pauth-impdef=on: QEMU's own pointer-auth hash is
# many times faster under TCG than the architected QARMA one.
# nokaslr: the kernel at its link address, so that stage-function
# addresses read in one boot hold in the next (instruction plugin).
plugin=()
[ -n "${RMEB_QEMU_PLUGIN:-}" ] && plugin=(-plugin "$RMEB_QEMU_PLUGIN")
if [ -n "$fw" ]; then
	machine=(-M virt,virtualization=on,secure=on,gic-version=3 -cpu max,x-rme=on,pauth-impdef=on
		 -m "${RMEB_QEMU_MEM:-3072}" -bios "$fw")
else
	machine=(-M virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on
		 -m "${RMEB_QEMU_MEM:-2048}" -kernel "$host/vmlinuz" -initrd "$host/initrd.gz"
		 -append "console=ttyAMA0 rdinit=/init panic=-1 quiet loglevel=1 nokaslr ${RMEB_QEMU_APPEND:-}")
fi
set +e
timeout --foreground -k 10 "$limit" qemu-system-aarch64 "${plugin[@]}" "${machine[@]}" \
	-smp "${RMEB_QEMU_SMP:-2}" -nographic -monitor none -serial stdio -no-reboot -nic none \
	</dev/null >"$log" 2>&1
qrc=$?
set -e
tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
[ $qrc -eq 124 ] && die "QEMU did not finish within ${limit}s (console: $log)"
[ $qrc -ne 0 ] && die "QEMU exited with $qrc (console: $log)"

rc=$(sed -n 's/^RMEB-EXIT \([0-9a-z]*\).*/\1/p' "$log" | tail -n1)
[ -n "$rc" ] || die "the host never reported RMEB-EXIT (boot failed? console: $log)"
if grep -q '^RMEB-RESULTS-BEGIN' "$log"; then
	rm -rf "$out/results"
	mkdir -p "$out/results"
	sed -n '/^RMEB-RESULTS-BEGIN/,/^RMEB-RESULTS-END/p' "$log" |
		grep -E '^[A-Za-z0-9+/=]+$' | base64 -d | tar -C "$out/results" -xzf - ||
		die "the results sent over the console did not decode (console: $log)"
fi
[ "$rc" = none ] && exit 0
exit "$rc"
