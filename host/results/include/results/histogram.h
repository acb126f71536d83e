/*
 * Log-linear latency histogram (HDR style): fixed memory, mergeable.
 *
 * Contract: values 0..255 have exact buckets; above, each power-of-two
 * range [2^m, 2^(m+1)) is split into 128 equal buckets, so a bucket is at
 * most 1/128 of its values wide and a reported value (the bucket midpoint,
 * clamped to the recorded min/max) is within 0.4 % of the true sample.
 * The whole uint64 range is covered: recording never fails or allocates.
 * Merging adds counts, so per-vCPU or per-run histograms combine exactly.
 * A histogram is owned by one thread while recording (no atomics).
 * struct histogram is about 60 KiB: allocate it, do not put it on a stack.
 */
#ifndef RESULTS_HISTOGRAM_H
#define RESULTS_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#define HISTOGRAM_SUB_BITS     7                      /* 128 buckets per octave */
#define HISTOGRAM_SUB_COUNT    (1u << HISTOGRAM_SUB_BITS)
#define HISTOGRAM_EXACT_LIMIT  (2u * HISTOGRAM_SUB_COUNT) /* 0..255 exact */
#define HISTOGRAM_BUCKETS      ((64 - HISTOGRAM_SUB_BITS) * HISTOGRAM_SUB_COUNT + HISTOGRAM_SUB_COUNT)

struct histogram {
	uint64_t count;
	uint64_t min, max; /* min = UINT64_MAX when empty */
	double sum;
	uint64_t buckets[HISTOGRAM_BUCKETS];
};

void histogram_init(struct histogram *h);

static inline size_t histogram_bucket_index(uint64_t v)
{
	if (v < HISTOGRAM_EXACT_LIMIT)
		return (size_t)v;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v);
	unsigned shift = msb - HISTOGRAM_SUB_BITS;
	return (size_t)shift * HISTOGRAM_SUB_COUNT + (size_t)(v >> shift);
}

/* Smallest and largest value that map to bucket I. */
uint64_t histogram_bucket_low(size_t i);
uint64_t histogram_bucket_high(size_t i);

static inline void histogram_record_n(struct histogram *h, uint64_t v, uint64_t n)
{
	if (n == 0)
		return;
	h->buckets[histogram_bucket_index(v)] += n;
	h->count += n;
	h->sum += (double)v * (double)n;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

static inline void histogram_record(struct histogram *h, uint64_t v)
{
	histogram_record_n(h, v, 1);
}

void histogram_merge(struct histogram *dst, const struct histogram *src);

/* Nearest-rank percentile (ppm as in stats.h); 0 when empty. */
uint64_t histogram_percentile(const struct histogram *h, uint32_t ppm);

/*
 * For drawing a CDF: the first non-empty bucket at or after FROM, or
 * HISTOGRAM_BUCKETS when none. Loop: for (i = next(h, 0); i < N; i = next(h, i + 1)).
 */
size_t histogram_next_nonempty(const struct histogram *h, size_t from);

#endif
