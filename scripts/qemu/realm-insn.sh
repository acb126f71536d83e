#!/usr/bin/env bash
# Instruction accounting of realm and normal VMs on the CCA host stack under
# QEMU's RME emulation: TF-A + an RMM + a CCA host kernel whose initramfs
# is the one scripts/qemu/build-host.sh assembles with
# tests/qemu/inside-realm-insn.sh as its run command (realm and normal
# VMs, six patterns, 2 MiB per vCPU, 1 and 2 vCPUs) and whose built-in
# command line carries rmeb.run_id=RUN_ID and nokaslr. You build that stack
# outside this tree (docs/qemu.md, "The realm half"); this script boots it
# (scripts/qemu/boot.sh with RMEB_QEMU_FIRMWARE), once without the plugin
# (the wall-time baseline) and twice under rme-bench's instruction plugin
# with the stage ranges of the kernel's System.map, merges each plugin
# boot's spans into its results (rme-bench insn merge) and checks the two
# for determinism (tests/qemu/check_insn.py).
#
# Usage: scripts/qemu/realm-insn.sh --flash FLASH --sysmap SYSTEM_MAP --plugin SO
#                                   --rme-bench BIN --out DIR [--run-id ID] [--timeout S]
#                                   [--boots "base a b"]
# Writes DIR/{stages,base,a,b}/ (console.log, results/realm-insn merged)
# and DIR/{a,b}.spans. Exit 0 pass, 1 a step failed, 2 usage or a QEMU that
# cannot run the plugin.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
flash="" sysmap="" plugin="" rmeb="" out="" rid=realm-insn limit=5400 boots="base a b"
usage() {
	echo "usage: realm-insn.sh --flash FLASH --sysmap SYSTEM_MAP --plugin SO --rme-bench BIN" \
		"--out DIR [--run-id ID] [--timeout S] [--boots LIST]" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || usage
	case "$1" in
	--flash) flash=$2 ;;
	--sysmap) sysmap=$2 ;;
	--plugin) plugin=$2 ;;
	--rme-bench) rmeb=$2 ;;
	--out) out=$2 ;;
	--run-id) rid=$2 ;;
	--timeout) limit=$2 ;;
	--boots) boots=$2 ;;
	*) usage ;;
	esac
	shift 2
done
[ -n "$flash" ] && [ -n "$sysmap" ] && [ -n "$plugin" ] && [ -n "$rmeb" ] && [ -n "$out" ] || usage
for f in "$flash" "$sysmap" "$plugin" "$rmeb"; do
	[ -f "$f" ] || { echo "realm-insn.sh: no file $f" >&2; exit 2; }
done
qver=$("$here/insn-qemu.sh") || exit 2
mkdir -p "$out"
out=$(cd "$out" && pwd)
python3 "$here/insn-stages.py" ranges "$sysmap" "$out/stages" || exit 1

# boot NAME [PLUGIN_ARGS]: boots into $out/NAME, prints its seconds.
. "$here/timed-boot.sh"
boot() {
	RMEB_QEMU_FIRMWARE="$flash" timed_boot realm-insn.sh "$out" "$out" "$1" realm-insn "$limit" "${2:-}"
}

declare -A secs=()
for b in $boots; do
	if [ "$b" = base ]; then
		secs[$b]=$(boot base) || exit 1
	else
		rm -f "$out/$b.spans"
		secs[$b]=$(boot "$b" "$plugin,out=$out/$b.spans,stages=$out/stages,run=$rid,qemu=$qver") || exit 1
		"$rmeb" insn merge --spans "$out/$b.spans" "$out/$b/results/realm-insn" || exit 1
	fi
	echo "realm-insn.sh: boot $b: ${secs[$b]} s" >&2
done
plugged=$(printf '%s\n' $boots | grep -vx base || true)
if [ "$(echo "$plugged" | wc -w)" -ge 2 ]; then
	set -- $plugged
	python3 "$src/tests/qemu/check_insn.py" "$out/$1/results/realm-insn" "$out/$2/results/realm-insn"
fi
