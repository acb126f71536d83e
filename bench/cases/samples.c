/*
 * Per-run sample buffers and their median, shared by the case families.
 */
#include <stdlib.h>

#include "samples.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int gbench_samples_add(struct gbench_samples *s, double x)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		double *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = x;
	return 0;
}

void gbench_samples_free(struct gbench_samples *s)
{
	free(s->v);
	*s = (struct gbench_samples){ 0 };
}

double gbench_median(double *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void gbench_report_median(struct gb_state *st, double *v, size_t n)
{
	if (!n)
		return;
	gb_counter(st, "p50_ns", gbench_median(v, n), GB_COUNTER_DEFAULT);
	gb_counter(st, "samples", (double)n, GB_COUNTER_DEFAULT);
}
