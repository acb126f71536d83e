/*
 * Granule delegation and the realm lifecycle through the SMC interface,
 * each failure condition poked in the spec's priority order.
 */
#include <string.h>

#include "rmm_test_util.h"

static void test_delegate(void)
{
	struct tmachine m;
	uint64_t pa;

	tm_init(&m, RMI_ABI_1_0);
	pa = tm_page(&m);
	CHECK_EQ(SMC(&m, RMI_GRANULE_DELEGATE, pa + 8), RMI_ERROR_INPUT);        /* unaligned */
	CHECK_EQ(SMC(&m, RMI_GRANULE_DELEGATE, 0x1000), RMI_ERROR_INPUT);        /* outside DRAM */
	CHECK_EQ(SMC(&m, RMI_GRANULE_UNDELEGATE, pa), RMI_ERROR_INPUT);          /* not delegated */
	CHECK_EQ(SMC(&m, RMI_GRANULE_DELEGATE, pa), RMI_SUCCESS);
	CHECK_EQ(SMC(&m, RMI_GRANULE_DELEGATE, pa), RMI_ERROR_INPUT);            /* twice */
	tm_check(&m, "after delegate");
	CHECK_EQ(SMC(&m, RMI_GRANULE_UNDELEGATE, pa), RMI_SUCCESS);
	/* 2.0 commands do not exist in 1.0 */
	CHECK_EQ(SMC(&m, RMI_GRANULE_RANGE_DELEGATE, pa, pa + GRANULE_SIZE), SMC_UNKNOWN);
	tm_check(&m, "after undelegate");

	struct rmm_counts c;
	rmm_counts_read(m.rmm, &c);
	CHECK_EQ(c.cmd[rmi_command_slot(RMI_GRANULE_DELEGATE)][RMI_SUCCESS], 1);
	CHECK_EQ(c.cmd[rmi_command_slot(RMI_GRANULE_DELEGATE)][RMI_ERROR_INPUT], 3);
	tm_fini(&m);
}

static void test_version_features(void)
{
	struct tmachine m;
	struct smc_res r;

	tm_init(&m, RMI_ABI_1_0);
	CHECK_EQ(SMCR(&m, &r, RMI_VERSION, RMI_ABI_VERSION(1, 0)), RMI_SUCCESS);
	CHECK_EQ(r.x[1], RMI_ABI_VERSION(1, 0));
	CHECK_EQ(SMCR(&m, &r, RMI_VERSION, RMI_ABI_VERSION(2, 0)), RMI_ERROR_INPUT);
	CHECK_EQ(SMCR(&m, &r, RMI_FEATURES, 0), RMI_SUCCESS);
	CHECK_EQ(r.x[1] & 0xff, 48);
	CHECK_EQ(SMC(&m, 0xC4000150ULL + 0x7f, 0), SMC_UNKNOWN);
	tm_fini(&m);
	tm_init(&m, RMI_ABI_2_0);
	CHECK_EQ(SMCR(&m, &r, RMI_VERSION, RMI_ABI_VERSION(2, 0)), RMI_SUCCESS);
	CHECK_EQ(SMC(&m, RMI_GRANULE_DELEGATE, tm_page(&m)), SMC_UNKNOWN);
	tm_fini(&m);
}

static void set_params(struct tmachine *m, struct trealm *r, void (*edit)(struct rmi_realm_params *))
{
	struct rmi_realm_params *p = phys_va(m->pm, r->params);
	edit(p);
}

static void bad_s2sz(struct rmi_realm_params *p) { p->s2sz = 31; }
static void bad_sl(struct rmi_realm_params *p) { p->rtt_level_start = 2; }         /* 40 bits at L2 */
static void bad_num(struct rmi_realm_params *p) { p->rtt_num_start = 1; }
static void bad_hash(struct rmi_realm_params *p) { p->hash_algo = 7; }
static void bad_sve(struct rmi_realm_params *p) { p->flags = 2; }
static void sl0(struct rmi_realm_params *p) { p->rtt_level_start = 0; p->rtt_num_start = 1; }

