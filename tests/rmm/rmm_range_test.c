/*
 * RMI 2.0 range commands: partial progress (X1 = next address), work
 * limited to the leaf table holding base, input checks in order, zeroing
 * of mapped granules, SINGLE/LIST descriptors, 2 MiB blocks.
 */
#include <string.h>

#include "rmm_test_util.h"

#define IPA 0x40000000ULL
#define SZ_2M (2ULL << 20)

static uint64_t desc(uint64_t pa, unsigned cnt, int level, unsigned undelegated)
{
	return pa | ((uint64_t)cnt << 2) | (uint64_t)(3 - level) | ((uint64_t)undelegated << 63);
}

static void test_range_delegate(void)
{
	struct tmachine m;
	struct smc_res r;

	tm_init(&m, RMI_ABI_2_0);
	uint64_t pa = phys_alloc(m.pm, 1024, SZ_2M);
	CHECK_EQ(SMCR(&m, &r, RMI_GRANULE_RANGE_DELEGATE, pa + 1, pa + 4096), RMI_ERROR_INPUT);
	CHECK_EQ(SMCR(&m, &r, RMI_GRANULE_RANGE_DELEGATE, pa, pa), RMI_ERROR_INPUT);
	CHECK_EQ(r.x[1], pa);
	/* works up to the 2 MiB boundary only */
	CHECK_EQ(SMCR(&m, &r, RMI_GRANULE_RANGE_DELEGATE, pa, pa + 2 * SZ_2M), RMI_SUCCESS);
	CHECK_EQ(r.x[1], pa + SZ_2M);
	/* stops at the first granule in the wrong state */
	CHECK_EQ(SMCR(&m, &r, RMI_GRANULE_RANGE_DELEGATE, pa + SZ_2M - 3 * 4096, pa + SZ_2M + 4096),
		 RMI_ERROR_INPUT);
	CHECK_EQ(SMCR(&m, &r, RMI_GRANULE_RANGE_DELEGATE, pa + SZ_2M, pa + 2 * SZ_2M), RMI_SUCCESS);
	CHECK_EQ(r.x[1], pa + 2 * SZ_2M);
	tm_check(&m, "after range delegate");
	/* undelegate scrubs: put a secret in a delegated page */
	uint64_t *va = phys_va(m.pm, pa);
	va[0] = 0x5ec4e7;
	CHECK_EQ(SMCR(&m, &r, RMI_GRANULE_RANGE_UNDELEGATE, pa, pa + 8192), RMI_SUCCESS);
	CHECK_EQ(r.x[1], pa + 8192);
	CHECK_EQ(va[0], 0);
	tm_check(&m, "after range undelegate");
	tm_fini(&m);
}

