/*
 * Behaviour of the stage-2 walker one operation at a time: geometry,
 * descriptors, page and block maps, block over table, split, unmap with
 * table freeing, permission relax, hardware faults, bad input, -ENOMEM.
 */
#include <errno.h>
#include <string.h>

#include "pgt_test.h"

#define SZ_4K (1ULL << 12)
#define SZ_2M (1ULL << 21)
#define SZ_1G (1ULL << 30)

struct fixture {
	struct kvm_pgtable_host_mem mem;
	struct kvm_pgtable_mm_ops mm_ops;
	struct kvm_pgtable pgt;
	struct kvm_mmu_memcache mc;
	int tlb_hook_calls;
};

static void count_tlb_hook(void *ctx, uint64_t ipa, int level)
{
	(void)ipa;
	(void)level;
	((struct fixture *)ctx)->tlb_hook_calls++;
}

static void fixture_init(struct fixture *f, uint32_t ia_bits)
{
	memset(f, 0, sizeof(*f));
	kvm_pgtable_host_mm_ops_init(&f->mm_ops, &f->mem);
	if (kvm_pgtable_stage2_init(&f->pgt, ia_bits, &f->mm_ops)) {
		fprintf(stderr, "init failed\n");
		exit(1);
	}
	f->pgt.tlb_flush_ipa = count_tlb_hook;
	f->pgt.tlb_ctx = f;
	CHECK_EQ(kvm_mmu_topup_memcache(&f->mc, &f->mm_ops, KVM_MMU_MEMCACHE_CAPACITY), 0);
}

/* Tear down and prove that every page came back. */
static void fixture_fini(struct fixture *f)
{
	struct kvm_pgtable_stats st;

	kvm_pgtable_stage2_destroy(&f->pgt);
	kvm_pgtable_get_stats(&f->pgt, &st);
	CHECK_EQ(st.tables_allocated, st.tables_freed);
	kvm_mmu_free_memcache(&f->mc, &f->mm_ops);
	CHECK_EQ(atomic_load(&f->mem.live_pages), 0);
}

static struct kvm_pgtable_stats stats(struct fixture *f)
{
	struct kvm_pgtable_stats st;

	kvm_pgtable_get_stats(&f->pgt, &st);
	return st;
}

static void test_geometry(void)
{
	static const struct { uint32_t ia; int start; unsigned int pages; } cases[] = {
		{ 32, 2, 4 }, { 34, 2, 16 }, { 35, 1, 1 }, { 36, 1, 1 }, { 40, 1, 2 },
		{ 42, 1, 8 }, { 43, 1, 16 }, { 44, 0, 1 }, { 48, 0, 1 },
	};
	struct kvm_pgtable_host_mem mem = { 0 };
	struct kvm_pgtable_mm_ops ops;
	struct kvm_pgtable pgt;

	kvm_pgtable_host_mm_ops_init(&ops, &mem);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_EQ(kvm_pgtable_stage2_init(&pgt, cases[i].ia, &ops), 0);
		CHECK_EQ(pgt.start_level, cases[i].start);
		CHECK_EQ(pgt.nr_root_pages, cases[i].pages);
		CHECK_EQ(pgt.root_pa & (pgt.nr_root_pages * SZ_4K - 1), 0);
		kvm_pgtable_stage2_destroy(&pgt);
	}
	CHECK_EQ(kvm_pgtable_stage2_init(&pgt, 31, &ops), -EINVAL);
	CHECK_EQ(kvm_pgtable_stage2_init(&pgt, 49, &ops), -EINVAL);
	CHECK_EQ(kvm_pgtable_stage2_init(&pgt, 52, &ops), -EINVAL);
	CHECK_EQ(atomic_load(&mem.live_pages), 0);
}

