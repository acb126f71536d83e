#!/usr/bin/env bash
# Downloads the arm64 Debian packages the QEMU host is assembled from (the
# Debian arm64 kernel and busybox-static) into a cache directory and unpacks
# them there, so re-runs reuse them. Prints nothing when the cache is warm.
#
# Usage: scripts/qemu/fetch-debs.sh CACHE_DIR
# Needs: dpkg with the arm64 architecture added and apt lists for it
# (scripts/deps.sh qemu does both). Exit 1 when a download fails.
set -euo pipefail

cache=${1:?usage: fetch-debs.sh CACHE_DIR}
mkdir -p "$cache/debs" "$cache/root"

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	echo "fetch-debs.sh: dpkg has no arm64 architecture; run scripts/deps.sh qemu" >&2
	exit 1
fi

# The metapackage only names the versioned image package; resolve it so the
# cache key is the real kernel version.
kpkg=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*-arm64\).*/\1/p' | head -n1)
if [ -z "$kpkg" ]; then
	echo "fetch-debs.sh: apt knows no linux-image-arm64:arm64; run scripts/deps.sh qemu" >&2
	exit 1
fi

fetch() { # PKG: download PKG:arm64 into the cache unless a .deb of it is there
	local pkg=$1
	if ! ls "$cache/debs/${pkg}_"*_arm64.deb >/dev/null 2>&1; then
		echo "fetch-debs.sh: downloading $pkg:arm64"
		# As root, apt would drop to its sandbox user, which cannot write here.
		(cd "$cache/debs" && apt-get download -qq -o APT::Sandbox::User="$(id -un)" "$pkg:arm64") || {
			echo "fetch-debs.sh: apt-get download $pkg:arm64 failed" >&2
			exit 1
		}
	fi
	local deb
	deb=$(ls "$cache/debs/${pkg}_"*_arm64.deb | head -n1)
	if [ ! -e "$cache/root/.$pkg.unpacked" ]; then
		dpkg-deb -x "$deb" "$cache/root"
		touch "$cache/root/.$pkg.unpacked"
	fi
}

fetch "$kpkg"
fetch busybox-static
echo "$kpkg" >"$cache/kernel-package"
