#!/usr/bin/env bash
# Checks that a qemu-system-aarch64 can run rme-bench's instruction plugin:
# TCG plugin support and the plugin API the plugin uses (version 4, QEMU
# 9.2 to 10.0: register reads at translation time, per-vCPU scoreboards).
# Prints the QEMU version on success.
#
# Usage: scripts/qemu/insn-qemu.sh [QEMU_BINARY]
# Exit 0 usable; 2 with one line naming the QEMU version and what is missing.
set -euo pipefail

qemu=${1:-$(command -v qemu-system-aarch64 || true)}
if [ -z "$qemu" ] || [ ! -x "$qemu" ]; then
	echo "insn-qemu.sh: no qemu-system-aarch64 (scripts/qemu/qemu-backports.sh installs QEMU 10)" >&2
	exit 2
fi
version=$("$qemu" --version | sed -n 's/^QEMU emulator version \([0-9][0-9.]*\).*/\1/p')
[ -n "$version" ] || { echo "insn-qemu.sh: $qemu --version says no QEMU version" >&2; exit 2; }
syms=$(nm -D --defined-only "$qemu" 2>/dev/null | awk '{print $3}' | grep '^qemu_plugin_' || true)
if [ -z "$syms" ]; then
	echo "insn-qemu.sh: QEMU $version ($qemu) has no TCG plugin support (exports no qemu_plugin_* API)" >&2
	exit 2
fi
missing=()
for f in qemu_plugin_read_register qemu_plugin_get_registers qemu_plugin_scoreboard_new \
	qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu qemu_plugin_read_memory_vaddr \
	qemu_plugin_register_vcpu_tb_exec_cond_cb; do
	grep -qx "$f" <<<"$syms" || missing+=("$f")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "insn-qemu.sh: QEMU $version is too old for the plugin API it needs (version 4): missing ${missing[*]}" >&2
	exit 2
fi
# API 5 (QEMU 10.1) allows register reads only in callbacks that ask for
# them, not at translation time, where the plugin reads the EL.
if grep -qx qemu_plugin_write_register <<<"$syms"; then
	echo "insn-qemu.sh: QEMU $version has plugin API 5, which forbids the translation-time register reads the plugin's EL attribution uses (needs QEMU 9.2 to 10.0)" >&2
	exit 2
fi
echo "$version"
