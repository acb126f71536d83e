/*
 * Stage clock: calibration is sane and fixed-point conversion is exact
 * enough. Timing checks use generous tolerances (a loaded CI machine or a
 * sanitizer build must not make them flaky).
 */
#include <math.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "clock/stage_clock.h"

static uint64_t monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void test_uncalibrated_identity(void)
{
	CHECK_EQ_U64(stage_clock_ticks_to_ns(12345), 12345);
	CHECK_EQ_U64(stage_clock_ticks_to_ns(UINT64_MAX / 2), UINT64_MAX / 2);
}

/* Fixed point agrees with long double math, also for spans of hours. */
static void test_scale_precision(void)
{
	const double rates[] = { 0.024, 1.0, 1.5, 2.4, 3.0, 3.7, 5.0, 1e-6 };
	const uint64_t spans_ns[] = { 1, 1000, 123456789, 3600ULL * 1000000000ULL,
				      10ULL * 3600 * 1000000000ULL };
	for (size_t r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
		struct stage_clock_scale s;
		CHECK(stage_clock_scale_from_rate(&s, rates[r]) == 0);
		CHECK(s.mult < (1ULL << 32) && s.shift <= 32);
		for (size_t i = 0; i < sizeof(spans_ns) / sizeof(spans_ns[0]); i++) {
			uint64_t ticks = (uint64_t)((long double)spans_ns[i] * rates[r]);
			long double exact = (long double)ticks / rates[r];
			long double got = (long double)stage_clock_scale_ns(&s, ticks);
			/* 1 ppm relative, or 2 ns absolute for tiny spans. */
			CHECK(fabsl(got - exact) <= fmaxl(2.0L, exact * 1e-6L));
		}
	}
	struct stage_clock_scale s;
	CHECK(stage_clock_scale_from_rate(&s, 0.0) == -1);
	CHECK(stage_clock_scale_from_rate(&s, -1.0) == -1);
	CHECK(stage_clock_scale_from_rate(&s, NAN) == -1);
	CHECK(stage_clock_scale_from_rate(&s, INFINITY) == -1);
	CHECK(stage_clock_scale_from_rate(&s, 1e-12) == -1);
}

/* The reported step is the common one, not a rare smaller difference. */
static void test_common_step(void)
{
	uint64_t d[200];
	for (size_t i = 0; i < 200; i++)
		d[i] = i % 3 ? 10 : 20;
	d[0] = 1; /* one rare 1 ns step */
	d[1] = 0;
	CHECK_EQ_U64(stage_clock_common_step(d, 200, 0.01), 10);
	uint64_t rare[3] = { 0, 7, 0 };
	CHECK_EQ_U64(stage_clock_common_step(rare, 3, 0.5), 7);
	uint64_t zeros[2] = { 0, 0 };
	CHECK_EQ_U64(stage_clock_common_step(zeros, 2, 0.01), 0);
}

/* resolution_ns is the step the converted reads take: nearly every
 * non-zero difference of consecutive reads is a multiple of it. */
static void test_resolution_is_data_step(void)
{
	double res = stage_clock_info()->resolution_ns;
	uint64_t step = (uint64_t)llround(res), prev = stage_clock_ticks_to_ns(stage_clock_now());
	size_t nonzero = 0, multiples = 0;
	for (int i = 0; i < 100000; i++) {
		uint64_t cur = stage_clock_ticks_to_ns(stage_clock_now());
		if (cur > prev) {
			nonzero++;
			multiples += step && (cur - prev) % step == 0;
		}
		prev = cur;
	}
	printf("clock: resolution %.0f ns; %zu of %zu steps are multiples of it\n", res, multiples,
	       nonzero);
	CHECK(res >= 1.0);
	CHECK(nonzero == 0 || (double)multiples >= 0.9 * (double)nonzero || step <= 1);
}

static void test_calibration(void)
{
	CHECK(stage_clock_init() == 0);
	const struct stage_clock_info *info = stage_clock_info();
	CHECK(info->source && strcmp(info->source, "uncalibrated") != 0);
	CHECK(info->ticks_per_ns > 0.0 && isfinite(info->ticks_per_ns));
	CHECK(info->freq_hz > 0);
	CHECK(info->resolution_ns > 0.0);
	CHECK(info->read_cost_ns > 0.0 && info->read_cost_ns < 100000.0);
	CHECK(info->note != NULL);
	printf("clock: source=%s ticks/ns=%.6f freq=%llu Hz resolution=%.2f ns "
	       "read cost=%.2f ns invariant=%d calib err=%.3f ppm note=\"%s\"\n",
	       info->source, info->ticks_per_ns, (unsigned long long)info->freq_hz,
	       info->resolution_ns, info->read_cost_ns, info->invariant,
	       info->calibration_error_ppm, info->note);

	/* A measured sleep converts to roughly what CLOCK_MONOTONIC saw. */
	for (int i = 0; i < 3; i++) {
		uint64_t m0 = monotonic_ns(), t0 = stage_clock_now();
		struct timespec nap = { 0, 20 * 1000 * 1000 };
		nanosleep(&nap, NULL);
		uint64_t t1 = stage_clock_now(), m1 = monotonic_ns();
		double want = (double)(m1 - m0);
		double got = (double)stage_clock_ticks_to_ns(t1 - t0);
		CHECK(fabs(got - want) <= 0.05 * want + 1e6);
	}
	uint64_t a = stage_clock_now(), b = stage_clock_now();
	CHECK(b >= a);
}

int main(void)
{
	test_uncalibrated_identity();
	test_scale_precision();
	test_common_step();
	test_calibration();
	test_resolution_is_data_step();
	return check_report("stage_clock");
}
