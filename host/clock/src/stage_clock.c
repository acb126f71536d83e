/*
 * Stage clock calibration. Runs once, before any measurement, so clarity
 * beats speed here; only stage_clock_now() and the scale are hot.
 */
#define _GNU_SOURCE
#include "clock/stage_clock.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CALIBRATION_WINDOWS   5
#define CALIBRATION_WINDOW_NS 10000000ULL /* 5 x 10 ms = the 50 ms budget */
#define STAMP_ATTEMPTS        32
#define RESOLUTION_READS      200000
#define READ_COST_BATCHES     31
#define READ_COST_BATCH_READS 1024

static struct stage_clock_scale clock_scale = { .mult = 1ULL << 31, .shift = 31 };
static char clock_note[256] = "uncalibrated";
static struct stage_clock_info clock_info = {
	.source = "uncalibrated",
	.ticks_per_ns = 1.0,
	.freq_hz = 1000000000ULL,
	.note = clock_note,
};

int stage_clock_scale_from_rate(struct stage_clock_scale *s, double ticks_per_ns)
{
	if (!isfinite(ticks_per_ns) || ticks_per_ns <= 0.0)
		return -1;
	double ns_per_tick = 1.0 / ticks_per_ns;
	if (!(ns_per_tick < 4294967296.0))
		return -1;
	/* Largest shift with mult < 2^32: most precision without overflow. */
	for (int shift = 32; shift >= 0; shift--) {
		double mult = ldexp(ns_per_tick, shift);
		if (mult < 4294967296.0) {
			s->mult = (uint64_t)llround(mult);
			if (s->mult >= 4294967296ULL)
				continue;
			if (s->mult == 0)
				return -1;
			s->shift = (uint32_t)shift;
			return 0;
		}
	}
	return -1;
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* A counter read bracketed by two monotonic reads. */
struct clock_stamp {
	uint64_t ticks;
	uint64_t mono_ns;  /* midpoint of the bracket */
	uint64_t width_ns; /* uncertainty of the pairing */
};

/*
 * The tightest of several brackets: an interrupt or preemption inside one
 * attempt only widens that attempt, so the minimum is robust to both.
 */
static struct clock_stamp take_stamp(void)
{
	struct clock_stamp best = { .width_ns = UINT64_MAX };
	for (int i = 0; i < STAMP_ATTEMPTS; i++) {
		uint64_t before = monotonic_ns();
		uint64_t ticks = stage_clock_now();
		uint64_t after = monotonic_ns();
		if (after - before < best.width_ns) {
			best.ticks = ticks;
			best.mono_ns = before + (after - before) / 2;
			best.width_ns = after - before;
		}
	}
	return best;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ULL),
			       .tv_nsec = (long)(ns % 1000000000ULL) };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * Rate over several windows; keep the window whose endpoint brackets were
 * tightest relative to its length (the least uncertain estimate).
 */
