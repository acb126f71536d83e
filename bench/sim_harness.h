/*
 * The sim backend's harness, in the shape of KVM selftests' memstress:
 * build a VM (normal, or a realm on the RMM model) with N vCPUs and B bytes
 * per vCPU, start one host thread per vCPU running one pattern, wait, and
 * hand back what happened: every fault record, the RMI/RSI counts of the
 * run phase only (realm creation and teardown excluded), and what the
 * guests saw. One configuration per call, in fresh state every time.
 * Optionally each vCPU thread is pinned and counted with a perf group
 * (opened in the thread, read around the run phase only), and with
 * perf_stages the same group is also read at every stage boundary of
 * every fault (a stage timer mark hook) and the deltas summed per stage
 * in per-vCPU accumulators, merged after the threads are joined.
 *
 * Failure: -1 with a message in result->error; nothing is leaked.
 */
#ifndef BENCH_SIM_HARNESS_H
#define BENCH_SIM_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvm/kvm.h"
#include "payload/pattern.h"
#include "rmm/rmm.h"
#include "sys/perf.h"
#include "trace/results.h"

struct sim_run_config {
	enum vm_type vm;
	const struct kvm_policy *policy;
	const struct pattern *pattern;
	uint64_t size;          /* bytes per vCPU */
	uint64_t page;          /* backing: 4K or 2M */
	unsigned vcpus;
	uint64_t seed;
	bool stage_timing;
	bool fresh_backing;     /* see struct kvm_config; default prefaulted */
	bool overlap;           /* every vCPU on the same pages */
	const int *pin_cpus;    /* vCPU i -> OS CPU, or NULL: unpinned */
	bool perf_counters;     /* count each vCPU thread (host/sys/perf.h) */
	bool perf_stages;       /* and per stage (needs perf_counters and
				 * stage_timing; each read is timed into
				 * the stage it closes) */
};

/* Per-stage counters of a run, summed over vCPUs: value[s][c] is the sum
 * of counter c's deltas over every interval closed by a mark of stage s
 * (from the previous mark, or from the fault's start), scaled per stage by
 * enabled/running time when the group was multiplexed. marks[s] counts
 * those intervals (a stage marked twice in a fault counts twice). Stages
 * whose end is stamped elsewhere (rec_exit, rec_enter: the guest clock;
 * unattributed) have no counters. available[c]: every vCPU's group had c
 * and every read succeeded; never_counted[s]: a multiplexed group never
 * ran during stage s (its values are unknown and left out). */
struct sim_perf_stages {
	uint64_t marks[STAGE_COUNT];
	/* Minor faults of the vCPU threads (getrusage(RUSAGE_THREAD), read
	 * with the group at each boundary): per stage and over the run phase.
	 * perf's page-faults event misses faults the kernel takes for the
	 * thread (get_user_pages, MADV_POPULATE_WRITE, i.e. page_pin's). */
	uint64_t minflt[STAGE_COUNT];
	uint64_t minflt_run;
	uint64_t reads;                /* boundaries read, starts included */
	uint64_t read_failures;
	double value[STAGE_COUNT][SYS_PERF_COUNT];
	bool available[SYS_PERF_COUNT];
	bool never_counted[STAGE_COUNT];
	bool multiplexed;
};

#define SIM_MAX_COUNTS 48

struct sim_run_result {
	struct fault_record *faults;   /* malloc'd; sim_run_result_free() */
	size_t n_faults;
	uint64_t dropped_faults;
	struct results_count counts[SIM_MAX_COUNTS];
	size_t n_counts;
	uint64_t rmi_calls;            /* RMI commands of the run phase but REC_ENTER */
	uint64_t total_ns;             /* wall time from start to last vCPU done */
	/* what the guests saw, summed over vCPUs */
	uint64_t guest_accesses, guest_first_touches, guest_exits, guest_seas;
	uint64_t guest_errors, missed_faults, unexpected_exits;
	/* host side */
	uint64_t races, mmio_exits, irq_exits, leaked_granules;
	/* perf counters of the vCPU threads over the run phase, summed over
	 * vCPUs (cfg.perf_counters); a counter is available only if every
	 * vCPU's group had it. pin_failures: vCPUs that stayed unpinned. */
	bool perf_read;
	bool perf_multiplexed;
	double perf_value[SYS_PERF_COUNT];
	bool perf_available[SYS_PERF_COUNT];
	unsigned pin_failures;
	bool perf_stages_read;         /* cfg.perf_stages and every group opened */
	struct sim_perf_stages perf_stages;
	char error[256];
};

int sim_run(const struct sim_run_config *cfg, struct sim_run_result *res);
void sim_run_result_free(struct sim_run_result *res);

#endif
