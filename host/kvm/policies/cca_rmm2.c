/*
 * cca-v14 (formerly cca-rmm2, still accepted): the 2026 CCA host series on
 * the RMM 2.0 range interface, read
 * at lougovsk/linux b12418f0735c (arch/arm64/kvm/rmi.c: realm_map_protected,
 * realm_map_non_secure, realm_create_rtt_levels, realm_unmap_private_range,
 * undelegate_range_desc, ripas_change) and the guest_memfd-era mmu.c of the
 * series (private_memslot_fault, user_mem_abort). The code is ours.
 *
 * Mapping size: the series maps every realm fault at 4 KiB. Private faults
 * go through private_memslot_fault(), which maps PAGE_SIZE ("FIXME: Should
 * be able to use bigger than PAGE_SIZE mappings"); user_mem_abort() forces
 * page mappings for realms ("Force PTE level mappings for realms"). So
 * block_backings is 0: on 2 MiB backing a realm still takes 4 KiB faults.
 * cca-rmm2-2m is the same code with 2 MiB blocks allowed.
 *
 * Per protected 4 KiB fault (realm_map_protected):
 *   1. GRANULE_RANGE_DELEGATE [pa, pa + 4K) (rmi_delegate_range). No
 *      progress: another vCPU raced on the fault; return, the guest retries.
 *   2. RTT_DATA_MAP [ipa, ipa + 4K), one SINGLE range descriptor (the RMM
 *      zeroes the granule); on RMI_ERROR_RTT(L) create every missing RTT
 *      from L + 1 down to level 3 (each: GRANULE_RANGE_DELEGATE of a
 *      memcache page + RTT_CREATE) and retry.
 *   3. On failure: realm_unmap_private_range() of what was mapped
 *      (RTT_DATA_UNMAP, undelegate, fold scan) and undelegate the rest of
 *      the range with one range call.
 * Unprotected faults (realm_map_non_secure): RTT_UNPROT_MAP; on
 * RMI_ERROR_RTT create the levels down to 3 and retry.
 * RIPAS changes (ripas_change + realm_set_ipa_state): RTT_SET_RIPAS loop
 * creating RTTs down to find_map_level(); for EMPTY then
 * realm_unmap_private_range(): RTT_DATA_UNMAP (unfolding blocks with
 * RTT_CREATE), one GRANULE_RANGE_UNDELEGATE per returned range, and the
 * fold scan realm_fold_rtt_level() over the range (host/kvm/realm.c).
 *
 * Series: v14 ("[PATCH v14 00/44] arm64: Support for Arm CCA in KVM",
 * 2026-05-13, cca-host/v14). Checked against a v14 kernel on TF-RMM:
 * every deterministic pattern's RMI calls per fault equal this policy's
 * (docs/real-backend.md, "A realm run on TF-RMM"; results/qemu-realm).
 *
 * RMI calls per fault (REC_ENTER not counted; RANGE_DELEGATE covers one
 * granule here; tested in tests/kvm/test_kvm_counts.c):
 *   protected 4K, tables present       RANGE_DELEGATE, DATA_MAP             2
 *   protected 4K, level-3 RTT missing  + DATA_MAP(ERROR_RTT), RANGE_DELEGATE,
 *                                        RTT_CREATE                         5
 *   protected 4K, levels 2 and 3 missing  + 2 x (RANGE_DELEGATE, RTT_CREATE) 7
 *   unprotected 4K                     UNPROT_MAP                           1
 *   unprotected, level 3 / 2+3 missing                                   4 / 6
 *   RIPAS -> EMPTY of a 4K page under a live level-3 table: SET_RIPAS,
 *     DATA_UNMAP, RANGE_UNDELEGATE, then the fold scan's RTT_FOLDs (one per
 *     table from the range to the end of its level-1 entry, most refused).
 *
 * Where this differs from the series (or could not be verified):
 *   - rmi_delegate_range() in the series fails the fault on any error; the
 *     model's RMM can stop partway, and then only what was delegated is
 *     mapped (never reached for a 4 KiB fault).
 *   - The RMM model completes every range call within the call: no
 *     RMI_INCOMPLETE / RMI_OP_CONTINUE / BUSY, so the series' stateful-op
 *     (SRO) machinery and retries never run and are not modeled.
 *   - Memory is anonymous host memory, not guest_memfd; the series'
 *     private/shared attribute checks and the KVM_EXIT_MEMORY_FAULT round
 *     trip to the VMM are not modeled.
 *   - The unprotected map's S2AP/MemAttr flags are the model's direct
 *     encoding (RMM2_UNPROT_MAP_FLAGS), not checked against the spec bits.
 *   - When RTT_UNPROT_MAP still fails after the tables were made, the
 *     series WARNs and fails; the sim only maps never-mapped aliases, so
 *     it reads the entry and treats a valid one as another vCPU's race.
 *   - If RTT_SET_RIPAS refuses an entry at the level the range needs, the
 *     series creates no table and retries (it cannot progress); we stop and
 *     report the RIPAS change as failed instead of spinning.
 */
