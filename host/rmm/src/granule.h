/*
 * Granule tracking: the RMM's view of every 4 KiB granule of the DRAM.
 *
 * Contract: one struct granule per granule of the phys_mem the RMM was
 * created on, allocated lazily per chunk of GRANULES_PER_CHUNK on first
 * lookup (a 128 GiB DRAM costs nothing until the host delegates memory).
 * Each granule has a GPT PAS (NS or REALM, the EL3 monitor's view), an RMM
 * state, a spin lock and a reference count, as TF-RMM's struct granule.
 *
 * Locking rules (TF-RMM's): a granule's state, object pointer and (for RTT
 * and RD granules) refcount change only under its lock. Two unrelated
 * granules are locked in address order (granule_lock_two). RTTs are locked
 * top-down, hand over hand, after the RD. A REC's refcount is atomic: it
 * marks the REC as running (REC_ENTER) without holding its lock.
 */
#ifndef RMM_GRANULE_H
#define RMM_GRANULE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct rmm;

enum granule_state {
	GRANULE_STATE_UNDELEGATED, /* NS PAS: the host owns it */
	GRANULE_STATE_DELEGATED,   /* Realm PAS, free for the RMM */
	GRANULE_STATE_RD,
	GRANULE_STATE_REC,
	GRANULE_STATE_REC_AUX,
	GRANULE_STATE_RTT,
	GRANULE_STATE_DATA,
	GRANULE_STATE_COUNT
};

enum gpt_pas {
	GPT_PAS_NS,
	GPT_PAS_REALM,
};

struct granule {
	atomic_uchar lock;
	_Atomic uint8_t state;     /* enum granule_state; written under lock */
	_Atomic uint8_t pas;       /* enum gpt_pas; written under lock */
	atomic_uint refcount;
	void *obj;                 /* struct realm * (RD), struct rec * (REC) */
};

#define GRANULES_PER_CHUNK 512u

/* The granule of `pa`, allocating its chunk on first use. NULL if pa is not
 * granule aligned, outside the DRAM, or the chunk cannot be allocated. */
struct granule *granule_find(struct rmm *rmm, uint64_t pa);
/* Same, but never allocates: NULL for a granule never looked up (which is
 * UNDELEGATED by construction). */
struct granule *granule_find_if_tracked(const struct rmm *rmm, uint64_t pa);
uint64_t granule_pa(const struct rmm *rmm, const struct granule *g);

void granule_lock(struct granule *g);
bool granule_trylock(struct granule *g);
void granule_unlock(struct granule *g);

static inline enum granule_state granule_state(const struct granule *g)
{
	return (enum granule_state)atomic_load_explicit(&g->state, memory_order_relaxed);
}

static inline void granule_set_state(struct granule *g, enum granule_state s)
{
	atomic_store_explicit(&g->state, (uint8_t)s, memory_order_relaxed);
}

static inline void granule_unlock_transition(struct granule *g, enum granule_state s)
{
	granule_set_state(g, s);
	granule_unlock(g);
}

static inline unsigned granule_refcount(const struct granule *g)
{
	return atomic_load_explicit(&g->refcount, memory_order_acquire);
}

static inline void granule_get(struct granule *g)
{
	atomic_fetch_add_explicit(&g->refcount, 1, memory_order_acq_rel);
}

static inline void granule_put(struct granule *g)
{
	atomic_fetch_sub_explicit(&g->refcount, 1, memory_order_acq_rel);
}

static inline void granule_refcount_add(struct granule *g, unsigned n)
{
	atomic_fetch_add_explicit(&g->refcount, n, memory_order_acq_rel);
}

static inline void granule_refcount_sub(struct granule *g, unsigned n)
{
	atomic_fetch_sub_explicit(&g->refcount, n, memory_order_acq_rel);
}

/* Lock the granule at pa if it is in `expected` state; NULL otherwise
 * (unaligned, outside DRAM, or another state). */
struct granule *granule_find_lock(struct rmm *rmm, uint64_t pa, enum granule_state expected);

/* Lock two distinct granules in address order, each in its expected state.
 * false (nothing locked) if either check fails or the addresses are equal. */
bool granule_find_lock_two(struct rmm *rmm,
			   uint64_t pa1, enum granule_state s1, struct granule **g1,
			   uint64_t pa2, enum granule_state s2, struct granule **g2);

/* GPT transition (the EL3 monitor's part of delegation). */
static inline void granule_set_pas(struct granule *g, enum gpt_pas pas)
{
	atomic_store_explicit(&g->pas, (uint8_t)pas, memory_order_relaxed);
}

static inline enum gpt_pas granule_pas(const struct granule *g)
{
	return (enum gpt_pas)atomic_load_explicit(&g->pas, memory_order_relaxed);
}

/* True unless some granule of [pa, pa + size) is tracked and not
 * UNDELEGATED: PAs outside the DRAM (device memory) count as NS. The realm
 * side uses it as the GPC: an access through an unprotected mapping to a
 * Realm-PAS granule faults (the RMM itself does not refuse such a
 * mapping, as TF-RMM does not). */
bool granule_range_is_ns(struct rmm *rmm, uint64_t pa, uint64_t size);

/* Zero the granule's memory if the DRAM page is backed (an unbacked page
 * reads as zero already). */
void granule_memzero(struct rmm *rmm, uint64_t pa);

#endif
