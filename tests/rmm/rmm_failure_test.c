/*
 * Failure conditions the other tests do not pin down, each poked in the
 * spec's priority order, with the output registers the spec gives for the
 * result (DEN0137 1.0 B4.3; 2.0 B4.5 where the ABIs differ):
 *   RTT_SET_RIPAS  size_valid, top_gran_align, rd/rec state, rec_owner,
 *                  base_bound, top_bound, base_align (only when the RIPAS
 *                  must change), no_progress, out_top
 *   RTT_INIT_RIPAS size_valid, alignment, ipa_bound, realm_state, rtt_walk;
 *                  ASSIGNED EMPTY entries (1.0: stop, 2.0: become RAM)
 *   RTT_FOLD       level_bound, ipa_align (level - 1), rtt_walk,
 *                  rtte_state, homogeneity
 *   RTT_DESTROY    ipa_align, rtt_walk, rtte_state, rtt_live and "top"
 *   RTT_UNMAP_UNPROTECTED level_bound, ipa_bound, rtt_walk, rtte_state, top
 *   RTT_READ_ENTRY outputs for every entry state
 *   DATA_DESTROY   ipa_bound (an unprotected IPA)
 *   REALM_DESTROY  realm_live while a REC exists
 *   REC_ENTER      an access through an unprotected mapping of a delegated
 *                  granule is an SEA (the GPC), not a read of Realm memory
 */
#include <string.h>

#include "abi/rsi.h"
#include "rmm_test_util.h"

#define IPA   0x40000000ULL     /* 1 GiB, protected in a 40-bit realm */
#define NSIPA ((1ULL << 39) + IPA)
#define SZ_2M (2ULL << 20)
#define PAGE  GRANULE_SIZE

/* A guest that asks for one RIPAS change and then stops. */
struct one_change {
	struct sim_gop op;
	bool done;
};

static bool oc_peek(void *ctx, struct sim_gop *op)
{
	struct one_change *c = ctx;

	if (c->done)
		return false;
	*op = c->op;
	return true;
}

static void oc_complete(void *ctx, const struct sim_gop_result *res)
{
	(void)res;
	((struct one_change *)ctx)->done = true;
}

static void oc_exited(void *ctx, unsigned reason)
{
	(void)ctx;
	(void)reason;
}

static const struct sim_guest_ops oc_ops = { oc_peek, oc_complete, oc_exited };

