/*
 * cca-v1: the early Arm CCA host series on RMM 1.0 (the seed quoted in
 * ../shared/reference/seed-realm-stage2-fault-path.md, and the 1.0-era
 * arch/arm64/kvm/rme.c read through the library's look-up tools).
 *
 * Per protected fault (realm_map_protected):
 *   4 KiB: GRANULE_DELEGATE, DATA_CREATE_UNKNOWN; on RMI_ERROR_RTT(L)
 *          create the RTTs from L + 1 down to level 3 (each page from the
 *          vCPU memcache, delegated first) and retry once.
 *   2 MiB: pre-create the level-3 RTT, then the above for each of the 512
 *          granules, then RTT_FOLD the table into a level-2 block (its page
 *          is undelegated and freed).
 *   A failed DELEGATE means the granule is already delegated: read the
 *   entry (RTT_READ_ENTRY); if it maps our page another vCPU won the race.
 *   Errors unwind: DATA_DESTROY + undelegate what this call created.
 * Unprotected faults: RTT_MAP_UNPROTECTED; on ERROR_RTT create levels and
 * retry. RIPAS changes (realm.c, realm_set_ipa_state): RTT_SET_RIPAS loop
 * creating tables / unfolding blocks down to find_map_level(); for EMPTY
 * then DATA_DESTROY + undelegate of the changed range (unfolding blocks)
 * and the series' fold scan (realm_fold_rtt_level).
 *
 * Where this differs from the seed:
 *   - The seed returns as soon as a DELEGATE fails on a granule that is
 *     mapped (assuming a racing vCPU). For a 2 MiB fault on a block that a
 *     RIPAS change split (unfold pattern) the other 511 granules are still
 *     mapped, so the seed would return forever and the guest would livelock.
 *     Here a block map skips granules that are mapped to our page and maps
 *     the rest, then folds the block again; a granule whose entry is not
 *     created yet (a racing vCPU midway) still makes the guest retry.
 *   - The seed WARNs when the raced entry does not match; we fail the fault
 *     with a message instead.
 */
#include <errno.h>

#include "kvm/policy.h"
#include "kvm/realm.h"

/* Stage-2 attributes the host gives an unprotected mapping: Normal WB with
 * FWB (MemAttr 0b0110), S2AP read/write, inner shareable (as the seed). */
#define NS_DESC_ATTRS ((6ULL << 2) | (3ULL << 6) | (3ULL << 8))

static int map_level_of(uint64_t size)
{
	return size == (2ULL << 20) ? RTT_MAX_LEVEL - 1 : RTT_MAX_LEVEL;
}

/* Undo a partial map: destroy and undelegate what was created, newest
 * first (the seed's err path). */
static void unwind(struct kvm_vcpu *vcpu, uint64_t base_ipa, uint64_t base_pa,
		   uint64_t done)
{
	uint64_t rd = vcpu->kvm->realm.rd;

	while (done) {
		uint64_t data, top;
		done -= GRANULE_SIZE;
		rmi_data_destroy(&vcpu->rmi, rd, base_ipa + done, &data, &top);
		realm_release_data(vcpu, base_pa + done);
	}
}

/* What a failed GRANULE_DELEGATE found at the granule's IPA. */
enum raced { RACED_MAPPED_OURS, RACED_IN_PROGRESS, RACED_CONFLICT };

/*
 * The page is already delegated: a vCPU (this one, for an earlier part of a
 * block, or another one racing on the same fault) mapped it or is mapping
 * it. Read the entry: our page mapped there is fine; an entry not created
 * yet means another vCPU is midway (the seed WARNs and fails the vCPU
 * here; a benchmark lets the guest retry instead).
 */
static enum raced check_raced_entry(struct kvm_vcpu *vcpu, uint64_t ipa, uint64_t pa)
{
	struct rtt_entry e;

	if (rmi_rtt_read_entry(&vcpu->rmi, vcpu->kvm->realm.rd, ipa, RTT_MAX_LEVEL, &e) !=
	    RMI_SUCCESS)
		return RACED_CONFLICT;
	uint64_t size = rtt_level_map_size(e.walk_level);
	if (e.state == RMI_ASSIGNED &&
	    (e.desc & 0xfffffffff000ULL & ~(size - 1)) == (pa & ~(size - 1)))
		return RACED_MAPPED_OURS;
	return e.state == RMI_UNASSIGNED ? RACED_IN_PROGRESS : RACED_CONFLICT;
}

/* Fold the level-3 table of a completed block. If another vCPU folded it
 * first, the level-2 entry is already a block: that is success too. */
static int fold_block(struct kvm_vcpu *vcpu, uint64_t base_ipa)
{
	struct rtt_entry e;

	if (!realm_fold_rtt(vcpu, base_ipa))
		return 0;
	if (rmi_rtt_read_entry(&vcpu->rmi, vcpu->kvm->realm.rd, base_ipa, RTT_MAX_LEVEL - 1,
			       &e) == RMI_SUCCESS &&
	    e.walk_level == RTT_MAX_LEVEL - 1 && e.state == RMI_ASSIGNED)
		return 0;
	return -ENXIO;
}

