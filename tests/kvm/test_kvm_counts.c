/*
 * Known-answer counts: what each host policy must do for small runs of the
 * patterns, derived from the host code it follows (see the policy files)
 * and the realm layout (RAM at 2 GiB, 40-bit IPA, RIPAS of RAM set at
 * level 2 before activation, so each 2 MiB region has no level-3 RTT when
 * the run starts). 4 MiB = two 2 MiB regions per run.
 */
#include <stdbool.h>
#include <string.h>

#include "kvm/policy.h"
#include "kvm_test.h"

#define MB (1ULL << 20)
#define K4 4096ULL
#define M2 (2 * MB)

static struct run_result run_on(const char *vm, const char *policy, const char *pattern,
				 uint64_t page, bool thp, uint64_t *expected)
{
	struct kvm_test_run t = { .vm = vm, .policy = policy, .pattern = pattern,
				  .size = 4 * MB, .page = page, .vcpus = 1, .thp = thp };
	struct run_result r = { 0 };

	*expected = kvm_test_expected(&t);
	kvm_test_run(&t, &r);
	CHECK_EQ(r.leaked_granules, 0);
	CHECK_EQ(r.missed_faults, 0);
	CHECK_EQ(r.unexpected_exits, 0);
	CHECK_EQ(r.dropped_faults, 0);
	return r;
}

/* 2 MiB runs default to hugetlbfs backing, as `rme-bench run` on the sim. */
static struct run_result run(const char *vm, const char *policy, const char *pattern,
			     uint64_t page, uint64_t *expected)
{
	return run_on(vm, policy, pattern, page, false, expected);
}

#define C(name) kvm_test_count(&r, name)

/* Faults of a kind that took exactly `calls` RMI calls (REC_ENTER aside). */
static uint64_t with_calls(const struct run_result *r, enum fault_kind kind, uint32_t calls)
{
	uint64_t n = 0;
	for (size_t i = 0; i < r->n_faults; i++)
		n += r->faults[i].kind == kind && r->faults[i].rmi_calls == calls;
	return n;
}

/* Stage-2 data faults (RIPAS change records aside) mapped at `level`. */
static uint64_t at_level(const struct run_result *r, int level)
{
	uint64_t n = 0;
	for (size_t i = 0; i < r->n_faults; i++)
		n += r->faults[i].kind != FAULT_RIPAS_CHANGE && r->faults[i].level == level;
	return n;
}

/*
 * Protected 4 KiB faults, both series: 2 calls with the tables there
 * (DELEGATE + map), 5 when the level-3 RTT is missing (the map fails with
 * ERROR_RTT(2), DELEGATE of the table page, RTT_CREATE, the map again).
 * One level-3 RTT per 2 MiB region; no spare page is ever made (nothing is
 * folded or refused), so cca-v1 pays the table's DELEGATE too.
 */
static void seq(const char *policy, const char *delegate, const char *map)
{
	uint64_t n;
	struct run_result r = run("realm", policy, "seq", K4, &n);

	CHECK_EQ(n, 1024);
	CHECK_EQ(r.n_faults, n);
	CHECK_EQ(with_calls(&r, FAULT_PROTECTED, 2), n - 2);
	CHECK_EQ(with_calls(&r, FAULT_PROTECTED, 5), 2);
	CHECK_EQ(C("RMI_RTT_CREATE"), 2);
	CHECK_EQ(C(map), n + 2);
	CHECK_EQ(C(delegate), n + 2);
	CHECK_EQ(C("RMI_RTT_FOLD"), 0);
	CHECK_EQ(C("RMI_REC_ENTER"), n + 1);
	run_result_free(&r);
}

/*
 * cca-v1 on 2 MiB hugetlbfs backing: a level-2 block per region. The first
 * block: DELEGATE + RTT_CREATE of the temporary level-3 table, 512 x
 * (DELEGATE, DATA_CREATE_UNKNOWN), RTT_FOLD = 1027 calls, and the folded
 * table's page becomes the realm's spare. The second block takes the spare
 * for its table (no DELEGATE) and gives it back on fold: 1026. No
 * UNDELEGATE at all (before the spare page was modeled: 1028 each).
 */
