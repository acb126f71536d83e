#!/usr/bin/env bash
# End to end under QEMU: assemble the arm64 host (build-host.sh), boot it
# (boot.sh), run tests/qemu/inside.sh there (tracefs check, a traced
# known-fault workload, and `rme-bench run --backend kvm --vm normal`
# traced when this tree has it), bring /results back and check it
# (tests/qemu/check_results.py). Prints how long each part took.
#
# Usage: scripts/qemu/e2e.sh [--out DIR] [--cache DIR] [--pages N] [--timeout S]
#   --out DIR     console log, host images and results (default build-qemu-e2e)
#   --cache DIR   .debs and the arm64 build (default build-qemu-cache; both
#                 git-ignored, re-runs reuse them)
#   --pages N     4K pages the workloads touch (default 64; even)
#   --timeout S   limit for the QEMU run (default 1200)
# Exit 0 pass, 1 fail, 2 usage, 77 prerequisites missing (scripts/deps.sh qemu).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
out=$src/build-qemu-e2e cache=${RMEB_QEMU_CACHE:-$src/build-qemu-cache} pages=64 limit=1200
while [ $# -gt 0 ]; do
	case "$1" in
	--out) out=$2; shift 2 ;;
	--cache) cache=$2; shift 2 ;;
	--pages) pages=$2; shift 2 ;;
	--timeout) limit=$2; shift 2 ;;
	*) echo "usage: e2e.sh [--out DIR] [--cache DIR] [--pages N] [--timeout S]" >&2; exit 2 ;;
	esac
done
case "$pages" in ''|*[!0-9]*) echo "e2e.sh: --pages: '$pages' is not a number" >&2; exit 2 ;; esac
if [ "$pages" -lt 2 ] || [ $((pages % 2)) -ne 0 ]; then
	echo "e2e.sh: --pages: $pages must be even and at least 2 (a 2-vCPU run splits it)" >&2
	exit 2
fi

skip() { echo "e2e.sh: SKIP: $*" >&2; exit 77; }
dpkg --print-foreign-architectures | grep -qx arm64 || skip "dpkg has no arm64 architecture"
for p in libhwloc-dev:arm64 libbenchmark-dev:arm64 qemu-system-arm g++-aarch64-linux-gnu; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		skip "package $p is not installed (scripts/deps.sh qemu)"
done

t0=$(date +%s)
mkdir -p "$out"
RMEB_QEMU_TARGETS=kvm_touch RMEB_QEMU_ADD="$src/tests/qemu/inside.sh:etc/rmeb/inside.sh" \
	"$here/build-host.sh" "$cache" "$out/host" /bin/sh /etc/rmeb/inside.sh "$pages"
t1=$(date +%s)
rc=0
"$here/boot.sh" "$out/host" "$out" "$limit" || rc=$?
t2=$(date +%s)
echo "e2e.sh: assemble $((t1 - t0)) s, boot+run $((t2 - t1)) s (console: $out/console.log)"
[ $rc -eq 0 ] || { echo "e2e.sh: the QEMU host failed (status $rc)" >&2; exit 1; }
python3 "$src/tests/qemu/check_results.py" "$out" "$pages"