#include <errno.h>

#include "kvm/policy.h"
#include "kvm/realm.h"
#include "rmm2_desc.h"
#include "cca_v14.h"

static int map_level_of(uint64_t size)
{
	return size == KVM_PAGE_2M ? RTT_MAX_LEVEL - 1 : RTT_MAX_LEVEL;
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

/* The mapping level of one range descriptor for [ipa, top): a 2 MiB block
 * when aligned and whole, else 4 KiB pages (the series' addr_range_desc). */
static int desc_level(uint64_t ipa, uint64_t top)
{
	return !(ipa & (KVM_PAGE_2M - 1)) && top - ipa >= KVM_PAGE_2M ? RTT_MAX_LEVEL - 1
								       : RTT_MAX_LEVEL;
}

int cca_v14_map_protected(struct kvm_vcpu *vcpu, uint64_t base_ipa, uint64_t base_pa,
			  uint64_t size)
{
	uint64_t rd = vcpu->kvm->realm.rd;
	uint64_t delegated = delegate_range(vcpu, base_pa, base_pa + size);
	uint64_t ipa = base_ipa, pa = base_pa, ret = RMI_SUCCESS;
	/* The series creates tables down to level 3 for every map; a 2 MiB
	 * block (cca-rmm2-2m only) needs them down to its own level. */
	int create_to = map_level_of(size);

	if (delegated == base_pa) {
		/* Nothing delegated. A 2 MiB fault whose block was split (a
		 * RIPAS change unfolded it) finds granules of the block still
		 * mapped: mapping it whole would fail forever, so the map is
		 * retried at 4 KiB (-E2BIG). Otherwise another vCPU is handling
		 * this fault (the series' case). */
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
			if (err_level >= create_to ||
			    realm_create_rtt_levels(vcpu, ipa, err_level, create_to))
				goto err;
			ret = rmi_rtt_data_map(&vcpu->rmi, rd, ipa, top, RMM2_DATA_MAP_FLAGS, desc,
					       &next);
			kvm_stage_mark(vcpu, STAGE_DATA_CREATE);
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
	realm_release_data_range(vcpu, pa, delegated - pa);
	return -ENXIO;
}

int cca_v14_map_unprotected(struct kvm_vcpu *vcpu, uint64_t ipa, uint64_t pa, uint64_t size)
{
	uint64_t rd = vcpu->kvm->realm.rd, top = ipa + size;
	int map_level = map_level_of(size);
	/* As the series' addr_range_desc(): ST left 0 (the RMM does not
	 * check it for an unprotected map). */
	uint64_t desc = rmm2_range_desc(pa, size, map_level);
	uint64_t next;

	uint64_t ret = rmi_rtt_unprot_map(&vcpu->rmi, rd, ipa, top, RMM2_UNPROT_MAP_FLAGS,
					  desc, &next);
	kvm_stage_mark(vcpu, STAGE_UNPROT_MAP);
	if (RMI_RETURN_STATUS(ret) == RMI_ERROR_RTT &&
	    (int)RMI_RETURN_INDEX(ret) < map_level &&
	    !realm_create_rtt_levels(vcpu, ipa, (int)RMI_RETURN_INDEX(ret), map_level)) {
		ret = rmi_rtt_unprot_map(&vcpu->rmi, rd, ipa, top, RMM2_UNPROT_MAP_FLAGS, desc,
					 &next);
		kvm_stage_mark(vcpu, STAGE_UNPROT_MAP);
	}
	if (ret == RMI_SUCCESS && next >= top)
		return 0;
	struct rtt_entry e;
	if (rmi_rtt_read_entry(&vcpu->rmi, rd, ipa, map_level, &e) == RMI_SUCCESS &&
	    e.state == RMI_ASSIGNED) {
		vcpu->stats.races++;
		return 0;
	}
	kvm_set_error("RTT_UNPROT_MAP ipa %#llx: status %u index %u", (unsigned long long)ipa,
		      RMI_RETURN_STATUS(ret), RMI_RETURN_INDEX(ret));
	return -ENXIO;
}

const struct kvm_policy policy_cca_rmm2 = {
	.name = "cca-v14",
	.alias = "cca-rmm2",
	.series = "v14",
	.summary = "CCA host series v14 on RMM 2.0: RANGE_DELEGATE + RTT_DATA_MAP per fault, 4K mappings only",
	.vm = VM_REALM,
	.abi = RMI_ABI_2_0,
	.block_backings = 0,
	.map_protected = cca_v14_map_protected,
	.map_unprotected = cca_v14_map_unprotected,
	.set_ripas = realm_set_ipa_state, /* as cca-v1: the series share it */
};