/* Both ends and the middle of every IPA size, through every root page. */
static void test_map_each_geometry(void)
{
	static const uint32_t ia_bits[] = { 32, 34, 36, 40, 42, 43, 44, 48 };

	for (size_t i = 0; i < sizeof(ia_bits) / sizeof(ia_bits[0]); i++) {
		struct fixture f;
		const uint64_t limit = 1ULL << ia_bits[i];
		uint64_t pa;
		int level;
		bool perm;

		fixture_init(&f, ia_bits[i]);
		for (unsigned int r = 0; r < f.pgt.nr_root_pages; r++) {
			uint64_t ipa = r * (limit / f.pgt.nr_root_pages) + 5 * SZ_4K;

			CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, ipa, SZ_4K, TEST_PA_BASE + r * SZ_4K,
							KVM_PGTABLE_PROT_RW, &f.mc, 0), 0);
		}
		CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, limit - SZ_4K, SZ_4K, 0x3000,
						KVM_PGTABLE_PROT_RW, &f.mc, 0), 0);
		CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, limit / 2 + SZ_2M, SZ_2M, TEST_PA_BASE,
						KVM_PGTABLE_PROT_R, &f.mc, 0), 0);
		for (unsigned int r = 0; r < f.pgt.nr_root_pages; r++) {
			uint64_t ipa = r * (limit / f.pgt.nr_root_pages) + 5 * SZ_4K;

			CHECK_EQ(pgt_expect_mapped(&f.pgt, ipa, TEST_PA_BASE + r * SZ_4K,
						   KVM_PGTABLE_PROT_RW), 0);
		}
		CHECK_EQ(pgt_expect_mapped(&f.pgt, limit - SZ_4K, 0x3000, KVM_PGTABLE_PROT_RW), 0);
		CHECK_EQ(pgt_expect_mapped(&f.pgt, limit / 2 + SZ_2M + 77 * SZ_4K,
					   TEST_PA_BASE + 77 * SZ_4K, KVM_PGTABLE_PROT_R), 0);
		/* An untouched root entry faults at the start level. */
		CHECK_EQ(kvm_pgtable_hw_translate(&f.pgt,
						  limit / 4 + kvm_granule_size(f.pgt.start_level),
						  false, &pa, &level, &perm), -EFAULT);
		CHECK_EQ(level, f.pgt.start_level);
		CHECK_EQ(kvm_pgtable_hw_translate(&f.pgt, limit, false, &pa, &level, &perm), -E2BIG);
		CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, limit, SZ_4K, 0, KVM_PGTABLE_PROT_R, &f.mc, 0),
			 -E2BIG);
		fixture_fini(&f);
	}
}

static void test_map_pages(void)
{
	struct fixture f;
	const uint64_t ipa = 0x10000000, size = 4 * SZ_2M + 16 * SZ_4K;
	uint64_t pa = TEST_PA_BASE + 0x3000; /* not block aligned: pages only */
	kvm_pte_t pte;
	int level;

	fixture_init(&f, 40);
	/* One fault's worth of tables at a time, as the fault path does. */
	for (uint64_t off = 0; off < size; off += SZ_4K) {
		CHECK_EQ(kvm_mmu_topup_memcache(&f.mc, &f.mm_ops,
						kvm_mmu_cache_min_pages(&f.pgt)), 0);
		CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, ipa + off, SZ_4K, pa + off,
						KVM_PGTABLE_PROT_RW, &f.mc, 0), 0);
	}
	for (uint64_t off = 0; off < size; off += SZ_4K)
		CHECK_EQ(pgt_expect_mapped(&f.pgt, ipa + off, pa + off, KVM_PGTABLE_PROT_RW), 0);
	CHECK_EQ(pgt_expect_unmapped(&f.pgt, ipa - SZ_4K), 0);
	CHECK_EQ(pgt_expect_unmapped(&f.pgt, ipa + size), 0);

	/* A page descriptor as the architecture defines it. */
	CHECK_EQ(kvm_pgtable_get_leaf(&f.pgt, ipa + SZ_4K, &pte, &level), 0);
	CHECK_EQ(level, 3);
	CHECK_EQ(pte & 3, 3);                               /* valid, page */
	CHECK_EQ(kvm_pte_to_phys(pte), pa + SZ_4K);
	CHECK(pte & KVM_PTE_AF);
	CHECK_EQ(pte & (KVM_PTE_S2AP_R | KVM_PTE_S2AP_W), KVM_PTE_S2AP_R | KVM_PTE_S2AP_W);
	CHECK_EQ(pte & KVM_PTE_S2_MEMATTR_MASK, KVM_PTE_S2_MEMATTR_NORMAL_WB);
	CHECK_EQ((pte >> 8) & 3, 3);                        /* inner shareable */
	CHECK_EQ((pte >> 53) & 3, 2);                       /* XN: no execute */
	CHECK_EQ(kvm_pte_prot(pte), KVM_PGTABLE_PROT_RW);

	/* 5 level-3 tables and one level-2 table (the level-1 root is given). */
	CHECK_EQ(pgt_count_live_tables(&f.pgt), 6);
	CHECK_EQ(stats(&f).tables_allocated, 6);
	CHECK_EQ(stats(&f).page_installs, size / SZ_4K);
	CHECK_EQ(stats(&f).block_installs, 0);
	CHECK_EQ(stats(&f).tlb_invalidations, 0); /* nothing valid was changed */

	/* Mapping the same again changes nothing. */
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, ipa, size, pa, KVM_PGTABLE_PROT_RW, &f.mc, 0), 0);
	CHECK_EQ(stats(&f).page_installs, size / SZ_4K);
	fixture_fini(&f);
}

