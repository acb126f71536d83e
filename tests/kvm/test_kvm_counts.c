/*
 * Known-answer counts: what each host policy must do for small runs of the
 * patterns, derived from the host code it follows (see the policy files)
 * and the realm layout (RAM at 2 GiB, 40-bit IPA, RIPAS of RAM set at
 * level 2 before activation, so each 2 MiB region has no level-3 RTT when
 * the run starts). 4 MiB = two 2 MiB regions per run.
 */
#include <string.h>

#include "kvm_test.h"

#define MB (1ULL << 20)
#define K4 4096ULL
#define M2 (2 * MB)

static struct run_result run(const char *vm, const char *policy, const char *pattern,
				 uint64_t page, uint64_t *expected)
{
	struct kvm_test_run t = { vm, policy, pattern, 4 * MB, page, 1, false };
	struct run_result r = { 0 };

	*expected = kvm_test_expected(&t);
	kvm_test_run(&t, &r);
	CHECK_EQ(r.leaked_granules, 0);
	CHECK_EQ(r.missed_faults, 0);
	CHECK_EQ(r.unexpected_exits, 0);
	CHECK_EQ(r.dropped_faults, 0);
	return r;
}

#define C(name) kvm_test_count(&r, name)

static void seq_cca_v1(void)
{
	uint64_t n;
	struct run_result r = run("realm", "cca-v1", "seq", K4, &n);

	CHECK_EQ(n, 1024);
	CHECK_EQ(kvm_test_kind(&r, FAULT_PROTECTED), n);
	CHECK_EQ(r.n_faults, n);
	/* One level-3 RTT per region, made when the first DATA_CREATE_UNKNOWN
	 * of the region fails with ERROR_RTT(2); that call is retried. */
	CHECK_EQ(C("RMI_RTT_CREATE"), 2);
	CHECK_EQ(C("RMI_DATA_CREATE_UNKNOWN"), n + C("RMI_RTT_CREATE"));
	/* Delegations: one per data granule plus one per RTT. */
	CHECK_EQ(C("RMI_GRANULE_DELEGATE"), n + C("RMI_RTT_CREATE"));
	CHECK_EQ(C("RMI_RTT_FOLD"), 0);
	CHECK_EQ(C("RMI_REC_ENTER"), n + 1);
	/* Per fault: DELEGATE + DATA_CREATE, or 5 calls when the RTT is made. */
	uint64_t two = 0, five = 0;
	for (size_t i = 0; i < r.n_faults; i++) {
		two += r.faults[i].rmi_calls == 2;
		five += r.faults[i].rmi_calls == 5;
	}
	CHECK_EQ(two, n - 2);
	CHECK_EQ(five, 2);
	run_result_free(&r);
}

static void block_cca_v1(void)
{
	uint64_t n;
	struct run_result r = run("realm", "cca-v1", "block", M2, &n);

	CHECK_EQ(n, 2);
	CHECK_EQ(kvm_test_kind(&r, FAULT_PROTECTED), 2);
	/* Each block: a level-3 RTT made first, 512 DELEGATE + DATA_CREATE,
	 * then one RTT_FOLD that gives the table back (undelegated). */
	CHECK_EQ(C("RMI_DATA_CREATE_UNKNOWN"), 2 * 512);
	CHECK_EQ(C("RMI_RTT_FOLD"), 2);
	CHECK_EQ(C("RMI_RTT_CREATE"), 2);
	CHECK_EQ(C("RMI_GRANULE_DELEGATE"), 2 * 512 + C("RMI_RTT_CREATE"));
	CHECK_EQ(C("RMI_GRANULE_UNDELEGATE"), 2);
	for (size_t i = 0; i < r.n_faults; i++) {
		CHECK_EQ(r.faults[i].level, 2);
		CHECK_EQ(r.faults[i].rmi_calls, 1 + 1 + 1024 + 1 + 1);
	}
	run_result_free(&r);
}

