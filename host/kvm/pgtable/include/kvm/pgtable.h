/*
 * Normal-VM stage-2 page tables, shaped like the kernel's kvm_pgtable.
 *
 * Contract: owns the stage-2 translation tables of one VM (4 KiB granule,
 * Armv8 stage-2 descriptor format, 32..48 IPA bits) and nothing else.
 * Table memory is described by physical addresses (PAs); the caller's
 * struct kvm_pgtable_mm_ops turns a PA into a host pointer and provides
 * pages. Operations never allocate table pages themselves: every new table
 * comes from a caller-provided memcache (struct kvm_mmu_memcache), topped up
 * by the caller outside the walk with kvm_mmu_topup_memcache(), as KVM does
 * with kvm_mmu_topup_memory_cache() before taking the mmu lock.
 *
 * One walker (kvm_pgtable_walk) visits the entries of a range; map, unmap,
 * relax_perms, get_leaf and destroy are visitors on it.
 *
 * Concurrency, as in KVM's stage-2 fault path:
 *   - KVM_PGTABLE_WALK_SHARED walks (map, relax_perms; the "read lock")
 *     may run at the same time as each other and as
 *     kvm_pgtable_hw_translate(). They change descriptors only with
 *     compare-and-swap and return -EAGAIN when another walker changed the
 *     entry first (the guest re-faults). Tables they unlink are not freed
 *     but queued until kvm_pgtable_stage2_reclaim(), the stand-in for an
 *     RCU grace period.
 *     A shared map that returns 0 wrote its entries; a racing walker may
 *     already have replaced them (KVM's answer is the same: the guest
 *     re-faults if so). Queueing an unlinked table takes a small malloc'd
 *     list node (never a table page); if that fails, -ENOMEM, unchanged.
 *   - Exclusive walks (no SHARED flag: unmap, destroy, reclaim, and map or
 *     relax_perms without the flag; the "write lock") must not run with any
 *     other walk or hw_translate on the same pgtable. They free unlinked
 *     tables at once.
 * Unlike the kernel, a walk stops at the first non-zero visitor result,
 * -EAGAIN included (the kernel's KVM_PGTABLE_WALK_HANDLE_FAULT behaviour).
 *
 * Failure: functions return 0 or a negative errno, as the kernel does:
 *   -EINVAL  misaligned or empty input, bad parameters;
 *   -E2BIG   the range does not fit in the IPA space;
 *   -ENOMEM  the memcache (or the mm_ops allocator) ran out of pages;
 *            every entry already installed is complete, so topping up
 *            and repeating the call finishes the job;
 *   -EAGAIN  a concurrent walker changed an entry this call needed.
 * Bad input never crashes and never changes the tables.
 */
#ifndef KVM_PGTABLE_H
#define KVM_PGTABLE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct kvm_pgtable;

typedef uint64_t kvm_pte_t;
/* Pointer to a descriptor in a live table: always accessed atomically. */
typedef _Atomic kvm_pte_t *kvm_pteref_t;

#define KVM_PGTABLE_PAGE_SHIFT     12
#define KVM_PGTABLE_PAGE_SIZE      (1ULL << KVM_PGTABLE_PAGE_SHIFT)
#define KVM_PGTABLE_PTES_PER_TABLE 512
#define KVM_PGTABLE_LAST_LEVEL     3
/* With a 4 KiB granule, blocks exist at level 1 (1 GiB) and 2 (2 MiB). */
#define KVM_PGTABLE_MIN_BLOCK_LEVEL 1
#define KVM_PGTABLE_MIN_IPA_BITS   32
#define KVM_PGTABLE_MAX_IPA_BITS   48
/* Stage 2 may concatenate up to 16 tables at the start level. */
#define KVM_PGTABLE_MAX_ROOT_PAGES 16
#define KVM_PGTABLE_NO_PA          UINT64_MAX

