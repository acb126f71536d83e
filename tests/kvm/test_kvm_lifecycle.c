/*
 * Lifecycle phases (run --phases populate,fault,teardown): the exact RMI
 * calls of each phase for every policy, both ABIs and the normal VM, on
 * a small realm: seq over 4 MiB of RAM (two 2 MiB regions) at 2 GiB, a
 * 40-bit IPA (start level 1, two concatenated root tables), one vCPU,
 * the first 2 MiB populated. Derivations next to each expectation.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/policy.h"
#include "kvm_test.h"

#define MB (1ULL << 20)

static uint64_t phase_count(const struct run_phase *ph, const char *name)
{
	for (size_t i = 0; i < ph->n_counts; i++)
		if (!strcmp(ph->counts[i].name, name))
			return ph->counts[i].count;
	return 0;
}

static uint64_t phase_stage(const struct run_phase *ph, const char *name)
{
	for (size_t i = 0; i < ph->n_stages; i++)
		if (!strcmp(ph->stages[i].name, name))
			return ph->stages[i].count;
	return 0;
}

static struct run_result lifecycle(const char *vm, const char *policy, bool unmeasured)
{
	struct kvm_test_run t = { .vm = vm, .policy = policy, .pattern = "seq",
				  .size = 4 * MB, .page = 4096, .vcpus = 1,
				  .phases = RUN_PHASES_ALL, .populate = 2 * MB,
				  .unmeasured = unmeasured };
	struct run_result r = { 0 };

	kvm_test_run(&t, &r);
	CHECK_EQ(r.leaked_granules, 0);
	CHECK_EQ(r.missed_faults, 0);
	CHECK_EQ(r.unexpected_exits, 0);
	for (int p = 0; p < RUN_PHASE_COUNT; p++)
		CHECK(r.phases[p].present);
	/* Only the unpopulated half faults: 512 first touches. */
	CHECK_EQ(r.n_faults, 512);
	CHECK_EQ(r.phases[RUN_PHASE_POPULATE].bytes, 2 * MB);
	CHECK_EQ(r.phases[RUN_PHASE_FAULT].bytes, 2 * MB); /* the unpopulated half */
	CHECK_EQ(r.phases[RUN_PHASE_TEARDOWN].bytes, 4 * MB);
	return r;
}

#define P(name) phase_count(&r.phases[RUN_PHASE_POPULATE], name)
#define F(name) phase_count(&r.phases[RUN_PHASE_FAULT], name)
#define T(name) phase_count(&r.phases[RUN_PHASE_TEARDOWN], name)

/*
 * Populate, both ABIs: 2 RTT_INIT_RIPAS, 514 delegations, 513 creates, 2
 * RTT_CREATE (1,031 calls), reached differently:
 * RMI 1.0 (the early series: the VMM's INIT_IPA, then one page per
 * POPULATE step): RTT_INIT_RIPAS over the 4 MiB stops at the 1 GiB level-1
 * entry (ERROR_RTT 1), a level-2 RTT (DELEGATE + RTT_CREATE), then one call
 * marks both 2 MiB entries RAM. Per page DELEGATE + DATA_CREATE; the first
 * DATA_CREATE stops at level 2, one level-3 RTT (DELEGATE + RTT_CREATE)
 * and the retry.
 * RMI 2.0 (the 2026 series: realm_data_map_init per page, RIPAS at
 * activation): the first RTT_DATA_MAP_INIT stops at level 1, the level-2
 * and level-3 RTTs in one go (2 x RANGE_DELEGATE + RTT_CREATE), the retry;
 * then RTT_INIT_RIPAS: the populated region's level-3 table in one call
 * (ASSIGNED RAM passes under 2.0), the other region's level-2 entry in a
 * second.
 */
static void populate(const struct run_result r, const char *delegate, const char *create)
{
	CHECK_EQ(P("RMI_RTT_INIT_RIPAS"), 2);
	CHECK_EQ(P(delegate), 514);
	CHECK_EQ(P(create), 513);
	CHECK_EQ(P("RMI_RTT_CREATE"), 2);
	CHECK_EQ(r.phases[RUN_PHASE_POPULATE].rmi_calls, 2 + 514 + 513 + 2);
}

