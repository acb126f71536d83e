/*
 * Micro-benchmark of the stage-2 walker (not a ctest): ns per call of
 * 4 KiB map (exclusive and shared), 2 MiB map, relax_perms, hw_translate
 * and 4 KiB unmap, each the median over rounds of a batch of calls.
 * Table pages come from a memcache filled before the timed loop, so the
 * numbers are the walker's own work (table creation included: one table
 * per 512 pages), not the allocator's.
 *
 * Usage: bench_pgtable [rounds]    (default 21)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kvm/pgtable.h"

#define SZ_4K (1ULL << 12)
#define SZ_2M (1ULL << 21)
#define NR_PAGES 16384 /* 64 MiB of 4 KiB maps: 32 level-3 tables */
#define NR_BLOCKS 512  /* 1 GiB of 2 MiB maps: 1 level-2 table */
#define IPA_BASE (1ULL << 32)
#define PA_BASE (1ULL << 40)

struct bench_env {
	struct kvm_pgtable_host_mem mem;
	struct kvm_pgtable_mm_ops ops;
	struct kvm_pgtable pgt;
	struct kvm_mmu_memcache mc;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, int ret)
{
	fprintf(stderr, "bench_pgtable: %s failed: %d\n", what, ret);
	exit(1);
}

static void env_init(struct bench_env *e)
{
	int ret;

	memset(e, 0, sizeof(*e));
	kvm_pgtable_host_mm_ops_init(&e->ops, &e->mem);
	ret = kvm_pgtable_stage2_init(&e->pgt, 40, &e->ops);
	if (ret)
		die("init", ret);
	ret = kvm_mmu_topup_memcache(&e->mc, &e->ops, KVM_MMU_MEMCACHE_CAPACITY);
	if (ret)
		die("topup", ret);
}

static void env_fini(struct bench_env *e)
{
	kvm_pgtable_stage2_destroy(&e->pgt);
	kvm_mmu_free_memcache(&e->mc, &e->ops);
}

static void map_pages(struct bench_env *e, unsigned int flags)
{
	for (uint64_t i = 0; i < NR_PAGES; i++) {
		int ret = kvm_pgtable_stage2_map(&e->pgt, IPA_BASE + i * SZ_4K, SZ_4K,
						 PA_BASE + i * SZ_4K, KVM_PGTABLE_PROT_R,
						 &e->mc, flags);
		if (ret)
			die("4K map", ret);
	}
}

/* ns per call for each kind of operation in one round. */
enum { OP_MAP4K, OP_MAP4K_SHARED, OP_MAP2M, OP_RELAX, OP_TRANSLATE, OP_UNMAP4K, NR_OPS };
static const char *const op_names[NR_OPS] = {
	"map 4K (exclusive)", "map 4K (shared)", "map 2M block", "relax_perms 4K",
	"hw_translate", "unmap 4K",
};

static void round_pages(double ns[NR_OPS])
{
	struct bench_env e;
	uint64_t t0, sink = 0;

	env_init(&e);
	t0 = now_ns();
	map_pages(&e, 0);
	ns[OP_MAP4K] = (double)(now_ns() - t0) / NR_PAGES;

	t0 = now_ns();
	for (uint64_t i = 0; i < NR_PAGES; i++)
		if (kvm_pgtable_stage2_relax_perms(&e.pgt, IPA_BASE + i * SZ_4K,
						   KVM_PGTABLE_PROT_W, 0))
			die("relax", -1);
	ns[OP_RELAX] = (double)(now_ns() - t0) / NR_PAGES;

	t0 = now_ns();
	for (uint64_t i = 0; i < NR_PAGES; i++) {
		uint64_t pa;
		int level;
		bool perm;

		if (kvm_pgtable_hw_translate(&e.pgt, IPA_BASE + i * SZ_4K, true, &pa, &level, &perm))
			die("translate", -1);
		sink += pa;
	}
	ns[OP_TRANSLATE] = (double)(now_ns() - t0) / NR_PAGES;
	if (sink == 42)
		printf("(unlikely)\n");

	t0 = now_ns();
	for (uint64_t i = 0; i < NR_PAGES; i++)
		if (kvm_pgtable_stage2_unmap(&e.pgt, IPA_BASE + i * SZ_4K, SZ_4K))
			die("unmap", -1);
	ns[OP_UNMAP4K] = (double)(now_ns() - t0) / NR_PAGES;
	env_fini(&e);

	env_init(&e);
	t0 = now_ns();
	map_pages(&e, KVM_PGTABLE_WALK_SHARED);
	ns[OP_MAP4K_SHARED] = (double)(now_ns() - t0) / NR_PAGES;
	env_fini(&e);

	env_init(&e);
	t0 = now_ns();
	for (uint64_t i = 0; i < NR_BLOCKS; i++) {
		int ret = kvm_pgtable_stage2_map(&e.pgt, IPA_BASE + i * SZ_2M, SZ_2M,
						 PA_BASE + i * SZ_2M, KVM_PGTABLE_PROT_RW,
						 &e.mc, KVM_PGTABLE_WALK_SHARED);
		if (ret)
			die("2M map", ret);
	}
	ns[OP_MAP2M] = (double)(now_ns() - t0) / NR_BLOCKS;
	env_fini(&e);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 21;
	double *samples[NR_OPS];

	if (rounds < 1 || rounds > 100000) {
		fprintf(stderr, "usage: %s [rounds 1..100000]\n", argv[0]);
		return 2;
	}
	for (int op = 0; op < NR_OPS; op++) {
		samples[op] = calloc((size_t)rounds, sizeof(double));
		if (!samples[op])
			die("calloc", -ENOMEM);
	}
	for (long r = 0; r < rounds; r++) {
		double ns[NR_OPS];

		round_pages(ns);
		for (int op = 0; op < NR_OPS; op++)
			samples[op][r] = ns[op];
	}
	printf("%-20s %10s %10s %10s   (ns per call, %ld rounds; 4K: %d calls, 2M: %d calls)\n",
	       "operation", "median", "min", "max", rounds, NR_PAGES, NR_BLOCKS);
	for (int op = 0; op < NR_OPS; op++) {
		qsort(samples[op], (size_t)rounds, sizeof(double), cmp_double);
		printf("%-20s %10.1f %10.1f %10.1f\n", op_names[op], samples[op][rounds / 2],
		       samples[op][0], samples[op][rounds - 1]);
		free(samples[op]);
	}
	return 0;
}
