#!/bin/sh
# One ctest case of the `rme-bench rmi` runner. Fails (non-zero) on any
# difference from what the case expects.
#
#   run_case.sh diff  DRIVER EXPECTED ARGS...  exit 0, empty stderr, stdout == EXPECTED
#   run_case.sh stdin DRIVER EXPECTED FILE ARGS...  the same, FILE fed on stdin as '-'
#   run_case.sh bad   DRIVER EXPECTED ARGS...  exit 2, empty stdout, every line of
#                                              EXPECTED found (fixed string) in stderr
#   run_case.sh status DRIVER RC ARGS...        exit status RC
set -u
mode=$1 driver=$2 expected=$3
shift 3
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

case $mode in
stdin)
	file=$1
	shift
	"$driver" "$@" - <"$file" >"$tmp/out" 2>"$tmp/err"
	;;
*)
	"$driver" "$@" >"$tmp/out" 2>"$tmp/err"
	;;
esac
rc=$?

fail() {
	echo "FAIL: $*"
	echo "--- stdout"; cat "$tmp/out"
	echo "--- stderr"; cat "$tmp/err"
	exit 1
}

case $mode in
diff | stdin)
	[ "$rc" -eq 0 ] || fail "exit status $rc, expected 0"
	[ -s "$tmp/err" ] && fail "unexpected stderr"
	diff -u "$expected" "$tmp/out" || fail "output differs from $expected"
	;;
bad)
	[ "$rc" -eq 2 ] || fail "exit status $rc, expected 2"
	[ -s "$tmp/out" ] && fail "stdout not empty: nothing may run on bad input"
	[ -s "$tmp/err" ] || fail "no message on stderr"
	while IFS= read -r want; do
		[ -z "$want" ] && continue
		grep -qF -- "$want" "$tmp/err" || fail "stderr lacks '$want'"
	done <"$expected"
	;;
status)
	[ "$rc" -eq "$expected" ] || fail "exit status $rc, expected $expected"
	;;
*)
	echo "run_case.sh: unknown mode $mode"
	exit 1
	;;
esac
exit 0
