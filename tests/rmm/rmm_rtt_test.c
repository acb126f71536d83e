/*
 * RTT and DATA commands (RMI 1.0): failure conditions in priority order,
 * unfold/fold round trip, RIPAS, unprotected mappings.
 */
#include "rmm_test_util.h"

#define IPA 0x40000000ULL   /* 1 GiB, protected in a 40-bit realm */

static void test_rtt_create_destroy(void)
{
	struct tmachine m;
	struct trealm r;
	struct smc_res res;

	tm_init(&m, RMI_ABI_1_0);
	CHECK_EQ(tm_realm_create(&m, &r, 40, 1), RMI_SUCCESS);
	uint64_t rtt = tm_delegated(&m);
	CHECK_EQ(SMC(&m, RMI_RTT_CREATE, r.rd, tm_page(&m), IPA, 2), RMI_ERROR_INPUT);  /* not delegated */
	CHECK_EQ(SMC(&m, RMI_RTT_CREATE, rtt, rtt, IPA, 2), RMI_ERROR_INPUT);          /* same granule */
	CHECK_EQ(SMC(&m, RMI_RTT_CREATE, r.rd, rtt, IPA, 1), RMI_ERROR_INPUT);         /* root level */
	CHECK_EQ(SMC(&m, RMI_RTT_CREATE, r.rd, rtt, IPA, 4), RMI_ERROR_INPUT);         /* level 4 */
	CHECK_EQ(SMC(&m, RMI_RTT_CREATE, r.rd, rtt, IPA + 4096, 2), RMI_ERROR_INPUT);  /* unaligned */
	CHECK_EQ(SMC(&m, RMI_RTT_CREATE, r.rd, rtt, 1ULL << 40, 2), RMI_ERROR_INPUT);  /* beyond IPA */
	CHECK_EQ(SMC(&m, RMI_RTT_CREATE, r.rd, rtt, IPA, 3), RMI_RETURN(RMI_ERROR_RTT, 1));  /* no L2 */
	CHECK_EQ(SMC(&m, RMI_RTT_CREATE, r.rd, rtt, IPA, 2), RMI_SUCCESS);
	CHECK_EQ(SMC(&m, RMI_RTT_CREATE, r.rd, tm_delegated(&m), IPA, 2), RMI_RETURN(RMI_ERROR_RTT, 1));
	tm_rtt_create_to(&m, &r, IPA, 3);
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_READ_ENTRY, r.rd, IPA, 2), RMI_SUCCESS);
	CHECK_EQ(res.x[1], 2);
	CHECK_EQ(res.x[2], RMI_TABLE);
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_READ_ENTRY, r.rd, IPA, 3), RMI_SUCCESS);
	CHECK_EQ(res.x[2], RMI_UNASSIGNED);
	CHECK_EQ(res.x[4], RMI_EMPTY);
	tm_check(&m, "after rtt create");

	/* a live L3 table cannot be destroyed */
	CHECK_EQ(tm_map_data(&m, &r, IPA, NULL), RMI_SUCCESS);
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_DESTROY, r.rd, IPA, 3), RMI_RETURN(RMI_ERROR_RTT, 3));
	CHECK_EQ(SMCR(&m, &res, RMI_DATA_DESTROY, r.rd, IPA), RMI_SUCCESS);
	CHECK_EQ(res.x[2], IPA + (2ULL << 20));   /* no live entry left in the table */
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_READ_ENTRY, r.rd, IPA, 3), RMI_SUCCESS);
	CHECK_EQ(res.x[4], RMI_EMPTY);            /* EMPTY page stays EMPTY */
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_DESTROY, r.rd, IPA, 3), RMI_SUCCESS);
	CHECK_EQ(SMC(&m, RMI_GRANULE_UNDELEGATE, res.x[1]), RMI_SUCCESS);
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_READ_ENTRY, r.rd, IPA, 3), RMI_SUCCESS);
	CHECK_EQ(res.x[1], 2);
	CHECK_EQ(res.x[4], RMI_DESTROYED);        /* 1.0: a destroyed RTT's range is DESTROYED */
	tm_check(&m, "after rtt destroy");
	tm_fini(&m);
}

