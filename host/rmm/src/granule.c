/*
 * Granule tracking and the granule commands: GRANULE_DELEGATE/UNDELEGATE
 * (RMI 1.0) and GRANULE_RANGE_DELEGATE/UNDELEGATE (RMI 2.0).
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "phys/phys.h"
#include "rmm_internal.h"

/* Largest run a range command processes per call: one 2 MiB tracking
 * block, like an implementation that yields at a region boundary. */
#define RANGE_DELEGATE_MAX_BYTES (2ULL << 20)

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

static struct granule *chunk_get(struct rmm *rmm, size_t chunk, bool alloc)
{
	struct granule *c = atomic_load_explicit(&rmm->chunks[chunk], memory_order_acquire);

	if (c || !alloc)
		return c;

	struct granule *fresh = calloc(GRANULES_PER_CHUNK, sizeof(*fresh));
	if (!fresh)
		return NULL;
	struct granule *expected = NULL;
	if (!atomic_compare_exchange_strong_explicit(&rmm->chunks[chunk], &expected, fresh,
						     memory_order_acq_rel, memory_order_acquire)) {
		free(fresh);  /* another thread won the race */
		return expected;
	}
	return fresh;
}

static bool granule_index(const struct rmm *rmm, uint64_t pa, uint64_t *idx)
{
	if (pa & (GRANULE_SIZE - 1) || pa < rmm->dram_base)
		return false;
	*idx = (pa - rmm->dram_base) >> GRANULE_SHIFT;
	return *idx < rmm->nr_granules;
}

struct granule *granule_find(struct rmm *rmm, uint64_t pa)
{
	uint64_t idx;

	if (!granule_index(rmm, pa, &idx))
		return NULL;
	struct granule *c = chunk_get(rmm, idx / GRANULES_PER_CHUNK, true);
	return c ? &c[idx % GRANULES_PER_CHUNK] : NULL;
}

struct granule *granule_find_if_tracked(const struct rmm *rmm, uint64_t pa)
{
	uint64_t idx;

	if (!granule_index(rmm, pa, &idx))
		return NULL;
	struct granule *c = atomic_load_explicit(&rmm->chunks[idx / GRANULES_PER_CHUNK],
						 memory_order_acquire);
	return c ? &c[idx % GRANULES_PER_CHUNK] : NULL;
}

uint64_t granule_pa(const struct rmm *rmm, const struct granule *g)
{
	for (size_t i = 0; i < rmm->nr_chunks; i++) {
		struct granule *c = atomic_load_explicit(&rmm->chunks[i], memory_order_acquire);
		if (c && g >= c && g < c + GRANULES_PER_CHUNK)
			return rmm->dram_base +
			       (((uint64_t)i * GRANULES_PER_CHUNK + (uint64_t)(g - c)) << GRANULE_SHIFT);
	}
	return UINT64_MAX;
}

/*
 * A spinlock per granule, as TF-RMM's. TF-RMM holds one with interrupts
 * masked on a physical CPU, so a holder is never preempted. The model's
 * holder is a host thread that can be: with more vCPU threads than cores
 * (a 64-vCPU run on 2 cores) a waiter would spin away its whole time slice
 * behind a descheduled holder. After a bounded spin it yields the CPU, so
 * what oversubscribed runs show is time slicing, not spinning; uncontended
 * and briefly contended locks never get there.
 */
#define GRANULE_LOCK_SPINS 256

void granule_lock(struct granule *g)
{
	while (atomic_exchange_explicit(&g->lock, 1, memory_order_acquire)) {
		unsigned spins = 0;
		while (atomic_load_explicit(&g->lock, memory_order_relaxed)) {
			if (++spins < GRANULE_LOCK_SPINS) {
				cpu_relax();
			} else {
				sched_yield();
				spins = 0;
			}
		}
	}
}

bool granule_trylock(struct granule *g)
{
	return !atomic_exchange_explicit(&g->lock, 1, memory_order_acquire);
}

void granule_unlock(struct granule *g)
{
	atomic_store_explicit(&g->lock, 0, memory_order_release);
}

struct granule *granule_find_lock(struct rmm *rmm, uint64_t pa, enum granule_state expected)
{
	struct granule *g = granule_find(rmm, pa);

	if (!g)
		return NULL;
	granule_lock(g);
	if (granule_state(g) != expected) {
		granule_unlock(g);
		return NULL;
	}
	return g;
}

