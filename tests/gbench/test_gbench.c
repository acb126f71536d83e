/*
 * Google Benchmark from C through the shim. Registers cases, checks that
 * bad registrations are refused (not aborted), then hands argv to gb_run.
 * validate_gbench.py runs this program with different flags and checks
 * the exit status and the JSON it wrote.
 * Exit: gb_run's status, or 3 if a registration check failed.
 */
#include "gbench/gbench.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, \
				__LINE__, #cond);                           \
			failures++;                                         \
		}                                                           \
	} while (0)

static char pages_buf[64 * 4096];

/* Real work whose size is the argument: counters of every kind. */
static void bench_touch(struct gb_state *st)
{
	int64_t pages = gb_arg_value(st, 0);
	int64_t *touched = gb_user(st);
	while (gb_keep_running(st)) {
		gb_pause_timing(st); /* bookkeeping is not what we measure */
		*touched += pages;
		gb_resume_timing(st);
		memset(pages_buf, (int)gb_iterations_done(st), (size_t)pages * 4096);
	}
	gb_counter(st, "pages", (double)pages, GB_COUNTER_DEFAULT);
	gb_counter(st, "touches", (double)pages * (double)gb_iterations_done(st),
		   GB_COUNTER_RATE);
	gb_counter(st, "per_iter", (double)pages * (double)gb_iterations_done(st),
		   GB_COUNTER_AVG_ITERATIONS);
	gb_counter(st, "odd \"name\" \\", 1.0, GB_COUNTER_DEFAULT);
	gb_set_bytes_processed(st, pages * 4096 * gb_iterations_done(st));
	gb_set_label(st, "label with \"quotes\" and \\ backslash");
}

/* Manual time of 0 s: every rate is infinite (or 0/0). The JSON must
 * still be strict, with those counters omitted and the label saying so. */
static int nan_refused = -2, inf_refused = -2, reserved_refused = -2;

static void bench_manual_zero(struct gb_state *st)
{
	int64_t a = gb_arg_value(st, 0), b = gb_arg_value(st, 1);
	while (gb_keep_running(st))
		gb_set_iteration_time(st, 0.0);
	gb_set_items_processed(st, gb_iterations_done(st));
	gb_counter(st, "kept", (double)(a + b), GB_COUNTER_DEFAULT);
	gb_counter(st, "rate", (double)(a * b), GB_COUNTER_RATE);
	gb_counter(st, "zero_rate", 0.0, GB_COUNTER_RATE);
	nan_refused = gb_counter(st, "nan", NAN, GB_COUNTER_DEFAULT);
	inf_refused = gb_counter(st, "inf", INFINITY, GB_COUNTER_DEFAULT);
	reserved_refused = gb_counter(st, "real_time", 1.0, GB_COUNTER_DEFAULT);
}

/* Two threads run the function; each reports 1, averaged over threads. */
static void bench_threaded(struct gb_state *st)
{
	volatile uint64_t x = 0;
	while (gb_keep_running(st))
		x += (uint64_t)gb_thread_index(st);
	gb_counter(st, "per_thread", 1.0, GB_COUNTER_AVG_THREADS);
}

static void bench_fails(struct gb_state *st)
{
	(void)gb_arg_value(st, 1); /* only one argument: an error */
	while (gb_keep_running(st))
		;
}

/* Returns without finishing the loop: the library would abort. */
static void returns_early(struct gb_state *st)
{
	(void)st;
}

static void empty_loop(struct gb_state *st)
{
	while (gb_keep_running(st))
		;
}

static int64_t touched;

