#!/usr/bin/env bash
# RMM and EL3 instructions per RMI command, counted under QEMU: an RMI
# command file becomes an SMC image (rme-bench rmi --smc-image, which also
# runs it on the model: the expected statuses), the SMC driver
# (tools/rmi_smc_driver) issues the image's calls at NS-EL2 under
# rme-bench's instruction plugin, and scripts/qemu/rmi-costs.py joins the
# plugin's per-SMC records with the driver's console into one CSV row per
# command and variant (docs/qemu.md, "RMM and EL3 instructions per RMI
# command").
#
# With --firmware DIR the driver runs as BL33 of the firmware in DIR: TF-A
# (PLAT=qemu QEMU_USE_GIC_DRIVER=QEMU_GICV3 ENABLE_FEAT_RME=1 ENABLE_RMM=1,
# without ARM_LINUX_KERNEL_AS_BL33: BL33 at 0x60000000) with an RMM, built
# by you outside this tree. DIR holds TF-A's bl1.bin, its fip.bin (any
# BL33) and its fiptool (tools/fiptool/fiptool, or one on PATH); the
# script puts the driver into a copy of the FIP as BL33 (fiptool update
# --nt-fw) and writes the flash image as TF-A's docs/plat/qemu.rst says.
# DIR/VERSIONS, if present, is copied into the CSV's provenance. Without --firmware the driver boots alone at EL2 of a
# bare QEMU: no EL3, every call answers SMC_UNKNOWN -- a check of the
# driver, the plugin and the join, not a measurement.
#
# Usage: scripts/qemu/rmi-profile.sh --rme-bench BIN --driver BIN --plugin SO --out DIR
#                                    [--firmware DIR] [--cmds FILE] [--reps N] [--timeout S]
# Writes DIR/{cmds.rmi,model.txt,image.smc,bl33.bin,uart.log,plugin.out,costs.csv}, and with
# --firmware and gnuplot DIR/rmi-costs.png (scripts/qemu/rmi-costs-plot.py).
# Exit 0 done, 1 a step failed, 2 usage or a QEMU that cannot run the plugin.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
rmeb="" driver="" plugin="" out="" firmware="" cmds="" reps=64 limit=1800
usage() {
	echo "usage: rmi-profile.sh --rme-bench BIN --driver BIN --plugin SO --out DIR" \
		"[--firmware DIR] [--cmds FILE] [--reps N] [--timeout S]" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || usage
	case "$1" in
	--rme-bench) rmeb=$2 ;;
	--driver) driver=$2 ;;
	--plugin) plugin=$2 ;;
	--out) out=$2 ;;
	--firmware) firmware=$2 ;;
	--cmds) cmds=$2 ;;
	--reps) reps=$2 ;;
	--timeout) limit=$2 ;;
	*) usage ;;
	esac
	shift 2
done
[ -n "$rmeb" ] && [ -n "$driver" ] && [ -n "$plugin" ] && [ -n "$out" ] || usage
case "$reps$limit" in *[!0-9]*) echo "rmi-profile.sh: --reps/--timeout must be numbers" >&2; exit 2 ;; esac
for f in "$rmeb" "$driver" "$plugin" ${cmds:+"$cmds"}; do
	[ -f "$f" ] || { echo "rmi-profile.sh: no file $f" >&2; exit 2; }
done
if [ -n "$firmware" ]; then
	for f in bl1.bin fip.bin; do
		[ -f "$firmware/$f" ] || { echo "rmi-profile.sh: no $f in $firmware" >&2; exit 2; }
	done
	fiptool=$firmware/fiptool
	[ -x "$fiptool" ] || fiptool=$(command -v fiptool || true)
	[ -n "$fiptool" ] || { echo "rmi-profile.sh: no fiptool in $firmware or on PATH" >&2; exit 2; }
fi
qver=$("$here/insn-qemu.sh") || exit 2

mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ -n "$cmds" ]; then cp "$cmds" "$out/cmds.rmi"; else python3 "$here/rmi-profile-cmds.py" "$reps" >"$out/cmds.rmi"; fi
"$rmeb" rmi --abi 2.0 --follow tfrmm --smc-image "$out/image.smc" "$out/cmds.rmi" >"$out/model.txt"
cat "$driver" "$out/image.smc" >"$out/bl33.bin"

machine=(-M virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on -smp 1 -m 3G)
if [ -n "$firmware" ]; then
	cp "$firmware/fip.bin" "$out/fip.bin"
	"$fiptool" update --nt-fw "$out/bl33.bin" "$out/fip.bin" >/dev/null
	rm -f "$out/flash.bin"
	dd if="$firmware/bl1.bin" of="$out/flash.bin" bs=4096 conv=notrunc status=none
	dd if="$out/fip.bin" of="$out/flash.bin" bs=4096 seek=64 conv=notrunc status=none
	machine=(-M virt,virtualization=on,secure=on,gic-version=3
		 -cpu max,x-rme=on,pauth-impdef=on -smp 1 -m 3G -bios "$out/flash.bin")
else
	base=$(sed -n 's/^RMEB_SMC_DRIVER_BASE:STRING=//p' "$(dirname "$driver")/../../CMakeCache.txt" 2>/dev/null || true)
	base=${base:-0x60000000}
	machine+=(-device "loader,file=$out/bl33.bin,addr=$base" -device "loader,addr=$base,cpu-num=0")
fi
t0=$(date +%s)
(cd "$out" && timeout "$limit" qemu-system-aarch64 "${machine[@]}" -nographic -monitor none \
	-net none -serial "file:$out/uart.log" \
	-plugin "$plugin,out=$out/plugin.out,run=rmi-profile,qemu=$qver") ||
	{ echo "rmi-profile.sh: QEMU failed or timed out (${limit}s); see $out/uart.log" >&2; exit 1; }
echo "rmi-profile.sh: QEMU $qver ran the driver in $(( $(date +%s) - t0 )) s" >&2

rev=$(git -C "$here" describe --always --dirty 2>/dev/null || echo unknown)
prov=(--provenance "rme-bench $rev: scripts/qemu/rmi-profile.sh --reps $reps${cmds:+ --cmds $(basename "$cmds")}; QEMU $qver; plugin $(sed -n 's/^plugin_version //p' "$out/plugin.out"); driver ${base:+at $base}${firmware:+as TF-A BL33}")
if [ -n "$firmware" ] && [ -f "$firmware/VERSIONS" ]; then
	while IFS= read -r l; do prov+=(--provenance "$l"); done <"$firmware/VERSIONS"
elif [ -z "$firmware" ]; then
	prov+=(--provenance "no firmware: bare QEMU at EL2, every call SMC_UNKNOWN (a check, not a measurement)")
fi
python3 "$here/rmi-costs.py" "${prov[@]}" "$out/plugin.out" "$out/uart.log" "$out/cmds.rmi" \
	"$out/model.txt" >"$out/costs.csv"
echo "rmi-profile.sh: wrote $out/costs.csv" >&2
# the figure, where the run has the rows it draws (a firmware run) and gnuplot is there
if [ -n "$firmware" ] && command -v gnuplot >/dev/null; then
	python3 "$here/rmi-costs-plot.py" "$out/costs.csv" "$here/../../results/profiles/tfrmm-host-icount.csv" \
		"$out/rmi-costs.png" && echo "rmi-profile.sh: wrote $out/rmi-costs.png" >&2
fi
