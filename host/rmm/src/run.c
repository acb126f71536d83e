/*
 * REC_ENTER: the realm side of the simulator.
 *
 * Entry applies the host's answer to the previous exit (emulated MMIO
 * read value, injected SEA, RIPAS change response), then runs the REC's
 * guest program (abi/sim_guest.h) until it needs the host:
 *   READ/WRITE at a mapped IPA     -> real load/store when the PA is backed
 *   protected IPA with RIPAS EMPTY -> SEA taken by the guest, no exit
 *   any other unmapped IPA         -> data abort exit (RMI_EXIT_SYNC)
 *   IPA_STATE_SET                  -> RIPAS_CHANGE exit (after RSI checks)
 *   HOST_CALL                      -> HOST_CALL exit
 *   SYSTEM_OFF                     -> PSCI exit, the realm is SYSTEM_OFF
 *   CPU_OFF                        -> PSCI exit, the REC is not runnable
 *   end of program / no program    -> PSCI exit with SYSTEM_OFF in gprs[0]
 *                                     (the REC is done; the realm is not
 *                                     turned off, so other RECs go on)
 * and after cfg.guest_ops_per_entry operations without an exit the REC
 * exits with RMI_EXIT_IRQ, as a timer interrupt would on hardware.
 *
 * ESR/FAR/HPFAR follow TF-RMM: a protected-IPA abort reports EC and FSC
 * only (no ISV, no WnR, FAR = 0); an unprotected one is emulatable and adds
 * ISV, SAS, SF and WnR, FAR[11:0], and the written value in gprs[0].
 */
#include <string.h>

#include "abi/rsi.h"
#include "phys/phys.h"
#include "rmm_internal.h"

#define ESR_SAS_64   (3ULL << 22)
#define ESR_SF       (1ULL << 15)

enum access_result {
	ACCESS_DONE,
	ACCESS_SEA,
	ACCESS_EXIT,
};

struct exit_info {
	uint64_t esr, far, hpfar, gpr0;
};

static uint64_t *word_at(struct rmm *rmm, uint64_t pa)
{
	char *page = phys_va_if_backed(rmm->dram, pa & ~(GRANULE_SIZE - 1));

	return page ? (uint64_t *)(page + (pa & (GRANULE_SIZE - 8))) : NULL;
}

/* The load or store itself; relaxed atomics because vCPUs of one realm
 * may touch the same word at once, as real guests do. */
static uint64_t do_access(struct rmm *rmm, uint64_t pa, const struct sim_gop *op)
{
	uint64_t *word = word_at(rmm, pa);

	if (!word)
		return 0;   /* unbacked page: reads as zero, writes vanish */
	if (op->kind == SIM_GOP_WRITE) {
		__atomic_store_n(word, op->value, __ATOMIC_RELAXED);
		return 0;
	}
	return __atomic_load_n(word, __ATOMIC_RELAXED);
}

static void data_abort(uint64_t ipa, int level, bool emulatable, const struct sim_gop *op,
		       struct exit_info *ex)
{
	bool write = op->kind == SIM_GOP_WRITE;

	ex->esr = ((uint64_t)ESR_EC_DABT_LOW << ESR_EC_SHIFT) | ESR_FSC_TRANS(level);
	ex->far = 0;
	ex->hpfar = IPA_TO_HPFAR(ipa);
	ex->gpr0 = 0;
	if (emulatable) {
		ex->esr |= ESR_ISV | ESR_SAS_64 | ESR_SF | (write ? ESR_WNR : 0);
		ex->far = ipa & (GRANULE_SIZE - 1);
		ex->gpr0 = write ? op->value : 0;
	}
}

/* The stage-2 MMU: translate and access, or say why not. */
static enum access_result guest_access(struct rmm *rmm, struct rec *rec, const struct sim_gop *op,
				       uint64_t *read_value, struct exit_info *ex)
{
	const struct realm *rd = rec->realm;
	uint64_t ipa = op->ipa;
	struct rtt_walk wi;

	if (ipa >= realm_ipa_size(rd))
		return ACCESS_SEA;   /* address size fault, taken by the guest */
	rtt_walk_lock_unlock(rmm, rd, ipa, S2TT_PAGE_LEVEL, &wi);
	uint64_t s = wi.table[wi.index];
	int level = wi.last_level;
	granule_unlock(wi.g_llt);

	uint64_t offset = ipa & (s2tte_map_size(level) - 1);
	if (addr_in_par(rd, ipa)) {
		if (s2tte_is_assigned_ram(s, level)) {
			*read_value = do_access(rmm, s2tte_pa(s, level) + offset, op);
			return ACCESS_DONE;
		}
		if (s2tte_get_ripas(s, level) == RMI_EMPTY)
			return ACCESS_SEA;
		data_abort(ipa, level, false, op, ex);
		rec->emulatable_abort = false;
		return ACCESS_EXIT;
	}
	if (s2tte_is_assigned_ns(s, level)) {
		uint64_t pa = s2tte_pa(s, level) + offset;

		/* A host that mapped Realm-PAS memory unprotected gets no
		 * access through it: the GPC faults the NS access, which the
		 * model reports to the realm as an SEA. */
		if (!granule_range_is_ns(rmm, pa & ~(GRANULE_SIZE - 1), GRANULE_SIZE))
			return ACCESS_SEA;
		*read_value = do_access(rmm, pa, op);
		return ACCESS_DONE;
	}
	data_abort(ipa, level, true, op, ex);
	rec->emulatable_abort = true;
	return ACCESS_EXIT;
}

