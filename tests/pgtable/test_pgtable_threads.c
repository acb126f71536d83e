/*
 * Shared-mode stress: several "vCPU" threads fault on the same and on
 * overlapping IPA ranges at once, as KVM's parallel stage-2 faults do under
 * the read lock. Each thread has its own memcache. A thread's "guest"
 * access first takes a fault whatever the current state (4 KiB pages are
 * mapped read-only, some faults map whole 2 MiB blocks read-write), then is
 * retried until the hardware walk lets a write through (relaxing on the
 * permission fault). So blocks replace tables, pages split blocks and
 * permissions change while the others walk.
 *
 * After the threads join: every IPA maps to its one expected PA with write
 * permission, the table accounting matches the tree (allocated - freed ==
 * live tables once queued tables are reclaimed), and every page allocated
 * is in the tree, a memcache or the root (nothing leaked).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "pgt_test.h"

#define SZ_4K (1ULL << 12)
#define SZ_2M (1ULL << 21)
#define NR_THREADS 4
#define REGION_BASE (3ULL << 30)
#define REGION_SIZE (8 * SZ_2M)
#define REGION_PAGES (REGION_SIZE / SZ_4K)
#define PA_OFFSET 0x10000000000ULL /* pa = ipa + PA_OFFSET: 2 MiB aligned */
#define PASSES 20
#define MAX_RETRIES 10000000L

struct shared {
	struct kvm_pgtable pgt;
	struct kvm_pgtable_mm_ops ops;
	struct kvm_pgtable_host_mem mem;
	_Atomic long guest_retries;
	_Atomic int failed;
};

struct vcpu {
	struct shared *sh;
	int id;
	struct kvm_mmu_memcache mc;
	pthread_t thread;
};

/* The fault handler: what user_mem_abort would do for this access. */
static int handle_fault(struct vcpu *v, uint64_t ipa, bool perm_fault, bool use_block)
{
	struct shared *sh = v->sh;
	int ret = kvm_mmu_topup_memcache(&v->mc, &sh->ops,
					 kvm_mmu_cache_min_pages(&sh->pgt));

	if (ret)
		return ret;
	if (perm_fault)
		return kvm_pgtable_stage2_relax_perms(&sh->pgt, ipa, KVM_PGTABLE_PROT_W,
						      KVM_PGTABLE_WALK_SHARED);
	if (use_block) {
		uint64_t base = ipa & ~(SZ_2M - 1);

		return kvm_pgtable_stage2_map(&sh->pgt, base, SZ_2M, base + PA_OFFSET,
					      KVM_PGTABLE_PROT_RW, &v->mc,
					      KVM_PGTABLE_WALK_SHARED);
	}
	return kvm_pgtable_stage2_map(&sh->pgt, ipa, SZ_4K, ipa + PA_OFFSET,
				      KVM_PGTABLE_PROT_R, &v->mc, KVM_PGTABLE_WALK_SHARED);
}

/* The guest writes ipa: run until the MMU lets the write through. */
static int guest_write(struct vcpu *v, uint64_t ipa, bool use_block)
{
	for (long tries = 0; tries < MAX_RETRIES; tries++) {
		uint64_t pa;
		int level, ret;
		bool perm;

		ret = kvm_pgtable_hw_translate(&v->sh->pgt, ipa, true, &pa, &level, &perm);
		if (ret == 0)
			return pa == ipa + PA_OFFSET ? 0 : -1;
		if (ret != -EFAULT)
			return -1;
		ret = handle_fault(v, ipa, perm, use_block);
		if (ret && ret != -EAGAIN)
			return -1;
		atomic_fetch_add(&v->sh->guest_retries, 1);
	}
	return -1;
}

static void *vcpu_main(void *arg)
{
	struct vcpu *v = arg;

	for (int pass = 0; pass < PASSES; pass++) {
		for (uint64_t n = 0; n < REGION_PAGES; n++) {
			/* Threads start at different points and two of them go
			 * backwards, so they meet on the same pages and blocks. */
			uint64_t k = (n * 7 + (uint64_t)v->id * REGION_PAGES / NR_THREADS) % REGION_PAGES;
			uint64_t page = v->id & 1 ? REGION_PAGES - 1 - k : k;
			uint64_t ipa = REGION_BASE + page * SZ_4K;
			/* 2 MiB faults for some pages, 4 KiB for the rest. */
			bool use_block = ((page / 64) + (uint64_t)v->id + (uint64_t)pass) % 5 == 0;

			/* A fault whatever the current state (as after an
			 * invalidation elsewhere): pages come back read-only,
			 * blocks replace tables, pages split blocks. */
			int ret = handle_fault(v, ipa, false, use_block);

			if ((ret && ret != -EAGAIN) || guest_write(v, ipa, use_block)) {
				fprintf(stderr, "vcpu %d: write to %#llx never succeeded\n",
					v->id, (unsigned long long)ipa);
				atomic_store(&v->sh->failed, 1);
				return NULL;
			}
		}
	}
	return NULL;
}

static pthread_barrier_t start_line;

static void *same_ipa_main(void *arg)
{
	struct vcpu *v = arg;
	struct shared *sh = v->sh;

	pthread_barrier_wait(&start_line);
	for (long tries = 0; tries < MAX_RETRIES; tries++) {
		uint64_t pa;
		int level;
		bool perm;
		int ret = kvm_pgtable_stage2_map(&sh->pgt, REGION_BASE, SZ_4K,
						 REGION_BASE + PA_OFFSET, KVM_PGTABLE_PROT_RW,
						 &v->mc, KVM_PGTABLE_WALK_SHARED);

		if (ret && ret != -EAGAIN)
			break;
		if (!kvm_pgtable_hw_translate(&sh->pgt, REGION_BASE, true, &pa, &level, &perm))
			return NULL;
	}
	atomic_store(&sh->failed, 1);
	return NULL;
}

