/*
 * The stage clock: the one time source every stage mark uses.
 *
 * Contract: stage_clock_now() reads the fastest monotonic counter of the
 * host (TSC on x86_64, CNTVCT_EL0 on arm64, clock_gettime elsewhere) with
 * no system call. stage_clock_init() calibrates ticks -> ns against
 * CLOCK_MONOTONIC and measures resolution and the cost of one read; call it
 * once before any conversion. Conversions are pure arithmetic and safe from
 * any thread after init.
 *
 * Conversion is integer fixed point: ns = (ticks * mult) >> shift with
 * mult < 2^32, evaluated without overflow for any span whose result fits
 * in 64 bits of nanoseconds (centuries), so no float touches the hot path.
 * Before init the scale is the identity (1 tick = 1 ns) and the info says
 * "uncalibrated".
 */
#ifndef CLOCK_STAGE_CLOCK_H
#define CLOCK_STAGE_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct stage_clock_info {
	const char *source;     /* "tsc", "cntvct", "clock_monotonic" */
	double ticks_per_ns;    /* calibrated */
	double resolution_ns;   /* the step converted reads take: the smallest non-zero
				   difference of consecutive reads that is not rare */
	double read_cost_ns;    /* median cost of one stage_clock_now() */
	uint64_t freq_hz;       /* ticks per second */
	/* Additions (issue 3). */
	bool invariant;         /* the counter rate is known to be constant */
	const char *note;       /* why it may not be, or how it was judged */
	double calibration_error_ppm; /* bracketing uncertainty of the best window */
};

/* Fixed-point ticks -> ns scale: ns = (ticks * mult) >> shift. */
struct stage_clock_scale {
	uint64_t mult;  /* < 2^32 */
	uint32_t shift; /* <= 32 */
};

static inline uint64_t stage_clock_now(void)
{
#if defined(__x86_64__)
	uint32_t lo, hi;
	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
#elif defined(__aarch64__)
	uint64_t v;
	__asm__ __volatile__("isb; mrs %0, cntvct_el0" : "=r"(v) :: "memory");
	return v;
#else
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
#endif
}

/*
 * Split ticks into 32-bit halves so that each product fits in 64 bits:
 * (hi * 2^32 + lo) * mult >> shift
 *   = ((hi * mult) << (32 - shift)) + ((lo * mult) >> shift)
 * The second term is exact because 2^32 is a multiple of 2^shift.
 */
static inline uint64_t stage_clock_scale_ns(const struct stage_clock_scale *s,
					    uint64_t ticks)
{
	uint64_t hi = ticks >> 32, lo = ticks & 0xffffffffu;
	return ((hi * s->mult) << (32 - s->shift)) + ((lo * s->mult) >> s->shift);
}

/*
 * Build the scale for a rate; the largest shift that keeps mult < 2^32
 * gives the most precision. Returns 0, or -1 if the rate is unusable
 * (not finite, <= 0, or slower than 1 tick per 2^32 ns).
 */
int stage_clock_scale_from_rate(struct stage_clock_scale *s, double ticks_per_ns);

/*
 * The smallest non-zero value of DIFFS (N differences of consecutive
 * reads) that makes up at least MIN_SHARE of the non-zero ones; the
 * smallest non-zero one if none does; 0 if all are 0. Sorts DIFFS.
 */
uint64_t stage_clock_common_step(uint64_t *diffs, size_t n, double min_share);

/* Calibrate (about 50 ms). Returns 0, or -1 if no usable clock. */
int stage_clock_init(void);
const struct stage_clock_info *stage_clock_info(void);
/* The calibrated scale (identity before init). */
const struct stage_clock_scale *stage_clock_scale(void);
uint64_t stage_clock_ticks_to_ns(uint64_t ticks);

#endif
