/*
 * mm_ops over host/phys. phys_va backs a page with zeroed memory on first
 * use and phys_free zeroes pages for reuse, so pages come out zeroed as
 * the mm_ops contract asks. Each 4 KiB page has its own host buffer; the
 * walker never assumes two PAs are contiguous in host memory.
 */
#include "kvm/pgtable_phys.h"

static uint64_t phys_zalloc_pages(void *ctx, unsigned int npages)
{
	struct phys_mem *pm = ctx;
	uint64_t pa;

	if (npages == 0 || npages > KVM_PGTABLE_MAX_ROOT_PAGES || (npages & (npages - 1)))
		return KVM_PGTABLE_NO_PA;
	pa = phys_alloc(pm, npages, (uint64_t)npages * KVM_PGTABLE_PAGE_SIZE);
	if (pa == PHYS_NONE)
		return KVM_PGTABLE_NO_PA;
	if (pa & ~KVM_PTE_ADDR_MASK) { /* beyond 48-bit output addresses */
		phys_free(pm, pa, npages);
		return KVM_PGTABLE_NO_PA;
	}
	return pa;
}

static void phys_free_pages(void *ctx, uint64_t pa, unsigned int npages)
{
	phys_free(ctx, pa, npages);
}

static void *phys_page_va(void *ctx, uint64_t pa)
{
	return phys_va(ctx, pa);
}

void kvm_pgtable_phys_mm_ops_init(struct kvm_pgtable_mm_ops *ops, struct phys_mem *pm)
{
	ops->zalloc_pages = phys_zalloc_pages;
	ops->free_pages = phys_free_pages;
	ops->phys_to_virt = phys_page_va;
	ops->ctx = pm;
}
