/*
 * mixed: protected and shared first touches interleaved, deterministic.
 *
 * The range is cut into 2 MiB chunks (the last may be shorter on 4K
 * backing) taken in pairs (A, B). For each pair: SET_RIPAS B EMPTY (realm
 * only), then A's page 0 (protected), B's page 0 (shared), A's page 1,
 * B's page 1, ... until both are written; an odd last chunk is protected
 * only. So consecutive faults alternate between the protected and the
 * unprotected path. Expected faults: S / P in total, those in odd chunks
 * through the alias; floor(chunks / 2) SET_RIPAS calls (one per pair with
 * a B chunk) in a realm.
 * Iterator use: state[0] = start of the pair, phase 0 = before the RIPAS
 * change, 1 = interleaving; pos = interleaved accesses tried.
 */
#include "pattern_internal.h"

#define PAIR_START(it) ((it)->state[0])

static int mixed_init(struct pattern_iter *it, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	PAIR_START(it) = 0;
	it->phase = 0;
	it->pos = 0;
	return 0;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static int mixed_next(struct pattern_iter *it, struct payload_action *a)
{
	while (PAIR_START(it) < it->p.size) {
		uint64_t len_a = min_u64(PATTERN_SZ_2M, it->p.size - PAIR_START(it));
		uint64_t len_b = min_u64(PATTERN_SZ_2M, it->p.size - PAIR_START(it) - len_a);
		uint64_t start_b = PAIR_START(it) + len_a;

		if (it->phase == 0) {
			it->phase = 1;
			it->pos = 0;
			if (!it->p.realm || !len_b)
				continue;
			*a = (struct payload_action){
				.offset = it->base + start_b,
				.len = len_b,
				.op = PAYLOAD_SET_RIPAS,
				.ripas = PAYLOAD_RIPAS_EMPTY,
			};
			return 1;
		}
		uint64_t in_chunk = (it->pos / 2) * PATTERN_SZ_4K;
		bool shared = it->pos % 2;

		if (in_chunk >= len_a && in_chunk >= len_b) {
			PAIR_START(it) = start_b + len_b;
			it->phase = 0;
			continue;
		}
		it->pos++;
		if (in_chunk >= (shared ? len_b : len_a))
			continue;
		*a = (struct payload_action){
			.offset = it->base + (shared ? start_b : PAIR_START(it)) + in_chunk,
			.op = PAYLOAD_WRITE,
			.shared = shared,
			.first_touch = in_chunk % pattern_fault_unit(it) == 0,
		};
		return 1;
	}
	return 0;
}

const struct pattern pattern_mixed = {
	.name = "mixed",
	.summary = "pairs of 2 MiB chunks: protected writes to one interleaved with shared writes to the other (after RIPAS EMPTY)",
	.init = mixed_init,
	.next = mixed_next,
	.changes_ripas = true,
};
