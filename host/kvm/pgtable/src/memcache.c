/*
 * The memcache of table pages, and an mm_ops over plain host memory.
 *
 * Host-memory PAs: a page's PA is its host address. That keeps the walker
 * honest (descriptors carry real output addresses in bits [47:12] and
 * tables are found only through phys_to_virt) without a modeled DRAM; the
 * allocator refuses any page whose address does not fit in 48 bits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/pgtable.h"

int kvm_mmu_topup_memcache(struct kvm_mmu_memcache *mc,
			   const struct kvm_pgtable_mm_ops *mm_ops, int min)
{
	if (!mc || !mm_ops || !mm_ops->zalloc_pages || min < 0 ||
	    min > KVM_MMU_MEMCACHE_CAPACITY)
		return -EINVAL;
	while (mc->nobjs < min) {
		uint64_t pa = mm_ops->zalloc_pages(mm_ops->ctx, 1);

		if (pa == KVM_PGTABLE_NO_PA)
			return -ENOMEM;
		mc->pages[mc->nobjs++] = pa;
	}
	return 0;
}

void kvm_mmu_free_memcache(struct kvm_mmu_memcache *mc,
			   const struct kvm_pgtable_mm_ops *mm_ops)
{
	if (!mc || !mm_ops)
		return;
	while (mc->nobjs > 0)
		mm_ops->free_pages(mm_ops->ctx, mc->pages[--mc->nobjs], 1);
}

int kvm_mmu_cache_min_pages(const struct kvm_pgtable *pgt)
{
	return KVM_PGTABLE_LAST_LEVEL - pgt->start_level;
}

static uint64_t host_zalloc_pages(void *ctx, unsigned int npages)
{
	struct kvm_pgtable_host_mem *mem = ctx;
	size_t bytes = (size_t)npages * KVM_PGTABLE_PAGE_SIZE;
	void *va;

	if (npages == 0 || npages > KVM_PGTABLE_MAX_ROOT_PAGES || (npages & (npages - 1)))
		return KVM_PGTABLE_NO_PA;
	va = aligned_alloc(bytes, bytes);
	if (!va)
		return KVM_PGTABLE_NO_PA;
	if ((uintptr_t)va & ~(uintptr_t)KVM_PTE_ADDR_MASK) {
		free(va);
		return KVM_PGTABLE_NO_PA;
	}
	memset(va, 0, bytes);
	if (mem)
		atomic_fetch_add_explicit(&mem->live_pages, npages, memory_order_relaxed);
	return (uint64_t)(uintptr_t)va;
}

static void host_free_pages(void *ctx, uint64_t pa, unsigned int npages)
{
	struct kvm_pgtable_host_mem *mem = ctx;

	free((void *)(uintptr_t)pa);
	if (mem)
		atomic_fetch_sub_explicit(&mem->live_pages, npages, memory_order_relaxed);
}

static void *host_phys_to_virt(void *ctx, uint64_t pa)
{
	(void)ctx;
	return (void *)(uintptr_t)pa;
}

void kvm_pgtable_host_mm_ops_init(struct kvm_pgtable_mm_ops *ops,
				  struct kvm_pgtable_host_mem *mem)
{
	ops->zalloc_pages = host_zalloc_pages;
	ops->free_pages = host_free_pages;
	ops->phys_to_virt = host_phys_to_virt;
	ops->ctx = mem;
}
