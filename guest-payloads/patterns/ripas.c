/*
 * Patterns that change RIPAS: ripas, unfold, shared. In a normal VM their
 * SET_RIPAS steps are skipped (there is no RIPAS) and the accesses that
 * would re-fault after a RIPAS change do not (first_touch false).
 *
 * The expectation they encode: a RIPAS change to EMPTY makes the host give
 * the pages up (the host series destroys the DATA granules of the range),
 * so the next access after EMPTY -> RAM faults again.
 */
#include "pattern_internal.h"

/*
 * ripas: per 2 MiB chunk (the last chunk may be shorter on 4K backing):
 *   1. write every 4 KiB page               faults: len / P
 *   2. SET_RIPAS [chunk) EMPTY              (one RIPAS_CHANGE exit or more)
 *   3. SET_RIPAS [chunk) RAM
 *   4. write every 4 KiB page again         faults: len / P (realm), 0 (normal)
 * Expected faults for S bytes: 2 S / P in a realm, S / P in a normal VM;
 * 2 * ceil(S / 2M) SET_RIPAS calls in a realm.
 */
static const struct pattern_step ripas_steps[] = {
	{ .kind = STEP_TOUCH, .range = RANGE_CHUNK, .stride = STRIDE_4K,
	  .first = FIRST_BACKING },
	{ .kind = STEP_SET_RIPAS, .range = RANGE_CHUNK, .ripas = PAYLOAD_RIPAS_EMPTY },
	{ .kind = STEP_SET_RIPAS, .range = RANGE_CHUNK, .ripas = PAYLOAD_RIPAS_RAM },
	{ .kind = STEP_TOUCH, .range = RANGE_CHUNK, .stride = STRIDE_4K,
	  .first = FIRST_REALM_BACKING },
};
static const struct pattern_program ripas_program = { PATTERN_SZ_2M, 4, ripas_steps };
PROGRAM_PATTERN_FUNCS(ripas, ripas_program)

const struct pattern pattern_ripas = {
	.name = "ripas",
	.summary = "per 2 MiB chunk: write every page, RIPAS RAM -> EMPTY -> RAM, write every page again (faults again)",
	.init = ripas_init,
	.next = ripas_next,
	.changes_ripas = true,
};

/*
 * unfold: per 2 MiB region (whole regions only):
 *   1. fill it: on 4K backing write every 4 KiB page (512 faults, the host
 *      can fold the region into a block); on 2M backing write its first
 *      page (1 fault, a block mapping)
 *   2. SET_RIPAS EMPTY of the 4 KiB page in the middle of the region
 *      (offset 1 MiB): the host has to unfold the block to change one
 *      page's entry, and gives that page up
 *   3. SET_RIPAS RAM of the same page
 *   4. write that page: faults again in a realm (not in a normal VM)
 * Expected faults for S bytes, R = S / 2M: realm 513 R on 4K, 2 R on 2M;
 * normal VM 512 R on 4K, R on 2M. 2 R SET_RIPAS calls of 4 KiB each.
 */
static const struct pattern_step unfold_steps[] = {
	{ .kind = STEP_TOUCH, .range = RANGE_CHUNK, .stride = STRIDE_BACKING,
	  .first = FIRST_BACKING },
	{ .kind = STEP_SET_RIPAS, .range = RANGE_MID_PAGE, .ripas = PAYLOAD_RIPAS_EMPTY },
	{ .kind = STEP_SET_RIPAS, .range = RANGE_MID_PAGE, .ripas = PAYLOAD_RIPAS_RAM },
	{ .kind = STEP_TOUCH, .range = RANGE_MID_PAGE, .stride = STRIDE_4K,
	  .first = FIRST_REALM },
};
static const struct pattern_program unfold_program = { PATTERN_SZ_2M, 4, unfold_steps };
PROGRAM_PATTERN_FUNCS(unfold, unfold_program)

const struct pattern pattern_unfold = {
	.name = "unfold",
	.summary = "2M backing: map each 2 MiB region as a block, then RIPAS EMPTY -> RAM of its middle 4 KiB page and write it (unfold)",
	.init = unfold_init,
	.next = unfold_next,
	.needs_regions = true,
	.changes_ripas = true,
};

/*
 * shared: one SET_RIPAS EMPTY of the whole range (the guest gives it up as
 * private memory; the runtime repeats the call until the host has covered
 * it all), then a write to every 4 KiB page through the unprotected alias.
 * Expected faults: S / P (unprotected mappings); 1 SET_RIPAS in a realm.
 */
static const struct pattern_step shared_steps[] = {
	{ .kind = STEP_SET_RIPAS, .range = RANGE_CHUNK, .ripas = PAYLOAD_RIPAS_EMPTY },
	{ .kind = STEP_TOUCH, .range = RANGE_CHUNK, .stride = STRIDE_4K,
	  .first = FIRST_BACKING, .shared = true },
};
static const struct pattern_program shared_program = { 0, 2, shared_steps };
PROGRAM_PATTERN_FUNCS(shared, shared_program)

const struct pattern pattern_shared = {
	.name = "shared",
	.summary = "RIPAS EMPTY over the range, then write every 4 KiB page through the unprotected alias",
	.init = shared_init,
	.next = shared_next,
	.changes_ripas = true,
};
