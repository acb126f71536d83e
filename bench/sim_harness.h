/*
 * The sim backend's harness, in the shape of KVM selftests' memstress:
 * build a VM (normal, or a realm on the RMM model) with N vCPUs and B bytes
 * per vCPU, start one host thread per vCPU running one pattern, wait, and
 * hand back what happened: every fault record, the RMI/RSI counts of the
 * run phase only (realm creation and teardown excluded), and what the
 * guests saw. One configuration per call, in fresh state every time.
 * Optionally each vCPU thread is pinned and counted with a perf group
 * (opened in the thread, read around the run phase only).
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
	char error[256];
};

int sim_run(const struct sim_run_config *cfg, struct sim_run_result *res);
void sim_run_result_free(struct sim_run_result *res);

#endif
