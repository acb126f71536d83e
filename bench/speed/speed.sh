#!/usr/bin/env bash
# The sim's speed targets, measured and printed (a benchmark, not a test:
# it never fails on a number, it reports it).
#
#   1. Stage timing overhead: `rme-bench run` with --stage-timing on vs off
#      (realm and normal seq 4K, 1 vCPU, SIZE per vCPU), as the whole
#      process's wall time and as the mean whole-fault time the run reports.
#      Target: on/off <= 1.05.
#   2. Realm seq over 1 GiB vs this host's own first touch of 1 GiB
#      (rmeb-first-touch: one write per fresh 4 KiB page): the sim gives a
#      realm the same memory, prefaulting it first, then takes a stage-2
#      fault per page. Target: <= 3.0.
#
# Each pair runs interleaved (A B A B ...), PAIRS times; the ratio printed is
# the median of the per-pair ratios, with the smallest and largest.
# Usage: bench/speed/speed.sh [PAIRS [SIZE]]   (default 5, 256M)
# Needs a Release build in build-speed/ (made here) and python3 (summary.json).
set -euo pipefail
cd "$(dirname "$0")/../.."

pairs=${1:-5}
size=${2:-256M}
bash scripts/deps.sh test >/dev/null
cmake -S . -B build-speed -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-speed -j "$(nproc)" --target rme-bench rmeb-first-touch >/dev/null
exe=build-speed/bench/rme-bench
touch_exe=build-speed/bench/rmeb-first-touch
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

now() { date +%s%N; }

# wall_ns DIR ARGS...: run rme-bench into DIR, print its wall time in ns.
wall_ns() {
	local dir=$1; shift
	rm -rf "$dir"
	local t0; t0=$(now)
	"$exe" run --out "$dir" "$@" >/dev/null
	echo $(($(now) - t0))
}

# mean_fault_ns DIR: the fault-weighted mean whole-fault time of a run.
mean_fault_ns() {
	python3 - "$1" <<'EOF'
import json, sys
runs = json.load(open(sys.argv[1] + "/summary.json"))["runs"]
n = sum(r["fault_ns"]["n"] for r in runs)
print(sum(r["fault_ns"]["mean_ns"] * r["fault_ns"]["n"] for r in runs) / n)
EOF
}

# summarize LABEL TARGET RATIO...: median, min, max of the ratios.
summarize() {
	local label=$1 target=$2; shift 2
	python3 - "$label" "$target" "$@" <<'EOF'
import statistics, sys
label, target, xs = sys.argv[1], float(sys.argv[2]), [float(x) for x in sys.argv[3:]]
m = statistics.median(xs)
print(f"{label:<44} {m:6.3f}  (min {min(xs):.3f}, max {max(xs):.3f}, {len(xs)} pairs)"
      f"  target <= {target:g}: {'met' if m <= target else 'NOT met'}")
EOF
}

seq_args=(--pattern seq --vcpus 1 --size "$size")
wall_ratios=() fault_ratios=() touch_ratios=()
for i in $(seq "$pairs"); do
	on=$(wall_ns "$tmp/on" "${seq_args[@]}" --stage-timing on)
	off=$(wall_ns "$tmp/off" "${seq_args[@]}" --stage-timing off)
	wall_ratios+=("$(python3 -c "print($on / $off)")")
	fault_ratios+=("$(python3 -c "print($(mean_fault_ns "$tmp/on") / $(mean_fault_ns "$tmp/off"))")")

	sim=$(wall_ns "$tmp/g" --vm realm --pattern seq --vcpus 1 --size 1G)
	t0=$(now); "$touch_exe" $((1 << 30)) >/dev/null; host=$(($(now) - t0))
	touch_ratios+=("$(python3 -c "print($sim / $host)")")
	echo "pair $i: stage timing on/off wall $on / $off ns; realm seq 1G $sim ns, host first touch 1G $host ns"
done

echo
echo "sim speed on $(nproc) CPUs ($(uname -m)), realm+normal seq $size per vCPU, 1 vCPU:"
summarize "stage timing on/off, whole-process wall" 1.05 "${wall_ratios[@]}"
summarize "stage timing on/off, mean whole-fault time" 1.05 "${fault_ratios[@]}"
summarize "realm seq 1 GiB wall / host first touch 1 GiB" 3.0 "${touch_ratios[@]}"
