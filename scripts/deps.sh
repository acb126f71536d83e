#!/usr/bin/env bash
# Installs the Debian packages rme-bench needs to build, test, run and plot.
# Usage: scripts/deps.sh [build|test|qemu]...   (default: build)
# Idempotent and quiet when everything is already there; needs root (apt-get).
set -euo pipefail

BUILD_PKGS=(cmake make gcc g++ pkg-config libbenchmark-dev libhwloc-dev hwloc-nox
            gnuplot-nox libcmocka-dev libssl-dev
            gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu) # the aarch64 payload image
TEST_PKGS=(python3)
# The QEMU end-to-end host (scripts/qemu): the emulator, the cross compilers
# and the arm64 libraries the cross-built rme-bench links (multiarch :arm64
# packages; the arm64 kernel and busybox are fetched by scripts/qemu itself).
QEMU_PKGS=(qemu-system-arm gcc-aarch64-linux-gnu g++-aarch64-linux-gnu
           binutils-aarch64-linux-gnu cpio gzip python3
           libhwloc-dev:arm64 libbenchmark-dev:arm64 libssl-dev:arm64)

want=()
for what in "${@:-build}"; do
	case "$what" in
	build) want+=("${BUILD_PKGS[@]}") ;;
	test)  want+=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}") ;;
	qemu)  want+=("${BUILD_PKGS[@]}" "${QEMU_PKGS[@]}") ;;
	*) echo "deps.sh: unknown package set '$what' (build|test|qemu)" >&2; exit 2 ;;
	esac
done

# QEMU 10 from <codename>-backports for the instruction plugin (plugin
# API 4): the mirror comes from this machine's own apt sources.
qemu_backports() {
	case " $* " in *" qemu "*) ;; *) return 0 ;; esac
	"$(dirname "$0")/qemu/insn-qemu.sh" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps.sh: qemu-system-aarch64 cannot run the instruction plugin; run as root" \
			"(scripts/qemu/qemu-backports.sh installs QEMU 10)" >&2
		return 0
	fi
	"$(dirname "$0")/qemu/qemu-backports.sh" ||
		echo "deps.sh: QEMU from backports not installed (the qemu.insn test will say why)" >&2
}

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	qemu_backports "${@:-build}"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}; run as root (apt-get)" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# :arm64 packages need dpkg to know the architecture (before apt-get update).
case " ${missing[*]}" in *:arm64*)
	dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64 ;;
esac
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
qemu_backports "${@:-build}"
