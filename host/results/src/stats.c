/* Order statistics, the median CI and the bootstrap ratio CI. */
#include "results/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

uint64_t stats_percentile_sorted(const uint64_t *sorted, size_t n, uint32_t ppm)
{
	if (n == 0)
		return 0;
	if (ppm > 1000000)
		ppm = 1000000;
	/* rank = ceil(ppm * n / 1e6), at least 1; exact in 64 bits below 1.8e13 samples. */
	uint64_t rank = ((uint64_t)ppm * n + 999999) / 1000000;
	if (rank == 0)
		rank = 1;
	return sorted[rank - 1];
}

/* Standard normal quantile by bisection on erfc: cold path, exact enough. */
static double normal_quantile(double p)
{
	double lo = -40.0, hi = 40.0;
	for (int i = 0; i < 200; i++) {
		double mid = (lo + hi) / 2;
		if (0.5 * erfc(-mid / M_SQRT2) < p)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

/*
 * Largest k with P(B <= k - 1) <= tail, B ~ Binomial(n, 1/2); 0 if none.
 * The pmf is carried in log space: 2^-n underflows long before n = 10^4.
 */
static size_t exact_median_ci_k(size_t n, double tail)
{
	double log_pmf = -(double)n * M_LN2, cdf = 0.0;
	size_t k = 0;
	for (size_t i = 0; i <= n; i++) {
		cdf += exp(log_pmf);
		if (cdf > tail)
			break;
		k = i + 1;
		log_pmf += log((double)(n - i) / (double)(i + 1));
	}
	return k;
}

int stats_median_ci_ranks(size_t n, double confidence, size_t *lo_rank, size_t *hi_rank)
{
	if (n == 0 || !(confidence > 0.0 && confidence < 1.0))
		return -1;
	double tail = (1.0 - confidence) / 2.0;
	size_t k;
	if (n <= STATS_EXACT_CI_MAX_N) {
		k = exact_median_ci_k(n, tail);
	} else {
		double z = normal_quantile(1.0 - tail);
		double half_width = z * sqrt((double)n) / 2.0;
		double lo = floor((double)n / 2.0 - half_width);
		k = lo < 1.0 ? 0 : (size_t)lo;
	}
	if (k == 0 || k > n - k + 1)
		return -1;
	*lo_rank = k;
	*hi_rank = n - k + 1;
	return 0;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/*
 * Below this, qsort's constant beats the radix passes' buffer and
 * histograms; above it, radix is linear and branch-free where qsort spends
 * most of its time in the compare callback (11 % of a stage-timed run).
 */
#define RADIX_MIN_N 256
#define RADIX_BITS 11
#define RADIX_BUCKETS (1u << RADIX_BITS)

/* LSD radix sort, 11-bit digits, only as many passes as the largest value needs. */
static int radix_sort_u64(uint64_t *samples, size_t n)
{
	uint64_t max = 0;
	for (size_t i = 0; i < n; i++)
		max |= samples[i];
	uint64_t *buf = malloc(n * sizeof(*buf));
	if (!buf)
		return -1;
	uint64_t *src = samples, *dst = buf;
	for (unsigned shift = 0; shift < 64 && (max >> shift) != 0; shift += RADIX_BITS) {
		size_t count[RADIX_BUCKETS] = { 0 };
		for (size_t i = 0; i < n; i++)
			count[(src[i] >> shift) & (RADIX_BUCKETS - 1)]++;
		size_t offset = 0;
		for (size_t d = 0; d < RADIX_BUCKETS; d++) {
			size_t c = count[d];
			count[d] = offset;
			offset += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[(src[i] >> shift) & (RADIX_BUCKETS - 1)]++] = src[i];
		uint64_t *t = src;
		src = dst;
		dst = t;
	}
	if (src != samples)
		memcpy(samples, src, n * sizeof(*samples));
	free(buf);
	return 0;
}

void stats_sort_u64(uint64_t *samples, size_t n)
{
	if (n < 2)
		return;
	if (n >= RADIX_MIN_N && radix_sort_u64(samples, n) == 0)
		return;
	qsort(samples, n, sizeof(*samples), compare_u64);
}

int stats_summarize(uint64_t *samples, size_t n, struct sample_stats *out)
{
	if (n == 0 || !samples)
		return -1;
	stats_sort_u64(samples, n);
	struct sample_stats st = { .n = n, .min = samples[0], .max = samples[n - 1] };
	st.p50 = stats_percentile_sorted(samples, n, 500000);
	st.p90 = stats_percentile_sorted(samples, n, 900000);
	st.p99 = stats_percentile_sorted(samples, n, 990000);
	st.p999 = stats_percentile_sorted(samples, n, 999000);
	/* Sum in two 64-bit halves: n * max can exceed 2^64 on long runs. */
	uint64_t sum_hi = 0, sum_lo = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t before = sum_lo;
		sum_lo += samples[i];
		sum_hi += sum_lo < before;
	}
	st.mean = (ldexp((double)sum_hi, 64) + (double)sum_lo) / (double)n;
	size_t lo, hi;
	if (stats_median_ci_ranks(n, 0.95, &lo, &hi) == 0) {
		st.has_p50_ci = true;
		st.p50_ci_low = samples[lo - 1];
		st.p50_ci_high = samples[hi - 1];
	}
	*out = st;
	return 0;
}

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void stats_rng_seed(struct stats_rng *rng, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		rng->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t stats_rng_next(struct stats_rng *rng)
{
	uint64_t *s = rng->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

static inline void swap_u64(uint64_t *x, uint64_t *y)
{
	uint64_t tmp = *x;
	*x = *y;
	*y = tmp;
}

/*
 * The K-th smallest (0-based) of V, reordering V: quickselect with a
 * median-of-three pivot and a three-way partition, so runs of equal
 * latencies (common at coarse clock resolution) cannot make it quadratic.
 */
static uint64_t select_kth(uint64_t *v, size_t n, size_t k)
{
	size_t left = 0, right = n - 1;
	while (left < right) {
		uint64_t a = v[left], b = v[left + (right - left) / 2], c = v[right];
		uint64_t pivot = a < b ? (b < c ? b : (a < c ? c : a))
				       : (a < c ? a : (b < c ? c : b));
		/* [left, lt) < pivot, [lt, gt] == pivot, (gt, right] > pivot */
		size_t lt = left, i = left, gt = right;
		while (i <= gt) {
			if (v[i] < pivot) {
				swap_u64(&v[lt++], &v[i++]);
			} else if (v[i] > pivot) {
				swap_u64(&v[i], &v[gt]);
				gt--; /* the pivot value stays in range: gt >= lt */
			} else {
				i++;
			}
		}
		if (k < lt)
			right = lt - 1;
		else if (k > gt)
			left = gt + 1;
		else
			return pivot;
	}
	return v[k];
}

static size_t lower_median_index(size_t n)
{
	return (n + 1) / 2 - 1;
}

static uint64_t resampled_median(const uint64_t *src, size_t n, uint64_t *scratch,
				 struct stats_rng *rng)
{
	for (size_t i = 0; i < n; i++)
		scratch[i] = src[stats_rng_next(rng) % n];
	return select_kth(scratch, n, lower_median_index(n));
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median_ratio(uint64_t num, uint64_t den)
{
	return den == 0 ? INFINITY : (double)num / (double)den;
}

int stats_bootstrap_median_ratio(const uint64_t *a, size_t na, const uint64_t *b,
				 size_t nb, unsigned iterations, double confidence,
				 uint64_t seed, struct ratio_ci *out)
{
	if (!a || !b || na == 0 || nb == 0 || iterations == 0 ||
	    !(confidence > 0.0 && confidence < 1.0))
		return -1;
	uint64_t *scratch = malloc((na > nb ? na : nb) * sizeof(*scratch));
	double *ratios = malloc(iterations * sizeof(*ratios));
	int ret = -1;
	if (!scratch || !ratios)
		goto out;

	memcpy(scratch, a, na * sizeof(*a));
	uint64_t med_a = select_kth(scratch, na, lower_median_index(na));
	memcpy(scratch, b, nb * sizeof(*b));
	uint64_t med_b = select_kth(scratch, nb, lower_median_index(nb));
	if (med_b == 0)
		goto out;

	struct stats_rng rng;
	stats_rng_seed(&rng, seed);
	for (unsigned it = 0; it < iterations; it++) {
		uint64_t ma = resampled_median(a, na, scratch, &rng);
		uint64_t mb = resampled_median(b, nb, scratch, &rng);
		ratios[it] = median_ratio(ma, mb);
	}
	qsort(ratios, iterations, sizeof(*ratios), compare_double);
	double tail = (1.0 - confidence) / 2.0;
	size_t lo = (size_t)floor(tail * iterations);
	size_t hi = (size_t)ceil((1.0 - tail) * iterations);
	if (lo >= iterations)
		lo = iterations - 1;
	if (hi < 1)
		hi = 1;
	*out = (struct ratio_ci){
		.ratio = median_ratio(med_a, med_b),
		.low = ratios[lo],
		.high = ratios[hi - 1],
		.iterations = iterations,
		.confidence = confidence,
	};
	ret = 0;
out:
	free(scratch);
	free(ratios);
	return ret;
}

uint64_t stats_time_step(const uint64_t *values, size_t n)
{
	static const uint64_t steps[] = { 1000, 500, 200, 100, 50, 20, 10, 5, 2 };
	if (n == 0)
		return 0;
	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		size_t multiples = 0;
		for (size_t i = 0; i < n; i++)
			multiples += values[i] % steps[k] == 0;
		if (multiples * 10 >= n * 9)
			return steps[k];
	}
	return 1;
}

void stats_widen_ci(struct sample_stats *st, double resolution_ns)
{
	if (!st->has_p50_ci || !(resolution_ns > 0.0))
		return;
	uint64_t half = (uint64_t)ceil(resolution_ns / 2.0);
	st->p50_ci_low = st->p50_ci_low > half ? st->p50_ci_low - half : 0;
	st->p50_ci_high += half;
}

void stats_widen_ratio_ci(double *low, double *high, uint64_t med_num, uint64_t med_den,
			  double resolution_ns)
{
	if (!(resolution_ns > 0.0) || !med_num || !med_den)
		return;
	double hn = resolution_ns / 2.0 / (double)med_num, hd = resolution_ns / 2.0 / (double)med_den;
	*low *= (hn < 1.0 ? 1.0 - hn : 0.0) / (1.0 + hd);
	*high = hd < 1.0 ? *high * (1.0 + hn) / (1.0 - hd) : INFINITY;
}
