/*
 * Helpers shared by the walker, the stage-2 visitors and the hardware
 * side. Not part of the public contract.
 */
#ifndef KVM_PGTABLE_INTERNAL_H
#define KVM_PGTABLE_INTERNAL_H

#include <errno.h>

#include "kvm/pgtable.h"

#define stat_inc(pgt, field) \
	atomic_fetch_add_explicit(&(pgt)->stats.field, 1, memory_order_relaxed)

static inline kvm_pteref_t table_entries(const struct kvm_pgtable *pgt, uint64_t pa)
{
	return (kvm_pteref_t)pgt->mm_ops.phys_to_virt(pgt->mm_ops.ctx, pa);
}

/* Acquire pairs with the release that published a table, so the child's
 * contents are visible before we follow the pointer. */
static inline kvm_pte_t pte_read(kvm_pteref_t ptep)
{
	return atomic_load_explicit(ptep, memory_order_acquire);
}

static inline void pte_publish(kvm_pteref_t ptep, kvm_pte_t pte)
{
	atomic_store_explicit(ptep, pte, memory_order_release);
}

/* Entry at the start level: the concatenated root tables are contiguous
 * in PA but each page is mapped on its own by phys_to_virt. */
static inline kvm_pteref_t root_entry(const struct kvm_pgtable *pgt, uint64_t ipa)
{
	uint64_t idx = ipa >> kvm_granule_shift(pgt->start_level);
	uint64_t page = idx / KVM_PGTABLE_PTES_PER_TABLE;
	kvm_pteref_t table = table_entries(pgt, pgt->root_pa + page * KVM_PGTABLE_PAGE_SIZE);

	return table ? table + idx % KVM_PGTABLE_PTES_PER_TABLE : NULL;
}

static inline unsigned int level_index(uint64_t ipa, int level)
{
	return (ipa >> kvm_granule_shift(level)) % KVM_PGTABLE_PTES_PER_TABLE;
}

static inline uint64_t ipa_limit(const struct kvm_pgtable *pgt)
{
	return 1ULL << pgt->ia_bits;
}

void pgtable_tlb_invalidate(struct kvm_pgtable *pgt, uint64_t ipa, int level);

/* Give a table page back: to `mc` (zeroed) when it has room, else to
 * mm_ops. Counts it freed. */
void pgtable_release_table(struct kvm_pgtable *pgt, uint64_t pa,
			   struct kvm_mmu_memcache *mc);

/* Free the subtree below a table descriptor that is no longer linked
 * (child table pages included). Exclusive. */
void pgtable_free_unlinked(struct kvm_pgtable *pgt, kvm_pte_t table_pte,
			   uint64_t ipa, int level, struct kvm_mmu_memcache *mc);

/* Queue the unlinked subtree under table_pte for reclaim; `node` was
 * obtained with pgtable_deferred_node_alloc() before the table was broken,
 * so queueing cannot fail. */
struct kvm_pgtable_deferred *pgtable_deferred_node_alloc(void);
void pgtable_defer_unlinked(struct kvm_pgtable *pgt, struct kvm_pgtable_deferred *node,
			    kvm_pte_t table_pte, uint64_t ipa, int level);

#endif
