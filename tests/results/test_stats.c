/*
 * Statistics against brute force: percentiles by counting, median CI
 * ranks by exact integer binomial sums, bootstrap determinism.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "results/stats.h"

static uint64_t rng_state = 12345;

static uint64_t next_random(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return rng_state >> 33;
}

/* Brute force: v is the nearest-rank percentile iff it is a sample, at
 * least p of the samples are <= v, and fewer than p are < v. */
static int is_nearest_rank(const uint64_t *x, size_t n, uint32_t ppm, uint64_t v)
{
	size_t at_or_below = 0, below = 0, equal = 0;
	for (size_t i = 0; i < n; i++) {
		at_or_below += x[i] <= v;
		below += x[i] < v;
		equal += x[i] == v;
	}
	long double need = (long double)ppm * n / 1000000.0L;
	return equal > 0 && at_or_below >= need && (below < need || (ppm == 0 && below == 0));
}

static void test_percentiles_brute_force(void)
{
	const uint32_t ppms[] = { 0, 1, 500000, 900000, 990000, 999000, 1000000, 333333 };
	for (int trial = 0; trial < 200; trial++) {
		size_t n = 1 + next_random() % 3000;
		uint64_t *x = malloc(n * sizeof(*x)), *sorted = malloc(n * sizeof(*x));
		uint64_t range = trial % 3 == 0 ? 10 : 1000000; /* many ties, or few */
		for (size_t i = 0; i < n; i++)
			x[i] = next_random() % range;
		memcpy(sorted, x, n * sizeof(*x));
		stats_sort_u64(sorted, n);
		for (size_t p = 0; p < sizeof(ppms) / sizeof(ppms[0]); p++)
			CHECK(is_nearest_rank(x, n, ppms[p],
					      stats_percentile_sorted(sorted, n, ppms[p])));

		struct sample_stats st;
		memcpy(sorted, x, n * sizeof(*x));
		CHECK(stats_summarize(sorted, n, &st) == 0);
		uint64_t min = UINT64_MAX, max = 0;
		long double sum = 0;
		for (size_t i = 0; i < n; i++) {
			min = x[i] < min ? x[i] : min;
			max = x[i] > max ? x[i] : max;
			sum += x[i];
		}
		CHECK_EQ_U64(st.n, n);
		CHECK_EQ_U64(st.min, min);
		CHECK_EQ_U64(st.max, max);
		CHECK(fabsl(st.mean - sum / n) <= 1e-9L * (sum / n + 1));
		CHECK(is_nearest_rank(x, n, 500000, st.p50));
		CHECK(is_nearest_rank(x, n, 990000, st.p99));
		CHECK(is_nearest_rank(x, n, 999000, st.p999));
		CHECK(st.min <= st.p50 && st.p50 <= st.p90 && st.p90 <= st.p99 &&
		      st.p99 <= st.p999 && st.p999 <= st.max);
		if (st.has_p50_ci)
			CHECK(st.p50_ci_low <= st.p50 && st.p50 <= st.p50_ci_high);
		free(x);
		free(sorted);
	}
	struct sample_stats st;
	CHECK(stats_summarize(NULL, 0, &st) == -1);
	uint64_t one = 42;
	CHECK(stats_summarize(&one, 1, &st) == 0);
	CHECK(st.p50 == 42 && st.p999 == 42 && !st.has_p50_ci);
	/* Mean of huge values must not wrap. */
	uint64_t big[4] = { UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX };
	CHECK(stats_summarize(big, 4, &st) == 0);
	CHECK(fabs(st.mean - (double)UINT64_MAX) / (double)UINT64_MAX < 1e-12);
}

static uint64_t binomial(unsigned n, unsigned k)
{
	uint64_t c = 1;
	for (unsigned i = 1; i <= k; i++)
		c = c * (n - k + i) / i; /* exact: C(n-k+i, i) at every step */
	return c;
}

/* Coverage of [x(lo), x(hi)] = P(lo <= B <= hi - 1), exactly for n <= 60. */
static long double coverage(unsigned n, size_t lo, size_t hi)
{
	uint64_t inside = 0;
	for (size_t i = lo; i <= hi - 1; i++)
		inside += binomial(n, (unsigned)i);
	return (long double)inside / ldexpl(1.0L, (int)n);
}

