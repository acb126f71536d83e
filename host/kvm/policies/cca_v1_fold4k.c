/*
 * cca-v1-fold4k: an EXAMPLE host patch, not from any published series:
 * cca-v1, plus "fold a region's level-3 RTT once 4 KiB faults have filled
 * it". It shows the one-file path of docs/sim-backend.md and gives the
 * `fold` pattern something to measure against cca-v1.
 *
 * Per protected 4 KiB fault: exactly cca-v1's; then, when the faulting
 * granule is the last one of its 2 MiB region, one RTT_FOLD of the
 * region's level-3 table (a cheap heuristic for address-order fills: a
 * host patch would track mapped granules per table instead). A fold the
 * RMM refuses (table not full, RIPAS mixed) costs that one call and is
 * otherwise ignored. 2 MiB faults, unprotected faults and RIPAS changes
 * are cca-v1's.
 */
#include "kvm/policy.h"
#include "kvm/realm.h"

static int map_protected(struct kvm_vcpu *vcpu, uint64_t ipa, uint64_t pa, uint64_t size)
{
	int ret = policy_cca_v1.map_protected(vcpu, ipa, pa, size);
	uint64_t last = KVM_PAGE_2M - GRANULE_SIZE;

	if (ret || size != GRANULE_SIZE || (ipa & (KVM_PAGE_2M - 1)) != last)
		return ret;
	/* The table may not be full (a random order, a hole): not an error;
	 * the refused RTT_FOLD shows in the counts. */
	realm_fold_rtt(vcpu, ipa);
	return 0;
}

static int map_unprotected(struct kvm_vcpu *vcpu, uint64_t ipa, uint64_t pa, uint64_t size)
{
	return policy_cca_v1.map_unprotected(vcpu, ipa, pa, size);
}

static int set_ripas(struct kvm_vcpu *vcpu, uint64_t base, uint64_t top, unsigned ripas,
		     uint64_t *reached)
{
	return policy_cca_v1.set_ripas(vcpu, base, top, ripas, reached);
}

const struct kvm_policy policy_cca_v1_fold4k = {
	.name = "cca-v1-fold4k",
	.summary = "EXAMPLE patch: cca-v1 + RTT_FOLD when a 4K fault completes a 2 MiB region",
	.vm = VM_REALM,
	.abi = RMI_ABI_1_0,
	.block_backings = KVM_BLOCKS_FROM_HUGETLB, /* as cca-v1 */
	.spare_rtt_page = true,
	.map_protected = map_protected,
	.map_unprotected = map_unprotected,
	.set_ripas = set_ripas,
};