static void test_map_blocks(void)
{
	struct fixture f;
	const uint64_t ipa = 0x40000000, size = 8 * SZ_2M;
	kvm_pte_t pte;
	int level;

	fixture_init(&f, 40);
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, ipa, size, TEST_PA_BASE,
					KVM_PGTABLE_PROT_R | KVM_PGTABLE_PROT_X, &f.mc, 0), 0);
	for (uint64_t off = 0; off < size; off += SZ_4K)
		CHECK_EQ(pgt_expect_mapped(&f.pgt, ipa + off, TEST_PA_BASE + off,
					   KVM_PGTABLE_PROT_R), 0);
	CHECK_EQ(kvm_pgtable_get_leaf(&f.pgt, ipa + SZ_2M + 5 * SZ_4K, &pte, &level), 0);
	CHECK_EQ(level, 2);
	CHECK_EQ(pte & 3, 1);                               /* valid, block */
	CHECK_EQ(kvm_pte_to_phys(pte), TEST_PA_BASE + SZ_2M);
	CHECK_EQ((pte >> 53) & 3, 0);                       /* executable */
	CHECK_EQ(kvm_pte_prot(pte), KVM_PGTABLE_PROT_R | KVM_PGTABLE_PROT_X);
	CHECK_EQ(stats(&f).block_installs, 8);
	CHECK_EQ(stats(&f).page_installs, 0);
	CHECK_EQ(pgt_count_live_tables(&f.pgt), 1);

	/* A 1 GiB aligned range becomes one level-1 block. */
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, 4 * SZ_1G, SZ_1G, TEST_PA_BASE + SZ_1G,
					KVM_PGTABLE_PROT_RW, &f.mc, 0), 0);
	CHECK_EQ(kvm_pgtable_get_leaf(&f.pgt, 4 * SZ_1G + 12345 * SZ_4K, &pte, &level), 0);
	CHECK_EQ(level, 1);
	CHECK_EQ(pgt_expect_mapped(&f.pgt, 4 * SZ_1G + 12345 * SZ_4K,
				   TEST_PA_BASE + SZ_1G + 12345 * SZ_4K, KVM_PGTABLE_PROT_RW), 0);
	fixture_fini(&f);
}

static void test_block_over_table(void)
{
	struct fixture f;
	const uint64_t ipa = 0x200000 * 7;
	int nobjs_before;

	fixture_init(&f, 40);
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, ipa + 3 * SZ_4K, 4 * SZ_4K, 0x9000000,
					KVM_PGTABLE_PROT_RW, &f.mc, 0), 0);
	CHECK_EQ(pgt_count_live_tables(&f.pgt), 2);
	nobjs_before = f.mc.nobjs;

	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, ipa, SZ_2M, TEST_PA_BASE,
					KVM_PGTABLE_PROT_RW, &f.mc, 0), 0);
	/* The level-3 table went back to the memcache, zeroed. */
	CHECK_EQ(pgt_count_live_tables(&f.pgt), 1);
	CHECK_EQ(f.mc.nobjs, nobjs_before + 1);
	{
		const uint8_t *page = (const uint8_t *)(uintptr_t)f.mc.pages[f.mc.nobjs - 1];
		int nonzero = 0;

		for (size_t i = 0; i < SZ_4K; i++)
			nonzero |= page[i];
		CHECK_EQ(nonzero, 0);
	}
	CHECK_EQ(stats(&f).tables_freed, 1);
	CHECK_EQ(stats(&f).tlb_invalidations, 1);
	CHECK_EQ(f.tlb_hook_calls, 1);
	for (uint64_t off = 0; off < SZ_2M; off += SZ_4K)
		CHECK_EQ(pgt_expect_mapped(&f.pgt, ipa + off, TEST_PA_BASE + off,
					   KVM_PGTABLE_PROT_RW), 0);
	fixture_fini(&f);
}

