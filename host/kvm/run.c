/*
 * The vCPU run loop and exit handling (kvm_arch_vcpu_ioctl_run and
 * handle_rme_exit of the early CCA host series), with the fault records.
 *
 * A fault's record runs from the guest's exit stamp to the guest's resume
 * stamp: rec_exit is [guest exit, REC_ENTER returned], then the handler's
 * stages, then rec_enter is [REC_ENTER called, guest completed the retried
 * access]. The resume stamp is only known after the next entry returns, so
 * a record is finished at the top of the next iteration.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "kvm/policy.h"
#include "kvm/realm.h"
#include "trace/fault_log.h"

/* ---- fault records ---- */

void kvm_fault_begin(struct kvm_vcpu *vcpu, uint64_t t_back)
{
	struct fault_in_flight *f = &vcpu->fault;
	uint64_t t_exit = vcpu->clock.exit_ts ? vcpu->clock.exit_ts(vcpu->clock.ctx) : 0;

	memset(&f->rec, 0, sizeof(f->rec));
	f->rec.vcpu = vcpu->id;
	f->calls_at_start = vcpu->rmi.calls;
	f->active = true;
	if (t_exit && t_exit >= f->t_enter && t_exit <= t_back) {
		stage_timer_start_at(&f->timer, &f->rec, t_exit);
		stage_add_ticks(&f->timer, STAGE_REC_EXIT, t_exit, t_back);
	} else {
		stage_timer_start_at(&f->timer, &f->rec, t_back);
	}
}

void kvm_fault_discard(struct kvm_vcpu *vcpu)
{
	vcpu->fault.active = false;
}

void kvm_fault_set(struct kvm_vcpu *vcpu, enum fault_kind kind, uint64_t ipa, int level)
{
	vcpu->fault.rec.kind = (uint8_t)kind;
	vcpu->fault.rec.ipa = ipa;
	vcpu->fault.rec.level = (uint8_t)level;
}

/* Close the in-flight record once the entry that resumed the guest is back. */
static void fault_finish(struct kvm_vcpu *vcpu, uint32_t calls_before_entry,
			 uint64_t t_back)
{
	struct fault_in_flight *f = &vcpu->fault;
	uint64_t resume = vcpu->clock.resume_ts ? vcpu->clock.resume_ts(vcpu->clock.ctx) : 0;
	/* If the guest exited again before completing the access, the fault
	 * ends at that exit instead. */
	uint64_t end = resume >= f->t_enter && resume <= t_back ? resume : t_back;

	stage_add_ticks(&f->timer, STAGE_REC_ENTER, f->t_enter, end);
	stage_timer_stop_at(&f->timer, end);
	f->rec.rmi_calls = (uint16_t)(calls_before_entry - f->calls_at_start);
	fault_log_append(vcpu->log, &f->rec);
	f->active = false;
}

/* ---- entering the guest ---- */

static void realm_prepare_entry(struct kvm_vcpu *vcpu)
{
	struct rmi_rec_entry *entry = &vcpu->run->entry;

	/* Reset the emulation flags for this run of the REC. */
	entry->flags = 0;
	if (vcpu->mmio_pending)
		entry->flags |= REC_ENTRY_FLAG_EMUL_MMIO;
	if (vcpu->ripas_pending && vcpu->ripas_reject)
		entry->flags |= REC_ENTRY_FLAG_RIPAS_RESPONSE;
	vcpu->mmio_pending = false;
	vcpu->ripas_pending = false;
}

static int realm_enter(struct kvm_vcpu *vcpu, struct vcpu_exit *ex)
{
	realm_prepare_entry(vcpu);
	uint64_t ret = rmi_rec_enter(&vcpu->rmi, vcpu->rec, vcpu->run_pa);

	if (RMI_RETURN_STATUS(ret) == RMI_ERROR_REALM && RMI_RETURN_INDEX(ret) == 1) {
		/* Another vCPU powered the realm off (PSCI SYSTEM_OFF): as the
		 * seed's handle_rme_exit, this vCPU just stops. */
		ex->reason = RMI_EXIT_PSCI;
		ex->gpr0 = PSCI_0_2_FN_SYSTEM_OFF;
		return 0;
	}
	if (ret != RMI_SUCCESS) {
		kvm_set_error("vcpu %u: REC_ENTER status %u index %u", vcpu->id,
			      RMI_RETURN_STATUS(ret), RMI_RETURN_INDEX(ret));
		return -ENXIO;
	}
	const struct rmi_rec_exit *exit = &vcpu->run->exit;
	ex->reason = (unsigned)exit->exit_reason;
	ex->esr = exit->esr;
	ex->far = exit->far;
	ex->hpfar = exit->hpfar;
	ex->gpr0 = exit->gprs[0];
	ex->ripas_base = exit->ripas_base;
	ex->ripas_top = exit->ripas_top;
	ex->ripas_value = exit->ripas_value;
	return 0;
}

