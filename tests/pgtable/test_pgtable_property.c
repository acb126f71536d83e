/*
 * Property test: random map / unmap / relax_perms on a window of IPA space
 * that straddles a 1 GiB boundary, compared after every step with a plain
 * reference map (one record per 4 KiB page: PA, permissions, and the leaf
 * it belongs to, since unmap and relax act on whole leaves).
 *
 * Usage: test_pgtable_property [seed [steps]]
 */
#include <errno.h>
#include <string.h>

#include "pgt_test.h"

#define SZ_4K (1ULL << 12)
#define SZ_2M (1ULL << 21)
#define WINDOW_BASE ((1ULL << 30) - 16 * SZ_2M)
#define WINDOW_SIZE (32 * SZ_2M)
#define WINDOW_PAGES (WINDOW_SIZE / SZ_4K)
#define PAGES_PER_BLOCK 512

struct ref_page {
	bool valid;
	uint64_t pa;
	enum kvm_pgtable_prot prot;
	bool in_block; /* part of a 2 MiB leaf */
};

static struct ref_page ref[WINDOW_PAGES];
static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*: reproducible from the seed printed on failure. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static uint64_t rng_below(uint64_t n)
{
	return rng() % n;
}

static size_t page_index(uint64_t ipa)
{
	return (ipa - WINDOW_BASE) / SZ_4K;
}

static size_t block_first_page(size_t i)
{
	return i & ~(size_t)(PAGES_PER_BLOCK - 1);
}

/* A block that loses part of itself becomes 512 pages of the same. */
static void ref_split(size_t i)
{
	size_t first = block_first_page(i);

	if (!ref[i].in_block)
		return;
	for (size_t j = first; j < first + PAGES_PER_BLOCK; j++)
		ref[j].in_block = false;
}

static void ref_map(uint64_t ipa, uint64_t size, uint64_t pa, enum kvm_pgtable_prot prot)
{
	for (uint64_t off = 0; off < size;) {
		size_t i = page_index(ipa + off);
		bool block = !((ipa + off) % SZ_2M) && !((pa + off) % SZ_2M) &&
			     size - off >= SZ_2M;
		size_t n = block ? PAGES_PER_BLOCK : 1;

		if (!block)
			ref_split(i);
		for (size_t j = 0; j < n; j++)
			ref[i + j] = (struct ref_page){ true, pa + off + j * SZ_4K, prot, block };
		off += n * SZ_4K;
	}
}

static void ref_unmap(uint64_t ipa, uint64_t size)
{
	for (uint64_t off = 0; off < size; off += SZ_4K) {
		size_t i = page_index(ipa + off);

		if (ref[i].in_block) {
			size_t first = block_first_page(i);

			for (size_t j = first; j < first + PAGES_PER_BLOCK; j++)
				ref[j].valid = ref[j].in_block = false;
		}
		ref[i].valid = false;
	}
}

/* Returns what relax_perms should return. */
static int ref_relax(uint64_t ipa, enum kvm_pgtable_prot prot)
{
	size_t i = page_index(ipa);
	size_t first = ref[i].in_block ? block_first_page(i) : i;
	size_t n = ref[i].in_block ? PAGES_PER_BLOCK : 1;

	if (!ref[i].valid)
		return -EAGAIN;
	for (size_t j = first; j < first + n; j++)
		ref[j].prot |= prot;
	return 0;
}

static int check_page(struct kvm_pgtable *pgt, size_t i)
{
	uint64_t ipa = WINDOW_BASE + i * SZ_4K, pa;
	kvm_pte_t pte;
	int level;
	bool perm;

	if (kvm_pgtable_get_leaf(pgt, ipa, &pte, &level))
		return -1;
	if (!ref[i].valid)
		return kvm_pte_valid(pte) ? -1 : pgt_expect_unmapped(pgt, ipa);
	if (!kvm_pte_valid(pte) || level != (ref[i].in_block ? 2 : 3) ||
	    kvm_pte_prot(pte) != ref[i].prot)
		return -1;
	if (kvm_pgtable_hw_translate(pgt, ipa + 0x10, false, &pa, &level, &perm) !=
	    ((ref[i].prot & KVM_PGTABLE_PROT_R) ? 0 : -EFAULT))
		return -1;
	if ((ref[i].prot & KVM_PGTABLE_PROT_R) && pa != ref[i].pa + 0x10)
		return -1;
	return 0;
}

