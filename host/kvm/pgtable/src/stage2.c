/*
 * Stage-2 operations, each a visitor on kvm_pgtable_walk: map, unmap,
 * relax_perms, get_leaf.
 *
 * Every change to a live descriptor goes through three verbs:
 *   try_set   - entry was invalid: one compare-and-swap (or store);
 *   try_break - entry was valid: swap it for the LOCKED marker and
 *               invalidate the TLB (break-before-make, first half);
 *   make      - publish the new descriptor over the LOCKED marker.
 * In a shared walk a failed swap means another walker got there first:
 * undo our side and report -EAGAIN.
 */
#include <stdlib.h>
#include <string.h>

#include "pgtable_internal.h"

static bool walk_shared(const struct kvm_pgtable_visit_ctx *ctx)
{
	return ctx->flags & KVM_PGTABLE_WALK_SHARED;
}

static int eagain(struct kvm_pgtable *pgt)
{
	stat_inc(pgt, eagain_retries);
	return -EAGAIN;
}

static bool try_set(const struct kvm_pgtable_visit_ctx *ctx, kvm_pte_t new)
{
	kvm_pte_t expected = ctx->old;

	if (!walk_shared(ctx)) {
		pte_publish(ctx->ptep, new);
		return true;
	}
	return atomic_compare_exchange_strong_explicit(ctx->ptep, &expected, new,
						       memory_order_acq_rel,
						       memory_order_relaxed);
}

/* tlb_level: level of the entry for a leaf, -1 (whole VMID) for a table. */
static bool try_break(const struct kvm_pgtable_visit_ctx *ctx, int tlb_level)
{
	if (!try_set(ctx, KVM_PTE_LOCKED))
		return false;
	if (kvm_pte_valid(ctx->old))
		pgtable_tlb_invalidate(ctx->pgt, ctx->addr, tlb_level);
	return true;
}

static void make(const struct kvm_pgtable_visit_ctx *ctx, kvm_pte_t new)
{
	pte_publish(ctx->ptep, new);
}

/* ---- descriptors ---- */

static kvm_pte_t leaf_attrs(enum kvm_pgtable_prot prot)
{
	kvm_pte_t attrs = KVM_PTE_AF | KVM_PTE_SH_INNER;

	attrs |= (prot & KVM_PGTABLE_PROT_DEVICE) ? KVM_PTE_S2_MEMATTR_DEVICE
						   : KVM_PTE_S2_MEMATTR_NORMAL_WB;
	if (prot & KVM_PGTABLE_PROT_R)
		attrs |= KVM_PTE_S2AP_R;
	if (prot & KVM_PGTABLE_PROT_W)
		attrs |= KVM_PTE_S2AP_W;
	if (!(prot & KVM_PGTABLE_PROT_X))
		attrs |= KVM_PTE_S2_XN_EL1_EL0;
	return attrs;
}

static kvm_pte_t make_leaf_pte(uint64_t pa, kvm_pte_t attrs, int level)
{
	kvm_pte_t type = level == KVM_PGTABLE_LAST_LEVEL ? KVM_PTE_TYPE : 0;

	return (pa & KVM_PTE_ADDR_MASK) | (attrs & KVM_PTE_LEAF_ATTR_MASK) |
	       type | KVM_PTE_VALID;
}

static kvm_pte_t make_table_pte(uint64_t pa)
{
	return (pa & KVM_PTE_ADDR_MASK) | KVM_PTE_TYPE | KVM_PTE_VALID;
}

enum kvm_pgtable_prot kvm_pte_prot(kvm_pte_t pte)
{
	enum kvm_pgtable_prot prot = 0;

	if (pte & KVM_PTE_S2AP_R)
		prot |= KVM_PGTABLE_PROT_R;
	if (pte & KVM_PTE_S2AP_W)
		prot |= KVM_PGTABLE_PROT_W;
	if (!(pte & KVM_PTE_S2_XN_MASK))
		prot |= KVM_PGTABLE_PROT_X;
	if ((pte & KVM_PTE_S2_MEMATTR_MASK) == KVM_PTE_S2_MEMATTR_DEVICE)
		prot |= KVM_PGTABLE_PROT_DEVICE;
	return prot;
}

