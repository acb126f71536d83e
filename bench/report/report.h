/*
 * Reading a results directory back for `plot` and `compare`.
 *
 * Contract: report_load() reads DIR/meta.json and DIR/summary.json through
 * the validating loaders of trace/results.h, then DIR/faults.csv (the raw
 * per-fault samples) and cross-checks it against the summary: the header
 * must name every stage of trace/stage.h, every row must have every field,
 * every run id must exist, and each run must have exactly as many rows as
 * its summary says faults. So a truncated or corrupt directory is refused
 * with a message naming the file and line, never half-read into numbers.
 * An empty run (no runs at all, or no faults anywhere) is refused too.
 *
 * The samples are kept per run: total_ns and each stage's ns per fault.
 * Nothing here is thread-safe; nothing here prints.
 *
 * Failure: -1 with a message in ERR and nothing to free.
 */
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "results/json.h"
#include "results/results.h"
#include "clock/stage.h"
#include "results/stats.h"

/* Columns a results directory may add after the stages: the emulated
 * instruction counts of `rme-bench insn merge` (insn_*, op_*). */
#define REPORT_MAX_COUNT_COLS 64

struct report_run {
	const struct results_run_summary *sum; /* into report_dir.summary */
	size_t n;                              /* faults (rows of faults.csv) */
	uint64_t *total_ns;                    /* n samples, file order */
	uint32_t *stage_ns[STAGE_COUNT];       /* n samples each, 0: no time */
	uint64_t *count[REPORT_MAX_COUNT_COLS]; /* n samples of each count column */
	/* The step its times take: the coarser of the clock's resolution
	 * (meta time_source) and the run's time_step_ns; 0 if unknown. CIs
	 * are widened by it (stats_widen_ratio_ci). */
	double resolution_ns;
};

struct report_dir {
	char *path;
	struct json_value *meta;
	struct results_summary summary;
	struct report_run *runs; /* summary.n_runs */
	size_t n_runs;
	char *count_name[REPORT_MAX_COUNT_COLS]; /* insn_* / op_* columns, file order */
	size_t n_count;
};

/* Index of count column NAME in D, or -1. */
int report_count_index(const struct report_dir *d, const char *name);

int report_load(const char *dir, struct report_dir *out, char *err, size_t err_len);
void report_free(struct report_dir *d);

/* A meta.json string field, or "?" when absent. */
const char *report_meta_string(const struct report_dir *d, const char *key);
/* The platform of the measured machine for figures and `compare`
 * (results_platform_label of meta host.platform.kind; "platform not
 * recorded" for directories older than that record); *EMULATED when the
 * CPU was emulated (QEMU TCG, FVP). */
const char *report_platform(const struct report_dir *d, bool *emulated);
/* Whether the run's RMI calls were recorded: a real-vm run counts them
 * only when kernel SMC sites were probed (extra.rmi_calls_counted = 1); a
 * VMM's own run cannot see them. Not recorded is not zero. */
bool report_rmi_recorded(const struct report_run *r);

/*
 * Samples of one metric of a run into a new array (caller frees):
 * STAGE_COUNT selects the whole fault (total_ns); a stage selects that
 * stage's ns over the faults where it occurred (time > 0), the same rule
 * summary.json uses, or over every fault (zeros kept) when ALL_FAULTS.
 * *n may be 0 (then the result is a non-NULL empty array). NULL: no memory.
 */
uint64_t *report_samples(const struct report_run *r, enum stage s, bool all_faults, size_t *n);

/* Lower median (nearest rank) of N samples, reordering them; 0 if n == 0. */
uint64_t report_median(uint64_t *v, size_t n);

/*
 * Bootstrap CI of median(num) / median(den), like trace/stats.h
 * stats_bootstrap_median_ratio() (same definition: percentile interval of
 * ITERATIONS resamples with replacement, lower medians, seeded xoshiro) but
 * O(n log n + iterations) instead of O(iterations * n): a resample's lower
 * median is the order statistic x(ceil(U n)) where U is the k-th smallest
 * of n uniforms, i.e. U ~ Beta(k, n - k + 1) with k = ceil(n / 2), so U is
 * drawn directly (two gamma variates) instead of drawing n values. Exact in
 * distribution, not bit-identical to the slow version. Sorts NUM and DEN
 * in place. -1 on bad input or when median(den) == 0.
 */
int report_bootstrap_median_ratio(uint64_t *num, size_t n_num, uint64_t *den, size_t n_den,
				  unsigned iterations, double confidence, uint64_t seed,
				  struct ratio_ci *out);

/* Does a configuration key field take part in matching? (compare --ignore) */
enum report_key_field {
	REPORT_KEY_VM, REPORT_KEY_PATTERN, REPORT_KEY_POLICY, REPORT_KEY_ABI,
	REPORT_KEY_PAGE, REPORT_KEY_SIZE, REPORT_KEY_VCPUS, REPORT_KEY_COUNT
};
extern const char *const report_key_names[REPORT_KEY_COUNT];

/* "realm seq cca-v1 1.0 4K 64M 1vcpu" (fields in IGNORED are left out). */
void report_run_label(const struct results_run_summary *r, const bool *ignored, char *buf,
		      size_t len);
bool report_same_config(const struct results_run_summary *a, const struct results_run_summary *b,
			const bool *ignored);

#endif
