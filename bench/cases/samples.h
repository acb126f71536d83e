/*
 * What the case families share: a growing buffer of one run's samples, its
 * median, and the median reported as Google Benchmark counters. Uses the
 * shim only, so every family file sits on it and cases.c on the families.
 */
#ifndef BENCH_CASES_SAMPLES_H
#define BENCH_CASES_SAMPLES_H

#include <stddef.h>

#include "gbench/gbench.h"

/* Per-batch samples of one run, grown as needed. */
struct gbench_samples {
	double *v;
	size_t n, cap;
};
/* 0, or -1 when out of memory. */
int gbench_samples_add(struct gbench_samples *s, double x);
void gbench_samples_free(struct gbench_samples *s);
/* Median of n samples (sorts them in place); 0 for n == 0. */
double gbench_median(double *v, size_t n);
/* Report the median of a run's samples as counter "p50_ns" and the
 * number of samples as "samples". */
void gbench_report_median(struct gb_state *st, double *v, size_t n);

#endif