static int check_range(struct kvm_pgtable *pgt, uint64_t ipa, uint64_t size)
{
	/* Whole blocks around the range: splits touch their neighbours. */
	size_t first = block_first_page(page_index(ipa));
	size_t last = block_first_page(page_index(ipa + size - 1)) + PAGES_PER_BLOCK;

	for (size_t i = first; i < last; i++) {
		if (check_page(pgt, i)) {
			fprintf(stderr, "mismatch at ipa %#llx (ref valid %d pa %#llx prot %#x block %d)\n",
				(unsigned long long)(WINDOW_BASE + i * SZ_4K), ref[i].valid,
				(unsigned long long)ref[i].pa, ref[i].prot, ref[i].in_block);
			return -1;
		}
	}
	return 0;
}

static const enum kvm_pgtable_prot map_prots[] = {
	KVM_PGTABLE_PROT_R, KVM_PGTABLE_PROT_RW, KVM_PGTABLE_PROT_R | KVM_PGTABLE_PROT_X,
	KVM_PGTABLE_PROT_RWX, KVM_PGTABLE_PROT_RW | KVM_PGTABLE_PROT_DEVICE,
};
static const enum kvm_pgtable_prot relax_prots[] = {
	KVM_PGTABLE_PROT_R, KVM_PGTABLE_PROT_W, KVM_PGTABLE_PROT_X, KVM_PGTABLE_PROT_RW,
};

/* Map with a memcache that is sometimes nearly empty: -ENOMEM must leave a
 * state from which topping up one page at a time and retrying finishes. */
static int do_map(struct kvm_pgtable *pgt, const struct kvm_pgtable_mm_ops *ops,
		  struct kvm_mmu_memcache *mc, uint64_t ipa, uint64_t size, uint64_t pa,
		  enum kvm_pgtable_prot prot)
{
	int ret;

	if (rng_below(4) == 0)
		kvm_mmu_free_memcache(mc, ops);
	else if (kvm_mmu_topup_memcache(mc, ops, KVM_MMU_MEMCACHE_CAPACITY))
		return -1;
	while ((ret = kvm_pgtable_stage2_map(pgt, ipa, size, pa, prot, mc, 0)) == -ENOMEM)
		if (kvm_mmu_topup_memcache(mc, ops, mc->nobjs + 1))
			return -1;
	return ret;
}

static int step(struct kvm_pgtable *pgt, const struct kvm_pgtable_mm_ops *ops,
		struct kvm_mmu_memcache *mc, uint64_t *ipa, uint64_t *size)
{
	uint64_t r = rng_below(10);

