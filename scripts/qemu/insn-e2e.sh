#!/usr/bin/env bash
# Instruction accounting end to end under QEMU: the nested normal-VM run
# (tests/qemu/inside-insn.sh: rme-bench run --backend kvm inside an arm64
# KVM host under qemu-system-aarch64 TCG) booted three times: once without
# the plugin (the baseline wall time, and the host kernel's stage-function
# addresses from /proc/kallsyms), then twice under rme-bench's QEMU
# plugin (tools/qemu_insn_plugin). Each plugin run is merged into its
# results (rme-bench insn merge), a merge of the other run's spans must be
# refused, and tests/qemu/check_insn.py asserts determinism between the
# two: identical guest instructions per fault, host EL2 medians within 1 %.
#
# Usage: scripts/qemu/insn-e2e.sh --plugin SO --rme-bench BIN [--out DIR]
#                                 [--cache DIR] [--pages N] [--timeout S] [--keep DIR]
#   --plugin SO      the built plugin (librmeb-insn.so)
#   --rme-bench BIN  the native rme-bench (for the merge)
#   --keep DIR       also copy the first plugin run's merged results to DIR
#   --full           the larger set of results/qemu-insn (tests/qemu/inside-insn.sh full)
# Exit 0 pass, 1 fail, 2 usage or a QEMU that cannot run the plugin (one
# line says which version and what is missing), 77 prerequisites missing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
out=$src/build-qemu-insn cache=${RMEB_QEMU_CACHE:-$src/build-qemu-cache} pages=64 limit=1200
plugin="" rmeb="" keep="" full=""
usage() { echo "usage: insn-e2e.sh --plugin SO --rme-bench BIN [--out DIR] [--cache DIR] [--pages N] [--timeout S] [--keep DIR] [--full]" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--plugin) plugin=$2; shift 2 ;;
	--rme-bench) rmeb=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--cache) cache=$2; shift 2 ;;
	--pages) pages=$2; shift 2 ;;
	--timeout) limit=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	--full) full=full; shift ;;
	*) usage ;;
	esac
done
[ -n "$plugin" ] && [ -n "$rmeb" ] || usage
case "$pages" in ''|*[!0-9]*) echo "insn-e2e.sh: --pages: '$pages' is not a number" >&2; exit 2 ;; esac

skip() { echo "insn-e2e.sh: SKIP: $*" >&2; exit 77; }
dpkg --print-foreign-architectures | grep -qx arm64 || skip "dpkg has no arm64 architecture"
for p in libhwloc-dev:arm64 libbenchmark-dev:arm64 g++-aarch64-linux-gnu; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		skip "package $p is not installed (scripts/deps.sh qemu)"
done
# A QEMU that can run the plugin: install QEMU 10 from backports when
# this one cannot and we may (root); otherwise say what is missing, exit 2.
if ! "$here/insn-qemu.sh" >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
	"$here/qemu-backports.sh" || true
fi
qver=$("$here/insn-qemu.sh") || exit 2
[ -f "$plugin" ] || { echo "insn-e2e.sh: no plugin at $plugin" >&2; exit 2; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
python3 "$here/insn-stages.py" names >"$out/ksyms"
t0=$(date +%s)
RMEB_QEMU_ADD="$src/tests/qemu/inside-insn.sh:etc/rmeb/inside-insn.sh $out/ksyms:etc/rmeb/ksyms" \
	"$here/build-host.sh" "$cache" "$out/host" /bin/sh /etc/rmeb/inside-insn.sh "$pages" $full
t1=$(date +%s)
echo "insn-e2e.sh: assemble $((t1 - t0)) s"

# boot NAME RUN_ID [PLUGIN_ARGS]: boots into $out/NAME, prints its seconds.
. "$here/timed-boot.sh"
boot() {
	RMEB_QEMU_APPEND="rmeb.run_id=$2" timed_boot insn-e2e.sh "$out/host" "$out" "$1" insn "$limit" "${3:-}"
}

tag=$$-$(date +%s)
base_s=$(boot base "base-$tag") || exit 1
python3 "$here/insn-stages.py" ranges "$out/base/console.log" "$out/stages" || exit 1
for run in a b; do
	rm -f "$out/$run.spans"
	secs=$(boot "$run" "insn-$tag-$run" \
		"$plugin,out=$out/$run.spans,stages=$out/stages,run=insn-$tag-$run,qemu=$qver") || exit 1
	eval "secs_$run=$secs"
done
echo "insn-e2e.sh: boot + run: ${base_s} s without the plugin, ${secs_a} s and ${secs_b} s with it" \
	"(slowdown $(echo "$base_s $secs_a $secs_b" | awk '{printf "%.2fx", ($2 + $3) / 2 / $1}'))"

# Another run's spans must be refused (run id), before the real merges.
set +e
"$rmeb" insn merge --spans "$out/a.spans" "$out/b/results/insn-run" 2>"$out/refused.txt"
rc=$?
set -e
if [ $rc -ne 2 ]; then
	echo "insn-e2e.sh: merging run a's spans into run b's results gave exit $rc, expected 2" >&2
	exit 1
fi
echo "insn-e2e.sh: refused as it must: $(cat "$out/refused.txt")"
for run in a b; do
	"$rmeb" insn merge --spans "$out/$run.spans" "$out/$run/results/insn-run" || exit 1
done
python3 "$src/tests/qemu/check_insn.py" "$out/a/results/insn-run" "$out/b/results/insn-run"
if [ -n "$keep" ]; then
	rm -rf "$keep"
	cp -r "$out/a/results/insn-run" "$keep"
	echo "insn-e2e.sh: kept $keep"
fi