/* Two threads fault the very same IPA, many times over fresh tables. */
static void test_same_ipa_race(void)
{
	pthread_barrier_init(&start_line, NULL, 2);
	for (int round = 0; round < 200; round++) {
		struct shared sh;
		struct vcpu v[2];
		struct kvm_pgtable_stats st;
		kvm_pte_t pte;
		int level;

		memset(&sh, 0, sizeof(sh));
		memset(v, 0, sizeof(v));
		kvm_pgtable_host_mm_ops_init(&sh.ops, &sh.mem);
		if (kvm_pgtable_stage2_init(&sh.pgt, 40, &sh.ops))
			exit(1);
		for (int i = 0; i < 2; i++) {
			v[i].sh = &sh;
			v[i].id = i;
			CHECK_EQ(kvm_mmu_topup_memcache(&v[i].mc, &sh.ops, 3), 0);
		}
		for (int i = 0; i < 2; i++)
			pthread_create(&v[i].thread, NULL, same_ipa_main, &v[i]);
		for (int i = 0; i < 2; i++)
			pthread_join(v[i].thread, NULL);
		CHECK(!atomic_load(&sh.failed));

		/* One mapping, two tables (levels 2 and 3), none leaked. */
		CHECK_EQ(kvm_pgtable_get_leaf(&sh.pgt, REGION_BASE, &pte, &level), 0);
		CHECK_EQ(level, 3);
		CHECK_EQ(kvm_pte_to_phys(pte), REGION_BASE + PA_OFFSET);
		CHECK_EQ(pgt_count_live_tables(&sh.pgt), 2);
		kvm_pgtable_get_stats(&sh.pgt, &st);
		CHECK_EQ(st.tables_allocated, 2);
		CHECK_EQ(st.page_installs, 1);
		CHECK_EQ(atomic_load(&sh.mem.live_pages),
			 2 + v[0].mc.nobjs + v[1].mc.nobjs + (long)sh.pgt.nr_root_pages);
		kvm_pgtable_stage2_destroy(&sh.pgt);
		for (int i = 0; i < 2; i++)
			kvm_mmu_free_memcache(&v[i].mc, &sh.ops);
		CHECK_EQ(atomic_load(&sh.mem.live_pages), 0);
		if (pgt_test_failures)
			break;
	}
	pthread_barrier_destroy(&start_line);
}

static void test_overlapping_faults(void)
{
	struct shared sh;
	struct vcpu v[NR_THREADS];
	struct kvm_pgtable_stats st;
	long cached = 0, live_tables;

	memset(&sh, 0, sizeof(sh));
	memset(v, 0, sizeof(v));
	kvm_pgtable_host_mm_ops_init(&sh.ops, &sh.mem);
	if (kvm_pgtable_stage2_init(&sh.pgt, 40, &sh.ops))
		exit(1);
	for (int i = 0; i < NR_THREADS; i++) {
		v[i].sh = &sh;
		v[i].id = i;
		pthread_create(&v[i].thread, NULL, vcpu_main, &v[i]);
	}
	for (int i = 0; i < NR_THREADS; i++)
		pthread_join(v[i].thread, NULL);
	CHECK(!atomic_load(&sh.failed));

	/* Every page: one valid mapping, the expected PA, writable. */
	for (uint64_t ipa = REGION_BASE; ipa < REGION_BASE + REGION_SIZE; ipa += SZ_4K)
		if (pgt_expect_mapped(&sh.pgt, ipa, ipa + PA_OFFSET, KVM_PGTABLE_PROT_RW))
			pgt_test_failures++;

	kvm_pgtable_get_stats(&sh.pgt, &st);
	printf("overlapping faults: %ld guest retries, %llu -EAGAIN, tables %llu allocated "
	       "%llu freed %llu queued, %llu pages %llu blocks %llu splits %llu relaxes\n",
	       atomic_load(&sh.guest_retries), (unsigned long long)st.eagain_retries,
	       (unsigned long long)st.tables_allocated, (unsigned long long)st.tables_freed,
	       (unsigned long long)st.tables_deferred, (unsigned long long)st.page_installs,
	       (unsigned long long)st.block_installs, (unsigned long long)st.block_splits,
	       (unsigned long long)st.perm_relaxes);

	/* The grace period: queued tables go, then the books balance. */
	kvm_pgtable_stage2_reclaim(&sh.pgt);
	kvm_pgtable_get_stats(&sh.pgt, &st);
	live_tables = pgt_count_live_tables(&sh.pgt);
	CHECK_EQ(st.tables_deferred, 0);
	CHECK_EQ(st.tables_allocated - st.tables_freed, live_tables);
	for (int i = 0; i < NR_THREADS; i++)
		cached += v[i].mc.nobjs;
	CHECK_EQ(atomic_load(&sh.mem.live_pages),
		 live_tables + cached + (long)sh.pgt.nr_root_pages);

	kvm_pgtable_stage2_destroy(&sh.pgt);
	for (int i = 0; i < NR_THREADS; i++)
		kvm_mmu_free_memcache(&v[i].mc, &sh.ops);
	CHECK_EQ(atomic_load(&sh.mem.live_pages), 0);
}

int main(void)
{
	test_same_ipa_race();
	test_overlapping_faults();
	if (pgt_test_failures) {
		fprintf(stderr, "%d check(s) failed\n", pgt_test_failures);
		return 1;
	}
	printf("pgtable threads: all checks passed\n");
	return 0;
}