/* Fault phase: the second region only: its first fault builds the level-3
 * RTT (5 calls), 511 more take 2: 1027; cca-v1-fold4k folds the region's
 * table after its last page (RTT_FOLD: 1028). */
static void fault_realm(const struct run_result r, const char *delegate, const char *map,
			uint64_t calls)
{
	CHECK_EQ(F(delegate), 513);
	CHECK_EQ(F(map), 513);
	CHECK_EQ(F("RMI_RTT_CREATE"), 1);
	CHECK_EQ(F("RMI_REC_ENTER"), 513);
	CHECK_EQ(r.phases[RUN_PHASE_FAULT].rmi_calls, calls);
}

/*
 * Teardown, both ABIs (realm_destroy): the fold scan after the private
 * unmap tries level 2 once and the 512 level-3 slots of the 1 GiB entry
 * (513 RTT_FOLD: the two emptied level-3 tables fold, their pages are
 * undelegated); RTT_READ_ENTRY walks the 1,024 level-1 entries of the
 * 40-bit IPA space and the 512 of the one level-2 table (1,536) plus one
 * for the unprotected alias (1,537: a per-realm constant of the model's
 * teardown walk, where the series probes with RTT_DESTROY itself); one
 * RTT_DESTROY (the level-2 table), REC_DESTROY, REALM_DESTROY.
 */
static void teardown_common(const struct run_result r)
{
	CHECK_EQ(T("RMI_RTT_FOLD"), 513);
	CHECK_EQ(T("RMI_RTT_READ_ENTRY"), 1537);
	CHECK_EQ(T("RMI_RTT_DESTROY"), 1);
	CHECK_EQ(T("RMI_REC_DESTROY"), 1);
	CHECK_EQ(T("RMI_REALM_DESTROY"), 1);
}

/*
 * RMI 1.0: one DATA_DESTROY and one UNDELEGATE per data granule (a folded
 * block, cca-v1-fold4k: one failed DATA_DESTROY at level 2 and an unfold
 * RTT_CREATE first); 1,031 UNDELEGATE = 1,024 data + 2 folded level-3
 * tables + the level-2 table + REC + RD + 2 root tables.
 */
static void teardown_v1(const struct run_result r, uint64_t data_destroy, uint64_t calls)
{
	teardown_common(r);
	CHECK_EQ(T("RMI_DATA_DESTROY"), data_destroy);
	CHECK_EQ(T("RMI_GRANULE_UNDELEGATE"), 1031);
	CHECK_EQ(T("RMI_RTT_CREATE"), data_destroy - 1024);
	CHECK_EQ(r.phases[RUN_PHASE_TEARDOWN].rmi_calls, calls);
}

/*
 * RMI 2.0: RTT_DATA_UNMAP with a SINGLE descriptor returns at most a
 * level-3 table's worth: 2 calls for the two regions, each range given
 * back with one RANGE_UNDELEGATE (2 MiB each); 9 RANGE_UNDELEGATE = 2
 * data ranges + 2 folded tables + level-2 table + REC + RD + 2 roots.
 * REALM_TERMINATE before the tables go.
 */
static void teardown_v2(const struct run_result r, uint64_t calls)
{
	teardown_common(r);
	CHECK_EQ(T("RMI_RTT_DATA_UNMAP"), 2);
	CHECK_EQ(T("RMI_GRANULE_RANGE_UNDELEGATE"), 9);
	CHECK_EQ(T("RMI_REALM_TERMINATE"), 1);
	CHECK_EQ(r.phases[RUN_PHASE_TEARDOWN].rmi_calls, calls);
}

