/*
 * Per-thread perf groups: what opened agrees with what is reported,
 * deltas of known work, per-thread isolation.
 * Usage: test_perf [threads]
 */
#define _GNU_SOURCE
#include "check.h"
#include "sys/perf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096

static void busy(unsigned rounds)
{
	volatile uint64_t x = 1;
	for (unsigned i = 0; i < rounds; i++)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
}

/* First write to `pages` fresh anonymous pages: at least that many faults
 * (the mapping is too small for a transparent huge page). */
static void touch_fresh_pages(unsigned pages)
{
	char *p = mmap(NULL, (size_t)pages * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
	for (unsigned i = 0; i < pages; i++)
		((volatile char *)p)[(size_t)i * PAGE] = 1;
	munmap(p, (size_t)pages * PAGE);
}

static void check_consistent(const struct sys_perf_group *g)
{
	unsigned available = 0;
	for (int c = 0; c < SYS_PERF_COUNT; c++) {
		const char *why = sys_perf_unavailable_reason(g, c);
		if (sys_perf_available(g, c)) {
			available++;
			CHECK(why == NULL);
		} else {
			CHECK(why != NULL && why[0] != '\0');
		}
	}
	CHECK(available == sys_perf_available_count(g));
	CHECK(strcmp(sys_perf_scope(g), "none") == 0 ? available == 0
						      : available > 0);
}

static void check_monotonic(const struct sys_perf_sample *a,
			    const struct sys_perf_sample *b)
{
	CHECK(b->time_enabled_ns >= a->time_enabled_ns);
	CHECK(b->time_running_ns >= a->time_running_ns);
	for (int c = 0; c < SYS_PERF_COUNT; c++)
		CHECK(b->value[c] >= a->value[c]);
}

/* Known work between reads shows up in the counters that opened. */
static void measure_work(struct sys_perf_group *g, unsigned pages,
			 unsigned rounds)
{
	struct sys_perf_sample s0, s1, s2;
	CHECK(sys_perf_read(g, &s0) == 0);
	touch_fresh_pages(pages);
	busy(rounds);
	CHECK(sys_perf_read(g, &s1) == 0);
	CHECK(sys_perf_read(g, &s2) == 0);
	check_monotonic(&s0, &s1);
	check_monotonic(&s1, &s2);

	struct sys_perf_delta d;
	sys_perf_delta(g, &s0, &s1, &d);
	CHECK(!d.never_counted);
	for (int c = 0; c < SYS_PERF_COUNT; c++) {
		CHECK(d.available[c] == sys_perf_available(g, c));
		CHECK(d.value[c] >= 0);
		if (!d.available[c])
			CHECK(d.value[c] == 0);
	}
	if (d.available[SYS_PERF_TASK_CLOCK])
		CHECK(d.value[SYS_PERF_TASK_CLOCK] > 0);
	if (d.available[SYS_PERF_PAGE_FAULTS])
		CHECK(d.value[SYS_PERF_PAGE_FAULTS] >= pages);
	if (d.available[SYS_PERF_INSTRUCTIONS])
		CHECK(d.value[SYS_PERF_INSTRUCTIONS] >= rounds);
}

static void test_single_thread(void)
{
	struct sys_perf_group *g = sys_perf_open();
	CHECK(g != NULL);
	if (!g)
		return;
	check_consistent(g);
	printf("perf scope: %s\n", sys_perf_scope(g));
	for (int c = 0; c < SYS_PERF_COUNT; c++) {
		const char *why = sys_perf_unavailable_reason(g, c);
		printf("  %-18s %s\n", sys_perf_counter_name(c),
		       why ? why : "available");
	}
	measure_work(g, 64, 1000000);

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CHECK(f && sys_perf_write_json(g, f) == 0);
	fclose(f);
	CHECK(strstr(buf, "\"scope\": ") != NULL);
	for (int c = 0; c < SYS_PERF_COUNT; c++) {
		char key[48];
		snprintf(key, sizeof(key), "\"%s\"", sys_perf_counter_name(c));
		CHECK(strstr(buf, key) != NULL);
	}
	free(buf);
	sys_perf_close(g);
}

static void test_delta_arithmetic(void)
{
	struct sys_perf_group *g = sys_perf_open();
	if (!g || sys_perf_available_count(g) == 0) {
		sys_perf_close(g);
		return;
	}
	/* An event counter (task-clock is time_enabled and never scaled). */
	int c = 0;
	while (c < SYS_PERF_COUNT &&
	       (c == SYS_PERF_TASK_CLOCK || !sys_perf_available(g, c)))
		c++;
	if (c == SYS_PERF_COUNT) {
		sys_perf_close(g);
		return;
	}
	struct sys_perf_sample a = { .time_enabled_ns = 100,
				     .time_running_ns = 100 };
	struct sys_perf_sample b = a;
	a.value[c] = 10;
	b.value[c] = 40;
	b.time_enabled_ns = 300; /* ran half of the 200 ns enabled */
	b.time_running_ns = 200;
	a.value[SYS_PERF_TASK_CLOCK] = a.time_enabled_ns; /* as read() does */
	b.value[SYS_PERF_TASK_CLOCK] = b.time_enabled_ns;
	struct sys_perf_delta d;
	sys_perf_delta(g, &a, &b, &d);
	CHECK(d.multiplexed && !d.never_counted);
	CHECK(d.value[c] == 60.0); /* 30 counted, scaled by 200/100 */
	CHECK(d.running_fraction == 0.5);
	if (d.available[SYS_PERF_TASK_CLOCK])
		CHECK(d.value[SYS_PERF_TASK_CLOCK] == 200.0); /* not scaled */

	b.time_running_ns = 100; /* enabled but never running */
	sys_perf_delta(g, &a, &b, &d);
	CHECK(d.never_counted && !d.available[c] && d.value[c] == 0);

	b = a; /* nothing elapsed: zero, not multiplexed */
	sys_perf_delta(g, &a, &b, &d);
	CHECK(!d.multiplexed && d.available[c] && d.value[c] == 0);
	sys_perf_close(g);
}

/* Each thread counts only itself: its own faults, its own task-clock. */
struct worker {
	pthread_t tid;
	unsigned pages;
	double faults;
	double task_ns;
	bool fault_counter;
	bool clock_counter;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct sys_perf_group *g = sys_perf_open();
	if (!g)
		return NULL;
	check_consistent(g);
	struct sys_perf_sample a, b;
	CHECK(sys_perf_read(g, &a) == 0);
	touch_fresh_pages(w->pages);
	busy(200000);
	CHECK(sys_perf_read(g, &b) == 0);
	check_monotonic(&a, &b);
	struct sys_perf_delta d;
	sys_perf_delta(g, &a, &b, &d);
	w->fault_counter = d.available[SYS_PERF_PAGE_FAULTS];
	w->clock_counter = d.available[SYS_PERF_TASK_CLOCK];
	w->faults = d.value[SYS_PERF_PAGE_FAULTS];
	w->task_ns = d.value[SYS_PERF_TASK_CLOCK];
	sys_perf_close(g);
	return NULL;
}

static void test_threads(void)
{
	enum { N = 4 };
	struct worker w[N];
	memset(w, 0, sizeof(w));
	for (int i = 0; i < N; i++) {
		w[i].pages = 16 << i; /* 16, 32, 64, 128 */
		CHECK(pthread_create(&w[i].tid, NULL, worker_main, &w[i]) == 0);
	}
	for (int i = 0; i < N; i++)
		pthread_join(w[i].tid, NULL);
	for (int i = 0; i < N; i++) {
		if (w[i].clock_counter)
			CHECK(w[i].task_ns > 0);
		if (!w[i].fault_counter)
			continue;
		CHECK(w[i].faults >= w[i].pages);
	}
}

static void *touch_many(void *arg)
{
	touch_fresh_pages(*(unsigned *)arg);
	return NULL;
}

/* A group does not follow new threads (no inherit): a child's 1024 page
 * faults must not appear in the parent's count. */
static void test_isolation(void)
{
	struct sys_perf_group *g = sys_perf_open();
	if (!g || !sys_perf_available(g, SYS_PERF_PAGE_FAULTS)) {
		sys_perf_close(g);
		return;
	}
	unsigned pages = 1024;
	struct sys_perf_sample a, b;
	pthread_t t;
	CHECK(sys_perf_read(g, &a) == 0);
	CHECK(pthread_create(&t, NULL, touch_many, &pages) == 0);
	pthread_join(t, NULL);
	CHECK(sys_perf_read(g, &b) == 0);
	struct sys_perf_delta d;
	sys_perf_delta(g, &a, &b, &d);
	CHECK(d.value[SYS_PERF_PAGE_FAULTS] < pages / 2);
	sys_perf_close(g);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "threads") == 0) {
		test_threads();
		test_isolation();
	} else {
		test_single_thread();
		test_delta_arithmetic();
	}
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
