#!/usr/bin/env bash
# Installs qemu-system-arm from Debian's <codename>-backports suite (QEMU 10
# on bookworm: built with TCG plugin support, which instruction accounting
# needs; bookworm's own QEMU 7.2 lacks the register and conditional-callback
# API). The backports source is added with the mirror URI this machine's apt
# sources already use (one-line /etc/apt/sources.list* or deb822 .sources),
# so no mirror is named here. Idempotent: exits 0 at once when the
# installed qemu-system-aarch64 already comes from backports.
#
# Usage: scripts/qemu/qemu-backports.sh [--print-source]
#   --print-source  print the apt source it would add and exit (no root needed)
# Exit 0 done, 1 apt failed or no usable source found, 2 usage.
set -euo pipefail

die() { echo "qemu-backports.sh: $*" >&2; exit 1; }
[ $# -le 1 ] || { echo "usage: qemu-backports.sh [--print-source]" >&2; exit 2; }
case "${1:-}" in ''|--print-source) ;; *) echo "usage: qemu-backports.sh [--print-source]" >&2; exit 2 ;; esac

codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || die "no VERSION_CODENAME in /etc/os-release"
suite=$codename-backports

# The first URI that serves the release itself (suite == codename), from
# one-line sources ("deb [opts] URI SUITE COMPONENTS...") or deb822 stanzas.
mirror_uri() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk -v want="$codename" '
			$1 == "deb" {
				i = 2
				if ($i ~ /^\[/) { while ($i !~ /\]$/ && i < NF) i++; i++ }
				if ($(i + 1) == want) { print $i; exit }
			}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v want="$codename" '
			function flush() {
				if (uri != "" && types ~ /(^|[ \t])deb([ \t]|$)/ && (" " suites " ") ~ (" " want " "))
					{ print uri; found = 1 }
				uri = ""; suites = ""; types = ""
			}
			/^[ \t]*$/ { flush(); if (found) exit; next }
			/^[ \t]*#/ { next }
			tolower($1) == "uris:" { uri = $2 }
			tolower($1) == "suites:" { $1 = ""; suites = $0 }
			tolower($1) == "types:" { $1 = ""; types = $0 }
			END { if (!found) flush() }' "$f"
	done
}
uri=$(mirror_uri | head -n1)
[ -n "$uri" ] || die "no apt source for '$codename' in /etc/apt/sources.list{,.d/*}: cannot derive a mirror for $suite"

stanza="Types: deb
URIs: $uri
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
if [ "${1:-}" = --print-source ]; then
	echo "$stanza"
	exit 0
fi

if dpkg-query -W -f='${Version}' qemu-system-arm 2>/dev/null | grep -q '~bpo'; then
	exit 0
fi
[ "$(id -u)" -eq 0 ] || die "run as root (apt-get) to install qemu-system-arm from $suite"
list=/etc/apt/sources.list.d/rmeb-backports.sources
if [ ! -f "$list" ]; then
	echo "$stanza" >"$list"
	echo "qemu-backports.sh: added $suite from the existing mirror ($list)"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || die "apt-get update failed"
apt-get install -y -qq --no-install-recommends -t "$suite" qemu-system-arm >/dev/null ||
	die "apt-get install -t $suite qemu-system-arm failed"
echo "qemu-backports.sh: $(qemu-system-aarch64 --version | head -n1)"
