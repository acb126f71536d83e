#!/bin/sh
# The property test's sequences, written as command files (--emit) and
# replayed by `rme-bench rmi`, must give back every status the model gave
# when it ran them: the formatter (rmi_cmd_format), the parser and the
# model agree, so a replay on another RMM (TF-RMM's host build, see
# docs/rmm-model.md) compares like with like.
#   emit_replay.sh PROPERTY_TEST RME_BENCH
set -eu
prop=$1 rmeb=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$prop" --emit "$tmp" 1.0 7 2 250 >/dev/null
"$prop" --emit "$tmp" 2.0 7 2 250 >/dev/null
fails=0 total=0
for f in "$tmp"/*.rmi; do
	abi=$(basename "$f" | cut -d- -f1)
	opts=""
	[ "$abi" = 1.0 ] && opts="--rec-aux 16"
	# shellcheck disable=SC2086
	"$rmeb" rmi --abi "$abi" $opts "$f" >"$f.out"
	# "N COMMAND STATUS ..." against the "# model: STATUS" of line N
	awk 'NR == FNR { if ($0 !~ /^#/ && match($0, /# model: [A-Z_]+/)) want[FNR] = substr($0, RSTART + 9, RLENGTH - 9); next }
	     { total++; if (want[$1] != $3) { bad++; if (bad <= 5) print FILENAME ": line " $1 ": replay " $3 ", model " want[$1] } }
	     END { printf "%d %d\n", total, bad + 0 > "/dev/stderr" }' "$f" "$f.out" 2>"$f.count"
	read -r n bad <"$f.count"
	[ "$n" -gt 100 ] || { echo "$f: only $n commands replayed"; exit 1; }
	total=$((total + n))
	fails=$((fails + bad))
done
echo "$total commands replayed, $fails differ"
[ "$fails" -eq 0 ]
