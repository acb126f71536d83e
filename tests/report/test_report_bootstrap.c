/*
 * The fast bootstrap of a ratio of medians (bench/report/bootstrap.c)
 * against the resampling one of trace/stats.h on the same data: the
 * intervals must agree to within Monte Carlo noise, and the edge cases
 * (constant samples, a zero denominator median, one sample) behave.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "report_test.h"
#include "results/stats.h"

/* Skewed latencies like a fault log: a body plus a slow tail. */
static void fill(uint64_t *v, size_t n, uint64_t base, uint64_t seed)
{
	struct stats_rng rng;
	stats_rng_seed(&rng, seed);
	for (size_t i = 0; i < n; i++) {
		uint64_t r = stats_rng_next(&rng);
		v[i] = base + r % (base / 4) + ((r >> 40) % 10 == 0 ? base * (r >> 50) % 7 : 0);
	}
}

static void agree(size_t na, size_t nb, uint64_t base_a, uint64_t base_b)
{
	uint64_t *a = malloc(na * sizeof(*a)), *b = malloc(nb * sizeof(*b));
	uint64_t *a2 = malloc(na * sizeof(*a)), *b2 = malloc(nb * sizeof(*b));
	if (!a || !b || !a2 || !b2) {
		CHECK(!"out of memory");
		goto out;
	}
	fill(a, na, base_a, 1);
	fill(b, nb, base_b, 2);
	memcpy(a2, a, na * sizeof(*a));
	memcpy(b2, b, nb * sizeof(*b));
	struct ratio_ci slow, fast;
	CHECK(stats_bootstrap_median_ratio(a, na, b, nb, 2000, 0.95, 7, &slow) == 0);
	CHECK(report_bootstrap_median_ratio(a2, na, b2, nb, 2000, 0.95, 7, &fast) == 0);
	CHECK(fast.ratio == slow.ratio);
	double width = slow.high - slow.low;
	/* the ends of a 2000-resample percentile interval wander by a few % of
	 * its width between generators; a wrong distribution is off by far more */
	if (fabs(fast.low - slow.low) > 0.2 * width + 1e-9 ||
	    fabs(fast.high - slow.high) > 0.2 * width + 1e-9)
		fprintf(stderr, "n=%zu/%zu: fast [%g, %g] slow [%g, %g]\n", na, nb, fast.low,
			fast.high, slow.low, slow.high);
	CHECK(fabs(fast.low - slow.low) <= 0.2 * width + 1e-9);
	CHECK(fabs(fast.high - slow.high) <= 0.2 * width + 1e-9);
	CHECK(fast.low <= fast.ratio && fast.ratio <= fast.high);
out:
	free(a);
	free(b);
	free(a2);
	free(b2);
}

int main(void)
{
	agree(101, 99, 10000, 3000);
	agree(2000, 3000, 16000, 4000);
	agree(7, 9, 5000, 5000);

	uint64_t same[50], zero[5] = { 0, 0, 0, 7, 9 }, one = 5;
	for (size_t i = 0; i < 50; i++)
		same[i] = 1234;
	struct ratio_ci ci;
	CHECK(report_bootstrap_median_ratio(same, 50, same, 50, 500, 0.95, 1, &ci) == 0);
	CHECK(ci.ratio == 1.0 && ci.low == 1.0 && ci.high == 1.0);
	CHECK(report_bootstrap_median_ratio(same, 50, zero, 5, 500, 0.95, 1, &ci) == -1);
	CHECK(report_bootstrap_median_ratio(&one, 1, same, 50, 500, 0.95, 1, &ci) == 0);
	CHECK(report_bootstrap_median_ratio(same, 0, same, 50, 500, 0.95, 1, &ci) == -1);
	CHECK(report_bootstrap_median_ratio(same, 50, same, 50, 0, 0.95, 1, &ci) == -1);
	CHECK(report_bootstrap_median_ratio(same, 50, same, 50, 500, 1.0, 1, &ci) == -1);

	/* the same inputs and seed give the same interval */
	uint64_t x[300], y[300];
	struct ratio_ci c1, c2;
	fill(x, 300, 9000, 5);
	fill(y, 300, 3000, 6);
	CHECK(report_bootstrap_median_ratio(x, 300, y, 300, 1000, 0.95, 42, &c1) == 0);
	CHECK(report_bootstrap_median_ratio(x, 300, y, 300, 1000, 0.95, 42, &c2) == 0);
	CHECK(c1.low == c2.low && c1.high == c2.high);

	if (report_test_failures)
		fprintf(stderr, "report_bootstrap: %d check(s) failed\n", report_test_failures);
	else
		printf("report_bootstrap: ok\n");
	return report_test_failures != 0;
}