static void seq_cca_rmm2(void)
{
	uint64_t n;
	struct run_result r = run("realm", "cca-rmm2", "seq", K4, &n);

	CHECK_EQ(kvm_test_kind(&r, FAULT_PROTECTED), n);
	CHECK_EQ(C("RMI_RTT_CREATE"), 2);
	CHECK_EQ(C("RMI_RTT_DATA_MAP"), n + C("RMI_RTT_CREATE"));
	CHECK_EQ(C("RMI_GRANULE_RANGE_DELEGATE"), n + C("RMI_RTT_CREATE"));
	CHECK_EQ(C("RMI_GRANULE_DELEGATE"), 0);
	CHECK_EQ(C("RMI_DATA_CREATE_UNKNOWN"), 0);
	run_result_free(&r);
}

static void block_cca_rmm2(void)
{
	uint64_t n;
	struct run_result r = run("realm", "cca-rmm2", "block", M2, &n);

	/* One RANGE_DELEGATE and one RTT_DATA_MAP of a level-2 block each:
	 * no level-3 table, no fold. */
	CHECK_EQ(kvm_test_kind(&r, FAULT_PROTECTED), 2);
	CHECK_EQ(C("RMI_GRANULE_RANGE_DELEGATE"), 2);
	CHECK_EQ(C("RMI_RTT_DATA_MAP"), 2);
	CHECK_EQ(C("RMI_RTT_CREATE"), 0);
	CHECK_EQ(C("RMI_RTT_FOLD"), 0);
	run_result_free(&r);
}

static void normal_vm(void)
{
	uint64_t n;
	struct run_result r = run("normal", "normal", "seq", K4, &n);

	CHECK_EQ(kvm_test_kind(&r, FAULT_NORMAL), n);
	CHECK_EQ(r.n_counts, 0); /* no RMM at all */
	run_result_free(&r);

	r = run("normal", "normal", "block", M2, &n);
	CHECK_EQ(kvm_test_kind(&r, FAULT_NORMAL), 2);
	for (size_t i = 0; i < r.n_faults; i++)
		CHECK_EQ(r.faults[i].level, 2);
	run_result_free(&r);

	/* Pages given up and taken back need no new fault in a normal VM. */
	r = run("normal", "normal", "ripas", K4, &n);
	CHECK_EQ(n, 1024);
	CHECK_EQ(kvm_test_kind(&r, FAULT_NORMAL), n);
	run_result_free(&r);
}

static void shared(const char *policy, const char *map_cmd)
{
	uint64_t n;
	struct run_result r = run("realm", policy, "shared", K4, &n);

	CHECK_EQ(n, 1024);
	CHECK_EQ(kvm_test_kind(&r, FAULT_UNPROTECTED), n);
	CHECK_EQ(kvm_test_kind(&r, FAULT_RIPAS_CHANGE), 1);
	CHECK_EQ(C("RSI_IPA_STATE_SET"), 1);
	CHECK_EQ(C("RMI_RTT_SET_RIPAS"), 1);
	/* One map per page, plus one retried call per level-3 RTT created in
	 * the unprotected half (two regions) and its level-2 parent. */
	CHECK_EQ(C(map_cmd), n + 2);
	run_result_free(&r);
}

static void ripas_cca_v1(void)
{
	uint64_t n;
	struct run_result r = run("realm", "cca-v1", "ripas", K4, &n);

	CHECK_EQ(n, 2 * 1024);
	CHECK_EQ(kvm_test_kind(&r, FAULT_PROTECTED), n);
	CHECK_EQ(kvm_test_kind(&r, FAULT_RIPAS_CHANGE), 4);
	/* Per 2 MiB chunk: EMPTY (one RTT_SET_RIPAS over the level-3 table),
	 * then RAM (one call at level 2: the emptied table was folded). */
	CHECK_EQ(C("RSI_IPA_STATE_SET"), 4);
	CHECK_EQ(C("RMI_RTT_SET_RIPAS"), 4);
	/* Every page given up is destroyed and undelegated, and each emptied
	 * table folded back and its page undelegated too. */
	CHECK_EQ(C("RMI_DATA_DESTROY"), 1024);
	CHECK_EQ(C("RMI_GRANULE_UNDELEGATE"), 1024 + 2);
	/* The re-touch rebuilds each region's level-3 table. */
	CHECK_EQ(C("RMI_RTT_CREATE"), 4);
	CHECK_EQ(C("RMI_DATA_CREATE_UNKNOWN"), n + C("RMI_RTT_CREATE"));
	run_result_free(&r);
}