static void block_cca_v1(void)
{
	uint64_t n;
	struct run_result r = run("realm", "cca-v1", "block", M2, &n);

	CHECK_EQ(n, 2);
	CHECK_EQ(at_level(&r, 2), 2);
	CHECK_EQ(with_calls(&r, FAULT_PROTECTED, 1027), 1);
	CHECK_EQ(with_calls(&r, FAULT_PROTECTED, 1026), 1);
	CHECK_EQ(r.faults[0].rmi_calls, 1027);
	CHECK_EQ(C("RMI_DATA_CREATE_UNKNOWN"), 2 * 512);
	CHECK_EQ(C("RMI_RTT_FOLD"), 2);
	CHECK_EQ(C("RMI_RTT_CREATE"), 2);
	CHECK_EQ(C("RMI_GRANULE_DELEGATE"), 2 * 512 + 1);
	CHECK_EQ(C("RMI_GRANULE_UNDELEGATE"), 0);
	run_result_free(&r);

	/* THP backing: the early series disables THP blocks for realms, so
	 * each region's touch is a 4 KiB fault that also makes the table. */
	r = run_on("realm", "cca-v1", "block", M2, true, &n);
	CHECK_EQ(n, 2);
	CHECK_EQ(at_level(&r, 3), 2);
	CHECK_EQ(with_calls(&r, FAULT_PROTECTED, 5), 2);
	CHECK_EQ(C("RMI_RTT_FOLD"), 0);
	run_result_free(&r);

	/* A normal VM maps a block from THP and from hugetlbfs alike. */
	r = run_on("normal", "normal", "block", M2, true, &n);
	CHECK_EQ(n, 2);
	CHECK_EQ(at_level(&r, 2), 2);
	run_result_free(&r);
}

/*
 * cca-v14 (and cca-v15, which runs v14's calls until v15's fault path is
 * read): the 2026 series maps every realm fault at 4 KiB, whatever the
 * backing (private_memslot_fault maps PAGE_SIZE). cca-rmm2-2m, the what-if
 * with blocks: one RANGE_DELEGATE of 512 granules and one RTT_DATA_MAP of
 * a level-2 block, no level-3 table, no fold.
 */
static void block_rmm2(const char *policy)
{
	uint64_t n;
	struct run_result r = run("realm", policy, "block", M2, &n);

	CHECK_EQ(n, 2);
	CHECK_EQ(at_level(&r, 3), 2);
	CHECK_EQ(with_calls(&r, FAULT_PROTECTED, 5), 2);
	CHECK_EQ(C("RMI_RTT_DATA_MAP"), 2 + 2);
	run_result_free(&r);
	if (strcmp(policy, "cca-v14"))
		return;

	r = run("realm", "cca-rmm2-2m", "block", M2, &n);
	CHECK_EQ(n, 2);
	CHECK_EQ(at_level(&r, 2), 2);
	CHECK_EQ(with_calls(&r, FAULT_PROTECTED, 2), 2);
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
	CHECK_EQ(at_level(&r, 2), 2);
	run_result_free(&r);

	/* Pages given up and taken back need no new fault in a normal VM. */
	r = run("normal", "normal", "ripas", K4, &n);
	CHECK_EQ(n, 1024);
	CHECK_EQ(kvm_test_kind(&r, FAULT_NORMAL), n);
	run_result_free(&r);
}

/*
 * Unprotected 4 KiB faults, both series: 1 call (the map), 4 when the
 * level-3 RTT is missing, 6 when its level-2 parent is missing too (the
 * first fault in the unprotected half): the failed map, DELEGATE +
 * RTT_CREATE per table, the map again.
 */