/* ---- Armv8 stage-2 descriptor fields (VMSAv8-64, 4 KiB granule) ---- */
#define KVM_PTE_VALID            (1ULL << 0)
#define KVM_PTE_TYPE             (1ULL << 1)   /* table/page = 1, block = 0 */
#define KVM_PTE_ADDR_MASK        0x0000fffffffff000ULL /* OA bits [47:12] */
#define KVM_PTE_S2_MEMATTR_SHIFT 2             /* MemAttr[3:0], bits [5:2] */
#define KVM_PTE_S2_MEMATTR_MASK  (0xfULL << KVM_PTE_S2_MEMATTR_SHIFT)
#define KVM_PTE_S2_MEMATTR_NORMAL_WB (0xfULL << KVM_PTE_S2_MEMATTR_SHIFT)
#define KVM_PTE_S2_MEMATTR_DEVICE    (0x1ULL << KVM_PTE_S2_MEMATTR_SHIFT)
#define KVM_PTE_S2AP_R           (1ULL << 6)
#define KVM_PTE_S2AP_W           (1ULL << 7)
#define KVM_PTE_SH_INNER         (3ULL << 8)   /* SH[1:0], bits [9:8] */
#define KVM_PTE_AF               (1ULL << 10)
#define KVM_PTE_S2_XN_SHIFT      53            /* XN[1:0], bits [54:53] */
#define KVM_PTE_S2_XN_MASK       (3ULL << KVM_PTE_S2_XN_SHIFT)
/* XN[1:0] = 0b10: no execution at EL1 nor EL0 (0b00: executable). */
#define KVM_PTE_S2_XN_EL1_EL0    (2ULL << KVM_PTE_S2_XN_SHIFT)
/* Attribute bits a leaf carries: lower [11:2] and upper [63:50]. */
#define KVM_PTE_LEAF_ATTR_MASK   (0x0000000000000ffcULL | 0xfffc000000000000ULL)
/* Software marker: an invalid entry some walker is breaking (break-before-
 * make in progress). Hardware sees a translation fault. */
#define KVM_PTE_LOCKED           (1ULL << 10)

enum kvm_pgtable_prot {
	KVM_PGTABLE_PROT_R      = 1u << 0,
	KVM_PGTABLE_PROT_W      = 1u << 1,
	KVM_PGTABLE_PROT_X      = 1u << 2,
	KVM_PGTABLE_PROT_DEVICE = 1u << 3,
	KVM_PGTABLE_PROT_RW     = KVM_PGTABLE_PROT_R | KVM_PGTABLE_PROT_W,
	KVM_PGTABLE_PROT_RWX    = KVM_PGTABLE_PROT_RW | KVM_PGTABLE_PROT_X,
};

static inline uint64_t kvm_granule_shift(int level)
{
	return KVM_PGTABLE_PAGE_SHIFT + 9 * (uint64_t)(KVM_PGTABLE_LAST_LEVEL - level);
}

static inline uint64_t kvm_granule_size(int level)
{
	return 1ULL << kvm_granule_shift(level);
}

static inline bool kvm_pte_valid(kvm_pte_t pte)
{
	return pte & KVM_PTE_VALID;
}

static inline bool kvm_pte_locked(kvm_pte_t pte)
{
	return !kvm_pte_valid(pte) && (pte & KVM_PTE_LOCKED);
}

/* A table descriptor; at the last level the same bits mean "page". */
static inline bool kvm_pte_table(kvm_pte_t pte, int level)
{
	return level < KVM_PGTABLE_LAST_LEVEL && kvm_pte_valid(pte) &&
	       (pte & KVM_PTE_TYPE);
}

static inline bool kvm_pte_leaf(kvm_pte_t pte, int level)
{
	return kvm_pte_valid(pte) && !kvm_pte_table(pte, level);
}

static inline uint64_t kvm_pte_to_phys(kvm_pte_t pte)
{
	return pte & KVM_PTE_ADDR_MASK;
}

/* Permissions and memory type a valid leaf grants. */
enum kvm_pgtable_prot kvm_pte_prot(kvm_pte_t pte);

/* ---- memory for tables ---- */

struct kvm_pgtable_mm_ops {
	/* `npages` contiguous zeroed pages aligned to npages * 4 KiB (npages is
	 * a power of two, at most KVM_PGTABLE_MAX_ROOT_PAGES). Returns their PA
	 * or KVM_PGTABLE_NO_PA. */
	uint64_t (*zalloc_pages)(void *ctx, unsigned int npages);
	void (*free_pages)(void *ctx, uint64_t pa, unsigned int npages);
	/* Host pointer to the 4 KiB page at `pa` (page aligned). */
	void *(*phys_to_virt)(void *ctx, uint64_t pa);
	void *ctx;
};

/* Pages in host memory, PA = host address (checked to fit in OA[47:12]).
 * `live` (optional) counts pages allocated and not yet freed. */
