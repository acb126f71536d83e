# Toolchain file: cross-build a static arm64 rme-bench with Debian's cross
# compilers (gcc-aarch64-linux-gnu, g++-aarch64-linux-gnu), e.g. for the
# QEMU host initramfs (scripts/qemu/build-host.sh):
#
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
#
# Libraries are looked up in the cross sysroot and in Debian's multiarch
# arm64 directories (packages installed as PKG:arm64, e.g.
# libhwloc-dev:arm64 libbenchmark-dev:arm64), never in the build machine's
# own. -DRMEB_CROSS_STATIC=ON links a fully static binary; it needs static
# archives of every library, which Debian 12 does not ship for two of ours
# (libbenchmark-dev has no libbenchmark.a; libhwloc.a needs libudev, whose
# -dev package has no .a), so the QEMU scripts link dynamically and copy
# the arm64 shared libraries the binary needs into the initramfs.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# pkg-config must describe arm64 libraries only.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

if(RMEB_CROSS_STATIC)
  set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
endif()
