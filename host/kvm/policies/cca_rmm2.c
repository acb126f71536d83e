/*
 * cca-rmm2: the newest public CCA host series on the RMM 2.0 range
 * interface (arch/arm64/kvm/rmi.c and arch/arm64/kernel/rmi.c of the 2026
 * series, read through the library's look-up tools; the code is ours).
 *
 * Per protected fault of size S (4 KiB, or 2 MiB on 2 MiB backing):
 *   1. rmi_delegate_range(): GRANULE_RANGE_DELEGATE [pa, pa + S), looping
 *      while it makes progress. No progress at all: another vCPU raced on
 *      the same fault; return and let the guest retry. Partial progress:
 *      map only what was delegated.
 *   2. RTT_DATA_MAP [ipa, ipa + S) with one SINGLE range descriptor (the
 *      RMM zeroes the granules), looping on out_top; on RMI_ERROR_RTT at
 *      level L create the one RTT at L + 1 (delegated from the memcache)
 *      and retry. A 2 MiB fault is mapped directly as a level-2 block:
 *      no level-3 table, no RTT_FOLD.
 *   3. On failure: unmap what was mapped (RTT_DATA_UNMAP) and undelegate.
 * Unprotected faults: RTT_UNPROT_MAP over the range; on ERROR_RTT create
 * levels down to find_map_level() and retry once.
 * RIPAS changes: RTT_SET_RIPAS loop creating levels down to
 * find_map_level(); for EMPTY then RTT_DATA_UNMAP (unfolding blocks with
 * RTT_CREATE), undelegate, and realm_fold_rtt_level() over the range
 * (shared with cca-v1 in realm.c, as the series shares the code).
 *
 * Where this differs from the series (or could not be verified):
 *   - A 2 MiB fault on a block that a RIPAS change split (the unfold
 *     pattern's re-touch) delegates nothing; the series would then assume
 *     a racing vCPU and return, and the guest would fault forever. Here the
 *     policy sees the level-3 table (RTT_READ_ENTRY) and asks for a 4 KiB
 *     retry of the faulting page (-E2BIG, see kvm/policy.h).
 *   - The RMM model completes every range call within the call: no
 *     RMI_INCOMPLETE / RMI_OP_CONTINUE / BUSY, so the series' stateful-op
 *     (SRO) machinery and retries never run and are not modeled.
 *   - Memory is anonymous host memory, not guest_memfd; the series'
 *     private/shared attribute checks (ripas_range_matches_gmem) and the
 *     mmu_invalidate retry are not modeled.
 *   - The unprotected map's S2AP/MemAttr flags are the model's direct
 *     encoding (RMM2_UNPROT_MAP_FLAGS), not checked against the spec bits.
 *   - Unprotected map: when RTT_UNPROT_MAP fails at or below the level the
 *     range needs, the series unmaps the shared range and retries (a
 *     permission change); the sim only maps never-mapped aliases, so we
 *     read the entry and treat a valid one as another vCPU's race.
 *   - If RTT_SET_RIPAS refuses an entry at the level the range needs, the
 *     series creates no table and retries (it cannot progress); we stop and
 *     report the RIPAS change as failed instead of spinning.
 */
#include <errno.h>

#include "kvm/policy.h"
#include "kvm/realm.h"
#include "rmm2_desc.h"

static int map_level_of(uint64_t size)
{
	return size == (2ULL << 20) ? RTT_MAX_LEVEL - 1 : RTT_MAX_LEVEL;
}

/* rmi_delegate_range(): RANGE_DELEGATE until done or an error; returns
 * how far delegation got. */
static uint64_t delegate_range(struct kvm_vcpu *vcpu, uint64_t base, uint64_t top)
{
	uint64_t pa = base;

	while (pa < top) {
		uint64_t next = 0;
		uint64_t ret = rmi_granule_range_delegate(&vcpu->rmi, pa, top, &next);
		if (ret != RMI_SUCCESS || next <= pa)
			break;
		pa = next;
	}
	kvm_stage_mark(vcpu, STAGE_GRANULE_DELEGATE);
	return pa;
}

static void undelegate_range(struct kvm_vcpu *vcpu, uint64_t base, uint64_t top)
{
	for (uint64_t pa = base; pa < top; pa += GRANULE_SIZE)
		realm_release_data(vcpu, pa);
}

/* The mapping level of one range descriptor for [ipa, top): a 2 MiB block
 * when aligned and whole, else 4 KiB pages (the series' addr_range_desc). */
static int desc_level(uint64_t ipa, uint64_t top)
{
	return !(ipa & (KVM_PAGE_2M - 1)) && top - ipa >= KVM_PAGE_2M ? RTT_MAX_LEVEL - 1
								       : RTT_MAX_LEVEL;
}

