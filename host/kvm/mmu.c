/*
 * Stage-2 abort handling: the path from a data abort exit to a policy's
 * map hook (kvm_handle_guest_abort -> user_mem_abort in the kernel).
 */
#include <errno.h>
#include <sys/mman.h>

#include "internal.h"
#include "kvm/policy.h"
#include "phys/phys.h"

/* The RAM memslot holding gpa, or NULL (then the access is MMIO). */
static struct kvm_memslot *memslot_lookup(struct kvm *kvm, uint64_t gpa)
{
	struct kvm_memslot *slot = &kvm->ram;
	return gpa >= slot->gpa && gpa - slot->gpa < slot->size ? slot : NULL;
}

/* Largest mapping the backing and the policy allow at gpa (the kernel's
 * vma_pagesize, reduced when the block would cross the memslot). */
static uint64_t mapping_size(const struct kvm_memslot *slot, uint64_t gpa)
{
	if (slot->map_limit != KVM_PAGE_2M)
		return KVM_PAGE_4K;
	uint64_t block = gpa & ~(KVM_PAGE_2M - 1);
	if (block < slot->gpa || block + KVM_PAGE_2M > slot->gpa + slot->size)
		return KVM_PAGE_4K;
	return KVM_PAGE_2M;
}

/*
 * Pin the host pages behind a fault, as get_user_pages(FOLL_WRITE) does.
 *
 * Resident memory (prefaulted, the default): nothing to fault in, and the
 * model does nothing. The kernel's pin of a resident page (gup-fast: a
 * page-table walk and a reference, the same in a realm and a normal VM) is
 * not modeled; what used to stand in for it, a MADV_POPULATE_WRITE
 * syscall, cost this host 1.5-2 us per fault, 70 % of a 4 KiB fault, and
 * its run-to-run spread was larger than the realm's whole extra work, so
 * it decided realm/normal comparisons by noise (docs/sim-backend.md).
 *
 * Fresh memory (--prefault off): MADV_POPULATE_WRITE faults in what is
 * missing without reading or writing the pages' contents. That matters:
 * another vCPU's RMM call may be scrubbing the same (delegated) granule
 * right now, and on hardware the host could not touch it at all. Kernels
 * before 5.14 lack it; there a touch per page (an atomic add of zero) is
 * the fallback, which is a write access to the contents.
 */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
static void pin_host_pages(struct kvm_vcpu *vcpu, const struct kvm_memslot *slot,
			   uint64_t gpa, uint64_t size)
{
	if (slot->resident)
		return;
	vcpu->stats.host_page_ins++;
	uint8_t *hva = kvm_memslot_hva(slot, gpa);
	uint64_t step = size == KVM_PAGE_2M && slot->thp ? KVM_PAGE_2M : KVM_PAGE_4K;

	if (madvise(hva, size, MADV_POPULATE_WRITE) == 0)
		return;
	for (uint64_t off = 0; off < size; off += step)
		__atomic_fetch_add((volatile uint8_t *)(hva + off), 0, __ATOMIC_RELAXED);
}

/* Pages a map may need from the memcache: one per missing RTT level. */
#define FAULT_MEMCACHE_PAGES 4

static int user_mem_abort(struct kvm_vcpu *vcpu, struct kvm_memslot *slot,
			  uint64_t ipa, uint64_t gpa, bool write, bool perm)
{
	struct kvm *kvm = vcpu->kvm;
	const struct kvm_policy *pol = kvm->cfg.policy;
	uint64_t size = mapping_size(slot, gpa);
	uint64_t alias = ipa & kvm_unprotected_bit(kvm);
	int ret;

	uint64_t fault_gpa = gpa;
	gpa &= ~(size - 1);
	pin_host_pages(vcpu, slot, gpa, size);
	uint64_t pa = slot->pa + (gpa - slot->gpa);
	kvm_stage_mark(vcpu, STAGE_PAGE_PIN);

	/* Top up outside the lock, like kvm_mmu_topup_memory_cache(). */
	ret = kvm->cfg.type == VM_NORMAL ? kvm_normal_topup(vcpu) :
					   kvm_memcache_topup(vcpu, FAULT_MEMCACHE_PAGES);
	if (ret)
		return ret;

	bool protected = kvm_ipa_is_protected(kvm, ipa);
	enum fault_kind kind = kvm->cfg.type == VM_NORMAL ?
		(perm ? FAULT_PERM : FAULT_NORMAL) :
		(protected ? FAULT_PROTECTED : FAULT_UNPROTECTED);
	kvm_fault_set(vcpu, kind, gpa | alias, size == KVM_PAGE_2M ? 2 : 3);

	pthread_rwlock_rdlock(&kvm->mmu_lock);
	if (kvm->cfg.type == VM_NORMAL)
		ret = pol->s2_map(vcpu, gpa, pa, size, perm, write);
	else if (protected) {
		ret = pol->map_protected(vcpu, gpa, pa, size);
		if (ret == -E2BIG && size > KVM_PAGE_4K) {
			/* A split block: map the faulting page alone. */
			uint64_t page = fault_gpa & ~(KVM_PAGE_4K - 1);
			kvm_fault_set(vcpu, kind, page, 3);
			ret = pol->map_protected(vcpu, page, slot->pa + (page - slot->gpa),
						 KVM_PAGE_4K);
		}
	}
	else
		ret = pol->map_unprotected(vcpu, gpa | alias, pa, size);
	pthread_rwlock_unlock(&kvm->mmu_lock);
	return ret;
}

/* An access outside RAM: emulate it as MMIO that reads zero and drops
 * writes (the payloads only use it to report). Not a stage-2 fault. */
static int handle_mmio(struct kvm_vcpu *vcpu, const struct vcpu_exit *ex)
{
	vcpu->stats.mmio++;
	kvm_fault_discard(vcpu);
	if (!(ex->esr & ESR_ISV)) {
		kvm_set_error("vcpu %u: abort at IPA %#llx outside RAM without syndrome",
			      vcpu->id, (unsigned long long)HPFAR_TO_IPA(ex->hpfar));
		return -EFAULT;
	}
	vcpu->mmio_pending = true;
	return 1;
}

int kvm_handle_guest_abort(struct kvm_vcpu *vcpu, const struct vcpu_exit *ex)
{
	struct kvm *kvm = vcpu->kvm;
	uint64_t fsc = ex->esr & ESR_FSC_MASK;
	bool write = ex->esr & ESR_WNR;
	bool perm = fsc >= ESR_FSC_PERM(0) && fsc <= ESR_FSC_PERM(3);
	uint64_t ipa = HPFAR_TO_IPA(ex->hpfar);
	/* The unprotected alias is "stolen" from the GPA, as kvm_gpa_stolen_bits. */
	uint64_t gpa = ipa & ~kvm_unprotected_bit(kvm);
	kvm_stage_mark(vcpu, STAGE_ABORT_DISPATCH);

	struct kvm_memslot *slot = memslot_lookup(kvm, gpa);
	kvm_stage_mark(vcpu, STAGE_MEMSLOT_LOOKUP);
	if (!slot)
		return handle_mmio(vcpu, ex);

	int ret = user_mem_abort(vcpu, slot, ipa, gpa, write, perm);
	if (ret < 0) {
		vcpu->stats.errors++;
		return ret;
	}
	vcpu->stats.faults++;
	return 1;
}
