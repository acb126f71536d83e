# Sourced by the instruction-accounting scripts (insn-e2e.sh, realm-insn.sh):
#   timed_boot CALLER HOST OUT NAME STEP LIMIT [PLUGIN_ARGS]
# boots HOST with scripts/qemu/boot.sh into OUT/NAME (under the plugin when
# PLUGIN_ARGS are given; boot.sh's other RMEB_QEMU_* variables as the
# caller sets them for the call), requires the run inside to have reported
# "RMEB-STEP STEP 0", and prints the boot's wall seconds. Messages name CALLER.
timed_boot() {
	local caller=$1 host=$2 out=$3 name=$4 step=$5 limit=$6 plug=${7:-} s e
	s=$(date +%s.%N)
	RMEB_QEMU_PLUGIN="$plug" "$(dirname "${BASH_SOURCE[0]}")/boot.sh" "$host" "$out/$name" "$limit" >&2 ||
		{ echo "$caller: boot $name failed (console: $out/$name/console.log)" >&2; return 1; }
	grep -q "^RMEB-STEP $step 0" "$out/$name/console.log" ||
		{ echo "$caller: the run inside boot $name failed (console: $out/$name/console.log)" >&2; return 1; }
	e=$(date +%s.%N)
	echo "$s $e" | awk '{printf "%.1f", $2 - $1}'
}
