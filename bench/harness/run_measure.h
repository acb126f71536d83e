/*
 * What `rme-bench run` does around the harness to make numbers
 * trustworthy (issue 4, run side): pinning from the hwloc topology,
 * perf-counter notes, and repetitions with a CI across repeat medians.
 *
 * Contract: main-thread only. Pinning never fails a run on a machine that
 * cannot bind (the plan or the note says so); a --pin list the machine
 * cannot honour is an input error (-1 with a message naming --pin).
 * Files written into the results directory (topology.xml, repeats.csv)
 * go through a temporary name and a rename.
 */
#ifndef BENCH_RUN_MEASURE_H
#define BENCH_RUN_MEASURE_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/sim_harness.h"
#include "sys/topology.h"
#include "results/results.h"

struct run_pinning {
	struct sys_topology *topo;  /* NULL: topology unavailable (see note) */
	bool off;                   /* --pin off */
	bool from_user;             /* --pin CPULIST */
	struct sys_cpulist user;
	cpu_set_t original;         /* main thread's affinity at start */
	bool have_original;
	char note[SYS_PIN_NOTE_LEN];
	char *plans;                /* JSON members "<vcpus>": plan, ... */
	size_t plans_len;
};

/* pin_arg: NULL (default plan), "off", or the --pin CPU list. The plan
 * of every vCPU count is computed now so a bad list fails before running.
 * Main thread first, then vCPU 0, 1, ...: a list needs vcpus + 1 CPUs. */
int run_pin_init(struct run_pinning *p, const char *pin_arg, const unsigned *vcpus,
		 size_t n_vcpus, char *err, size_t len);
/* Bind the main thread for a run of `vcpus` vCPUs and fill vcpu_pu[i];
 * returns vcpu_pu, or NULL when this run is unpinned. Records the plan. */
/* CPUs this process may run on (its affinity mask at the first call,
 * which cmd_run makes before pinning anything), at least 1. */
unsigned run_cpus_available(void);

const int *run_pin_apply(struct run_pinning *p, unsigned vcpus, int *vcpu_pu);
/* meta.json "pinning" (plans per vCPU count, notes) and "topology". */
int run_pin_meta(struct run_pinning *p, struct results_writer *w, char *err, size_t len);
int run_pin_write_topology(struct run_pinning *p, const char *dir, char *err, size_t len);
void run_pin_free(struct run_pinning *p);

/* meta.json "perf": which counters this machine gives a thread, and why
 * the others are missing (a group opened in the main thread). */
int run_perf_meta(struct results_writer *w, char *err, size_t len);

/* Per-run perf extras: "perf.<counter>" summed over vCPU threads and
 * repeats, and "perf.<counter>_per_fault". Returns entries written. */
struct run_perf_sum {
	unsigned runs_read;         /* repeats whose counters were read */
	bool multiplexed;
	double value[SYS_PERF_COUNT];
	bool available[SYS_PERF_COUNT];
};
void run_perf_add(struct run_perf_sum *s, const struct run_result *r, bool first);
size_t run_perf_extras(const struct run_perf_sum *s, uint64_t faults,
		       struct results_extra *out, size_t max);

/* --perf-stages: per-stage counters summed over repeats (a counter is
 * kept only if every repeat had it). Extras per stage with marks, per
 * available counter: "perf_stage.<stage>.<counter>" (total) and
 * "perf_stage.<stage>.<counter>_per_fault" (total / faults of the run),
 * plus "perf_stage.<stage>.marks" and "perf_stage.<stage>.minor-faults"
 * (+ "_per_fault"; getrusage, which unlike perf's page-faults sees
 * page_pin's get_user_pages-style faults); and for the run "perf_stages"
 * (1), "perf_stage.reads_per_fault", "perf_stage.read_cost_ns" (the
 * median cost of one boundary's reads measured at start: each is timed
 * into the stage it closes, so stage times of such a run are not
 * comparable with a run without --perf-stages), "perf_stage.multiplexed"
 * and "perf_stage.minor-faults" (over the whole run phase). */
struct run_perf_stage_sum {
	unsigned runs_read;
	struct run_perf_stages s;
};
void run_perf_stage_add(struct run_perf_stage_sum *s, const struct run_result *r,
			bool first);
size_t run_perf_stage_extras(const struct run_perf_stage_sum *s, uint64_t faults,
			     double read_cost_ns, struct results_extra *out, size_t max);
/* Median cost of one boundary's reads (group read() + getrusage()) in
 * this (main) thread, in ns, over 2000 reads; < 0 when no group with any
 * counter opens. */
double run_perf_read_cost_ns(void);
/* meta.json "perf_stages": on, counters, read cost and the caveat. */
int run_perf_stage_meta(struct results_writer *w, double read_cost_ns, char *err,
			size_t len);

/* Repetitions: per-repeat medians of the whole-fault time. */
#define RUN_MAX_REPEATS 1000
enum run_repeat_stop { STOP_COUNT, STOP_CI_REACHED, STOP_BUDGET, STOP_MAX_REPEATS };
struct run_repeats {
	uint64_t p50[RUN_MAX_REPEATS];
	uint64_t faults[RUN_MAX_REPEATS];
	uint64_t total_ns[RUN_MAX_REPEATS];
	unsigned n;
	enum run_repeat_stop stop;
};
/* Median of the run's whole-fault times (0 with no faults). */
uint64_t run_median_ns(const struct run_result *r);
/* Half-width of the 95 % CI of the median of the repeat medians, in % of
 * that median; < 0 while there are too few repeats (fewer than 6). */
double run_repeat_ci_pct(const struct run_repeats *rep, uint64_t *median, uint64_t *lo,
			 uint64_t *hi);
size_t run_repeat_extras(const struct run_repeats *rep, struct results_extra *out, size_t max);
const char *run_repeat_stop_name(enum run_repeat_stop s);

/* repeats.csv: one row per repeat of every configuration. */
struct run_repeat_log {
	char *buf;
	size_t len, cap;
};
int run_repeat_log_add(struct run_repeat_log *log, int run_id, const struct run_config *cfg,
		       const char *abi, const struct run_repeats *rep);
int run_repeat_log_write(const struct run_repeat_log *log, const char *dir, char *err,
			 size_t len);
void run_repeat_log_free(struct run_repeat_log *log);

#endif
