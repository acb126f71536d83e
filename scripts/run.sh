#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine and runs the main job: the default
# benchmark suite on the sim backend, then its figures.
#   1. installs the Debian packages it needs (scripts/deps.sh, apt-get);
#   2. builds rme-bench (Release, into build-release/);
#   3. rme-bench run   -> results/run-<time>-sim/ (meta.json, faults.csv,
#                         summary.json, topology.xml)
#   4. rme-bench plot  -> results/run-<time>-sim/plots/*.png|svg
# Extra arguments go to `rme-bench run` (e.g. --pattern seq --vcpus 1).
# The last line printed is the results directory.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh build

jobs=$(nproc 2>/dev/null || echo 2)
# Only what the main job runs: the rme-bench binary, no test programs.
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DRMEB_TESTS=none >/dev/null
cmake --build build-release -j "$jobs" --target rme-bench >/dev/null
bench=build-release/bench/rme-bench

out="results/run-$(date -u +%Y%m%d-%H%M%S)-sim"
echo "== rme-bench run (sim backend) -> $out"
"$bench" run --out "$out" "$@"

echo "== rme-bench plot $out"
"$bench" plot "$out"

echo "== results"
ls "$out" "$out/plots"
echo "$out"
