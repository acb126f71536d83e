/*
 * Normal VM in the simulator: its stage-2 tables (host/kvm/pgtable) and
 * the "hardware" that runs the guest program on them. This is the
 * counterpart of REC_ENTER for a VM without an RMM: the guest's accesses
 * are translated by the MMU walk, and a translation or permission fault
 * becomes the data abort exit KVM would take, with ESR and HPFAR filled as
 * the architecture does.
 */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"
#include "kvm/policy.h"
#include "phys/phys.h"

int kvm_normal_stage2_init(struct kvm *kvm, unsigned ia_bits)
{
	kvm->pgt = calloc(1, sizeof(*kvm->pgt));
	if (!kvm->pgt)
		return -ENOMEM;
	kvm_pgtable_host_mm_ops_init(&kvm->s2_mm_ops, &kvm->s2_mem);
	int ret = kvm_pgtable_stage2_init(kvm->pgt, ia_bits, &kvm->s2_mm_ops);
	if (ret) {
		free(kvm->pgt);
		kvm->pgt = NULL;
		kvm_set_error("stage-2 init for %u IPA bits failed (%d)", ia_bits, ret);
	}
	return ret;
}

void kvm_normal_stage2_destroy(struct kvm *kvm)
{
	if (!kvm->pgt)
		return;
	kvm_pgtable_stage2_destroy(kvm->pgt);
	free(kvm->pgt);
	kvm->pgt = NULL;
}

int kvm_normal_topup(struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = vcpu->kvm;
	int ret = kvm_mmu_topup_memcache(&vcpu->s2_mc, &kvm->s2_mm_ops,
					 kvm_mmu_cache_min_pages(kvm->pgt));
	if (ret)
		kvm_set_error("stage-2 memcache top-up failed (%d)", ret);
	return ret;
}

void kvm_normal_vcpu_release(struct kvm_vcpu *vcpu)
{
	kvm_mmu_free_memcache(&vcpu->s2_mc, &vcpu->kvm->s2_mm_ops);
}

/* Perform an access the MMU allowed, on the real backing page. vCPUs may
 * touch the same word at once (overlap runs): a single-copy-atomic access,
 * as an aligned 64-bit load/store is on the hardware, so relaxed atomics. */
static uint64_t do_access(struct kvm *kvm, const struct sim_gop *op, uint64_t pa)
{
	uint64_t *p = phys_va_if_backed(kvm->dram, pa & ~7ULL);

	if (!p)
		return 0;
	if (op->kind == SIM_GOP_WRITE) {
		__atomic_store_n(p, op->value, __ATOMIC_RELAXED);
		return 0;
	}
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void abort_exit(struct vcpu_exit *ex, uint64_t ipa, bool write, int level, bool perm)
{
	ex->reason = RMI_EXIT_SYNC;
	ex->esr = ((uint64_t)ESR_EC_DABT_LOW << ESR_EC_SHIFT) | (write ? ESR_WNR : 0) |
		  (uint64_t)(perm ? ESR_FSC_PERM(level) : ESR_FSC_TRANS(level));
	ex->hpfar = IPA_TO_HPFAR(ipa);
	ex->far = ipa; /* identity stage 1 in the payloads */
}

int kvm_normal_enter(struct kvm_vcpu *vcpu, struct vcpu_exit *ex)
{
	const struct sim_guest *g = &vcpu->guest;
	struct kvm *kvm = vcpu->kvm;
	struct sim_gop op;

	while (g->ops->peek(g->ctx, &op)) {
		struct sim_gop_result res = { .outcome = SIM_GOP_DONE };
		uint64_t pa;
		int level;
		bool perm, write = op.kind == SIM_GOP_WRITE;

		switch (op.kind) {
		case SIM_GOP_READ:
		case SIM_GOP_WRITE:
			if (kvm_pgtable_hw_translate(kvm->pgt, op.ipa, write, &pa, &level,
						     &perm)) {
				g->ops->exited(g->ctx, RMI_EXIT_SYNC);
				abort_exit(ex, op.ipa, write, level, perm);
				return 0;
			}
			res.read_value = do_access(kvm, &op, pa);
			break;
		case SIM_GOP_IPA_STATE_SET:
			/* No RSI outside a realm: the call is an error. */
			res.outcome = SIM_GOP_RSI_ERROR;
			res.rsi_status = 1;
			break;
		case SIM_GOP_HOST_CALL:
			g->ops->exited(g->ctx, RMI_EXIT_HOST_CALL);
			g->ops->complete(g->ctx, &res);
			ex->reason = RMI_EXIT_HOST_CALL;
			return 0;
		case SIM_GOP_SYSTEM_OFF:
		case SIM_GOP_CPU_OFF:
			g->ops->exited(g->ctx, RMI_EXIT_PSCI);
			ex->reason = RMI_EXIT_PSCI;
			ex->gpr0 = op.kind == SIM_GOP_CPU_OFF ? PSCI_0_2_FN_CPU_OFF
							    : PSCI_0_2_FN_SYSTEM_OFF;
			return 0;
		}
		g->ops->complete(g->ctx, &res);
	}
	/* The program ran out without powering off: the vCPU stops. */
	ex->reason = RMI_EXIT_PSCI;
	ex->gpr0 = PSCI_0_2_FN_CPU_OFF;
	return 0;
}
