/*
 * One run of one configuration, on any backend: what to run and what
 * happened.
 *
 * Contract: header only. The sim harness (bench/harness/sim_harness.h, the RMM
 * and host models) and the real KVM backend (host/vmm) both take a
 * struct run_config and fill a struct run_result, so `rme-bench run`
 * writes the same results whichever ran. This header depends only on the
 * modules below every backend (pattern definitions, stage names and fault
 * records, results counts, perf counter ids); a policy is named by pointer
 * and only the sim backend looks inside it.
 */
#ifndef RUN_RUN_H
#define RUN_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "payload/pattern.h"
#include "run/vm_type.h"
#include "sys/perf.h"
#include "results/results.h"
#include "clock/stage.h"

struct kvm_policy;

/* Lifecycle phases of `run --phases` (docs/sim-backend.md, "Lifecycle"). */
enum run_phase_id { RUN_PHASE_POPULATE, RUN_PHASE_FAULT, RUN_PHASE_TEARDOWN, RUN_PHASE_COUNT };
#define RUN_PHASE_BIT(p) (1u << (p))
#define RUN_PHASES_ALL   (RUN_PHASE_BIT(RUN_PHASE_COUNT) - 1)

static inline const char *run_phase_name(enum run_phase_id p)
{
	static const char *const names[RUN_PHASE_COUNT] = { "populate", "fault", "teardown" };
	return (unsigned)p < RUN_PHASE_COUNT ? names[p] : "?";
}

struct run_config {
	enum vm_type vm;
	const struct kvm_policy *policy;
	const struct pattern *pattern;
	uint64_t size;          /* bytes per vCPU */
	uint64_t page;          /* backing: 4K or 2M */
	bool hugetlb;           /* 2M backing from hugetlbfs (else THP) */
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
	const uint32_t *rmi_weights; /* per-command weights for the fault
				      * records' call_weight (kvm_config), or NULL */
	unsigned phases;        /* RUN_PHASE_BITs measured as phase records;
				 * 0: the fault phase alone and no records
				 * (the default, today's results) */
	uint64_t populate;      /* bytes of initial contents (populate phase) */
	bool populate_measured; /* RMI_MEASURE_CONTENT (default) or not */
	uint64_t fault_sample;  /* sim: records a run keeps before faults.csv
				 * becomes a sample (0: SIM_FAULT_SAMPLE) */
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
struct run_perf_stages {
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

#define RUN_MAX_COUNTS 48
#define RUN_MAX_PHASE_STAGES 16

/* One lifecycle phase of a run (cfg.phases): what it did and cost. counts:
 * RMI commands (and RSI events) by name; stages: ns by host-path stage
 * name (fault: the fault stages summed over faults; populate, teardown:
 * kvm/lifecycle.h). Names are static strings. */
struct run_phase {
	bool present;
	uint64_t bytes;                /* guest RAM the phase covered */
	uint64_t total_ns;
	uint64_t rmi_calls;            /* REC_ENTER excluded */
	int measured;                  /* populate: 1 or 0; else -1 */
	struct results_count counts[RUN_MAX_COUNTS];
	size_t n_counts;
	struct results_count stages[RUN_MAX_PHASE_STAGES];
	size_t n_stages;
};

/* Add ADD's counts into INTO by name (new names appended while there is
 * room): pooling repeats of a configuration. */
static inline void run_counts_merge(struct results_count *into, size_t *n, size_t max,
				    const struct results_count *add, size_t n_add)
{
	for (size_t i = 0; i < n_add; i++) {
		size_t j = 0;
		while (j < *n && strcmp(into[j].name, add[i].name))
			j++;
		if (j == *n && j < max)
			into[(*n)++] = (struct results_count){ add[i].name, 0 };
		if (j < max)
			into[j].count += add[i].count;
	}
}

static inline void run_phase_merge(struct run_phase *into, const struct run_phase *add)
{
	if (!add->present)
		return;
	if (!into->present) {
		*into = *add;
		return;
	}
	into->bytes += add->bytes;
	into->total_ns += add->total_ns;
	into->rmi_calls += add->rmi_calls;
	run_counts_merge(into->counts, &into->n_counts, RUN_MAX_COUNTS, add->counts,
			 add->n_counts);
	run_counts_merge(into->stages, &into->n_stages, RUN_MAX_PHASE_STAGES, add->stages,
			 add->n_stages);
}

struct run_result {
	struct fault_record *faults;   /* malloc'd; run_result_free() */
	size_t n_faults;               /* records in faults */
	/* Above a size the records are a uniform sample: hist (malloc'd)
	 * holds the exact count, kinds, calls and distributions; NULL when
	 * faults holds every fault. */
	struct results_fault_hist *hist;
	uint64_t dropped_faults;
	struct results_count counts[RUN_MAX_COUNTS];
	size_t n_counts;
	uint64_t rmi_calls;            /* RMI commands of the run phase but REC_ENTER */
	uint64_t total_ns;             /* wall time from start to last vCPU done */
	/* what the guests saw, summed over vCPUs */
	uint64_t guest_accesses, guest_first_touches, guest_exits, guest_seas;
	uint64_t guest_errors, missed_faults, unexpected_exits;
	/* host side */
	uint64_t races, mmio_exits, irq_exits, leaked_granules;
	/* interleaving events (struct vcpu_stats): why multi-vCPU counts vary */
	uint64_t rtt_create_lost, rtt_recreated, spare_taken, spare_kept, spare_full, scan_folded,
		 scan_refused;
	uint64_t host_page_ins;        /* page_pin calls that had to fault host
					* memory in (0 when prefaulted) */
	/* perf counters of the vCPU threads over the run phase, summed over
	 * vCPUs (cfg.perf_counters); a counter is available only if every
	 * vCPU's group had it. pin_failures: vCPUs that stayed unpinned. */
	bool perf_read;
	bool perf_multiplexed;
	double perf_value[SYS_PERF_COUNT];
	bool perf_available[SYS_PERF_COUNT];
	unsigned pin_failures;
	bool perf_stages_read;         /* cfg.perf_stages and every group opened */
	struct run_perf_stages perf_stages;
	char error[256];
	bool refused;                  /* the machine refused the VM (a realm the
					* kernel or RMM would not create or
					* activate): `run` exits 2, not 1 */
	struct run_phase phases[RUN_PHASE_COUNT]; /* cfg.phases */
};

/* Free what a backend allocated in RES (the fault records). */
static inline void run_result_free(struct run_result *res)
{
	free(res->faults);
	res->faults = NULL;
	res->n_faults = 0;
	free(res->hist);
	res->hist = NULL;
}

#endif
