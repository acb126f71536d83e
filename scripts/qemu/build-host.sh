#!/usr/bin/env bash
# Assembles the arm64 host that QEMU boots: the Debian arm64 kernel, and an
# initramfs with busybox-static, an arm64 rme-bench (cross-built with
# cmake/aarch64-linux-gnu.cmake) with the arm64 shared libraries it needs,
# the aarch64 guest payload image, scripts/qemu/init.sh as /init and, if
# given, a command to run as /etc/rmeb/run.sh.
#
# Usage: scripts/qemu/build-host.sh CACHE_DIR OUT_DIR [COMMAND...]
#   CACHE_DIR  downloaded .debs and the arm64 build (git-ignored: build*/)
#   OUT_DIR    gets vmlinuz and initrd.gz
#   COMMAND    run inside the host by /init (its output lands in results/)
# Env: RMEB_QEMU_SRC  source tree to cross-build (default: this checkout),
#      e.g. a `git archive HEAD` copy while others edit the working tree.
#      RMEB_QEMU_TARGETS  more arm64 targets to build and put in /bin
#      (e.g. kvm_touch from tests/qemu); RMEB_QEMU_ADD "SRC:DEST ..." more
#      files to copy into the initramfs. RMEB_QEMU_ARM64_BUILD  the arm64
#      build directory (default OUT_DIR/build-arm64): callers that assemble
#      several hosts from one tree share it (one at a time).
# Exit 1 when a step fails (the message names it), 2 on bad usage.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "${RMEB_QEMU_SRC:-$here/../..}" && pwd)
if [ $# -lt 2 ]; then
	echo "usage: build-host.sh CACHE_DIR OUT_DIR [COMMAND...]" >&2
	exit 2
fi
cache=$1 out=$2
shift 2
mkdir -p "$cache" "$out"
cache=$(cd "$cache" && pwd)
out=$(cd "$out" && pwd)

die() { echo "build-host.sh: $*" >&2; exit 1; }

for tool in aarch64-linux-gnu-gcc aarch64-linux-gnu-g++ aarch64-linux-gnu-readelf cpio gzip cmake; do
	command -v "$tool" >/dev/null || die "$tool not found (scripts/deps.sh qemu installs it)"
done

"$here/fetch-debs.sh" "$cache" || die "fetching the arm64 packages failed"
root="$cache/root"
kernel=$(ls "$root"/boot/vmlinuz-* 2>/dev/null | head -n1)
[ -n "$kernel" ] || die "no kernel in $root/boot"
[ -x "$root/bin/busybox" ] || die "no busybox in $root/bin"

# The arm64 build, with the same -Werror as every other build. It lives
# under OUT_DIR, not the shared cache: a CMake build directory belongs to
# one source tree.
arm=${RMEB_QEMU_ARM64_BUILD:-$out/build-arm64}
cmake -S "$src" -B "$arm" -DCMAKE_TOOLCHAIN_FILE="$src/cmake/aarch64-linux-gnu.cmake" \
	-DRMEB_TESTS=qemu \
	>"$out/arm64-configure.log" 2>&1 || die "configuring the arm64 build failed: see $out/arm64-configure.log"
targets=(rme-bench ${RMEB_QEMU_TARGETS:-})
cmake --build "$arm" -j2 --target "${targets[@]}" >"$out/arm64-build.log" 2>&1 ||
	die "building the arm64 ${targets[*]} failed: see $out/arm64-build.log"
if cmake --build "$arm" -j2 --target rmeb_guest_image >>"$out/arm64-build.log" 2>&1; then
	guest="$arm/guest-payloads/aarch64/rmeb-guest.img"
else
	guest=""
	echo "build-host.sh: no guest payload image (rmeb_guest_image did not build)" >&2
fi

# The initramfs tree.
ird="$out/initramfs"
rm -rf "$ird"
mkdir -p "$ird"/{bin,etc/rmeb,lib/aarch64-linux-gnu,share/rme-bench,proc,sys,dev,tmp}
# /dev/console for /init's output: with -initrd the kernel's own built-in
# archive has it, but an initramfs built into a kernel (the CCA host of
# realm-insn.sh, booted by firmware) must bring its own. mknod needs root.
mknod -m 600 "$ird/dev/console" c 5 1 2>/dev/null ||
	echo "build-host.sh: no /dev/console in the initramfs (mknod needs root): fine with -initrd only" >&2
cp "$root/bin/busybox" "$ird/bin/busybox"
ln -s busybox "$ird/bin/sh" # the shebang of /init
cp "$here/init.sh" "$ird/init"
chmod 755 "$ird/init"
cp "$arm/bench/rme-bench" "$ird/bin/rme-bench"
for t in ${RMEB_QEMU_TARGETS:-}; do
	bin=$(find "$arm" -type f -name "$t" -perm -u+x | head -n1)
	[ -n "$bin" ] || die "built target $t not found under $arm"
	cp "$bin" "$ird/bin/$t"
done
for pair in ${RMEB_QEMU_ADD:-}; do
	mkdir -p "$(dirname "$ird/${pair#*:}")"
	cp "${pair%%:*}" "$ird/${pair#*:}" || die "cannot add ${pair%%:*} to the initramfs"
done
# Next to rme-bench, where the kvm backend looks for its payload first.
[ -n "$guest" ] && cp "$guest" "$ird/bin/rmeb-guest.img"

# Shared libraries: the NEEDED closure of rme-bench, from Debian's arm64
# multiarch directories (packages installed as PKG:arm64) or the cross sysroot.
libdirs=(/usr/lib/aarch64-linux-gnu /lib/aarch64-linux-gnu /usr/aarch64-linux-gnu/lib)
find_lib() {
	local d
	for d in "${libdirs[@]}"; do
		[ -e "$d/$1" ] && { echo "$d/$1"; return 0; }
	done
	return 1
}
needed() { aarch64-linux-gnu-readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
todo=("$ird/bin/rme-bench")
for t in ${RMEB_QEMU_TARGETS:-}; do todo+=("$ird/bin/$t"); done
declare -A seen=()
while [ ${#todo[@]} -gt 0 ]; do
	f=${todo[0]}
	todo=("${todo[@]:1}")
	for lib in $(needed "$f"); do
		[ -n "${seen[$lib]:-}" ] && continue
		seen[$lib]=1
		path=$(find_lib "$lib") || die "arm64 library $lib not found (install its :arm64 package)"
		cp -L "$path" "$ird/lib/aarch64-linux-gnu/$lib"
		todo+=("$ird/lib/aarch64-linux-gnu/$lib")
	done
done
loader=$(find_lib ld-linux-aarch64.so.1) || die "the arm64 dynamic loader is missing (libc6:arm64)"
cp -L "$loader" "$ird/lib/ld-linux-aarch64.so.1"

if [ $# -gt 0 ]; then
	{
		echo "#!/bin/sh"
		echo "# Written by scripts/qemu/build-host.sh"
		printf '%q ' "$@"
		echo
	} >"$ird/etc/rmeb/run.sh"
	chmod 755 "$ird/etc/rmeb/run.sh"
fi

(cd "$ird" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 >"$out/initrd.gz"
cp "$kernel" "$out/vmlinuz"
echo "build-host.sh: $out/vmlinuz ($(basename "$kernel")), $out/initrd.gz ($(du -k "$out/initrd.gz" | cut -f1) KiB)"