	if (r < 5) { /* map pages or a block */
		bool block = rng_below(2);
		uint64_t pa = (rng_below(1ULL << 20) * SZ_4K);
		enum kvm_pgtable_prot prot = map_prots[rng_below(5)];

		if (block) {
			*ipa = WINDOW_BASE + rng_below(WINDOW_SIZE / SZ_2M) * SZ_2M;
			*size = SZ_2M * (1 + rng_below(2));
			if (rng_below(4))
				pa &= ~(SZ_2M - 1);
		} else {
			*ipa = WINDOW_BASE + rng_below(WINDOW_PAGES) * SZ_4K;
			*size = SZ_4K * (1 + rng_below(8));
		}
		if (*ipa + *size > WINDOW_BASE + WINDOW_SIZE)
			*size = WINDOW_BASE + WINDOW_SIZE - *ipa;
		ref_map(*ipa, *size, pa, prot);
		return do_map(pgt, ops, mc, *ipa, *size, pa, prot);
	}
	if (r < 8) { /* unmap */
		*ipa = WINDOW_BASE + rng_below(WINDOW_PAGES) * SZ_4K;
		*size = SZ_4K * (1 + rng_below(rng_below(4) ? 16 : 1024));
		if (*ipa + *size > WINDOW_BASE + WINDOW_SIZE)
			*size = WINDOW_BASE + WINDOW_SIZE - *ipa;
		ref_unmap(*ipa, *size);
		return kvm_pgtable_stage2_unmap(pgt, *ipa, *size);
	}
	{ /* relax */
		enum kvm_pgtable_prot prot = relax_prots[rng_below(4)];
		int want;

		*ipa = WINDOW_BASE + rng_below(WINDOW_PAGES) * SZ_4K;
		*size = SZ_4K;
		want = ref_relax(*ipa, prot);
		return kvm_pgtable_stage2_relax_perms(pgt, *ipa, prot, 0) == want ? 0 : -1;
	}
}

int main(int argc, char **argv)
{
	uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 0x5eed1234ULL;
	long steps = argc > 2 ? strtol(argv[2], NULL, 0) : 3000;
	struct kvm_pgtable_host_mem mem = { 0 };
	struct kvm_pgtable_mm_ops ops;
	struct kvm_mmu_memcache mc = { 0 };
	struct kvm_pgtable pgt;
	struct kvm_pgtable_stats st;

	if (seed == 0 || steps <= 0) {
		fprintf(stderr, "usage: %s [seed != 0 [steps > 0]]\n", argv[0]);
		return 2;
	}
	rng_state = seed;
	kvm_pgtable_host_mm_ops_init(&ops, &mem);
	if (kvm_pgtable_stage2_init(&pgt, 40, &ops)) {
		fprintf(stderr, "init failed\n");
		return 1;
	}
	for (long s = 0; s < steps && !pgt_test_failures; s++) {
		uint64_t ipa = 0, size = 0;

		if (step(&pgt, &ops, &mc, &ipa, &size) || check_range(&pgt, ipa, size)) {
			fprintf(stderr, "seed %#llx: step %ld (ipa %#llx size %#llx) failed\n",
				(unsigned long long)seed, s, (unsigned long long)ipa,
				(unsigned long long)size);
			pgt_test_failures++;
		}
		if (s % 500 == 499)
			CHECK_EQ(check_range(&pgt, WINDOW_BASE, WINDOW_SIZE), 0);
		kvm_pgtable_get_stats(&pgt, &st);
		CHECK_EQ(st.tables_allocated - st.tables_freed, pgt_count_live_tables(&pgt));
	}
	CHECK_EQ(check_range(&pgt, WINDOW_BASE, WINDOW_SIZE), 0);

	/* Unmapping everything leaves no table behind. */
	CHECK_EQ(kvm_pgtable_stage2_unmap(&pgt, WINDOW_BASE, WINDOW_SIZE), 0);
	CHECK_EQ(pgt_count_live_tables(&pgt), 0);
	kvm_pgtable_get_stats(&pgt, &st);
	printf("seed %#llx: %ld steps; tables %llu/%llu, pages %llu, blocks %llu, splits %llu, "
	       "relaxes %llu, tlbi %llu\n", (unsigned long long)seed, steps,
	       (unsigned long long)st.tables_allocated, (unsigned long long)st.tables_freed,
	       (unsigned long long)st.page_installs, (unsigned long long)st.block_installs,
	       (unsigned long long)st.block_splits, (unsigned long long)st.perm_relaxes,
	       (unsigned long long)st.tlb_invalidations);
	kvm_pgtable_stage2_destroy(&pgt);
	kvm_mmu_free_memcache(&mc, &ops);
	CHECK_EQ(atomic_load(&mem.live_pages), 0);
	return pgt_test_failures ? 1 : 0;
}
