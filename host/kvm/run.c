/*
 * The vCPU run loop and exit handling (kvm_arch_vcpu_ioctl_run and
 * handle_rme_exit of the early CCA host series). Fault records are opened
 * and finished here (fault_record.c says what a record spans); stage-2
 * aborts go to mmu.c.
 */
#include <errno.h>
#include <stdio.h>

#include "internal.h"
#include "kvm/policy.h"
#include "kvm/realm.h"
#include "clock/fault_log.h"

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
	uint64_t weight = vcpu->rmi.weight;
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
		kvm_fault_finish(vcpu, calls, weight, *t_back);
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
