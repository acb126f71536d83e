/*
 * Joining rme-bench's QEMU instruction plugin output
 * (tools/qemu_insn_plugin) into a results directory of the same run.
 *
 * Contract: insn_merge() reads the plugin's span file and DIR (meta.json,
 * summary.json, faults.csv), pairs every fault row with the span its
 * guest vCPU marked (per guest vCPU, runs in summary order, samples in
 * order), and rewrites the three files in place (each atomically): faults.csv
 * gains per fault the instructions by world (insn_el0_ns ... insn_el3_root),
 * the op classes (op_*), the host kernel's stage split (insn_s_*), the
 * exceptions taken inside the span and flags; summary.json gains "insn"
 * (per run: distributions of each of those columns); meta.json gains "insn"
 * (what these numbers are: emulated instruction counts, QEMU and plugin
 * version, markers, missing stages). When the span file has "C" records
 * of RMI calls (the host's SMCs at NS-EL2), summary.json also gains
 * "insn_rmi": per RMI command (spec name, FID) its calls, flagged calls,
 * and min/p50/max of EL3, RMM and realm EL1/EL0 instructions per call.
 *
 * Refusals (return 2, message in ERR, nothing written): a span file that
 * is not the plugin's or is truncated (no "end"), a run id that differs
 * from meta.json extra.run_id (or either has none), a guest vCPU count or
 * a fault count per vCPU that differs from the results, a directory that
 * already has instruction columns. Other failures (I/O): 1.
 */
#ifndef BENCH_INSN_MERGE_H
#define BENCH_INSN_MERGE_H

#include <stddef.h>

struct insn_merge_opts {
	const char *spans;      /* the plugin's out= file */
	const char *dir;        /* results directory */
	const char *qemu_version; /* "10.0.2" etc., or NULL: taken from the span file */
};

int insn_merge(const struct insn_merge_opts *o, char *err, size_t err_len);

#endif