static void test_split_block(void)
{
	struct fixture f;
	const uint64_t ipa = 0x200000 * 9, page = ipa + 17 * SZ_4K;
	kvm_pte_t pte;
	int level;

	fixture_init(&f, 40);
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, ipa, SZ_2M, TEST_PA_BASE,
					KVM_PGTABLE_PROT_R, &f.mc, 0), 0);
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, page, SZ_4K, 0x7777000,
					KVM_PGTABLE_PROT_RW, &f.mc, 0), 0);
	CHECK_EQ(stats(&f).block_splits, 1);
	CHECK_EQ(pgt_count_live_tables(&f.pgt), 2);
	/* break-before-make twice: the block, then the page inside. */
	CHECK_EQ(stats(&f).tlb_invalidations, 2);
	CHECK_EQ(pgt_expect_mapped(&f.pgt, page, 0x7777000, KVM_PGTABLE_PROT_RW), 0);
	for (uint64_t off = 0; off < SZ_2M; off += SZ_4K)
		if (ipa + off != page)
			CHECK_EQ(pgt_expect_mapped(&f.pgt, ipa + off, TEST_PA_BASE + off,
						   KVM_PGTABLE_PROT_R), 0);
	CHECK_EQ(kvm_pgtable_get_leaf(&f.pgt, ipa, &pte, &level), 0);
	CHECK_EQ(level, 3);
	CHECK_EQ(pte & 3, 3);
	CHECK_EQ(kvm_pte_prot(pte), KVM_PGTABLE_PROT_R);
	fixture_fini(&f);
}

static void test_unmap_frees_tables(void)
{
	struct fixture f;
	const uint64_t ipa = 0x80000000;

	fixture_init(&f, 40);
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, ipa, 2 * SZ_2M, TEST_PA_BASE + SZ_4K,
					KVM_PGTABLE_PROT_RW, &f.mc, 0), 0);
	CHECK_EQ(pgt_count_live_tables(&f.pgt), 3);

	/* Half of the first table: nothing to free yet. */
	CHECK_EQ(kvm_pgtable_stage2_unmap(&f.pgt, ipa, SZ_2M / 2), 0);
	CHECK_EQ(pgt_count_live_tables(&f.pgt), 3);
	CHECK_EQ(pgt_expect_unmapped(&f.pgt, ipa), 0);
	CHECK_EQ(pgt_expect_mapped(&f.pgt, ipa + SZ_2M / 2, TEST_PA_BASE + SZ_4K + SZ_2M / 2,
				   KVM_PGTABLE_PROT_RW), 0);
	/* The rest of it: the level-3 table goes. */
	CHECK_EQ(kvm_pgtable_stage2_unmap(&f.pgt, ipa + SZ_2M / 2, SZ_2M / 2), 0);
	CHECK_EQ(pgt_count_live_tables(&f.pgt), 2);
	/* Everything: the level-2 table goes too. */
	CHECK_EQ(kvm_pgtable_stage2_unmap(&f.pgt, ipa, 2 * SZ_2M), 0);
	CHECK_EQ(pgt_count_live_tables(&f.pgt), 0);
	CHECK_EQ(stats(&f).tables_freed, 3);
	CHECK_EQ(atomic_load(&f.mem.live_pages), f.mc.nobjs + (long)f.pgt.nr_root_pages);

	/* Unmapping a block that is only partly in the range removes it all. */
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, ipa, SZ_2M, TEST_PA_BASE,
					KVM_PGTABLE_PROT_RW, &f.mc, 0), 0);
	CHECK_EQ(kvm_pgtable_stage2_unmap(&f.pgt, ipa + SZ_4K, SZ_4K), 0);
	CHECK_EQ(pgt_expect_unmapped(&f.pgt, ipa), 0);
	CHECK_EQ(pgt_count_live_tables(&f.pgt), 0);
	fixture_fini(&f);
}

