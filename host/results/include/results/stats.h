/*
 * Order statistics of latency samples (uint64 ns).
 *
 * Contract: pure functions, no global state, thread-safe. Percentiles use
 * the nearest-rank definition: the p-th percentile is the smallest sample
 * with at least p % of the samples at or below it (rank ceil(p * n), no
 * interpolation), so every reported value is a value that was measured.
 * Percentiles are given in parts per million (p99.9 = 999000) so ranks are
 * computed in exact integer arithmetic.
 *
 * The median's confidence interval is distribution-free: the order
 * statistics x(lo), x(hi) with lo = k, hi = n - k + 1 and k the largest
 * rank with P(Binomial(n, 1/2) <= k - 1) <= alpha / 2. Exact binomial up
 * to STATS_EXACT_CI_MAX_N samples, the normal approximation above.
 *
 * Functions returning int give 0, or -1 with nothing written on bad input
 * (n == 0, confidence outside (0, 1), allocation failure).
 */
#ifndef RESULTS_STATS_H
#define RESULTS_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATS_PPM(percent) ((uint32_t)((percent) * 10000.0 + 0.5))
#define STATS_EXACT_CI_MAX_N 10000

struct sample_stats {
	size_t n;
	uint64_t min, p50, p90, p99, p999, max;
	double mean;
	bool has_p50_ci;   /* false when n is too small (n < 6 at 95 %) */
	uint64_t p50_ci_low, p50_ci_high;
};

/* Nearest-rank percentile of sorted samples; 0 <= ppm <= 1000000, n > 0. */
uint64_t stats_percentile_sorted(const uint64_t *sorted, size_t n, uint32_t ppm);

/* 1-based ranks bounding the median's CI. -1 if n is too small. */
int stats_median_ci_ranks(size_t n, double confidence, size_t *lo_rank, size_t *hi_rank);

/* Sorts SAMPLES in place (ascending) and fills OUT, CI at 95 %. */
int stats_summarize(uint64_t *samples, size_t n, struct sample_stats *out);

void stats_sort_u64(uint64_t *samples, size_t n);

/*
 * The step recorded times take: the largest of 1000, 500, 200, 100, 50,
 * 20, 10, 5, 2 ns that at least 90 % of the N values are multiples of,
 * else 1. (A clock that advances in 10 ns steps gives 10 even when an
 * odd read lands between.) 0 for N == 0.
 */
uint64_t stats_time_step(const uint64_t *values, size_t n);
/*
 * Honour the resolution of the measurements: each value stands for an
 * interval of one step, so the CI of the median reaches half a step
 * beyond the order statistics that bound it ([x(lo) - r/2, x(hi) + r/2],
 * rounded outwards to whole ns, never below 0). No zero-width interval.
 */
void stats_widen_ci(struct sample_stats *st, double resolution_ns);
/* The same for a ratio of two medians MED_NUM / MED_DEN whose interval
 * is [*LOW, *HIGH]: the extremes the half steps allow. */
void stats_widen_ratio_ci(double *low, double *high, uint64_t med_num, uint64_t med_den,
			  double resolution_ns);

struct ratio_ci {
	double ratio;      /* median(a) / median(b) on the full samples */
	double low, high;  /* percentile bootstrap interval; may be +inf */
	unsigned iterations;
	double confidence;
};

/*
 * Bootstrap CI of median(a) / median(b): ITERATIONS resamples of each set
 * with replacement from a generator seeded with SEED, so the same inputs
 * and seed give the same interval on every machine. Medians are lower
 * medians (nearest rank). A resample whose b-median is 0 gives +inf.
 * Cost O(iterations * (na + nb)). -1 also when median(b) == 0.
 */
int stats_bootstrap_median_ratio(const uint64_t *a, size_t na, const uint64_t *b,
				 size_t nb, unsigned iterations, double confidence,
				 uint64_t seed, struct ratio_ci *out);

/* The deterministic generator the bootstrap uses (xoshiro256**). */
struct stats_rng {
	uint64_t s[4];
};
void stats_rng_seed(struct stats_rng *rng, uint64_t seed);
uint64_t stats_rng_next(struct stats_rng *rng);

#endif
