/*
 * The step engine: walks the vCPU's range chunk by chunk and runs the
 * pattern's steps on each chunk. Iterator use: state[0] = start of the
 * current chunk (relative to base), phase = step index, pos = progress
 * inside the step's range.
 */
#include "pattern_internal.h"

#define CHUNK_START(it) ((it)->state[0])

void program_start(struct pattern_iter *it)
{
	CHUNK_START(it) = 0;
	it->phase = 0;
	it->pos = 0;
}

static uint64_t chunk_len(const struct pattern_iter *it, const struct pattern_program *prog)
{
	uint64_t left = it->p.size - CHUNK_START(it);

	return prog->chunk && prog->chunk < left ? prog->chunk : left;
}

/* [*start, *end) of the step, relative to the chunk. */
static void step_range(const struct pattern_step *step, uint64_t len,
		       uint64_t *start, uint64_t *end)
{
	if (step->range == RANGE_MID_PAGE) {
		*start = (len / 2) & ~(PATTERN_SZ_4K - 1);
		*end = *start + PATTERN_SZ_4K;
	} else {
		*start = 0;
		*end = len;
	}
}

static bool expects_fault(const struct pattern_iter *it, uint8_t first, uint64_t rel)
{
	bool backing_start = rel % pattern_fault_unit(it) == 0;

	switch (first) {
	case FIRST_BACKING: return backing_start;
	case FIRST_REALM: return it->p.realm;
	case FIRST_REALM_BACKING: return it->p.realm && backing_start;
	default: return false;
	}
}

static void next_step(struct pattern_iter *it)
{
	it->phase++;
	it->pos = 0;
}

int program_next(struct pattern_iter *it, const struct pattern_program *prog,
		 struct payload_action *a)
{
	while (CHUNK_START(it) < it->p.size) {
		uint64_t len = chunk_len(it, prog);

		if (it->phase >= prog->nsteps) {
			CHUNK_START(it) += len;
			it->phase = 0;
			it->pos = 0;
			continue;
		}
		const struct pattern_step *step = &prog->steps[it->phase];
		uint64_t start, end;

		step_range(step, len, &start, &end);
		if (step->kind == STEP_SET_RIPAS) {
			next_step(it);
			if (!it->p.realm)
				continue;
			*a = (struct payload_action){
				.offset = it->base + CHUNK_START(it) + start,
				.len = end - start,
				.op = PAYLOAD_SET_RIPAS,
				.ripas = step->ripas,
			};
			return 1;
		}
		if (start + it->pos >= end) {
			next_step(it);
			continue;
		}
		uint64_t rel = CHUNK_START(it) + start + it->pos;

		*a = (struct payload_action){
			.offset = it->base + rel,
			.op = PAYLOAD_WRITE,
			.shared = step->shared,
			.first_touch = expects_fault(it, step->first, rel),
		};
		it->pos += step->stride == STRIDE_BACKING ? it->p.page : PATTERN_SZ_4K;
		return 1;
	}
	return 0;
}