static int compare_ref(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Value of shape SHAPE for index I of N: covers every radix pass count. */
static uint64_t sort_input(int shape, size_t i, size_t n)
{
	uint64_t wide = next_random() << 33 ^ next_random() << 2 ^ next_random();
	switch (shape) {
	case 0: return next_random() % 7;             /* ties, one pass */
	case 1: return next_random() % 100000;        /* two passes */
	case 2: return wide;                          /* all six passes, top bit */
	case 3: return 1000 + i;                      /* already sorted */
	case 4: return (uint64_t)(n - i) << 40;       /* reversed, low digits 0 */
	case 5: return 0;                             /* no pass at all */
	default: return i % 2 ? UINT64_MAX : wide;    /* extremes */
	}
}

/* The sort against qsort, on both sides of the radix threshold. */
static void test_sort_matches_qsort(void)
{
	const size_t sizes[] = { 0, 1, 2, 3, 255, 256, 257, 1000, 2048, 4097, 100000 };
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (int shape = 0; shape < 7; shape++) {
			size_t n = sizes[s];
			uint64_t *x = malloc((n + 1) * sizeof(*x)), *ref = malloc((n + 1) * sizeof(*x));
			for (size_t i = 0; i < n; i++)
				x[i] = sort_input(shape, i, n);
			memcpy(ref, x, n * sizeof(*x));
			qsort(ref, n, sizeof(*ref), compare_ref);
			stats_sort_u64(x, n);
			CHECK(n == 0 || memcmp(x, ref, n * sizeof(*x)) == 0);
			free(x);
			free(ref);
		}
	}
}

static void test_median_ci_exact(void)
{
	size_t lo, hi;
	CHECK(stats_median_ci_ranks(5, 0.95, &lo, &hi) == -1); /* 2 * 2^-5 > 5 % */
	CHECK(stats_median_ci_ranks(0, 0.95, &lo, &hi) == -1);
	CHECK(stats_median_ci_ranks(100, 1.5, &lo, &hi) == -1);
	/* Textbook values: n = 6 -> (1, 6); n = 10 -> (2, 9); n = 20 -> (6, 15). */
	CHECK(stats_median_ci_ranks(6, 0.95, &lo, &hi) == 0 && lo == 1 && hi == 6);
	CHECK(stats_median_ci_ranks(10, 0.95, &lo, &hi) == 0 && lo == 2 && hi == 9);
	CHECK(stats_median_ci_ranks(20, 0.95, &lo, &hi) == 0 && lo == 6 && hi == 15);
	for (unsigned n = 6; n <= 60; n++) {
		CHECK(stats_median_ci_ranks(n, 0.95, &lo, &hi) == 0);
		CHECK(lo + hi == n + 1);
		/* Covers 95 %, and the next narrower interval would not. */
		CHECK(coverage(n, lo, hi) >= 0.95L);
		if (lo + 1 <= hi - 1)
			CHECK(coverage(n, lo + 1, hi - 1) < 0.95L);
	}
	/* Exact and normal approximation agree near the switch-over. */
	size_t lo_exact, hi_exact, lo_norm, hi_norm;
	CHECK(stats_median_ci_ranks(STATS_EXACT_CI_MAX_N, 0.95, &lo_exact, &hi_exact) == 0);
	CHECK(stats_median_ci_ranks(STATS_EXACT_CI_MAX_N + 1, 0.95, &lo_norm, &hi_norm) == 0);
	CHECK(lo_norm + 2 >= lo_exact && lo_norm <= lo_exact + 2);
	/* Huge n: no overflow, symmetric, near n/2 -+ 0.98 sqrt(n). */
	CHECK(stats_median_ci_ranks(100000000, 0.95, &lo, &hi) == 0);
	CHECK(lo + hi == 100000001 && fabs((double)lo - (50000000.0 - 9800.0)) < 5.0);
}