static int map_protected(struct kvm_vcpu *vcpu, uint64_t base_ipa, uint64_t base_pa,
			 uint64_t size)
{
	uint64_t rd = vcpu->kvm->realm.rd;
	int map_level = map_level_of(size);
	uint64_t off, created = 0;

	if (map_level < RTT_MAX_LEVEL) {
		/* A temporary level-3 RTT is needed to build the block; make
		 * it now (missing parents are handled by the retry below). */
		realm_create_rtt_levels(vcpu, base_ipa, map_level, RTT_MAX_LEVEL);
	}

	for (off = 0; off < size; off += GRANULE_SIZE) {
		uint64_t ipa = base_ipa + off, pa = base_pa + off;

		uint64_t ret = rmi_granule_delegate(&vcpu->rmi, pa);
		kvm_stage_mark(vcpu, STAGE_GRANULE_DELEGATE);
		if (ret != RMI_SUCCESS) {
			enum raced r = check_raced_entry(vcpu, ipa, pa);
			if (r == RACED_CONFLICT)
				goto err;
			/* Part of a block already mapped (e.g. after an
			 * unfold): map the rest. Not a race. */
			if (r == RACED_MAPPED_OURS && map_level < RTT_MAX_LEVEL)
				continue;
			/* Another vCPU mapped it or is mapping it: the guest
			 * retries (one more fault when it is still midway). */
			vcpu->stats.races++;
			return 0;
		}

		ret = rmi_data_create_unknown(&vcpu->rmi, rd, pa, ipa);
		kvm_stage_mark(vcpu, STAGE_DATA_CREATE);
		if (RMI_RETURN_STATUS(ret) == RMI_ERROR_RTT) {
			int level = (int)RMI_RETURN_INDEX(ret);
			if (realm_create_rtt_levels(vcpu, ipa, level, RTT_MAX_LEVEL))
				goto err_undelegate;
			ret = rmi_data_create_unknown(&vcpu->rmi, rd, pa, ipa);
			kvm_stage_mark(vcpu, STAGE_DATA_CREATE);
		}
		if (ret != RMI_SUCCESS) {
			kvm_set_error("DATA_CREATE_UNKNOWN ipa %#llx: status %u index %u",
				      (unsigned long long)ipa, RMI_RETURN_STATUS(ret),
				      RMI_RETURN_INDEX(ret));
			goto err_undelegate;
		}
		created = off + GRANULE_SIZE;
	}

	if (map_level < RTT_MAX_LEVEL && fold_block(vcpu, base_ipa))
		goto err;
	return 0;

err_undelegate:
	realm_release_data(vcpu, base_pa + off);
err:
	unwind(vcpu, base_ipa, base_pa, created);
	return -ENXIO;
}

static int map_unprotected(struct kvm_vcpu *vcpu, uint64_t ipa, uint64_t pa, uint64_t size)
{
	uint64_t rd = vcpu->kvm->realm.rd;
	int map_level = map_level_of(size);
	uint64_t desc = pa | NS_DESC_ATTRS;

	uint64_t ret = rmi_rtt_map_unprotected(&vcpu->rmi, rd, ipa, map_level, desc);
	kvm_stage_mark(vcpu, STAGE_UNPROT_MAP);
	if (RMI_RETURN_STATUS(ret) == RMI_ERROR_RTT) {
		int level = (int)RMI_RETURN_INDEX(ret);
		if (realm_create_rtt_levels(vcpu, ipa, level, map_level))
			return -ENXIO;
		ret = rmi_rtt_map_unprotected(&vcpu->rmi, rd, ipa, map_level, desc);
		kvm_stage_mark(vcpu, STAGE_UNPROT_MAP);
	}
	if (ret != RMI_SUCCESS) {
		/* Another vCPU may have mapped it: the entry is then valid. */
		struct rtt_entry e;
		if (rmi_rtt_read_entry(&vcpu->rmi, rd, ipa, map_level, &e) == RMI_SUCCESS &&
		    e.state == RMI_ASSIGNED) {
			vcpu->stats.races++;
			return 0;
		}
		kvm_set_error("RTT_MAP_UNPROTECTED ipa %#llx: status %u index %u",
			      (unsigned long long)ipa, RMI_RETURN_STATUS(ret),
			      RMI_RETURN_INDEX(ret));
		return -ENXIO;
	}
	return 0;
}

const struct kvm_policy policy_cca_v1 = {
	.name = "cca-v1",
	.summary = "early CCA host series on RMM 1.0: DELEGATE + DATA_CREATE_UNKNOWN per 4K, fold for 2M",
	.vm = VM_REALM,
	.abi = RMI_ABI_1_0,
	.map_protected = map_protected,
	.map_unprotected = map_unprotected,
	/* RIPAS changes (realm.c, shared with cca-rmm2 as the series share
	 * it): RTT_SET_RIPAS first, tables created or blocks unfolded down to
	 * the level the range needs; for EMPTY then DATA_DESTROY + undelegate
	 * of what was changed, and RTT_FOLD of tables the unmap left empty. */
	.set_ripas = realm_set_ipa_state,
};