static void guest_complete(struct rec *rec, enum sim_gop_outcome outcome, uint64_t read_value)
{
	struct sim_gop_result r = { .outcome = outcome, .read_value = read_value };

	rec->guest.ops->complete(rec->guest.ctx, &r);
}

/* Apply the host's answer to the exit the REC is waiting on. */
static void rec_apply_entry(struct rec *rec, const struct rmi_rec_entry *entry)
{
	enum rec_pending pending = rec->pending;

	rec->pending = REC_PENDING_NONE;
	if (!rec->has_guest)
		return;
	switch (pending) {
	case REC_PENDING_DATA_ABORT:
		if (entry->flags & REC_ENTRY_FLAG_INJECT_SEA)
			guest_complete(rec, SIM_GOP_SEA, 0);
		else if ((entry->flags & REC_ENTRY_FLAG_EMUL_MMIO) && rec->emulatable_abort)
			guest_complete(rec, SIM_GOP_DONE, rec->abort_is_write ? 0 : entry->gprs[0]);
		/* otherwise the guest retries the access */
		break;
	case REC_PENDING_RIPAS_CHANGE: {
		struct sim_gop_result r = {
			.outcome = SIM_GOP_DONE,
			.rsi_status = RSI_SUCCESS,
			.next_base = rec->set_ripas.addr,
			.response = (entry->flags & REC_ENTRY_FLAG_RIPAS_RESPONSE) ? RSI_REJECT : RSI_ACCEPT,
		};
		rec->guest.ops->complete(rec->guest.ctx, &r);
		break;
	}
	case REC_PENDING_HOST_CALL:
		guest_complete(rec, SIM_GOP_DONE, 0);
		break;
	case REC_PENDING_NONE:
		break;
	}
	rec->emulatable_abort = false;
}

/* RSI_IPA_STATE_SET input checks (RSI 1.0): an aligned, non-empty range
 * of the protected IPA space, and RIPAS EMPTY or RAM. */
static bool rsi_ipa_state_set_is_valid(const struct realm *rd, const struct sim_gop *op)
{
	return !(op->ipa & (GRANULE_SIZE - 1)) && !(op->top & (GRANULE_SIZE - 1)) &&
	       op->top > op->ipa && op->top <= (1ULL << (rd->ipa_bits - 1)) &&
	       (op->ripas == RSI_EMPTY || op->ripas == RSI_RAM) &&
	       !(op->flags & ~RSI_CHANGE_DESTROYED);
}

struct run_ctx {
	struct rmm *rmm;
	struct rec *rec;
	struct rmi_rec_exit *exit;
};

static void exit_to_host(struct run_ctx *c, uint64_t reason, bool op_exited)
{
	c->exit->exit_reason = reason;
	if (op_exited)
		c->rec->guest.ops->exited(c->rec->guest.ctx, (unsigned)reason);
}

static void exit_psci_system_off(struct run_ctx *c, bool op_exited)
{
	c->exit->gprs[0] = PSCI_SYSTEM_OFF_FID;
	exit_to_host(c, RMI_EXIT_PSCI, op_exited);
}