static void test_realm_create(void)
{
	struct tmachine m;
	struct trealm r;
	void (*bad[])(struct rmi_realm_params *) = { bad_s2sz, bad_sl, bad_num, bad_hash, bad_sve };

	tm_init(&m, RMI_ABI_1_0);
	/* 40-bit IPA at level 1 needs 2 concatenated tables */
	CHECK_EQ(tm_realm_create(&m, &r, 40, 1), RMI_SUCCESS);
	CHECK_EQ(r.num_root, 2);
	tm_check(&m, "after realm create");
	/* the same RD again: not DELEGATED any more */
	CHECK_EQ(SMC(&m, RMI_REALM_CREATE, r.rd, r.params), RMI_ERROR_INPUT);
	/* params in a delegated granule */
	CHECK_EQ(SMC(&m, RMI_REALM_CREATE, tm_delegated(&m), tm_delegated(&m)), RMI_ERROR_INPUT);

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct trealm r2;
		CHECK_EQ(tm_realm_create(&m, &r2, 40, 1), RMI_SUCCESS);
		/* rebuild params on fresh granules, then break one field */
		struct trealm r3;
		tm_realm_create(&m, &r3, 40, 1);
		uint64_t rd = tm_delegated(&m), rtt = tm_delegated_range(&m, 2, 2 * GRANULE_SIZE);
		struct rmi_realm_params *p = phys_va(m.pm, r3.params);
		p->vmid += 1000;
		p->rtt_base = rtt;
		set_params(&m, &r3, bad[i]);
		CHECK_EQ(SMC(&m, RMI_REALM_CREATE, rd, r3.params), RMI_ERROR_INPUT);
	}
	/* VMID collision */
	{
		struct trealm r4;
		CHECK_EQ(tm_realm_create(&m, &r4, 40, 1), RMI_SUCCESS);
		uint64_t rd = tm_delegated(&m), rtt = tm_delegated_range(&m, 2, 2 * GRANULE_SIZE);
		struct rmi_realm_params *p = phys_va(m.pm, r4.params);
		p->rtt_base = rtt;
		CHECK_EQ(SMC(&m, RMI_REALM_CREATE, rd, r4.params), RMI_ERROR_INPUT);
		/* RD aliasing a root RTT */
		p->vmid += 2000;
		CHECK_EQ(SMC(&m, RMI_REALM_CREATE, rtt, r4.params), RMI_ERROR_INPUT);
		/* 40 bits at level 0: one table, valid */
		set_params(&m, &r4, sl0);
		CHECK_EQ(SMC(&m, RMI_REALM_CREATE, rd, r4.params), RMI_SUCCESS);
	}
	tm_check(&m, "after create failures");

	/* lifecycle */
	CHECK_EQ(SMC(&m, RMI_REALM_ACTIVATE, r.rd + 1), RMI_ERROR_INPUT);
	CHECK_EQ(SMC(&m, RMI_REALM_ACTIVATE, r.rd), RMI_SUCCESS);
	CHECK_EQ(SMC(&m, RMI_REALM_ACTIVATE, r.rd), RMI_ERROR_REALM);
	tm_rtt_create_to(&m, &r, 0, 2);
	CHECK_EQ(SMC(&m, RMI_REALM_DESTROY, r.rd), RMI_ERROR_REALM);   /* live RTTs */
	CHECK_EQ(SMC(&m, RMI_RTT_DESTROY, r.rd, 0, 2), RMI_SUCCESS);
	CHECK_EQ(SMC(&m, RMI_REALM_DESTROY, r.rd), RMI_SUCCESS);
	CHECK_EQ(SMC(&m, RMI_REALM_DESTROY, r.rd), RMI_ERROR_INPUT);
	CHECK_EQ(SMC(&m, RMI_GRANULE_UNDELEGATE, r.rtt_base), RMI_SUCCESS);
	tm_check(&m, "after destroy");
	tm_fini(&m);
}

int main(void)
{
	test_delegate();
	test_version_features();
	test_realm_create();
	return t_report("rmm_realm_test");
}
