#!/bin/sh
# Turn the expectations written next to each command of a case file
# (`COMMAND ARG...  # => RESULT`) into the case's .expected file:
# "<line> <COMMAND> <RESULT>" for every command line. The expectations are
# reasoned from the specification when the case is written; keeping them
# next to the command keeps the reasoning reviewable. Run by hand after
# editing a case:  sh annotations_to_expected.sh cases/v1_foo.rmi
set -eu
for f in "$@"; do
	awk '
	{ line = $0; sub(/#.*/, "", line) }
	line ~ /^[ \t]*$/ { next }
	{
		if (index($0, "# => ") == 0) {
			printf "%s:%d: command without an expectation\n", FILENAME, NR > "/dev/stderr"
			exit 1
		}
		split(line, w, /[ \t]+/)
		cmd = (w[1] == "") ? w[2] : w[1]
		sub(/^RMI_/, "", cmd)
		res = substr($0, index($0, "# => ") + 5)
		sub(/[ \t]+$/, "", res)
		printf "%d %s %s\n", NR, cmd, res
	}' "$f" >"${f%.rmi}.expected"
done
