/*
 * cca-rmm2: the newest CCA host series on the RMM 2.0 range interface.
 * Per protected fault the host delegates the whole mapping with one
 * GRANULE_RANGE_DELEGATE (looping on partial progress) and maps it with
 * RTT_DATA_MAP over [ipa, ipa + size), which the RMM zeroes; missing RTTs
 * are created on RMI_ERROR_RTT as in 1.0. A 2 MiB fault maps the block
 * directly at level 2: no level-3 table and no fold. Unprotected faults use
 * RTT_UNPROT_MAP; RIPAS changes loop on RTT_SET_RIPAS as in 1.0.
 */
#include <errno.h>

#include "kvm/policy.h"
#include "kvm/realm.h"
#include "rmm2_desc.h"

static int map_level_of(uint64_t size)
{
	return size == (2ULL << 20) ? RTT_MAX_LEVEL - 1 : RTT_MAX_LEVEL;
}

static int delegate_range(struct kvm_vcpu *vcpu, uint64_t base, uint64_t top)
{
	uint64_t pa = base;

	while (pa < top) {
		uint64_t next;
		uint64_t ret = rmi_granule_range_delegate(&vcpu->rmi, pa, top, &next);
		if (ret != RMI_SUCCESS || next <= pa) {
			kvm_stage_mark(vcpu, STAGE_GRANULE_DELEGATE);
			return (int)RMI_RETURN_STATUS(ret) ? -EBUSY : -ENXIO;
		}
		pa = next;
	}
	kvm_stage_mark(vcpu, STAGE_GRANULE_DELEGATE);
	return 0;
}

static void undelegate_range(struct kvm_vcpu *vcpu, uint64_t base, uint64_t top)
{
	for (uint64_t pa = base; pa < top; pa += GRANULE_SIZE)
		if (realm_undelegate(vcpu, pa) != RMI_SUCCESS)
			__atomic_fetch_add(&vcpu->kvm->leaked_granules, 1, __ATOMIC_RELAXED);
}

/* RTT_DATA_MAP over [ipa, ipa + size) from the contiguous PAs at pa,
 * creating RTT levels down to the mapping level when the RMM asks. */
static uint64_t data_map(struct kvm_vcpu *vcpu, uint64_t ipa, uint64_t pa, uint64_t size)
{
	uint64_t rd = vcpu->kvm->realm.rd, top = ipa + size;
	int map_level = map_level_of(size);
	uint64_t ret = RMI_SUCCESS;
	bool retried = false;

	while (ipa < top) {
		uint64_t next;
		ret = rmi_rtt_data_map(&vcpu->rmi, rd, ipa, top, RMM2_DATA_MAP_FLAGS,
				       rmm2_range_desc(pa, top - ipa, map_level), &next);
		kvm_stage_mark(vcpu, STAGE_DATA_CREATE);
		if (RMI_RETURN_STATUS(ret) == RMI_ERROR_RTT && !retried &&
		    (int)RMI_RETURN_INDEX(ret) < map_level) {
			retried = true;
			if (realm_create_rtt_levels(vcpu, ipa, (int)RMI_RETURN_INDEX(ret),
						    map_level))
				return ret;
			continue;
		}
		if (ret != RMI_SUCCESS || next <= ipa)
			return ret == RMI_SUCCESS ? RMI_ERROR_INPUT : ret;
		pa += next - ipa;
		ipa = next;
		retried = false;
	}
	return ret;
}

static int map_protected(struct kvm_vcpu *vcpu, uint64_t ipa, uint64_t pa, uint64_t size)
{
	int err = delegate_range(vcpu, pa, pa + size);

	if (err == -EBUSY) {
		/* Another vCPU delegated these pages for the same fault: let
		 * the guest retry once that vCPU has mapped them. */
		vcpu->stats.races++;
		return 0;
	}
	if (err)
		return err;

	uint64_t ret = data_map(vcpu, ipa, pa, size);
	if (ret != RMI_SUCCESS) {
		kvm_set_error("RTT_DATA_MAP ipa %#llx size %#llx: status %u index %u",
			      (unsigned long long)ipa, (unsigned long long)size,
			      RMI_RETURN_STATUS(ret), RMI_RETURN_INDEX(ret));
		realm_unmap_protected_range(vcpu, ipa, ipa + size);
		undelegate_range(vcpu, pa, pa + size);
		return -ENXIO;
	}
	return 0;
}

static int map_unprotected(struct kvm_vcpu *vcpu, uint64_t ipa, uint64_t pa, uint64_t size)
{
	uint64_t rd = vcpu->kvm->realm.rd, top = ipa + size;
	int map_level = map_level_of(size);

	for (int attempt = 0; attempt < 2; attempt++) {
		uint64_t next;
		uint64_t ret = rmi_rtt_unprot_map(&vcpu->rmi, rd, ipa, top, RMM2_UNPROT_MAP_FLAGS,
						  rmm2_range_desc(pa, size, map_level) |
						  RMM2_NS_ATTRS, &next);
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

/* Same loop as the 1.0 series: RTT_SET_RIPAS is unchanged in 2.0. */
static int set_ripas(struct kvm_vcpu *vcpu, uint64_t base, uint64_t top,
		     unsigned ripas, uint64_t *reached)
{
	return policy_cca_v1.set_ripas(vcpu, base, top, ripas, reached);
}

const struct kvm_policy policy_cca_rmm2 = {
	.name = "cca-rmm2",
	.summary = "newest CCA host series on RMM 2.0: RANGE_DELEGATE + RTT_DATA_MAP, 2M mapped as a block",
	.vm = VM_REALM,
	.abi = RMI_ABI_2_0,
	.map_protected = map_protected,
	.map_unprotected = map_unprotected,
	.set_ripas = set_ripas,
};