static bool prot_valid(enum kvm_pgtable_prot prot)
{
	if (prot & ~(KVM_PGTABLE_PROT_RWX | KVM_PGTABLE_PROT_DEVICE))
		return false;
	return !((prot & KVM_PGTABLE_PROT_DEVICE) && (prot & KVM_PGTABLE_PROT_X));
}

/* ---- map ---- */

struct map_data {
	uint64_t phys;   /* PA of the walk's start */
	kvm_pte_t attrs;
	struct kvm_mmu_memcache *mc;
};

static uint64_t map_pa(const struct kvm_pgtable_visit_ctx *ctx)
{
	const struct map_data *data = ctx->arg;

	return data->phys + (ctx->addr - ctx->start);
}

/* A leaf fits at this level when the level has blocks and the IPA, the PA
 * and the rest of the range all cover the whole granule. */
static bool leaf_fits(const struct kvm_pgtable_visit_ctx *ctx)
{
	uint64_t granule = kvm_granule_size(ctx->level);

	if (ctx->level < KVM_PGTABLE_MIN_BLOCK_LEVEL)
		return false;
	if (ctx->level == KVM_PGTABLE_LAST_LEVEL)
		return true;
	return !(ctx->addr & (granule - 1)) && !(map_pa(ctx) & (granule - 1)) &&
	       ctx->end - ctx->addr >= granule;
}

static void count_install(struct kvm_pgtable *pgt, int level)
{
	if (level == KVM_PGTABLE_LAST_LEVEL)
		stat_inc(pgt, page_installs);
	else
		stat_inc(pgt, block_installs);
}

static int map_install_leaf(const struct kvm_pgtable_visit_ctx *ctx)
{
	const struct map_data *data = ctx->arg;
	kvm_pte_t new = make_leaf_pte(map_pa(ctx), data->attrs, ctx->level);

	if (ctx->old == new)
		return 0; /* already there, maybe by a racing vCPU */
	if (kvm_pte_valid(ctx->old)) {
		if (!try_break(ctx, ctx->level))
			return eagain(ctx->pgt);
		make(ctx, new);
	} else if (!try_set(ctx, new)) {
		return eagain(ctx->pgt);
	}
	count_install(ctx->pgt, ctx->level);
	return 0;
}

/* Fill a fresh table with the leaves that together equal `block`. */
static void fill_split_table(struct kvm_pgtable *pgt, uint64_t table_pa,
			     kvm_pte_t block, int block_level)
{
	kvm_pteref_t entries = table_entries(pgt, table_pa);
	uint64_t step = kvm_granule_size(block_level + 1);
	uint64_t base = kvm_pte_to_phys(block) & ~(kvm_granule_size(block_level) - 1);

	for (unsigned int i = 0; i < KVM_PGTABLE_PTES_PER_TABLE; i++) {
		kvm_pte_t leaf = make_leaf_pte(base + i * step, block, block_level + 1);

		atomic_store_explicit(&entries[i], leaf, memory_order_relaxed);
	}
}

/* The entry is invalid or a block too big for the mapping: put a table
 * from the memcache there (split: filled with the block's equivalent),
 * and let the walker descend into it. */
static int map_install_table(const struct kvm_pgtable_visit_ctx *ctx)
{
	struct map_data *data = ctx->arg;
	struct kvm_mmu_memcache *mc = data->mc;
	bool split = kvm_pte_valid(ctx->old);
	uint64_t table_pa;
	bool installed;

	if (!mc || mc->nobjs == 0)
		return -ENOMEM;
	table_pa = mc->pages[--mc->nobjs];
	if (split) {
		/* Fill before publishing: walkers see the whole table or none. */
		fill_split_table(ctx->pgt, table_pa, ctx->old, ctx->level);
		installed = try_break(ctx, ctx->level);
		if (installed)
			make(ctx, make_table_pte(table_pa));
	} else {
		installed = try_set(ctx, make_table_pte(table_pa));
	}
	if (!installed) {
		/* Never visible to anyone: give it back, zeroed again. */
		if (split)
			memset((void *)table_entries(ctx->pgt, table_pa), 0,
			       KVM_PGTABLE_PAGE_SIZE);
		mc->pages[mc->nobjs++] = table_pa;
		return eagain(ctx->pgt);
	}
	stat_inc(ctx->pgt, tables_allocated);
	if (split)
		stat_inc(ctx->pgt, block_splits);
	return 0;
}