static void test_data_map(void)
{
	struct tmachine m;
	struct trealm rl;
	struct smc_res r;

	tm_init(&m, RMI_ABI_2_0);
	CHECK_EQ(tm_realm_create(&m, &rl, 40, 1), RMI_SUCCESS);
	uint64_t pages = tm_delegated_range(&m, 1024, SZ_2M);
	uint64_t *va = phys_va(m.pm, pages + 4096);
	va[1] = 0xdead;   /* stale content the RMM must zero */

	CHECK_EQ(SMC(&m, RMI_RTT_DATA_MAP, rl.rd, IPA, IPA, 1, desc(pages, 1, 3, 0)), RMI_ERROR_INPUT);
	CHECK_EQ(SMC(&m, RMI_RTT_DATA_MAP, rl.rd, IPA, IPA + 4096, 3, desc(pages, 1, 3, 0)), RMI_ERROR_INPUT);
	CHECK_EQ(SMC(&m, RMI_RTT_DATA_MAP, rl.rd, IPA, IPA + 4096, 1, desc(pages, 1, 3, 1)), RMI_ERROR_INPUT);
	CHECK_EQ(SMC(&m, RMI_RTT_DATA_MAP, rl.rd, IPA + 4096, IPA + SZ_2M, 1, desc(pages, 1, 2, 0)),
		 RMI_ERROR_INPUT);                                    /* base not 2 MiB aligned */
	CHECK_EQ(SMC(&m, RMI_RTT_DATA_MAP, rl.rd, (1ULL << 39), (1ULL << 39) + 4096, 1, desc(pages, 1, 3, 0)),
		 RMI_ERROR_INPUT);                                    /* outside PAR */
	CHECK_EQ(SMC(&m, RMI_RTT_DATA_MAP, rl.rd, IPA, IPA + 4096, 1, desc(pages, 1, 2, 0)),
		 RMI_RETURN(RMI_ERROR_RTT, 2));                       /* range smaller than a block */
	CHECK_EQ(SMC(&m, RMI_RTT_DATA_MAP, rl.rd, IPA, IPA + 4096, 1, desc(pages, 1, 3, 0)),
		 RMI_RETURN(RMI_ERROR_RTT, 1));                       /* no RTTs */
	tm_rtt_create_to(&m, &rl, IPA, 3);
	/* 4 pages in one SINGLE descriptor */
	CHECK_EQ(SMCR(&m, &r, RMI_RTT_DATA_MAP, rl.rd, IPA, IPA + 4 * 4096, 1, desc(pages, 4, 3, 0)),
		 RMI_SUCCESS);
	CHECK_EQ(r.x[1], IPA + 4 * 4096);
	CHECK_EQ(va[1], 0);
	/* rtte_state (DEN0137 2.0 B4.5.65): a mapped entry is an error, for
	 * the PA it maps (gran_state fails too: no ordering) and for another */
	CHECK_EQ(SMC(&m, RMI_RTT_DATA_MAP, rl.rd, IPA, IPA + 4096, 1, desc(pages, 1, 3, 0)),
		 RMI_RETURN(RMI_ERROR_RTT, 3));
	CHECK_EQ(SMC(&m, RMI_RTT_DATA_MAP, rl.rd, IPA, IPA + 4096, 1, desc(pages + 8 * 4096, 1, 3, 0)),
		 RMI_RETURN(RMI_ERROR_RTT, 3));
	/* partial progress: a descriptor shorter than the range */
	CHECK_EQ(SMCR(&m, &r, RMI_RTT_DATA_MAP, rl.rd, IPA + 4 * 4096, IPA + 8 * 4096, 1,
		      desc(pages + 4 * 4096, 2, 3, 0)), RMI_SUCCESS);
	CHECK_EQ(r.x[1], IPA + 6 * 4096);
	/* a range past the leaf table stops at its end */
	uint64_t last = IPA + SZ_2M - 2 * 4096;
	CHECK_EQ(SMCR(&m, &r, RMI_RTT_DATA_MAP, rl.rd, last, last + 4 * 4096, 1,
		      desc(pages + 100 * 4096, 4, 3, 0)), RMI_SUCCESS);
	CHECK_EQ(r.x[1], IPA + SZ_2M);
	tm_check(&m, "after data map");

	/* LIST: two descriptors in an NS granule */
	uint64_t list = tm_page(&m);
	uint64_t *l = phys_va(m.pm, list);
	l[0] = desc(pages + 200 * 4096, 1, 3, 0);
	l[1] = desc(pages + 300 * 4096, 1, 3, 0);
	CHECK_EQ(SMCR(&m, &r, RMI_RTT_DATA_MAP, rl.rd, IPA + 10 * 4096, IPA + 12 * 4096,
		      2 | (2 << 2), list), RMI_SUCCESS);
	CHECK_EQ(r.x[1], IPA + 12 * 4096);

	/* unmap with a SINGLE output range: skips the non-live entries 6..9,
	 * stops at the PA discontinuity at entry 10 */
	CHECK_EQ(SMCR(&m, &r, RMI_RTT_DATA_UNMAP, rl.rd, IPA, IPA + 12 * 4096, 1, 0), RMI_SUCCESS);
	CHECK_EQ(r.x[1], IPA + 10 * 4096);
	CHECK_EQ(r.x[2], desc(pages, 6, 3, 0));
	/* skips non-live entries and goes on */
	CHECK_EQ(SMCR(&m, &r, RMI_RTT_DATA_UNMAP, rl.rd, IPA + 6 * 4096, IPA + 12 * 4096, 0, 0), RMI_SUCCESS);
	CHECK_EQ(r.x[1], IPA + 12 * 4096);
	CHECK_EQ(SMCR(&m, &r, RMI_RTT_READ_ENTRY, rl.rd, IPA, 3), RMI_SUCCESS);
	CHECK_EQ(r.x[2], RMI_UNASSIGNED);
	CHECK_EQ(r.x[4], RMI_EMPTY);
	CHECK_EQ(SMCR(&m, &r, RMI_GRANULE_RANGE_UNDELEGATE, pages, pages + 4096), RMI_SUCCESS);
	tm_check(&m, "after data unmap");

	/* a 2 MiB block at level 2 */
	uint64_t ipa2 = IPA + 4 * SZ_2M;
	tm_rtt_create_to(&m, &rl, ipa2, 2);
	uint64_t block = tm_delegated_range(&m, 512, SZ_2M);
	CHECK_EQ(SMCR(&m, &r, RMI_RTT_DATA_MAP, rl.rd, ipa2, ipa2 + SZ_2M, 1, desc(block, 1, 2, 0)),
		 RMI_SUCCESS);
	CHECK_EQ(r.x[1], ipa2 + SZ_2M);
	CHECK_EQ(SMCR(&m, &r, RMI_RTT_READ_ENTRY, rl.rd, ipa2, 3), RMI_SUCCESS);
	CHECK_EQ(r.x[1], 2);
	CHECK_EQ(r.x[3], block);
	tm_check(&m, "after block map");
	tm_fini(&m);
}

