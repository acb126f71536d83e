/*
 * The one walker, table setup and teardown, and table-page bookkeeping.
 */
#include <stdlib.h>
#include <string.h>

#include "pgtable_internal.h"

struct walk_data {
	struct kvm_pgtable *pgt;
	const struct kvm_pgtable_walker *walker;
	uint64_t start, addr, end;
};

static int walk_table(struct walk_data *d, uint64_t table_pa, int level);

static int visit_entry(struct walk_data *d, kvm_pteref_t ptep, int level)
{
	unsigned int flags = d->walker->flags;
	struct kvm_pgtable_visit_ctx ctx = {
		.ptep = ptep, .old = pte_read(ptep), .arg = d->walker->arg,
		.pgt = d->pgt, .start = d->start, .addr = d->addr, .end = d->end,
		.level = level, .flags = flags,
	};
	bool table = kvm_pte_table(ctx.old, level);
	bool reload = false;
	int ret = 0;

	if (table && (flags & KVM_PGTABLE_WALK_TABLE_PRE)) {
		ret = d->walker->cb(&ctx, KVM_PGTABLE_WALK_TABLE_PRE);
		reload = true;
	}
	if (!table && (flags & KVM_PGTABLE_WALK_LEAF)) {
		ret = d->walker->cb(&ctx, KVM_PGTABLE_WALK_LEAF);
		reload = true;
	}
	if (ret)
		return ret;
	/* The visitor may have installed a table (walk into it) or replaced
	 * one by a leaf (skip what used to be below). */
	if (reload) {
		ctx.old = pte_read(ptep);
		table = kvm_pte_table(ctx.old, level);
	}

	if (!table) {
		uint64_t granule = kvm_granule_size(level);

		d->addr = (d->addr & ~(granule - 1)) + granule;
		return 0;
	}

	ret = walk_table(d, kvm_pte_to_phys(ctx.old), level + 1);
	if (ret)
		return ret;
	if (flags & KVM_PGTABLE_WALK_TABLE_POST)
		ret = d->walker->cb(&ctx, KVM_PGTABLE_WALK_TABLE_POST);
	return ret;
}

/* One 4 KiB table below the root. A walk that ends mid-table leaves addr
 * at the end, so the loops above stop too. */
static int walk_table(struct walk_data *d, uint64_t table_pa, int level)
{
	kvm_pteref_t entries = table_entries(d->pgt, table_pa);

	if (!entries)
		return -EFAULT; /* a descriptor points outside memory: corrupt */
	for (unsigned int idx = level_index(d->addr, level);
	     idx < KVM_PGTABLE_PTES_PER_TABLE && d->addr < d->end; idx++) {
		int ret = visit_entry(d, entries + idx, level);

		if (ret)
			return ret;
	}
	return 0;
}

static int walk_root(struct walk_data *d)
{
	while (d->addr < d->end) {
		kvm_pteref_t ptep = root_entry(d->pgt, d->addr);
		int ret;

		if (!ptep)
			return -EFAULT;
		ret = visit_entry(d, ptep, d->pgt->start_level);
		if (ret)
			return ret;
	}
	return 0;
}

int kvm_pgtable_walk(struct kvm_pgtable *pgt, uint64_t addr, uint64_t size,
		     const struct kvm_pgtable_walker *walker)
{
	uint64_t page_mask = KVM_PGTABLE_PAGE_SIZE - 1;
	struct walk_data d = { .pgt = pgt, .walker = walker };

	if (!pgt || !walker || !walker->cb || size == 0)
		return -EINVAL;
	if (addr >= ipa_limit(pgt) || size > ipa_limit(pgt) - addr)
		return -E2BIG;
	d.start = addr & ~page_mask;
	/* addr + size <= 2^48, so rounding up cannot wrap. */
	d.end = (addr + size + page_mask) & ~page_mask;
	d.addr = d.start;
	return walk_root(&d);
}

/* ---- table pages ---- */

void pgtable_tlb_invalidate(struct kvm_pgtable *pgt, uint64_t ipa, int level)
{
	stat_inc(pgt, tlb_invalidations);
	if (pgt->tlb_flush_ipa)
		pgt->tlb_flush_ipa(pgt->tlb_ctx, ipa, level);
}

void pgtable_release_table(struct kvm_pgtable *pgt, uint64_t pa,
			   struct kvm_mmu_memcache *mc)
{
	stat_inc(pgt, tables_freed);
	if (mc && mc->nobjs < KVM_MMU_MEMCACHE_CAPACITY) {
		/* The memcache promises zeroed pages. */
		memset((void *)table_entries(pgt, pa), 0, KVM_PGTABLE_PAGE_SIZE);
		mc->pages[mc->nobjs++] = pa;
		return;
	}
	pgt->mm_ops.free_pages(pgt->mm_ops.ctx, pa, 1);
}

static int release_child_visitor(const struct kvm_pgtable_visit_ctx *ctx,
				 enum kvm_pgtable_walk_flags visit_kind)
{
	(void)visit_kind;
	pgtable_release_table(ctx->pgt, kvm_pte_to_phys(ctx->old), ctx->arg);
	return 0;
}

/* The same walker runs over a detached subtree: post-order, so children
 * go before their parents. */
void pgtable_free_unlinked(struct kvm_pgtable *pgt, kvm_pte_t table_pte,
			   uint64_t ipa, int level, struct kvm_mmu_memcache *mc)
{
	const struct kvm_pgtable_walker walker = {
		.cb = release_child_visitor, .arg = mc,
		.flags = KVM_PGTABLE_WALK_TABLE_POST,
	};
	uint64_t base = ipa & ~(kvm_granule_size(level) - 1);
	struct walk_data d = {
		.pgt = pgt, .walker = &walker, .start = base, .addr = base,
		.end = base + kvm_granule_size(level),
	};

	walk_table(&d, kvm_pte_to_phys(table_pte), level + 1);
	pgtable_release_table(pgt, kvm_pte_to_phys(table_pte), mc);
}

