/*
 * REC_ENTER with a scripted guest: data abort exits and their ESR/HPFAR,
 * SEA on EMPTY, emulated MMIO, RIPAS change round trip, host call, IRQ
 * budget, PSCI SYSTEM_OFF.
 */
#include <string.h>

#include "abi/rsi.h"
#include "rmm_test_util.h"

#define IPA 0x40000000ULL

struct script {
	struct sim_gop ops[16];
	unsigned n, pc;
	struct sim_gop_result last;
	unsigned exits, completes;
};

static bool s_peek(void *ctx, struct sim_gop *op)
{
	struct script *s = ctx;

	if (s->pc >= s->n)
		return false;
	*op = s->ops[s->pc];
	return true;
}

static void s_complete(void *ctx, const struct sim_gop_result *res)
{
	struct script *s = ctx;

	s->last = *res;
	s->pc++;
	s->completes++;
}

static void s_exited(void *ctx, unsigned reason)
{
	(void)reason;
	((struct script *)ctx)->exits++;
}

static const struct sim_guest_ops script_ops = { s_peek, s_complete, s_exited };

static struct rmi_rec_run *enter(struct tmachine *m, uint64_t rec, uint64_t run, uint64_t flags,
				 uint64_t gpr0, uint64_t *status)
{
	struct rmi_rec_run *rr = phys_va(m->pm, run);

	rr->entry.flags = flags;
	rr->entry.gprs[0] = gpr0;
	*status = SMC(m, RMI_REC_ENTER, rec, run);
	return rr;
}