static void test_relax_perms(void)
{
	struct fixture f;
	const uint64_t ipa = 0x1234000;
	uint64_t pa;
	int level;
	bool perm;
	kvm_pte_t pte;

	fixture_init(&f, 40);
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, ipa, SZ_4K, 0x5555000,
					KVM_PGTABLE_PROT_R, &f.mc, 0), 0);
	CHECK_EQ(kvm_pgtable_hw_translate(&f.pgt, ipa, true, &pa, &level, &perm), -EFAULT);
	CHECK(perm);
	CHECK_EQ(level, 3);
	CHECK_EQ(kvm_pgtable_stage2_relax_perms(&f.pgt, ipa, KVM_PGTABLE_PROT_W, 0), 0);
	CHECK_EQ(kvm_pgtable_hw_translate(&f.pgt, ipa + 8, true, &pa, &level, &perm), 0);
	CHECK_EQ(pa, 0x5555008);
	CHECK_EQ(stats(&f).perm_relaxes, 1);
	CHECK_EQ(stats(&f).tlb_invalidations, 1);
	/* Already writable: no change, no TLBI. */
	CHECK_EQ(kvm_pgtable_stage2_relax_perms(&f.pgt, ipa, KVM_PGTABLE_PROT_W, 0), 0);
	CHECK_EQ(stats(&f).perm_relaxes, 1);
	CHECK_EQ(kvm_pgtable_stage2_relax_perms(&f.pgt, ipa, KVM_PGTABLE_PROT_X, 0), 0);
	CHECK_EQ(kvm_pgtable_get_leaf(&f.pgt, ipa, &pte, &level), 0);
	CHECK_EQ(kvm_pte_prot(pte), KVM_PGTABLE_PROT_RWX);
	CHECK_EQ(kvm_pte_to_phys(pte), 0x5555000);
	/* Unmapped: the guest must re-fault. */
	CHECK_EQ(kvm_pgtable_stage2_relax_perms(&f.pgt, ipa + SZ_4K, KVM_PGTABLE_PROT_W, 0),
		 -EAGAIN);
	CHECK_EQ(kvm_pgtable_stage2_relax_perms(&f.pgt, ipa, KVM_PGTABLE_PROT_DEVICE, 0),
		 -EINVAL);
	fixture_fini(&f);
}

static void test_hw_faults(void)
{
	struct fixture f;
	uint64_t pa = 0;
	int level = -1;
	bool perm = true;

	fixture_init(&f, 40);
	/* Nothing mapped: translation fault at the start level. */
	CHECK_EQ(kvm_pgtable_hw_translate(&f.pgt, 0x1000, false, &pa, &level, &perm), -EFAULT);
	CHECK_EQ(level, 1);
	CHECK(!perm);
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, 0, SZ_4K, 0x1000, KVM_PGTABLE_PROT_RW, &f.mc, 0), 0);
	/* Same level-3 table, empty entry: fault at level 3. */
	CHECK_EQ(kvm_pgtable_hw_translate(&f.pgt, 0x1000, false, &pa, &level, &perm), -EFAULT);
	CHECK_EQ(level, 3);
	/* Same level-2 table, no level-3 table: fault at level 2. */
	CHECK_EQ(kvm_pgtable_hw_translate(&f.pgt, SZ_2M, false, &pa, &level, &perm), -EFAULT);
	CHECK_EQ(level, 2);
	/* Beyond the IPA space: address size fault. */
	CHECK_EQ(kvm_pgtable_hw_translate(&f.pgt, 1ULL << 40, false, &pa, &level, &perm), -E2BIG);
	CHECK_EQ(kvm_pgtable_hw_translate(&f.pgt, 0, false, NULL, &level, &perm), -EINVAL);
	fixture_fini(&f);
}

