/*
 * s2map/<op>: the normal VM's stage-2 map (host/kvm/pgtable), the same
 * measurement tests/pgtable/bench_pgtable.c makes by hand: table pages
 * come from a memcache topped up outside the timed region, so the time is
 * the walker's own work, table installation included (one level-3 table
 * per 512 pages, one level-2 table per 512 blocks, as they occur).
 *
 * A batch maps BATCH consecutive pages (or blocks) of a fresh range
 * between two stage clock reads; the untimed undo unmaps the range (and
 * frees its tables) so every batch starts from the same empty tables.
 * Each iteration is one map call at the batch's mean time.
 *   s2map/4K          kvm_pgtable_stage2_map of a 4 KiB page, exclusive
 *   s2map/4K_shared   the same under KVM_PGTABLE_WALK_SHARED (fault path)
 *   s2map/2M          a 2 MiB block, shared
 *   s2map/relax_4K    kvm_pgtable_stage2_relax_perms adding W (perm fault)
 */
#include <stdio.h>
#include <string.h>

#include "cases.h"
#include "samples.h"
#include "kvm/pgtable.h"
#include "clock/stage_clock.h"

#define SZ_4K (1ULL << 12)
#define SZ_2M (1ULL << 21)
#define BATCH 512
#define IPA_BASE (1ULL << 32)
#define PA_BASE (1ULL << 40)

enum s2_op { S2_MAP4K, S2_MAP4K_SHARED, S2_MAP2M, S2_RELAX4K, S2_COUNT };

static const struct {
	const char *name, *what;
} s2_ops[S2_COUNT] = {
	[S2_MAP4K] = { "s2map/4K", "stage2_map of one 4 KiB page, exclusive walk" },
	[S2_MAP4K_SHARED] = { "s2map/4K_shared", "stage2_map of one 4 KiB page, shared walk" },
	[S2_MAP2M] = { "s2map/2M", "stage2_map of one 2 MiB block, shared walk" },
	[S2_RELAX4K] = { "s2map/relax_4K", "relax_perms R -> RW of one 4 KiB page, shared walk" },
};

static enum s2_op s2_ids[S2_COUNT] = { S2_MAP4K, S2_MAP4K_SHARED, S2_MAP2M, S2_RELAX4K };

struct s2_env {
	struct kvm_pgtable_host_mem mem;
	struct kvm_pgtable_mm_ops ops;
	struct kvm_pgtable pgt;
	struct kvm_mmu_memcache mc;
};

static int s2_map_range(struct s2_env *e, enum s2_op op, enum kvm_pgtable_prot prot)
{
	uint64_t size = op == S2_MAP2M ? SZ_2M : SZ_4K;
	unsigned flags = op == S2_MAP4K ? 0 : KVM_PGTABLE_WALK_SHARED;

	for (uint64_t i = 0; i < BATCH; i++) {
		int ret = kvm_pgtable_stage2_map(&e->pgt, IPA_BASE + i * size, size,
						 PA_BASE + i * size, prot, &e->mc, flags);
		if (ret)
			return ret;
	}
	return 0;
}

/* ns per call of one batch, or a negative errno. */
static double s2_batch(struct s2_env *e, enum s2_op op, char *err, size_t len)
{
	uint64_t size = op == S2_MAP2M ? SZ_2M : SZ_4K, t0, t1;
	int ret = kvm_mmu_topup_memcache(&e->mc, &e->ops, KVM_MMU_MEMCACHE_CAPACITY);

	if (!ret && op == S2_RELAX4K)
		ret = s2_map_range(e, op, KVM_PGTABLE_PROT_R);
	if (ret) {
		snprintf(err, len, "setup failed: %d", ret);
		return -1;
	}
	t0 = stage_clock_now();
	if (op == S2_RELAX4K) {
		for (uint64_t i = 0; i < BATCH && !ret; i++)
			ret = kvm_pgtable_stage2_relax_perms(&e->pgt, IPA_BASE + i * SZ_4K,
							     KVM_PGTABLE_PROT_W, KVM_PGTABLE_WALK_SHARED);
	} else {
		ret = s2_map_range(e, op, KVM_PGTABLE_PROT_RW);
	}
	t1 = stage_clock_now();
	if (ret || (ret = kvm_pgtable_stage2_unmap(&e->pgt, IPA_BASE, BATCH * size))) {
		snprintf(err, len, "%s failed: %d", op == S2_RELAX4K ? "relax_perms" : "map", ret);
		return -1;
	}
	kvm_pgtable_stage2_reclaim(&e->pgt);
	return (double)stage_clock_ticks_to_ns(t1 - t0) / BATCH;
}

static void s2_case_run(struct gb_state *st)
{
	enum s2_op op = *(const enum s2_op *)gb_user(st);
	struct gbench_samples s = { 0 };
	struct s2_env e;
	unsigned left = 0;
	double per = 0;
	char err[96], label[200];
	int ret;

	memset(&e, 0, sizeof(e));
	kvm_pgtable_host_mm_ops_init(&e.ops, &e.mem);
	if ((ret = kvm_pgtable_stage2_init(&e.pgt, 40, &e.ops))) {
		snprintf(err, sizeof(err), "kvm_pgtable_stage2_init failed: %d", ret);
		gb_skip_with_error(st, err);
		return;
	}
	while (gb_keep_running(st)) {
		if (!left) {
			per = s2_batch(&e, op, err, sizeof(err));
			if (per < 0 || gbench_samples_add(&s, per)) {
				gb_skip_with_error(st, per < 0 ? err : "out of memory");
				break;
			}
			left = BATCH;
		}
		gb_set_iteration_time(st, per * 1e-9);
		left--;
	}
	gbench_report_median(st, s.v, s.n);
	snprintf(label, sizeof(label), "sim-measured; normal VM; %s; time per call, batch of %d",
		 s2_ops[op].what, BATCH);
	gb_set_label(st, label);
	gbench_samples_free(&s);
	kvm_pgtable_stage2_destroy(&e.pgt);
	kvm_mmu_free_memcache(&e.mc, &e.ops);
}

int pgtable_cases_register(const struct gbench_case_opts *o)
{
	for (int op = 0; op < S2_COUNT; op++) {
		struct gb_bench *b = gb_register(s2_ops[op].name, s2_case_run, &s2_ids[op]);
		if (!b || gb_use_manual_time(b) || gb_unit(b, GB_UNIT_NS) ||
		    gb_min_time(b, o->min_time))
			return -1;
	}
	return 0;
}