static void test_bootstrap(void)
{
	enum { NA = 301, NB = 257 };
	uint64_t a[NA], b[NB];
	for (size_t i = 0; i < NA; i++)
		a[i] = 2000 + next_random() % 1000;
	for (size_t i = 0; i < NB; i++)
		b[i] = 1000 + next_random() % 500;
	struct ratio_ci r1, r2, r3;
	CHECK(stats_bootstrap_median_ratio(a, NA, b, NB, 1000, 0.95, 7, &r1) == 0);
	CHECK(stats_bootstrap_median_ratio(a, NA, b, NB, 1000, 0.95, 7, &r2) == 0);
	/* Deterministic for a seed (fields, not bytes: the struct has padding). */
	CHECK(r1.ratio == r2.ratio && r1.low == r2.low && r1.high == r2.high);
	CHECK(r1.iterations == r2.iterations && r1.confidence == r2.confidence);
	CHECK(stats_bootstrap_median_ratio(a, NA, b, NB, 1000, 0.95, 8, &r3) == 0);
	CHECK(r3.ratio == r1.ratio);
	CHECK(r1.low <= r1.ratio && r1.ratio <= r1.high);
	CHECK(r1.low > 1.6 && r1.high < 2.4); /* true ratio ~ 2500 / 1250 = 2 */

	/* The point estimate is the ratio of lower medians. */
	uint64_t sa[NA], sb[NB];
	memcpy(sa, a, sizeof(a));
	memcpy(sb, b, sizeof(b));
	stats_sort_u64(sa, NA);
	stats_sort_u64(sb, NB);
	CHECK(r1.ratio == (double)sa[(NA + 1) / 2 - 1] / (double)sb[(NB + 1) / 2 - 1]);

	/* Identical constant samples: the ratio is exactly 1 everywhere. */
	uint64_t c[10] = { 5, 5, 5, 5, 5, 5, 5, 5, 5, 5 };
	CHECK(stats_bootstrap_median_ratio(c, 10, c, 10, 200, 0.95, 1, &r1) == 0);
	CHECK(r1.ratio == 1.0 && r1.low == 1.0 && r1.high == 1.0);

	uint64_t zero[3] = { 0, 0, 0 };
	CHECK(stats_bootstrap_median_ratio(a, NA, zero, 3, 100, 0.95, 1, &r1) == -1);
	CHECK(stats_bootstrap_median_ratio(a, 0, b, NB, 100, 0.95, 1, &r1) == -1);
	CHECK(stats_bootstrap_median_ratio(a, NA, b, NB, 0, 0.95, 1, &r1) == -1);
}

/* The step the data takes, and CIs that honour it: the case, a
 * median CI of [1923, 1923] on data in 10 ns steps, is no longer zero-wide. */
static void test_resolution(void)
{
	uint64_t v[100];
	for (size_t i = 0; i < 100; i++)
		v[i] = 1900 + 10 * (i % 5);
	v[3] = 1923; /* an odd read between steps */
	CHECK_EQ_U64(stats_time_step(v, 100), 10);
	uint64_t ns[4] = { 1, 2, 3, 7 };
	CHECK_EQ_U64(stats_time_step(ns, 4), 1);
	CHECK_EQ_U64(stats_time_step(ns, 0), 0);
	uint64_t same[50];
	for (size_t i = 0; i < 50; i++)
		same[i] = 1920;
	struct sample_stats st;
	CHECK(stats_summarize(same, 50, &st) == 0);
	CHECK(st.has_p50_ci && st.p50_ci_low == st.p50_ci_high);
	stats_widen_ci(&st, 10.0);
	CHECK_EQ_U64(st.p50_ci_low, 1915);
	CHECK_EQ_U64(st.p50_ci_high, 1925);
	stats_widen_ci(&st, 0.0); /* unknown resolution: unchanged */
	CHECK_EQ_U64(st.p50_ci_high, 1925);
	double lo = 2.0, hi = 2.0;
	stats_widen_ratio_ci(&lo, &hi, 200, 100, 10.0);
	CHECK(lo < 2.0 && hi > 2.0);
	CHECK(fabs(lo - 2.0 * (1 - 0.025) / 1.05) < 1e-12);
	CHECK(fabs(hi - 2.0 * 1.025 / 0.95) < 1e-12);
}

int main(void)
{
	test_resolution();
	test_percentiles_brute_force();
	test_sort_matches_qsort();
	test_median_ci_exact();
	test_bootstrap();
	return check_report("stats");
}