bool granule_find_lock_two(struct rmm *rmm,
			   uint64_t pa1, enum granule_state s1, struct granule **g1,
			   uint64_t pa2, enum granule_state s2, struct granule **g2)
{
	bool swap = pa1 > pa2;
	uint64_t lo_pa = swap ? pa2 : pa1, hi_pa = swap ? pa1 : pa2;
	enum granule_state lo_s = swap ? s2 : s1, hi_s = swap ? s1 : s2;

	if (pa1 == pa2)
		return false;
	struct granule *lo = granule_find_lock(rmm, lo_pa, lo_s);
	if (!lo)
		return false;
	struct granule *hi = granule_find_lock(rmm, hi_pa, hi_s);
	if (!hi) {
		granule_unlock(lo);
		return false;
	}
	*g1 = swap ? hi : lo;
	*g2 = swap ? lo : hi;
	return true;
}

void granule_memzero(struct rmm *rmm, uint64_t pa)
{
	void *va = phys_va_if_backed(rmm->dram, pa);

	if (va)
		memset(va, 0, GRANULE_SIZE);
}

void *ns_granule_va(struct rmm *rmm, uint64_t pa)
{
	struct granule *g = granule_find(rmm, pa);

	/* Unlocked read: the host races only against itself here, as on
	 * hardware where a GPT fault would end the RMM's access. */
	if (!g || granule_state(g) != GRANULE_STATE_UNDELEGATED)
		return NULL;
	return phys_va(rmm->dram, pa);
}

bool granule_range_is_ns(struct rmm *rmm, uint64_t pa, uint64_t size)
{
	for (uint64_t off = 0; off < size; off += GRANULE_SIZE) {
		struct granule *g = granule_find_if_tracked(rmm, pa + off);

		if (g && granule_state(g) != GRANULE_STATE_UNDELEGATED)
			return false;
	}
	return true;
}

/* ---- RMI 1.0 ---- */

void smc_granule_delegate(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	uint64_t addr = args->x[0];
	struct granule *g = granule_find_lock(rmm, addr, GRANULE_STATE_UNDELEGATED);

	if (!g) {
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	granule_set_pas(g, GPT_PAS_REALM);
	granule_unlock_transition(g, GRANULE_STATE_DELEGATED);
	res->x[0] = RMI_SUCCESS;
}

void smc_granule_undelegate(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	uint64_t addr = args->x[0];
	struct granule *g = granule_find_lock(rmm, addr, GRANULE_STATE_DELEGATED);

	if (!g) {
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	/* DELEGATED granules are kept zeroed in 1.0 (DATA_DESTROY and RTT
	 * teardown scrub them), so nothing leaks to the NS world here. */
	granule_set_pas(g, GPT_PAS_NS);
	granule_unlock_transition(g, GRANULE_STATE_UNDELEGATED);
	res->x[0] = RMI_SUCCESS;
}

/* ---- RMI 2.0 ---- */

static bool range_is_valid(uint64_t base, uint64_t top)
{
	return !(base & (GRANULE_SIZE - 1)) && !(top & (GRANULE_SIZE - 1)) && top > base;
}

/* One call works forward from base until top, the first granule in the
 * wrong state, or the end of the 2 MiB block holding base. X1 = the next
 * address to process. No progress at all is RMI_ERROR_INPUT. */
static void granule_range_transition(struct rmm *rmm, const struct smc_args *args,
				     struct smc_res *res, bool delegate)
{
	uint64_t base = args->x[0], top = args->x[1];
	uint64_t block_end = (base | (RANGE_DELEGATE_MAX_BYTES - 1)) + 1;
	uint64_t addr = base;

	res->x[0] = RMI_ERROR_INPUT;
	res->x[1] = base;
	if (!range_is_valid(base, top))
		return;
	if (top > block_end)
		top = block_end;

	for (; addr < top; addr += GRANULE_SIZE) {
		struct granule *g = granule_find_lock(rmm, addr, delegate ? GRANULE_STATE_UNDELEGATED
									: GRANULE_STATE_DELEGATED);
		if (!g)
			break;
		if (delegate) {
			granule_set_pas(g, GPT_PAS_REALM);
			granule_unlock_transition(g, GRANULE_STATE_DELEGATED);
		} else {
			/* 2.0 does not zero on unmap; scrub before the NS world sees it. */
			granule_memzero(rmm, addr);
			granule_set_pas(g, GPT_PAS_NS);
			granule_unlock_transition(g, GRANULE_STATE_UNDELEGATED);
		}
	}
	if (addr > base)
		res->x[0] = RMI_SUCCESS;
	res->x[1] = addr;
}

void smc_granule_range_delegate(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	granule_range_transition(rmm, args, res, true);
}

void smc_granule_range_undelegate(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	granule_range_transition(rmm, args, res, false);
}