static void test_bad_input(void)
{
	struct fixture f;
	struct kvm_pgtable_stats before, after;

	fixture_init(&f, 40);
	kvm_pgtable_get_stats(&f.pgt, &before);
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, 0x1001, SZ_4K, 0, KVM_PGTABLE_PROT_R, &f.mc, 0), -EINVAL);
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, 0x1000, 100, 0, KVM_PGTABLE_PROT_R, &f.mc, 0), -EINVAL);
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, 0x1000, SZ_4K, 0x10, KVM_PGTABLE_PROT_R, &f.mc, 0), -EINVAL);
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, 0x1000, 0, 0, KVM_PGTABLE_PROT_R, &f.mc, 0), -EINVAL);
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, 0x1000, SZ_4K, 0,
					KVM_PGTABLE_PROT_DEVICE | KVM_PGTABLE_PROT_X, &f.mc, 0), -EINVAL);
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, 0x1000, SZ_4K, 0, 1u << 9, &f.mc, 0), -EINVAL);
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, 0x1000, SZ_4K, 0, KVM_PGTABLE_PROT_R, &f.mc, 1u << 7), -EINVAL);
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, 1ULL << 40, SZ_4K, 0, KVM_PGTABLE_PROT_R, &f.mc, 0), -E2BIG);
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, (1ULL << 40) - SZ_4K, 2 * SZ_4K, 0,
					KVM_PGTABLE_PROT_R, &f.mc, 0), -E2BIG);
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, 0x1000, UINT64_MAX - 0xfff, 0,
					KVM_PGTABLE_PROT_R, &f.mc, 0), -E2BIG);
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, 0x1000, SZ_4K, 1ULL << 48,
					KVM_PGTABLE_PROT_R, &f.mc, 0), -E2BIG);
	CHECK_EQ(kvm_pgtable_stage2_map(NULL, 0x1000, SZ_4K, 0, KVM_PGTABLE_PROT_R, &f.mc, 0), -EINVAL);
	CHECK_EQ(kvm_pgtable_stage2_unmap(&f.pgt, 0x800, SZ_4K), -EINVAL);
	CHECK_EQ(kvm_pgtable_stage2_unmap(&f.pgt, 0x1000, 0), -EINVAL);
	CHECK_EQ(kvm_pgtable_stage2_unmap(&f.pgt, 1ULL << 41, SZ_4K), -E2BIG);
	CHECK_EQ(kvm_pgtable_stage2_relax_perms(&f.pgt, 1ULL << 41, KVM_PGTABLE_PROT_W, 0), -E2BIG);
	CHECK_EQ(kvm_mmu_topup_memcache(&f.mc, &f.mm_ops, KVM_MMU_MEMCACHE_CAPACITY + 1), -EINVAL);
	CHECK_EQ(kvm_mmu_topup_memcache(&f.mc, &f.mm_ops, -1), -EINVAL);
	{
		const struct kvm_pgtable_walker no_cb = { .flags = KVM_PGTABLE_WALK_LEAF };

		CHECK_EQ(kvm_pgtable_walk(&f.pgt, 0, SZ_4K, &no_cb), -EINVAL);
	}
	kvm_pgtable_get_stats(&f.pgt, &after);
	CHECK_EQ(memcmp(&before, &after, sizeof(before)), 0);
	CHECK_EQ(pgt_count_live_tables(&f.pgt), 0);
	fixture_fini(&f);
}

/* With too few pages in the memcache, map stops with -ENOMEM; what it did
 * install is complete and correct, and a retry after topping up finishes. */