struct kvm_pgtable_deferred {
	struct kvm_pgtable_deferred *next;
	kvm_pte_t table_pte;
	uint64_t ipa;
	int level;
};

struct kvm_pgtable_deferred *pgtable_deferred_node_alloc(void)
{
	return malloc(sizeof(struct kvm_pgtable_deferred));
}

void pgtable_defer_unlinked(struct kvm_pgtable *pgt, struct kvm_pgtable_deferred *node,
			    kvm_pte_t table_pte, uint64_t ipa, int level)
{
	node->table_pte = table_pte;
	node->ipa = ipa;
	node->level = level;
	pthread_mutex_lock(&pgt->deferred_lock);
	node->next = pgt->deferred;
	pgt->deferred = node;
	pthread_mutex_unlock(&pgt->deferred_lock);
	stat_inc(pgt, tables_deferred);
}

void kvm_pgtable_stage2_reclaim(struct kvm_pgtable *pgt)
{
	struct kvm_pgtable_deferred *node;

	pthread_mutex_lock(&pgt->deferred_lock);
	node = pgt->deferred;
	pgt->deferred = NULL;
	pthread_mutex_unlock(&pgt->deferred_lock);

	while (node) {
		struct kvm_pgtable_deferred *next = node->next;

		pgtable_free_unlinked(pgt, node->table_pte, node->ipa, node->level, NULL);
		atomic_fetch_sub_explicit(&pgt->stats.tables_deferred, 1, memory_order_relaxed);
		free(node);
		node = next;
	}
}

/* ---- setup and teardown ---- */

/* Fewest levels, using up to 16 concatenated tables at the start level:
 * levels = (ia_bits - 8) / 9 with a 4 KiB granule, as the architecture's
 * VTCR_EL2.SL0/T0SZ rules allow and KVM chooses. */
static void choose_start_level(struct kvm_pgtable *pgt)
{
	int levels = ((int)pgt->ia_bits - 8) / 9;
	uint64_t root_entries;

	pgt->start_level = KVM_PGTABLE_LAST_LEVEL + 1 - levels;
	root_entries = 1ULL << (pgt->ia_bits - kvm_granule_shift(pgt->start_level));
	pgt->nr_root_pages = root_entries <= KVM_PGTABLE_PTES_PER_TABLE ? 1
			     : root_entries / KVM_PGTABLE_PTES_PER_TABLE;
}

int kvm_pgtable_stage2_init(struct kvm_pgtable *pgt, uint32_t ia_bits,
			    const struct kvm_pgtable_mm_ops *mm_ops)
{
	if (!pgt || !mm_ops || !mm_ops->zalloc_pages || !mm_ops->free_pages ||
	    !mm_ops->phys_to_virt)
		return -EINVAL;
	if (ia_bits < KVM_PGTABLE_MIN_IPA_BITS || ia_bits > KVM_PGTABLE_MAX_IPA_BITS)
		return -EINVAL;

	memset(pgt, 0, sizeof(*pgt));
	pgt->ia_bits = ia_bits;
	pgt->mm_ops = *mm_ops;
	choose_start_level(pgt);
	pgt->root_pa = mm_ops->zalloc_pages(mm_ops->ctx, pgt->nr_root_pages);
	if (pgt->root_pa == KVM_PGTABLE_NO_PA)
		return -ENOMEM;
	if (pthread_mutex_init(&pgt->deferred_lock, NULL)) {
		mm_ops->free_pages(mm_ops->ctx, pgt->root_pa, pgt->nr_root_pages);
		return -ENOMEM;
	}
	return 0;
}

static int destroy_visitor(const struct kvm_pgtable_visit_ctx *ctx,
			   enum kvm_pgtable_walk_flags visit_kind)
{
	(void)visit_kind;
	pgtable_release_table(ctx->pgt, kvm_pte_to_phys(ctx->old), NULL);
	return 0;
}

void kvm_pgtable_stage2_destroy(struct kvm_pgtable *pgt)
{
	const struct kvm_pgtable_walker walker = {
		.cb = destroy_visitor, .flags = KVM_PGTABLE_WALK_TABLE_POST,
	};

	if (!pgt || pgt->root_pa == KVM_PGTABLE_NO_PA || !pgt->mm_ops.free_pages)
		return;
	kvm_pgtable_stage2_reclaim(pgt);
	kvm_pgtable_walk(pgt, 0, ipa_limit(pgt), &walker);
	pgt->mm_ops.free_pages(pgt->mm_ops.ctx, pgt->root_pa, pgt->nr_root_pages);
	pgt->root_pa = KVM_PGTABLE_NO_PA;
	pthread_mutex_destroy(&pgt->deferred_lock);
}

void kvm_pgtable_get_stats(struct kvm_pgtable *pgt, struct kvm_pgtable_stats *out)
{
#define READ_STAT(f) out->f = atomic_load_explicit(&pgt->stats.f, memory_order_relaxed)
	READ_STAT(tables_allocated);
	READ_STAT(tables_freed);
	READ_STAT(tables_deferred);
	READ_STAT(page_installs);
	READ_STAT(block_installs);
	READ_STAT(block_splits);
	READ_STAT(perm_relaxes);
	READ_STAT(tlb_invalidations);
	READ_STAT(eagain_retries);
#undef READ_STAT
}
