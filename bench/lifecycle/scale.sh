#!/usr/bin/env bash
# A realm's memory over its whole life against its size (a benchmark, not a
# test: it reports numbers, it never fails on one).
#
# For each SIZE, one `rme-bench run --backend sim --pattern seq --vcpus 1
# --phases populate,fault,teardown --populate SIZE/4` per VM kind (a realm
# per policy of POLICIES, a comma list, and the normal VM), each in its own
# process so its peak RSS is its own; with UNMEASURED=1 each realm also
# runs with --populate-unmeasured (the `measured` column). Prints, per size and VM, every phase's wall time, ns per MiB
# and RMI calls per MiB (from summary.json), and the process's wall time and
# peak RSS (GNU time's %M). Cost per GiB should stay flat with size and RSS
# bounded (guest RAM above 1 GiB is a 1 GiB host window, faults.csv a
# sample above 1 Mi faults). Writes the table to OUT/scale.tsv too.
#
# Usage: bench/lifecycle/scale.sh [OUT [POLICIES [SIZES...]]]
#        (default: results/lifecycle-scale, cca-v1, 1G 4G 16G 64G)
# Needs a Release build in build-scale/ (made here; or RMEB_EXE=path of a
# Release rme-bench), python3 and GNU time. The runs' directories are
# temporary (a sampled faults.csv is 1 Mi rows); only scale.tsv is kept.
set -euo pipefail
cd "$(dirname "$0")/../.."

out=${1:-results/lifecycle-scale}
policies=${2:-cca-v1}
shift $(( $# > 2 ? 2 : $# ))
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1G 4G 16G 64G)
[ -x /usr/bin/time ] || { echo "scale.sh: needs GNU time (/usr/bin/time)" >&2; exit 2; }
exe=${RMEB_EXE:-build-scale/bench/rme-bench}
if [ -z "${RMEB_EXE:-}" ]; then
	cmake -S . -B build-scale -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build build-scale -j 2 --target rme-bench >/dev/null
fi
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tsv="$out/scale.tsv"
printf 'size\tvm\tpolicy\tmeasured\tphase\tbytes\twall_s\tns_per_mib\trmi_per_mib\tprocess_wall_s\tpeak_rss_mib\n' >"$tsv"

for size in "${sizes[@]}"; do
	bytes=$(numfmt --from=iec "$size")
	populate=$((bytes / 4))
	configs=()
	for policy in ${policies//,/ }; do
		configs+=("realm $policy measured")
		[ "${UNMEASURED:-0}" = 1 ] && configs+=("realm $policy unmeasured")
	done
	configs+=("normal normal -")
	for config in "${configs[@]}"; do
		read -r vm policy measured <<<"$config"
		dir="$tmp/$size-$vm"
		args=(run --backend sim --vm "$vm" --pattern seq --vcpus 1 --size "$size"
		      --phases populate,fault,teardown --populate "$populate" --out "$dir")
		[ "$vm" = realm ] && args+=(--policy "$policy")
		[ "$measured" = unmeasured ] && args+=(--populate-unmeasured)
		/usr/bin/time -f '%e %M' -o "$tmp/time.txt" "$exe" "${args[@]}" >/dev/null
		read -r wall rss_kib <"$tmp/time.txt"
		python3 - "$dir/summary.json" "$size" "$vm" "$wall" "$rss_kib" "$measured" >>"$tsv" <<'PY'
import json, sys
path, size, vm, wall, rss, measured = sys.argv[1:]
run = json.load(open(path))["runs"][0]
for ph in run["phases"]:
    print(f"{size}\t{vm}\t{run['policy']}\t{measured}\t{ph['phase']}\t{ph['bytes']}\t"
          f"{ph['total_ns'] / 1e9:.3f}\t{ph['ns_per_mib'] or 0:.0f}\t"
          f"{ph['rmi_calls_per_mib'] or 0:.2f}\t{float(wall):.1f}\t{int(rss) // 1024}")
PY
		rm -rf "$dir"
	done
done
column -t -s $'\t' "$tsv"