struct kvm_pgtable_host_mem {
	_Atomic int64_t live_pages;
};
void kvm_pgtable_host_mm_ops_init(struct kvm_pgtable_mm_ops *ops,
				  struct kvm_pgtable_host_mem *mem);

/* A per-vCPU stack of zeroed table pages (PAs). Not thread safe: one per
 * thread, like the kernel's per-vCPU kvm_mmu_memory_cache. */
#define KVM_MMU_MEMCACHE_CAPACITY 64
struct kvm_mmu_memcache {
	int nobjs;
	uint64_t pages[KVM_MMU_MEMCACHE_CAPACITY];
};

/* Fill `mc` up to `min` pages from mm_ops. 0, -EINVAL when min is negative
 * or above the capacity, -ENOMEM when the allocator fails (pages obtained
 * so far stay in the cache). */
int kvm_mmu_topup_memcache(struct kvm_mmu_memcache *mc,
			   const struct kvm_pgtable_mm_ops *mm_ops, int min);
/* Return every cached page to mm_ops. */
void kvm_mmu_free_memcache(struct kvm_mmu_memcache *mc,
			   const struct kvm_pgtable_mm_ops *mm_ops);
/* Pages one 4 KiB fault can need in the worst case (one table per level
 * below the root, plus one to split a block). */
int kvm_mmu_cache_min_pages(const struct kvm_pgtable *pgt);

/* ---- the page table ---- */

/* Counters since init, read with kvm_pgtable_get_stats(). */
struct kvm_pgtable_stats {
	uint64_t tables_allocated;   /* taken from a memcache and linked in */
	uint64_t tables_freed;       /* unlinked and released */
	uint64_t tables_deferred;    /* unlinked, waiting for reclaim */
	uint64_t page_installs;      /* level-3 leaves written by map */
	uint64_t block_installs;     /* level-1/2 leaves written by map */
	uint64_t block_splits;       /* blocks replaced by a table of equals */
	uint64_t perm_relaxes;       /* leaves given more permission in place */
	uint64_t tlb_invalidations;  /* calls of the TLB-invalidate hook */
	uint64_t eagain_retries;     /* -EAGAIN returned to a caller's walk */
};

struct kvm_pgtable_deferred;

struct kvm_pgtable {
	uint32_t ia_bits;
	int start_level;
	unsigned int nr_root_pages;  /* concatenated tables at start_level */
	uint64_t root_pa;
	struct kvm_pgtable_mm_ops mm_ops;
	/* TLB-invalidate hook (optional; the call is counted either way):
	 * level is that of the entry changed, -1 for "whole VMID". */
	void (*tlb_flush_ipa)(void *ctx, uint64_t ipa, int level);
	void *tlb_ctx;

	struct {
		_Atomic uint64_t tables_allocated, tables_freed, tables_deferred;
		_Atomic uint64_t page_installs, block_installs, block_splits;
		_Atomic uint64_t perm_relaxes, tlb_invalidations, eagain_retries;
	} stats;

	/* Tables unlinked by shared walkers, freed by reclaim. */
	pthread_mutex_t deferred_lock;
	struct kvm_pgtable_deferred *deferred;
};

/* Set up an empty table for an IPA space of ia_bits. Start level and the
 * number of concatenated root tables follow the Arm stage-2 rules for a
 * 4 KiB granule, with the fewest levels (as KVM chooses). -EINVAL for
 * ia_bits outside [32, 48] or incomplete mm_ops, -ENOMEM. */
int kvm_pgtable_stage2_init(struct kvm_pgtable *pgt, uint32_t ia_bits,
			    const struct kvm_pgtable_mm_ops *mm_ops);
/* Free every table, queued ones and the root. Exclusive; only after a
 * successful init (a struct kvm_pgtable holds a mutex: never copy one). */
void kvm_pgtable_stage2_destroy(struct kvm_pgtable *pgt);

void kvm_pgtable_get_stats(struct kvm_pgtable *pgt, struct kvm_pgtable_stats *out);

/* ---- the walker ---- */

enum kvm_pgtable_walk_flags {
	KVM_PGTABLE_WALK_LEAF       = 1u << 0, /* visit non-table entries */
	KVM_PGTABLE_WALK_TABLE_PRE  = 1u << 1, /* visit tables before children */
	KVM_PGTABLE_WALK_TABLE_POST = 1u << 2, /* visit tables after children */
	KVM_PGTABLE_WALK_SHARED     = 1u << 3, /* concurrent walkers: atomics */
};

