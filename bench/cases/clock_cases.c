/*
 * clock/<op>: what the stage clock itself costs, so every other figure
 * can be read against it. Each iteration is one call, timed as the mean of
 * a batch of BATCH calls between two clock reads (one extra read spread
 * over the batch); p50_ns is the median over batches.
 *   clock/now                 stage_clock_now(): one counter read
 *   clock/ticks_to_ns         stage_clock_ticks_to_ns(): the conversion
 *   clock/stage_mark          stage_mark() with stage timing on
 *   clock/stage_mark_off      stage_mark() with stage timing off
 *   clock/fault_timer         stage_timer_start + stage_timer_stop: the
 *                             per-fault cost with no stage marked
 */
#include <stdio.h>
#include <stdlib.h>

#include "cases.h"
#include "samples.h"
#include "clock/stage_clock.h"
#include "clock/stage_timer.h"

#define BATCH 1024

enum clock_op { OP_NOW, OP_TICKS_TO_NS, OP_MARK, OP_MARK_OFF, OP_FAULT_TIMER, OP_COUNT };

static const struct {
	const char *name, *what;
} clock_ops[OP_COUNT] = {
	[OP_NOW] = { "clock/now", "one stage_clock_now() read" },
	[OP_TICKS_TO_NS] = { "clock/ticks_to_ns", "one ticks -> ns conversion" },
	[OP_MARK] = { "clock/stage_mark", "one stage_mark() (clock read + accumulate), timing on" },
	[OP_MARK_OFF] = { "clock/stage_mark_off", "one stage_mark() with stage timing off" },
	[OP_FAULT_TIMER] = { "clock/fault_timer", "stage_timer_start + stage_timer_stop, no marks" },
};

static enum clock_op op_ids[OP_COUNT] = { OP_NOW, OP_TICKS_TO_NS, OP_MARK, OP_MARK_OFF,
					  OP_FAULT_TIMER };

/* Ticks of BATCH calls of op. */
static uint64_t clock_batch(enum clock_op op)
{
	static volatile uint64_t sink;
	struct stage_timer timer;
	struct fault_record rec;
	uint64_t acc = 0, t0, t1;

	stage_timer_init(&timer, op != OP_MARK_OFF, NULL);
	stage_timer_start(&timer, &rec);
	t0 = stage_clock_now();
	switch (op) {
	case OP_NOW:
		for (int i = 0; i < BATCH; i++)
			acc += stage_clock_now();
		break;
	case OP_TICKS_TO_NS:
		for (int i = 0; i < BATCH; i++)
			acc += stage_clock_ticks_to_ns(t0 + (uint64_t)i * 977);
		break;
	case OP_MARK:
	case OP_MARK_OFF:
		for (int i = 0; i < BATCH; i++)
			stage_mark(&timer, (enum stage)(i % STAGE_UNATTRIBUTED));
		break;
	case OP_FAULT_TIMER:
		for (int i = 0; i < BATCH; i++) {
			stage_timer_start(&timer, &rec);
			stage_timer_stop_at(&timer, stage_clock_now());
			acc += rec.total_ns;
		}
		break;
	case OP_COUNT:
		break;
	}
	t1 = stage_clock_now();
	sink = acc + timer.stage_ticks[0];
	(void)sink;
	return t1 - t0;
}

static void clock_case_run(struct gb_state *st)
{
	enum clock_op op = *(const enum clock_op *)gb_user(st);
	struct gbench_samples s = { 0 };
	unsigned left = 0;
	double per = 0;
	char label[160];

	while (gb_keep_running(st)) {
		if (!left) {
			per = (double)stage_clock_ticks_to_ns(clock_batch(op)) / BATCH;
			if (gbench_samples_add(&s, per)) {
				gb_skip_with_error(st, "out of memory");
				break;
			}
			left = BATCH;
		}
		gb_set_iteration_time(st, per * 1e-9);
		left--;
	}
	gbench_report_median(st, s.v, s.n);
	snprintf(label, sizeof(label), "sim-measured; %s; source %s; time per call, batch of %d",
		 clock_ops[op].what, stage_clock_info()->source, BATCH);
	gb_set_label(st, label);
	gbench_samples_free(&s);
}

int clock_cases_register(const struct gbench_case_opts *o)
{
	for (int op = 0; op < OP_COUNT; op++) {
		struct gb_bench *b = gb_register(clock_ops[op].name, clock_case_run, &op_ids[op]);
		if (!b || gb_use_manual_time(b) || gb_unit(b, GB_UNIT_NS) ||
		    gb_min_time(b, o->min_time))
			return -1;
	}
	return 0;
}
