/*
 * Fast bootstrap of a ratio of medians: sample each resample's median rank
 * from its exact Beta distribution instead of resampling every value.
 */
#include <math.h>
#include <stdlib.h>

#include "report.h"

/* Uniform in (0, 1), never 0 so that log() is finite. */
static double uniform(struct stats_rng *rng)
{
	return ((double)(stats_rng_next(rng) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static double normal(struct stats_rng *rng)
{
	/* Box-Muller; one of the pair is enough here */
	double u = uniform(rng), v = uniform(rng);
	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

/* Gamma(a, 1) for a >= 1 (Marsaglia and Tsang 2000). */
static double gamma_ge1(double a, struct stats_rng *rng)
{
	double d = a - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
	for (;;) {
		double x = normal(rng), v = 1.0 + c * x;
		if (v <= 0)
			continue;
		v = v * v * v;
		double u = uniform(rng);
		if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
			return d * v;
	}
}

/* The lower median of one resample (with replacement) of sorted V. */
static uint64_t resampled_median(const uint64_t *v, size_t n, struct stats_rng *rng)
{
	double k = (double)((n + 1) / 2), x = gamma_ge1(k, rng);
	double y = gamma_ge1((double)n - k + 1.0, rng);
	double u = x / (x + y);
	size_t idx = (size_t)ceil(u * (double)n);
	idx = idx < 1 ? 1 : idx > n ? n : idx;
	return v[idx - 1];
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int report_bootstrap_median_ratio(uint64_t *num, size_t n_num, uint64_t *den, size_t n_den,
				  unsigned iterations, double confidence, uint64_t seed,
				  struct ratio_ci *out)
{
	if (!num || !den || !n_num || !n_den || !iterations ||
	    !(confidence > 0.0 && confidence < 1.0))
		return -1;
	stats_sort_u64(num, n_num);
	stats_sort_u64(den, n_den);
	uint64_t med_num = num[(n_num + 1) / 2 - 1], med_den = den[(n_den + 1) / 2 - 1];
	if (!med_den)
		return -1;
	double *ratios = malloc(iterations * sizeof(*ratios));
	if (!ratios)
		return -1;
	struct stats_rng rng;
	stats_rng_seed(&rng, seed);
	for (unsigned i = 0; i < iterations; i++) {
		uint64_t a = resampled_median(num, n_num, &rng);
		uint64_t b = resampled_median(den, n_den, &rng);
		ratios[i] = b ? (double)a / (double)b : INFINITY;
	}
	qsort(ratios, iterations, sizeof(*ratios), cmp_double);
	/* the same percentile ranks as stats_bootstrap_median_ratio() */
	double tail = (1.0 - confidence) / 2.0;
	size_t lo = (size_t)floor(tail * iterations);
	size_t hi = (size_t)ceil((1.0 - tail) * iterations);
	lo = lo >= iterations ? iterations - 1 : lo;
	hi = hi < 1 ? 1 : hi;
	*out = (struct ratio_ci){
		.ratio = (double)med_num / (double)med_den,
		.low = ratios[lo],
		.high = ratios[hi - 1],
		.iterations = iterations,
		.confidence = confidence,
	};
	free(ratios);
	return 0;
}
