/*
 * Plain touch patterns: seq, fold, block, retouch. Each is a step program
 * (pattern_internal.h). For a size S per vCPU and backing page P, the
 * expected faults (first touches) are:
 *   seq      S / P             every 4 KiB page written once, address order
 *   fold     S / P             same stream as seq, on whole 2 MiB regions
 *   block    S / 2M            one write per region; 2M backing only
 *   retouch  S / P             then a second pass with no faults
 */
#include "pattern_internal.h"

static const struct pattern_step write_every_page[] = {
	{ .kind = STEP_TOUCH, .range = RANGE_CHUNK, .stride = STRIDE_4K,
	  .first = FIRST_BACKING },
};

/* seq: the whole range is one chunk, written page by page. */
static const struct pattern_program seq_program = { 0, 1, write_every_page };
PROGRAM_PATTERN_FUNCS(seq, seq_program)

const struct pattern pattern_seq = {
	.name = "seq",
	.summary = "first write to every 4 KiB page of the vCPU's range, in address order",
	.init = seq_init,
	.next = seq_next,
};

/*
 * fold: every 4 KiB page of each 2 MiB region, region after region, meant
 * for 4K backing: 512 faults per region, each mapping one 4 KiB page, so
 * the region's level-3 table ends up full. That is the state a host could
 * fold into a block; whether it does is the policy's choice, and the
 * counts show it (the public CCA host series fold only blocks they built
 * from a 2 MiB-backed fault, i.e. the `block` pattern, so RTT_FOLD is 0
 * here for them). The stream equals seq's; what differs is the promise
 * that the range is whole, aligned 2 MiB regions. On 2M backing it
 * degenerates to block (one fault per region).
 */
static const struct pattern_program fold_program = { PATTERN_SZ_2M, 1, write_every_page };
PROGRAM_PATTERN_FUNCS(fold, fold_program)

const struct pattern pattern_fold = {
	.name = "fold",
	.summary = "4K backing: fill every 4 KiB page of each 2 MiB region (512 faults, a full level-3 table per region)",
	.init = fold_init,
	.next = fold_next,
	.needs_regions = true,
};

/* block: the first 4 KiB of each 2 MiB region, on 2M backing only, so
 * every fault is a block mapping. */
static const struct pattern_step write_each_backing_page[] = {
	{ .kind = STEP_TOUCH, .range = RANGE_CHUNK, .stride = STRIDE_BACKING,
	  .first = FIRST_BACKING },
};
static const struct pattern_program block_program = { PATTERN_SZ_2M, 1, write_each_backing_page };
PROGRAM_PATTERN_FUNCS(block, block_program)

const struct pattern pattern_block = {
	.name = "block",
	.summary = "one write per 2 MiB region on 2 MiB backing (block mappings)",
	.init = block_init,
	.next = block_next,
	.needs_2m = true,
	.needs_regions = true,
};

/* retouch: seq, then the same writes again. The second pass maps nothing
 * new, so its cost per access is the floor a faulting access is read
 * against. */
static const struct pattern_step write_twice[] = {
	{ .kind = STEP_TOUCH, .range = RANGE_CHUNK, .stride = STRIDE_4K,
	  .first = FIRST_BACKING },
	{ .kind = STEP_TOUCH, .range = RANGE_CHUNK, .stride = STRIDE_4K,
	  .first = FIRST_NONE },
};
static const struct pattern_program retouch_program = { 0, 2, write_twice };
PROGRAM_PATTERN_FUNCS(retouch, retouch_program)

const struct pattern pattern_retouch = {
	.name = "retouch",
	.summary = "write every 4 KiB page, then write them all again: the second pass is the no-fault floor",
	.init = retouch_init,
	.next = retouch_next,
};
