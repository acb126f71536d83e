/* Log-linear histogram: bucket geometry and percentile walk. */
#include "results/histogram.h"

#include <string.h>

void histogram_init(struct histogram *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

uint64_t histogram_bucket_low(size_t i)
{
	if (i < HISTOGRAM_EXACT_LIMIT)
		return i;
	size_t shift = i / HISTOGRAM_SUB_COUNT - 1;
	uint64_t sub = i - shift * HISTOGRAM_SUB_COUNT; /* in [128, 255] */
	return sub << shift;
}

uint64_t histogram_bucket_high(size_t i)
{
	if (i < HISTOGRAM_EXACT_LIMIT)
		return i;
	size_t shift = i / HISTOGRAM_SUB_COUNT - 1;
	return histogram_bucket_low(i) + ((1ULL << shift) - 1);
}

void histogram_merge(struct histogram *dst, const struct histogram *src)
{
	for (size_t i = 0; i < HISTOGRAM_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t histogram_percentile(const struct histogram *h, uint32_t ppm)
{
	if (h->count == 0)
		return 0;
	if (ppm > 1000000)
		ppm = 1000000;
	/* Same rank rule as stats_percentile_sorted; 128-bit-safe via division. */
	uint64_t rank = h->count / 1000000 * ppm +
			((h->count % 1000000) * ppm + 999999) / 1000000;
	if (rank == 0)
		rank = 1;
	uint64_t seen = 0;
	for (size_t i = 0; i < HISTOGRAM_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= rank) {
			uint64_t low = histogram_bucket_low(i), high = histogram_bucket_high(i);
			uint64_t mid = low + (high - low) / 2;
			if (mid < h->min)
				mid = h->min;
			if (mid > h->max)
				mid = h->max;
			return mid;
		}
	}
	return h->max;
}

size_t histogram_next_nonempty(const struct histogram *h, size_t from)
{
	for (size_t i = from; i < HISTOGRAM_BUCKETS; i++)
		if (h->buckets[i])
			return i;
	return HISTOGRAM_BUCKETS;
}