static void unfold(const char *policy)
{
	bool v1 = !strcmp(policy, "cca-v1");
	uint64_t n;
	struct run_result r = run("realm", policy, "unfold", M2, &n);

	CHECK_EQ(n, 4); /* a block per region, and the re-touched page */
	CHECK_EQ(kvm_test_kind(&r, FAULT_PROTECTED), n);
	CHECK_EQ(kvm_test_kind(&r, FAULT_RIPAS_CHANGE), 4);
	/* EMPTY of the middle page: the walk stops at the block (ERROR_RTT 2),
	 * the host unfolds it, the retry succeeds; RAM: one call. */
	CHECK_EQ(C("RMI_RTT_SET_RIPAS"), 2 * (2 + 1));
	if (v1) {
		CHECK_EQ(C("RMI_DATA_DESTROY"), 2);
		/* cca-v1 remaps the page and folds the block again. */
		CHECK(C("RMI_RTT_FOLD") >= 4);
		CHECK_EQ(C("RMI_DATA_CREATE_UNKNOWN"), 2 * 512 + 2);
	} else {
		CHECK_EQ(C("RMI_RTT_DATA_UNMAP"), 2);
		/* Two blocks, then the page alone (4 KiB retry). */
		CHECK_EQ(C("RMI_RTT_DATA_MAP"), 4);
	}
	run_result_free(&r);
}

/* fold: 4 KiB faults fill each region's level-3 table. cca-v1 (like both
 * series) never folds on a 4 KiB fault; the example patch cca-v1-fold4k
 * folds each table once its last granule is mapped. */
static void fold(void)
{
	uint64_t n;
	struct run_result r = run("realm", "cca-v1", "fold", K4, &n);

	CHECK_EQ(kvm_test_kind(&r, FAULT_PROTECTED), n);
	CHECK_EQ(C("RMI_RTT_FOLD"), 0);
	run_result_free(&r);

	r = run("realm", "cca-v1-fold4k", "fold", K4, &n);
	CHECK_EQ(kvm_test_kind(&r, FAULT_PROTECTED), n);
	CHECK_EQ(C("RMI_RTT_FOLD"), 2);
	CHECK_EQ(C("RMI_GRANULE_UNDELEGATE"), 2); /* the folded tables' pages */
	CHECK_EQ(C("RMI_DATA_CREATE_UNKNOWN"), n + C("RMI_RTT_CREATE"));
	run_result_free(&r);

	/* Random order: the last granule is rarely the last fault, the fold
	 * is refused and costs one call per region. */
	r = run("realm", "cca-v1-fold4k", "rand", K4, &n);
	CHECK_EQ(kvm_test_kind(&r, FAULT_PROTECTED), n);
	CHECK_EQ(C("RMI_RTT_FOLD"), 2);
	run_result_free(&r);
}

int main(void)
{
	seq_cca_v1();
	block_cca_v1();
	seq_cca_rmm2();
	block_cca_rmm2();
	normal_vm();
	shared("cca-v1", "RMI_RTT_MAP_UNPROTECTED");
	shared("cca-rmm2", "RMI_RTT_UNPROT_MAP");
	ripas_cca_v1();
	unfold("cca-v1");
	unfold("cca-rmm2");
	fold();
	if (kvm_test_failures)
		fprintf(stderr, "test_kvm_counts: %d check(s) failed\n", kvm_test_failures);
	return kvm_test_failures ? 1 : 0;
}