static void test_data_create_unknown(void)
{
	struct tmachine m;
	struct trealm r;
	uint64_t data;

	tm_init(&m, RMI_ABI_1_0);
	CHECK_EQ(tm_realm_create(&m, &r, 40, 1), RMI_SUCCESS);
	data = tm_delegated(&m);
	CHECK_EQ(SMC(&m, RMI_DATA_CREATE_UNKNOWN, r.rd, tm_page(&m), IPA), RMI_ERROR_INPUT);
	CHECK_EQ(SMC(&m, RMI_DATA_CREATE_UNKNOWN, data, data, IPA), RMI_ERROR_INPUT);
	CHECK_EQ(SMC(&m, RMI_DATA_CREATE_UNKNOWN, r.rd, data, 1ULL << 39), RMI_ERROR_INPUT); /* not PAR */
	CHECK_EQ(SMC(&m, RMI_DATA_CREATE_UNKNOWN, r.rd, data, IPA + 8), RMI_ERROR_INPUT);
	CHECK_EQ(SMC(&m, RMI_DATA_CREATE_UNKNOWN, r.rd, data, IPA), RMI_RETURN(RMI_ERROR_RTT, 1));
	tm_rtt_create_to(&m, &r, IPA, 2);
	CHECK_EQ(SMC(&m, RMI_DATA_CREATE_UNKNOWN, r.rd, data, IPA), RMI_RETURN(RMI_ERROR_RTT, 2));
	tm_rtt_create_to(&m, &r, IPA, 3);
	CHECK_EQ(SMC(&m, RMI_DATA_CREATE_UNKNOWN, r.rd, data, IPA), RMI_SUCCESS);
	CHECK_EQ(SMC(&m, RMI_DATA_CREATE_UNKNOWN, r.rd, tm_delegated(&m), IPA),
		 RMI_RETURN(RMI_ERROR_RTT, 3));
	CHECK_EQ(SMC(&m, RMI_GRANULE_UNDELEGATE, data), RMI_ERROR_INPUT);   /* DATA now */
	tm_check(&m, "after data create");
	tm_fini(&m);
}

/* 512 pages of RAM at L3 fold into a 2 MiB block, and unfold back. */
static void test_fold_unfold(void)
{
	struct tmachine m;
	struct trealm r;
	struct smc_res res;

	tm_init(&m, RMI_ABI_1_0);
	CHECK_EQ(tm_realm_create(&m, &r, 40, 1), RMI_SUCCESS);
	tm_rtt_create_to(&m, &r, IPA, 3);
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_INIT_RIPAS, r.rd, IPA, IPA + (2ULL << 20)), RMI_SUCCESS);
	CHECK_EQ(res.x[1], IPA + (2ULL << 20));
	uint64_t block = tm_delegated_range(&m, 512, 2ULL << 20);
	for (unsigned i = 0; i < 512; i++) {
		uint64_t ret = SMC(&m, RMI_DATA_CREATE_UNKNOWN, r.rd, block + i * GRANULE_SIZE,
				   IPA + i * GRANULE_SIZE);
		CHECK_EQ(ret, RMI_SUCCESS);
		if (i == 10)   /* not yet homogeneous */
			CHECK_EQ(SMC(&m, RMI_RTT_FOLD, r.rd, IPA, 3), RMI_RETURN(RMI_ERROR_RTT, 3));
	}
	tm_check(&m, "before fold");
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_FOLD, r.rd, IPA, 3), RMI_SUCCESS);
	uint64_t freed = res.x[1];
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_READ_ENTRY, r.rd, IPA, 3), RMI_SUCCESS);
	CHECK_EQ(res.x[1], 2);
	CHECK_EQ(res.x[2], RMI_ASSIGNED);
	CHECK_EQ(res.x[3], block);
	CHECK_EQ(res.x[4], RMI_RAM);
	tm_check(&m, "after fold");
	/* unfold with the freed RTT */
	CHECK_EQ(SMC(&m, RMI_RTT_CREATE, r.rd, freed, IPA, 3), RMI_SUCCESS);
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_READ_ENTRY, r.rd, IPA + 5 * GRANULE_SIZE, 3), RMI_SUCCESS);
	CHECK_EQ(res.x[1], 3);
	CHECK_EQ(res.x[3], block + 5 * GRANULE_SIZE);
	tm_check(&m, "after unfold");
	tm_fini(&m);
}