int main(void)
{
	struct tmachine m;
	struct trealm r;
	struct script s = { 0 };
	uint64_t st, data;
	uint64_t ns_ipa = (1ULL << 39) + IPA;
	struct rmm_config cfg = { .abi = RMI_ABI_1_0, .guest_ops_per_entry = 4 };

	tm_init_cfg(&m, &cfg);
	CHECK_EQ(tm_realm_create(&m, &r, 40, 1), RMI_SUCCESS);
	uint64_t rec = tm_rec_create(&m, &r, 0);
	CHECK(rec != 0);
	CHECK_EQ(tm_rec_create(&m, &r, 5), 0);                 /* MPIDR out of order */
	uint64_t run = tm_page(&m);
	struct rmi_rec_run *rr;

	rr = enter(&m, rec, run, 0, 0, &st);
	CHECK_EQ(st, RMI_RETURN(RMI_ERROR_REALM, 0));           /* realm NEW */
	tm_rtt_create_to(&m, &r, IPA, 3);
	CHECK_EQ(SMC(&m, RMI_RTT_INIT_RIPAS, r.rd, IPA, IPA + GRANULE_SIZE), RMI_SUCCESS);
	CHECK_EQ(SMC(&m, RMI_REALM_ACTIVATE, r.rd), RMI_SUCCESS);
	CHECK_EQ(SMC(&m, RMI_REC_ENTER, rec, tm_delegated(&m)), RMI_ERROR_INPUT);

	/* no guest: PSCI SYSTEM_OFF at once */
	rr = enter(&m, rec, run, 0, 0, &st);
	CHECK_EQ(st, RMI_SUCCESS);
	CHECK_EQ(rr->exit.exit_reason, RMI_EXIT_PSCI);
	CHECK_EQ(rr->exit.gprs[0], 0x84000008ULL);

	s.ops[s.n++] = (struct sim_gop){ .kind = SIM_GOP_WRITE, .ipa = IPA + 0x18, .value = 0xabcd };
	s.ops[s.n++] = (struct sim_gop){ .kind = SIM_GOP_READ, .ipa = IPA + 0x18 };
	s.ops[s.n++] = (struct sim_gop){ .kind = SIM_GOP_READ, .ipa = IPA + GRANULE_SIZE };  /* EMPTY */
	s.ops[s.n++] = (struct sim_gop){ .kind = SIM_GOP_WRITE, .ipa = ns_ipa + 0x20, .value = 77 };
	s.ops[s.n++] = (struct sim_gop){ .kind = SIM_GOP_READ, .ipa = ns_ipa + 0x28 };
	s.ops[s.n++] = (struct sim_gop){ .kind = SIM_GOP_IPA_STATE_SET, .ipa = IPA + 2 * GRANULE_SIZE,
					 .top = IPA + 4 * GRANULE_SIZE, .ripas = RSI_RAM };
	s.ops[s.n++] = (struct sim_gop){ .kind = SIM_GOP_HOST_CALL };
	s.ops[s.n++] = (struct sim_gop){ .kind = SIM_GOP_READ, .ipa = IPA };
	s.ops[s.n++] = (struct sim_gop){ .kind = SIM_GOP_READ, .ipa = IPA };
	s.ops[s.n++] = (struct sim_gop){ .kind = SIM_GOP_READ, .ipa = IPA };
	s.ops[s.n++] = (struct sim_gop){ .kind = SIM_GOP_READ, .ipa = IPA };
	s.ops[s.n++] = (struct sim_gop){ .kind = SIM_GOP_READ, .ipa = IPA };
	s.ops[s.n++] = (struct sim_gop){ .kind = SIM_GOP_SYSTEM_OFF };
	CHECK_EQ(rmm_sim_rec_attach_guest(m.rmm, rec, (struct sim_guest){ &script_ops, &s }), 0);
	CHECK_EQ(rmm_sim_rec_attach_guest(m.rmm, r.rd, (struct sim_guest){ &script_ops, &s }), -1);

	/* 1: write to unmapped RAM -> protected data abort, no ISV/WnR */
	rr = enter(&m, rec, run, 0, 0, &st);
	CHECK_EQ(st, RMI_SUCCESS);
	CHECK_EQ(rr->exit.exit_reason, RMI_EXIT_SYNC);
	CHECK_EQ(ESR_EC(rr->exit.esr), ESR_EC_DABT_LOW);
	CHECK_EQ(rr->exit.esr & ESR_FSC_MASK, ESR_FSC_TRANS(3));
	CHECK_EQ(rr->exit.esr & (ESR_ISV | ESR_WNR), 0);
	CHECK_EQ(HPFAR_TO_IPA(rr->exit.hpfar), IPA);
	CHECK_EQ(rr->exit.far, 0);
	CHECK_EQ(s.exits, 1);
	/* EMUL_MMIO is only valid after an emulatable abort */
	rr = enter(&m, rec, run, REC_ENTRY_FLAG_EMUL_MMIO, 0, &st);
	CHECK_EQ(st, RMI_ERROR_REC);
	/* host maps the page; the write and read complete, EMPTY read is an SEA,
	 * the unprotected write exits emulatable */
	CHECK_EQ(tm_map_data(&m, &r, IPA, &data), RMI_SUCCESS);
	uint64_t *backing = phys_va(m.pm, data);   /* back it so the store is real */
	rr = enter(&m, rec, run, 0, 0, &st);
	CHECK_EQ(rr->exit.exit_reason, RMI_EXIT_SYNC);
	CHECK_EQ(backing[3], 0xabcd);
	CHECK_EQ(s.pc, 3);
	CHECK_EQ(s.last.outcome, SIM_GOP_SEA);
	CHECK_EQ(rr->exit.esr & (ESR_ISV | ESR_WNR), ESR_ISV | ESR_WNR);
	CHECK_EQ(rr->exit.esr & ESR_FSC_MASK, ESR_FSC_TRANS(1));
	CHECK_EQ(rr->exit.gprs[0], 77);
	CHECK_EQ(rr->exit.far, 0x20);
	CHECK_EQ(HPFAR_TO_IPA(rr->exit.hpfar), ns_ipa);
	/* emulate the write, then the read gets its value from gprs[0] */
	rr = enter(&m, rec, run, REC_ENTRY_FLAG_EMUL_MMIO, 0, &st);
	CHECK_EQ(st, RMI_SUCCESS);
	CHECK_EQ(rr->exit.exit_reason, RMI_EXIT_SYNC);
	CHECK_EQ(rr->exit.esr & ESR_WNR, 0);
	rr = enter(&m, rec, run, REC_ENTRY_FLAG_EMUL_MMIO, 0x55, &st);
	CHECK_EQ(s.last.read_value, 0x55);
	/* RIPAS change exit */
	CHECK_EQ(rr->exit.exit_reason, RMI_EXIT_RIPAS_CHANGE);
	CHECK_EQ(rr->exit.ripas_base, IPA + 2 * GRANULE_SIZE);
	CHECK_EQ(rr->exit.ripas_top, IPA + 4 * GRANULE_SIZE);
	CHECK_EQ(rr->exit.ripas_value, RSI_RAM);
	CHECK_EQ(SMC(&m, RMI_RTT_SET_RIPAS, r.rd, rec, IPA, IPA + 4 * GRANULE_SIZE), RMI_ERROR_INPUT);
	CHECK_EQ(SMC(&m, RMI_RTT_SET_RIPAS, r.rd, rec, IPA + 2 * GRANULE_SIZE, IPA + 3 * GRANULE_SIZE),
		 RMI_SUCCESS);
	rr = enter(&m, rec, run, 0, 0, &st);
	CHECK_EQ(s.last.next_base, IPA + 3 * GRANULE_SIZE);   /* partial progress reported */
	CHECK_EQ(s.last.response, RSI_ACCEPT);
	CHECK_EQ(rr->exit.exit_reason, RMI_EXIT_HOST_CALL);
	/* IRQ budget: 4 ops per entry */
	rr = enter(&m, rec, run, 0, 0, &st);
	CHECK_EQ(rr->exit.exit_reason, RMI_EXIT_IRQ);
	rr = enter(&m, rec, run, 0, 0, &st);
	CHECK_EQ(rr->exit.exit_reason, RMI_EXIT_PSCI);
	rr = enter(&m, rec, run, 0, 0, &st);
	CHECK_EQ(st, RMI_RETURN(RMI_ERROR_REALM, 1));          /* SYSTEM_OFF */

	struct rmm_counts c;
	rmm_counts_read(m.rmm, &c);
	CHECK_EQ(c.event[RMM_EV_SEA_INJECTED], 1);
	CHECK_EQ(c.event[RMM_EV_RSI_IPA_STATE_SET], 1);
	CHECK(c.event[RMM_EV_GUEST_ACCESS] >= 7);
	CHECK_EQ(c.cmd[rmi_command_slot(RMI_REC_ENTER)][RMI_ERROR_REALM], 2);
	tm_check(&m, "after run");
	CHECK_EQ(SMC(&m, RMI_REC_DESTROY, rec), RMI_SUCCESS);
	tm_check(&m, "after rec destroy");
	tm_fini(&m);
	return t_report("rmm_rec_enter_test");
}