static int map_protected(struct kvm_vcpu *vcpu, uint64_t base_ipa, uint64_t base_pa,
			 uint64_t size)
{
	uint64_t rd = vcpu->kvm->realm.rd;
	uint64_t delegated = delegate_range(vcpu, base_pa, base_pa + size);
	uint64_t ipa = base_ipa, pa = base_pa, ret = RMI_SUCCESS;

	if (delegated == base_pa) {
		/* Nothing delegated. A 2 MiB fault whose block was split (a
		 * RIPAS change unfolded it) finds granules of the block still
		 * mapped: the series would return and the guest would fault
		 * forever, so the map is retried at 4 KiB (-E2BIG). Otherwise
		 * another vCPU is handling this fault (the series' case). */
		struct rtt_entry e;
		if (size > GRANULE_SIZE &&
		    rmi_rtt_read_entry(&vcpu->rmi, rd, base_ipa, RTT_MAX_LEVEL, &e) == RMI_SUCCESS &&
		    e.walk_level == RTT_MAX_LEVEL)
			return -E2BIG;
		vcpu->stats.races++;
		return 0;
	}
	uint64_t top = base_ipa + (delegated - base_pa);
	while (ipa < top) {
		int level = desc_level(ipa, top);
		uint64_t len = level == RTT_MAX_LEVEL ? top - ipa : KVM_PAGE_2M;
		uint64_t desc = rmm2_range_desc(pa, len, level);
		uint64_t next = 0;

		ret = rmi_rtt_data_map(&vcpu->rmi, rd, ipa, top, RMM2_DATA_MAP_FLAGS, desc, &next);
		kvm_stage_mark(vcpu, STAGE_DATA_CREATE);
		if (RMI_RETURN_STATUS(ret) == RMI_ERROR_RTT) {
			int err_level = (int)RMI_RETURN_INDEX(ret);
			if (err_level >= RTT_MAX_LEVEL ||
			    realm_create_rtt_levels(vcpu, ipa, err_level, err_level + 1))
				goto err;
			continue;
		}
		if (ret != RMI_SUCCESS || next <= ipa)
			goto err;
		pa += next - ipa;
		ipa = next;
	}
	return 0;

err:
	kvm_set_error("RTT_DATA_MAP ipa %#llx size %#llx: status %u index %u",
		      (unsigned long long)ipa, (unsigned long long)size,
		      RMI_RETURN_STATUS(ret), RMI_RETURN_INDEX(ret));
	realm_unmap_protected_range(vcpu, base_ipa, ipa);
	undelegate_range(vcpu, pa, delegated);
	return -ENXIO;
}

static int map_unprotected(struct kvm_vcpu *vcpu, uint64_t ipa, uint64_t pa, uint64_t size)
{
	uint64_t rd = vcpu->kvm->realm.rd, top = ipa + size;
	int map_level = map_level_of(size);

	for (int attempt = 0; attempt < 2; attempt++) {
		uint64_t next;
		uint64_t ret = rmi_rtt_unprot_map(&vcpu->rmi, rd, ipa, top, RMM2_UNPROT_MAP_FLAGS,
						  rmm2_range_desc(pa, size, map_level) |
						  RMM2_DESC_UNDELEGATED, &next);
		kvm_stage_mark(vcpu, STAGE_UNPROT_MAP);
		if (ret == RMI_SUCCESS && next >= top)
			return 0;
		if (RMI_RETURN_STATUS(ret) != RMI_ERROR_RTT ||
		    (int)RMI_RETURN_INDEX(ret) >= map_level ||
		    realm_create_rtt_levels(vcpu, ipa, (int)RMI_RETURN_INDEX(ret), map_level))
			break;
	}
	struct rtt_entry e;
	if (rmi_rtt_read_entry(&vcpu->rmi, rd, ipa, map_level, &e) == RMI_SUCCESS &&
	    e.state == RMI_ASSIGNED) {
		vcpu->stats.races++;
		return 0;
	}
	kvm_set_error("RTT_UNPROT_MAP ipa %#llx failed", (unsigned long long)ipa);
	return -ENXIO;
}

const struct kvm_policy policy_cca_rmm2 = {
	.name = "cca-rmm2",
	.summary = "newest CCA host series on RMM 2.0: RANGE_DELEGATE + RTT_DATA_MAP per fault, 2M mapped as a block (no fold)",
	.vm = VM_REALM,
	.abi = RMI_ABI_2_0,
	.map_protected = map_protected,
	.map_unprotected = map_unprotected,
	.set_ripas = realm_set_ipa_state, /* as cca-v1: the series share it */
};
