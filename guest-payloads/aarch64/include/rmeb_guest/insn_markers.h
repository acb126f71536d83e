/*
 * Instruction-accounting markers: the contract between the aarch64 payload
 * and rme-bench's QEMU plugin (tools/qemu_insn_plugin). Each is an
 * unallocated HINT immediate (HINT #104..#106: CRm = 0b1101, op2 = 0..2;
 * every HINT the Arm ARM allocates is below #64), which the architecture
 * defines to execute as a NOP: on hardware and under any emulator without
 * the plugin they cost one instruction and change nothing.
 *
 *   HINT #104  span begin: x0 = (guest vCPU << 32) | sample index
 *   HINT #105  span end:   x0 = the same tag
 *   HINT #106  run begin:  x0 = guest vCPU, x1 = vCPUs of this VM
 *
 * Everything the same QEMU vCPU executes between a span's begin and end
 * (the guest, the host kernel at EL2, host EL0, and under RME the RMM and
 * EL3) is that sample's.
 */
#ifndef RMEB_GUEST_INSN_MARKERS_H
#define RMEB_GUEST_INSN_MARKERS_H

#define RMEB_MARK_SPAN_BEGIN 104
#define RMEB_MARK_SPAN_END   105
#define RMEB_MARK_RUN_BEGIN  106

#endif
