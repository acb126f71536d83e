/*
 * The walker over modeled DRAM (host/phys): table descriptors hold DRAM
 * PAs, the concatenated root is found page by page through phys_va, and
 * every DRAM page taken for tables is given back.
 */
#include <errno.h>
#include <string.h>

#include "kvm/pgtable_phys.h"
#include "pgt_test.h"

#define SZ_4K (1ULL << 12)
#define SZ_2M (1ULL << 21)

/* Counts pages going through the phys mm_ops, to prove none is leaked. */
struct counting_ops {
	struct kvm_pgtable_mm_ops inner;
	long live_pages;
};

static uint64_t counting_zalloc(void *ctx, unsigned int npages)
{
	struct counting_ops *c = ctx;
	uint64_t pa = c->inner.zalloc_pages(c->inner.ctx, npages);

	if (pa != KVM_PGTABLE_NO_PA)
		c->live_pages += npages;
	return pa;
}

static void counting_free(void *ctx, uint64_t pa, unsigned int npages)
{
	struct counting_ops *c = ctx;

	c->live_pages -= npages;
	c->inner.free_pages(c->inner.ctx, pa, npages);
}

static void *counting_phys_to_virt(void *ctx, uint64_t pa)
{
	struct counting_ops *c = ctx;

	return c->inner.phys_to_virt(c->inner.ctx, pa);
}

static int table_in_dram_visitor(const struct kvm_pgtable_visit_ctx *ctx,
				 enum kvm_pgtable_walk_flags visit)
{
	struct phys_mem *pm = ctx->arg;

	(void)visit;
	return phys_contains(pm, kvm_pte_to_phys(ctx->old), SZ_4K) ? 0 : -EFAULT;
}

int main(void)
{
	struct phys_mem *pm = phys_create(PHYS_DEFAULT_BASE, 1ULL << 30);
	struct counting_ops counting = { 0 };
	struct kvm_pgtable_mm_ops ops = {
		.zalloc_pages = counting_zalloc, .free_pages = counting_free,
		.phys_to_virt = counting_phys_to_virt, .ctx = &counting,
	};
	struct kvm_mmu_memcache mc = { 0 };
	struct kvm_pgtable pgt;
	const uint64_t top = (1ULL << 42) - 2 * SZ_2M;

	if (!pm) {
		fprintf(stderr, "phys_create failed\n");
		return 1;
	}
	kvm_pgtable_phys_mm_ops_init(&counting.inner, pm);
	/* 42 bits: 8 concatenated root pages, each its own phys_va lookup. */
	CHECK_EQ(kvm_pgtable_stage2_init(&pgt, 42, &ops), 0);
	CHECK_EQ(pgt.nr_root_pages, 8);
	CHECK(phys_contains(pm, pgt.root_pa, 8 * SZ_4K));
	CHECK_EQ(pgt.root_pa % (8 * SZ_4K), 0);
	CHECK_EQ(kvm_mmu_topup_memcache(&mc, &ops, 16), 0);

	CHECK_EQ(kvm_pgtable_stage2_map(&pgt, 0, 4 * SZ_4K, 0x9000000, KVM_PGTABLE_PROT_RW, &mc, 0), 0);
	CHECK_EQ(kvm_pgtable_stage2_map(&pgt, top, 2 * SZ_2M, 0x40000000, KVM_PGTABLE_PROT_R, &mc, 0), 0);
	CHECK_EQ(kvm_pgtable_stage2_map(&pgt, top + SZ_2M + 5 * SZ_4K, SZ_4K, 0x1000,
					KVM_PGTABLE_PROT_RW, &mc, KVM_PGTABLE_WALK_SHARED), 0);
	for (uint64_t off = 0; off < 4 * SZ_4K; off += SZ_4K)
		CHECK_EQ(pgt_expect_mapped(&pgt, off, 0x9000000 + off, KVM_PGTABLE_PROT_RW), 0);
	CHECK_EQ(pgt_expect_mapped(&pgt, top + 7 * SZ_4K, 0x40000000 + 7 * SZ_4K, KVM_PGTABLE_PROT_R), 0);
	CHECK_EQ(pgt_expect_mapped(&pgt, top + SZ_2M + 4 * SZ_4K, 0x40000000 + SZ_2M + 4 * SZ_4K,
				   KVM_PGTABLE_PROT_R), 0);
	CHECK_EQ(pgt_expect_mapped(&pgt, top + SZ_2M + 5 * SZ_4K, 0x1000, KVM_PGTABLE_PROT_RW), 0);
	CHECK_EQ(pgt_expect_unmapped(&pgt, (1ULL << 41)), 0);
	{
		const struct kvm_pgtable_walker walker = {
			.cb = table_in_dram_visitor, .arg = pm,
			.flags = KVM_PGTABLE_WALK_TABLE_PRE,
		};

		CHECK_EQ(kvm_pgtable_walk(&pgt, 0, 1ULL << 42, &walker), 0);
	}
	CHECK_EQ(pgt_count_live_tables(&pgt), 4); /* 2 at 0, 1 at the top, 1 split */

	CHECK_EQ(kvm_pgtable_stage2_unmap(&pgt, 0, 1ULL << 42), 0);
	CHECK_EQ(pgt_count_live_tables(&pgt), 0);
	kvm_pgtable_stage2_destroy(&pgt);
	kvm_mmu_free_memcache(&mc, &ops);
	CHECK_EQ(counting.live_pages, 0);
	phys_destroy(pm);
	if (pgt_test_failures) {
		fprintf(stderr, "%d check(s) failed\n", pgt_test_failures);
		return 1;
	}
	printf("pgtable over phys: all checks passed\n");
	return 0;
}