static void shared(const char *policy, const char *map_cmd)
{
	uint64_t n;
	struct run_result r = run("realm", policy, "shared", K4, &n);

	CHECK_EQ(n, 1024);
	CHECK_EQ(kvm_test_kind(&r, FAULT_UNPROTECTED), n);
	CHECK_EQ(kvm_test_kind(&r, FAULT_RIPAS_CHANGE), 1);
	CHECK_EQ(C("RSI_IPA_STATE_SET"), 1);
	CHECK_EQ(C("RMI_RTT_SET_RIPAS"), 1);
	CHECK_EQ(with_calls(&r, FAULT_UNPROTECTED, 1), n - 2);
	CHECK_EQ(with_calls(&r, FAULT_UNPROTECTED, 4), 1);
	CHECK_EQ(with_calls(&r, FAULT_UNPROTECTED, 6), 1);
	CHECK_EQ(C(map_cmd), n + 2);
	CHECK_EQ(C("RMI_RTT_CREATE"), 3);
	run_result_free(&r);
}

/*
 * ripas: per 2 MiB chunk, EMPTY (one RTT_SET_RIPAS over the level-3 table)
 * gives every page up, then RAM (one call at level 2: the emptied table was
 * folded), and the re-touch faults every page again.
 *   cca-v1: 512 DATA_DESTROY + 512 GRANULE_UNDELEGATE per chunk;
 *   cca-v14 (cca-v15): one RTT_DATA_UNMAP returning one range and ONE
 *     GRANULE_RANGE_UNDELEGATE for it (before: 512 single-granule calls).
 * Both end with the series' fold scan: RTT_FOLD at level 2 (refused: the
 * level-1 entry's table has live entries), then at level 3 from the chunk
 * to the end of the 1 GiB entry (RAM starts at 2 GiB): the chunk's table
 * folds (its page undelegated directly), the other slots have no table.
 * Chunk 0: 1 + 512 calls, chunk 1: 1 + 511.
 */
static void ripas(const char *policy)
{
	bool v1 = !strcmp(policy, "cca-v1");
	uint64_t n;
	struct run_result r = run("realm", policy, "ripas", K4, &n);

	CHECK_EQ(n, 2 * 1024);
	CHECK_EQ(kvm_test_kind(&r, FAULT_PROTECTED), n);
	CHECK_EQ(kvm_test_kind(&r, FAULT_RIPAS_CHANGE), 4);
	CHECK_EQ(C("RSI_IPA_STATE_SET"), 4);
	CHECK_EQ(C("RMI_RTT_SET_RIPAS"), 4);
	CHECK_EQ(C("RMI_RTT_FOLD"), (1 + 512) + (1 + 511));
	/* The re-touch rebuilds each region's level-3 table. */
	CHECK_EQ(C("RMI_RTT_CREATE"), 4);
	CHECK_EQ(with_calls(&r, FAULT_PROTECTED, 5), 4);
	CHECK_EQ(with_calls(&r, FAULT_PROTECTED, 2), n - 4);
	if (v1) {
		CHECK_EQ(C("RMI_DATA_DESTROY"), 1024);
		/* Given-up pages, and the two folded tables' pages. */
		CHECK_EQ(C("RMI_GRANULE_UNDELEGATE"), 1024 + 2);
	} else {
		CHECK_EQ(C("RMI_RTT_DATA_UNMAP"), 2);
		/* One range per chunk, and the two folded tables' pages. */
		CHECK_EQ(C("RMI_GRANULE_RANGE_UNDELEGATE"), 2 + 2);
	}
	run_result_free(&r);
}

/*
 * unfold on 2 MiB hugetlbfs backing: a block per region, RIPAS EMPTY of the
 * middle page (the walk stops at the block with ERROR_RTT(2), the host
 * unfolds it, the retry succeeds), RAM again (one call), re-touch.
 * cca-v1: the unfold's table page is the spare the block's fold left;
 * the re-touch is a 2 MiB fault on the split block: the pre-create is
 * refused (table exists, page kept as the spare), the 511 mapped granules
 * are skipped after their refused DELEGATE and RTT_READ_ENTRY, the middle
 * page is mapped, and the table folds back into a block.
 * cca-v14, cca-v15 (4 KiB mappings): no block to unfold; the middle page, never
 * touched, is only RIPAS-changed, and the re-touch maps it alone.
 */