static void test_set_ripas(void)
{
	struct tmachine m;
	struct trealm r, other;
	struct smc_res res;
	struct one_change guest = {
		.op = { .kind = SIM_GOP_IPA_STATE_SET, .ipa = IPA + PAGE, .top = IPA + SZ_2M,
			.ripas = RSI_RAM },
	};

	tm_init(&m, RMI_ABI_1_0);
	CHECK_EQ(tm_realm_create(&m, &r, 40, 1), RMI_SUCCESS);
	CHECK_EQ(tm_realm_create(&m, &other, 40, 1), RMI_SUCCESS);
	tm_rtt_create_to(&m, &r, IPA, 2);
	/* IPA..IPA+2M: one level-2 entry, RIPAS RAM for the whole block */
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_INIT_RIPAS, r.rd, IPA, IPA + SZ_2M), RMI_SUCCESS);
	CHECK_EQ(res.x[1], IPA + SZ_2M);
	uint64_t rec = tm_rec_create(&m, &r, 0), rec_other = tm_rec_create(&m, &other, 0);
	uint64_t run = tm_page(&m);
	CHECK(rec && rec_other);
	CHECK_EQ(rmm_sim_rec_attach_guest(m.rmm, rec, (struct sim_guest){ &oc_ops, &guest }), 0);
	CHECK_EQ(SMC(&m, RMI_REALM_ACTIVATE, r.rd), RMI_SUCCESS);
	CHECK_EQ(SMC(&m, RMI_REC_ENTER, rec, run), RMI_SUCCESS);
	struct rmi_rec_run *rr = phys_va(m.pm, run);
	CHECK_EQ(rr->exit.exit_reason, RMI_EXIT_RIPAS_CHANGE);

	uint64_t base = IPA + PAGE;
	CHECK_EQ(SMC(&m, RMI_RTT_SET_RIPAS, r.rd, rec, base, base), RMI_ERROR_INPUT);        /* size */
	CHECK_EQ(SMC(&m, RMI_RTT_SET_RIPAS, r.rd, rec, base, base + 0x800), RMI_ERROR_INPUT); /* top align */
	CHECK_EQ(SMC(&m, RMI_RTT_SET_RIPAS, rec, rec, base, base + PAGE), RMI_ERROR_INPUT);   /* rd state */
	CHECK_EQ(SMC(&m, RMI_RTT_SET_RIPAS, r.rd, r.rd, base, base + PAGE), RMI_ERROR_INPUT); /* rec state */
	CHECK_EQ(SMC(&m, RMI_RTT_SET_RIPAS, r.rd, rec_other, base, base + PAGE), RMI_ERROR_REC); /* owner */
	CHECK_EQ(SMC(&m, RMI_RTT_SET_RIPAS, r.rd, rec, IPA, base + PAGE), RMI_ERROR_INPUT);   /* base_bound */
	CHECK_EQ(SMC(&m, RMI_RTT_SET_RIPAS, r.rd, rec, base, IPA + 2 * SZ_2M), RMI_ERROR_INPUT); /* top_bound */
	/* base_align: base is inside a level-2 block that is already RAM, the
	 * requested value: no error, the block counts as done (B4.3.21
	 * base_align holds only if ripas != rec.ripas_value) */
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_SET_RIPAS, r.rd, rec, base, base + PAGE), RMI_SUCCESS);
	CHECK_EQ(res.x[1], base + PAGE);
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_SET_RIPAS, r.rd, rec, base + PAGE, IPA + SZ_2M), RMI_SUCCESS);
	CHECK_EQ(res.x[1], IPA + SZ_2M);
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_READ_ENTRY, r.rd, IPA, 2), RMI_SUCCESS);
	CHECK_EQ(res.x[1], 2);                     /* not unfolded */
	CHECK_EQ(res.x[4], RMI_RAM);
	tm_check(&m, "after set ripas");
	CHECK_EQ(SMC(&m, RMI_REC_ENTER, rec, run), RMI_SUCCESS);   /* guest done */

	/* A change to EMPTY inside the RAM block must unfold first. */
	guest = (struct one_change){ .op = { .kind = SIM_GOP_IPA_STATE_SET, .ipa = base,
					     .top = base + PAGE, .ripas = RSI_EMPTY } };
	CHECK_EQ(rmm_sim_rec_attach_guest(m.rmm, rec, (struct sim_guest){ &oc_ops, &guest }), 0);
	CHECK_EQ(SMC(&m, RMI_REC_ENTER, rec, run), RMI_SUCCESS);
	CHECK_EQ(rr->exit.exit_reason, RMI_EXIT_RIPAS_CHANGE);
	CHECK_EQ(SMC(&m, RMI_RTT_SET_RIPAS, r.rd, rec, base, base + PAGE), RMI_RETURN(RMI_ERROR_RTT, 2));
	tm_rtt_create_to(&m, &r, IPA, 3);
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_SET_RIPAS, r.rd, rec, base, base + PAGE), RMI_SUCCESS);
	CHECK_EQ(res.x[1], base + PAGE);
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_READ_ENTRY, r.rd, base, 3), RMI_SUCCESS);
	CHECK_EQ(res.x[4], RMI_EMPTY);
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_READ_ENTRY, r.rd, IPA, 3), RMI_SUCCESS);
	CHECK_EQ(res.x[4], RMI_RAM);               /* the neighbour kept RAM */
	CHECK_EQ(SMC(&m, RMI_REC_ENTER, rec, run), RMI_SUCCESS);

	/* no_progress: an entry without RIPAS consent (DESTROYED) at base */
	uint64_t data;
	CHECK_EQ(tm_map_data(&m, &r, IPA + 8 * PAGE, &data), RMI_SUCCESS);
	CHECK_EQ(SMC(&m, RMI_DATA_DESTROY, r.rd, IPA + 8 * PAGE), RMI_SUCCESS);   /* RAM -> DESTROYED */
	guest = (struct one_change){ .op = { .kind = SIM_GOP_IPA_STATE_SET, .ipa = IPA + 8 * PAGE,
					     .top = IPA + 9 * PAGE, .ripas = RSI_RAM } };
	CHECK_EQ(rmm_sim_rec_attach_guest(m.rmm, rec, (struct sim_guest){ &oc_ops, &guest }), 0);
	CHECK_EQ(SMC(&m, RMI_REC_ENTER, rec, run), RMI_SUCCESS);
	CHECK_EQ(SMC(&m, RMI_RTT_SET_RIPAS, r.rd, rec, IPA + 8 * PAGE, IPA + 9 * PAGE),
		 RMI_RETURN(RMI_ERROR_RTT, 3));
	rr->entry.flags = REC_ENTRY_FLAG_RIPAS_RESPONSE;
	CHECK_EQ(SMC(&m, RMI_REC_ENTER, rec, run), RMI_SUCCESS);
	rr->entry.flags = 0;

	/* realm_live: a REC holds the RD */
	CHECK_EQ(SMC(&m, RMI_REALM_DESTROY, r.rd), RMI_ERROR_REALM);
	tm_check(&m, "after ripas changes");
	tm_fini(&m);
}