/* Run guest operations until one needs the host; fills c->exit. */
static void rec_run_guest(struct run_ctx *c)
{
	struct rec *rec = c->rec;
	unsigned budget = c->rmm->cfg.guest_ops_per_entry;
	unsigned executed = 0;
	struct sim_gop op;

	if (!rec->has_guest || rec->finished || !rec->guest.ops->peek(rec->guest.ctx, &op)) {
		rec->finished = true;
		exit_psci_system_off(c, false);
		return;
	}
	for (;; executed++) {
		if (executed && !rec->guest.ops->peek(rec->guest.ctx, &op)) {
			rec->finished = true;
			exit_psci_system_off(c, false);
			return;
		}
		if (executed >= budget) {
			exit_to_host(c, RMI_EXIT_IRQ, false);
			return;
		}
		switch (op.kind) {
		case SIM_GOP_READ:
		case SIM_GOP_WRITE: {
			struct exit_info ex;
			uint64_t value = 0;

			switch (guest_access(c->rmm, rec, &op, &value, &ex)) {
			case ACCESS_DONE:
				rmm_count_event(c->rmm, RMM_EV_GUEST_ACCESS);
				guest_complete(rec, SIM_GOP_DONE, value);
				continue;
			case ACCESS_SEA:
				rmm_count_event(c->rmm, RMM_EV_SEA_INJECTED);
				guest_complete(rec, SIM_GOP_SEA, 0);
				continue;
			case ACCESS_EXIT:
				c->exit->esr = ex.esr;
				c->exit->far = ex.far;
				c->exit->hpfar = ex.hpfar;
				c->exit->gprs[0] = ex.gpr0;
				rec->pending = REC_PENDING_DATA_ABORT;
				rec->abort_is_write = op.kind == SIM_GOP_WRITE;
				exit_to_host(c, RMI_EXIT_SYNC, true);
				return;
			}
			continue;
		}
		case SIM_GOP_IPA_STATE_SET:
			rmm_count_event(c->rmm, RMM_EV_RSI_IPA_STATE_SET);
			if (!rsi_ipa_state_set_is_valid(rec->realm, &op)) {
				struct sim_gop_result r = { .outcome = SIM_GOP_RSI_ERROR,
							    .rsi_status = RSI_ERROR_INPUT,
							    .next_base = op.ipa };
				rec->guest.ops->complete(rec->guest.ctx, &r);
				continue;
			}
			rec->set_ripas.base = rec->set_ripas.addr = op.ipa;
			rec->set_ripas.top = op.top;
			rec->set_ripas.ripas = op.ripas;
			rec->set_ripas.change_destroyed = op.flags & RSI_CHANGE_DESTROYED;
			rec->pending = REC_PENDING_RIPAS_CHANGE;
			c->exit->ripas_base = op.ipa;
			c->exit->ripas_top = op.top;
			c->exit->ripas_value = op.ripas;
			exit_to_host(c, RMI_EXIT_RIPAS_CHANGE, true);
			return;
		case SIM_GOP_HOST_CALL:
			rec->pending = REC_PENDING_HOST_CALL;
			exit_to_host(c, RMI_EXIT_HOST_CALL, true);
			return;
		case SIM_GOP_SYSTEM_OFF:
			atomic_store_explicit(&rec->realm->state, REALM_SYSTEM_OFF, memory_order_release);
			rec->finished = true;
			exit_psci_system_off(c, true);
			return;
		case SIM_GOP_CPU_OFF:
			/* The RMM handles CPU_OFF: the REC stops being runnable
			 * and the host is told with a PSCI exit. */
			rec->runnable = false;
			rec->finished = true;
			c->exit->gprs[0] = PSCI_CPU_OFF_FID;
			exit_to_host(c, RMI_EXIT_PSCI, true);
			return;
		}
		/* an operation kind this model does not know: end the program */
		rec->finished = true;
		exit_psci_system_off(c, false);
		return;
	}
}

void smc_rec_enter(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	uint64_t rec_addr = args->x[0], run_addr = args->x[1];
	struct granule *g_rec = granule_find_lock(rmm, rec_addr, GRANULE_STATE_REC);
	struct rmi_rec_run *run;
	struct rec *rec;
	uint64_t status = RMI_SUCCESS;

	if (!g_rec) {
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	rec = g_rec->obj;
	run = ns_granule_va(rmm, run_addr);
	if (!run)
		status = RMI_ERROR_INPUT;
	else if (realm_state(rec->realm) == REALM_NEW)
		status = rmi_status(RMI_ERROR_REALM, 0);
	else if (realm_state(rec->realm) == REALM_SYSTEM_OFF)
		status = rmi_status(RMI_ERROR_REALM, 1);
	else if (realm_state(rec->realm) == REALM_TERMINATED)
		status = rmi_status(RMI_ERROR_REALM, 0);
	else if (!rec->runnable)
		status = RMI_ERROR_REC;
	else if (granule_refcount(g_rec) != 0)
		status = RMI_ERROR_REC;   /* running on another CPU */
	else if ((run->entry.flags & REC_ENTRY_FLAG_EMUL_MMIO) &&
		 !(rec->pending == REC_PENDING_DATA_ABORT && rec->emulatable_abort))
		status = RMI_ERROR_REC;
	if (status != RMI_SUCCESS) {
		granule_unlock(g_rec);
		res->x[0] = status;
		return;
	}
	/* The REC is ours until the exit: a reference marks it running. */
	granule_get(g_rec);
	granule_unlock(g_rec);

	struct rmi_rec_entry entry;
	static const struct rmi_rec_exit zero_exit;
	struct rmi_rec_exit ex = zero_exit;
	struct run_ctx c = { .rmm = rmm, .rec = rec, .exit = &ex };

	memcpy(&entry, &run->entry, sizeof(entry));
	rec_apply_entry(rec, &entry);
	rec_run_guest(&c);
	memcpy(&run->exit, &ex, sizeof(ex));

	granule_put(g_rec);
	res->x[0] = RMI_SUCCESS;
}

int rmm_sim_rec_attach_guest(struct rmm *rmm, uint64_t rec_pa, struct sim_guest guest)
{
	struct granule *g_rec = granule_find_lock(rmm, rec_pa, GRANULE_STATE_REC);
	struct rec *rec;
	int ret = -1;

	if (!g_rec)
		return -1;
	rec = g_rec->obj;
	if (granule_refcount(g_rec) == 0 && guest.ops && guest.ops->peek && guest.ops->complete &&
	    guest.ops->exited) {
		rec->guest = guest;
		rec->has_guest = true;
		rec->finished = false;
		rec->pending = REC_PENDING_NONE;
		ret = 0;
	}
	granule_unlock(g_rec);
	return ret;
}