static int map_leaf_visitor(const struct kvm_pgtable_visit_ctx *ctx)
{
	if (kvm_pte_locked(ctx->old))
		return eagain(ctx->pgt); /* another walker is mid break-before-make */
	if (leaf_fits(ctx))
		return map_install_leaf(ctx);
	return map_install_table(ctx);
}

/* A block that covers a whole existing table replaces it. */
static int map_table_pre_visitor(const struct kvm_pgtable_visit_ctx *ctx)
{
	struct map_data *data = ctx->arg;
	struct kvm_pgtable_deferred *node = NULL;

	if (!leaf_fits(ctx))
		return 0; /* descend */
	if (walk_shared(ctx)) {
		/* Readers may still be inside the old subtree: queue it. */
		node = pgtable_deferred_node_alloc();
		if (!node)
			return -ENOMEM;
	}
	if (!try_break(ctx, -1)) {
		free(node);
		return eagain(ctx->pgt);
	}
	if (node)
		pgtable_defer_unlinked(ctx->pgt, node, ctx->old, ctx->addr, ctx->level);
	else
		pgtable_free_unlinked(ctx->pgt, ctx->old, ctx->addr, ctx->level, data->mc);
	make(ctx, make_leaf_pte(map_pa(ctx), data->attrs, ctx->level));
	count_install(ctx->pgt, ctx->level);
	return 0;
}

static int map_visitor(const struct kvm_pgtable_visit_ctx *ctx,
		       enum kvm_pgtable_walk_flags visit_kind)
{
	if (visit_kind == KVM_PGTABLE_WALK_TABLE_PRE)
		return map_table_pre_visitor(ctx);
	return map_leaf_visitor(ctx);
}

static bool page_aligned(uint64_t x)
{
	return !(x & (KVM_PGTABLE_PAGE_SIZE - 1));
}

int kvm_pgtable_stage2_map(struct kvm_pgtable *pgt, uint64_t addr, uint64_t size,
			   uint64_t phys, enum kvm_pgtable_prot prot,
			   struct kvm_mmu_memcache *mc, unsigned int flags)
{
	struct map_data data = { .phys = phys, .attrs = leaf_attrs(prot), .mc = mc };
	const struct kvm_pgtable_walker walker = {
		.cb = map_visitor, .arg = &data,
		.flags = KVM_PGTABLE_WALK_LEAF | KVM_PGTABLE_WALK_TABLE_PRE |
			 (flags & KVM_PGTABLE_WALK_SHARED),
	};

	if (!pgt || size == 0 || !page_aligned(addr) || !page_aligned(size) ||
	    !page_aligned(phys) || !prot_valid(prot) ||
	    (flags & ~KVM_PGTABLE_WALK_SHARED))
		return -EINVAL;
	/* Output addresses are 48 bits. */
	if (phys > KVM_PTE_ADDR_MASK || size - 1 > KVM_PTE_ADDR_MASK - phys)
		return -E2BIG;
	return kvm_pgtable_walk(pgt, addr, size, &walker);
}

/* ---- unmap ---- */

static bool table_empty(struct kvm_pgtable *pgt, uint64_t table_pa)
{
	kvm_pteref_t entries = table_entries(pgt, table_pa);

	for (unsigned int i = 0; i < KVM_PGTABLE_PTES_PER_TABLE; i++)
		if (atomic_load_explicit(&entries[i], memory_order_relaxed))
			return false;
	return true;
}

static int unmap_visitor(const struct kvm_pgtable_visit_ctx *ctx,
			 enum kvm_pgtable_walk_flags visit_kind)
{
	if (visit_kind == KVM_PGTABLE_WALK_LEAF) {
		if (kvm_pte_valid(ctx->old)) {
			pte_publish(ctx->ptep, 0);
			pgtable_tlb_invalidate(ctx->pgt, ctx->addr, ctx->level);
		}
		return 0;
	}
	/* TABLE_POST: the children are done; drop the table if it emptied. */
	if (!table_empty(ctx->pgt, kvm_pte_to_phys(ctx->old)))
		return 0;
	pte_publish(ctx->ptep, 0);
	pgtable_tlb_invalidate(ctx->pgt, ctx->addr, ctx->level);
	pgtable_release_table(ctx->pgt, kvm_pte_to_phys(ctx->old), NULL);
	return 0;
}