static void unfold(const char *policy)
{
	bool v1 = !strcmp(policy, "cca-v1");
	uint64_t n;
	struct run_result r = run("realm", policy, "unfold", M2, &n);

	CHECK_EQ(n, 4); /* the region's first page, and the re-touched one */
	CHECK_EQ(kvm_test_kind(&r, FAULT_PROTECTED), n);
	CHECK_EQ(kvm_test_kind(&r, FAULT_RIPAS_CHANGE), 4);
	if (v1) {
		CHECK_EQ(C("RMI_RTT_SET_RIPAS"), 2 * (2 + 1));
		CHECK_EQ(C("RMI_DATA_DESTROY"), 2);
		CHECK_EQ(C("RMI_DATA_CREATE_UNKNOWN"), 2 * 512 + 2);
		CHECK_EQ(C("RMI_RTT_READ_ENTRY"), 2 * 511);
		CHECK_EQ(at_level(&r, 2), 4);
	} else {
		CHECK_EQ(C("RMI_RTT_SET_RIPAS"), 2 * 2);
		CHECK_EQ(C("RMI_RTT_DATA_MAP"), 4 + 2);
		CHECK_EQ(at_level(&r, 3), 4);
	}
	run_result_free(&r);

	if (strcmp(policy, "cca-v14"))
		return;
	/* The what-if with blocks unfolds like cca-v1, then maps the page
	 * alone (a 4 KiB retry of the split block). */
	r = run("realm", "cca-rmm2-2m", "unfold", M2, &n);
	CHECK_EQ(kvm_test_kind(&r, FAULT_PROTECTED), 4);
	CHECK_EQ(C("RMI_RTT_SET_RIPAS"), 2 * (2 + 1));
	CHECK_EQ(C("RMI_RTT_DATA_UNMAP"), 2);
	CHECK_EQ(C("RMI_RTT_DATA_MAP"), 4);
	run_result_free(&r);
}

/* fold: 4 KiB faults fill each region's level-3 table. cca-v1 (like both
 * series) never folds on a 4 KiB fault; the example patch cca-v1-fold4k
 * folds each table once its last granule is mapped, and its page becomes
 * the spare: the next region's table takes it (one DELEGATE less) and the
 * last fold keeps its page as the spare again (no UNDELEGATE). */
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
	CHECK_EQ(C("RMI_GRANULE_UNDELEGATE"), 0);
	CHECK_EQ(C("RMI_GRANULE_DELEGATE"), n + 1);
	CHECK_EQ(C("RMI_DATA_CREATE_UNKNOWN"), n + C("RMI_RTT_CREATE"));
	CHECK_EQ(with_calls(&r, FAULT_PROTECTED, 4), 1); /* spare for the table */
	run_result_free(&r);

	/* Random order: the last granule is rarely the last fault, the fold
	 * is refused and costs one call per region. */
	r = run("realm", "cca-v1-fold4k", "rand", K4, &n);
	CHECK_EQ(kvm_test_kind(&r, FAULT_PROTECTED), n);
	CHECK_EQ(C("RMI_RTT_FOLD"), 2);
	run_result_free(&r);
}

/*
 * Identical host work, identical count: page_pin, the host stage a realm
 * and a normal VM share, faults nothing in when guest RAM is prefaulted
 * (the default), and exactly one host page per data fault in both when
 * it is not. What separates the columns is then only the realm's own
 * work: every realm data fault makes at least one RMI call, a normal one
 * none. (Counts of work, not times: the times are the figures' business.)
 */
