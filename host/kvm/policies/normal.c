/*
 * normal: the normal-VM baseline, the tail of the kernel's user_mem_abort:
 * a permission fault on a mapping of the right size relaxes permissions in
 * place, anything else installs a page or block with kvm_pgtable_stage2_map
 * as a shared (parallel) walker, taking table pages from the memcache.
 */
#include <errno.h>

#include "kvm/policy.h"

static int s2_map(struct kvm_vcpu *vcpu, uint64_t ipa, uint64_t pa, uint64_t size,
		  bool perm_fault, bool write)
{
	struct kvm_pgtable *pgt = vcpu->kvm->pgt;
	enum kvm_pgtable_prot prot = KVM_PGTABLE_PROT_RWX;
	int ret;

	(void)write;
	if (perm_fault)
		ret = kvm_pgtable_stage2_relax_perms(pgt, ipa, prot, KVM_PGTABLE_WALK_SHARED);
	else
		ret = kvm_pgtable_stage2_map(pgt, ipa, size, pa, prot, &vcpu->s2_mc,
					     KVM_PGTABLE_WALK_SHARED);
	kvm_stage_mark(vcpu, STAGE_S2_MAP);
	if (ret == -EAGAIN) {
		/* Another vCPU changed the entry first: the guest retries. */
		vcpu->stats.races++;
		return 0;
	}
	if (ret)
		kvm_set_error("stage-2 map ipa %#llx size %#llx: %d", (unsigned long long)ipa,
			      (unsigned long long)size, ret);
	return ret;
}

const struct kvm_policy policy_normal = {
	.name = "normal",
	.summary = "normal-VM baseline: kvm_pgtable stage-2 map (4K page or 2M block), perms relaxed in place",
	.vm = VM_NORMAL,
	/* kvm_pgtable maps blocks from hugetlbfs and from THP (transparent_
	 * hugepage_adjust). */
	.block_backings = KVM_BLOCKS_FROM_THP | KVM_BLOCKS_FROM_HUGETLB,
	.s2_map = s2_map,
};