static void test_init_ripas(void)
{
	struct tmachine m;
	struct trealm r;
	struct smc_res res;

	tm_init(&m, RMI_ABI_1_0);
	CHECK_EQ(tm_realm_create(&m, &r, 40, 1), RMI_SUCCESS);
	CHECK_EQ(SMC(&m, RMI_RTT_INIT_RIPAS, r.rd, IPA, IPA), RMI_ERROR_INPUT);              /* size */
	CHECK_EQ(SMC(&m, RMI_RTT_INIT_RIPAS, r.rd + 8, IPA, IPA + PAGE), RMI_ERROR_INPUT);   /* rd */
	CHECK_EQ(SMC(&m, RMI_RTT_INIT_RIPAS, r.rd, IPA + 8, IPA + PAGE), RMI_ERROR_INPUT);   /* base */
	CHECK_EQ(SMC(&m, RMI_RTT_INIT_RIPAS, r.rd, IPA, IPA + 0x800), RMI_ERROR_INPUT);      /* top */
	CHECK_EQ(SMC(&m, RMI_RTT_INIT_RIPAS, r.rd, NSIPA, NSIPA + PAGE), RMI_ERROR_INPUT);   /* unprot */
	/* rtt_walk: the level-1 entry covers IPAs below base */
	CHECK_EQ(SMC(&m, RMI_RTT_INIT_RIPAS, r.rd, IPA + PAGE, IPA + 2 * PAGE),
		 RMI_RETURN(RMI_ERROR_RTT, 1));
	tm_rtt_create_to(&m, &r, IPA, 3);
	/* the walk's table bounds one call */
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_INIT_RIPAS, r.rd, IPA + SZ_2M - PAGE, IPA + SZ_2M + PAGE),
		 RMI_SUCCESS);
	CHECK_EQ(res.x[1], IPA + SZ_2M);
	CHECK_EQ(SMC(&m, RMI_REALM_ACTIVATE, r.rd), RMI_SUCCESS);
	CHECK_EQ(SMC(&m, RMI_RTT_INIT_RIPAS, r.rd, IPA, IPA + PAGE), RMI_ERROR_REALM);       /* state */
	tm_fini(&m);
}

