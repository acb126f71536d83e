/*
 * Stage timer: splits one fault's time into stages, on the hot path.
 *
 * Contract: a timer belongs to one thread (one vCPU) and is reused for
 * every fault it handles; it never locks, allocates or calls the kernel
 * (a bound mark hook, below, may call the kernel; nothing else does).
 *
 *   stage_timer_start(t, rec)       stamp t0, bind the record
 *   stage_mark(t, STAGE_X)          ticks since the previous mark -> X
 *   stage_add_ticks(t, X, from, to) an interval someone else stamped
 *   stage_timer_stop(t)             rec->total_ns, rec->stage_ns[]
 *
 * Marks accumulate: a stage marked twice (two RTT levels) gets the sum.
 * Marking STAGE_UNATTRIBUTED just skips an interval, since stop sets
 * unattributed = total - sum(named stages), clamped at 0 (rounding of
 * per-stage conversions may make the sum exceed the total by a few ns).
 * Per-stage values saturate at UINT32_MAX ns (the record's field width).
 *
 * A disabled timer (--stage-timing off) still times the whole fault;
 * stage_mark costs one predictable branch and records nothing.
 *
 * The *_at variants take explicit tick values: tests inject a fake clock
 * with them, and callers that already read the clock avoid a second read.
 * The tick -> ns scale is bound at init (NULL = the calibrated clock).
 * The caller fills the record's identity fields (ipa, vcpu, kind, level,
 * rmi_calls); start leaves them alone.
 *
 * Mark hook (optional, `run --perf-stages`): this module stays the one
 * owner of stage boundaries; a hook bound with stage_timer_set_hook() is
 * told of each boundary on the marking thread. start calls it with
 * STAGE_COUNT (a new baseline, before the fault's first stage);
 * stage_mark calls it with the stage being closed *before* it reads the
 * clock, so whatever the hook costs is timed into the stage it closes.
 * The *_at variants and stage_add_ticks (intervals stamped by someone
 * else, e.g. the guest) never call it: there is no boundary on this
 * thread to read anything at. A disabled timer never calls it.
 */
#ifndef CLOCK_STAGE_TIMER_H
#define CLOCK_STAGE_TIMER_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "clock/stage.h"
#include "clock/stage_clock.h"

typedef void (*stage_mark_hook_fn)(void *ctx, enum stage closed);

struct stage_timer {
	struct fault_record *rec;
	stage_mark_hook_fn hook; /* NULL: no hook (the default) */
	void *hook_ctx;
	const struct stage_clock_scale *scale;
	uint64_t t0;   /* start of the fault, ticks */
	uint64_t last; /* end of the latest attributed interval */
	uint64_t stage_ticks[STAGE_COUNT];
	bool enabled;
};

static inline void stage_timer_init(struct stage_timer *t, bool enabled,
				    const struct stage_clock_scale *scale)
{
	memset(t, 0, sizeof(*t));
	t->enabled = enabled;
	t->scale = scale ? scale : stage_clock_scale();
}

/* Bind (or with NULL unbind) the mark hook; survives start and stop. */
static inline void stage_timer_set_hook(struct stage_timer *t, stage_mark_hook_fn hook,
					void *ctx)
{
	t->hook = hook;
	t->hook_ctx = ctx;
}

static inline void stage_timer_start_at(struct stage_timer *t,
					struct fault_record *rec, uint64_t now)
{
	if (t->hook && t->enabled)
		t->hook(t->hook_ctx, STAGE_COUNT);
	t->rec = rec;
	t->t0 = now;
	t->last = now;
	memset(t->stage_ticks, 0, sizeof(t->stage_ticks));
}

static inline void stage_timer_start(struct stage_timer *t, struct fault_record *rec)
{
	stage_timer_start_at(t, rec, stage_clock_now());
}

static inline void stage_mark_at(struct stage_timer *t, enum stage s, uint64_t now)
{
	if (!t->enabled)
		return;
	/* A clock read that went backwards (should not happen) adds nothing. */
	if (now > t->last && (unsigned)s < STAGE_COUNT)
		t->stage_ticks[s] += now - t->last;
	if (now > t->last)
		t->last = now;
}

static inline void stage_mark(struct stage_timer *t, enum stage s)
{
	if (!t->enabled)
		return;
	if (t->hook)
		t->hook(t->hook_ctx, s);
	stage_mark_at(t, s, stage_clock_now());
}

/*
 * Attribute [from, to) to S. An interval that began before start (the
 * guest stamped its exit before the host saw it) moves t0 back, so the
 * fault's total includes it even with stage timing off. The next mark
 * measures from the later of the previous mark and TO.
 */
static inline void stage_add_ticks(struct stage_timer *t, enum stage s,
				   uint64_t from, uint64_t to)
{
	if (to <= from)
		return;
	if (from < t->t0)
		t->t0 = from;
	if (!t->enabled)
		return;
	if ((unsigned)s < STAGE_COUNT)
		t->stage_ticks[s] += to - from;
	if (to > t->last)
		t->last = to;
}

static inline uint32_t stage_timer_saturate_u32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static inline void stage_timer_stop_at(struct stage_timer *t, uint64_t now)
{
	struct fault_record *rec = t->rec;
	uint64_t total = now > t->t0 ? stage_clock_scale_ns(t->scale, now - t->t0) : 0;
	uint64_t named = 0;

	rec->total_ns = total;
	for (int s = 0; s < STAGE_UNATTRIBUTED; s++) {
		uint64_t ns = t->enabled ? stage_clock_scale_ns(t->scale, t->stage_ticks[s]) : 0;
		rec->stage_ns[s] = stage_timer_saturate_u32(ns);
		named += ns;
	}
	/* Stages after UNATTRIBUTED, if the list ever grows past it. */
	for (int s = STAGE_UNATTRIBUTED + 1; s < STAGE_COUNT; s++) {
		uint64_t ns = t->enabled ? stage_clock_scale_ns(t->scale, t->stage_ticks[s]) : 0;
		rec->stage_ns[s] = stage_timer_saturate_u32(ns);
		named += ns;
	}
	rec->stage_ns[STAGE_UNATTRIBUTED] =
		t->enabled ? stage_timer_saturate_u32(total > named ? total - named : 0) : 0;
}

static inline void stage_timer_stop(struct stage_timer *t)
{
	stage_timer_stop_at(t, stage_clock_now());
}

#endif