struct kvm_pgtable_visit_ctx {
	kvm_pteref_t ptep;     /* the entry */
	kvm_pte_t old;         /* its value when the visit began */
	void *arg;             /* the walker's arg */
	struct kvm_pgtable *pgt;
	uint64_t start;        /* start of the walked range */
	uint64_t addr;         /* IPA the entry covers (first one in range) */
	uint64_t end;          /* end of the walked range (exclusive) */
	int level;
	unsigned int flags;    /* the walker's flags */
};

/* Return 0 to go on; anything else stops the walk and is returned. */
typedef int (*kvm_pgtable_visitor_fn_t)(const struct kvm_pgtable_visit_ctx *ctx,
					enum kvm_pgtable_walk_flags visit);

struct kvm_pgtable_walker {
	kvm_pgtable_visitor_fn_t cb;
	void *arg;
	unsigned int flags;
};

/* Visit the entries covering [addr, addr + size) (addr rounded down to a
 * page). After a LEAF or TABLE_PRE visit the entry is re-read, so a visitor
 * that installs a table gets it walked. -EINVAL for size 0 or no callback,
 * -E2BIG beyond the IPA space, else the first non-zero visitor result. */
int kvm_pgtable_walk(struct kvm_pgtable *pgt, uint64_t addr, uint64_t size,
		     const struct kvm_pgtable_walker *walker);

/* ---- operations (visitors) ---- */

/* Map [addr, addr + size) to [phys, phys + size) with `prot`, using the
 * largest leaf (1 GiB, 2 MiB, 4 KiB) that alignment of addr and phys and
 * the range allow. A block replaces any table below it (whose pages are
 * freed: back to `mc` when it has room, else to mm_ops). A page or smaller
 * block inside an existing block splits it first: the block becomes a
 * table of equivalent smaller leaves (eager split), so the rest of the
 * block stays mapped. Valid entries are changed with break-before-make.
 * Identical entries are left alone. flags: 0 or KVM_PGTABLE_WALK_SHARED.
 * -EINVAL also for DEVICE with X, or prot bits this API does not know. */
int kvm_pgtable_stage2_map(struct kvm_pgtable *pgt, uint64_t addr, uint64_t size,
			   uint64_t phys, enum kvm_pgtable_prot prot,
			   struct kvm_mmu_memcache *mc, unsigned int flags);

/* Remove every leaf overlapping [addr, addr + size) (a block partly in the
 * range goes entirely, as in the kernel) and free tables left empty.
 * Exclusive. */
int kvm_pgtable_stage2_unmap(struct kvm_pgtable *pgt, uint64_t addr, uint64_t size);

/* Add `prot` (R, W, X) to the leaf mapping addr, in place (no
 * break-before-make needed to relax). -EAGAIN when addr is not mapped
 * (a racing unmap: the guest re-faults), -EINVAL for DEVICE in prot.
 * flags: 0 or KVM_PGTABLE_WALK_SHARED. */
int kvm_pgtable_stage2_relax_perms(struct kvm_pgtable *pgt, uint64_t addr,
				   enum kvm_pgtable_prot prot, unsigned int flags);

/* The entry that ends the walk for addr: a leaf, an invalid entry (0 when
 * unmapped) and its level. Safe with shared walkers. */
int kvm_pgtable_get_leaf(struct kvm_pgtable *pgt, uint64_t addr,
			 kvm_pte_t *ptep, int *level);

/* Free the tables queued by shared walkers. Exclusive: call it when no
 * walker and no hw_translate runs (a grace period). */
void kvm_pgtable_stage2_reclaim(struct kvm_pgtable *pgt);

/* ---- the hardware side ---- */

/* What the MMU does for a guest access to ipa: 0 and *pa when a valid leaf
 * grants the access (read needs S2AP.R, write S2AP.W). Otherwise -EFAULT
 * with *fault_level the level of the entry that faulted and *perm_fault
 * telling a permission fault from a translation fault; -E2BIG (an address
 * size fault, *fault_level = start level) when ipa is beyond the IPA
 * space. Lock free; safe with shared walkers. */
int kvm_pgtable_hw_translate(struct kvm_pgtable *pgt, uint64_t ipa, bool write,
			     uint64_t *pa, int *fault_level, bool *perm_fault);

#endif