/* RTT_INIT_RIPAS over a page mapped while still EMPTY: 1.0 stops there
 * (UNASSIGNED entries only), 2.0 makes the mapping RAM (current TF-RMM). */
static void test_init_ripas_assigned(enum rmi_abi abi)
{
	struct tmachine m;
	struct trealm r;
	struct smc_res res;
	uint64_t pa;

	tm_init(&m, abi);
	CHECK_EQ(tm_realm_create(&m, &r, 40, 1), RMI_SUCCESS);
	tm_rtt_create_to(&m, &r, IPA, 3);
	CHECK_EQ(tm_map_data(&m, &r, IPA, &pa), RMI_SUCCESS);
	if (abi == RMI_ABI_1_0) {
		CHECK_EQ(SMC(&m, RMI_RTT_INIT_RIPAS, r.rd, IPA, IPA + PAGE), RMI_RETURN(RMI_ERROR_RTT, 3));
	} else {
		CHECK_EQ(SMCR(&m, &res, RMI_RTT_INIT_RIPAS, r.rd, IPA, IPA + PAGE), RMI_SUCCESS);
		CHECK_EQ(res.x[1], IPA + PAGE);
		CHECK_EQ(SMCR(&m, &res, RMI_RTT_READ_ENTRY, r.rd, IPA, 3), RMI_SUCCESS);
		CHECK_EQ(res.x[2], RMI_ASSIGNED);
		CHECK_EQ(res.x[3], pa);
		CHECK_EQ(res.x[4], RMI_RAM);
	}
	tm_check(&m, "after init ripas over a mapping");
	tm_fini(&m);
}