/* RMI_DUMP set: print every phase's counts (to derive a new policy's rows). */
static void dump(const char *policy, const struct run_result *r)
{
	if (!getenv("RMI_DUMP"))
		return;
	for (int p = 0; p < RUN_PHASE_COUNT; p++) {
		printf("%s %s: %llu calls", policy, run_phase_name((enum run_phase_id)p),
		       (unsigned long long)r->phases[p].rmi_calls);
		for (size_t i = 0; i < r->phases[p].n_counts; i++)
			printf(" %s=%llu", r->phases[p].counts[i].name,
			       (unsigned long long)r->phases[p].counts[i].count);
		printf("\n");
	}
}

/* Every stage of a phase's host path that ran got time, and only those. */
static void stages_present(const struct run_result *r)
{
	const struct run_phase *pop = &r->phases[RUN_PHASE_POPULATE];
	const struct run_phase *td = &r->phases[RUN_PHASE_TEARDOWN];

	CHECK(phase_stage(pop, "copy") > 0);
	CHECK(phase_stage(pop, "data_create") > 0);
	CHECK(phase_stage(td, "unmap") > 0);
	CHECK(phase_stage(td, "rtt_destroy") + phase_stage(td, "rtt_fold") > 0);
	CHECK(phase_stage(td, "free") > 0);
	CHECK(phase_stage(td, "copy") == 0);
}

static void realm_policy_v1(const char *policy, uint64_t fault_calls, uint64_t data_destroy,
			    uint64_t teardown_calls)
{
	struct run_result r = lifecycle("realm", policy, false);

	dump(policy, &r);
	populate(r, "RMI_GRANULE_DELEGATE", "RMI_DATA_CREATE");
	fault_realm(r, "RMI_GRANULE_DELEGATE", "RMI_DATA_CREATE_UNKNOWN", fault_calls);
	teardown_v1(r, data_destroy, teardown_calls);
	stages_present(&r);
	run_result_free(&r);
}

static void realm_policy_v2(const char *policy, uint64_t teardown_calls)
{
	struct run_result r = lifecycle("realm", policy, false);

	dump(policy, &r);
	populate(r, "RMI_GRANULE_RANGE_DELEGATE", "RMI_RTT_DATA_MAP_INIT");
	fault_realm(r, "RMI_GRANULE_RANGE_DELEGATE", "RMI_RTT_DATA_MAP", 1027);
	teardown_v2(r, teardown_calls);
	stages_present(&r);
	run_result_free(&r);
}

/* The normal VM: the VMM copies the image in (no calls, stage 2 empty, so
 * all 1024 pages fault), teardown unmaps stage 2 and frees. */
static void normal_vm(void)
{
	struct kvm_test_run t = { .vm = "normal", .policy = "normal", .pattern = "seq",
				  .size = 4 * MB, .page = 4096, .vcpus = 1,
				  .phases = RUN_PHASES_ALL, .populate = 2 * MB };
	struct run_result r = { 0 };

	kvm_test_run(&t, &r);
	CHECK_EQ(r.n_faults, 1024);
	CHECK_EQ(r.missed_faults, 0);
	for (int p = 0; p < RUN_PHASE_COUNT; p++) {
		CHECK(r.phases[p].present);
		CHECK_EQ(r.phases[p].rmi_calls, 0);
	}
	CHECK_EQ(r.phases[RUN_PHASE_POPULATE].measured, -1);
	CHECK(phase_stage(&r.phases[RUN_PHASE_POPULATE], "copy") > 0);
	CHECK(phase_stage(&r.phases[RUN_PHASE_TEARDOWN], "s2_unmap") > 0);
	CHECK(phase_stage(&r.phases[RUN_PHASE_TEARDOWN], "free") > 0);
	run_result_free(&r);
}

/* Without --phases nothing of the lifecycle is recorded (today's runs). */
static void no_phases(void)
{
	struct kvm_test_run t = { .vm = "realm", .policy = "cca-v1", .pattern = "seq",
				  .size = 4 * MB, .page = 4096, .vcpus = 1 };
	struct run_result r = { 0 };

	kvm_test_run(&t, &r);
	CHECK_EQ(r.n_faults, 1024);
	for (int p = 0; p < RUN_PHASE_COUNT; p++)
		CHECK(!r.phases[p].present);
	run_result_free(&r);
}

