/*
 * Prints what the measurement machinery itself costs on this machine:
 * one perf group read, and one topology load. Informational: the only
 * failures are calls that do not work, never a time.
 */
#include "check.h"
#include "sys/perf.h"
#include "sys/topology.h"

#include <stdlib.h>
#include <time.h>

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Median over batches, so one preemption does not move the answer. */
static double perf_read_cost_ns(struct sys_perf_group *g)
{
	enum { BATCHES = 51, PER_BATCH = 200 };
	uint64_t t[BATCHES];
	struct sys_perf_sample s;
	for (int b = 0; b < BATCHES; b++) {
		uint64_t t0 = now_ns();
		for (int i = 0; i < PER_BATCH; i++)
			CHECK(sys_perf_read(g, &s) == 0);
		t[b] = now_ns() - t0;
	}
	qsort(t, BATCHES, sizeof(t[0]), cmp_u64);
	return (double)t[BATCHES / 2] / PER_BATCH;
}

static double topology_load_cost_ms(void)
{
	enum { RUNS = 5 };
	uint64_t t[RUNS];
	char err[256];
	for (int r = 0; r < RUNS; r++) {
		struct sys_topology *topo;
		uint64_t t0 = now_ns();
		CHECK(sys_topology_load(&topo, err, sizeof(err)) == 0);
		t[r] = now_ns() - t0;
		sys_topology_free(topo);
	}
	qsort(t, RUNS, sizeof(t[0]), cmp_u64);
	return (double)t[RUNS / 2] / 1e6;
}

int main(void)
{
	struct sys_perf_group *g = sys_perf_open();
	CHECK(g != NULL);
	if (g) {
		printf("perf group read: %.0f ns median (%u counters, scope %s)\n",
		       perf_read_cost_ns(g), sys_perf_available_count(g),
		       sys_perf_scope(g));
		sys_perf_close(g);
	}
	printf("topology load: %.2f ms median\n", topology_load_cost_ms());
	return failures ? 1 : 0;
}