static void test_structure_commands(void)
{
	struct tmachine m;
	struct trealm r;
	struct smc_res res;

	tm_init(&m, RMI_ABI_1_0);
	CHECK_EQ(tm_realm_create(&m, &r, 40, 1), RMI_SUCCESS);
	/* RTT_FOLD: root level, ipa_align (to a level-2 entry for level 3) */
	CHECK_EQ(SMC(&m, RMI_RTT_FOLD, r.rd, IPA, 1), RMI_ERROR_INPUT);
	CHECK_EQ(SMC(&m, RMI_RTT_FOLD, r.rd, IPA + PAGE, 3), RMI_ERROR_INPUT);
	CHECK_EQ(SMC(&m, RMI_RTT_FOLD, r.rd, 1ULL << 40, 2), RMI_ERROR_INPUT);
	CHECK_EQ(SMC(&m, RMI_RTT_FOLD, r.rd, IPA, 3), RMI_RETURN(RMI_ERROR_RTT, 1));    /* rtt_walk */
	tm_rtt_create_to(&m, &r, IPA, 2);
	CHECK_EQ(SMC(&m, RMI_RTT_FOLD, r.rd, IPA, 3), RMI_RETURN(RMI_ERROR_RTT, 2));    /* not TABLE */
	tm_rtt_create_to(&m, &r, IPA, 3);
	CHECK_EQ(SMC(&m, RMI_RTT_INIT_RIPAS, r.rd, IPA, IPA + PAGE), RMI_SUCCESS);
	CHECK_EQ(SMC(&m, RMI_RTT_FOLD, r.rd, IPA, 3), RMI_RETURN(RMI_ERROR_RTT, 3));    /* mixed */
	/* a level-2 RTT holding a table entry is not homogeneous */
	CHECK_EQ(SMC(&m, RMI_RTT_FOLD, r.rd, IPA, 2), RMI_RETURN(RMI_ERROR_RTT, 2));

	/* RTT_DESTROY: ipa_align, walk errors with top, rtt_live with top == ipa */
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_DESTROY, r.rd, IPA + PAGE, 3), RMI_ERROR_INPUT);
	CHECK_EQ(res.x[2], 0);
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_DESTROY, r.rd, IPA + GRANULE_SIZE * 1024, 3),
		 RMI_RETURN(RMI_ERROR_RTT, 2));                 /* no L3 table for that 2 MiB */
	CHECK_EQ(res.x[2], IPA + 1 * (1ULL << 30));          /* nothing live after it in L2 */
	CHECK_EQ(tm_map_data(&m, &r, IPA + 5 * PAGE, NULL), RMI_SUCCESS);
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_DESTROY, r.rd, IPA, 3), RMI_RETURN(RMI_ERROR_RTT, 3));
	CHECK_EQ(res.x[2], IPA);                              /* rtt_live */
	/* DATA_DESTROY: an unprotected IPA is an input error */
	CHECK_EQ(SMCR(&m, &res, RMI_DATA_DESTROY, r.rd, NSIPA), RMI_ERROR_INPUT);
	CHECK_EQ(res.x[2], 0);
	/* DATA_DESTROY on a non-ASSIGNED page: top skips to the next live entry */
	CHECK_EQ(SMCR(&m, &res, RMI_DATA_DESTROY, r.rd, IPA), RMI_RETURN(RMI_ERROR_RTT, 3));
	CHECK_EQ(res.x[2], IPA + 5 * PAGE);

	/* RTT_READ_ENTRY outputs by state */
	CHECK_EQ(SMC(&m, RMI_RTT_READ_ENTRY, r.rd, IPA, 0), RMI_ERROR_INPUT);       /* below start */
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_READ_ENTRY, r.rd, IPA + 5 * PAGE, 3), RMI_SUCCESS);
	CHECK_EQ(res.x[2], RMI_ASSIGNED);
	CHECK_EQ(res.x[4], RMI_EMPTY);
	uint64_t pa = res.x[3];
	CHECK(pa != 0);
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_READ_ENTRY, r.rd, NSIPA, 1), RMI_SUCCESS);
	CHECK_EQ(res.x[2], RMI_UNASSIGNED);
	CHECK_EQ(res.x[3], 0);
	CHECK_EQ(res.x[4], RMI_EMPTY);             /* ripas_unprot */

	/* ASSIGNED with RIPAS DESTROYED still gives the address (state_prot):
	 * RAM page destroyed (UNASSIGNED DESTROYED), then a new DATA granule
	 * created there keeps the RIPAS */
	uint64_t pa2 = tm_delegated(&m);
	CHECK_EQ(SMC(&m, RMI_RTT_INIT_RIPAS, r.rd, IPA + 6 * PAGE, IPA + 7 * PAGE), RMI_SUCCESS);
	CHECK_EQ(tm_map_data(&m, &r, IPA + 6 * PAGE, NULL), RMI_SUCCESS);
	CHECK_EQ(SMC(&m, RMI_DATA_DESTROY, r.rd, IPA + 6 * PAGE), RMI_SUCCESS);
	CHECK_EQ(SMC(&m, RMI_DATA_CREATE_UNKNOWN, r.rd, pa2, IPA + 6 * PAGE), RMI_SUCCESS);
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_READ_ENTRY, r.rd, IPA + 6 * PAGE, 3), RMI_SUCCESS);
	CHECK_EQ(res.x[2], RMI_ASSIGNED);
	CHECK_EQ(res.x[3], pa2);
	CHECK_EQ(res.x[4], RMI_DESTROYED);
	tm_check(&m, "after structure commands");
	tm_fini(&m);
}