/* Measured and unmeasured population make the same calls; the RMM hashes
 * 4 KiB more per page when measuring, so measured population takes
 * longer (the DATA_CREATE stage, summed over 512 pages). */
static void measured_vs_unmeasured(const char *policy)
{
	struct run_result m = lifecycle("realm", policy, false);
	struct run_result u = lifecycle("realm", policy, true);
	const struct run_phase *pm = &m.phases[RUN_PHASE_POPULATE];
	const struct run_phase *pu = &u.phases[RUN_PHASE_POPULATE];

	CHECK_EQ(pm->rmi_calls, pu->rmi_calls);
	CHECK_EQ(pm->measured, 1);
	CHECK_EQ(pu->measured, 0);
	run_result_free(&m);
	run_result_free(&u);
}

/*
 * Sampled fault logs (above a size): 16 MiB seq on 2 vCPUs is 4,096
 * faults; with room for 1,000 records the run keeps a uniform sample of
 * about 1,000 (the same fraction of each vCPU's faults), while the count,
 * kinds, RMI calls and the distributions stay exact (histograms): they
 * equal the unsampled run's counts, and the sample's IPAs are distinct
 * pages spread over both vCPUs' ranges.
 */
static void sampled_log(void)
{
	struct kvm_test_run t = { .vm = "realm", .policy = "cca-v1", .pattern = "seq",
				  .size = 8 * MB, .page = 4096, .vcpus = 2 };
	struct run_result all = { 0 }, s = { 0 };

	kvm_test_run(&t, &all);
	t.fault_sample = 1000;
	kvm_test_run(&t, &s);
	CHECK(!all.hist);
	CHECK(s.hist != NULL);
	if (!s.hist)
		return;
	CHECK_EQ(all.n_faults, 4096);
	CHECK_EQ(s.hist->n, 4096);
	CHECK_EQ(s.hist->kinds[FAULT_PROTECTED], 4096);
	CHECK_EQ(s.hist->fault_ns.count, 4096);
	CHECK_EQ(s.rmi_calls, all.rmi_calls);
	CHECK_EQ(s.hist->rmi_calls, all.rmi_calls);
	CHECK(s.n_faults >= 990 && s.n_faults <= 1000);
	uint64_t lo = UINT64_MAX, hi = 0, per_vcpu[2] = { 0, 0 };
	for (size_t i = 0; i < s.n_faults; i++) {
		uint64_t ipa = s.faults[i].ipa;
		lo = ipa < lo ? ipa : lo;
		hi = ipa > hi ? ipa : hi;
		per_vcpu[s.faults[i].vcpu & 1]++;
		for (size_t j = 0; j < i; j++)
			if (s.faults[j].ipa == ipa)
				CHECK(!"a page sampled twice");
	}
	CHECK(hi - lo > 14 * MB);       /* spread over the 16 MiB */
	CHECK(per_vcpu[0] >= 490 && per_vcpu[1] >= 490);
	run_result_free(&all);
	run_result_free(&s);
}

int main(void)
{
	/* teardown: 1,024 DATA_DESTROY + 1,031 UNDELEGATE + 513 FOLD + 1,537
	 * READ_ENTRY + 3 (RTT, REC, REALM _DESTROY) = 4,108; fold4k + 1 failed
	 * DATA_DESTROY + 1 RTT_CREATE = 4,110. 2.0: 2 + 9 + 513 + 1,537 + 4
	 * (TERMINATE too) = 2,065. */
	realm_policy_v1("cca-v1", 1027, 1024, 4108);
	realm_policy_v1("cca-v1-fold4k", 1028, 1025, 4110);
	realm_policy_v2("cca-v14", 2065);
	realm_policy_v2("cca-v15", 2065);
	realm_policy_v2("cca-rmm2-2m", 2065);
	normal_vm();
	no_phases();
	measured_vs_unmeasured("cca-v1");
	measured_vs_unmeasured("cca-v14");
	sampled_log();
	return kvm_test_failures ? 1 : 0;
}
