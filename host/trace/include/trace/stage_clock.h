/*
 * The stage clock: the one time source every stage mark uses.
 *
 * Contract: stage_clock_now() reads the fastest monotonic counter of the
 * host (TSC on x86_64, CNTVCT_EL0 on arm64, clock_gettime elsewhere) with
 * no system call. stage_clock_init() calibrates ticks -> ns against
 * CLOCK_MONOTONIC and measures resolution and the cost of one read; call it
 * once before any conversion. Conversions are pure arithmetic and safe from
 * any thread after init.
 */
#ifndef TRACE_STAGE_CLOCK_H
#define TRACE_STAGE_CLOCK_H

#include <stdint.h>
#include <time.h>

struct stage_clock_info {
	const char *source;     /* "tsc", "cntvct", "clock_monotonic" */
	double ticks_per_ns;    /* calibrated */
	double resolution_ns;   /* smallest observable non-zero step */
	double read_cost_ns;    /* median cost of one stage_clock_now() */
	uint64_t freq_hz;       /* ticks per second */
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

/* Calibrate (about 50 ms). Returns 0, or -1 if no usable clock. */
int stage_clock_init(void);
const struct stage_clock_info *stage_clock_info(void);
uint64_t stage_clock_ticks_to_ns(uint64_t ticks);

#endif