static void identical_host_work(void)
{
	static const char *const patterns[] = { "seq", "block", "fold", "unfold", "ripas",
						"shared" };

	for (size_t i = 0; i < sizeof(patterns) / sizeof(*patterns); i++) {
		bool two_m = !strcmp(patterns[i], "block") || !strcmp(patterns[i], "unfold");
		uint64_t n_realm, n_normal, bare = 0, busy = 0;
		struct run_result realm = run("realm", "cca-v1", patterns[i], two_m ? M2 : K4,
					      &n_realm);
		struct run_result normal = run("normal", "normal", patterns[i], two_m ? M2 : K4,
					       &n_normal);

		CHECK_EQ(realm.host_page_ins, 0);
		CHECK_EQ(normal.host_page_ins, 0);
		CHECK(n_realm >= n_normal);
		for (size_t f = 0; f < realm.n_faults; f++)
			bare += realm.faults[f].kind != FAULT_RIPAS_CHANGE &&
				realm.faults[f].rmi_calls == 0;
		for (size_t f = 0; f < normal.n_faults; f++)
			busy += normal.faults[f].rmi_calls != 0;
		CHECK_EQ(bare, 0);
		CHECK_EQ(busy, 0);
		run_result_free(&realm);
		run_result_free(&normal);
	}

	struct kvm_test_run fresh = { .vm = "realm", .policy = "cca-v1", .pattern = "seq",
				      .size = 4 * MB, .page = K4, .vcpus = 1, .fresh = true };
	struct run_result r = { 0 };
	kvm_test_run(&fresh, &r);
	CHECK_EQ(r.host_page_ins, 1024);
	run_result_free(&r);
	fresh.vm = "normal";
	fresh.policy = "normal";
	kvm_test_run(&fresh, &r);
	CHECK_EQ(r.host_page_ins, 1024);
	run_result_free(&r);
}

/* Series names: cca-v14 is what was cca-rmm2 (the old name still selects
 * it and compares equal to it); cca-v15 is its own policy. */
static void names(void)
{
	const struct kvm_policy *v14 = kvm_policy_find("cca-v14");
	const struct kvm_policy *v15 = kvm_policy_find("cca-v15");

	CHECK(v14 && v15 && v14 != v15);
	CHECK(kvm_policy_find("cca-rmm2") == v14);
	CHECK(v14 && !strcmp(v14->name, "cca-v14") && !strcmp(v14->series, "v14"));
	CHECK(v15 && !strcmp(v15->series, "v15") && v15->abi == RMI_ABI_2_0);
	CHECK(kvm_policy_of_series("v14") == v14);
	CHECK(kvm_policy_of_series("v15") == v15);
	CHECK(!kvm_policy_of_series("v13"));
	CHECK(kvm_policy_same("cca-rmm2", "cca-v14"));
	CHECK(!kvm_policy_same("cca-rmm2", "cca-v15"));
	CHECK(kvm_policy_same("mine", "mine") && !kvm_policy_same("mine", "cca-v14"));
	CHECK(!kvm_policy_find("cca-v16") && !kvm_policy_find(NULL));
	CHECK(!kvm_policy_find("cca-v1")->series && !kvm_policy_find("cca-rmm2-2m")->series);
}

int main(void)
{
	/* cca-v14 and its old name, then cca-v15: the same table, pinned for
	 * each, so a v15 change from reading its patches shows here. */
	static const char *const rmm2[] = { "cca-v14", "cca-rmm2", "cca-v15" };

	names();
	identical_host_work();
	seq("cca-v1", "RMI_GRANULE_DELEGATE", "RMI_DATA_CREATE_UNKNOWN");
	block_cca_v1();
	normal_vm();
	shared("cca-v1", "RMI_RTT_MAP_UNPROTECTED");
	ripas("cca-v1");
	unfold("cca-v1");
	for (size_t i = 0; i < sizeof(rmm2) / sizeof(*rmm2); i++) {
		seq(rmm2[i], "RMI_GRANULE_RANGE_DELEGATE", "RMI_RTT_DATA_MAP");
		block_rmm2(rmm2[i]);
		shared(rmm2[i], "RMI_RTT_UNPROT_MAP");
		ripas(rmm2[i]);
		unfold(rmm2[i]);
	}
	fold();
	if (kvm_test_failures)
		fprintf(stderr, "test_kvm_counts: %d check(s) failed\n", kvm_test_failures);
	return kvm_test_failures ? 1 : 0;
}