static int calibrate_rate(double *ticks_per_ns, double *error_ppm)
{
	double best_error = INFINITY, best_rate = 0.0;
	for (int w = 0; w < CALIBRATION_WINDOWS; w++) {
		struct clock_stamp start = take_stamp();
		sleep_ns(CALIBRATION_WINDOW_NS);
		struct clock_stamp end = take_stamp();
		if (end.ticks <= start.ticks || end.mono_ns <= start.mono_ns)
			continue;
		double span = (double)(end.mono_ns - start.mono_ns);
		double error = (double)(start.width_ns + end.width_ns) / 2.0 / span;
		if (error < best_error) {
			best_error = error;
			best_rate = (double)(end.ticks - start.ticks) / span;
		}
	}
	if (!(best_rate > 0.0))
		return -1;
	*ticks_per_ns = best_rate;
	*error_ppm = best_error * 1e6;
	return 0;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

uint64_t stage_clock_common_step(uint64_t *diffs, size_t n, double min_share)
{
	qsort(diffs, n, sizeof(*diffs), compare_u64);
	size_t first = 0;
	while (first < n && diffs[first] == 0)
		first++;
	size_t nonzero = n - first;
	for (size_t i = first; i < n;) {
		size_t j = i;
		while (j < n && diffs[j] == diffs[i])
			j++;
		if ((double)(j - i) >= min_share * (double)nonzero)
			return diffs[i];
		i = j;
	}
	return first < n ? diffs[first] : 0;
}

/*
 * The step the data takes, in ns: consecutive reads converted to ns as
 * every stage mark is, and the smallest non-zero difference that is not a
 * rarity (at least 1 % of the non-zero ones). Under a hypervisor the TSC
 * may advance in coarse steps (27 ticks = 10 ns here) with an occasional
 * 1-tick step; the rare one says nothing about the recorded times.
 */
static double measure_resolution_ns(const struct stage_clock_scale *scale)
{
	uint64_t *diffs = malloc(RESOLUTION_READS * sizeof(*diffs));
	if (!diffs)
		return 0.0;
	uint64_t prev = stage_clock_scale_ns(scale, stage_clock_now());
	for (int i = 0; i < RESOLUTION_READS; i++) {
		uint64_t cur = stage_clock_scale_ns(scale, stage_clock_now());
		diffs[i] = cur > prev ? cur - prev : 0;
		prev = cur;
	}
	uint64_t step = stage_clock_common_step(diffs, RESOLUTION_READS, 0.01);
	free(diffs);
	return (double)step;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median over batches of per-read cost, in ticks: robust to interrupts. */
static double measure_read_cost_ticks(void)
{
	double per_read[READ_COST_BATCHES];
	for (int b = 0; b < READ_COST_BATCHES; b++) {
		volatile uint64_t sink = 0;
		uint64_t start = stage_clock_now();
		for (int i = 0; i < READ_COST_BATCH_READS; i++)
			sink = stage_clock_now();
		uint64_t end = stage_clock_now();
		(void)sink;
		per_read[b] = (double)(end - start) / READ_COST_BATCH_READS;
	}
	qsort(per_read, READ_COST_BATCHES, sizeof(per_read[0]), compare_double);
	return per_read[READ_COST_BATCHES / 2];
}

#if defined(__x86_64__)
/* Is FLAG a whole word of a "flags" line of /proc/cpuinfo? */
static bool cpuinfo_has_flag(const char *flags_line, const char *flag)
{
	size_t len = strlen(flag);
	for (const char *p = flags_line; (p = strstr(p, flag)) != NULL; p += len) {
		bool starts = p == flags_line || p[-1] == ' ' || p[-1] == '\t' || p[-1] == ':';
		bool ends = p[len] == '\0' || p[len] == ' ' || p[len] == '\n';
		if (starts && ends)
			return true;
	}
	return false;
}

/*
 * x86: the TSC ticks at a constant rate across P-states only with
 * constant_tsc, and keeps ticking in deep C-states only with nonstop_tsc.
 * Without both, per-stage times may be wrong; say so instead of trusting.
 */
static void judge_tsc_invariance(struct stage_clock_info *info)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f) {
		info->invariant = false;
		snprintf(clock_note, sizeof(clock_note),
			 "cannot read /proc/cpuinfo: TSC invariance unknown");
		return;
	}
	char line[8192];
	bool have_flags = false, constant = false, nonstop = false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		have_flags = true;
		constant = cpuinfo_has_flag(line, "constant_tsc");
		nonstop = cpuinfo_has_flag(line, "nonstop_tsc");
		break;
	}
	fclose(f);
	info->invariant = have_flags && constant && nonstop;
	if (info->invariant)
		snprintf(clock_note, sizeof(clock_note), "invariant TSC (constant_tsc nonstop_tsc)");
	else
		snprintf(clock_note, sizeof(clock_note),
			 "TSC may not be invariant:%s%s%s", have_flags ? "" : " no flags line",
			 have_flags && !constant ? " no constant_tsc" : "",
			 have_flags && !nonstop ? " no nonstop_tsc" : "");
}
#endif /* __x86_64__ */

static const char *clock_source_name(void)
{
#if defined(__x86_64__)
	return "tsc";
#elif defined(__aarch64__)
	return "cntvct";
#else
	return "clock_monotonic";
#endif
}

int stage_clock_init(void)
{
	struct stage_clock_info info = { .source = clock_source_name(), .note = clock_note };
	double ticks_per_ns = 1.0, error_ppm = 0.0;

	if (strcmp(info.source, "clock_monotonic") == 0) {
		info.invariant = true; /* the ticks are CLOCK_MONOTONIC ns */
		snprintf(clock_note, sizeof(clock_note), "ticks are CLOCK_MONOTONIC ns");
	} else {
		if (calibrate_rate(&ticks_per_ns, &error_ppm) != 0)
			return -1;
#if defined(__x86_64__)
		judge_tsc_invariance(&info);
#elif defined(__aarch64__)
		/* The generic timer runs at a fixed frequency by architecture. */
		uint64_t cntfrq;
		__asm__ __volatile__("mrs %0, cntfrq_el0" : "=r"(cntfrq));
		info.invariant = true;
		double declared = (double)cntfrq / 1e9;
		if (cntfrq != 0 && fabs(declared - ticks_per_ns) / declared < 1e-3) {
			ticks_per_ns = declared; /* exact, and consistent with calibration */
			snprintf(clock_note, sizeof(clock_note), "generic timer, CNTFRQ_EL0 confirmed");
		} else {
			snprintf(clock_note, sizeof(clock_note),
				 "generic timer: CNTFRQ_EL0 %llu Hz disagrees with calibration",
				 (unsigned long long)cntfrq);
		}
#endif
	}

	struct stage_clock_scale scale;
	if (stage_clock_scale_from_rate(&scale, ticks_per_ns) != 0)
		return -1;
	info.ticks_per_ns = ticks_per_ns;
	info.freq_hz = (uint64_t)llround(ticks_per_ns * 1e9);
	info.calibration_error_ppm = error_ppm;
	info.resolution_ns = measure_resolution_ns(&scale);
	info.read_cost_ns = measure_read_cost_ticks() / ticks_per_ns;

	clock_scale = scale;
	clock_info = info;
	return 0;
}

const struct stage_clock_info *stage_clock_info(void)
{
	return &clock_info;
}

const struct stage_clock_scale *stage_clock_scale(void)
{
	return &clock_scale;
}

uint64_t stage_clock_ticks_to_ns(uint64_t ticks)
{
	return stage_clock_scale_ns(&clock_scale, ticks);
}