int kvm_pgtable_stage2_unmap(struct kvm_pgtable *pgt, uint64_t addr, uint64_t size)
{
	const struct kvm_pgtable_walker walker = {
		.cb = unmap_visitor,
		.flags = KVM_PGTABLE_WALK_LEAF | KVM_PGTABLE_WALK_TABLE_POST,
	};

	if (!pgt || size == 0 || !page_aligned(addr) || !page_aligned(size))
		return -EINVAL;
	/* Exclusive: a good moment to free what shared walkers unlinked. */
	kvm_pgtable_stage2_reclaim(pgt);
	return kvm_pgtable_walk(pgt, addr, size, &walker);
}

/* ---- relax permissions ---- */

static int relax_visitor(const struct kvm_pgtable_visit_ctx *ctx,
			 enum kvm_pgtable_walk_flags visit_kind)
{
	const enum kvm_pgtable_prot *prot = ctx->arg;
	kvm_pte_t new = ctx->old | KVM_PTE_AF;

	(void)visit_kind;
	if (!kvm_pte_valid(ctx->old))
		return eagain(ctx->pgt); /* unmapped or being changed: re-fault */
	if (*prot & KVM_PGTABLE_PROT_R)
		new |= KVM_PTE_S2AP_R;
	if (*prot & KVM_PGTABLE_PROT_W)
		new |= KVM_PTE_S2AP_W;
	if (*prot & KVM_PGTABLE_PROT_X)
		new &= ~KVM_PTE_S2_XN_MASK;
	if (new == ctx->old)
		return 0;
	/* Relaxing needs no break-before-make; a racing change wins. */
	if (!try_set(ctx, new))
		return eagain(ctx->pgt);
	/* As KVM does: drop the stale, stricter TLB entry so the guest does
	 * not take the same permission fault again. */
	pgtable_tlb_invalidate(ctx->pgt, ctx->addr, ctx->level);
	stat_inc(ctx->pgt, perm_relaxes);
	return 0;
}

int kvm_pgtable_stage2_relax_perms(struct kvm_pgtable *pgt, uint64_t addr,
				   enum kvm_pgtable_prot prot, unsigned int flags)
{
	const struct kvm_pgtable_walker walker = {
		.cb = relax_visitor, .arg = &prot,
		.flags = KVM_PGTABLE_WALK_LEAF | (flags & KVM_PGTABLE_WALK_SHARED),
	};

	if (!pgt || (prot & ~KVM_PGTABLE_PROT_RWX) || (flags & ~KVM_PGTABLE_WALK_SHARED))
		return -EINVAL;
	return kvm_pgtable_walk(pgt, addr, KVM_PGTABLE_PAGE_SIZE, &walker);
}

/* ---- get_leaf ---- */

struct leaf_data {
	kvm_pte_t pte;
	int level;
};

static int get_leaf_visitor(const struct kvm_pgtable_visit_ctx *ctx,
			    enum kvm_pgtable_walk_flags visit_kind)
{
	struct leaf_data *data = ctx->arg;

	(void)visit_kind;
	data->pte = ctx->old;
	data->level = ctx->level;
	return 0;
}

int kvm_pgtable_get_leaf(struct kvm_pgtable *pgt, uint64_t addr,
			 kvm_pte_t *ptep, int *level)
{
	struct leaf_data data = { 0 };
	const struct kvm_pgtable_walker walker = {
		.cb = get_leaf_visitor, .arg = &data,
		.flags = KVM_PGTABLE_WALK_LEAF | KVM_PGTABLE_WALK_SHARED,
	};
	int ret;

	if (!pgt || !ptep || !level)
		return -EINVAL;
	ret = kvm_pgtable_walk(pgt, addr, 1, &walker);
	if (ret)
		return ret;
	*ptep = data.pte;
	*level = data.level;
	return 0;
}