static void test_unmap_unprotected(void)
{
	struct tmachine m;
	struct trealm r;
	struct smc_res res;
	uint64_t attrs = (0x5ULL << 2) | (3ULL << 6);

	tm_init(&m, RMI_ABI_1_0);
	CHECK_EQ(tm_realm_create(&m, &r, 40, 1), RMI_SUCCESS);
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_UNMAP_UNPROTECTED, r.rd, NSIPA, 1), RMI_ERROR_INPUT); /* level */
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_UNMAP_UNPROTECTED, r.rd, IPA, 3), RMI_ERROR_INPUT);   /* prot */
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_UNMAP_UNPROTECTED, r.rd, NSIPA + 8, 3), RMI_ERROR_INPUT);
	CHECK_EQ(res.x[1], 0);
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_UNMAP_UNPROTECTED, r.rd, NSIPA, 3),
		 RMI_RETURN(RMI_ERROR_RTT, 1));                                          /* rtt_walk */
	CHECK_EQ(res.x[1], 1ULL << 40);             /* nothing live: end of the root table */
	tm_rtt_create_to(&m, &r, NSIPA, 3);
	CHECK_EQ(SMC(&m, RMI_RTT_MAP_UNPROTECTED, r.rd, NSIPA + 3 * PAGE, 3, tm_page(&m) | attrs),
		 RMI_SUCCESS);
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_UNMAP_UNPROTECTED, r.rd, NSIPA, 3),
		 RMI_RETURN(RMI_ERROR_RTT, 3));                                          /* rtte_state */
	CHECK_EQ(res.x[1], NSIPA + 3 * PAGE);                      /* the next live entry */
	CHECK_EQ(SMCR(&m, &res, RMI_RTT_UNMAP_UNPROTECTED, r.rd, NSIPA + 3 * PAGE, 3), RMI_SUCCESS);
	CHECK_EQ(res.x[1], NSIPA + SZ_2M);
	tm_check(&m, "after unmap unprotected");
	tm_fini(&m);
}

/* A host that maps a delegated granule unprotected is not refused (no
 * such failure condition; TF-RMM relies on the GPC), but the realm cannot
 * reach the granule through it: the access faults and the guest takes an
 * SEA (the model's GPC), it does not read Realm memory. */
static void test_unprotected_gpc(void)
{
	struct tmachine m;
	struct trealm r;
	struct rmm_counts c;
	uint64_t attrs = (0x5ULL << 2) | (3ULL << 6);
	struct one_change guest = { .op = { .kind = SIM_GOP_READ, .ipa = NSIPA + 16 } };

	tm_init(&m, RMI_ABI_1_0);
	CHECK_EQ(tm_realm_create(&m, &r, 40, 1), RMI_SUCCESS);
	tm_rtt_create_to(&m, &r, NSIPA, 3);
	uint64_t secret = tm_delegated(&m);
	uint64_t *va = phys_va(m.pm, secret);
	va[2] = 0x5ec7e7;
	CHECK_EQ(SMC(&m, RMI_RTT_MAP_UNPROTECTED, r.rd, NSIPA, 3, secret | attrs), RMI_SUCCESS);
	uint64_t rec = tm_rec_create(&m, &r, 0), run = tm_page(&m);
	CHECK_EQ(rmm_sim_rec_attach_guest(m.rmm, rec, (struct sim_guest){ &oc_ops, &guest }), 0);
	CHECK_EQ(SMC(&m, RMI_REALM_ACTIVATE, r.rd), RMI_SUCCESS);
	CHECK_EQ(SMC(&m, RMI_REC_ENTER, rec, run), RMI_SUCCESS);
	CHECK(guest.done);
	rmm_counts_read(m.rmm, &c);
	CHECK_EQ(c.event[RMM_EV_SEA_INJECTED], 1);
	CHECK_EQ(c.event[RMM_EV_GUEST_ACCESS], 0);
	CHECK_EQ(SMC(&m, RMI_RTT_UNMAP_UNPROTECTED, r.rd, NSIPA, 3), RMI_SUCCESS);
	tm_check(&m, "after unmapping the delegated granule");
	tm_fini(&m);
}

int main(void)
{
	test_set_ripas();
	test_init_ripas();
	test_init_ripas_assigned(RMI_ABI_1_0);
	test_init_ripas_assigned(RMI_ABI_2_0);
	test_structure_commands();
	test_unmap_unprotected();
	test_unprotected_gpc();
	return t_report("rmm_failure_test");
}
