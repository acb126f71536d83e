/*
 * rand: every 4 KiB page of the vCPU's range written exactly once, in a
 * seeded random order, with O(1) state (keyed bijections, no stored
 * permutation).
 *
 * Order: the backing pages (4K or 2M) in a random order; each backing page
 * is written completely before the next, its 4 KiB pages in a random order
 * of their own. On 4K backing that is a random order over all pages; on 2M
 * backing the blocks come in random order, which is what the host sees
 * (one fault per block), and the guest still knows which write faults.
 * Expected faults: S / P, the first write into each backing page.
 * Iterator use: pos = writes done, state[0..1] = keys.
 */
#include "pattern_internal.h"

#define KEY_BACKING(it) ((it)->state[0])
#define KEY_INNER(it) ((it)->state[1])

static int rand_init(struct pattern_iter *it, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	it->pos = 0;
	/* Two independent keys from one seed (distinct odd offsets). */
	KEY_BACKING(it) = it->p.seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
	KEY_INNER(it) = it->p.seed * 0xc2b2ae3d27d4eb4fULL + 0x165667b19e3779f9ULL;
	return 0;
}

static int rand_next(struct pattern_iter *it, struct payload_action *a)
{
	uint64_t pages_per_backing = it->p.page / PATTERN_SZ_4K;
	uint64_t backing_pages = it->p.size / it->p.page;

	if (it->pos >= it->p.size / PATTERN_SZ_4K)
		return 0;
	uint64_t nth_backing = it->pos / pages_per_backing;
	uint64_t nth_inner = it->pos % pages_per_backing;
	uint64_t backing = bij_permute(backing_pages, KEY_BACKING(it), nth_backing);
	/* Each backing page gets its own inner order. */
	uint64_t inner = bij_permute(pages_per_backing, KEY_INNER(it) ^ backing, nth_inner);

	*a = (struct payload_action){
		.offset = it->base + backing * it->p.page + inner * PATTERN_SZ_4K,
		.op = PAYLOAD_WRITE,
		.first_touch = nth_inner == 0 || pattern_fault_unit(it) == PATTERN_SZ_4K,
	};
	it->pos++;
	return 1;
}

const struct pattern pattern_rand = {
	.name = "rand",
	.summary = "first write to every 4 KiB page in a seeded random order (--seed), no page twice",
	.init = rand_init,
	.next = rand_next,
};