static void test_memcache_exhaustion(void)
{
	struct fixture f;
	const uint64_t ipa = 0x20000000, size = 4 * SZ_2M;
	const uint64_t pa = TEST_PA_BASE + SZ_4K;

	fixture_init(&f, 40);
	kvm_mmu_free_memcache(&f.mc, &f.mm_ops);
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, ipa, SZ_4K, pa, KVM_PGTABLE_PROT_RW, &f.mc, 0), -ENOMEM);
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, ipa, SZ_4K, pa, KVM_PGTABLE_PROT_RW, NULL, 0), -ENOMEM);
	CHECK_EQ(pgt_count_live_tables(&f.pgt), 0);

	/* Enough for the level-2 table and two level-3 tables of four. */
	CHECK_EQ(kvm_mmu_topup_memcache(&f.mc, &f.mm_ops, 3), 0);
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, ipa, size, pa, KVM_PGTABLE_PROT_RW, &f.mc, 0), -ENOMEM);
	CHECK_EQ(f.mc.nobjs, 0);
	CHECK_EQ(stats(&f).tables_allocated, 3);
	CHECK_EQ(pgt_count_live_tables(&f.pgt), 3);
	for (uint64_t off = 0; off < size; off += SZ_4K) {
		if (off < 2 * SZ_2M)
			CHECK_EQ(pgt_expect_mapped(&f.pgt, ipa + off, pa + off, KVM_PGTABLE_PROT_RW), 0);
		else
			CHECK_EQ(pgt_expect_unmapped(&f.pgt, ipa + off), 0);
	}

	CHECK_EQ(kvm_mmu_topup_memcache(&f.mc, &f.mm_ops, 2), 0);
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, ipa, size, pa, KVM_PGTABLE_PROT_RW, &f.mc, 0), 0);
	for (uint64_t off = 0; off < size; off += SZ_4K)
		CHECK_EQ(pgt_expect_mapped(&f.pgt, ipa + off, pa + off, KVM_PGTABLE_PROT_RW), 0);
	CHECK_EQ(stats(&f).page_installs, size / SZ_4K);

	/* Splitting a block needs a page too. */
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, ipa + 8 * SZ_2M, SZ_2M, TEST_PA_BASE,
					KVM_PGTABLE_PROT_R, &f.mc, 0), 0);
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, ipa + 8 * SZ_2M, SZ_4K, 0x1000,
					KVM_PGTABLE_PROT_R, &f.mc, 0), -ENOMEM);
	CHECK_EQ(pgt_expect_mapped(&f.pgt, ipa + 8 * SZ_2M, TEST_PA_BASE, KVM_PGTABLE_PROT_R), 0);
	CHECK_EQ(stats(&f).block_splits, 0);
	fixture_fini(&f);
}

/* A visitor sees TABLE_PRE, LEAF and TABLE_POST in walk order. */
struct order_log {
	int n;
	char kinds[64];
	int levels[64];
};

static int order_visitor(const struct kvm_pgtable_visit_ctx *ctx,
			 enum kvm_pgtable_walk_flags visit)
{
	struct order_log *log = ctx->arg;

	if (log->n < 64) {
		log->kinds[log->n] = visit == KVM_PGTABLE_WALK_LEAF ? 'L'
				     : visit == KVM_PGTABLE_WALK_TABLE_PRE ? '<' : '>';
		log->levels[log->n] = ctx->level;
		log->n++;
	}
	return 0;
}

static int stop_visitor(const struct kvm_pgtable_visit_ctx *ctx,
			enum kvm_pgtable_walk_flags visit)
{
	(void)visit;
	return ctx->addr >= 0x3000 ? -42 : 0;
}

static void test_walk_order(void)
{
	struct fixture f;
	struct order_log log = { 0 };
	const struct kvm_pgtable_walker walker = {
		.cb = order_visitor, .arg = &log,
		.flags = KVM_PGTABLE_WALK_LEAF | KVM_PGTABLE_WALK_TABLE_PRE |
			 KVM_PGTABLE_WALK_TABLE_POST,
	};
	const struct kvm_pgtable_walker stopper = {
		.cb = stop_visitor, .flags = KVM_PGTABLE_WALK_LEAF,
	};

	fixture_init(&f, 40);
	CHECK_EQ(kvm_pgtable_stage2_map(&f.pgt, 0x1000, SZ_4K, 0x1000, KVM_PGTABLE_PROT_R, &f.mc, 0), 0);
	CHECK_EQ(kvm_pgtable_walk(&f.pgt, 0x1000, 2 * SZ_4K, &walker), 0);
	CHECK_EQ(log.n, 6);
	CHECK_EQ(memcmp(log.kinds, "<<LL>>", 6), 0);
	CHECK_EQ(log.levels[0], 1);
	CHECK_EQ(log.levels[1], 2);
	CHECK_EQ(log.levels[2], 3);
	CHECK_EQ(log.levels[5], 1);
	CHECK_EQ(kvm_pgtable_walk(&f.pgt, 0, 8 * SZ_4K, &stopper), -42);
	fixture_fini(&f);
}

int main(void)
{
	test_geometry();
	test_map_each_geometry();
	test_map_pages();
	test_map_blocks();
	test_block_over_table();
	test_split_block();
	test_unmap_frees_tables();
	test_relax_perms();
	test_hw_faults();
	test_bad_input();
	test_memcache_exhaustion();
	test_walk_order();
	if (pgt_test_failures) {
		fprintf(stderr, "%d check(s) failed\n", pgt_test_failures);
		return 1;
	}
	printf("pgtable basic: all checks passed\n");
	return 0;
}
