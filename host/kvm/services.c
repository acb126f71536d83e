/*
 * What every file of the fault path uses from the VM: the per-thread error
 * message, the IPA space (protected range vs the unprotected alias), a
 * vCPU's memcache of host pages, and stage marks. It calls nothing else of
 * host/kvm, so the lifecycle (vm.c), the run loop (run.c), the abort
 * handler (mmu.c) and the realm and normal paths all sit on it without a
 * circle.
 */
#include "kvm/kvm.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"
#include "phys/phys.h"

static _Thread_local char last_error[256];

const char *kvm_last_error(void)
{
	return last_error[0] ? last_error : "unknown error";
}

void kvm_set_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
}

uint64_t kvm_unprotected_bit(const struct kvm *kvm)
{
	return kvm->cfg.type == VM_REALM ? 1ULL << (kvm->realm.ia_bits - 1) : 0;
}

bool kvm_ipa_is_protected(const struct kvm *kvm, uint64_t ipa)
{
	/* The seed's realm_is_addr_protected(): below the top IPA bit. */
	return kvm->cfg.type == VM_REALM && !(ipa & ~(kvm_unprotected_bit(kvm) - 1));
}

/* ---- memcache ---- */

uint64_t kvm_memcache_take(struct kvm_vcpu *vcpu)
{
	struct kvm_memcache *mc = &vcpu->memcache;
	return mc->nr ? mc->pages[--mc->nr] : PHYS_NONE;
}

void kvm_memcache_return(struct kvm_vcpu *vcpu, uint64_t pa)
{
	struct kvm_memcache *mc = &vcpu->memcache;
	if (mc->nr < KVM_MEMCACHE_PAGES)
		mc->pages[mc->nr++] = pa;
	else
		phys_free(vcpu->kvm->dram, pa, 1);
}

int kvm_memcache_topup(struct kvm_vcpu *vcpu, unsigned min)
{
	struct kvm_memcache *mc = &vcpu->memcache;

	if (min > KVM_MEMCACHE_PAGES)
		min = KVM_MEMCACHE_PAGES;
	while (mc->nr < min) {
		uint64_t pa = phys_alloc(vcpu->kvm->dram, 1, PHYS_PAGE_SIZE);
		if (pa == PHYS_NONE) {
			kvm_set_error("modeled DRAM exhausted (memcache top-up)");
			return -ENOMEM;
		}
		mc->pages[mc->nr++] = pa;
	}
	return 0;
}

void kvm_memcache_free(struct kvm_vcpu *vcpu)
{
	while (vcpu->memcache.nr)
		phys_free(vcpu->kvm->dram, vcpu->memcache.pages[--vcpu->memcache.nr], 1);
}

void kvm_stage_mark(struct kvm_vcpu *vcpu, enum stage stage)
{
	if (vcpu->fault.active)
		stage_mark(&vcpu->fault.timer, stage);
}