static void test_unprotected(void)
{
	struct tmachine m;
	struct trealm r;
	struct smc_res res;
	uint64_t ns_ipa = (1ULL << 39) + IPA;
	uint64_t desc_attrs = (0x5ULL << 2) | (3ULL << 6);  /* WB, RW; SH is the RMM's */

	tm_init(&m, RMI_ABI_1_0);
	CHECK_EQ(tm_realm_create(&m, &r, 40, 1), RMI_SUCCESS);
	uint64_t page = tm_page(&m);
	CHECK_EQ(SMC(&m, RMI_RTT_MAP_UNPROTECTED, r.rd, ns_ipa, 3, page | (1ULL << 60)), RMI_ERROR_INPUT);
	CHECK_EQ(SMC(&m, RMI_RTT_MAP_UNPROTECTED, r.rd, IPA, 3, page | desc_attrs), RMI_ERROR_INPUT);
	/* Shareability is not the host's: TF-RMM v0.8.0 (13a82ef) answers
	 * ERROR_INPUT before walking, as here (differential run, issue 9). */
	CHECK_EQ(SMC(&m, RMI_RTT_MAP_UNPROTECTED, r.rd, ns_ipa, 3, page | desc_attrs | (3ULL << 8)),
		 RMI_ERROR_INPUT);
	CHECK_EQ(SMC(&m, RMI_RTT_MAP_UNPROTECTED, r.rd, ns_ipa, 3, page | desc_attrs),
		 RMI_RETURN(RMI_ERROR_RTT, 1));
	tm_rtt_create_to(&m, &r, ns_ipa, 3);
	/* The RMM does not check the PAS of the output address (TF-RMM
	 * map_unmap_ns(), DEN0137 1.0 B4.3.19): a delegated page maps, and
	 * the invariant checker, which holds hosts to the rule, objects. */
	uint64_t delegated = tm_delegated(&m);
	CHECK_EQ(SMC(&m, RMI_RTT_MAP_UNPROTECTED, r.rd, ns_ipa, 3, delegated | desc_attrs), RMI_SUCCESS);
	char why[128];
	CHECK(rmm_sim_check_invariants(m.rmm, why, sizeof(why)) != 0);
	CHECK_EQ(SMC(&m, RMI_RTT_UNMAP_UNPROTECTED, r.rd, ns_ipa, 3), RMI_SUCCESS);
	tm_check(&m, "after unmapping the delegated page");
	CHECK_EQ(SMC(&m, RMI_RTT_MAP_UNPROTECTED, r.rd, ns_ipa, 3, page | desc_attrs), RMI_SUCCESS);
	CHECK_EQ(SMC(&m, RMI_RTT_MAP_UNPROTECTED, r.rd, ns_ipa, 3, page | desc_attrs),
		 RMI_RETURN(RMI_ERROR_RTT, 3));
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_READ_ENTRY, r.rd, ns_ipa, 3), RMI_SUCCESS);
	CHECK_EQ(res.x[2], RMI_ASSIGNED);
	CHECK_EQ(res.x[3], page | desc_attrs);
	tm_check(&m, "after map unprotected");
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_UNMAP_UNPROTECTED, r.rd, ns_ipa, 3), RMI_SUCCESS);
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_UNMAP_UNPROTECTED, r.rd, ns_ipa, 3), RMI_RETURN(RMI_ERROR_RTT, 3));
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_DESTROY, r.rd, ns_ipa, 3), RMI_SUCCESS);
	CHECK_EQ(SMC(&m, RMI_GRANULE_UNDELEGATE, res.x[1]), RMI_SUCCESS);
	tm_check(&m, "after unmap unprotected");

	/* An ASSIGNED_NS entry is live but does not make its RTT live
	 * (DEN0137 1.0 A5.5.8; B4.3.16 rtt_live): an RTT holding only
	 * unprotected mappings is destroyed, and its range is UNASSIGNED_NS. */
	tm_rtt_create_to(&m, &r, ns_ipa, 3);
	CHECK_EQ(SMC(&m, RMI_RTT_MAP_UNPROTECTED, r.rd, ns_ipa, 3, page | desc_attrs), RMI_SUCCESS);
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_DESTROY, r.rd, ns_ipa, 3), RMI_SUCCESS);
	CHECK_EQ(SMC(&m, RMI_GRANULE_UNDELEGATE, res.x[1]), RMI_SUCCESS);
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_READ_ENTRY, r.rd, ns_ipa, 3), RMI_SUCCESS);
	CHECK_EQ(res.x[1], 2);
	CHECK_EQ(res.x[2], RMI_UNASSIGNED);
	tm_check(&m, "after destroying an RTT with an unprotected mapping");

	/* 512 unprotected pages of one 2 MiB range fold into a block and
	 * unfold back; no RTT reference is taken for them either way */
	uint64_t ns_block = phys_alloc(m.pm, 512, 2ULL << 20);
	uint64_t ns_2m = ns_ipa & ~((2ULL << 20) - 1);
	tm_rtt_create_to(&m, &r, ns_2m, 3);
	for (unsigned i = 0; i < 512; i++)
		CHECK_EQ(SMC(&m, RMI_RTT_MAP_UNPROTECTED, r.rd, ns_2m + i * GRANULE_SIZE, 3,
			     (ns_block + i * GRANULE_SIZE) | desc_attrs), RMI_SUCCESS);
	tm_check(&m, "after 512 unprotected pages");
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_FOLD, r.rd, ns_2m, 3), RMI_SUCCESS);
	uint64_t freed = res.x[1];
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_READ_ENTRY, r.rd, ns_2m, 3), RMI_SUCCESS);
	CHECK_EQ(res.x[1], 2);
	CHECK_EQ(res.x[2], RMI_ASSIGNED);
	CHECK_EQ(res.x[3], ns_block | desc_attrs);
	tm_check(&m, "after folding unprotected pages");
	CHECK_EQ(SMC(&m, RMI_RTT_CREATE, r.rd, freed, ns_2m, 3), RMI_SUCCESS);   /* unfold */
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_READ_ENTRY, r.rd, ns_2m + 7 * GRANULE_SIZE, 3), RMI_SUCCESS);
	CHECK_EQ(res.x[3], (ns_block + 7 * GRANULE_SIZE) | desc_attrs);
	tm_check(&m, "after unfolding unprotected pages");
	tm_fini(&m);
}

int main(void)
{
	test_rtt_create_destroy();
	test_data_create_unknown();
	test_fold_unfold();
	test_unprotected();
	return t_report("rmm_rtt_test");
}