static int vcpu_enter(struct kvm_vcpu *vcpu, struct vcpu_exit *ex, uint64_t *t_back)
{
	struct fault_in_flight *f = &vcpu->fault;
	uint32_t calls = vcpu->rmi.calls;
	int ret;

	/* Host work after the last mark (unlock, bookkeeping) stays
	 * unattributed rather than being charged to rec_enter. */
	if (f->active)
		stage_mark(&f->timer, STAGE_UNATTRIBUTED);
	f->t_enter = stage_clock_now();
	if (vcpu->kvm->cfg.type == VM_REALM)
		ret = realm_enter(vcpu, ex);
	else
		ret = kvm_normal_enter(vcpu, ex);
	*t_back = stage_clock_now();
	if (f->active)
		fault_finish(vcpu, calls, *t_back);
	return ret;
}

/* ---- exits ---- */

static int rec_exit_ripas_change(struct kvm_vcpu *vcpu, const struct vcpu_exit *ex)
{
	struct kvm *kvm = vcpu->kvm;
	uint64_t reached = ex->ripas_base;
	int ret = 0;

	vcpu->stats.ripas_changes++;
	kvm_fault_set(vcpu, FAULT_RIPAS_CHANGE, ex->ripas_base, RTT_MAX_LEVEL);
	/* Top up outside the lock: the change may need RTTs or an unfold. */
	if (kvm_memcache_topup(vcpu, KVM_MEMCACHE_PAGES))
		return -ENOMEM;

	pthread_rwlock_wrlock(&kvm->mmu_lock);
	/* The policy changes RIPAS first and, for EMPTY, then gives the
	 * memory back (the series' realm_set_ipa_state): destroying first
	 * would leave DESTROYED entries the guest never consented to change. */
	ret = kvm->cfg.policy->set_ripas(vcpu, ex->ripas_base, ex->ripas_top,
					 (unsigned)ex->ripas_value, &reached);
	pthread_rwlock_unlock(&kvm->mmu_lock);
	kvm_stage_mark(vcpu, STAGE_SET_RIPAS);

	/* Progress is what RTT_SET_RIPAS recorded in the REC; the guest asks
	 * again for the rest. The host never rejects a change: the series has
	 * no way to yet (it only stops scheduling the vCPU), so a failure to
	 * apply one is a host error, reported as such rather than turned into
	 * a guest-visible rejection. */
	vcpu->ripas_pending = true;
	vcpu->ripas_reject = false;
	if (ret < 0) {
		char msg[200];
		snprintf(msg, sizeof(msg), "%s", kvm_last_error());
		kvm_set_error("vcpu %u: RIPAS change [%#llx, %#llx) -> %s stopped at %#llx: %s",
			      vcpu->id, (unsigned long long)ex->ripas_base,
			      (unsigned long long)ex->ripas_top,
			      ex->ripas_value == RMI_EMPTY ? "EMPTY" : "RAM",
			      (unsigned long long)reached, msg);
		return ret;
	}
	return 1;
}

static int rec_exit_psci(struct kvm_vcpu *vcpu, const struct vcpu_exit *ex)
{
	/* This vCPU is done (CPU_OFF), or the whole VM is (SYSTEM_OFF; the
	 * RMM then refuses to enter the other RECs with ERROR_REALM 1). */
	if (ex->gpr0 == PSCI_0_2_FN_CPU_OFF || ex->gpr0 == PSCI_0_2_FN_SYSTEM_OFF)
		return 0;
	kvm_set_error("vcpu %u: unsupported PSCI call %#llx", vcpu->id,
		      (unsigned long long)ex->gpr0);
	return -ENOSYS;
}

static int handle_exit(struct kvm_vcpu *vcpu, const struct vcpu_exit *ex, uint64_t t_back)
{
	if (ex->reason < sizeof(vcpu->stats.exits) / sizeof(vcpu->stats.exits[0]))
		vcpu->stats.exits[ex->reason]++;

	switch (ex->reason) {
	case RMI_EXIT_SYNC:
		switch (ESR_EC(ex->esr)) {
		case ESR_EC_DABT_LOW:
		case ESR_EC_IABT_LOW:
			kvm_fault_begin(vcpu, t_back);
			kvm_stage_mark(vcpu, STAGE_EXIT_DECODE);
			return kvm_handle_guest_abort(vcpu, ex);
		default:
			kvm_set_error("vcpu %u: unhandled sync exit, ESR %#llx", vcpu->id,
				      (unsigned long long)ex->esr);
			return -ENOSYS;
		}
	case RMI_EXIT_IRQ:
	case RMI_EXIT_FIQ:
	case RMI_EXIT_HOST_CALL:
		return 1;
	case RMI_EXIT_PSCI:
		return rec_exit_psci(vcpu, ex);
	case RMI_EXIT_RIPAS_CHANGE:
		kvm_fault_begin(vcpu, t_back);
		kvm_stage_mark(vcpu, STAGE_EXIT_DECODE);
		return rec_exit_ripas_change(vcpu, ex);
	default:
		kvm_set_error("vcpu %u: unsupported exit reason %u", vcpu->id, ex->reason);
		return -ENOSYS;
	}
}

int kvm_vcpu_run(struct kvm_vcpu *vcpu)
{
	int ret = 1;

	while (ret > 0) {
		struct vcpu_exit ex = { 0 };
		uint64_t t_back;

		ret = vcpu_enter(vcpu, &ex, &t_back);
		if (ret == 0)
			ret = handle_exit(vcpu, &ex, t_back);
		if (ret < 0)
			kvm_fault_discard(vcpu);
	}
	return ret;
}