static void test_unprot(void)
{
	struct tmachine m;
	struct trealm rl;
	struct smc_res r;
	uint64_t ns_ipa = (1ULL << 39) + IPA;
	uint64_t flags = 1 | (5ULL << 16) | (3ULL << 19);   /* SINGLE, WB, RW */

	tm_init(&m, RMI_ABI_2_0);
	CHECK_EQ(tm_realm_create(&m, &rl, 40, 1), RMI_SUCCESS);
	tm_rtt_create_to(&m, &rl, ns_ipa, 3);
	uint64_t ns = phys_alloc(m.pm, 4, 4096);
	/* The descriptor's ST bit is not checked for NS memory: TF-RMM
	 * 9a7f8ef (check_desc_state = false) and the 2026 series (ST = 0)
	 * agree; seen in the differential replay (docs/rmm-model.md). */
	CHECK_EQ(SMC(&m, RMI_RTT_UNPROT_MAP, rl.rd, ns_ipa, ns_ipa + 4096, flags, desc(ns, 1, 3, 0)),
		 RMI_SUCCESS);
	CHECK_EQ(SMC(&m, RMI_RTT_UNPROT_UNMAP, rl.rd, ns_ipa, ns_ipa + 4096, 0, 0), RMI_SUCCESS);
	CHECK_EQ(SMC(&m, RMI_RTT_UNPROT_MAP, rl.rd, IPA, IPA + 4096, flags, desc(ns, 1, 3, 1)),
		 RMI_ERROR_INPUT);                                  /* protected IPA */
	CHECK_EQ(SMC(&m, RMI_RTT_UNPROT_MAP, rl.rd, ns_ipa, ns_ipa + 4096, flags | (4ULL << 19),
		     desc(ns, 1, 3, 1)), RMI_ERROR_INPUT);          /* S2AP SBZ bits */
	CHECK_EQ(SMCR(&m, &r, RMI_RTT_UNPROT_MAP, rl.rd, ns_ipa, ns_ipa + 4 * 4096, flags,
		      desc(ns, 4, 3, 1)), RMI_SUCCESS);
	CHECK_EQ(r.x[1], ns_ipa + 4 * 4096);
	CHECK_EQ(SMCR(&m, &r, RMI_RTT_READ_ENTRY, rl.rd, ns_ipa + 4096, 3), RMI_SUCCESS);
	CHECK_EQ(r.x[2], RMI_ASSIGNED);
	CHECK_EQ(r.x[3] & ~0xfffULL, ns + 4096);
	tm_check(&m, "after unprot map");
	CHECK_EQ(SMCR(&m, &r, RMI_RTT_UNPROT_UNMAP, rl.rd, ns_ipa, ns_ipa + 4 * 4096, 1, 0), RMI_SUCCESS);
	CHECK_EQ(r.x[1], ns_ipa + 4 * 4096);
	CHECK_EQ(r.x[2], desc(ns, 4, 3, 1));
	/* rtte_state (DEN0137 2.0 B4.5.78): the entry at base must be
	 * MAPPED_NS (current TF-RMM would skip it and succeed) */
	CHECK_EQ(SMCR(&m, &r, RMI_RTT_UNPROT_UNMAP, rl.rd, ns_ipa, ns_ipa + 4096, 0, 0),
		 RMI_RETURN(RMI_ERROR_RTT, 3));
	/* a mapped base with unmapped entries after it: those are skipped */
	CHECK_EQ(SMC(&m, RMI_RTT_UNPROT_MAP, rl.rd, ns_ipa, ns_ipa + 4096, flags, desc(ns, 1, 3, 1)),
		 RMI_SUCCESS);
	CHECK_EQ(SMCR(&m, &r, RMI_RTT_UNPROT_UNMAP, rl.rd, ns_ipa, ns_ipa + 4 * 4096, 0, 0), RMI_SUCCESS);
	CHECK_EQ(r.x[1], ns_ipa + 4 * 4096);
	/* flags.oaddr_type 3 does not exist */
	CHECK_EQ(SMC(&m, RMI_RTT_UNPROT_UNMAP, rl.rd, ns_ipa, ns_ipa + 4096, 7, 0), RMI_ERROR_INPUT);
	CHECK_EQ(SMC(&m, RMI_RTT_MAP_UNPROTECTED, rl.rd, ns_ipa, 3, ns), SMC_UNKNOWN);
	tm_check(&m, "after unprot unmap");
	tm_fini(&m);
}

int main(void)
{
	test_range_delegate();
	test_data_map();
	test_unprot();
	return t_report("rmm_range_test");
}