static void register_cases(void)
{
	struct gb_bench *b = gb_register("touch", bench_touch, &touched);
	CHECK(b != NULL);
	static const char *const names[] = { "pages" };
	CHECK(gb_range_multiplier(b, 4) == 0);
	CHECK(gb_range(b, 4, 64) == 0);
	CHECK(gb_arg_names(b, names, 1) == 0);
	CHECK(gb_unit(b, GB_UNIT_US) == 0);

	b = gb_register("manual_zero", bench_manual_zero, NULL);
	CHECK(b != NULL);
	CHECK(gb_args(b, (const int64_t[]){ 1, 2 }, 2) == 0);
	CHECK(gb_args(b, (const int64_t[]){ 3, 4 }, 2) == 0);
	CHECK(gb_use_manual_time(b) == 0);
	CHECK(gb_iterations(b, 5) == 0);

	b = gb_register("threaded", bench_threaded, NULL);
	CHECK(b != NULL && gb_threads(b, 2) == 0 && gb_use_real_time(b) == 0);

	b = gb_register("fails", bench_fails, NULL);
	CHECK(b != NULL && gb_arg(b, 1) == 0 && gb_iterations(b, 1) == 0);
	CHECK(gb_register("returns_early", returns_early, NULL) != NULL);

	CHECK(gb_add_context("rmeb_backend", "sim") == 0);
	CHECK(gb_add_context("rmeb_escape", "a\"b\\c\td") == 0);
}

/* Everything the library would abort on is refused with -1 instead. */
static void check_refusals(void)
{
	CHECK(gb_register(NULL, empty_loop, NULL) == NULL);
	CHECK(gb_register("", empty_loop, NULL) == NULL);
	CHECK(gb_register("x", NULL, NULL) == NULL);
	CHECK(gb_register("touch", empty_loop, NULL) == NULL); /* twice */

	struct gb_bench *b = gb_register("refusals", empty_loop, NULL);
	CHECK(b != NULL);
	CHECK(gb_range(b, 10, 1) == -1);
	CHECK(gb_range_multiplier(b, 1) == -1);
	CHECK(gb_dense_range(b, 0, 10, 0) == -1);
	CHECK(gb_dense_range(b, 0, 1000000000, 1) == -1);
	CHECK(gb_args(b, NULL, 0) == -1);
	CHECK(gb_arg(b, 1) == 0);
	CHECK(gb_args(b, (const int64_t[]){ 1, 2 }, 2) == -1); /* arity */
	static const char *const two[] = { "a", "b" };
	CHECK(gb_arg_names(b, two, 2) == -1);
	CHECK(gb_iterations(b, 0) == -1);
	CHECK(gb_min_time(b, 0.0) == -1);
	CHECK(gb_min_time(b, NAN) == -1);
	CHECK(gb_min_time(b, 0.01) == 0);
	CHECK(gb_iterations(b, 10) == -1); /* exclusive with min time */
	CHECK(gb_use_real_time(b) == 0);
	CHECK(gb_use_manual_time(b) == -1);
	CHECK(gb_repetitions(b, 0) == -1);
	CHECK(gb_threads(b, 0) == -1);
	CHECK(gb_unit(b, (enum gb_unit)42) == -1);
	CHECK(gb_arg(NULL, 1) == -1);

	CHECK(gb_add_context("date", "now") == -1);
	CHECK(gb_add_context("", "v") == -1);
	CHECK(gb_add_context("k", NULL) == -1);
	CHECK(gb_add_context("rmeb_backend", "again") == -1);
}

int main(int argc, char **argv)
{
	register_cases();
	check_refusals();
	if (failures) {
		fprintf(stderr, "%d registration check(s) failed\n", failures);
		return 3;
	}
	/* The validator's switch for gb_keep_output_on_error. */
	const char *keep = getenv("RMEB_TEST_KEEP_OUTPUT");
	if (keep && !strcmp(keep, "1"))
		gb_keep_output_on_error(true);
	int status = gb_run(argc, argv);
	if (keep)
		fprintf(stderr, "runs_failed=%zu\n", gb_runs_failed());
	/* When manual_zero ran, its refusals must have happened. */
	if (nan_refused != -2 &&
	    (nan_refused != -1 || inf_refused != -1 || reserved_refused != -1)) {
		fprintf(stderr, "non-finite or reserved counter accepted\n");
		return 3;
	}
	return status;
}
